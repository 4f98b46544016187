"""bm_dict_memory: how much memory dicts take, and how fast the basic dict
operations are, so that a change of dict sizing (such as a "tight" memory
preset) can be judged on both at once.

What is measured, with which meter
----------------------------------
(a) Size table (``--sizes-json PATH`` / ``--sizes-table``).  Meter:
    ``sys.getsizeof`` (dict object + its keys/values table, plus the GC
    header; NOT the keys and values themselves).  Dicts of n = 0..100 items,
    int keys (0..n-1) and str keys ("key0".. ), built five ways:
      insertion      d = {}; d[k] = v in a loop
      comprehension  {k: v for k, v in zip(keys, values)}
      literal        eval() of a generated dict display "{k0: 0, k1: 1, ...}"
                     (the compiler decides how: in 3.13 up to 16 pairs are
                     one presized BUILD_CONST_KEY_MAP; longer displays add
                     pairs one by one and merge a presized last chunk)
      dict_zip       dict(zip(keys, values)) (3.13: inserts pair by pair)
      copy           d.copy() of the insertion-built dict (3.13: clones the
                     keys table when dense, else rebuilds presized)
    Deterministic, so it is a plain JSON file, not a pyperf timing:
    {"meter": "sys.getsizeof", "python": sys.version, "rows": [{"n", "keys",
    "built_by", "bytes"}, ...]}.  These modes never start pyperf's Runner.

(b) Peak memory of five realistic workloads (``--memory-json PATH``),
    stored in a pyperf JSON file with unit "byte":
      mem_json_corpus   json.loads of a ~4.6 MB JSON text of 24,000 small
                        objects with 3-12 str keys, some nested dicts/lists
                        (made by a seeded random.Random, see
                        dictmem_workloads.py; made once per run by the
                        parent and read by each child before measuring)
      mem_records_100k  a list of 100,000 dicts with 6 str keys, each built
                        by a dict display
      mem_kwargs        100,000 calls of f(**kwargs) with 2/4/6/8 keyword
                        arguments in turn, every kwargs dict kept in a list
      mem_instances_setattr  20,000 instances of a class with 10 attributes
                        set by assignment in __init__; BYTES PER INSTANCE
      mem_instances_update   the same filled by self.__dict__.update(kw);
                        bytes per instance (their dicts share the class's
                        keys, as upstream; metadata dict_memory_per_object)
    Three meters, one benchmark each (<workload>.tracemalloc, <workload>.rss,
    <workload>.sizeclass):
      tracemalloc  tracemalloc.start(); run; get_traced_memory()[1]: the
                   peak of Python-level allocations during the workload.
                   Counts only memory requested through Python's
                   allocators while tracing: not allocator overhead or
                   fragmentation, not objects reused from free lists.
      rss          resident bytes after minus before the workload, results
                   still alive: what the OS sees (includes arena/pool
                   slack; page granular; NOT a peak).  Linux: resident
                   pages of /proc/self/statm.  Windows: the working set
                   (GetProcessMemoryInfo), which also counts touched
                   shared pages and can be trimmed by the system: a
                   different quantity, named in each value's metadata
                   ("dict_memory_rss_meter").  Skipped elsewhere, with the
                   reason printed and stored in the tracemalloc runs'
                   metadata ("dict_memory_rss_skipped").
    How bytes are stored: every value comes from a fresh child process
    (``python dictmem_workloads.py WORKLOAD METER CORPUS``, PYTHONHASHSEED=0)
    that measures once and prints the bytes; the parent makes one
    ``pyperf.Run([bytes], metadata={"name": ..., "unit": "byte", ...})`` per
    child (runs carry pyperf's usual collected metadata: python version,
    executable, cpu...), groups them in ``pyperf.Benchmark`` objects and
    dumps one ``pyperf.BenchmarkSuite`` -- the same "unit": "byte" run
    metadata that pyperf's own ``--track-memory`` writes, so ``python -m
    pyperf show/stats/compare_to`` read and format the files as sizes.
    No warmups, loops = 1.  ``--memory-processes N`` (default 6) children
    per benchmark.  pyperf requires values > 0: a workload whose RSS does
    not grow is an error, not a zero.
      sizeclass    the blocks tracemalloc sees alive after the workload
                   (results still alive: NOT a peak), each rounded up to
                   the allocator's size: pymalloc's 16-byte classes up to
                   512 bytes, glibc malloc's chunks above (size + 8 rounded
                   to 16, at least 32; pages from 128 KiB).  Requested
                   bytes overstate nothing, but a saving smaller than a
                   size class is no saving: this meter shows what survives.
                   Stored beside it: the requested bytes and the block
                   count.  Skipped (with the reason in the tracemalloc
                   runs' metadata, "dict_memory_sizeclass_skipped") on
                   free-threaded builds (mimalloc), with PYTHONMALLOC set,
                   without pymalloc, and off glibc.
    Not measured: peak RSS (ru_maxrss is a lifetime high-water mark and too
    coarse), memory of other processes, time.

(d) Instructions per operation (``--instructions-json PATH``).  Meter:
    callgrind's instruction count (valgrind --tool=callgrind), which this
    machine's timing noise does not move.  Each workload of
    instructions_workload.py (small dicts by insertion, displays followed
    by one more key, copies, kwargs calls, lookups, instance dicts, churn
    at a steady size; see its WORKLOADS table) runs under callgrind with
    ``--instructions-reps N`` repetitions (default 200) and with none; the
    difference over the operations done is the figure (start-up and setup
    subtracted).  Deterministic, so a plain JSON file: {"meter", "reps",
    "startup", "workloads": {name: instructions per operation}, "python",
    "executable"}.  Needs valgrind; an error names it when it is missing.
    Not measured: time, cache misses, branch mispredictions.

(c) Speed of dict operations (default mode; pyperf timings, one Runner,
    ``bench_time_func``; the value is time per operation as defined below).
    Straight-line code is generated with exec() so that loop overhead is one
    call per many operations; constant keys are compiled in:
      dict_create_empty      one ``x = {}`` (100 per call)
      dict_create_literal_8  one ``x = {8 const str keys: local values}``
                             (20 per call)
      dict_insert_100        d = {} then 100 ``d[<int const>] = v``, and its
                             deallocation; one op = the whole dict
      dict_insert_100_str    the same with 100 str keys
      dict_lookup_hit        one ``key in d``, key present, 100-str-key dict
                             built by insertion (100 per call)
      dict_lookup_miss       one ``key in d``, key absent, same dict
                             (100 per call)
      dict_iterate_100       one ``for k, v in d.items(): pass`` over 100
                             int keys
      dict_copy_100          one d.copy() of a 100-int-key dict (+ its free)
      dict_update_100        d = {-1: -1}; d.update(src) with 100 int keys
                             (one resize + 100 inserts), and its free
      dict_delete_100        100 ``del d[<int const>]`` emptying a 100-key
                             dict; the dicts are copied outside the timer
                             in batches of 200
      dict_churn_<n>         one ``del d[oldest]; d[new] = None`` pair on a
                             dict kept at n int keys (100 pairs per call,
                             the dict carried on between calls), for n on
                             both sides of every resize threshold from 5 to
                             10,000 items (5, 6, 10, 11, ... 5461, 5462):
                             a steady-size cache or sliding window
    ``--select NAME[,NAME]`` (unknown name: exit 2 with the valid names),
    ``--list``; all pyperf Runner options work (``--fast``, ``-o``, ...).
    Not measured: memory (see (b)), multi-threaded contention.

Durations measured with the baseline 3.13.5 build (venv, pyperf 2.10.0) on
2 cores shared with other jobs (load average ~4):
  --sizes-json / --sizes-table   0.15 s
  --memory-json (default 6)      16 s   (36 children + 1 s corpus generation)
  --memory-json --memory-processes 1   ~4 s
  --instructions-json            55 s (17 callgrind runs of about 3 s)
  speed, --fast                  86 s
  speed, default                 209 s
Also run on the 3.13.5 free-threaded build and on Python 3.11.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import dictmem_workloads  # noqa: E402
import instruction_counts  # noqa: E402

WORKER_SCRIPT = os.path.join(HERE, "dictmem_workloads.py")

# ==========================================================================
# (a) size table

SIZE_N_MAX = 100
KEY_TYPES = ("int", "str")
CONSTRUCTIONS = ("insertion", "comprehension", "literal", "dict_zip", "copy")


def _keys(kind, n):
    if kind == "int":
        return list(range(n))
    return ["key%d" % i for i in range(n)]


def _build(built_by, keys):
    values = list(range(len(keys)))
    if built_by in ("insertion", "copy"):
        d = {}
        for k, v in zip(keys, values):
            d[k] = v
        return d.copy() if built_by == "copy" else d
    if built_by == "comprehension":
        return {k: v for k, v in zip(keys, values)}
    if built_by == "literal":
        src = "{" + ", ".join("%r: %d" % (k, v) for k, v in zip(keys, values)) + "}"
        return eval(src)
    if built_by == "dict_zip":
        return dict(zip(keys, values))
    raise ValueError(built_by)


def size_rows(n_max=SIZE_N_MAX):
    rows = []
    for n in range(n_max + 1):
        for kind in KEY_TYPES:
            keys = _keys(kind, n)
            for built_by in CONSTRUCTIONS:
                d = _build(built_by, keys)
                assert len(d) == n
                rows.append({"n": n, "keys": kind, "built_by": built_by,
                             "bytes": sys.getsizeof(d)})
    return rows


def size_report():
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    return {
        "meter": "sys.getsizeof",
        "python": sys.version,
        "implementation": sys.implementation.name,
        "executable": sys.executable,
        "gil_enabled": gil,
        "key_types": list(KEY_TYPES),
        "constructions": list(CONSTRUCTIONS),
        "rows": size_rows(),
    }


def format_size_table(report):
    cols = [(k, b) for k in KEY_TYPES for b in CONSTRUCTIONS]
    by = {(r["n"], r["keys"], r["built_by"]): r["bytes"] for r in report["rows"]}
    ns = sorted({r["n"] for r in report["rows"]})
    abbrev = {"insertion": "ins", "comprehension": "comp", "literal": "lit",
              "dict_zip": "zip", "copy": "copy"}
    heads = ["%s/%s" % (k, abbrev[b]) for k, b in cols]
    width = max(9, max(len(h) for h in heads) + 1)
    lines = ["sys.getsizeof(dict) in bytes -- %s" % report["python"].split()[0],
             "ins=insertion comp=comprehension lit=eval(dict display) "
             "zip=dict(zip(keys, values)) copy=copy of ins",
             "%4s" % "n" + "".join(h.rjust(width) for h in heads)]
    for n in ns:
        lines.append("%4d" % n + "".join(
            str(by[(n, k, b)]).rjust(width) for k, b in cols))
    return "\n".join(lines)


# ==========================================================================
# (b) memory workloads, one child process per value

MEMORY_PROCESSES = 6
MEMORY_WORKLOADS = tuple(dictmem_workloads.WORKLOADS)


def _run_child(workload, meter, corpus_path):
    cmd = [sys.executable, WORKER_SCRIPT, workload, meter]
    if corpus_path:
        cmd.append(corpus_path)
    env = dict(os.environ, PYTHONHASHSEED="0")
    start = time.monotonic()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, env=env)
    if proc.returncode:
        raise RuntimeError("memory child %s %s failed (exit %s): %s"
                           % (workload, meter, proc.returncode,
                              proc.stderr.strip()))
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["duration"] = time.monotonic() - start
    if result["bytes"] <= 0:
        raise RuntimeError("memory child %s %s measured %s bytes; pyperf needs"
                           " values > 0" % (workload, meter, result["bytes"]))
    return result


# Metadata pyperf collects that describe the collecting (parent) process or
# moment rather than the measurement; each run gets its own date/duration.
_DROP_METADATA = ("date", "duration", "uptime", "mem_max_rss",
                  "load_avg_1min", "runnable_threads")


def _common_metadata(pyperf):
    """pyperf's usual metadata (python, cpu, platform...), collected once."""
    metadata = dict(pyperf.Run([1.0], collect_metadata=True).get_metadata())
    for key in _DROP_METADATA:
        metadata.pop(key, None)
    return metadata


