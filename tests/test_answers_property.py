"""Every typed answer, whatever its text: a project whose files parse and hold it exactly, or one line.

Hypothesis draws text for each field the user types, from every Unicode category (controls,
surrogates, separators included) mixed with the pieces that broke bakes before: quotes, backslashes,
tabs, path separators, unicode digits. Each example is a real in-process cookiecutter bake into its
own temporary directory. A name or description must also leave README.md, CONTRIBUTING.md and
SECURITY.md clean to the bake's own rumdl and showing the text typed. Text holding Jinja syntax
is left to `test_negative.py` and the cruft tests: cookiecutter renders it before any hook can
see it.
"""

from __future__ import annotations

import json
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from cookiecutter.environment import StrictEnvironment
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter
from cookiecutter.prompt import render_variable
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import markdown, validators
from support.hooks import load_hook
from support.options import QUESTIONS, TEMPLATE

pytestmark = pytest.mark.negative


pre_gen = load_hook("pre_gen_project")

# Pieces that once broke a bake or a file format, drawn as often as single characters.
TRICKY = [
    '"', "'", "\\", "\t", "\n", "\r\n", "\x00", "\x7f", "\x85", "\u2028", "/", "../", "~", ".",
    " ", "\u00a0", "#", ":", "$", "}}", "%}", "#}", "`", "<", "&", "\u0663", "\u00b2", "Ü", "✓",
    "\U0001f469\u200d\U0001f4bb", "\ud800", "@", "-", "_", "a", "Z", "7",
]  # fmt: skip
OPENERS = pre_gen.JINJA_OPENERS
any_character = st.characters(exclude_categories=())
text = (
    st.lists(st.one_of(any_character, st.sampled_from(TRICKY)), max_size=24)
    .map("".join)
    .filter(lambda value: not any(opener in value for opener in OPENERS))
)

# What Markdown reads as markup, for the fields written into Markdown (names, descriptions).
MARKUP = [
    "*", "_", "`", "[", "](", "!", "^", "<b>", "&amp;", "#", "- ", "1. ", "2) ", "> ", "=", "+",
    "https://", "www.", "@", "|", "~~", "\\", "  ", "\t", ".", ":", " ", "a", "Z", "7",
]  # fmt: skip
markdown_text = st.lists(st.sampled_from(MARKUP), min_size=1, max_size=16).map("".join)


def matching(pattern: Any) -> st.SearchStrategy[str]:
    return st.from_regex(pattern, fullmatch=True)


# Each typed field: what to draw, and which fields a refusal may name (a name makes the slug).
FIELDS: dict[str, tuple[st.SearchStrategy[Any], set[str]]] = {
    "project_name": (st.one_of(text, markdown_text), {"project_name", "project_slug", "package_name"}),
    "description": (st.one_of(text, markdown_text), {"description"}),
    "author_name": (text, {"author_name"}),
    "author_email": (st.one_of(text, matching(pre_gen.EMAIL)), {"author_email"}),
    "github_owner": (st.one_of(text, matching(pre_gen.GITHUB_OWNER)), {"github_owner"}),
    "project_slug": (st.one_of(text, matching(pre_gen.SLUG)), {"project_slug", "package_name"}),
    "package_name": (
        st.one_of(text, matching(pre_gen.PACKAGE), st.sampled_from(sorted(pre_gen.STDLIB_MODULES))),
        {"package_name"},
    ),
    "version": (st.one_of(text, matching(pre_gen.VERSION)), {"version"}),
    "python_min": (
        st.one_of(text, st.sampled_from([f"3.{minor}" for minor in range(8, 17)])),
        {"python_min"},
    ),
    "python_max": (
        st.one_of(text, st.sampled_from([f"3.{minor}" for minor in range(8, 17)])),
        {"python_min", "python_max"},
    ),
    "coverage_threshold": (
        st.one_of(text, st.integers(-5, 120).map(str), matching(r"[0-9\u0660-\u0669\u00b2]{1,3}")),
        {"coverage_threshold"},
    ),
    # A choice asked as text (its default follows the kind): only its choices bake.
    "cli": (
        st.one_of(text, st.sampled_from(["argparse", "typer", "none", "Typer", "click", " none"])),
        {"cli"},
    ),
}


# Fields written into Markdown, with the text each shows when another field is drawn.
MARKDOWN_FIELDS = {key: QUESTIONS[key] for key in ("project_name", "description")}


