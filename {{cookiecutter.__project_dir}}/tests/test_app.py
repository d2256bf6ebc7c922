from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from {{ cookiecutter.package_name }} import __version__
from {{ cookiecutter.package_name }}.app import create_app


@pytest.fixture
def client() -> Iterator[TestClient]:
    # As a context manager the client runs the application's start-up and shutdown.
    with TestClient(create_app()) as started:
        yield started


def test_healthz_says_alive(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_says_ready_once_started(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


def test_readyz_is_503_before_start_up() -> None:
    response = TestClient(create_app()).get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "not ready", "failing": []}


def test_readyz_names_a_failing_check() -> None:
    async def database() -> bool:
        return False

    with TestClient(create_app(readiness_checks={"database": database})) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "not ready", "failing": ["database"]}


def test_version_is_the_package_version(client: TestClient) -> None:
    response = client.get("/version")
    assert response.status_code == 200
    assert response.json() == {
        "name": "{{ cookiecutter.__dist_name }}",
        "version": __version__,
        "revision": None,
    }


def test_version_names_the_revision_it_was_given() -> None:
    with TestClient(create_app(revision="0123abc")) as client:
        response = client.get("/version")
    assert response.json()["revision"] == "0123abc"


def test_each_request_is_logged_with_its_fields(client: TestClient) -> None:
    with capture_logs() as logs:
        client.get("/healthz", params={"probe": "1"})
    [entry] = [entry for entry in logs if entry["event"] == "request"]
    assert entry["method"] == "GET"
    assert entry["path"] == "/healthz"
    assert entry["status"] == 200
    assert entry["duration_ms"] >= 0


def test_unknown_path_is_404(client: TestClient) -> None:
    assert client.get("/no-such-path").status_code == 404
