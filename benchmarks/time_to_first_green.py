"""Time to first green, side by side: this template against two anchor templates, in one run.

Each template is baked with no input and taken through the same chain a user runs first, with
each template's own configured commands (warm uv cache, the same local Python for all):

    bake -> sync -> tests -> lint (ruff check) -> format (ruff format --check) -> type check

| template | sync | tests | type check |
|---|---|---|---|
| this one (defaults) | `uv sync` | `pytest` (coverage gate on) | `ty check` |
| cookiecutter-uv (defaults) | `uv sync` | its Makefile's `pytest --cov ...` | `mypy` |
| scientific-python/cookie (backend=uv) | `uv sync` + ruff, mypy | `pytest` | `mypy` |

scientific-python/cookie runs ruff and mypy only through pre-commit, so its sync step also installs
them into its .venv at the versions its baked .pre-commit-config.yaml pins; that supply is timed.
Every tool after the sync runs as `uv run --no-sync TOOL`. The anchors are snapshots (read their
README) found at ../shared/anchors beside the repository, or --anchors / FIRST_GREEN_ANCHORS.

One warm-up run of each template fills uv's cache (not counted). Counted runs interleave the
templates (A B C, A B C, ...), so a change in machine load lands on all of them; each run bakes
into its own fresh temp dir, so .venv, uv.lock and tool caches start empty, as they do for a user.
No template ships a uv.lock, so every sync resolves, and index look-ups that uv's HTTP cache
cannot answer are part of every figure. Bakes run in this process (cookiecutter already
imported), the same way for all three.

Prints per-step medians with min and max for each template, the median totals, the 1-minute
load average before and after, and the ratio of this template's median total to the fastest
anchor's against the target (at most 0.7): MET or NOT MET. Exit status 1 if any step is red.

Usage: uv run python benchmarks/time_to_first_green.py [--runs 5] [--python PATH] [--steps]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from _support import TEMPLATE, Timed, bake, child_env, find_uv, run
from support.pythons import find_python

TARGET_RATIO = 0.7
ANCHORS_ENV = "FIRST_GREEN_ANCHORS"
DEFAULT_ANCHORS = TEMPLATE.parent / "shared" / "anchors"
STEPS = ("bake", "sync", "tests", "lint", "format", "type check")

Command = list[str]


@dataclass(frozen=True)
class Template:
    """One template in the race: where it is, the answers it gets, and its own commands per step."""

    name: str
    path: Path
    overrides: dict[str, str]
    # (uv, python, baked project) -> step name -> the commands that make up that step, in order.
    commands: Callable[[str, str, Path], dict[str, list[Command]]]


def _tool(uv: str, *command: str) -> Command:
    return [uv, "run", "--no-sync", *command]


def _ruff(uv: str) -> dict[str, list[Command]]:
    # --no-fix: cookiecutter-uv sets `fix = true`; a first check must not rewrite files.
    return {
        "lint": [_tool(uv, "ruff", "check", "--no-fix", ".")],
        "format": [_tool(uv, "ruff", "format", "--check", ".")],
    }


def ours(uv: str, python: str, project: Path) -> dict[str, list[Command]]:
    del project
    return {
        "sync": [[uv, "sync", "--python", python]],
        "tests": [_tool(uv, "pytest")],
        **_ruff(uv),
        "type check": [_tool(uv, "ty", "check")],
    }


def cookiecutter_uv(uv: str, python: str, project: Path) -> dict[str, list[Command]]:
    del project
    return {
        "sync": [[uv, "sync", "--python", python]],
        # Its Makefile's `make test`; `make check` runs `uv run mypy` with [tool.mypy] files.
        "tests": [
            _tool(uv, "python", "-m", "pytest", "--cov", "--cov-config=pyproject.toml", "--cov-report=xml")
        ],
        **_ruff(uv),
        "type check": [_tool(uv, "mypy")],
    }


def precommit_pins(config: Path, packages: dict[str, str]) -> list[str]:
    """`package==version` for each hook repo URL in `packages`, at the rev the config pins."""
    listed = yaml.safe_load(config.read_text("utf-8"))["repos"]
    repos = {repo["repo"]: str(repo["rev"]) for repo in listed if "rev" in repo}
    missing = [url for url in packages if url not in repos]
    if missing:
        sys.exit(f"{config} pins no {', '.join(missing)}: cannot supply the tools its checks need")
    return [f"{package}=={repos[url].removeprefix('v')}" for url, package in packages.items()]


SCIENTIFIC_PYTHON_TOOLS = {
    "https://github.com/astral-sh/ruff-pre-commit": "ruff",
    "https://github.com/pre-commit/mirrors-mypy": "mypy",
}


def scientific_python(uv: str, python: str, project: Path) -> dict[str, list[Command]]:
    tools = precommit_pins(project / ".pre-commit-config.yaml", SCIENTIFIC_PYTHON_TOOLS)
    return {
        "sync": [
            [uv, "sync", "--python", python],
            # Not in its dependency groups: it runs them from pre-commit. Same versions, into .venv.
            [uv, "pip", "install", "--python", ".venv", *tools],
        ],
        "tests": [_tool(uv, "pytest")],
        **_ruff(uv),
        # [tool.mypy] files = src, tests (its pre-commit hook adds noxfile.py and installs nox).
        "type check": [_tool(uv, "mypy")],
    }


def templates(anchors: Path) -> list[Template]:
    return [
        Template("this template", TEMPLATE, {}, ours),
        Template("cookiecutter-uv", anchors / "cookiecutter-uv", {}, cookiecutter_uv),
        # Its default backend (hatch-vcs) needs a git repository with a tag before it can build.
        Template(
            "scientific-python/cookie",
            anchors / "scientific-python-cookie",
            {"backend": "uv"},
            scientific_python,
        ),
    ]


def find_anchors(given: Path | None) -> Path:
    """The anchors folder, or exit with one line saying where it was looked for and how to point at it."""
    configured = os.environ.get(ANCHORS_ENV)
    anchors = given or (Path(configured) if configured else DEFAULT_ANCHORS)
    wanted = ("cookiecutter-uv", "scientific-python-cookie")
    absent = [name for name in wanted if not (anchors / name / "cookiecutter.json").is_file()]
    if absent:
        sys.exit(
            f"anchor templates {', '.join(absent)} not found in {anchors}: pass --anchors DIR or set "
            f"{ANCHORS_ENV} to the folder holding {' and '.join(wanted)} (see its README)"
        )
    return anchors


def one_run(template: Template, uv: str, python: str, parent: Path | None) -> dict[str, Timed]:
    """Bake into a fresh temp dir and run every step there; exit on the first red command."""
    results: dict[str, Timed] = {}
    with tempfile.TemporaryDirectory(prefix="first-green-", dir=parent) as tmp:
        started = time.perf_counter()
        project = bake(Path(tmp), template.overrides, template.path)
        results["bake"] = Timed(time.perf_counter() - started, 0, 0, "")
        env = child_env()
        for step, commands in template.commands(uv, python, project).items():
            parts = [run(command, project, env) for command in commands]
            for command, part in zip(commands, parts, strict=True):
                if part.returncode != 0:
                    sys.exit(
                        f"{template.name}: {step} is red ({' '.join(command)} exited {part.returncode}) "
                        f"in {project}:\n{part.output}"
                    )
            results[step] = Timed(
                sum(p.seconds for p in parts), max(p.max_rss_kib for p in parts), 0, "", parts[0].floor_kib
            )
    return results


def _cell(values: Sequence[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def report(races: dict[str, list[dict[str, Timed]]], show_runs: bool) -> dict[str, float]:
    """Print the per-step table and return each template's median total."""
    names = list(races)
    print("| step | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for step in STEPS:
        print(f"| {step} | " + " | ".join(_cell([r[step].seconds for r in races[n]]) for n in names) + " |")
    totals = {n: [sum(t.seconds for t in r.values()) for r in races[n]] for n in names}
    print("| **total** | " + " | ".join(f"**{_cell(totals[n])}**" for n in names) + " |")
    print("| peak RSS MiB | " + " | ".join(_peak(races[n]) for n in names) + " |")
    print(
        "\nseconds: median (min-max) over the counted runs; peak RSS: the largest single process of any step."
    )
    if show_runs:
        for name in names:
            print(f"\n{name}, every run:\n| run | " + " | ".join(STEPS) + " | total |")
            print("|---:|" + "---:|" * (len(STEPS) + 1))
            for index, (r, total) in enumerate(zip(races[name], totals[name], strict=True), start=1):
                print(
                    f"| {index} | " + " | ".join(f"{r[s].seconds:.2f}" for s in STEPS) + f" | {total:.2f} |"
                )
    return {n: statistics.median(totals[n]) for n in names}


def _peak(runs: list[dict[str, Timed]]) -> str:
    steps = [t for r in runs for name, t in r.items() if name != "bake"]
    return max(steps, key=lambda t: t.max_rss_kib).peak()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"Target: this template's median total at most {TARGET_RATIO:g} x the fastest anchor's.",
    )
    parser.add_argument("--runs", type=int, default=5, help="counted runs per template after the warm-up")
    parser.add_argument(
        "--python",
        default=None,
        help="interpreter for every sync (default: the local 3.11 tests/support/pythons.py finds)",
    )
    parser.add_argument(
        "--anchors",
        type=Path,
        default=None,
        help=f"folder with the anchor templates (default: ${ANCHORS_ENV}, else {DEFAULT_ANCHORS})",
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
    race = templates(find_anchors(args.anchors))
    uv = find_uv()
    uv_version = subprocess.run([uv, "--version"], capture_output=True, text=True, check=True).stdout.strip()

    print(f"uv:       {uv} ({uv_version})")
    print(f"python:   {python}")
    for template in race:
        answers = ", ".join(f"{k}={v}" for k, v in template.overrides.items()) or "defaults"
        print(f"template: {template.name}: {template.path} ({answers})")
    print(
        f"runs:     1 warm-up each (not counted), then {args.runs} x {len(race)} interleaved, fresh temp dirs"
    )
    load_before = os.getloadavg()
    for template in race:
        one_run(template, uv, python, args.tmp_root)
    races: dict[str, list[dict[str, Timed]]] = {t.name: [] for t in race}
    for _ in range(args.runs):
        for template in race:
            races[template.name].append(one_run(template, uv, python, args.tmp_root))
    load_after = os.getloadavg()

    print()
    medians = report(races, args.steps)
    ours_name, *anchor_names = races
    fastest = min(anchor_names, key=medians.__getitem__)
    ratio = medians[ours_name] / medians[fastest]
    verdict = "MET" if ratio <= TARGET_RATIO else "NOT MET"
    print()
    print(
        f"ratio: {ours_name} {medians[ours_name]:.2f} s / fastest anchor ({fastest}) "
        f"{medians[fastest]:.2f} s = {ratio:.2f}, target at most {TARGET_RATIO:g}: {verdict}"
    )
    before, after = (" ".join(f"{v:.2f}" for v in load) for load in (load_before, load_after))
    print(
        f"load average (1, 5, 15 min): {before} before, {after} after "
        f"(on {os.cpu_count()} cores; anything else running inflates every figure)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
