"""Check that the built site's API reference documents every public name of the package.

    python .github/scripts/docs_check.py SITE_DIR

Sphinx's strict build fails on broken links and references, but autodoc leaves out
a name with no docstring without a word, and a page whose `automodule` lost its
`:members:` still builds. This reads `__all__` from the package's `__init__.py`
(parsed, not imported) and looks each public name up in the site's object inventory
(SITE_DIR/objects.inv, which Sphinx writes from what it documented), where it must be
a Python object on the API page: an HTML anchor typed into a page does not count.

Exit status: 0 when every name is there, 1 when one is missing or nothing can be read.
"""

from __future__ import annotations

import ast
import re
import sys
import zlib
from pathlib import Path

API_PAGE = "api.html"
INVENTORY = "objects.inv"
# One entry of a version 2 inventory: name, domain:role, priority, URI, display name.
ENTRY = re.compile(
    r"(?P<name>.+?)\s+(?P<domain>[^\s:]+):(?P<role>\S+)\s+-?\d+\s+(?P<uri>\S*)"
)


def package_init(root: Path) -> Path:
    """The `__init__.py` of the one package under src/."""
    found = sorted(root.glob("src/*/__init__.py"))
    if len(found) != 1:
        names = (
            ", ".join(str(path.parent.relative_to(root)) for path in found) or "none"
        )
        msg = f"expected one package under src/, found: {names}"
        raise ValueError(msg)
    return found[0]


def public_names(init: Path) -> list[str]:
    """The names in the module's `__all__` that do not start with an underscore."""
    tree = ast.parse(init.read_text(encoding="utf-8"), filename=str(init))
    found = None
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            targets, value = [node.target], node.value
        else:
            continue
        if not any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            continue
        if isinstance(node, ast.AugAssign) or found is not None:
            # A list built in steps cannot be read without running the module.
            msg = f"{init}: write __all__ once, as one list of names"
            raise ValueError(msg)
        names = ast.literal_eval(value) if value is not None else None
        if not isinstance(names, list | tuple) or not all(
            isinstance(n, str) for n in names
        ):
            msg = f"{init}: __all__ is not a list of names"
            raise ValueError(msg)
        found = [name for name in names if not name.startswith("_")]
    if found is None:
        msg = f"{init}: no __all__, so the API reference has no list to document"
        raise ValueError(msg)
    return found


def documented(site: Path, package: str) -> set[str]:
    """The package's names that Sphinx documented as Python objects on the API page."""
    path = site / INVENTORY
    if not (site / API_PAGE).is_file() or not path.is_file():
        msg = f"{site / API_PAGE} or {path} is missing: docs/api.md was not built"
        raise ValueError(msg)
    header, _, body = path.read_bytes().partition(b"zlib.\n")
    if not header.startswith(b"# Sphinx inventory version 2"):
        msg = f"{path} is not a Sphinx inventory (version 2)"
        raise ValueError(msg)
    try:
        text = zlib.decompress(body).decode("utf-8")
    except zlib.error as error:
        msg = f"{path} cannot be read: {error}"
        raise ValueError(msg) from error
    names = set()
    for line in text.splitlines():
        entry = ENTRY.match(line)
        if (
            entry
            and entry["domain"] == "py"
            and entry["role"] != "module"
            and entry["uri"].partition("#")[0] == API_PAGE
        ):
            names.add(entry["name"].removeprefix(f"{package}."))
    return names


def main(argv: list[str]) -> int:
    """Check the site given on the command line; the exit status."""
    if len(argv) != 1:
        print("usage: docs_check.py SITE_DIR", file=sys.stderr)
        return 1
    site = Path(argv[0])
    try:
        init = package_init(Path.cwd())
        package = init.parent.name
        names = public_names(init)
        absent = [name for name in names if name not in documented(site, package)]
    except (OSError, SyntaxError, ValueError) as error:
        print(f"::error::docs check: {error}")
        return 1
    for name in absent:
        print(
            f"::error file=docs/api.md::{package}.{name} is in __all__ but not on"
            " the API page: give it a docstring (autodoc leaves out undocumented names;"
            " a constant needs a `#:` comment above it in __init__.py itself)"
        )
    if absent:
        return 1
    print(
        f"docs check: the API page documents all {len(names)} public names of {package}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
