"""Static checks of the rehearsal's stand-in actions (no act run).

A stand-in declares exactly the real action's inputs (from ../shared/actions-pins.json), and
every `with:` key any generated workflow passes is one of them, so a misspelled input fails here
and in every rehearsal (tests/support/rehearsal.py refuses it before act starts).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import Bake
from support.machine import missing
from support.options import TEMPLATE, render_combinations
from support.rehearsal import (
    STANDINS,
    MissingStandIn,
    check_inputs,
    declared_inputs,
    local_repository_args,
    remote_uses,
)

pytestmark = pytest.mark.rehearsal

PINS_FILE = TEMPLATE.parent / "shared" / "actions-pins.json"
PINS: dict[str, Any] = json.loads(PINS_FILE.read_text(encoding="utf-8")) if PINS_FILE.exists() else {}


def standins() -> list[tuple[str, Path]]:
    """(owner/repo[/subpath], action.yml) for every stand-in action."""
    found = []
    for path in sorted(STANDINS.rglob("action.yml")):
        parts = path.parent.relative_to(STANDINS).parts
        if "__" in parts[0]:
            found.append(("/".join([*parts[0].split("__", 1), *parts[1:]]), path))
    return found


@pytest.mark.parametrize(("action", "path"), standins(), ids=[a for a, _ in standins()])
def test_standin_declares_exactly_the_real_inputs(action: str, path: Path) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    declared = list(document.get("inputs") or {})
    assert len(declared) == len(set(declared))
    if not PINS:
        missing(
            f"the verified pins list {PINS_FILE}",
            "checking each stand-in's inputs against the real action's (its own list was checked)",
            "it is the workspace's ../shared/actions-pins.json, beside this repository",
        )
    assert action in PINS, f"{action} is not in {PINS_FILE.name}: a stand-in for an unpinned action"
    verified = PINS[action]["inputs"]
    newer = PINS[action].get("newer_seen_elsewhere")
    if newer and set(declared) != set(verified):
        # The template pins the newer, unverified release, whose input list the pins file does
        # not hold: every verified input must still be declared; extras are shown, not guessed at.
        assert set(verified) <= set(declared), sorted(set(verified) - set(declared))
        print(
            f"{action}: inputs beyond the verified {PINS[action]['tag']} list, for {newer['tag']}: "
            f"{sorted(set(declared) - set(verified))}"
        )
    else:
        assert sorted(declared) == sorted(verified)
    required = {name for name, spec in document["inputs"].items() if (spec or {}).get("required")}
    assert required == set(PINS[action].get("inputs_required") or []) & set(declared)


@pytest.mark.parametrize(
    ("name", "overrides"), render_combinations(), ids=[n for n, _ in render_combinations()]
)
def test_every_used_action_has_a_standin_accepting_its_inputs(
    bake: Bake, name: str, overrides: dict[str, Any]
) -> None:
    project = bake(**overrides).path
    assert remote_uses(project), "no remote actions found: the parser is broken"
    local_repository_args(project)  # raises MissingStandIn naming any action without one
    assert check_inputs(project) == []


def test_alls_green_standin_decides_like_the_real_action(tmp_path: Path) -> None:
    script = STANDINS / "_lib" / "standin.py"

    def decide(jobs: dict[str, str], **extra: str) -> int:
        inputs = {"jobs": json.dumps({k: {"result": v, "outputs": {}} for k, v in jobs.items()}), **extra}
        env = {k: v for k, v in os.environ.items() if k != "GITHUB_OUTPUT"}
        env |= {"STANDIN_INPUTS": json.dumps(inputs), "REHEARSAL_RECORDS": str(tmp_path)}
        done = subprocess.run(
            [sys.executable, str(script), "alls-green"], env=env, capture_output=True, text=True, check=False
        )
        return done.returncode

    assert decide({"a": "success", "b": "success"}) == 0
    assert decide({"a": "success", "b": "failure"}) == 1
    assert decide({"a": "success", "b": "skipped"}) == 1
    assert decide({"a": "cancelled"}) == 1
    assert decide({"a": "success", "b": "skipped"}, **{"allowed-skips": "b"}) == 0
    assert decide({"a": "failure", "b": "skipped"}, **{"allowed-failures": "a, b"}) == 0
    assert decide({"a": "failure"}, **{"allowed-skips": '["a"]'}) == 1


def test_an_action_without_standin_or_with_an_unknown_input_is_refused(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1\n"
        "        with:\n          fetch_depth: 0\n"
        "      - uses: example/unknown-action@v1\n",
        encoding="utf-8",
    )
    with pytest.raises(MissingStandIn, match=r"example/unknown-action@v1"):
        local_repository_args(tmp_path)
    assert check_inputs(tmp_path) == [
        ".github/workflows/ci.yml: actions/checkout has no input 'fetch_depth' (valid inputs: "
        + ", ".join(declared_inputs("actions/checkout") or [])
        + ")"
    ]