def run_memory(path, processes, workloads, verbose=True):
    import datetime
    import pyperf

    start = time.monotonic()
    rss_skip = dictmem_workloads.rss_unavailable_reason()
    sizeclass_skip = dictmem_workloads.sizeclass_unavailable_reason()
    meters = ["tracemalloc"] + ([] if rss_skip else ["rss"]) + ([] if sizeclass_skip else ["sizeclass"])
    if rss_skip:
        print("dict_memory: RSS benchmarks skipped: %s" % rss_skip,
              file=sys.stderr)
    if sizeclass_skip:
        print("dict_memory: sizeclass benchmarks skipped: %s" % sizeclass_skip,
              file=sys.stderr)

    tmpdir = tempfile.mkdtemp(prefix="bm_dict_memory_")
    corpus_path = None
    corpus_bytes = 0
    try:
        if "mem_json_corpus" in workloads:
            corpus_path = os.path.join(tmpdir, "corpus.json")
            text = dictmem_workloads.make_corpus()
            corpus_bytes = len(text)
            with open(corpus_path, "w", encoding="utf-8") as f:
                f.write(text)
            del text

        common = _common_metadata(pyperf)
        benchmarks = []
        for workload in workloads:
            for meter in meters:
                name = "%s.%s" % (workload, meter)
                bench = None
                for _ in range(processes):
                    date = datetime.datetime.now().isoformat(" ")
                    res = _run_child(workload, meter, corpus_path)
                    metadata = dict(common)
                    metadata.update({
                        "name": name,
                        "date": date,
                        "duration": res["duration"],
                        "unit": "byte",
                        "loops": 1,
                        "description": "dict_memory: %s measured with %s in a"
                                       " fresh process%s" % (
                                           workload, meter,
                                           ", bytes per object" if res["per_object"] else ""),
                        "dict_memory_meter": meter,
                        "dict_memory_workload": workload,
                        "dict_memory_objects": res["objects"],
                        "dict_memory_per_object": res["per_object"],
                        "python_hash_seed": 0,
                    })
                    if meter == "tracemalloc":
                        metadata["dict_memory_retained"] = res["retained"]
                        if rss_skip:
                            metadata["dict_memory_rss_skipped"] = rss_skip
                        if sizeclass_skip:
                            metadata["dict_memory_sizeclass_skipped"] = sizeclass_skip
                    elif meter == "sizeclass":
                        metadata["dict_memory_requested"] = res["requested"]
                        metadata["dict_memory_blocks"] = res["blocks"]
                        metadata["dict_memory_sizeclass_rule"] = res["rule"]
                    else:
                        metadata["dict_memory_rss_before"] = res["rss_before"]
                        metadata["dict_memory_rss_meter"] = res["rss_meter"]
                    if workload == "mem_json_corpus":
                        metadata["dict_memory_corpus_bytes"] = corpus_bytes
                    run = pyperf.Run([res["bytes"]], metadata=metadata,
                                     collect_metadata=False)
                    if bench is None:
                        bench = pyperf.Benchmark([run])
                    else:
                        bench.add_run(run)
                    if verbose:
                        print("%s: %s bytes" % (name, res["bytes"]),
                              file=sys.stderr)
                benchmarks.append(bench)
    finally:
        if corpus_path and os.path.exists(corpus_path):
            os.unlink(corpus_path)
        os.rmdir(tmpdir)

    suite = pyperf.BenchmarkSuite(benchmarks)
    suite.dump(path, replace=True)
    if verbose:
        print("dict_memory: wrote %d benchmarks (unit byte) to %s in %.1f s"
              % (len(benchmarks), path, time.monotonic() - start),
              file=sys.stderr)
    return suite


