"""An exclusive lock on a folder the harness rewrites, so that two commands wait, not trample.

Two harness commands at once (make test beside make bench, a queued build, two
green-thread checks of one variant) would otherwise remove or half-write each other's
files: a build folder, a version's patched source trees, a build's green-thread venv.
The lock is ``flock`` on a file, released when the holder closes it or dies. POSIX only;
elsewhere it does nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def exclusive(lock_file: Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_file`` (created if missing) for the ``with`` block.

    If another process holds it, ``on_wait`` is called once (to say why nothing happens)
    and the call blocks until the lock is free.
    """
    if os.name != "posix":
        yield
        return
    import fcntl

    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield  # closing the file releases the lock
