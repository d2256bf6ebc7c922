"""The first-green benchmark races well-formed chains: checked by building them, never by timing."""

from __future__ import annotations

import importlib
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from support.options import TEMPLATE

pytestmark = pytest.mark.render

UV, PYTHON = "uv", "/opt/python3.11"
RUFF_PRE_COMMIT = "https://github.com/astral-sh/ruff-pre-commit"
MIRRORS_MYPY = "https://github.com/pre-commit/mirrors-mypy"


@pytest.fixture(scope="module")
def first_green() -> ModuleType:
    sys.path.insert(0, str(TEMPLATE / "benchmarks"))
    try:
        return importlib.import_module("time_to_first_green")
    finally:
        sys.path.remove(str(TEMPLATE / "benchmarks"))


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
