"""Dict workloads for instruction counts, which do not depend on machine noise.

What is measured: the instructions the interpreter executes for REPS repetitions of
one workload (see WORKLOADS: each repetition is OPS operations of one kind, such as
building 1..8-item dicts by insertion, a dict display followed by one more key, or
delete-oldest/insert-new churn at a steady size). Not measured: time, cache misses,
memory.

Run it under callgrind twice, with REPS and with 0, and subtract (the difference
removes interpreter start-up and the workload's setup):

    valgrind --tool=callgrind --callgrind-out-file=/dev/null PYTHON -S instructions_workload.py WORKLOAD 200
    valgrind --tool=callgrind --callgrind-out-file=/dev/null PYTHON -S instructions_workload.py WORKLOAD 0

The "Collected" line of each is the instruction count. ``python -m scripts
instructions`` (``make instructions``) does this for every workload on a variant and
on baseline and prints instructions per operation side by side. The old form
``instructions_workload.py REPS`` runs the ``mixed`` workload.

Standard library only; deterministic (no randomness, no clock).
"""

from __future__ import annotations

import sys
from typing import Callable

INT_KEYS = list(range(100))
STR_KEYS = ["key%d" % i for i in range(100)]
SIZES = (1, 3, 5, 8, 12, 20, 40, 100)
SMALL = (1, 2, 3, 4, 5, 6, 7, 8)


def inserted(keys):
    d = {}
    for k in keys:
        d[k] = None
    return d


def mixed():
    """The dict_memory speed operations on dicts of 1..100 items, one round."""
    for n in SIZES:
        ints = inserted(INT_KEYS[:n])
        strs = inserted(STR_KEYS[:n])
        copied = ints.copy()
        dict(strs)
        for k in STR_KEYS[:n]:
            k in strs
        for k, v in ints.items():
            pass
        {"id": 1, "name": 2, "type": 3, "status": 4, "owner": 5, "score": 6, "active": 7, "tags": 8}
        ints.update(copied)
        for k in INT_KEYS[:n]:
            del ints[k]


def insert_small_str():
    """Dicts of 1..8 str keys built by insertion, then freed (8 dicts)."""
    for n in SMALL:
        inserted(STR_KEYS[:n])


def insert_small_int():
    """Dicts of 1..8 int keys built by insertion, then freed (8 dicts)."""
    for n in SMALL:
        inserted(INT_KEYS[:n])


def insert_100():
    """A dict of 100 str keys and one of 100 int keys built by insertion (2 dicts)."""
    inserted(STR_KEYS)
    inserted(INT_KEYS)


def empty_and_one():
    """An empty dict and a one-key dict, made and freed (10 of each)."""
    for _ in range(10):
        d = {}
        d["a"] = 1


def display_8():
    """An 8-key dict display (10 dicts)."""
    for i in range(10):
        {"id": i, "name": 2, "type": 3, "status": 4, "owner": 5, "score": 6, "active": 7, "tags": 8}


def display_then_insert():
    """A 3-key and an 8-key display, each given one more key (5 of each)."""
    for i in range(5):
        d = {"id": i, "name": 2, "type": 3}
        d["extra"] = 4
        d = {"id": i, "name": 2, "type": 3, "status": 4, "owner": 5, "score": 6, "active": 7, "tags": 8}
        d["extra"] = 9


_COPY_SRC = inserted(INT_KEYS)
_SMALL_SRC = inserted(STR_KEYS[:6])


def copy_then_insert():
    """copy() of a 100-key and of a 6-key dict, each given one more key (2 copies)."""
    d = _COPY_SRC.copy()
    d[-1] = None
    d = _SMALL_SRC.copy()
    d["extra"] = None


def kwargs_calls():
    """Calls with **kwargs of 2, 4 and 6 keywords (3 calls)."""
    f = _capture
    f(id=1, mode="r")
    f(id=1, mode="w", retries=3, timeout=None)
    f(id=1, mode="a", retries=3, timeout=1.5, verbose=False, encoding="utf-8")


def _capture(**kwargs):
    return kwargs


_LOOKUP = inserted(STR_KEYS)


def lookup():
    """100 hits and 100 misses in a 100-str-key dict (200 lookups)."""
    d = _LOOKUP
    for k in STR_KEYS:
        k in d
    for k in INT_KEYS:
        k in d


def update_delete():
    """update() of a 1-key dict with 100 keys, then deleting every key (1 dict)."""
    d = {-1: -1}
    d.update(_COPY_SRC)
    for k in INT_KEYS:
        del d[k]


class _Record:
    def __init__(self, kw):
        self.__dict__.update(kw)


class _Point:
    def __init__(self, x, y, z):
        self.x = x
        self.y = y
        self.z = z


_RECORD_KW = {"a%d" % i: i for i in range(20)}


def instances():
    """Instances filled by __dict__.update(20 keys) and by 3 attribute assignments,
    one attribute read each (5 of each)."""
    kw = _RECORD_KW
    for i in range(5):
        _Record(kw).a0
        _Point(i, 2, 3).x


class _Churn:
    """A dict kept at `size` keys: delete the oldest, insert a new one."""

    def __init__(self, size):
        self.d = dict.fromkeys(range(size))
        self.next = size
        self.size = size

    def run(self, ops):
        d = self.d
        i = self.next
        size = self.size
        for i in range(i, i + ops):
            del d[i - size]
            d[i] = None
        self.next = i + 1


_CHURN = {n: _Churn(n) for n in (5, 21, 682, 1365)}


def churn_5():
    """Delete the oldest key, insert a new one, at 5 keys (20 pairs)."""
    _CHURN[5].run(20)


def churn_21():
    """The same at 21 keys (20 pairs)."""
    _CHURN[21].run(20)


def churn_682():
    """The same at 682 keys (20 pairs)."""
    _CHURN[682].run(20)


def churn_1365():
    """The same at 1365 keys (20 pairs)."""
    _CHURN[1365].run(20)


# name -> (function, operations per repetition)
WORKLOADS: dict[str, tuple[Callable[[], None], int]] = {
    "mixed": (mixed, 1),
    "insert_small_str": (insert_small_str, 8),
    "insert_small_int": (insert_small_int, 8),
    "insert_100": (insert_100, 2),
    "empty_and_one": (empty_and_one, 10),
    "display_8": (display_8, 10),
    "display_then_insert": (display_then_insert, 10),
    "copy_then_insert": (copy_then_insert, 2),
    "kwargs_calls": (kwargs_calls, 3),
    "lookup": (lookup, 200),
    "update_delete": (update_delete, 1),
    "instances": (instances, 10),
    "churn_5": (churn_5, 20),
    "churn_21": (churn_21, 20),
    "churn_682": (churn_682, 20),
    "churn_1365": (churn_1365, 20),
}


def main(argv: list[str]) -> int:
    if len(argv) == 1 and argv[0].isdigit():
        argv = ["mixed", argv[0]]
    if len(argv) != 2 or argv[0] not in WORKLOADS or not argv[1].isdigit():
        print("usage: instructions_workload.py WORKLOAD REPS\n  WORKLOAD: " + ", ".join(WORKLOADS),
              file=sys.stderr)
        return 2
    func = WORKLOADS[argv[0]][0]
    for _ in range(int(argv[1])):
        func()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