def parse_every_structured_file(project: Path) -> None:
    for path in project.rglob("*"):
        if path.suffix == ".toml":
            tomllib.loads(path.read_text("utf-8"))
        elif path.suffix in {".yml", ".yaml"}:
            yaml.safe_load(path.read_text("utf-8"))
        elif path.suffix == ".json":
            json.loads(path.read_text("utf-8"))


def where_it_lands(project: Path) -> dict[str, Callable[[], Any]]:
    """Where each answer must appear, read back from parsed files or exact lines."""
    pyproject = tomllib.loads((project / "pyproject.toml").read_text("utf-8"))
    classifiers = pyproject["project"]["classifiers"]
    versions = [
        c.rsplit(" :: ", 1)[1] for c in classifiers if c.startswith("Programming Language :: Python :: 3.")
    ]
    return {
        # Markdown shows runs of spaces and tabs as one: see check_markdown for the other places.
        "project_name": lambda: markdown.where_answers_show(project)["README.md heading"],
        "description": lambda: pyproject["project"]["description"],
        "author_name": lambda: pyproject["project"]["authors"][0]["name"],
        "author_email": lambda: pyproject["project"]["authors"][0]["email"],
        "github_owner": lambda: (
            (project / ".github/CODEOWNERS").read_text("utf-8").splitlines()[-1].removeprefix("* @")
        ),
        "project_slug": lambda: pyproject["project"]["name"],
        "package_name": lambda: pyproject["tool"]["uv"]["build-backend"]["module-name"],
        "version": lambda: pyproject["project"]["version"],
        "python_min": lambda: versions[0],
        "python_max": lambda: versions[-1],
        "coverage_threshold": lambda: str(pyproject["tool"]["coverage"]["report"]["fail_under"]),
        "cli": lambda: (
            "none"
            if "scripts" not in pyproject["project"]
            else "typer"
            if any(dep.startswith("typer") for dep in pyproject["project"]["dependencies"])
            else "argparse"
        ),
    }


def check_markdown(project: Path, answers: dict[str, str]) -> None:
    """The bake's own rumdl passes where a name or description lands, and each shows as typed."""
    assert validators.failures([markdown.rumdl(project)]) == []
    assert markdown.where_answers_show(project) == markdown.expected_answers_shown(
        answers["project_name"], answers["description"]
    )


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Cookiecutter's replay and clone folders kept out of the user's home."""
    home = tmp_path_factory.mktemp("cookiecutter-home")
    config = home / "config.yaml"
    config.write_text(
        yaml.safe_dump({"cookiecutters_dir": str(home / "templates"), "replay_dir": str(home / "replay")}),
        "utf-8",
    )
    return str(config)


def test_every_typed_field_is_covered() -> None:
    typed = {key for key, value in QUESTIONS.items() if isinstance(value, str)}
    assert typed == set(FIELDS)


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_any_text_bakes_exactly_or_is_refused_in_one_line(
    field: str, config_file: str, capfd: pytest.CaptureFixture[str]
) -> None:
    strategy, may_name = FIELDS[field]
    environment = StrictEnvironment()

    @settings(
        max_examples=20,
        deadline=None,
        derandomize=True,
        database=None,
        # A bake takes a fraction of a second: slow, by design, not a problem to report.
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(value=strategy)
    def bake(value: str) -> None:
        capfd.readouterr()
        with tempfile.TemporaryDirectory() as scratch:
            out = Path(scratch) / "out"
            out.mkdir()
            try:
                made = cookiecutter(
                    str(TEMPLATE),
                    no_input=True,
                    extra_context={field: value},
                    output_dir=str(out),
                    config_file=config_file,
                )
            except FailedHookException:
                ours = [line for line in capfd.readouterr().err.splitlines() if line.startswith("error: ")]
                assert len(ours) == 1, ours
                assert ours[0].split("=", 1)[0].removeprefix("error: ") in may_name, ours[0]
                assert list(out.iterdir()) == [], "a refused bake must leave nothing on disk"
                return
            project = Path(made)
            assert [path.name for path in out.iterdir()] == [project.name]
            parse_every_structured_file(project)
            # What cookiecutter hands the hooks and records for replay: the text rendered once.
            recorded = render_variable(environment, value, {})
            if field in MARKDOWN_FIELDS:
                check_markdown(project, {**MARKDOWN_FIELDS, field: recorded})
                recorded = markdown.collapsed(recorded) if field == "project_name" else recorded
            assert where_it_lands(project)[field]() == recorded

    bake()
