"""Errors that are the user's (or the input's) fault, not a bug.

The CLI prints them as one clear message and exits with their code; it never
shows a traceback for them.
"""

EXIT_OK = 0
EXIT_REGRESSION = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
EXIT_DISTURBED = 4       # sweep: rows stayed disturbed, no verdict
EXIT_INTERRUPTED = 130


class UserError(Exception):
    """A mistake in what the user asked for or gave us (exit 2)."""
    code = EXIT_USAGE


class DataError(UserError):
    """A results file is malformed, unknown, or does not match another."""


class ResourceError(UserError):
    """The machine, not the input: a full disk, runs that could not run
    (exit 3)."""
    code = EXIT_INCOMPLETE
