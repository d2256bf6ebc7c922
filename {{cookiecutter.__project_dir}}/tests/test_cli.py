import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import __version__
from {{ cookiecutter.package_name }}.cli import main

PACKAGE = "{{ cookiecutter.package_name }}"
COMMAND = "{{ cookiecutter.project_slug }}"


def test_greets_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["Ada"]) == 0
    assert capsys.readouterr().out == "Hello, Ada!\n"


def test_greets_the_world_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert capsys.readouterr().out == "Hello, world!\n"


def test_blank_name_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["  "]) == 2
    assert "must not be blank" in capsys.readouterr().err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    expected = f"{{ cookiecutter.project_slug }} {__version__}"
    assert capsys.readouterr().out.strip() == expected


def test_unknown_option_is_a_usage_error() -> None:
    assert main(["--no-such-option"]) == 2


def test_runs_as_a_module(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", [PACKAGE, "Ada"])
    with pytest.raises(SystemExit) as finished:
        runpy.run_module(PACKAGE, run_name="__main__")
    assert finished.value.code == 0
    assert capsys.readouterr().out == "Hello, Ada!\n"


@pytest.mark.e2e
def test_the_installed_command_greets() -> None:
    """The console script as a user runs it: its own process, its real output."""
    command = shutil.which(COMMAND, path=str(Path(sys.executable).parent))
    assert command, f"{COMMAND} is not installed here: run uv sync"
    done = subprocess.run(  # noqa: S603 (this project's own console script)
        [command, "Ada"], capture_output=True, text=True, timeout=60, check=False
    )
    assert (done.returncode, done.stdout) == (0, "Hello, Ada!\n"), done.stderr
    blank = subprocess.run(  # noqa: S603
        [command, "  "], capture_output=True, text=True, timeout=60, check=False
    )
    assert blank.returncode == 2
    assert "must not be blank" in blank.stderr
