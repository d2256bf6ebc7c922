"""Check that the built site's API reference documents every public name of the package.

    python .github/scripts/docs_check.py SITE_DIR

Sphinx's strict build fails on broken links and references, but autodoc leaves out
a name with no docstring without a word, and a page whose `automodule` lost its
`:members:` still builds. This reads `__all__` from the package's `__init__.py`
(parsed, not imported) and looks for each public name's anchor (`package.name`) in
SITE_DIR/api.html.

Exit status: 0 when every name is there, 1 when one is missing or nothing can be read.
"""

from __future__ import annotations

import ast
import sys
from html.parser import HTMLParser
from pathlib import Path

API_PAGE = "api.html"


class _Ids(HTMLParser):
    """Collects the `id` of every element of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:  # noqa: ARG002
        self.ids.update(value for name, value in attrs if name == "id" and value)


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
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__all__"
            for target in node.targets
        ):
            value = ast.literal_eval(node.value)
            if not isinstance(value, list | tuple) or not all(
                isinstance(n, str) for n in value
            ):
                msg = f"{init}: __all__ is not a list of names"
                raise ValueError(msg)
            return [name for name in value if not name.startswith("_")]
    msg = f"{init}: no __all__, so the API reference has no list to document"
    raise ValueError(msg)


def missing(site: Path, package: str, names: list[str]) -> list[str]:
    """The names whose anchor is not on the site's API page."""
    page = site / API_PAGE
    if not page.is_file():
        msg = f"{page} is missing: docs/api.md was not built"
        raise ValueError(msg)
    parser = _Ids()
    parser.feed(page.read_text(encoding="utf-8"))
    return [name for name in names if f"{package}.{name}" not in parser.ids]


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
        absent = missing(site, package, names)
    except (OSError, SyntaxError, ValueError) as error:
        print(f"::error::docs check: {error}")
        return 1
    for name in absent:
        print(
            f"::error file=docs/api.md::{package}.{name} is in __all__ but not on"
            " the API page: give it a docstring (autodoc leaves out undocumented names)"
        )
    if absent:
        return 1
    print(
        f"docs check: the API page documents all {len(names)} public names of {package}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
