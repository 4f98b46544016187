"""Read the reports that AddressSanitizer, UndefinedBehaviorSanitizer and ThreadSanitizer write.

A sanitizer build run by regrtest writes its reports to files (``log_path``), one per
process, so a report from a test's child process, or one whose text a test swallowed, is
never lost. Each report gets a *signature* that does not depend on addresses, thread
numbers, line numbers or the source tree's path: the tool, the kind of error and the
innermost function of each stack it prints. A variant is judged against baseline built
in the same flavor by these signatures: a report baseline has too is baseline's.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

# One report starts at one of these lines.
ASAN_START = re.compile(r"==\d+==ERROR: AddressSanitizer: (?P<kind>[\w-]+)")
TSAN_START = re.compile(r"WARNING: ThreadSanitizer: (?P<kind>[\w ()-]+?)(?: \(pid=\d+\))?$")
UBSAN_START = re.compile(r"^(?P<where>\S+?):\d+(?::\d+)?: runtime error: (?P<kind>.+)$")
FRAME = re.compile(r"^\s*#(?P<n>\d+) (?:0x[0-9a-f]+ )?(?:in )?(?P<func>[^\s(]+)(?P<rest>.*)$")
# Frames of the sanitizer runtime itself (its interceptors of malloc, pthread_mutex_lock...),
# which say nothing about where the bug is: by name, or by the library they sit in.
RUNTIME_FRAME = re.compile(r"^(__interceptor_|___interceptor_|__tsan_|__asan_|__ubsan_|__sanitizer|<null>)")
RUNTIME_LOCATION = re.compile(r"lib(?:t|a|ub)san\.so|libsanitizer/")
OPTION_VARIABLES = {"ASAN_OPTIONS": "asan", "UBSAN_OPTIONS": "ubsan", "TSAN_OPTIONS": "tsan"}


@dataclass(frozen=True)
class Report:
    """One sanitizer report: what it is, where it was found, and its first lines."""

    tool: str
    kind: str
    functions: tuple[str, ...]
    file: str
    headline: str
    excerpt: str

    @property
    def signature(self) -> str:
        """Tool, kind and innermost function of each stack: stable across builds and runs."""
        return f"{self.tool}: {self.kind} in {' / '.join(self.functions) or '?'}"

    def as_json(self) -> dict:
        return {**asdict(self), "functions": list(self.functions), "signature": self.signature}


def _normalise_kind(kind: str) -> str:
    """Drop the numbers from a UBSan message ("load of value 190" -> "load of value N")."""
    kind = re.sub(r"0x[0-9a-f]+", "ADDR", kind)
    kind = re.sub(r"-?\d+", "N", kind)
    return re.sub(r"'[^']*'", "'T'", kind).strip()


def _start(line: str) -> tuple[str, str] | None:
    for tool, pattern in (("asan", ASAN_START), ("tsan", TSAN_START), ("ubsan", UBSAN_START)):
        match = pattern.search(line)
        if match:
            kind = match.group("kind").strip()
            return tool, (_normalise_kind(kind) if tool == "ubsan" else kind)
    return None


def parse_text(text: str, file: str = "") -> list[Report]:
    """Every report in one log file's text."""
    reports: list[Report] = []
    lines = text.splitlines()
    starts = [(i, found) for i, line in enumerate(lines) if (found := _start(line))]
    for index, (i, (tool, kind)) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else len(lines)
        body = lines[i:end]
        functions: list[str] = []
        expect_new_stack = True
        for line in body[1:]:
            frame = FRAME.match(line)
            if frame is None:
                expect_new_stack = True
                continue
            func = frame.group("func")
            if RUNTIME_FRAME.match(func) or RUNTIME_LOCATION.search(frame.group("rest")):
                continue
            if expect_new_stack and len(functions) < 2:
                functions.append(func)
            expect_new_stack = False
        excerpt = "\n".join(line for line in body[:14] if line.strip())
        reports.append(Report(tool, kind, tuple(functions), file, lines[i].strip(), excerpt))
    return reports


def collect(folder: Path) -> list[Report]:
    """The reports of every log file in ``folder`` (written there through log_path)."""
    if not folder.is_dir():
        return []
    reports: list[Report] = []
    for path in sorted(folder.iterdir()):
        if path.is_file():
            reports += parse_text(path.read_text(errors="replace"), str(path))
    return reports


def with_log_path(env: dict[str, str], folder: Path) -> dict[str, str]:
    """``env`` with each sanitizer's options extended to write its reports under ``folder``."""
    out = dict(env)
    for variable, tool in OPTION_VARIABLES.items():
        if variable in out:
            options = out[variable].rstrip(":")
            out[variable] = f"{options}:log_path={folder / tool}" if options else f"log_path={folder / tool}"
    return out


def new_signatures(variant: list[dict], baseline: list[dict]) -> list[dict]:
    """The variant's reports whose signature baseline's reports do not have (one per signature)."""
    known = {r["signature"] for r in baseline}
    seen: set[str] = set()
    news = []
    for report in variant:
        if report["signature"] not in known and report["signature"] not in seen:
            seen.add(report["signature"])
            news.append(report)
    return news