# ==========================================================================
# (c) speed microbenchmarks


def _compile(name, params, body):
    src = "def %s(%s):\n%s" % (name, params,
                               "".join("    %s\n" % line for line in body))
    ns = {}
    exec(src, ns)
    return ns[name]


INT_KEYS = list(range(100))
STR_KEYS = ["key%d" % i for i in range(100)]
MISS_KEYS = ["miss%d" % i for i in range(100)]
LITERAL_8_KEYS = ["id", "name", "type", "status", "owner", "score",
                  "active", "tags"]


def _inserted(keys):
    d = {}
    for i, k in enumerate(keys):
        d[k] = i
    return d


def _time_calls(loops, func, *args):
    """Call func(*args) `loops` times; return the elapsed time."""
    rng = range(loops)
    t0 = time.perf_counter()
    for _ in rng:
        func(*args)
    return time.perf_counter() - t0


# One call of each generated function performs `inner` operations.

def _setup_create_empty():
    f = _compile("create_empty", "", ["x = {}"] * 100)
    return 100, (f,)


def _setup_create_literal_8():
    lit = "{" + ", ".join("%r: %s" % (k, v) for k, v in
                          zip(LITERAL_8_KEYS, "abcdefgh")) + "}"
    f = _compile("create_literal_8", "a, b, c, d, e, f, g, h",
                 ["x = " + lit] * 20)
    return 20, (f, 1, "x", None, True, 2.5, 3, False, ())


