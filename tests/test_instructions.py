"""scripts/instructions.py: the callgrind instruction-count command's parsing and arithmetic
(valgrind itself is not run here)."""

from __future__ import annotations

import importlib.util
import math

import pytest

from scripts import instructions
from scripts.errors import UsageError


def _workload_module():
    spec = importlib.util.spec_from_file_location("instructions_workload", instructions.WORKLOAD_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_workload_table_matches_the_script() -> None:
    module = _workload_module()
    assert instructions.workloads() == {name: ops for name, (_, ops) in module.WORKLOADS.items()}
    assert {"mixed", "insert_small_str", "churn_682", "instances"} <= set(module.WORKLOADS)


def test_every_workload_runs_once() -> None:
    module = _workload_module()
    for name in module.WORKLOADS:
        assert module.main([name, "1"]) == 0
    assert module.main(["nope", "1"]) == 2
    assert module.main(["3"]) == 0  # the old form: REPS of "mixed"


def test_select_workloads() -> None:
    assert instructions.select_workloads("") == list(instructions.workloads())
    assert instructions.select_workloads("lookup, churn_5") == ["lookup", "churn_5"]
    with pytest.raises(UsageError, match="valid: mixed"):
        instructions.select_workloads("lookup,nope")


def test_parse_collected() -> None:
    assert instructions.parse_collected("==1== Events    : Ir\n==1== Collected : 123456789\n") == 123456789
    with pytest.raises(Exception, match="Collected"):
        instructions.parse_collected("no such line")


def test_per_operation_and_geomean() -> None:
    assert instructions.per_operation(10_000, 2_000, 100, 8) == 10.0
    with pytest.raises(ValueError):
        instructions.per_operation(1, 0, 0, 1)
    assert math.isclose(instructions.geomean([2.0, 0.5]), 1.0)
    with pytest.raises(ValueError):
        instructions.geomean([])


def test_format_table_and_extra(tmp_path) -> None:
    result = {"reps": 10, "reference": "baseline", "interpreters": {"baseline": "a", "tight_dict": "b"},
              "workloads": {"lookup": {"ops_per_rep": 200, "baseline": 300.0, "tight_dict": 330.0}},
              "summary": {"tight_dict": {"geomean_ratio": 1.1, "max_ratio": 1.1, "max_at": "lookup"}}}
    text = instructions.format_table(result)
    assert "1.100" in text and "lookup" in text and "330" in text
    python = tmp_path / "python"
    python.write_text("")
    assert instructions.parse_extra([f"old={python}"]) == [instructions.Interpreter("old", python)]
    with pytest.raises(UsageError):
        instructions.parse_extra(["no-equals-sign"])
    with pytest.raises(UsageError):
        instructions.parse_extra([f"old={tmp_path / 'missing'}"])
