"""Render tier cost: seconds per option combination, bake plus the validators the tier runs on it.

For every combination in tests/support/options.render_combinations(), bakes through
cookiecutter's API into a fresh temp dir, then runs, one after another, the validators the render
tier runs on each bake:

ruff format --check and ruff check, validate-pyproject, pre-commit validate-config,
actionlint with shellcheck, zizmor (regular persona) and check-jsonschema per schema, exactly
as tests/support/validators.py defines them for the tests (the Python tools in-process).
Sequential figures are the honest single-core cost. The `-n 2` figure is the sequential
sum divided by two, nothing more: it ignores xdist's start-up, an uneven split and the two
workers competing for two cores.
A red validator marks its row (RED), is still timed, and makes the exit status 1.
The tier's other checks (Jinja leftovers, parsing, structure, zizmor's pedantic persona) are
not timed. One warm-up combination runs first, uncounted, so disk caches are the same for all.

Usage: uv run python benchmarks/render_cost.py [--only NAME ...] [--no-warmup]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _support import bake
from support.options import render_combinations
from support.validators import VALIDATORS

TARGET_SECONDS = 1.5


COLUMNS = ["bake", *VALIDATORS]


def measure(name: str, overrides: dict[str, Any], parent: Path) -> tuple[dict[str, float], list[str]]:
    """Seconds per column for one combination, and the validators that were red.

    A red validator is timed all the same: the tier pays for it either way, and one red bake
    should not throw away the other combinations' figures.
    """
    seconds: dict[str, float] = {}
    red: list[str] = []
    started = time.perf_counter()
    project = bake(parent / name, overrides)
    seconds["bake"] = time.perf_counter() - started
    for column, validator in VALIDATORS.items():
        started = time.perf_counter()
        outcomes = validator(project)
        seconds[column] = time.perf_counter() - started
        red += [f"{name}: {outcome}" for outcome in outcomes if not outcome.ok]
    return seconds, red


def main(argv: list[str] | None = None) -> int:
    combinations = render_combinations()
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog=f"Target: under {TARGET_SECONDS:g} s per combination, validators included. "
        f"Combinations: {', '.join(name for name, _ in combinations)}.",
    )
    parser.add_argument(
        "--only", action="append", metavar="NAME", help="measure only this combination (repeatable)"
    )
    parser.add_argument("--no-warmup", action="store_true", help="skip the uncounted warm-up combination")
    args = parser.parse_args(argv)
    if args.only:
        unknown = set(args.only) - {name for name, _ in combinations}
        if unknown:
            parser.error(f"unknown combination(s): {', '.join(sorted(unknown))}")
        combinations = [(name, o) for name, o in combinations if name in args.only]

    rows: list[tuple[str, dict[str, float]]] = []
    red: dict[str, list[str]] = {}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="render-cost-") as tmp:
        if not args.no_warmup:
            measure("warm-up", combinations[0][1], Path(tmp))
        for name, overrides in combinations:
            seconds, failures = measure(name, overrides, Path(tmp))
            rows.append((name, seconds))
            if failures:
                red[name] = failures

    totals = [sum(seconds.values()) for _, seconds in rows]
    print(f"render tier, {len(rows)} combinations, validators run one after another (seconds)")
    print()
    print("| combination | " + " | ".join(COLUMNS) + " | total |")
    print("|---|" + "---:|" * (len(COLUMNS) + 1))
    for (name, seconds), total in zip(rows, totals, strict=True):
        shown = f"{name} (RED)" if name in red else name
        print(f"| {shown} | " + " | ".join(f"{seconds[c]:.2f}" for c in COLUMNS) + f" | {total:.2f} |")
    medians = [statistics.median(s[c] for _, s in rows) for c in COLUMNS]
    print(
        "| **median** | "
        + " | ".join(f"{m:.2f}" for m in medians)
        + f" | **{statistics.median(totals):.2f}** |"
    )
    print(
        "| **max** | "
        + " | ".join(f"{max(s[c] for _, s in rows):.2f}" for c in COLUMNS)
        + f" | **{max(totals):.2f}** |"
    )

    median, worst, whole = statistics.median(totals), max(totals), sum(totals)
    print()
    for label, value in (("median", median), ("max", worst)):
        verdict = "MET" if value < TARGET_SECONDS else "NOT MET"
        print(
            f"{label} per combination: {value:.2f} s against a target of under {TARGET_SECONDS:g} s: "
            f"{verdict}"
        )
    heaviest = COLUMNS[medians.index(max(medians))]
    print(f"largest share of the median: {heaviest} ({max(medians) / sum(medians):.0%})")
    print(
        f"all {len(rows)} combinations: {whole:.1f} s on one core; with the tests' -n 2 about "
        f"{whole / 2:.1f} s wall ({median / 2:.2f} s per combination), which is just the sum divided "
        "by two: no xdist start-up, no uneven split, no contention for the 2 cores."
    )
    print(
        f"1-minute load average: {load_before:.2f} before, {os.getloadavg()[0]:.2f} after "
        f"(on {os.cpu_count()} cores; anything else running inflates these figures)"
    )
    for failures in red.values():
        for failure in failures:
            print(f"\nRED {failure.strip()}", file=sys.stderr)
    return 1 if red else 0


if __name__ == "__main__":
    sys.exit(main())