def _setup_insert(keys):
    body = ["d = {}"] + ["d[%r] = v" % k for k in keys]
    return 1, (_compile("insert_100", "v", body), None)


def _setup_lookup(keys):
    d = _inserted(STR_KEYS)
    body = ["%r in d" % k for k in keys]
    return 100, (_compile("lookup", "d", body), d)


def _setup_iterate():
    def iterate(d):
        for k, v in d.items():
            pass
    return 1, (iterate, _inserted(INT_KEYS))


def _setup_copy():
    def copy(d):
        d.copy()
    return 1, (copy, _inserted(INT_KEYS))


def _setup_update():
    def update(src):
        d = {-1: -1}
        d.update(src)
    return 1, (update, _inserted(INT_KEYS))


DELETE_BATCH = 200


def _time_delete(loops, func, base):
    total = 0.0
    remaining = loops
    perf_counter = time.perf_counter
    while remaining > 0:
        n = min(remaining, DELETE_BATCH)
        dicts = [base.copy() for _ in range(n)]
        t0 = perf_counter()
        for d in dicts:
            func(d)
        total += perf_counter() - t0
        remaining -= n
        del dicts
    return total


def _setup_delete():
    f = _compile("delete_100", "d", ["del d[%r]" % k for k in INT_KEYS])
    return 1, (f, _inserted(INT_KEYS))


