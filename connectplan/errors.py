"""Errors the app raises for bad input; the CLI turns them into one line and exit code 2."""

from __future__ import annotations


class AppError(Exception):
    """Bad input at the application level (a file, a reference, a name). Exit code 2."""

    exit_code = 2
