"""Memory workloads of bm_dict_memory, and the one-measurement child process.

Run as a script, this file is the child that run_benchmark.py's
``--memory-json`` mode spawns once per value:

    python dictmem_workloads.py WORKLOAD METER [CORPUS_PATH]

It measures WORKLOAD (one of WORKLOADS) once with METER ("tracemalloc",
"rss" or "sizeclass") and prints one JSON object on stdout: {"bytes": N, ...}.  It imports
nothing outside the standard library (not pyperf), so that the child stays
small and the same on every interpreter under test.

Everything here is deterministic: the JSON corpus comes from a seeded
random.Random, the other workloads from range().  Only the memory the
interpreter uses for the same objects changes between builds.
"""

import gc
import json
import os
import random
import sys
import sysconfig
import tracemalloc

METERS = ("tracemalloc", "rss", "sizeclass")

# The "sizeclass" meter: the blocks tracemalloc sees still alive after the workload,
# each rounded up to what the allocator hands out for it.  tracemalloc and getsizeof
# count requested bytes; pymalloc serves requests of up to 512 bytes from 16-byte
# size classes, and glibc malloc adds an 8-byte header, rounds to 16 and never gives
# less than 32 bytes (requests from 128 KiB are mmap'd whole pages).  So a dict table
# of 200 bytes costs 208, one of 520 bytes 528: the saving a smaller request makes is
# what survives this rounding.
PYMALLOC_MAX = 512
PYMALLOC_ALIGN = 16
MALLOC_HEADER = 8
MALLOC_ALIGN = 16
MALLOC_MIN_CHUNK = 32
MMAP_THRESHOLD = 128 * 1024
PAGE = 4096
SIZECLASS_RULE = ("pymalloc 16-byte classes up to 512 B; glibc malloc chunks above "
                  "(size + 8 rounded to 16, at least 32 B; pages from 128 KiB)")


