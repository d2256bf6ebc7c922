"""Smoke tests: run by deploy.yml against a deployed environment, after it is live.

.github/scripts/deploy_stage.py runs ``pytest -m smoke --no-cov`` with SMOKE_URL (the
environment's URL), SMOKE_VERSION and SMOKE_REVISION (what should be running). A failure
rolls the environment back to its last good image. Without SMOKE_URL they are skipped.

Add your own: read-only requests only (they run against production too), quick, and
about what a user would notice first.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any

import pytest

URL = os.environ.get("SMOKE_URL", "").rstrip("/")

# Per test, not for the module: a module-level skip would count in every tier's report,
# while a marked test is deselected by `-m integration` and `-m e2e`.
pytestmark = [
    pytest.mark.smoke,
    pytest.mark.skipif(
        not URL,
        reason="SMOKE_URL is not set: deploy.yml runs these against a deployment",
    ),
]


def get(path: str) -> tuple[int, Any]:
    if not URL.startswith(("https://", "http://")):
        pytest.fail(f"SMOKE_URL {URL!r} is not an http(s) URL")
    try:
        with urllib.request.urlopen(URL + path, timeout=10) as answer:  # noqa: S310
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, None


def test_the_service_is_alive() -> None:
    assert get("/healthz") == (200, {"status": "ok"})


def test_the_service_is_ready() -> None:
    assert get("/readyz") == (200, {"status": "ready"})


def test_the_expected_version_is_live() -> None:
    status, body = get("/version")
    assert status == 200
    assert body["name"] == "{{ cookiecutter.__dist_name }}"
    if expected := os.environ.get("SMOKE_VERSION"):
        assert body["version"] == expected
    if expected := os.environ.get("SMOKE_REVISION"):
        assert body["revision"] == expected
