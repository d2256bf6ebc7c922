"""Machine tier: on a machine with only the README's Python and git, tests skip naming what is
missing and never fail; under PIPELINE_TESTS_REQUIRE_ALL (what .ci/run sets) they fail instead.

The subprocess runs use a copy of this repository as a fresh clone has it (no node_modules), a
fresh HOME (so no ~/.pyenv), and a PATH holding the system's programs minus every other Python,
node and npm, plus uv and this environment's own interpreter (the README's Python). uv's cache is
shared with this run, only to save time: nothing in the chosen tests downloads.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from support import machine
from support.options import TEMPLATE
from support.rehearsal import missing_interpreters

pytestmark = pytest.mark.machine

# Programs a newcomer's machine does not have: other interpreters, Node.js, npm.
HIDDEN = re.compile(r"(.*python.*|pip.*|pydoc.*|idle.*|2to3.*|node.*|npm|npx|corepack|uv|uvx)")
SYSTEM_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
OWN = f"{sys.version_info[0]}.{sys.version_info[1]}"
# Versions this environment's Python is not: the ones a newcomer's machine lacks.
ABSENT = [v for v in machine.SUITE_PYTHONS if v != OWN]

# A small, representative subset: an interpreter-dependent project test, a ci.yml rehearsal
# (quality.yml and build.yml ask for 3.13), a release rehearsal (node stand-ins), a test of the
# repository setup (GitHub's OpenAPI description, installed with npm), and tests that need nothing.
SUBSET = {
    f"tests/test_project.py::test_default_bake_on_each_installed_python[{ABSENT[0]}]": f"Python {ABSENT[0]}",
    # quality.yml and build.yml ask for 3.13; on 3.13 itself the PR's legs (3.11, 3.15) are absent.
    "tests/test_rehearsal_ci.py::test_pull_request_on_the_default_bake_is_green": (
        "Python 3.13" if OWN != "3.13" else "Python 3.11"
    ),
    "tests/test_rehearsal_release.py::test_tag_release_publishes_staging_then_production": "needs node",
    "tests/test_setup_repository.py::test_second_run_changes_nothing": "needs npm",
    "tests/test_hooks.py::test_the_answers_line_is_the_only_jinja": None,
}


def newcomer_bin(root: Path) -> Path:
    """A PATH directory: the system's programs minus HIDDEN, plus uv and this venv's Python."""
    bin_dir = root / "bin"
    bin_dir.mkdir()
    for directory in SYSTEM_DIRS:
        if not Path(directory).is_dir():
            continue
        for program in Path(directory).iterdir():
            target = bin_dir / program.name
            if not HIDDEN.fullmatch(program.name) and not target.exists():
                target.symlink_to(program)
    uv = shutil.which("uv")
    assert uv, "uv runs this suite, so it is on PATH"
    (bin_dir / "uv").symlink_to(Path(uv).resolve())
    for name in ("python", "python3", f"python{OWN}"):
        (bin_dir / name).symlink_to(sys.executable)
    return bin_dir


def fresh_clone(root: Path) -> Path:
    """This repository's files (committed or not, never ignored ones such as node_modules)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=TEMPLATE,
        capture_output=True,
        check=True,
    ).stdout.decode()
    clone = root / "clone"
    for relative in filter(None, listed.split("\0")):
        source = TEMPLATE / relative
        if source.is_file():
            (clone / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / relative)
    return clone


def run_on_newcomer_machine(
    tmp_path: Path, tests: list[str], *, require_all: bool
) -> dict[str, tuple[str, str]]:
    """Run `tests` there; return nodeid -> (outcome, message) from pytest's JUnit XML."""
    home = tmp_path / "home"
    home.mkdir()
    bin_dir = newcomer_bin(tmp_path)
    clone = fresh_clone(tmp_path)
    env = {
        "HOME": str(home),
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), str(bin_dir)]),
        "UV": str(bin_dir / "uv"),
        "UV_CACHE_DIR": subprocess.run(
            ["uv", "cache", "dir"], capture_output=True, text=True, check=True
        ).stdout.strip(),
        "LANG": "C.UTF-8",
    }
    # This machine's network setup (a CA bundle), not the user's: kept so nothing differs but the tools.
    env |= {k: v for k, v in os.environ.items() if k in {"SSL_CERT_FILE", "SSL_CERT_DIR", "TMPDIR"}}
    if require_all:
        env[machine.REQUIRE_ALL] = "1"
    report = tmp_path / "report.xml"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--basetemp",
            str(tmp_path / "basetemp"),
            "--junitxml",
            str(report),
            *tests,
        ],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert report.exists(), done.stdout + done.stderr
    outcomes = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        nodeid = (
            f"{case.get('file') or case.get('classname', '').replace('.', '/') + '.py'}::{case.get('name')}"
        )
        outcome, message = "passed", ""
        for child in case:
            if child.tag in {"skipped", "failure", "error"}:
                outcome, message = child.tag, child.get("message", "")
        outcomes[nodeid] = (outcome, message)
    return outcomes


