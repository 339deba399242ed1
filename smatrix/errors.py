"""Errors reported to the user without a traceback."""


class BadInput(ValueError):
    """User input that cannot define a problem (bad option, out-of-range value, corrupt file)."""
