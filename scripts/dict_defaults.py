"""Prove the dict-sizing patch is inert at its defaults: its getsizeof table equals upstream's.

Builds the variant that carries the patch with every knob set back to upstream's value
(a label such as ``tight_dict+dict-growth3_1-decoupled0-entries_min0-presizeupstream``)
and compares dict_memory's size table (n = 0..100, int and str keys, five
constructions) with baseline's, row by row. Any difference is printed and fails.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from . import build as builder
from . import dict_sizing, ui
from .benchmarks import BENCH
from .config import DEFAULT_FLAVOR, load_pin, load_table
from .errors import HarnessError
from .patches import read_series


def defaults_label(table=None) -> str:
    """The label of the first variant carrying the patch, with every knob at upstream's value."""
    table = table or load_table(series=[p.name for p in read_series(load_pin())])
    carrier = next((n for n, v in table.variants.items() if dict_sizing.PATCH in v.patches), None)
    if carrier is None:
        raise HarnessError(f"no variant carries {dict_sizing.PATCH}")
    row = dict_sizing.from_defines(table.variants[carrier].defines).values
    upstream = dict_sizing.upstream().values
    reset = {k: v for k, v in upstream.items() if row[k] != v}
    return f"{carrier}+{dict_sizing.slug(reset)}" if reset else carrier


def size_table(python: Path) -> dict[tuple, int]:
    """dict_memory's getsizeof table from one interpreter, keyed by (n, keys, built_by)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sizes.json"
        proc = subprocess.run(
            [str(python), str(BENCH / "bm_dict_memory" / "run_benchmark.py"), "--sizes-json", str(out)],
            capture_output=True,
            text=True,
            env=builder.clean_env(),
        )
        if proc.returncode != 0:
            raise HarnessError(f"{python}: the size table failed:\n{proc.stderr[-1500:]}")
        rows = json.loads(out.read_text())["rows"]
    return {(r["n"], r["keys"], r["built_by"]): r["bytes"] for r in rows}


def check(jobs: int | None = None) -> int:
    """Build both, compare the tables; 0 when equal, 1 with the differences printed."""
    label = defaults_label()
    specs = [builder.resolve("baseline", DEFAULT_FLAVOR), builder.resolve(label, DEFAULT_FLAVOR)]
    for spec in specs:
        builder.build(spec, jobs)
    base, patched = (size_table(spec.python) for spec in specs)
    differ = sorted(k for k in base.keys() | patched.keys() if base.get(k) != patched.get(k))
    if differ:
        print(f"dict sizes: {label} differs from baseline in {len(differ)} of {len(base)} rows:")
        for key in differ[:20]:
            print(f"  n={key[0]} {key[1]} keys, {key[2]}: baseline {base.get(key)} bytes, patched {patched.get(key)}")
        return 1
    ui.step(f"dict sizes: {label} (the patch at upstream's knobs) equals baseline in all {len(base)} rows")
    return 0
