"""Negative tier: the real cookiecutter command refuses bad answers cleanly and leaves nothing behind."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Bake
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter
from support import manifest
from support.options import OPTIONS, TEMPLATE, refusal

pytestmark = pytest.mark.negative

COOKIECUTTER = str(Path(sys.executable).parent / "cookiecutter")

BAD_ANSWERS = [
    pytest.param({"package_name": "import"}, "package_name='import'", id="keyword-package"),
    pytest.param({"package_name": "typing"}, "package_name='typing'", id="stdlib-package"),
    pytest.param({"project_slug": "Has Spaces"}, "project_slug='Has Spaces'", id="bad-slug"),
    pytest.param({"author_email": "not-an-email"}, "author_email='not-an-email'", id="bad-email"),
    pytest.param({"github_owner": "bad_owner!"}, "github_owner='bad_owner!'", id="bad-owner"),
    pytest.param({"version": "v1.0"}, "version='v1.0'", id="bad-version"),
    pytest.param({"python_min": "3.10"}, "python_min='3.10'", id="eol-python"),
    pytest.param(
        {"python_min": "3.14", "python_max": "3.12"},
        "python_max='3.12'",
        id="python-range-reversed",
    ),
    pytest.param({"coverage_threshold": "150"}, "coverage_threshold='150'", id="threshold-out-of-range"),
    pytest.param({"package_name": "test"}, "package_name='test'", id="package-left-out-of-stdlib-names"),
    pytest.param({"description": "bell\x07"}, "description='bell\\x07'", id="control-character"),
    pytest.param(
        {"description": "{% raw %}${{ github.token }}{% endraw %}"},
        "description='${{ github.token }}'",
        id="jinja-after-rendering",
    ),
    pytest.param(
        {"author_email": "o'brien@example.com"}, 'author_email="o\'brien@example.com"', id="email-quote"
    ),
    pytest.param({"coverage_threshold": "085"}, "coverage_threshold='085'", id="threshold-leading-zero"),
]


# Every combination the manifest refuses, baked through the real command: each refused answer with
# each choice of the values its rule names (a rule naming several answers needs all of them).
def _first_refused_by(rule: manifest.Refusal, overrides: dict[str, Any]) -> dict[str, Any]:
    """`overrides`, on a service when another rule would refuse them first (a deployed image
    refuses every kind but a service before its Python rule can speak)."""
    if refusal(overrides) is rule:
        return overrides
    return {"kind": "service", **overrides}


REFUSED = [
    pytest.param(
        _first_refused_by(rule, {rule.option: value, **dict(zip(rule.with_, refused_with, strict=True))}),
        rule,
        id="-with-".join(
            [f"{rule.option}={value}", *(f"{o}={v}" for o, v in zip(rule.with_, refused_with, strict=True))]
        ),
    )
    for rule in manifest.refusals(OPTIONS)
    for value in rule.when
    for refused_with in itertools.product(*rule.with_.values())
]


def tree(root: Path) -> list[str]:
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*"))


def refuse(completed: subprocess.CompletedProcess[str], named: str) -> None:
    """Exactly one line of ours, naming the answer, and no traceback from our hook."""
    assert completed.returncode != 0
    ours = [line for line in completed.stderr.splitlines() if line.startswith("error: ")]
    assert len(ours) == 1, completed.stderr
    assert ours[0].startswith(f"error: {named} is not accepted: ")
    # cookiecutter itself logs its FailedHookException with a traceback; none may come from our hook.
    assert "pre_gen_project" not in completed.stderr
    tracebacks = completed.stderr.count("Traceback (most recent call last)")
    assert tracebacks == completed.stderr.count("cookiecutter.exceptions.FailedHookException:") <= 1


def run_cli(tmp_path: Path, overrides: dict[str, str]) -> subprocess.CompletedProcess[str]:
    out = tmp_path / "work" / "out"
    out.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [COOKIECUTTER, "--no-input", "--output-dir", str(out), str(TEMPLATE)]
        + [f"{key}={value}" for key, value in overrides.items()],
        cwd=out.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(("overrides", "named"), BAD_ANSWERS)
def test_bad_answer_is_refused(tmp_path: Path, overrides: dict[str, str], named: str) -> None:
    completed = run_cli(tmp_path, overrides)
    refuse(completed, named)
    assert list((tmp_path / "work" / "out").iterdir()) == [], "a refused bake must leave nothing on disk"


SLUG_RULE = "at most 40 lowercase letters, digits and single hyphens, starting with a letter, e.g. 'my-tool'"
SHADOWED = "importing it would load theirs, not yours"
# The whole line, where the wording is what was wrong: a refusal must say what to change.
EXACT_REFUSALS = [
    pytest.param(
        {"project_name": "2048 Game"},
        f"project_slug='2048-game' is not accepted: {SLUG_RULE} "
        "(derived from project_name='2048 Game'; answer project_slug=... to choose one)",
        id="slug-derived-from-name",
    ),
    pytest.param(
        {"project_slug": "2048-game"},
        f"project_slug='2048-game' is not accepted: {SLUG_RULE}",
        id="slug-typed",
    ),
    pytest.param(
        {"project_name": "Packaging"},
        "project_slug='packaging' is not accepted: a name other than the project's own tools (packaging); "
        "uv cannot install a project named like one of its dependencies "
        "(derived from project_name='Packaging'; answer project_slug=... to choose one)",
        id="slug-derived-names-a-tool",
    ),
    pytest.param(
        {"project_name": "Yaml"},
        "package_name='yaml' is not accepted: a name the project's own tools install (pyyaml); "
        f"{SHADOWED} (derived from project_slug='yaml'; answer package_name=... to choose one)",
        id="package-derived-shadows-a-tool",
    ),
    pytest.param(
        {"package_name": "_pytest"},
        "package_name='_pytest' is not accepted: a name the project's own tools install (pytest); "
        f"{SHADOWED}",
        id="package-typed-shadows-a-tool",
    ),
    pytest.param(
        {"project_slug": "markdown-it", "cli": "typer"},
        "package_name='markdown_it' is not accepted: a name the project's own tools install "
        f"(markdown-it-py); {SHADOWED} (derived from project_slug='markdown-it'; answer package_name=... "
        "to choose one)",
        id="package-shadows-typers-dependency",
    ),
    pytest.param(
        {"author_name": "<script>"},
        "author_name='<script>' is not accepted: a name without ( ) < > [ ] : ; @ \\ , \" "
        "(the Author-email header holds it unquoted); it holds '<'",
        id="author-angle-bracket",
    ),
    pytest.param(
        {"python_min": "3.10"},
        "python_min='3.10' is not accepted: Python 3.10 reached end of life; "
        "one of 3.11, 3.12, 3.13, 3.14, 3.15",
        id="python-below-floor",
    ),
    pytest.param(
        {"python_max": "3.16"},
        "python_max='3.16' is not accepted: Python 3.16 is not released yet; "
        "one of 3.11, 3.12, 3.13, 3.14, 3.15",
        id="python-above-ceiling",
    ),
]


@pytest.mark.parametrize(("overrides", "line"), EXACT_REFUSALS)
def test_refusal_says_what_to_change(tmp_path: Path, overrides: dict[str, str], line: str) -> None:
    completed = run_cli(tmp_path, overrides)
    refuse(completed, line.split(" is not accepted: ")[0])
    assert f"error: {line}" in completed.stderr.splitlines()
    assert list((tmp_path / "work" / "out").iterdir()) == []


def test_names_only_typer_installs_bake_without_typer(tmp_path: Path) -> None:
    completed = run_cli(tmp_path, {"project_name": "Rich", "cli": "argparse"})
    assert completed.returncode == 0, completed.stderr
    assert [path.name for path in (tmp_path / "work" / "out").iterdir()] == ["rich"]


@pytest.mark.parametrize("name", ["O'Brien", "J. R. R. Tolkien", "Zoë", "山田"])
def test_author_names_with_apostrophes_periods_and_letters_bake(tmp_path: Path, name: str) -> None:
    completed = run_cli(tmp_path, {"author_name": name})
    assert completed.returncode == 0, completed.stderr


# Cookiecutter creates the project folder from project_slug before the pre-gen hook runs, and on a
# refusal removes only that folder: each of these once left a folder behind or made one outside the
# output directory.
PATH_LIKE_SLUGS = [
    pytest.param("a/b", id="slash"),
    pytest.param("a\\b", id="backslash"),
    pytest.param("../escaped", id="parent"),
    pytest.param("..", id="dot-dot"),
    pytest.param(".", id="dot"),
    pytest.param("~", id="tilde"),
    pytest.param("~/x", id="tilde-slash"),
    pytest.param("", id="empty"),
    pytest.param(" ", id="space"),
    pytest.param("a\tb", id="tab"),
    pytest.param("x" * 300, id="longer-than-a-file-name"),
    pytest.param("My-Tool", id="uppercase"),
    pytest.param("refused-project-slug/x", id="placeholder-slash"),
]


@pytest.mark.parametrize("slug", PATH_LIKE_SLUGS)
def test_path_like_slug_leaves_nothing_anywhere(tmp_path: Path, slug: str) -> None:
    completed = run_cli(tmp_path, {"project_slug": slug})
    refuse(completed, f"project_slug={slug!r}")
    assert tree(tmp_path) == ["work", "work/out"]


def test_absolute_slug_leaves_nothing_anywhere(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    slug = str(elsewhere / "deep" / "project")
    completed = run_cli(tmp_path, {"project_slug": slug})
    refuse(completed, f"project_slug={slug!r}")
    assert tree(tmp_path) == ["elsewhere", "work", "work/out"]


@pytest.mark.parametrize(
    "answers",
    [
        pytest.param({"project_slug": "a\x00b"}, id="nul-in-slug"),
        pytest.param({"project_name": "nul\x00name"}, id="nul-in-name"),
        pytest.param({"project_slug": 42}, id="slug-not-text"),
    ],
)
def test_answers_the_command_line_cannot_carry(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], answers: dict[str, Any]
) -> None:
    """Through the API (argv cannot hold NUL): the same one line and nothing on disk."""
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(FailedHookException):
        cookiecutter(str(TEMPLATE), no_input=True, extra_context=answers, output_dir=str(out))
    ours = [line for line in capfd.readouterr().err.splitlines() if line.startswith("error: ")]
    assert len(ours) == 1
    assert ours[0].startswith("error: project_")
    assert tree(tmp_path) == ["out"]


@pytest.mark.parametrize(("overrides", "rule"), REFUSED)
def test_every_refused_combination_is_refused_with_its_reason(
    tmp_path: Path, overrides: dict[str, Any], rule: manifest.Refusal
) -> None:
    as_typed = {
        key: ("yes" if value else "no") if isinstance(value, bool) else str(value)
        for key, value in overrides.items()
    }
    completed = run_cli(tmp_path, as_typed)
    refuse(completed, f"{rule.option}={overrides[rule.option]!r}")
    [ours] = [line for line in completed.stderr.splitlines() if line.startswith("error: ")]
    assert ours.endswith(f"({rule.reason})")
    assert list((tmp_path / "work" / "out").iterdir()) == [], "a refused bake must leave nothing on disk"


def _replay_file(path: Path, context: dict[str, Any]) -> Path:
    """A replay file as cookiecutter writes one (`{"cookiecutter": context}`)."""
    kept = {
        key: value for key, value in context.items() if key not in {"_output_dir", "_repo_dir", "_checkout"}
    }
    path.write_text(json.dumps({"cookiecutter": kept}), encoding="utf-8")
    return path


def test_a_replay_from_another_template_version_is_refused_in_one_line(tmp_path: Path, bake: Bake) -> None:
    """The replay brings its own `_options`; one that is not this template's would keep or drop
    the wrong files and jobs, so it is refused before anything is written."""
    context = dict(bake().answers)
    edited = json.loads(json.dumps(context["_options"]))
    del edited["notifications"]["adds"][0]["jobs"]
    out = tmp_path / "work" / "out"
    out.mkdir(parents=True)

    def replay(name: str, options: Any) -> subprocess.CompletedProcess[str]:
        replay_file = _replay_file(tmp_path / f"{name}.json", {**context, "_options": options})
        return subprocess.run(
            [COOKIECUTTER, "--replay-file", str(replay_file), "--output-dir", str(out), str(TEMPLATE)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            stdin=subprocess.DEVNULL,
        )

    refuse(replay("stale", edited), "_options='(from the replay file)'")
    assert list(out.iterdir()) == []
    # The same answers with this template's manifest bake.
    assert replay("current", context["_options"]).returncode == 0
    assert (out / "example-pipeline-package" / ".github" / "workflows" / "ci.yml").is_file()
