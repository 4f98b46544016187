"""Errors the harness reports to the user: a message and an exit status, no traceback."""


class HarnessError(Exception):
    """A failure the user can act on; the message says what happened and what to do."""

    exit_code = 1


class UsageError(HarnessError):
    """Bad input on the command line or in a table (unknown variant, flavor, key): exit 2."""

    exit_code = 2
