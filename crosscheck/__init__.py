"""Runs methods side by side and reports agreement: the zero-ddisc almond (almond), its points
(points) and methods (methods), the SQLite results store (store), executors (executors), the
agreement checks and tables (report), the figures (figures) and the CLI commands (cli)."""
