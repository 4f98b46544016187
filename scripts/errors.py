"""Errors the harness reports to the user: a message and an exit status, no traceback."""


class HarnessError(Exception):
    """A failure the user can act on; the message says what happened and what to do."""

    exit_code = 1


class UsageError(HarnessError):
    """Bad input on the command line or in a table (unknown variant, flavor, key): exit 2."""

    exit_code = 2


def run_entry_point(main, argv: list[str], what: str) -> int:
    """Run a venv-side ``main(argv)``: HarnessError -> its message and exit status,
    Ctrl-C or SIGTERM -> 130 with a hint that the same command resumes ``what``."""
    import signal
    import sys

    def terminated(signum, frame):
        raise KeyboardInterrupt  # a stop from outside (CI cancel, kill) cleans up like Ctrl-C

    signal.signal(signal.SIGTERM, terminated)
    try:
        return main(argv)
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"\ninterrupted; run the same command again to resume {what}", file=sys.stderr)
        return 130
