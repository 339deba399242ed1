"""`smatrix nn-dual --objective max-c0` with and without a competing CPU-bound process (issue 19):
the default thread choice (smatrix.threads: the free cores) against one thread per core forced
with --threads. Run: python benchmarks/threads_nn_dual.py [EPOCHS]"""
import json
import os
import subprocess
import sys
import time

from smatrix.threads import THREAD_ENV, usable_cores


def nn_dual(epochs: str, threads: str | None) -> tuple[float, float]:
    env = {k: v for k, v in os.environ.items() if k not in THREAD_ENV}   # no user override
    args = [sys.executable, "-m", "smatrix.cli", "nn-dual", "--objective", "max-c0", "--epochs", epochs, "--json",
            *(["--threads", threads] if threads else [])]
    t0 = time.perf_counter()
    out = subprocess.run(args, capture_output=True, text=True, env=env, check=True).stdout
    return time.perf_counter() - t0, json.loads(out.strip().splitlines()[-1])["value"]


def main(epochs: str = "3000") -> None:
    cores = str(usable_cores())
    print(f"{usable_cores()} usable cores, load average {os.getloadavg()[0]:.1f} at start; {epochs} epochs")
    rows = [("alone, --threads 1", None, "1"), ("alone, default threads", None, None)]
    rows += [("with a busy-loop competitor, --threads 1", True, "1"),
             ("with a busy-loop competitor, default threads", True, None),
             (f"with a busy-loop competitor, --threads {cores} (torch's own choice)", True, cores)]
    for name, load, threads in rows:
        hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if load else None
        try:
            time.sleep(2 if load else 0)
            wall, value = nn_dual(epochs, threads)
        finally:
            if hog:
                hog.kill()
                hog.wait()
        print(f"{name:62s} {wall:7.1f} s   c0 ≤ {value:.6f}", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
