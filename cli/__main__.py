"""`python -m smatrix.cli ARGS` = `smatrix ARGS`."""
import sys

from .main import main

sys.exit(main())
