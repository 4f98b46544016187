"""Instructions per operation of the dict workloads, counted by callgrind.

Why instructions: on a shared 2-core machine the dict timings move by +-15%, the
instructions an interpreter executes for the same deterministic work do not (the same
count twice, whatever else the machine runs). For every workload of
``instructions_workload.py`` the interpreter runs under ``valgrind --tool=callgrind``
twice, with REPS repetitions and with none; the difference divided by the operations
done is instructions per operation, start-up and setup subtracted.

Not measured: time, cache misses, branch mispredictions, memory.

Standard library only: ``run_benchmark.py --instructions-json`` runs this under the
interpreter being measured, and the harness's ``make instructions`` imports it too.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from typing import Callable, Dict, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOAD_SCRIPT = os.path.join(HERE, "instructions_workload.py")
DEFAULT_REPS = 200
METER = "callgrind instructions (Ir) per operation, start-up subtracted"
COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")
# The workload names and their operations per repetition, read from the script's table
# without importing it (the harness's Python need not be the one under test).
_ENTRY = re.compile(r'^\s+"(\w+)": \((\w+), (\d+)\),$', re.M)
# Environment that would change what the interpreter does at start-up.
_DROPPED_ENV = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONDEVMODE", "PYTHONMALLOC")


class CountError(RuntimeError):
    """valgrind is missing, failed, or printed no count."""


def workloads() -> Dict[str, int]:
    """Workload name -> operations per repetition, in the script's order."""
    with open(WORKLOAD_SCRIPT, encoding="utf-8") as f:
        text = f.read()
    found = {name: int(ops) for name, _, ops in _ENTRY.findall(text)}
    if not found:
        raise CountError("no WORKLOADS table found in %s" % WORKLOAD_SCRIPT)
    return found


def parse_collected(output: str) -> int:
    """The instruction count of callgrind's "Collected : N" line."""
    match = COLLECTED.search(output)
    if not match:
        raise CountError("callgrind printed no 'Collected' line:\n%s" % output[-2000:])
    return int(match.group(1))


def count(python: str, workload: str, reps: int) -> int:
    """Instructions of one run of the workload script under callgrind."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise CountError("valgrind is not installed (apt-get install valgrind)")
    cmd = [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null",
           str(python), "-S", WORKLOAD_SCRIPT, workload, str(reps)]
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV}
    env["PYTHONHASHSEED"] = "0"
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, env=env)
    if proc.returncode != 0:
        raise CountError("%s failed (exit %d):\n%s"
                         % (" ".join(cmd), proc.returncode, proc.stderr[-2000:]))
    return parse_collected(proc.stderr)


def per_operation(with_reps: int, without: int, reps: int, ops: int) -> float:
    """Instructions per operation from the two counts."""
    if reps <= 0 or ops <= 0:
        raise ValueError("reps and ops must be positive")
    return (with_reps - without) / (reps * ops)


def measure(python: str, names: List[str], reps: int,
            progress: Optional[Callable[[str], None]] = None) -> dict:
    """Instructions per operation of each named workload on one interpreter.

    With no repetitions the script only starts and sets up every workload, whichever is
    named: one such run is the start-up subtracted from every workload's count.
    """
    ops = workloads()
    unknown = [n for n in names if n not in ops]
    if unknown:
        raise CountError("unknown workload(s) %s; valid: %s" % (", ".join(unknown), ", ".join(ops)))
    if progress:
        progress("start-up (0 repetitions)")
    startup = count(python, names[0], 0)
    rows = {}
    for name in names:
        if progress:
            progress(name)
        rows[name] = per_operation(count(python, name, reps), startup, reps, ops[name])
    return {"meter": METER, "reps": reps, "startup": startup, "workloads": rows}


def main_json(path: str, reps: int) -> int:
    """``run_benchmark.py --instructions-json PATH``: count every workload, write JSON."""
    import json

    def progress(step: str) -> None:
        print("instructions: %s" % step, flush=True)

    try:
        result = measure(sys.executable, list(workloads()), reps, progress)
    except CountError as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 1
    result.update(python=sys.version, implementation=sys.implementation.name,
                  executable=sys.executable)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    return 0
