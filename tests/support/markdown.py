"""Typed text in the baked Markdown: what the bake's rumdl hook says, and what a reader is shown.

rumdl is the version the bake's pre-commit hook pins (the `test` group pins the same), run with
the bake's own `[tool.rumdl]`, found from the project folder as the hook finds it. markdown-it-py
parses CommonMark plus GitHub's tables and strikethrough; each heading and paragraph comes back
as its text, with anything that is not plain text (emphasis, a link, HTML, a line break) shown
as `<token type>` so it can never pass for the answer.
"""

from __future__ import annotations

import itertools
import re
import subprocess
from pathlib import Path

from markdown_it import MarkdownIt

from support.validators import TOOLS, Outcome

# Where a project's name or description is written into Markdown.
FILES_WITH_ANSWERS = ("README.md", "CONTRIBUTING.md", "SECURITY.md")

_PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def rumdl(project: Path) -> Outcome:
    """One rumdl call over every file that holds an answer, as the pre-commit hook runs it."""
    command = [str(TOOLS / "rumdl"), "check", "--no-cache", *FILES_WITH_ANSWERS]
    completed = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
    return Outcome(" ".join(command), completed.returncode, completed.stdout + completed.stderr)


def shown(markdown: str) -> list[tuple[str, str]]:
    """(tag, text) of each heading and paragraph, in order: ("h1", "Title"), ("p", "Some text")."""
    blocks: list[tuple[str, str]] = []
    tokens = _PARSER.parse(markdown)
    for opening, inline in itertools.pairwise(tokens):
        if inline.type == "inline" and opening.type in {"heading_open", "paragraph_open"}:
            children = inline.children or []
            text = "".join(child.content if child.type == "text" else f"<{child.type}>" for child in children)
            blocks.append((opening.tag, text))
    return blocks


def collapsed(answer: str) -> str:
    """The answer as a browser shows it: runs of spaces and tabs become one space."""
    return re.sub(r"[ \t]+", " ", answer)


def where_answers_show(project: Path) -> dict[str, str]:
    """The rendered text at each place a name or description lands, keyed by a readable label."""
    readme = shown((project / "README.md").read_text("utf-8"))
    contributing = shown((project / "CONTRIBUTING.md").read_text("utf-8"))
    security = shown((project / "SECURITY.md").read_text("utf-8"))
    [supported] = [text for tag, text in security if text.startswith("Security fixes go into")]
    return {
        "README.md heading": readme[0][1] if readme[0][0] == "h1" else f"not a heading: {readme[0]}",
        # The first paragraph is the badges; the description is the one after.
        "README.md description": readme[2][1] if readme[2][0] == "p" else f"not a paragraph: {readme[2]}",
        "CONTRIBUTING.md heading": contributing[0][1],
        "SECURITY.md supported versions": supported,
    }


def expected_answers_shown(project_name: str, description: str) -> dict[str, str]:
    name = collapsed(project_name)
    return {
        "README.md heading": name,
        "README.md description": collapsed(description),
        "CONTRIBUTING.md heading": f"Contributing to {name}",
        "SECURITY.md supported versions": f"Security fixes go into the latest release of {name}.",
    }
