"""Verifications: a command of its own that proves one patch beyond regrtest, behind one
interface (``Verification``) and one registry (``VERIFICATIONS``).

``__main__`` adds each one's command with its options, and ``make test`` runs each once
on its variant (scripts/steps.py), so neither names the patch. The semaphore condvar's
model check and stress test of patch 0003 (scripts/condvar_verify.py) is the one
registered. It is a module beside scripts/patch_hooks/ (the build settings' hooks), not in
it: a proof builds its variant, so it stands above scripts/build.py, which the settings
stand below.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from . import condvar_verify


@dataclass(frozen=True)
class Verification:
    """One patch's proof: its command, the variant it proves, and what make test calls it."""

    command: str  # python -m scripts <command>, and make test's step name
    help: str
    variant: str  # the variant it runs on by default, and in make test
    step_label: str  # make test's label of its step
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]  # the command, given its parsed options; its exit status


def _condvar_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--variant",
        default=condvar_verify.VARIANT,
        help=f"a variant carrying patch 0003 with the emulation on (default: {condvar_verify.VARIANT})",
    )
    parser.add_argument("--no-helgrind", action="store_true", help="skip the helgrind run (about 3 minutes)")
    parser.add_argument("--jobs", type=int, default=None)


def _condvar_run(args: argparse.Namespace) -> int:
    """Model-check and stress-test the semaphore condition variable (patch 0003)."""
    # an unknown variant is refused by builder.resolve(), listing the valid ones
    return condvar_verify.verify(args.variant, args.jobs, helgrind=not args.no_helgrind)


CONDVAR = Verification(
    "verify-condvar",
    "spin model check and C stress test (plain, fallback, ThreadSanitizer, helgrind) of the semaphore condvar",
    condvar_verify.VARIANT,
    "verify-condvar: spin model + stress (plain, fallback, TSan, helgrind)",
    _condvar_arguments,
    _condvar_run,
)

VERIFICATIONS: tuple[Verification, ...] = (CONDVAR,)
