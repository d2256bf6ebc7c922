"""The render tier's validators, defined once for the tests and for benchmarks/render_cost.py.

Python tools (validate-pyproject, pre-commit, check-jsonschema) run in-process through their
own command-line entry points: the same code and arguments as their console scripts, without
paying their ~0.5-1 s interpreter start-up on every combination. ruff, actionlint and zizmor
are compiled binaries and run as processes.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import tomllib
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

TOOLS = Path(sys.executable).parent

# Which bundled schema validates which generated files (glob relative to the project root).
SCHEMAS = {
    ".github/workflows/*.yml": "vendor.github-workflows",
    ".github/actions/*/action.yml": "vendor.github-actions",
    ".github/dependabot.yml": "vendor.dependabot",
    ".github/ISSUE_TEMPLATE/[!c]*.yml": "vendor.github-issue-forms",
    ".github/ISSUE_TEMPLATE/config.yml": "vendor.github-issue-config",
    "codecov.yml": "vendor.codecov",
}


@dataclass(frozen=True)
class Outcome:
    """One validator call: what ran, whether it passed, and everything it printed."""

    command: str
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def __str__(self) -> str:
        return f"{self.command} exited {self.returncode}\n{self.output}"


def _process(command: Sequence[str | Path], cwd: Path) -> Outcome:
    completed = subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, check=False
    )
    return Outcome(" ".join(map(str, command)), completed.returncode, completed.stdout + completed.stderr)


def _in_process(name: str, entry: Callable[..., object], args: list[str], **kwargs: object) -> Outcome:
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output), warnings.catch_warnings():
        # Their own use of deprecated click APIs, not ours to fix; the console scripts hide it too.
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            returned = entry(args, **kwargs)
        except SystemExit as finished:
            returned = finished.code
    code = returned if isinstance(returned, int) else (0 if returned is None else 1)
    return Outcome(" ".join([name, *args]), code, output.getvalue())


def ruff(project: Path) -> list[Outcome]:
    return [
        _process([TOOLS / "ruff", "format", "--check", "--no-cache", "."], project),
        _process([TOOLS / "ruff", "check", "--no-cache", "."], project),
    ]


def validate_pyproject(project: Path) -> list[Outcome]:
    # Its library API: the CLI leaves the file it read open, which warnings-as-errors rejects.
    from validate_pyproject import api, errors

    command = f"validate-pyproject {project / 'pyproject.toml'}"
    document = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    try:
        api.Validator()(document)
    except errors.ValidationError as error:
        return [Outcome(command, 1, f"{error.message}\n{error.details}")]
    return [Outcome(command, 0, "valid")]


def pre_commit_config(project: Path) -> list[Outcome]:
    from pre_commit.main import main

    return [_in_process("pre-commit", main, ["validate-config", str(project / ".pre-commit-config.yaml")])]


def actionlint(project: Path) -> list[Outcome]:
    if not (project / ".git").exists():
        # actionlint finds the repository root, and with it the local actions, through .git.
        subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    return [_process([TOOLS / "actionlint", "-shellcheck", TOOLS / "shellcheck", "-no-color"], project)]


def zizmor(project: Path, persona: str = "regular") -> list[Outcome]:
    return [_process([TOOLS / "zizmor", "--offline", "--no-progress", "--persona", persona, "."], project)]


def schemas(project: Path) -> list[Outcome]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # raised by its import of click
        from check_jsonschema import main

    outcomes = []
    for pattern, schema in SCHEMAS.items():
        files = sorted(str(p) for p in project.glob(pattern))
        if files:
            args = ["--builtin-schema", schema, *files]
            outcomes.append(_in_process("check-jsonschema", main, args, standalone_mode=False))
    return outcomes


# The order the render tier (and the benchmark) runs them in.
VALIDATORS: dict[str, Callable[[Path], list[Outcome]]] = {
    "ruff": ruff,
    "validate-pyproject": validate_pyproject,
    "pre-commit": pre_commit_config,
    "actionlint": actionlint,
    "zizmor": zizmor,
    "check-jsonschema": schemas,
}


def failures(outcomes: list[Outcome]) -> list[str]:
    """Readable reports of the calls that did not pass; [] means all passed."""
    return [str(outcome) for outcome in outcomes if not outcome.ok]
