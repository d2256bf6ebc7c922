"""Render tier: every combination bakes files that parse, hold no leftover Jinja, and follow the answers."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from conftest import Bake, Project
from support import markdown, validators
from support.options import CHOICES, OPTIONS, QUESTIONS, render_combinations

pytestmark = pytest.mark.render

COMBINATIONS = [pytest.param(overrides, id=name) for name, overrides in render_combinations()]
LEFTOVER_JINJA = re.compile(r"\{\{-?\s*cookiecutter|\{%|%\}|\{#|#\}|cookiecutter\.[a-z_]")


@pytest.fixture(params=COMBINATIONS)
def project(request: pytest.FixtureRequest, bake: Bake) -> Project:
    return bake(**request.param)


def test_no_unrendered_jinja(project: Project) -> None:
    leftovers = []
    for relative in project.files():
        text = (project.path / relative).read_text(encoding="utf-8")
        leftovers += [f"{relative}: {match.group(0)!r}" for match in LEFTOVER_JINJA.finditer(text)]
        if LEFTOVER_JINJA.search(relative):
            leftovers.append(f"file name {relative}")
    assert leftovers == []


def test_structured_files_parse(project: Project) -> None:
    parsed = []
    for relative in project.files():
        if relative.endswith((".yml", ".yaml")):
            assert project.yaml(relative) is not None, relative
        elif relative.endswith(".toml"):
            project.toml(relative)
        elif relative.endswith(".json"):
            json.loads(project.text(relative))
        else:
            continue
        parsed.append(relative)
    assert "pyproject.toml" in parsed
    assert ".pre-commit-config.yaml" in parsed


def test_python_versions_written_once_agree(project: Project) -> None:
    """requires-python, classifiers and tool targets all derive from python_min/python_max."""
    oldest, newest = project.answers["python_min"], project.answers["python_max"]
    expected = [f"3.{minor}" for minor in range(int(oldest[2:]), int(newest[2:]) + 1)]
    pyproject = project.toml()
    assert pyproject["project"]["requires-python"] == f">={oldest}"
    classified = [
        c.rsplit(" :: ", 1)[1]
        for c in pyproject["project"]["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]
    assert classified == expected
    # Ruff reads its target from requires-python; a second copy could disagree.
    assert "target-version" not in pyproject["tool"]["ruff"]
    assert pyproject["tool"]["ty"]["environment"]["python-version"] == oldest


def test_files_and_jobs_are_what_the_manifest_says_the_answers_bring(project: Project) -> None:
    answers, package = project.answers, project.package
    brought_files = {
        path for name, option in OPTIONS.items() for path in option.files_for(answers[name], package)
    }
    brought_jobs = {job for name, option in OPTIONS.items() for job in option.jobs_for(answers[name])}
    for option in OPTIONS.values():
        for value in option.values:
            for relative in option.files_for(value, package):
                assert project.exists(relative) is (relative in brought_files), relative
            for workflow, job in option.jobs_for(value):
                # A job goes with its workflow: notifications bring a notify job to
                # template-sync.yml, which exists only with template sync on (checked above).
                present = project.exists(workflow) and job in project.yaml(workflow)["jobs"]
                expected = (workflow, job) in brought_jobs and project.exists(workflow)
                assert present is expected, (workflow, job)


def test_files_follow_the_options(project: Project) -> None:
    answers, pyproject = project.answers, project.toml()
    package = f"src/{project.package}"
    slug, service = answers["project_slug"], answers["kind"] == "service"
    scripts = {name: target.split(":")[0] for name, target in pyproject["project"].get("scripts", {}).items()}
    expected = {slug: f"{project.package}.cli"} if answers["cli"] != "none" else {}
    if service:
        expected[f"{slug}-serve"] = f"{project.package}.serve"
    assert scripts == expected
    dependencies = {re.split(r"[<>=\[]", dep)[0] for dep in pyproject["project"]["dependencies"]}
    service_stack = {"fastapi", "uvicorn", "pydantic-settings", "structlog"}
    database_stack = {"alembic", "psycopg", "sqlalchemy"}
    assert dependencies == (
        (service_stack if service else set())
        | ({"typer"} if answers["cli"] == "typer" else set())
        | (database_stack if answers["database"] == "postgresql" else set())
    )
    test_group = {re.split(r"[<>=]", dep)[0] for dep in pyproject["dependency-groups"]["test"]}
    assert ("httpx2" in test_group) is service
    assert project.exists(f"{package}/py.typed")
    assert project.exists(f"{package}/__init__.py")


def test_license_matches_the_answer(project: Project) -> None:
    pyproject = project.toml()["project"]
    license_text = project.text("LICENSE")
    expected_spdx = {"Proprietary": "LicenseRef-Proprietary"}.get(
        project.answers["license"], project.answers["license"]
    )
    assert pyproject["license"] == expected_spdx
    assert pyproject["license-files"] == ["LICENSE"]
    first_words = {
        "MIT": "MIT License",
        "Apache-2.0": "Apache License",
        "BSD-3-Clause": "BSD 3-Clause License",
        "GPL-3.0-or-later": "GNU GENERAL PUBLIC LICENSE",
        "Proprietary": "Copyright (c)",
    }[project.answers["license"]]
    assert license_text.lstrip().startswith(first_words)
    is_private = "Private :: Do Not Upload" in pyproject["classifiers"]
    assert is_private is (project.answers["license"] == "Proprietary")


def test_already_formatted_and_lint_clean(project: Project) -> None:
    assert validators.failures(validators.ruff(project.path)) == []


def test_pyproject_is_valid(project: Project) -> None:
    assert validators.failures(validators.validate_pyproject(project.path)) == []


def test_pre_commit_config_is_valid(project: Project) -> None:
    assert validators.failures(validators.pre_commit_config(project.path)) == []


def test_type_check_runs_the_locked_ty_everywhere(project: Project) -> None:
    """CI, the hook and the README run the one ty the `typecheck` group pins, over one scope."""
    pyproject = project.toml()
    [pin] = [dep for dep in pyproject["dependency-groups"]["typecheck"] if isinstance(dep, str)]
    assert re.fullmatch(r"ty==\d+\.\d+\.\d+", pin), pin
    assert pyproject["tool"]["ty"]["src"]["include"] == ["src", "tests", ".github/scripts"]
    assert pyproject["tool"]["ty"]["rules"]["all"] == "error"
    assert pyproject["tool"]["ty"]["terminal"]["error-on-warning"] is True

    repos = project.yaml(".pre-commit-config.yaml")["repos"]
    hooks = [hook for repo in repos for hook in repo["hooks"]]
    ids = [hook["id"] for hook in hooks]
    local = [hook for repo in repos if repo["repo"] == "local" for hook in repo["hooks"]]
    [ty_hook] = [hook for hook in local if hook["id"] == "ty"]
    assert ty_hook["entry"].split() == ["uv", "run", "--frozen", "ty", "check"]
    assert ty_hook["pass_filenames"] is False
    # A missing or stale lock stops the run before ty would trip over the same lock.
    [uv_lock] = [hook for hook in hooks if hook["id"] == "uv-lock"]
    assert uv_lock["fail_fast"] is True
    assert ids.index("uv-lock") < ids.index("ty")

    code_job = project.yaml(".github/workflows/quality.yml")["jobs"]["code"]
    runs = [step["run"] for step in code_job["steps"] if "run" in step]
    assert "uv run --no-sync ty check --output-format=github" in runs


def test_every_choice_is_rendered_somewhere() -> None:
    seen: dict[str, set[Any]] = {key: set() for key in CHOICES}
    for _, overrides in render_combinations():
        for key in CHOICES:
            seen[key].add(overrides.get(key, CHOICES[key][0]))
    assert {key: sorted(map(str, values)) for key, values in seen.items()} == {
        key: sorted(map(str, values)) for key, values in CHOICES.items()
    }


# What the files must end up holding: quotes, backslashes, colons, `#`, a tab, unicode, `$` and the
# closing halves of Jinja tags. Text with an opening `{{`, `{%` or `{#` is refused (test_negative.py):
# cruft would render it again on every update. author_name holds no quotes, backslashes or colons:
# those are RFC 5322 specials, refused because the Author-email header holds the name unquoted.
HOSTILE = {
    "project_name": 'Ünïcode "Quoted"\tTool: #1 $HOME }} %}',
    "description": 'It\'s a "test" \\ with: colons # hash\ttab ${ env.X } #} and ünïcode ✓',
    "author_name": "Zoë O'Brien #1 $x\t}} %} ✓",
}


@pytest.fixture
def hostile(bake: Bake) -> Project:
    return bake(**HOSTILE)


@pytest.mark.parametrize("key", sorted(HOSTILE))
def test_hostile_text_survives_exactly(hostile: Project, key: str) -> None:
    pyproject = hostile.toml()["project"]
    where = {
        # Markdown shows runs of spaces and tabs as one space (test_hostile_text_is_plain_markdown).
        "project_name": lambda: markdown.where_answers_show(hostile.path)["README.md heading"],
        "description": lambda: pyproject["description"],
        "author_name": lambda: pyproject["authors"][0]["name"],
    }
    expected = markdown.collapsed(HOSTILE[key]) if key == "project_name" else HOSTILE[key]
    assert where[key]() == expected


def test_hostile_text_stays_out_of_workflows_and_code(hostile: Project) -> None:
    """Free text never reaches a place where GitHub or Python would evaluate it."""
    for relative in hostile.files():
        if relative.startswith(".github/") or relative.endswith(".py"):
            text = hostile.text(relative)
            for value in HOSTILE.values():
                assert value not in text, relative


def test_hostile_bake_is_still_clean(hostile: Project) -> None:
    outcomes = validators.ruff(hostile.path) + validators.validate_pyproject(hostile.path)
    assert validators.failures(outcomes) == []
    assert hostile.answers["project_slug"] == "unicode-quoted-tool-1-home"


# Names and descriptions that would be Markdown markup (and fail the bake's rumdl hook) if written
# raw: trailing punctuation in a heading (MD026), tabs (MD010), double spaces (MD064), bare URLs
# (MD034), `#1` (MD018), emphasis (MD036, MD037), links (MD059), a closing `#` (MD003), HTML (MD033),
# line starts that make lists, quotes, rules or fences, and text that was hostile elsewhere.
HOSTILE_MARKDOWN = [
    pytest.param("Yahoo!", "Ends with a dot.", id="trailing-punctuation"),
    pytest.param("Acme Inc.", "Tab\there,  two  spaces\t\tand tabs", id="whitespace-runs"),
    pytest.param("Tool #", "#1 tool, C# and F# #", id="hash"),
    pytest.param(
        "Tool: the sequel", "See https://example.com, www.example.org, me@example.net", id="bare-urls"
    ),
    pytest.param("a * b * c", "*emph*, _under_, __strong__, `code` and a * b * c", id="emphasis"),
    pytest.param("[link]", "[link], [x](y), ![img](z), [^1] and [ref]: https://x", id="links"),
    pytest.param("<script>", "<script>alert(1)</script> &amp; &#64; &copy; <https://x>", id="html"),
    pytest.param("Foo <!-- hidden --> bar", "<!-- x and <!---->", id="html-comment-openers"),
    pytest.param("- dash", "+ plus", id="bullet-starts"),
    pytest.param("> quote", "1. one", id="quote-and-ordered-start"),
    pytest.param("1986.", "2) two", id="ordered-starts"),
    pytest.param("=== x", "---", id="setext-and-rule-starts"),
    pytest.param("~~~ fence", "``` fence and ~~strike~~", id="fences"),
    pytest.param("a | b", "| a | b |", id="table-pipes"),
    pytest.param('O\'Brien "Dev" \\', 'It\'s a "test" ending in a backslash \\', id="quotes-backslashes"),
    pytest.param(
        "Emoji \U0001f389 \u2713",
        "\u200fRTL \u0645\u0631\u062d\u0628\u0627 mark\u200e and \u202eoverride",
        id="unicode",
    ),
    pytest.param("Brace }} %} #}", "Closing }} %} #}, $HOME and $x$", id="jinja-closers-and-dollars"),
    pytest.param("No\u00a0\u00a0break", "Em\u2003\u2003spaces", id="unicode-spaces"),
]


@pytest.mark.parametrize(("project_name", "description"), HOSTILE_MARKDOWN)
def test_hostile_text_is_plain_markdown(
    bake: Bake, request: pytest.FixtureRequest, project_name: str, description: str
) -> None:
    """The bake's own rumdl passes, and each place shows the answer's text, nothing else."""
    slug = f"md-{request.node.callspec.id}"
    project = bake(project_name=project_name, description=description, project_slug=slug)
    assert validators.failures([markdown.rumdl(project.path)]) == []
    assert markdown.where_answers_show(project.path) == markdown.expected_answers_shown(
        project_name, description
    )


def test_markdown_lint_here_is_the_rumdl_the_hook_pins(bake: Bake, template_dir: Path) -> None:
    """The render tier's rumdl (`test` group) and the bake's pre-commit hook are one version."""
    template = tomllib.loads((template_dir / "pyproject.toml").read_text("utf-8"))
    [pin] = [dep for dep in template["dependency-groups"]["test"] if dep.startswith("rumdl")]
    [hook_repo] = [
        repo
        for repo in bake().yaml(".pre-commit-config.yaml")["repos"]
        if repo["repo"] == "https://github.com/rvben/rumdl-pre-commit"
    ]
    assert pin == f"rumdl=={hook_repo['rev'].removeprefix('v')}"


@pytest.mark.parametrize(
    ("project_name", "description"),
    [
        pytest.param(QUESTIONS["project_name"], QUESTIONS["description"], id="defaults"),
        pytest.param("My-Tool (beta)", "O'Brien's parser: CI/CD for Python 3.14, 100% typed!", id="prose"),
    ],
)
def test_markdown_keeps_ordinary_text_as_typed(bake: Bake, project_name: str, description: str) -> None:
    """Escaping is for markup only: everyday punctuation is not backslashed in the file."""
    project = bake(project_name=project_name, description=description)
    readme = project.text("README.md").splitlines()
    assert readme[0] == f"# {project_name}"
    assert description in readme


def test_defaults_come_from_cookiecutter_json(bake: Bake) -> None:
    project = bake()
    for key, value in QUESTIONS.items():
        if isinstance(value, str) and "{{" not in value:
            assert project.answers[key] == value


def test_baking_twice_gives_identical_files(tmp_path: Path, template_dir: Path) -> None:
    """Same answers, same bytes: nothing machine-dependent leaks in (cruft diffs rely on it)."""
    from cookiecutter.main import cookiecutter

    trees = []
    for name in ("first", "second"):
        project = Path(cookiecutter(str(template_dir), no_input=True, output_dir=str(tmp_path / name)))
        trees.append(
            {p.relative_to(project): p.read_bytes() for p in sorted(project.rglob("*")) if p.is_file()}
        )
    assert trees[0] == trees[1]


def test_text_files_start_with_content_and_end_with_one_newline(project: Project) -> None:
    """What end-of-file-fixer and yamllint would otherwise flag, caught on every combination."""
    for relative in project.files():
        text = project.text(relative)
        if not text:
            continue  # py.typed is empty by design
        assert not text.startswith("\n"), f"{relative} starts with a blank line"
        assert text.endswith("\n"), f"{relative} must end with a newline"
        assert not text.endswith("\n\n"), f"{relative} ends with blank lines"
