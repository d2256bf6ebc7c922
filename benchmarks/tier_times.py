"""Test tier cost: seconds of a fresh service bake's unit, integration and end-to-end tiers.

Bakes `kind=service database=postgresql` (every other answer at its default), runs `uv sync`
as the user's first steps do, then times each tier the way the baked workflows select it:

- unit: `uv run pytest -m "not integration and not e2e"` (tests.yml's matrix legs);
- integration: `uv run pytest -m integration` against a real PostgreSQL server that this script
  starts from Debian's binaries (tests/support/postgres.py) and hands over as DATABASE_URL, as
  integration.yml's service container does; the migrations run inside the tier's fixture;
- end-to-end: `uv run pytest -m e2e` (the real server process on 127.0.0.1, over HTTP).

Each tier runs `--runs` times (default 3) after one uncounted warm-up run of the whole suite;
the median is printed with the minimum and maximum, and the number of tests pytest reported.
Wall time of `uv run pytest`, interpreter start-up and collection included, coverage on (the
bake's pytest configuration) with the coverage gate off (`--cov-fail-under=0`, as
`test_tiers.py` runs a tier: the gate is the combined figure's), as a CI step sees it.
Needs PostgreSQL's server binaries (Debian: postgresql); as root, the server runs as the
postgres user.

Usage: uv run python benchmarks/tier_times.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
from pathlib import Path

from _support import bake, child_env, find_uv, run

TIERS = {
    "unit": "not integration and not e2e",
    "integration": "integration",
    "end-to-end": "e2e",
}
SUMMARY = re.compile(r"^=*\s*(?P<summary>\d+ (?:passed|failed)[^\n]*?) in [\d.]+s", re.MULTILINE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per tier (default 3)")
    args = parser.parse_args(argv)
    from support import postgres

    if postgres.binaries() is None:
        print(f"tier_times: no PostgreSQL server binaries: {postgres.INSTALL}", file=sys.stderr)
        return 2
    uv = find_uv()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="test-tiers-") as work:
        project = bake(Path(work), {"kind": "service", "database": "postgresql"})
        synced = run([uv, "sync", "--quiet"], project)
        if synced.returncode:
            print(f"tier_times: uv sync failed:\n{synced.output}", file=sys.stderr)
            return 1
        with postgres.server("the integration tier") as server:
            env = child_env({"DATABASE_URL": server.url()})
            warm = run([uv, "run", "pytest", "-q", "-p", "no:cacheprovider"], project, env)
            if warm.returncode:
                print(f"tier_times: the suite failed:\n{warm.output[-3000:]}", file=sys.stderr)
                return 1
            rows = []
            for tier, marker in TIERS.items():
                seconds, summary = [], ""
                for _ in range(args.runs):
                    command = [uv, "run", "pytest", "-q", "-p", "no:cacheprovider", "-m", marker]
                    timed = run([*command, "--cov-fail-under=0"], project, env)
                    if timed.returncode:
                        print(f"tier_times: the {tier} tier failed:\n{timed.output[-3000:]}", file=sys.stderr)
                        return 1
                    seconds.append(timed.seconds)
                    found = SUMMARY.search(timed.output)
                    summary = found["summary"] if found else "?"
                rows.append((tier, marker, summary, seconds))
    print(
        f"Test tiers of a fresh kind=service database=postgresql bake ({args.runs} runs each, "
        f"after a warm-up; load average {load:.1f} before, {os.getloadavg()[0]:.1f} after)"
    )
    print("| tier | `-m` | tests | median | min | max |")
    print("|---|---|---|---:|---:|---:|")
    for tier, marker, summary, seconds in rows:
        print(
            f"| {tier} | `{marker}` | {summary} | {statistics.median(seconds):.2f} s "
            f"| {min(seconds):.2f} s | {max(seconds):.2f} s |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
