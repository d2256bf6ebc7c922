"""Print the findings of a Trivy SARIF report where people read them.

    python3 .github/scripts/sarif_summary.py REPORT.sarif

The image scans write SARIF for code scanning, which private repositories without
GitHub Advanced Security do not have: there a failed scan would show only its exit
status. This prints one line per finding (vulnerability, package, installed and fixed
version, severity) to the log and, on GitHub, a table to the job summary. Standard
library only: it runs on the runner's Python before anything is installed.

Exit status: 0 when the report was read (findings or not), 1 when it cannot be read.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

FIELDS = ("Package", "Installed Version", "Fixed Version", "Severity")


def findings(report: dict[str, Any]) -> list[dict[str, str]]:
    """One dict per result: the rule (a CVE or GHSA id) and the fields Trivy writes
    into the result's message as `Name: value` lines."""
    rows = []
    for run in report.get("runs", []):
        for result in run.get("results", []):
            text = result.get("message", {}).get("text", "")
            fields = dict(
                line.split(": ", 1) for line in text.splitlines() if ": " in line
            )
            rows.append(
                {
                    "Vulnerability": result.get("ruleId", "?"),
                    **{f: fields.get(f, "?") for f in FIELDS},
                }
            )
    return rows


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: sarif_summary.py REPORT.sarif", file=sys.stderr)
        return 2
    try:
        report = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        print(
            f"sarif_summary.py: error: cannot read {argv[0]}: {error}", file=sys.stderr
        )
        return 1
    rows = findings(report)
    header = ("Vulnerability", *FIELDS)
    if not rows:
        lines = [
            "No vulnerability with a fix available at the severities the scan checks."
        ]
    else:
        lines = [f"{len(rows)} vulnerabilities with a fix available:"]
        lines += ["  " + "  ".join(row[column] for column in header) for row in rows]
    print("\n".join(lines))
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        table = [lines[0], ""]
        if rows:
            table += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            table += [
                "| "
                + " | ".join(row[column].replace("|", "\\|") for column in header)
                + " |"
                for row in rows
            ]
        with Path(summary).open("a", encoding="utf-8") as handle:
            handle.write("\n".join(table) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
