"""A stand-in method for the scan reliability tests: each point sleeps, then logs that it was
computed (with the worker's pid), so a test can count computations per point. Run as a script,
it is one scan: `python scan_helper.py STORE LOG LEASE_S SLEEP_S`."""
import os
import sys
import time

from smatrix.result import Result


def slow_point(objective, c0, settings):
    with open(settings["log"], "a") as fh:
        fh.write(f"start {os.getpid()} {objective} {c0}\n")
    time.sleep(settings["sleep"])
    value = 100.0 if objective == "max-c0" else (0.01 if objective == "min-c2" else 0.02) * c0
    with open(settings["log"], "a") as fh:
        fh.write(f"done {os.getpid()} {objective} {c0}\n")
    return Result(method="fake", model="zero-ddisc", objective=objective, c0=c0 if c0 is not None else value,
                  c2=None if objective == "max-c0" else value, value=value, bound_kind="primal (achieved)",
                  status="optimal", certified=True, certificate={}, solver="sleep", seconds=settings["sleep"],
                  config=dict(settings))


def main(store_path, log, lease_s, sleep_s, slices=4):
    from smatrix.crosscheck.almond import AlmondConfig, run_almond
    from smatrix.crosscheck.executors import LocalExecutor
    from smatrix.crosscheck.methods import Method
    from smatrix.crosscheck.store import ResultStore
    m = Method("fake", "primal", slow_point, {"sleep": float(sleep_s), "log": log}, {}, tolerance=1.0,
               tip_tolerance=1.0)
    cfg = AlmondConfig([m], {"fake": dict(m.settings)}, slices=slices)
    with ResultStore(store_path, lease_s=float(lease_s)) as store, LocalExecutor(2) as ex:
        almond = run_almond(cfg, ex, store, progress=False)
    print(f"computed {almond['computed']} reused {almond['reused']}", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:5])
