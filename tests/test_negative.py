"""Negative tier: the real cookiecutter command refuses bad answers cleanly and leaves nothing behind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support.options import TEMPLATE

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
    pytest.param({"license": "Proprietary", "publish": "pypi"}, "publish='pypi'", id="proprietary-on-pypi"),
]


@pytest.mark.parametrize(("overrides", "named"), BAD_ANSWERS)
def test_bad_answer_is_refused(tmp_path: Path, overrides: dict[str, str], named: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    completed = subprocess.run(
        [COOKIECUTTER, "--no-input", "--output-dir", str(out), str(TEMPLATE)]
        + [f"{key}={value}" for key, value in overrides.items()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode != 0
    ours = [line for line in completed.stderr.splitlines() if line.startswith("error: ")]
    assert len(ours) == 1, completed.stderr
    assert ours[0].startswith(f"error: {named} is not accepted: ")
    # cookiecutter itself logs its FailedHookException with a traceback; none may come from our hook.
    assert "pre_gen_project" not in completed.stderr
    tracebacks = completed.stderr.count("Traceback (most recent call last)")
    assert tracebacks == completed.stderr.count("cookiecutter.exceptions.FailedHookException:") <= 1
    assert list(out.iterdir()) == [], "a refused bake must leave nothing on disk"
