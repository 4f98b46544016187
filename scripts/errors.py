"""Errors the harness reports to the user: a message and an exit status, no traceback.

Every command ends the same way, whether it is ``python -m scripts <command>`` or a
venv-side module (``python -m scripts.matrix``, ``scripts.publish``, ...): through
``run_entry_point``, which turns a HarnessError into ``error: <message>`` and its exit
status, and an interruption into 130. ``make test``'s steps report a failing step with
``report_error`` too, so the message looks the same wherever it comes from.
"""

from __future__ import annotations

from collections.abc import Callable


class HarnessError(Exception):
    """A failure the user can act on; the message says what happened and what to do."""

    exit_code = 1


class UsageError(HarnessError):
    """Bad input on the command line or in a table (unknown variant, flavor, key): exit 2."""

    exit_code = 2


INTERRUPTED = 130  # the shell's status for a process ended by SIGINT


def report_error(exc: HarnessError) -> int:
    """Print ``error: <message>`` on stderr; return the error's exit status."""
    import sys

    print(f"error: {exc}", file=sys.stderr)
    return exc.exit_code


def run_entry_point(main: Callable[[list[str]], int], argv: list[str], resumes: str | None = None, *,
                    sigterm: bool = True) -> int:
    """Run ``main(argv)`` as a command: HarnessError -> its message and exit status,
    Ctrl-C -> 130 with a hint.

    ``resumes`` says what running the same command again resumes: a name ("this run",
    "the sweep"), "" when it resumes whatever the command was doing (the front end's
    commands), None when a rerun starts afresh (report, summary). With ``sigterm`` a
    stop from outside (CI cancel, kill) is handled like Ctrl-C, so the command cleans up;
    the front end ``python -m scripts`` leaves SIGTERM as it is.
    """
    import signal
    import sys

    def terminated(signum, frame):
        raise KeyboardInterrupt

    if sigterm:
        signal.signal(signal.SIGTERM, terminated)
    try:
        return main(argv)
    except HarnessError as exc:
        return report_error(exc)
    except KeyboardInterrupt:
        print(f"\ninterrupted{interrupted_hint(resumes)}", file=sys.stderr)
        return INTERRUPTED


def interrupted_hint(resumes: str | None) -> str:
    """What the interruption message adds: how to go on, if the command can."""
    if resumes is None:
        return ""
    return "; run the same command again to resume" + (f" {resumes}" if resumes else "")
