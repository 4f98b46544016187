"""bench/bm_dict_memory/instruction_counts.py and the report's instruction table, with a
stand-in valgrind whose counts are known: the arithmetic, the JSON the bench script
writes, the error when valgrind is missing, and the ratios and geometric mean shown."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from scripts import results_layout as layout
from scripts.instructions import _COUNTS as counts
from scripts.views import instructions as instructions_view

BENCH_SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "bm_dict_memory" / "run_benchmark.py"


def fake_valgrind(folder: Path, per_rep: int, startup: int) -> Path:
    """A valgrind on PATH that prints callgrind's Collected line: startup + per_rep * REPS."""
    script = folder / "valgrind"
    script.write_text("#!/bin/sh\n"
                      "for last; do :; done\n"  # the last argument is REPS
                      f"echo \"==1== Collected : $(( {startup} + {per_rep} * last ))\" >&2\n")
    script.chmod(0o755)
    return folder


def test_per_operation_subtracts_start_up_and_divides_by_the_operations(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(fake_valgrind(tmp_path, per_rep=800, startup=5_000_000)))
    result = counts.measure(sys.executable, ["lookup", "churn_5"], 10)
    # lookup does 200 operations a repetition, churn_5 20: 800 / 200 and 800 / 20
    assert result["workloads"] == {"lookup": 4.0, "churn_5": 40.0}
    assert result["startup"] == 5_000_000 and result["reps"] == 10


def test_unknown_workload_is_refused_with_the_valid_names(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(fake_valgrind(tmp_path, 1, 1)))
    with pytest.raises(counts.CountError, match="valid: mixed"):
        counts.measure(sys.executable, ["nope"], 1)


def test_bench_script_writes_the_counts_as_json(tmp_path):
    bin_dir = fake_valgrind(tmp_path, per_rep=1_000, startup=7)
    out = tmp_path / "counts.json"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run([sys.executable, str(BENCH_SCRIPT), "--instructions-json", str(out),
                    "--instructions-reps", "5"], check=True, env=env, capture_output=True)
    data = json.loads(out.read_text())
    assert data["reps"] == 5 and data["startup"] == 7
    assert set(data["workloads"]) == set(counts.workloads())
    assert data["workloads"]["lookup"] == 1_000 / 200


def test_bench_script_without_valgrind_names_it_and_fails(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}  # no valgrind here
    proc = subprocess.run([sys.executable, str(BENCH_SCRIPT), "--instructions-json",
                           str(tmp_path / "x.json")], env=env, capture_output=True, text=True)
    assert proc.returncode == 1
    assert "valgrind is not installed" in proc.stderr
    assert not (tmp_path / "x.json").exists()


def test_report_table_gives_ratios_and_their_geometric_mean(tmp_path):
    for variant, lookup, churn in (("baseline", 300.0, 1000.0), ("tight_dict", 330.0, 1210.0)):
        folder = tmp_path / variant
        folder.mkdir()
        (folder / instructions_view.INSTRUCTIONS_FILE).write_text(json.dumps(
            {"reps": 200, "workloads": {"lookup": lookup, "churn_5": churn}}))
    frame = instructions_view.table(instructions_view.load(tmp_path, ["baseline", "tight_dict"]))
    assert frame.loc["lookup", "tight_dict"] == "330 (1.100×)"
    assert frame.loc["churn_5", "tight_dict"] == "1,210 (1.210×)"
    expected = math.sqrt(1.1 * 1.21)
    assert frame.loc["geometric mean of the ratios", "tight_dict"] == f"{expected:.3f}×"
    lines = instructions_view.section(tmp_path, ["baseline", "tight_dict"])
    assert lines[0].startswith("## dict_memory: instructions per operation")
    assert "(200 repetitions)" in lines[2]


def test_no_counts_no_section(tmp_path):
    (tmp_path / "baseline").mkdir()
    assert instructions_view.section(tmp_path, ["baseline"]) == []
    assert instructions_view.table(pd.DataFrame()).empty


def test_the_counts_file_is_not_read_as_pyperf():
    assert not layout.is_pyperf_file(Path("v") / instructions_view.INSTRUCTIONS_FILE)
    assert not layout.is_pyperf_file(Path("v") / layout.SIZES_FILE)
    assert layout.is_pyperf_file(Path("v") / "giltest.json")
