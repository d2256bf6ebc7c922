"""The questions as a new user meets them: cookiecutter in a pseudo-terminal, answered by keys.

Each test types what a person would (Enter for a default, a number for a choice, text) and
counts the questions asked and the keys pressed. A refused answer must end in its reason and a
command that bakes again with the other answers kept; the test runs that command as printed.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pexpect
import pytest
from support import markdown
from support.options import OPTIONS, TEMPLATE

pytestmark = pytest.mark.negative

COOKIECUTTER = str(Path(sys.executable).parent / "cookiecutter")
QUESTIONS = list(OPTIONS)
# `[3/20] Prompt text (default): ` or, for a choice, the numbered list and `Choose from [1/2] (1): `.
PROMPT = re.compile(r"\[(\d+)/(\d+)\] ")
END_OF_PROMPT = r"\): $"


@dataclass
class Session:
    """One interactive cookiecutter run: what was asked, what was typed, what it printed."""

    child: pexpect.spawn
    transcript: list[str]
    asked: list[str] = field(default_factory=list)
    keys: int = 0

    def answer(self, answers: dict[str, str], retype: dict[str, str] | None = None) -> None:
        """Answer every question: typed text where given, Enter otherwise."""
        retype = dict(retype or {})
        while self.child.expect([PROMPT.pattern, pexpect.EOF]) == 0:
            number, total = int(self.child.match.group(1)), int(self.child.match.group(2))
            assert total == len(QUESTIONS)
            question = QUESTIONS[number - 1]
            self.asked.append(question)
            self.child.expect(END_OF_PROMPT)
            self.type(answers.get(question, ""))
            if question in retype:
                # The prompt itself refuses a choice that is not on its list and asks again.
                self.child.expect(r"Please select one of the available options")
                self.child.expect(END_OF_PROMPT)
                self.type(retype.pop(question))
        self.child.close()

    def type(self, text: str) -> None:
        self.child.sendline(text)
        self.keys += len(text) + 1  # the characters, then Enter

    @property
    def text(self) -> str:
        """Everything cookiecutter and the hooks printed, as the terminal showed it."""
        return "".join(self.transcript).replace("\r\n", "\n")


def spawn(tmp_path: Path, *args: str) -> Session:
    env = {
        **os.environ,
        "HOME": str(tmp_path / "home"),  # no user config, no replay from another test
        "NO_COLOR": "1",
        "TERM": "dumb",
    }
    child = pexpect.spawn(
        COOKIECUTTER,
        [str(TEMPLATE), "--output-dir", str(tmp_path / "out"), *args],
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(60, 200),
        cwd=str(tmp_path),
    )
    output: list[str] = []
    child.logfile_read = _Collect(output)
    return Session(child, output)


class _Collect:
    def __init__(self, parts: list[str]) -> None:
        self.parts = parts

    def write(self, text: str) -> None:
        self.parts.append(text)

    def flush(self) -> None:
        pass


def baked(tmp_path: Path, slug: str = "example-pipeline-package") -> Path:
    return tmp_path / "out" / slug


def test_enter_through_every_question_bakes_a_command_line_tool(tmp_path: Path) -> None:
    session = spawn(tmp_path)
    session.answer({})
    assert session.child.exitstatus == 0, session.text
    assert session.asked == QUESTIONS
    assert session.keys == len(QUESTIONS)  # one Enter per question
    assert (baked(tmp_path) / "src" / "example_pipeline_package" / "cli.py").is_file()


def test_choosing_a_library_first_makes_enter_give_a_library(tmp_path: Path) -> None:
    session = spawn(tmp_path)
    session.answer({"kind": "2"})
    assert session.child.exitstatus == 0, session.text
    assert session.keys == len(QUESTIONS) + 1
    project = baked(tmp_path)
    assert not (project / "src" / "example_pipeline_package" / "cli.py").exists()
    assert "scripts" not in tomllib.loads((project / "pyproject.toml").read_text("utf-8"))["project"]


def test_a_typo_at_a_choice_is_asked_again_not_refused_at_the_end(tmp_path: Path) -> None:
    session = spawn(tmp_path)
    session.answer({"license": "9"}, retype={"license": "2"})
    assert session.child.exitstatus == 0, session.text
    license_text = (baked(tmp_path) / "LICENSE").read_text("utf-8")
    assert license_text.lstrip().startswith("Apache License")


def test_a_refused_answer_ends_in_a_command_that_keeps_the_others(tmp_path: Path) -> None:
    typed = {"project_name": "O'Brien's \"Tool\" $HOME", "python_min": "3.1", "license": "3"}
    session = spawn(tmp_path)
    session.answer(typed)
    assert session.child.exitstatus == 1
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
    lines = session.text.splitlines()
    [error] = [line for line in lines if line.startswith("error: ")]
    assert error.startswith("error: python_min='3.1' is not accepted:")
    intro = lines.index(error) + 1
    assert lines[intro].startswith("To bake again with your other answers, replace the ... after python_min")
    command = shlex.split(lines[intro + 1])
    assert command[:3] == ["uvx", "cookiecutter", str(TEMPLATE)]
    assert "--no-input" in command
    assert f"project_name={typed['project_name']}" in command
    assert "license=BSD-3-Clause" in command
    assert "python_min=..." in command

    # The user puts the corrected answer in place of the dots and runs it. `uvx cookiecutter`
    # would fetch cookiecutter from PyPI; the tests run offline with the same cookiecutter.
    corrected = ["python_min=3.12" if word == "python_min=..." else word for word in command[2:]]
    rerun = subprocess.run(
        [COOKIECUTTER, *corrected],
        cwd=tmp_path,
        env={**os.environ, "HOME": str(tmp_path / "home")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr
    project = baked(tmp_path, "o-brien-s-tool-home")
    pyproject = tomllib.loads((project / "pyproject.toml").read_text("utf-8"))["project"]
    assert pyproject["requires-python"] == ">=3.12"
    assert pyproject["license"] == "BSD-3-Clause"
    assert markdown.where_answers_show(project)["README.md heading"] == typed["project_name"]


def test_the_readmes_refusal_example_is_what_a_refusal_prints(tmp_path: Path) -> None:
    readme = (TEMPLATE / "README.md").read_text("utf-8")
    block = readme.split("<!-- refusal example:", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    shown = [line for line in block.splitlines() if line.strip() != "..."]
    out = tmp_path / "code"
    done = subprocess.run(
        [
            *(COOKIECUTTER, str(TEMPLATE), "--output-dir", str(out), "--no-input"),
            *("python_min=3.1", "license=BSD-3-Clause", "project_name=My Tool"),
        ],
        cwd=tmp_path,
        env={**os.environ, "HOME": str(tmp_path / "home"), "NO_COLOR": "1"},
        # One stream, as a terminal shows it: cookiecutter logs to stdout, the hook to stderr.
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    printed = (
        done.stdout.replace(str(TEMPLATE), "gh:OWNER/cookiecutter-python-pipeline")
        .replace(str(out), "/home/you/code")
        .splitlines()
    )
    # Every line the README shows, in the order shown.
    positions = [printed.index(line) for line in shown]
    assert positions == sorted(positions), printed
