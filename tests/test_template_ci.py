"""The template's own CI bakes the template and runs the bake's tests on macOS and Windows.

Those runners exist only on GitHub; here the same script, .github/scripts/bake_and_test.py, runs
on Linux for real, and the job is checked to run it on the other systems inside the gate.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support.next_steps import command_blocks, command_of, printed
from support.options import DEFAULTS, TEMPLATE

SCRIPT = TEMPLATE / ".github" / "scripts" / "bake_and_test.py"
TEMPLATE_CI = TEMPLATE / ".github" / "workflows" / "ci.yml"


def run_script(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=TEMPLATE,
        env=env or dict(os.environ),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.mark.project
def test_the_script_bakes_and_passes_the_bakes_own_tests_on_linux(tmp_path: Path) -> None:
    done = run_script("--output", str(tmp_path / "bake"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "$ uv sync" in done.stdout
    assert "$ uv run pytest" in done.stdout
    assert (next((tmp_path / "bake").iterdir()) / "uv.lock").is_file()


@pytest.mark.render
def test_the_script_runs_the_printed_next_steps_that_need_no_git() -> None:
    sys.path.insert(0, str(SCRIPT.parent))
    import bake_and_test

    first_block = command_blocks(printed({**DEFAULTS, "project_slug": "x", "github_owner": "o"}))[0]
    uv_steps = [command_of(step) for step in first_block if step.startswith("uv ")]
    # `uv run pre-commit install` needs the git repository the script does not make.
    assert [" ".join(step) for step in bake_and_test.STEPS] == [
        step for step in uv_steps if "pre-commit" not in step
    ]


@pytest.mark.render
def test_the_template_ci_runs_it_on_macos_and_windows_inside_the_gate() -> None:
    workflow = yaml.safe_load(TEMPLATE_CI.read_text(encoding="utf-8"))
    jobs = workflow["jobs"]
    [name] = [
        name
        for name, job in jobs.items()
        if any("bake_and_test.py" in str(step.get("run", "")) for step in job.get("steps", []))
    ]
    job = jobs[name]
    assert job["runs-on"] == "${{ matrix.os }}"
    assert sorted(job["strategy"]["matrix"]["os"]) == ["macos-latest", "windows-latest"]
    assert job["strategy"]["fail-fast"] is False
    assert job["permissions"] == {"contents": "read"}
    gate = jobs["template-ci-passed"]
    assert name in gate["needs"]
    assert set(gate["needs"]) == set(jobs) - {"template-ci-passed"}
    # A run superseded by a newer push reads cancelled, not failed (the bake's gate does the same).
    assert gate["if"] == "${{ !cancelled() }}"


@pytest.mark.scripts
@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--answers", "{"], "argument --answers: not JSON", id="answers-not-json"),
        pytest.param(["--answers", "[]"], "argument --answers: not a JSON object", id="answers-not-object"),
        pytest.param(["--output", str(SCRIPT)], "exists and is not an empty folder", id="output-a-file"),
    ],
)
def test_a_bad_argument_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    done = run_script(*args)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert message in done.stderr


@pytest.mark.scripts
def test_a_refused_bake_ends_in_one_error_line_and_exit_3(tmp_path: Path) -> None:
    done = run_script("--answers", '{"project_slug": "Not A Slug"}', "--output", str(tmp_path / "out"))
    assert done.returncode == 3
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("error: baking ")
    assert "failed: project_slug='Not A Slug' is not accepted" in line


@pytest.mark.scripts
def test_without_uv_on_path_it_says_so_and_exits_3(tmp_path: Path) -> None:
    done = run_script(env={**os.environ, "PATH": str(tmp_path)})
    assert done.returncode == 3
    assert done.stderr.strip() == "error: uv is not on PATH; the baked project's next steps need it"


@pytest.mark.render
def test_the_pin_refresh_writes_only_from_the_job_that_runs_no_template_code() -> None:
    workflow = yaml.safe_load((TEMPLATE_CI.parent / "refresh-pins.yml").read_text(encoding="utf-8"))
    assert workflow["permissions"] == {}
    assert set(workflow[True]) == {"schedule", "workflow_dispatch"}  # PyYAML reads `on:` as True
    prepare, propose = workflow["jobs"]["prepare"], workflow["jobs"]["propose"]
    assert prepare["permissions"] == {"contents": "read"}
    assert propose["permissions"] == {"contents": "write", "pull-requests": "write"}
    # The write token only on the default branch (a schedule's event names no repository).
    assert propose["if"] == (
        "needs.prepare.outputs.changed == 'true' && (github.event_name == 'schedule' "
        "|| github.ref == format('refs/heads/{0}', github.event.repository.default_branch))"
    )
    assert propose["steps"][-1]["env"]["DEFAULT_BRANCH"] == "${{ github.event.repository.default_branch }}"
    runs = [step["run"] for step in propose["steps"] if "run" in step]
    assert all(run.startswith(("git ", "python3 ")) for run in runs), runs
    for job in (prepare, propose):
        checkouts = [step for step in job["steps"] if step.get("uses", "").startswith("actions/checkout@")]
        assert [step["with"]["persist-credentials"] for step in checkouts] == [False]
