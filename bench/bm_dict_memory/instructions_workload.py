"""A dict-heavy loop for instruction counts, which do not depend on machine noise.

What is measured: the instructions the interpreter executes for REPS rounds of the
dict_memory speed operations on dicts of 1..100 items (insertion with int and str
keys, copy, dict(), lookups, iteration, an 8-key display, update, deletion).
Not measured: time, cache misses, memory.

Run it under callgrind twice, with REPS and with 0, and subtract (the difference
removes interpreter start-up):

    valgrind --tool=callgrind --callgrind-out-file=/dev/null PYTHON -S instructions_workload.py 200
    valgrind --tool=callgrind --callgrind-out-file=/dev/null PYTHON -S instructions_workload.py 0

The "Collected" line of each is the instruction count. The
README's dict section compares presets with this file; its counts are not part of a results run.
"""

import sys

INT_KEYS = list(range(100))
STR_KEYS = ["key%d" % i for i in range(100)]
SIZES = (1, 3, 5, 8, 12, 20, 40, 100)


def inserted(keys):
    d = {}
    for k in keys:
        d[k] = None
    return d


def one_round():
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


def main(reps):
    for _ in range(reps):
        one_round()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
