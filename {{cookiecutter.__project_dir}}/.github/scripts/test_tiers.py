"""Run the test tiers one pytest each, or combine their coverage and gate it once.

The tiers are pytest markers (pyproject.toml): ``integration`` needs a service such
as a database, ``e2e`` starts the installed program as its own process, and a test
with neither marker is a ``unit`` test.

``run TIER...`` runs each tier as its own pytest, in order, every one of them even
after a failure, so that each writes ``junit-<tier>.xml``. Coverage is appended to
one data file (``.coverage``, erased first); no tier applies the coverage gate,
since one tier alone covers less than the whole suite by design. pytest's exit
code 5 (no tests collected) means "this tier has no tests in this project": a
notice, not a failure. Exits 1 when any tier failed.

``combine DIR`` combines every coverage data file under DIR (the ``test-reports-*``
artifacts of every leg and tier) into ``.coverage``, writes ``coverage.xml`` and
applies ``[tool.coverage.report] fail_under`` to the combined total, once. Exits 2
when the total is under it (coverage's own code), 1 when there is nothing to combine.

Both write a Markdown table to $GITHUB_STEP_SUMMARY (inside Actions) and print it.

Usage: python .github/scripts/test_tiers.py run unit e2e [--ran-on TEXT]
       python .github/scripts/test_tiers.py combine DIR
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

TIERS = {
    "unit": "not integration and not e2e",
    "e2e": "e2e",
    "integration": "integration",
}
NO_TESTS_COLLECTED = 5
DATA_FILE = Path(".coverage")


@dataclass(frozen=True)
class Report:
    """The counts of one ``junit-<tier>.xml``."""

    tier: str
    ran_on: str
    tests: int
    failed: int
    skipped: int

    @classmethod
    def read(cls, path: Path) -> Report:
        tier = path.stem.removeprefix("junit-")
        try:
            root = ET.parse(path).getroot()  # noqa: S314 (pytest's own report)
        except (ET.ParseError, OSError) as error:
            # A report cut short (a killed run): the tier counts as failed, and the
            # others still run and report.
            return cls(tier, f"unreadable report: {error}", 0, 1, 0)
        suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
        tests = failed = skipped = 0
        ran_on = ""
        for suite in suites:
            tests += int(suite.get("tests", "0"))
            failed += int(suite.get("failures", "0")) + int(suite.get("errors", "0"))
            skipped += int(suite.get("skipped", "0"))
            ran_on = suite.get("name", "")
        return cls(tier, ran_on.removeprefix(f"{tier} on "), tests, failed, skipped)


def summary(title: str, lines: list[str]) -> None:
    text = "\n".join([f"### {title}", "", *lines, ""])
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with Path(target).open("a", encoding="utf-8") as handle:
            handle.write(text + "\n")
    print(text)


def table(reports: list[Report]) -> list[str]:
    rows = ["| tier | ran on | tests | failed | skipped |", "|---|---|---|---|---|"]
    rows += [
        f"| {r.tier} | {r.ran_on} | {r.tests} | {r.failed} | {r.skipped} |"
        for r in reports
    ]
    return rows


def default_ran_on() -> str:
    return f"{platform.system()}, Python {platform.python_version()}"


def run(tiers: list[str], ran_on: str, extra: list[str]) -> int:
    DATA_FILE.unlink(missing_ok=True)
    failed: list[str] = []
    reports: list[Report] = []
    for tier in tiers:
        junit = Path(f"junit-{tier}.xml")
        junit.unlink(missing_ok=True)
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-m",
            TIERS[tier],
            f"--junitxml={junit}",
            "-o",
            f"junit_suite_name={tier} on {ran_on}",
            "--cov-append",
            "--cov-fail-under=0",
            *extra,
        ]
        print(f"::group::{tier} tier: pytest -m {TIERS[tier]!r}", flush=True)
        code = subprocess.run(command, check=False).returncode  # noqa: S603
        print("::endgroup::", flush=True)
        if code == NO_TESTS_COLLECTED:
            print(f"::notice::the {tier} tier has no tests in this project")
        elif code != 0:
            print(f"::error::the {tier} tier failed (pytest exit code {code})")
            failed.append(tier)
        if junit.is_file():
            reports.append(Report.read(junit))
        elif tier not in failed:
            print(f"::error::the {tier} tier wrote no {junit}")
            failed.append(tier)
    summary(f"Test tiers on {ran_on}", table(reports))
    return 1 if failed else 0


def coverage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "coverage", *args],
        check=False,
        capture_output=True,
        text=True,
    )


def combine(directory: Path) -> int:
    files = sorted(
        p
        for p in directory.rglob(".coverage*")
        if p.is_file() and (p.name == ".coverage" or p.name.startswith(".coverage."))
    )
    if not files:
        print(f"::error::no coverage data files under {directory}", file=sys.stderr)
        return 1
    DATA_FILE.unlink(missing_ok=True)
    combined = coverage("combine", "--keep", *map(str, files))
    print(combined.stdout, combined.stderr, sep="", end="")
    if combined.returncode != 0:
        return combined.returncode
    xml = coverage("xml", "-o", "coverage.xml")
    print(xml.stdout, xml.stderr, sep="", end="")
    # `coverage report` applies fail_under from pyproject.toml and exits 2 under it.
    gate = coverage("report")
    print(gate.stdout, gate.stderr, sep="", end="")
    total = coverage("report", "--format=total", "--fail-under=0").stdout.strip()
    reports = [Report.read(p) for p in sorted(directory.rglob("junit-*.xml"))]
    verdict = "passed" if gate.returncode == 0 else "FAILED"
    lines = [
        f"Combined coverage of {len(files)} data files: **{total}%** "
        f"(the gate, `fail_under` in pyproject.toml: {verdict}).",
        "",
        *table(reports),
    ]
    summary("Coverage of every tier and leg", lines)
    return gate.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="run tiers, one pytest each")
    run_parser.add_argument("tiers", nargs="+", choices=list(TIERS))
    run_parser.add_argument("--ran-on", default=default_ran_on())
    combine_parser = commands.add_parser("combine", help="combine and gate coverage")
    combine_parser.add_argument("directory", type=Path)
    args, extra = parser.parse_known_args(argv)
    if args.command == "run":
        return run(args.tiers, args.ran_on, extra)
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return combine(args.directory)


if __name__ == "__main__":
    sys.exit(main())