def _churn_sizes(low=5, high=10_000):
    """Sizes on both sides of every resize threshold from `low` to `high` items.

    The thresholds are the sizes at which an index table of 8, 16, ... slots is
    full at upstream's maximum load (2/3): 5, 10, 21, ... 5461.  Each gives two
    sizes: the full table and one item more.
    """
    sizes = []
    slots = 8
    while slots * 2 // 3 <= high:
        full = slots * 2 // 3
        if full >= low:
            sizes += [full, full + 1]
        slots *= 2
    return tuple(sizes)


CHURN_SIZES = _churn_sizes()
CHURN_OPS = 100


class _Churn:
    """A dict kept at `size` int keys: delete the oldest key, insert a new one."""

    def __init__(self, size):
        self.d = _inserted(range(size))
        self.size = size
        self.next = size

    def ops(self, count):
        d = self.d
        size = self.size
        start = self.next
        for i in range(start, start + count):
            del d[i - size]
            d[i] = None
        self.next = start + count


def _time_churn(loops, churn):
    """`loops` calls of CHURN_OPS delete-oldest/insert-new pairs."""
    ops = churn.ops
    t0 = time.perf_counter()
    for _ in range(loops):
        ops(CHURN_OPS)
    return time.perf_counter() - t0


def _setup_churn(size):
    return CHURN_OPS, (_Churn(size),)


# name -> (setup() -> (inner_loops, args), time function(loops, *args))
SPEED_BENCHMARKS = {
    "dict_create_empty": (_setup_create_empty, _time_calls),
    "dict_create_literal_8": (_setup_create_literal_8, _time_calls),
    "dict_insert_100": (lambda: _setup_insert(INT_KEYS), _time_calls),
    "dict_insert_100_str": (lambda: _setup_insert(STR_KEYS), _time_calls),
    "dict_lookup_hit": (lambda: _setup_lookup(STR_KEYS), _time_calls),
    "dict_lookup_miss": (lambda: _setup_lookup(MISS_KEYS), _time_calls),
    "dict_iterate_100": (_setup_iterate, _time_calls),
    "dict_copy_100": (_setup_copy, _time_calls),
    "dict_update_100": (_setup_update, _time_calls),
    "dict_delete_100": (_setup_delete, _time_delete),
}
SPEED_BENCHMARKS.update(
    ("dict_churn_%d" % n, (lambda n=n: _setup_churn(n), _time_churn))
    for n in CHURN_SIZES)


# ==========================================================================
# command line


def _parse_names(text, valid, error):
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in valid]
    if unknown or not names:
        error("unknown benchmark name(s) for --select: %s; valid names: %s"
              % (", ".join(unknown) or repr(text), ", ".join(valid)))
    return names


