"""bench/bm_dict_memory/run_benchmark.py: its three modes run and write valid
files.  Runs the script with sys.executable (which needs pyperf); checks
structure only, never a performance figure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pyperf = pytest.importorskip("pyperf")

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "bench" / "bm_dict_memory" / "run_benchmark.py"

MEMORY_NAMES = {
    "mem_json_corpus.tracemalloc", "mem_json_corpus.rss",
    "mem_records_100k.tracemalloc", "mem_records_100k.rss",
    "mem_kwargs.tracemalloc", "mem_kwargs.rss",
    "mem_json_corpus.sizeclass", "mem_records_100k.sizeclass", "mem_kwargs.sizeclass",
    "mem_instances_setattr.tracemalloc", "mem_instances_setattr.rss",
    "mem_instances_update.tracemalloc", "mem_instances_update.rss",
    "mem_instances_setattr.sizeclass", "mem_instances_update.sizeclass",
}
PER_INSTANCE = ("mem_instances_setattr", "mem_instances_update")


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True, text=True, timeout=timeout, cwd=str(SCRIPT.parent),
    )


def test_pyproject_names() -> None:
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        pytest.skip("tomllib needs Python 3.11")
    data = tomllib.loads((SCRIPT.parent / "pyproject.toml").read_text())
    assert data["project"]["name"] == "pyperformance_bm_dict_memory"
    assert data["tool"]["pyperformance"]["name"] == "dict_memory"


def test_sizes_json(tmp_path: Path) -> None:
    out = tmp_path / "sizes.json"
    proc = run("--sizes-json", str(out))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    assert report["meter"] == "sys.getsizeof"
    assert report["python"] == report["python"].strip() and report["python"]
    constructions = report["constructions"]
    assert {"insertion", "comprehension", "literal", "dict_zip", "copy"} <= set(constructions)
    rows = report["rows"]
    assert len(rows) == 101 * 2 * len(constructions)
    keys = {(r["n"], r["keys"], r["built_by"]) for r in rows}
    assert len(keys) == len(rows)
    assert {r["n"] for r in rows} == set(range(101))
    assert {r["keys"] for r in rows} == {"int", "str"}
    assert all(isinstance(r["bytes"], int) and r["bytes"] > 0 for r in rows)
    for kind in ("int", "str"):
        ins = sorted((r["n"], r["bytes"]) for r in rows
                     if r["keys"] == kind and r["built_by"] == "insertion")
        sizes = [b for _, b in ins]
        assert sizes == sorted(sizes), f"insertion sizes for {kind} keys decrease"


def test_sizes_table() -> None:
    proc = run("--sizes-table")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert any(line.split()[:1] == ["n"] for line in lines)
    assert sum(1 for line in lines if line.split()[:1] and line.split()[0].isdigit()) == 101


def tiny_speed_run(tmp_path: Path, select: str) -> pyperf.BenchmarkSuite:
    """One process, one value, no warmup, one loop of the selected speed benchmarks."""
    out = tmp_path / "speed.json"
    proc = run("--processes", "1", "--values", "1", "--warmups", "0", "--loops", "1",
               "--select", select, "-o", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return pyperf.BenchmarkSuite.load(str(out))


def test_speed_tiny(tmp_path: Path) -> None:
    suite = tiny_speed_run(tmp_path, "dict_lookup_hit")
    assert suite.get_benchmark_names() == ["dict_lookup_hit"]
    bench = suite.get_benchmark("dict_lookup_hit")
    assert bench.get_unit() == "second"
    assert bench.get_nvalue() == 1


def test_memory_json(tmp_path: Path) -> None:
    out = tmp_path / "memory.json"
    proc = run("--memory-json", str(out), "--memory-processes", "1")
    assert proc.returncode == 0, proc.stderr
    suite = pyperf.BenchmarkSuite.load(str(out))
    names = set(suite.get_benchmark_names())
    expected = {n for n in MEMORY_NAMES
                if not (n.endswith(".rss") and "RSS benchmarks skipped" in proc.stderr)
                and not (n.endswith(".sizeclass") and "sizeclass benchmarks skipped" in proc.stderr)}
    assert names == expected
    for bench in suite.get_benchmarks():
        assert bench.get_unit() == "byte"
        assert bench.get_nrun() == 1
        if bench.get_name().endswith(".rss"):  # which OS quantity it is travels with the value
            meter = bench.get_runs()[0].get_metadata()["dict_memory_rss_meter"]
            assert meter == ("working set (GetProcessMemoryInfo)" if sys.platform == "win32"
                             else "resident set (/proc/self/statm)")
        values = bench.get_values()
        assert len(values) == 1 and values[0] > 0
        metadata = bench.get_runs()[0].get_metadata()
        per_instance = bench.get_name().split(".")[0] in PER_INSTANCE
        assert metadata["dict_memory_per_object"] is per_instance
        if per_instance and bench.get_name().endswith(".tracemalloc"):
            # an instance with 10 attributes takes more than its object header
            # and less than a kilobyte
            assert 48 < values[0] < 1024, values[0]
    show = subprocess.run([sys.executable, "-m", "pyperf", "show", str(out)],
                          capture_output=True, text=True, timeout=60)
    assert show.returncode == 0, show.stderr


def test_select_unknown_exits_2() -> None:
    proc = run("--select", "nope")
    assert proc.returncode == 2
    assert "dict_lookup_hit" in proc.stderr  # lists the valid names
    proc = run("--memory-json", "unused.json", "--select", "nope")
    assert proc.returncode == 2
    assert "mem_kwargs" in proc.stderr
    assert not (SCRIPT.parent / "unused.json").exists()


def test_list() -> None:
    proc = run("--list")
    assert proc.returncode == 0, proc.stderr
    for name in ("dict_create_empty", "dict_delete_100", "dict_churn_5", "dict_churn_5462", *MEMORY_NAMES):
        assert name in proc.stdout


def _workloads():
    import importlib.util

    spec = importlib.util.spec_from_file_location("dictmem_workloads_t", SCRIPT.parent / "dictmem_workloads.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("requested", "allocated"), [
    (0, 16), (1, 16), (16, 16), (17, 32), (200, 208), (512, 512),  # pymalloc's 16-byte classes
    (513, 528), (520, 528), (1000, 1008), (1016, 1024),  # glibc: size + 8 header, rounded to 16
    (200_000, 200_704),  # mmap'd: whole pages, with the 16-byte chunk header
])
def test_allocated_size_follows_the_size_classes(requested, allocated):
    assert _workloads().allocated_size(requested) == allocated


def test_sizeclass_meter_counts_rounded_live_blocks():
    """Every live block rounds up: the meter is at least the requested bytes, and says how many blocks."""
    wl = _workloads()
    if wl.sizeclass_unavailable_reason():
        pytest.skip(wl.sizeclass_unavailable_reason())
    out = wl.measure("mem_kwargs", "sizeclass")
    assert out["bytes"] >= out["requested"] > 0 and out["blocks"] > 1000
    assert out["bytes"] - out["requested"] < 16 * out["blocks"] + 4096  # at most a class (or a page) per block


def _module():
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import run_benchmark
    finally:
        sys.path.pop(0)
    return run_benchmark


def test_churn_sizes_bracket_every_threshold() -> None:
    module = _module()
    sizes = module.CHURN_SIZES
    thresholds = [s * 2 // 3 for s in (8 << k for k in range(12)) if 5 <= s * 2 // 3 <= 10_000]
    assert thresholds[0] == 5 and thresholds[-1] == 5461
    for full in thresholds:
        assert full in sizes and full + 1 in sizes
    assert len(sizes) == 2 * len(thresholds)
    for n in sizes:
        assert f"dict_churn_{n}" in module.SPEED_BENCHMARKS


def test_churn_keeps_size() -> None:
    churn = _module()._Churn(682)
    churn.ops(1000)
    assert len(churn.d) == 682
    assert list(churn.d)[0] == 1000 and list(churn.d)[-1] == 1681


def test_speed_churn_tiny(tmp_path: Path) -> None:
    suite = tiny_speed_run(tmp_path, "dict_churn_5,dict_churn_683")
    assert suite.get_benchmark_names() == ["dict_churn_5", "dict_churn_683"]
    for bench in suite.get_benchmarks():
        assert bench.get_unit() == "second"