def test_a_newcomer_machine_passes_or_skips_naming_what_is_missing(tmp_path: Path) -> None:
    outcomes = run_on_newcomer_machine(tmp_path, list(SUBSET), require_all=False)
    assert len(outcomes) == len(SUBSET) + 1, outcomes  # the hooks test runs for both hooks
    assert [o for o in outcomes.values() if o[0] in {"failure", "error"}] == []
    for nodeid, expected in SUBSET.items():
        matching = [outcome for name, outcome in outcomes.items() if name.startswith(nodeid)]
        assert matching, (nodeid, outcomes)
        for outcome, message in matching:
            if expected is None:
                assert outcome == "passed", (nodeid, message)
            else:
                assert outcome == "skipped", (nodeid, message)
                assert expected in message, message
                assert "install" in message, message


def test_require_all_turns_a_missing_requirement_into_a_failure(tmp_path: Path) -> None:
    first = f"tests/test_project.py::test_default_bake_on_each_installed_python[{ABSENT[0]}]"
    outcomes = run_on_newcomer_machine(
        tmp_path, [first, "tests/test_setup_repository.py::test_second_run_changes_nothing"], require_all=True
    )
    assert sorted(o for o, _ in outcomes.values()) == ["error", "failure"], outcomes
    messages = [message for _, message in outcomes.values()]
    assert any(f"needs Python {ABSENT[0]}" in m and machine.REQUIRE_ALL in m for m in messages), messages
    assert any("needs npm" in m and machine.REQUIRE_ALL in m for m in messages), messages


def test_need_python_skips_naming_the_version_and_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(machine.REQUIRE_ALL, raising=False)
    with pytest.raises(
        pytest.skip.Exception, match=r"needs Python 3\.99 for a test: .*uv python install 3\.99"
    ):
        machine.need_python("3.99", "a test")


@pytest.mark.parametrize("value", ["1", "yes"])
def test_need_python_fails_under_require_all(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(machine.REQUIRE_ALL, value)
    with pytest.raises(pytest.fail.Exception, match=r"needs Python 3\.99 .*PIPELINE_TESTS_REQUIRE_ALL"):
        machine.need_python("3.99", "a test")


def test_need_tool_skips_or_fails_when_the_tool_is_not_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    monkeypatch.setenv(machine.REQUIRE_ALL, "0")
    with pytest.raises(pytest.skip.Exception, match=r"needs node for .*apt-get install nodejs"):
        machine.need_tool("node")
    monkeypatch.setenv(machine.REQUIRE_ALL, "1")
    with pytest.raises(pytest.fail.Exception, match=r"needs node for the release rehearsal"):
        machine.need_tool("node", "the release rehearsal")


def test_a_present_interpreter_is_returned_not_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(machine.REQUIRE_ALL, "1")
    found = machine.need_python(OWN, "a test")
    done = subprocess.run(
        [found, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True
    )
    assert done.stdout.strip() == str(sys.version_info[:2])


def test_a_run_that_met_a_missing_interpreter_is_recognised() -> None:
    """The after-the-fact net: the setup-uv stand-in's two messages and uv's own, as they read."""
    log = "\n".join(
        [
            "::error::Python 3.14 is not installed on this machine and uv may not download it here "
            "(local: 3.11)",
            "::error::python-version 3.16 has no local interpreter here",
            "error: No interpreter found for Python 3.15 in managed installations or search path",
            "stand-in uv: Python 3.11 is the local /usr/bin/python3.11 (no download)",
        ]
    )
    assert missing_interpreters(log) == ["3.14", "3.15", "3.16"]
    assert missing_interpreters(log.splitlines()[-1]) == []