def _add_options(parser):
    group = parser.add_argument_group("dict_memory")
    group.add_argument("--select", metavar="NAME[,NAME...]",
                       help="run only these benchmarks (speed names, or"
                            " mem_* workload names with --memory-json)")
    group.add_argument("--list", action="store_true",
                       help="list the benchmark names and exit")
    group.add_argument("--sizes-json", metavar="PATH",
                       help="write the sys.getsizeof table as JSON and exit")
    group.add_argument("--sizes-table", action="store_true",
                       help="print the sys.getsizeof table and exit")
    group.add_argument("--memory-json", metavar="PATH",
                       help="measure the memory workloads in fresh processes"
                            " and write a pyperf JSON file (unit byte)")
    group.add_argument("--instructions-json", metavar="PATH",
                       help="count callgrind instructions per operation of the"
                            " workloads of instructions_workload.py on this"
                            " interpreter and write them as JSON (needs valgrind)")
    group.add_argument("--instructions-reps", metavar="N", type=int,
                       default=instruction_counts.DEFAULT_REPS,
                       help="repetitions of each instruction-count workload"
                            " (default %d)" % instruction_counts.DEFAULT_REPS)
    group.add_argument("--memory-processes", metavar="N", type=int,
                       default=MEMORY_PROCESSES,
                       help="processes (values) per memory benchmark"
                            " (default %d)" % MEMORY_PROCESSES)


def _list_names():
    print("speed benchmarks (default mode, pyperf timings):")
    for name in SPEED_BENCHMARKS:
        print("  " + name)
    print("memory benchmarks (--memory-json, unit byte):")
    for workload in MEMORY_WORKLOADS:
        for meter in dictmem_workloads.METERS:
            print("  %s.%s" % (workload, meter))
    print("size table (--sizes-json/--sizes-table): n=0..%d x keys %s x %s"
          % (SIZE_N_MAX, "/".join(KEY_TYPES), "/".join(CONSTRUCTIONS)))


def _mode_main(argv):
    """Handle --list and the non-pyperf modes; None if none was asked for."""
    parser = argparse.ArgumentParser(
        prog=os.path.basename(sys.argv[0]), allow_abbrev=False, add_help=False,
        description="bm_dict_memory (size table / memory modes)")
    _add_options(parser)
    args, rest = parser.parse_known_args(argv)
    if not (args.list or args.sizes_json or args.sizes_table
            or args.memory_json or args.instructions_json):
        return None
    if rest and not args.list:
        parser.error("unrecognized arguments for this mode: %s"
                     % " ".join(rest))
    if args.list:
        _list_names()
        return 0
    if args.instructions_json:
        if args.instructions_reps < 1:
            parser.error("--instructions-reps must be >= 1")
        return instruction_counts.main_json(args.instructions_json,
                                            args.instructions_reps)
    if args.sizes_json or args.sizes_table:
        report = size_report()
        if args.sizes_json:
            with open(args.sizes_json, "w", encoding="utf-8") as f:
                json.dump(report, f, indent=1)
                f.write("\n")
        if args.sizes_table:
            try:
                print(format_size_table(report), flush=True)
            except BrokenPipeError:  # e.g. piped into head
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if args.memory_json:
        if args.memory_processes < 1:
            parser.error("--memory-processes must be >= 1")
        workloads = MEMORY_WORKLOADS
        if args.select:
            workloads = _parse_names(args.select, MEMORY_WORKLOADS,
                                     parser.error)
        run_memory(args.memory_json, args.memory_processes, workloads)
    return 0


def _add_worker_args(cmd, args):
    if args.select:
        cmd.extend(("--select", args.select))


def main(argv=None):
    if argv is None:
        argv = sys.argv[1:]
    status = _mode_main(argv)
    if status is not None:
        return status

    import pyperf

    runner = pyperf.Runner(add_cmdline_args=_add_worker_args)
    runner.metadata["description"] = "dict operation speed (bm_dict_memory)"
    _add_options(runner.argparser)
    args = runner.parse_args(argv)
    names = list(SPEED_BENCHMARKS)
    if args.select:
        names = _parse_names(args.select, names, runner.argparser.error)
    for name in names:
        setup, time_func = SPEED_BENCHMARKS[name]
        inner_loops, bench_args = setup()
        runner.bench_time_func(name, time_func, *bench_args,
                               inner_loops=inner_loops)
    return 0


if __name__ == "__main__":
    sys.exit(main())
