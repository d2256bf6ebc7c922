"""The next steps the post-gen hook prints after a bake, read the way a user reads them.

`printed(answers)` is the text itself, from the hook's own `next_steps` (the function `main()`
prints), so nothing here can drift from what users see. `command_blocks(text)` splits it into the
runs of commands it shows: lines indented by two spaces, each under a line of prose. The first
block ("Next steps:") takes a fresh bake to its first commit; the second pushes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import ModuleType
from typing import Any

from support.hooks import load_hook

COMMAND_INDENT = "  "


@cache
def _post_gen_hook() -> ModuleType:
    # The hook's only Jinja is inside a string constant, so the template file imports as it is.
    return load_hook("post_gen_project")


def printed(answers: Mapping[str, Any]) -> str:
    """What the post-gen hook prints for these answers."""
    return str(_post_gen_hook().next_steps(answers))


def command_blocks(text: str) -> list[list[str]]:
    """Each run of command lines (two-space indent, indent removed, comments kept), in order."""
    blocks: list[list[str]] = []
    in_block = False
    for line in text.splitlines():
        if line.startswith(COMMAND_INDENT) and line.strip():
            if not in_block:
                blocks.append([])
                in_block = True
            blocks[-1].append(line.removeprefix(COMMAND_INDENT))
        else:
            in_block = False
    return blocks


def command_of(step: str) -> str:
    """A printed step without its trailing `# comment` (no step quotes a `#`)."""
    return step.split(" #", 1)[0].strip()
