"""Time to first green: how long a user waits from bake to a fully passing local check.

Measures the default bake with a WARM uv cache, the README's order of steps:

    bake (cookiecutter API, no input) -> uv sync --python <3.11> -> uv run --no-sync pytest
    -> uv run --no-sync ruff check . -> uv run --no-sync ruff format --check . -> uv run --no-sync mypy

One warm-up run fills uv's cache (not counted); then every counted run bakes into its own fresh
temp dir, so .venv, .mypy_cache and .ruff_cache start empty each time, as they do for a user.
`uv sync` still resolves (the bake has no uv.lock), so its figure includes index look-ups that
uv's HTTP cache may or may not answer locally.

Prints per-step medians (with min/max), the median total and its min/max, and peak memory. The
bake runs in this process with cookiecutter already imported; the CLI's own start-up is printed
apart, not counted. Peak memory is ru_maxrss: per step from wait4, overall from
getrusage(RUSAGE_CHILDREN); both are the RSS of the largest SINGLE child process, never a sum.

Usage: uv run python benchmarks/time_to_first_green.py [--runs 5] [--python PATH] [--steps]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _support import TEMPLATE, Timed, bake, child_env, find_uv, mib, run
from support.pythons import find_python

TARGET_SECONDS = 4.0
# Measured on this machine for the best-known other template (same steps, warm cache).
REFERENCE_SECONDS = 6.3


def steps(uv: str, python: str) -> list[tuple[str, list[str]]]:
    no_sync = [uv, "run", "--no-sync"]
    return [
        ("uv sync", [uv, "sync", "--python", python]),
        ("pytest", [*no_sync, "pytest"]),
        ("ruff check", [*no_sync, "ruff", "check", "."]),
        ("ruff format --check", [*no_sync, "ruff", "format", "--check", "."]),
        ("mypy", [*no_sync, "mypy"]),
    ]


def one_run(uv: str, python: str, parent: Path | None) -> dict[str, Timed]:
    """Bake into a fresh temp dir and run every step there; exit on the first red step."""
    results: dict[str, Timed] = {}
    with tempfile.TemporaryDirectory(prefix="first-green-", dir=parent) as tmp:
        started = time.perf_counter()
        project = bake(Path(tmp))
        results["bake"] = Timed(time.perf_counter() - started, 0, 0, "")
        env = child_env()
        for name, command in steps(uv, python):
            results[name] = timed = run(command, project, env)
            if timed.returncode != 0:
                sys.exit(f"{name} is red (exit {timed.returncode}) in {project}:\n{timed.output}")
    return results


def cli_startup_seconds() -> float:
    """What `cookiecutter` on the command line pays before baking: an interpreter and the import."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import cookiecutter.main"], check=True, env=child_env())
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"Target: median total under {TARGET_SECONDS:g} s (the best-known other template: "
        f"about {REFERENCE_SECONDS:g} s here).",
    )
    parser.add_argument("--runs", type=int, default=5, help="counted runs after the warm-up (default 5)")
    parser.add_argument(
        "--python",
        default=None,
        help="interpreter for `uv sync --python` (default: the local 3.11 tests/support/pythons.py finds)",
    )
    parser.add_argument("--steps", action="store_true", help="also print every run's per-step times")
    parser.add_argument(
        "--tmp-root",
        type=Path,
        default=None,
        help="where the temp dirs go (default: the system's); keep it on the uv cache's file system, "
        "or uv copies instead of hard-linking",
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    python = args.python or find_python("3.11")
    if python is None:
        parser.error("no local Python 3.11 found; pass --python")
    uv = find_uv()
    uv_version = subprocess.run([uv, "--version"], capture_output=True, text=True, check=True).stdout.strip()

    print(f"template: {TEMPLATE}")
    print(f"uv:       {uv} ({uv_version})")
    print(f"python:   {python}")
    print(f"runs:     1 warm-up (not counted) + {args.runs}, each baked into a fresh temp dir")
    load_before = os.getloadavg()[0]
    one_run(uv, python, args.tmp_root)
    runs = [one_run(uv, python, args.tmp_root) for _ in range(args.runs)]
    names = list(runs[0])
    totals = [sum(r[name].seconds for name in names) for r in runs]

    print()
    print("| step | median s | min s | max s | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|")
    for name in names:
        seconds = [r[name].seconds for r in runs]
        # The bake runs in this process, so wait4 has no child to report for it.
        shown_peak = (
            max((r[name] for r in runs), key=lambda t: t.max_rss_kib).peak()
            if name != "bake"
            else "(in-process)"
        )
        print(
            f"| {name} | {statistics.median(seconds):.2f} | {min(seconds):.2f} | {max(seconds):.2f} "
            f"| {shown_peak} |"
        )
    print(f"| **total** | **{statistics.median(totals):.2f}** | {min(totals):.2f} | {max(totals):.2f} | |")
    print(
        "\npeak RSS per step: wait4's ru_maxrss of that step's child (and what it started), the largest over "
        "the runs;\n'<= N' means the figure is this process's own high-water mark, which a child "
        "inherits at spawn, so the tool itself used at most that."
    )

    if args.steps:
        print()
        print("| run | " + " | ".join(names) + " | total |")
        print("|---:|" + "---:|" * (len(names) + 1))
        for index, (r, total) in enumerate(zip(runs, totals, strict=True), start=1):
            print(f"| {index} | " + " | ".join(f"{r[n].seconds:.2f}" for n in names) + f" | {total:.2f} |")

    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    median_total = statistics.median(totals)
    verdict = "MET" if median_total < TARGET_SECONDS else "NOT MET"
    print()
    print(
        f"median total {median_total:.2f} s (min {min(totals):.2f}, max {max(totals):.2f}) "
        f"against a target of under {TARGET_SECONDS:g} s: {verdict}; "
        f"the best-known other template measures about {REFERENCE_SECONDS:g} s here "
        f"({median_total / REFERENCE_SECONDS:.0%} of it)."
    )
    print(
        f"peak memory: {mib(children):.0f} MiB = getrusage(RUSAGE_CHILDREN).ru_maxrss, the largest "
        "single child process (warm-up included), not a sum of processes; "
        f"this process itself, which bakes in-process: {mib(own):.0f} MiB."
    )
    print(
        f"1-minute load average: {load_before:.2f} before, {os.getloadavg()[0]:.2f} after "
        f"(on {os.cpu_count()} cores; anything else running inflates these figures)"
    )
    print(
        f"not counted: a `cookiecutter` CLI bake would first pay ~{cli_startup_seconds():.2f} s "
        "of interpreter start-up and import."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
