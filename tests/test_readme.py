"""Every command line of the README runs as written: each tour line parses with the CLI's own
parser (fast), and tests/readme_tour.py runs them all with small settings, checking exit codes
and JSON (slow)."""
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import readme_tour  # noqa: E402

from smatrix.cli import build_parser  # noqa: E402

LINES = readme_tour.tour_lines()


def test_the_tour_is_found_and_documents_its_exit_codes():
    cmds = [readme_tour.command(line) for line in LINES]
    assert len([c for c in cmds if c]) >= 25 and all(c[0] != "issues" for c in cmds if c)
    assert readme_tour.expected_codes(next(ln for ln in LINES if "--c2 3.6" in ln)) == {3}


@pytest.mark.parametrize("line", [ln for ln in LINES if readme_tour.command(ln)])
def test_every_tour_line_parses(line):
    argv = readme_tour.command(line)
    for args in (argv, readme_tour.small(argv)):
        try:
            build_parser().parse_args(args)            # SystemExit (exit 2) on an unknown option
        except SystemExit as exc:                      # --version / --help print and exit 0
            assert exc.code == 0, (args, exc.code)


@pytest.mark.slow
def test_every_tour_line_runs_with_small_settings(tmp_path):
    p = subprocess.run([sys.executable, str(Path(readme_tour.__file__)), "--workdir", str(tmp_path)],
                       capture_output=True, text=True, timeout=3600)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
