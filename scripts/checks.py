"""The verification checks beyond each variant's regrtest list: sanitizers and green threads.

CPython's own suite passes on every patch, and still missed a crash, a use-after-free,
a deadlock under gevent and a stranded GIL waiter. These checks look for that class of
bug. Which variant gets which check is data: the ``checks`` of its row in variants.toml.

* ``asan``: the variant's regrtest list on the asan flavor (ASan + UBSan), judged against
  baseline-asan: new failing tests and sanitizer reports whose signature baseline lacks;
* ``tsan``: test_threading and test_thread on the tsan flavor, against baseline-tsan;
* ``green_threads``: gevent and eventlet programs and gevent's own tests (scripts/greenthreads.py).

``make test`` runs the asan and green-thread checks; ``make verify`` runs them all (tsan
too), and is what an issue touching C runs before it is called resolved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import greenthreads, regrtest
from .config import CHECK_NAMES, Table

TSAN_TESTS = ("test_threading", "test_thread")


@dataclass(frozen=True)
class Check:
    """One kind of check: how it runs on a variant, and what it is for."""

    name: str
    flavor: str
    summary: str
    in_make_test: bool
    run: Callable[[str, list[str], int | None], int]  # (variant, its regrtest list, jobs) -> exit status

    def tests(self, regrtest_list: list[str]) -> list[str]:
        """The CPython test modules this check runs for a variant with ``regrtest_list``."""
        if self.name == "asan":
            return list(regrtest_list)
        if self.name == "tsan":
            return list(TSAN_TESTS)
        return []


CHECKS: dict[str, Check] = {
    "asan": Check("asan", "asan", "regrtest list under ASan+UBSan, against baseline-asan", True,
                  lambda variant, tests, jobs: regrtest.regrtest(variant, "asan", list(tests), False, jobs)),
    "tsan": Check("tsan", "tsan", "test_threading + test_thread under TSan, against baseline-tsan", False,
                  lambda variant, tests, jobs: regrtest.regrtest(variant, "tsan", list(TSAN_TESTS), False, jobs)),
    "green_threads": Check("green_threads", "release", "gevent and eventlet, monkey-patched, against baseline", True,
                           lambda variant, tests, jobs: greenthreads.check(variant, "release", jobs)),
}
assert tuple(CHECKS) == CHECK_NAMES, "scripts/checks.py and config.CHECK_NAMES must list the same checks"


@dataclass(frozen=True)
class Planned:
    """One check on one variant, with its known-failure mark if the row has one."""

    check: Check
    variant: str
    tests: tuple[str, ...]
    known_failure: str | None

    @property
    def label(self) -> str:
        shown = f": {' '.join(self.tests)}" if self.tests else ""
        return f"{self.check.name} {self.variant}{shown}"


def plan(table: Table, names: list[str], checks: list[str], make_test_only: bool) -> list[Planned]:
    """The checks to run, check by check in CHECKS' order, variant by variant in the table's order."""
    out = []
    for check in CHECKS.values():
        if check.name not in checks or (make_test_only and not check.in_make_test):
            continue
        for name in names:
            variant = table.variants[name]
            if check.name in variant.checks:
                out.append(
                    Planned(
                        check,
                        name,
                        tuple(check.tests(list(variant.regrtest))),
                        dict(variant.known_failures).get(check.name),
                    )
                )
    return out


def baseline_selection(planned: list[Planned], check: str) -> list[str]:
    """The union of the test modules a check runs, so baseline runs them once for all variants."""
    return list(dict.fromkeys(t for p in planned if p.check.name == check for t in p.tests))


def judge(planned: Planned, status: int) -> tuple[int, str]:
    """(status counted, verdict word) for a check's exit status and its known-failure mark."""
    if planned.known_failure is None:
        return status, "ok" if status == 0 else "FAIL"
    if status != 0:
        return 0, "known"
    return 1, "FAIL (passes, but variants.toml marks it known-failing: remove the mark)"
