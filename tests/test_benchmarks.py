"""The benchmarks are checked by building what they measure, never by timing.

The first-green benchmark races well-formed chains; the CI cost model writes the README's figures,
and a fresh bake must give the same ones.
"""

from __future__ import annotations

import difflib
import importlib
import re
import shutil
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from conftest import Bake
from support.options import TEMPLATE

pytestmark = pytest.mark.render

UV, PYTHON = "uv", "/opt/python3.11"
RUFF_PRE_COMMIT = "https://github.com/astral-sh/ruff-pre-commit"
MIRRORS_MYPY = "https://github.com/pre-commit/mirrors-mypy"


def _benchmark(name: str) -> ModuleType:
    sys.path.insert(0, str(TEMPLATE / "benchmarks"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(TEMPLATE / "benchmarks"))


@pytest.fixture(scope="module")
def first_green() -> ModuleType:
    return _benchmark("time_to_first_green")


@pytest.fixture(scope="module")
def ci_cost() -> ModuleType:
    return _benchmark("ci_cost")


def _write_config(path: Path, repos: list[dict[str, object]]) -> Path:
    path.write_text(yaml.safe_dump({"repos": repos}), encoding="utf-8")
    return path


def test_missing_anchors_stop_with_one_line_naming_where(
    first_green: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(first_green.ANCHORS_ENV, str(tmp_path / "from-env"))
    for given, named in ((tmp_path / "given", "given"), (None, "from-env")):
        with pytest.raises(SystemExit) as stopped:
            first_green.find_anchors(given)
        message = str(stopped.value.code)
        assert "\n" not in message
        assert named in message
        assert "--anchors" in message
        assert first_green.ANCHORS_ENV in message


def test_supplied_tools_follow_the_anchor_pre_commit_pins(first_green: ModuleType, tmp_path: Path) -> None:
    config = _write_config(
        tmp_path / ".pre-commit-config.yaml",
        [
            {"repo": "local", "hooks": [{"id": "x"}]},
            {"repo": RUFF_PRE_COMMIT, "rev": "v0.16.1", "hooks": [{"id": "ruff-check"}]},
            {"repo": MIRRORS_MYPY, "rev": "v2.3.0", "hooks": [{"id": "mypy"}]},
        ],
    )
    assert first_green.precommit_pins(config, first_green.SCIENTIFIC_PYTHON_TOOLS) == [
        "ruff==0.16.1",
        "mypy==2.3.0",
    ]
    _write_config(config, [{"repo": RUFF_PRE_COMMIT, "rev": "v0.16.1", "hooks": []}])
    with pytest.raises(SystemExit, match="mirrors-mypy"):
        first_green.precommit_pins(config, first_green.SCIENTIFIC_PYTHON_TOOLS)


def test_every_template_runs_every_step_with_its_own_configured_tools(
    first_green: ModuleType, tmp_path: Path
) -> None:
    """Each bake gets sync first, then only `uv run --no-sync` tools its pyproject configures."""
    try:
        anchors = first_green.find_anchors(None)
    except SystemExit as missing:
        pytest.skip(str(missing.code))
    from _support import bake

    for index, template in enumerate(first_green.templates(anchors)):
        project = bake(tmp_path / str(index), template.overrides, template.path)
        commands = template.commands(UV, PYTHON, project)
        assert list(commands) == list(first_green.STEPS[1:]), template.name
        [sync, *supply] = commands["sync"]
        assert sync == [UV, "sync", "--python", PYTHON], template.name
        for extra in supply:
            assert extra[:5] == [UV, "pip", "install", "--python", ".venv"], template.name
        tools = {step: [c[3] for c in cmds] for step, cmds in commands.items() if step != "sync"}
        for step, step_commands in commands.items():
            if step != "sync":
                assert all(c[:3] == [UV, "run", "--no-sync"] for c in step_commands), (template.name, step)
        configured = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
        [type_checker] = tools["type check"]
        assert type_checker in configured, (template.name, type_checker)
        assert tools["lint"] == tools["format"] == ["ruff"], template.name


def test_readme_ci_cost_figures_are_the_model_of_a_fresh_bake(ci_cost: ModuleType, bake: Bake) -> None:
    """Every figure between the README's ci-cost markers is what ci_cost.py computes today."""
    project = bake(**ci_cost.DEFAULT_OPTIONS)
    readme = (TEMPLATE / "README.md").read_text(encoding="utf-8")
    generated = ci_cost.refresh(readme, ci_cost.readme_figures(project.path))
    if generated != readme:
        diff = difflib.unified_diff(
            readme.splitlines(keepends=True), generated.splitlines(keepends=True), "README.md", "generated"
        )
        pytest.fail(f"{ci_cost.stale('README.md')}\n{''.join(diff)}", pytrace=False)


def test_a_hand_edited_figure_fails_the_check_and_write_restores_it(
    ci_cost: ModuleType, bake: Bake, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = bake(**ci_cost.DEFAULT_OPTIONS)
    readme = tmp_path / "README.md"
    shutil.copyfile(TEMPLATE / "README.md", readme)
    command = ["--project", str(project.path), "--readme", str(readme)]
    assert ci_cost.main([*command, "--write"]) == 0
    generated = readme.read_text(encoding="utf-8")
    # The first figure of the table's first row, one higher.
    header = generated.index("|---", generated.index("<!-- ci-cost:start table -->"))
    figure = re.compile(r"\| (\d+) \|").search(generated, header)
    assert figure is not None
    edited = f"{generated[: figure.start(1)]}{int(figure.group(1)) + 1}{generated[figure.end(1) :]}"
    readme.write_text(edited, encoding="utf-8")
    capsys.readouterr()

    assert ci_cost.main([*command, "--check"]) == 1
    stale = capsys.readouterr()
    assert stale.err.strip() == ci_cost.stale(readme)
    line = edited[edited.rindex("\n", 0, figure.start()) + 1 : edited.index("\n", figure.start())]
    assert f"\n-{line}\n" in stale.out
    assert ci_cost.main([*command, "--write"]) == 0
    assert readme.read_text(encoding="utf-8") == generated
    assert ci_cost.main([*command, "--check"]) == 0


FIGURE = "<!-- ci-cost:start figure -->1<!-- ci-cost:end -->"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param("no markers at all", "region 'figure' appears 0 times", id="missing"),
        pytest.param(f"{FIGURE} {FIGURE}", "region 'figure' appears 2 times", id="doubled"),
        pytest.param(
            f"{FIGURE} <!-- ci-cost:start other -->2<!-- ci-cost:end -->",
            "no region named 'other'",
            id="unknown",
        ),
        pytest.param(f"{FIGURE} <!-- ci-cost:end -->", "a ci-cost marker without its pair", id="unpaired"),
    ],
)
def test_refresh_refuses_markers_it_cannot_pair(ci_cost: ModuleType, text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        ci_cost.refresh(text, {"figure": "2"})


def test_refresh_replaces_only_what_is_between_the_markers(ci_cost: ModuleType) -> None:
    text = "| a | <!-- ci-cost:start figure -->1 of 2<!-- ci-cost:end --> (see below) |\n"
    assert ci_cost.refresh(text, {"figure": "3 of 4"}) == (
        "| a | <!-- ci-cost:start figure -->3 of 4<!-- ci-cost:end --> (see below) |\n"
    )
    empty = "<!-- ci-cost:start figure --><!-- ci-cost:end -->"
    assert ci_cost.refresh(empty, {"figure": "2"}) == "<!-- ci-cost:start figure -->2<!-- ci-cost:end -->"
