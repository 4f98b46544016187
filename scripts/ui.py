"""Terminal output: one prefix for progress lines, so long work is visible and greppable."""

import sys
import time

_START = time.monotonic()


def step(message: str) -> None:
    """Print a progress line with the elapsed time since the harness started."""
    elapsed = time.monotonic() - _START
    print(f"[harness {elapsed:6.1f}s] {message}", flush=True)


def warn(message: str) -> None:
    """Print a warning on stderr (it does not stop the command)."""
    print(f"warning: {message}", file=sys.stderr, flush=True)


def format_duration(seconds: float) -> str:
    """Render a duration as e.g. '2m05s' or '41.2s'."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}m{secs:02d}s"


def shown(path) -> str:
    """A path as the user should read it: relative to the project when inside it."""
    from .config import ROOT

    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)
