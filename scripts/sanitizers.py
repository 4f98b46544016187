"""Read the reports that AddressSanitizer, UndefinedBehaviorSanitizer and ThreadSanitizer write.

A sanitizer build run by regrtest writes its reports to files (``log_path``), one per
process, so a report from a test's child process, or one whose text a test swallowed, is
never lost. Each report gets a *signature* that does not depend on addresses, thread
numbers, line numbers or the source tree's path: the tool, the kind of error and the
innermost function of each stack it prints. A variant is judged against baseline built
in the same flavor by these signatures: a report baseline has too is baseline's.

ASan and UBSan are told not to symbolize (``symbolize=0``): they then print each frame
as module+offset at once, and this module names the functions afterwards with binutils'
addr2line. Symbolizing in the process takes long enough that a process exiting under a
reporting thread (a daemon thread at interpreter shutdown) cut the report after its
first line, and a report with no stack has no signature to compare.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

# One report starts at one of these lines.
ASAN_START = re.compile(r"==\d+==ERROR: AddressSanitizer: (?P<kind>[\w-]+)")
TSAN_START = re.compile(r"WARNING: ThreadSanitizer: (?P<kind>[\w ()-]+?)(?: \(pid=\d+\))?$")
UBSAN_START = re.compile(r"^(?P<where>\S+?):\d+(?::\d+)?: runtime error: (?P<kind>.+)$")
FRAME = re.compile(r"^\s*#(?P<n>\d+) (?:(?P<pc>0x[0-9a-f]+) )?(?:in )?(?P<func>[^\s(]+)(?P<rest>.*)$")
MODULE_OFFSET = re.compile(r"\(([^()]+\+0x[0-9a-f]+)\)")
# Frames of the sanitizer runtime itself (its interceptors of malloc, pthread_mutex_lock...),
# which say nothing about where the bug is: by name, or by the library they sit in.
RUNTIME_FRAME = re.compile(r"^(__interceptor_|___interceptor_|__tsan_|__asan_|__ubsan_|__sanitizer|<null>)")
RUNTIME_LOCATION = re.compile(r"lib(?:t|a|ub)san\.so|libsanitizer/")
OPTION_VARIABLES = {"ASAN_OPTIONS": "asan", "UBSAN_OPTIONS": "ubsan", "TSAN_OPTIONS": "tsan"}
# The tools whose reports are symbolized here rather than in the process (see above).
SYMBOLIZED_OFFLINE = {"ASAN_OPTIONS", "UBSAN_OPTIONS"}
# A frame printed without symbols: "#3 0x55d6c3 (/path/python+0x1f06108)", maybe "(BuildId: ...)" after.
RAW_FRAME = re.compile(
    r"^(?P<indent>\s*)#(?P<n>\d+) (?P<pc>0x[0-9a-f]+)\s+\((?P<module>[^()]+?)\+(?P<offset>0x[0-9a-f]+)\)(?P<tail>.*)$"
)
SYMBOLIZED_MARK = "# frames symbolized by the harness with addr2line"


def _offset_key(offset: str) -> str:
    """An offset as addr2line -a prints it and a raw frame as ASan does, in one spelling."""
    return f"0x{int(offset, 16):x}"


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


def _innermost_function(stack: list[tuple[str, str]]) -> str:
    """The function whose code the stack's innermost frame is in.

    Calls inlined there are printed as frames of their own at the same address, innermost
    first; the last of that run is the real function (``drop_gil``, not the atomic load
    inlined into it), the same whichever helpers the compiler chose to inline.
    """
    function, address = stack[0]
    for name, where in stack[1:]:
        if where != address:
            break
        function = name
    return function


def parse_text(text: str, file: str = "") -> list[Report]:
    """Every report in one log file's text."""
    reports: list[Report] = []
    lines = text.splitlines()
    starts = [(i, found) for i, line in enumerate(lines) if (found := _start(line))]
    for index, (i, (tool, kind)) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else len(lines)
        body = lines[i:end]
        stacks: list[list[tuple[str, str]]] = []
        expect_new_stack = True
        for line in body[1:]:
            frame = FRAME.match(line)
            if frame is None:
                expect_new_stack = True
                continue
            func = "??" if RAW_FRAME.match(line) else frame.group("func")
            if RUNTIME_FRAME.match(func) or RUNTIME_LOCATION.search(frame.group("rest")):
                continue
            if expect_new_stack:
                stacks.append([])
            place = MODULE_OFFSET.search(frame.group("rest"))
            stacks[-1].append((func, frame.group("pc") or (place.group(1) if place else line)))
            expect_new_stack = False
        functions = [_innermost_function(stack) for stack in stacks[:2]]
        excerpt = "\n".join(line for line in body[:14] if line.strip())
        reports.append(Report(tool, kind, tuple(functions), file, lines[i].strip(), excerpt))
    return reports


