"""The bake against Scientific Python's development guide, as sp-repo-review measures it.

The README's "Conventions" section is the data: one table gives passed/applicable per bake,
the other lists every check still failing with the reason. This test measures both bakes and
compares, so a new failure, a listed check that starts passing, or a stale figure all fail here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.metadata import version
from itertools import pairwise
from pathlib import Path

import pytest
from conftest import Bake
from markdown_it import MarkdownIt
from markdown_it.token import Token
from repo_review.processor import process
from support.options import ALL_ON, TEMPLATE

pytestmark = pytest.mark.render

SECTION = "Conventions"
# `name[extras]==version` in the README's commands.
PIN = re.compile(r"([A-Za-z0-9][\w.-]*)(?:\[[^\]]*\])?==([\w.]+)")
# The share of applicable checks a bake must pass (issue 9).
MINIMUM_SHARE = 0.95
BAKES = {"default": {}, "all-on": ALL_ON}


@dataclass(frozen=True)
class Measured:
    passed: frozenset[str]
    failed: frozenset[str]

    @property
    def applicable(self) -> int:
        return len(self.passed) + len(self.failed)


def measure(path: Path) -> Measured:
    """Every check sp-repo-review knows, run in-process; skipped ones (result None) do not apply."""
    _, results = process(path)
    return Measured(
        passed=frozenset(r.name for r in results if r.result is True),
        failed=frozenset(r.name for r in results if r.result is False),
    )


def section_tokens(markdown: str, title: str) -> list[Token]:
    """The tokens between the level-2 heading `title` and the next level-2 heading."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    start = next(
        (
            index
            for index, token in enumerate(tokens)
            if token.type == "heading_open" and token.tag == "h2" and tokens[index + 1].content == title
        ),
        None,
    )
    assert start is not None, f"README.md has no '## {title}' section"
    end = next(
        (
            index
            for index in range(start + 1, len(tokens))
            if tokens[index].type == "heading_open" and tokens[index].tag == "h2"
        ),
        len(tokens),
    )
    return tokens[start:end]


def tables(tokens: list[Token]) -> list[list[dict[str, str]]]:
    """Each table as rows keyed by header text; cell text is the inline source, code spans unwrapped."""
    found: list[list[dict[str, str]]] = []
    rows: list[list[str]] = []
    for previous, token in pairwise(tokens):
        if token.type == "table_open":
            rows = []
        elif token.type == "tr_open":
            rows.append([])
        elif token.type == "inline" and previous.type in {"th_open", "td_open"}:
            rows[-1].append(token.content.strip().strip("`"))
        elif token.type == "table_close":
            header, *body = rows
            found.append([dict(zip(header, row, strict=True)) for row in body])
    return found


@dataclass(frozen=True)
class Documented:
    figures: dict[str, tuple[int, int]]  # bake -> (passed, applicable)
    remaining: dict[str, set[str]]  # bake -> failing check ids
    reasons: dict[str, str]  # check id -> reason
    code: str


def documented() -> Documented:
    tokens = section_tokens((TEMPLATE / "README.md").read_text(encoding="utf-8"), SECTION)
    figures_table, remaining_table = tables(tokens)
    figures = {row["Bake"]: (int(row["Passed"]), int(row["Applicable"])) for row in figures_table}
    remaining: dict[str, set[str]] = {bake: set() for bake in figures}
    reasons = {}
    for row in remaining_table:
        reasons[row["Check"]] = row["Reason"]
        for bake in row["Fails on"].split(", "):
            assert bake in remaining, f"{row['Check']}: unknown bake {bake!r} in README"
            remaining[bake].add(row["Check"])
    code = "\n".join(token.content for token in tokens if token.type == "fence")
    return Documented(figures, remaining, reasons, code)


def test_readme_documents_each_bake_with_the_command_that_measured_it() -> None:
    readme = documented()
    assert set(readme.figures) == set(BAKES)
    assert all(reason for reason in readme.reasons.values()), "every remaining check needs a reason"
    # The command shown is the one whose numbers are shown: the versions it pins are the
    # locked ones this test measures with (validate-pyproject adds a check of its own).
    pins = set(PIN.findall(readme.code))
    assert {"sp-repo-review", "validate-pyproject"} <= {name for name, _ in pins}
    assert sorted(pins) == sorted((name, version(name)) for name, _ in pins)


@pytest.mark.parametrize("bake_id", list(BAKES))
def test_failing_checks_are_exactly_the_documented_ones(bake: Bake, bake_id: str) -> None:
    measured = measure(bake(**BAKES[bake_id]).path)
    readme = documented()
    assert sorted(measured.failed) == sorted(readme.remaining[bake_id]), (
        "update the remaining-checks table in README.md: a check failing that is not listed, "
        "or one listed that no longer fails"
    )
    assert (len(measured.passed), measured.applicable) == readme.figures[bake_id]
    assert len(measured.passed) >= MINIMUM_SHARE * measured.applicable
