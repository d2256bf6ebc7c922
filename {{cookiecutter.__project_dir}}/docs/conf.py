"""Sphinx's settings for the site (docs/deployment.md, "Documentation site").

Build it as CI does, from scratch (-E), warnings as errors, then check the API page:

    uv run --group docs sphinx-build -E -W --keep-going -n -b html docs docs/_build/html
    uv run --group docs python .github/scripts/docs_check.py docs/_build/html
"""

import tomllib
from pathlib import Path

_PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"

project = {{ cookiecutter.project_name | tojson }}
author = {{ cookiecutter.author_name | tojson }}
copyright = author  # noqa: A001 (the name Sphinx reads)
release = tomllib.loads(_PYPROJECT.read_text(encoding="utf-8"))["project"]["version"]
version = release

extensions = [
    "myst_parser",  # Markdown pages, and the README and guides as they are
    "sphinx.ext.autodoc",  # the API reference, from the package's docstrings
    "sphinx.ext.napoleon",  # Google-style sections: Args, Returns, Raises
    "sphinx.ext.viewcode",  # a link from each object to its source
]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
# Every reference must resolve: a link to a missing page, heading or object is an error.
nitpicky = True
# ...except types from other packages (pathlib.Path, a dependency's classes), which this
# site does not document: they show as plain text. To link them, add their inventories
# with sphinx.ext.intersphinx (fetched from the network at every build).
nitpick_ignore_regex = [(r"py:.*", r"(?!{{ cookiecutter.package_name }}(\.|$)).*")]
# Headings down to ### get anchors, so `deployment.md#later-releases` links resolve.
myst_heading_anchors = 3
myst_enable_extensions = ["tasklist"]
autodoc_typehints = "description"
autodoc_member_order = "bysource"
napoleon_numpy_docstring = False

html_theme = "furo"
html_title = project