def _addr2line(module: str, offsets: list[str]) -> dict[str, list[tuple[str, str]]]:
    """(function, file:line) of each offset in ``module``, innermost inlined frame first.

    An offset addr2line cannot name (no debug information, say) maps to [("??", "??:0")];
    with no addr2line at all, or a module that is gone, nothing is returned.
    """
    tool = shutil.which("addr2line")
    if tool is None or not Path(module).is_file():
        return {}
    try:
        out = subprocess.run([tool, "-a", "-f", "-i", "-e", module, *offsets],
                             capture_output=True, text=True, timeout=120, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    names: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    lines = out.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if re.fullmatch(r"0x[0-9a-f]+", line):
            current = names.setdefault(_offset_key(line), [])
            i += 1
            continue
        if current is not None and i + 1 < len(lines):
            current.append((line, lines[i + 1]))
        i += 2
    return names


def symbolize(text: str) -> str:
    """``text`` with every frame printed as module+offset given its function and source line.

    Inlined calls become frames of their own, innermost first, numbered on within the
    stack, as a sanitizer symbolizing in the process prints them. Text without such
    frames is returned unchanged.
    """
    lines = text.splitlines()
    raws = [RAW_FRAME.match(line) for line in lines]
    wanted: dict[str, set[str]] = defaultdict(set)
    for raw in raws:
        if raw is not None:
            wanted[raw["module"]].add(_offset_key(raw["offset"]))
    if not wanted:
        return text
    names = {module: _addr2line(module, sorted(offsets)) for module, offsets in wanted.items()}
    out = [SYMBOLIZED_MARK]
    number = 0
    for line, raw in zip(lines, raws):
        if raw is None:
            out.append(line)
            continue
        if raw["n"] == "0":
            number = 0
        where = f"({raw['module']}+{raw['offset']}){raw['tail']}"
        frames = names.get(raw["module"], {}).get(_offset_key(raw["offset"])) or [("??", "")]
        for function, source_line in frames:
            place = "" if source_line.startswith("??") or not source_line else f" {source_line}"
            out.append(f"{raw['indent']}#{number} {raw['pc']} in {function}{place} {where}")
            number += 1
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def collect(folder: Path) -> list[Report]:
    """The reports of every log file in ``folder`` (written there through log_path).

    Each file's raw frames are symbolized (``symbolize``) and the file rewritten, so
    the report a user opens names its functions.
    """
    if not folder.is_dir():
        return []
    reports: list[Report] = []
    for path in sorted(folder.iterdir()):
        if path.is_file():
            text = path.read_text(errors="replace")
            if not text.startswith(SYMBOLIZED_MARK):
                symbolized = symbolize(text)
                if symbolized != text:
                    path.write_text(symbolized)
                    text = symbolized
            reports += parse_text(text, str(path))
    return reports


def with_log_path(env: dict[str, str], folder: Path) -> dict[str, str]:
    """``env`` with each sanitizer's options extended to write its reports under ``folder``.

    ASan's and UBSan's reports are also left unsymbolized, for ``collect`` to symbolize.
    """
    out = dict(env)
    for variable, tool in OPTION_VARIABLES.items():
        if variable in out:
            added = f"log_path={folder / tool}"
            if variable in SYMBOLIZED_OFFLINE:
                added = f"symbolize=0:{added}"
            options = out[variable].rstrip(":")
            out[variable] = f"{options}:{added}" if options else added
    return out


def new_signatures(variant: list[dict], baseline: list[dict], upstream: frozenset[str] = frozenset()) -> list[dict]:
    """The variant's reports whose signature baseline's reports do not have (one per signature).

    ``upstream``: signatures of known bugs of unpatched CPython, counted as baseline's even
    when baseline's own run did not happen to hit them (they are races).
    """
    known = {r["signature"] for r in baseline} | set(upstream)
    seen: set[str] = set()
    news = []
    for report in variant:
        if report["signature"] not in known and report["signature"] not in seen:
            seen.add(report["signature"])
            news.append(report)
    return news