def allocated_size(size):
    """Bytes the default allocators take for a request of `size` bytes (see SIZECLASS_RULE)."""
    if size <= PYMALLOC_MAX:
        return max(PYMALLOC_ALIGN, -(-size // PYMALLOC_ALIGN) * PYMALLOC_ALIGN)
    if size + MALLOC_HEADER >= MMAP_THRESHOLD:
        return -(-(size + 2 * MALLOC_HEADER) // PAGE) * PAGE
    return max(MALLOC_MIN_CHUNK, -(-(size + MALLOC_HEADER) // MALLOC_ALIGN) * MALLOC_ALIGN)


def sizeclass_unavailable_reason():
    """Why the size-class meter does not apply here (None when it does)."""
    if sysconfig.get_config_var("Py_GIL_DISABLED"):
        return "free-threaded build: objects come from mimalloc, whose size classes the rule does not model"
    if os.environ.get("PYTHONMALLOC"):
        return "PYTHONMALLOC=%s: not the default allocators" % os.environ["PYTHONMALLOC"]
    if not sysconfig.get_config_var("WITH_PYMALLOC"):
        return "built without pymalloc"
    if sys.platform == "win32" or sys.platform == "darwin":
        return "not glibc malloc: the rule above 512 B does not model this platform's allocator"
    return None

# --------------------------------------------------------------------------
# (1) JSON corpus: many small nested objects.

CORPUS_SEED = 20250613
CORPUS_RECORDS = 24_000          # ~4 MB of JSON text

_KEY_VOCAB = (
    "id", "name", "type", "status", "created", "updated", "tags", "owner",
    "email", "score", "count", "active", "title", "description", "url",
    "priority", "version", "region", "lang", "meta", "parent", "children",
    "size", "color", "price", "currency", "rating", "city", "country", "zip",
    "phone", "first_name", "last_name", "role", "group", "enabled", "flags",
    "source", "target", "kind", "label", "value", "unit", "timestamp",
)
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _scalar(rng):
    r = rng.random()
    if r < 0.35:
        return rng.randrange(-1000, 100_000)
    if r < 0.50:
        return round(rng.random() * 1000, 3)
    if r < 0.85:
        return "".join(rng.choice(_LETTERS) for _ in range(rng.randrange(3, 13)))
    if r < 0.95:
        return rng.random() < 0.5
    return None


def _value(rng, depth):
    r = rng.random()
    if depth < 2 and r < 0.12:
        # small nested object: 1-5 keys
        keys = rng.sample(_KEY_VOCAB, rng.randrange(1, 6))
        return {k: _value(rng, depth + 1) for k in keys}
    if depth < 2 and r < 0.22:
        # small list: 0-5 items
        return [_scalar(rng) for _ in range(rng.randrange(0, 6))]
    return _scalar(rng)


def make_corpus(records=CORPUS_RECORDS, seed=CORPUS_SEED):
    """Return the JSON text: a list of `records` objects with 3-12 str keys."""
    rng = random.Random(seed)
    data = []
    for _ in range(records):
        keys = rng.sample(_KEY_VOCAB, rng.randrange(3, 13))
        data.append({k: _value(rng, 0) for k in keys})
    return json.dumps(data, separators=(",", ":"))


def _setup_json_corpus(corpus_path):
    if corpus_path:
        with open(corpus_path, encoding="utf-8") as f:
            return f.read()
    return make_corpus()


def _run_json_corpus(text):
    return json.loads(text)


# --------------------------------------------------------------------------
# (2) 100k records as dicts with 6 str keys, built with a dict display.

RECORDS = 100_000
_GROUPS = ("admin", "staff", "guest", "owner")


def _setup_records(corpus_path):
    return RECORDS


def _run_records(n):
    out = []
    append = out.append
    groups = _GROUPS
    for i in range(n):
        append({
            "id": i,
            "name": "user%d" % i,
            "email": "user%d@example.org" % i,
            "age": 18 + i % 60,
            "group": groups[i & 3],
            "score": i * 0.5,
        })
    return out


# --------------------------------------------------------------------------
# (3) kwargs-heavy calls: 100k calls of a **kwargs function, 2/4/6/8
# keyword arguments in turn, every kwargs dict kept alive.

KWARGS_CALLS = 100_000


def _capture(**kwargs):
    return kwargs


def _setup_kwargs(corpus_path):
    return KWARGS_CALLS


def _run_kwargs(n):
    out = []
    append = out.append
    f = _capture
    for i in range(0, n, 4):
        append(f(id=i, mode="r"))
        append(f(id=i, mode="w", retries=3, timeout=None))
        append(f(id=i, mode="a", retries=3, timeout=1.5, verbose=False,
                 encoding="utf-8"))
        append(f(id=i, mode="x", retries=3, timeout=None, verbose=True,
                 encoding="ascii", errors="strict", newline=""))
    return out


# --------------------------------------------------------------------------
# (4) instances: 20,000 objects of a plain class with 10 attributes, filled
# by attribute assignment in __init__ or by self.__dict__.update(kw).  Their
# dicts share their class's keys (split tables, values inline), so a dict
# sizing must leave them as upstream has them: stored per instance.

INSTANCES = 20_000


class _BySetattr:
    def __init__(self, i):
        self.attr0 = i
        self.attr1 = i
        self.attr2 = i
        self.attr3 = i
        self.attr4 = i
        self.attr5 = i
        self.attr6 = i
        self.attr7 = i
        self.attr8 = i
        self.attr9 = i


class _ByUpdate:
    def __init__(self, kw):
        self.__dict__.update(kw)


def _setup_instances(corpus_path):
    return INSTANCES


def _run_instances_setattr(n):
    return [_BySetattr(i) for i in range(n)]


def _run_instances_update(n):
    names = ["attr%d" % k for k in range(10)]
    return [_ByUpdate(dict.fromkeys(names, i)) for i in range(n)]


# name -> (setup(corpus_path) -> arg, run(arg) -> result kept alive)
WORKLOADS = {
    "mem_json_corpus": (_setup_json_corpus, _run_json_corpus),
    "mem_records_100k": (_setup_records, _run_records),
    "mem_kwargs": (_setup_kwargs, _run_kwargs),
    "mem_instances_setattr": (_setup_instances, _run_instances_setattr),
    "mem_instances_update": (_setup_instances, _run_instances_update),
}

# Workloads whose value is bytes per object of the result (the measured bytes
# divided by len(result)) rather than bytes in all.
PER_OBJECT = frozenset({"mem_instances_setattr", "mem_instances_update"})


# --------------------------------------------------------------------------
# Meters.

STATM = "/proc/self/statm"
# What the "rss" meter reads on each platform: not the same quantity, so every value
# carries it in its metadata ("dict_memory_rss_meter") and reports name it.
RSS_METERS = {
    "linux": "resident set (/proc/self/statm)",
    "win32": "working set (GetProcessMemoryInfo)",
}


def rss_meter_name():
    """What the rss meter measures on this platform (None where it cannot run)."""
    key = "linux" if sys.platform.startswith("linux") else sys.platform
    return RSS_METERS.get(key)


def rss_unavailable_reason():
    """None if RSS can be read, else why not."""
    if sys.platform == "win32":
        return None
    if not sys.platform.startswith("linux"):
        return "RSS meter needs /proc/self/statm (Linux) or Windows; platform is %s" % sys.platform
    if not os.path.exists(STATM):
        return "RSS meter needs %s, which does not exist here" % STATM
    return None


def read_rss():
    """Resident bytes: /proc/self/statm's 2nd field on Linux, the working set on Windows.

    Windows' working set also counts shared pages a process has touched, and the
    system trims it under memory pressure; it is the nearest counterpart of Linux RSS,
    not the same number.
    """
    if sys.platform == "win32":
        return _windows_working_set()
    with open(STATM, "rb") as f:
        fields = f.read().split()
    return int(fields[1]) * os.sysconf("SC_PAGE_SIZE")


def _windows_working_set():
    import ctypes
    from ctypes import wintypes

    class Counters(ctypes.Structure):
        _fields_ = [("cb", wintypes.DWORD), ("PageFaultCount", wintypes.DWORD),
                    ("PeakWorkingSetSize", ctypes.c_size_t), ("WorkingSetSize", ctypes.c_size_t),
                    ("QuotaPeakPagedPoolUsage", ctypes.c_size_t), ("QuotaPagedPoolUsage", ctypes.c_size_t),
                    ("QuotaPeakNonPagedPoolUsage", ctypes.c_size_t), ("QuotaNonPagedPoolUsage", ctypes.c_size_t),
                    ("PagefileUsage", ctypes.c_size_t), ("PeakPagefileUsage", ctypes.c_size_t)]

    counters = Counters()
    counters.cb = ctypes.sizeof(Counters)
    psapi = ctypes.WinDLL("psapi")
    kernel32 = ctypes.WinDLL("kernel32")
    kernel32.GetCurrentProcess.restype = wintypes.HANDLE
    if not psapi.GetProcessMemoryInfo(kernel32.GetCurrentProcess(), ctypes.byref(counters), counters.cb):
        raise OSError(ctypes.get_last_error(), "GetProcessMemoryInfo failed")
    return counters.WorkingSetSize


def measure(workload, meter, corpus_path=None):
    """Measure one workload once in this process; return a dict for JSON."""
    setup, run = WORKLOADS[workload]
    arg = setup(corpus_path)
    gc.collect()
    if meter == "tracemalloc":
        tracemalloc.start()
        result = run(arg)
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        value = peak
        extra = {"retained": current}
    elif meter == "sizeclass":
        tracemalloc.start()
        result = run(arg)
        traces = tracemalloc.take_snapshot().traces
        tracemalloc.stop()
        value = sum(allocated_size(trace.size) for trace in traces)
        extra = {"requested": sum(trace.size for trace in traces), "blocks": len(traces),
                 "rule": SIZECLASS_RULE}
    elif meter == "rss":
        before = read_rss()
        result = run(arg)
        after = read_rss()
        value = after - before
        extra = {"rss_before": before, "rss_after": after, "rss_meter": rss_meter_name()}
    else:
        raise ValueError("unknown meter %r" % (meter,))
    if workload in PER_OBJECT:
        extra["total_bytes"] = value
        value = value // len(result)
    out = {"workload": workload, "meter": meter, "bytes": value,
           "objects": len(result), "per_object": workload in PER_OBJECT}
    out.update(extra)
    del result
    return out


def main(argv):
    if len(argv) not in (2, 3) or argv[0] not in WORKLOADS or argv[1] not in METERS:
        print("usage: %s WORKLOAD METER [CORPUS_PATH]\n  WORKLOAD: %s\n  METER: %s"
              % (os.path.basename(__file__), ", ".join(WORKLOADS), ", ".join(METERS)),
              file=sys.stderr)
        return 2
    if argv[1] in ("rss", "sizeclass"):
        reason = rss_unavailable_reason() if argv[1] == "rss" else sizeclass_unavailable_reason()
        if reason:
            print(reason, file=sys.stderr)
            return 3
    corpus_path = argv[2] if len(argv) == 3 else None
    print(json.dumps(measure(argv[0], argv[1], corpus_path)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
