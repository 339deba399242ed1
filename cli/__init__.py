"""The command layer of smatrix-bootstrap: the `smatrix` command (argument parsing, dispatch,
exit codes, printing). Everything it runs lives in the library below it; nothing there imports it."""
from .main import (EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INFEASIBLE, EXIT_INTERRUPTED, EXIT_UNCERTIFIED, CliError,
                   build_parser, main)

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_INFEASIBLE", "EXIT_INTERRUPTED", "EXIT_UNCERTIFIED", "CliError",
           "build_parser", "main"]
