"""Runs methods side by side and reports agreement (tables, JSON, plots)."""
