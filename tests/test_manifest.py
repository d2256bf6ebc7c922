"""The option manifest (`_options` in cookiecutter.json) is the one place an option is described.

Each test holds one copy of an option fact to it: the keys cookiecutter prompts from and the
README table (generated), the files and jobs a bake has (orthogonality), `[tool.pipeline]`
(its keys), and the size of the default bake (which an option that is off must not change).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import Bake, Project
from support import manifest
from support.options import ALL_OFF, ALL_ON, COOKIECUTTER_JSON, OPTIONS, TEMPLATE, refusal

pytestmark = pytest.mark.render

SIZE_GUARD = TEMPLATE / "tests" / "data" / "default-bake.txt"
WORKFLOWS = TEMPLATE / "{{cookiecutter.__project_dir}}" / ".github" / "workflows"


def test_generated_keys_and_readme_table_follow_the_manifest() -> None:
    stale = [str(path.relative_to(TEMPLATE)) for path in manifest.stale()]
    assert stale == [], f"{stale} differ from _options; run: uv run python tests/support/manifest.py --write"


def test_the_generator_notices_a_hand_edit(tmp_path: Path) -> None:
    """A choice added to cookiecutter.json by hand, not in `_options`, is stale; --write repairs it."""
    edited = json.loads((TEMPLATE / "cookiecutter.json").read_text("utf-8"))
    edited["license"].append("WTFPL")
    cookiecutter_json = tmp_path / "cookiecutter.json"
    cookiecutter_json.write_text(json.dumps(edited, indent=2) + "\n", "utf-8")
    readme = tmp_path / "README.md"
    readme.write_text(
        (TEMPLATE / "README.md")
        .read_text("utf-8")
        .replace("| MIT, Apache-2.0, BSD-3-Clause, GPL-3.0-or-later, Proprietary |", "| x |")
    )
    assert manifest.stale(cookiecutter_json, readme) == [cookiecutter_json, readme]
    options = manifest.load(cookiecutter_json)
    cookiecutter_json.write_text(manifest.cookiecutter_json(cookiecutter_json.read_text("utf-8")), "utf-8")
    readme.write_text(manifest.readme(readme.read_text("utf-8"), options), "utf-8")
    assert manifest.stale(cookiecutter_json, readme) == []
    assert json.loads(cookiecutter_json.read_text("utf-8"))["license"][-1] == "Proprietary"


def test_every_question_is_in_the_manifest_and_nothing_else() -> None:
    questions = [key for key in COOKIECUTTER_JSON if not key.startswith("_")]
    assert list(OPTIONS) == questions
    for option in OPTIONS.values():
        known = {"prompt", "default", "choices", "default_by_kind", "adds", "refuses", "pipeline", "readme"}
        assert set(option.raw) <= known
        assert option.raw["readme"]["changes"]
        if option.kind == "text":
            assert option.raw["readme"]["values"]


def test_workflows_hold_no_jinja_and_are_copied_as_they_are() -> None:
    """Dependabot reads the pins of every workflow in the template, so each must be plain YAML."""
    copied = set(COOKIECUTTER_JSON["_copy_without_render"])
    for path in sorted(WORKFLOWS.glob("*.yml")):
        text = path.read_text("utf-8")
        assert "{%" not in text, path.name
        assert "{#" not in text, path.name
        assert f".github/workflows/{path.name}" in copied, path.name
        assert yaml.safe_load(text)["jobs"], path.name


def _shape(project: Project) -> tuple[set[str], set[tuple[str, str]]]:
    files = set(project.files())
    jobs = {
        (relative, job)
        for relative in files
        if relative.startswith(".github/workflows/")
        for job in project.yaml(relative)["jobs"]
    }
    return files, jobs


def _valid_base(name: str, value: Any) -> dict[str, Any]:
    """Overrides of the defaults that let `name=value` bake: the manifest may refuse it beside them."""
    defaults = {other: option.default for other, option in OPTIONS.items() if option.values}
    base: dict[str, Any] = {}
    while (rule := refusal({**defaults, **base, name: value})) is not None:
        if rule.option != name:
            base[rule.option] = next(v for v in OPTIONS[rule.option].values if v not in rule.when)
            continue
        current = {**defaults, **base}
        other = next(o for o, refused in rule.with_.items() if current.get(o) in refused)
        base[other] = next(v for v in OPTIONS[other].values if v not in rule.with_[other])
    return base


ORTHOGONAL = [
    pytest.param(name, value, id=f"{name}={value}")
    for name, option in OPTIONS.items()
    for value in option.values[1:]
]


@pytest.mark.parametrize(("name", "value"), ORTHOGONAL)
def test_an_answer_changes_exactly_the_files_and_jobs_the_manifest_says(
    bake: Bake, name: str, value: Any
) -> None:
    """files(base + answer) - files(base) is what that answer brings and the default does not.

    Answers whose default follows the kind are held at their default, so that `kind` is seen
    alone (what it does to those defaults is tested by itself)."""
    base = _valid_base(name, value)
    if name == "kind":
        base |= {
            other: option.default for other, option in OPTIONS.items() if "default_by_kind" in option.raw
        }
    before, after = bake(**base), bake(**base, **{name: value})
    option, default = OPTIONS[name], OPTIONS[name].default
    package = str(before.answers["package_name"])
    (files_before, jobs_before), (files_after, jobs_after) = _shape(before), _shape(after)
    # A bundle with `with` counts when the bake's other answers hold it (the conjunction test below).
    brought = option.files_for(value, package, after.answers)
    dropped = option.files_for(default, package, before.answers)
    assert files_after - files_before == brought - dropped
    assert files_before - files_after == dropped - brought
    workflows_after = {relative for relative in files_after if relative.startswith(".github/workflows/")}
    # Only jobs of workflows both bakes have: a bundle's job in a workflow another option
    # removes (deploy.yml's notify without a deploying image) is not there to bring.
    assert {job for job in jobs_after - jobs_before if job[0] in files_before} == {
        job
        for job in option.jobs_for(value, after.answers) - option.jobs_for(default, before.answers)
        if job[0] in files_before
    }
    assert {job for job in jobs_before - jobs_after if job[0] in workflows_after} == (
        option.jobs_for(default, before.answers) - option.jobs_for(value, after.answers)
    )


CONJUNCTIONS = [
    pytest.param(name, bundle, id=f"{name}={'+'.join(map(str, bundle.when))}-with-{'+'.join(bundle.with_)}")
    for name, option in OPTIONS.items()
    for bundle in option.adds
    if bundle.with_
]


@pytest.mark.parametrize(("name", "bundle"), CONJUNCTIONS)
def test_a_bundle_with_other_answers_comes_only_with_all_of_them(
    bake: Bake, name: str, bundle: manifest.Bundle
) -> None:
    """A bundle's `with` is a conjunction: its files come when every answer holds, and lose any
    one of them and they go (the bundle's own files only: the rest of the bake may change)."""
    every = {name: bundle.when[0], **{other: values[0] for other, values in bundle.with_.items()}}
    assert refusal(every) is None, every
    with_all = bake(**every)
    package = str(with_all.answers["package_name"])
    files = {path.format(package_name=package) for path in bundle.files}
    assert files <= set(with_all.files())
    for missing_one in [name, *bundle.with_]:
        option = OPTIONS[missing_one]
        held = bundle.when if missing_one == name else bundle.with_[missing_one]
        other = next(
            (v for v in option.values if v not in held and refusal({**every, missing_one: v}) is None), None
        )
        if other is None:
            continue
        without = bake(**{**every, missing_one: other})
        assert not files & set(without.files()), (missing_one, other)


def test_tool_pipeline_holds_the_keys_the_manifest_names(bake: Bake) -> None:
    """The all-options bake writes every key; the default bake every key but those of options
    that write theirs only when on (`database`: a bake without one stays as it was)."""
    expected = {option.pipeline for option in OPTIONS.values() if option.pipeline}
    assert set(bake(**ALL_ON).toml()["tool"]["pipeline"]) == expected
    assert set(bake().toml()["tool"]["pipeline"]) == expected - {"database"}


def size_of(project: Project) -> list[str]:
    rows = [f"{len(project.text(relative).splitlines()):5d} {relative}" for relative in project.files()]
    total = sum(int(row.split()[0]) for row in rows)
    return [*rows, f"{total:5d} lines in {len(rows)} files"]


def test_the_default_bake_keeps_its_size(bake: Bake) -> None:
    """The guard: a new option that is off must leave the default library bake as it is.

    When a change to the default bake is meant, rewrite the held figures with
    `PIPELINE_WRITE_SIZE_GUARD=1 uv run pytest tests/test_manifest.py -k size` and let the
    review see the difference.
    """
    now = size_of(bake())
    if os.environ.get("PIPELINE_WRITE_SIZE_GUARD") == "1":
        SIZE_GUARD.write_text("\n".join(now) + "\n", "utf-8")
    held = SIZE_GUARD.read_text("utf-8").splitlines()
    assert now == held, (
        "the default bake's files or line counts changed; if that is intended, rewrite "
        "tests/data/default-bake.txt with: PIPELINE_WRITE_SIZE_GUARD=1 uv run pytest "
        "tests/test_manifest.py -k size"
    )


def test_the_all_on_and_all_off_bakes_bring_the_most_and_the_least() -> None:
    """A new option joins ALL_ON and ALL_OFF (tests/support/options.py), or this fails."""
    for name, option in OPTIONS.items():
        if not option.adds:
            continue
        size = {value: len(option.files_for(value)) + len(option.jobs_for(value)) for value in option.values}
        assert size[ALL_ON.get(name, option.default)] == max(size.values()), name
        assert size[ALL_OFF.get(name, option.default)] == min(size.values()), name


@pytest.mark.parametrize("kind", OPTIONS["kind"].values)
def test_each_kind_sets_the_defaults_the_manifest_gives_it(bake: Bake, kind: str) -> None:
    answers = bake(kind=kind).answers
    for name, option in OPTIONS.items():
        if "default_by_kind" in option.raw:
            assert answers[name] == option.default_for(kind), name


# Cookiecutter 2.7 asks every question in cookiecutter.json, whatever the earlier answers
# (it has no conditional questions: cookiecutter/cookiecutter#1021, #1914). So a library is asked
# what a service is asked. Each application capability is one question whose first value is
# `none` (docs/design.md, 'The first five minutes'); a new question raises this on purpose.
# 22: `database` (issue 11's PostgreSQL option) joined `container` as an application capability.
# 23: `docs` (issue 13), a documentation site for every kind.
QUESTION_BUDGET = 23


def test_the_questions_stay_within_the_budget() -> None:
    assert len(OPTIONS) <= QUESTION_BUDGET, (
        f"{len(OPTIONS)} questions: the budget is {QUESTION_BUDGET}, and a library is asked every "
        "one of them (docs/design.md, 'The first five minutes')"
    )
    assert next(iter(OPTIONS)) == "kind", "the kind of project is the first question"
    kinds = set(OPTIONS["kind"].values)
    for option in OPTIONS.values():
        assert set(option.raw.get("default_by_kind", kinds)) == kinds, option.name


@pytest.mark.parametrize(
    "answers", [{}, {"kind": "library", "docs": "github-pages"}], ids=["default", "docs"]
)
def test_removed_files_leave_no_empty_folder(bake: Bake, answers: dict[str, Any]) -> None:
    """A folder whose files the options removed (deploy/host/ in a library) goes with them."""
    project = bake(**answers)
    empty = [
        str(folder.relative_to(project.path))
        for folder in project.path.rglob("*")
        if folder.is_dir() and ".git" not in folder.parts and not any(folder.iterdir())
    ]
    assert empty == []
