"""The server: its command line in-process, then the real process over HTTP."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
import uvicorn

from {{ cookiecutter.package_name }} import __version__, serve
from {{ cookiecutter.package_name }}.settings import ENV_PREFIX as PREFIX
from {{ cookiecutter.package_name }}.settings import Settings

START_SECONDS = 20
STOP_SECONDS = 10  # generous for a loaded CI runner; an idle machine takes under 1 s
REVISION = "the-commit-under-test"
{%- if cookiecutter.database == "postgresql" %}
# No server listens on port 1 of this machine: a database that refuses at once.
UNREACHABLE_DATABASE = "postgresql://nobody@127.0.0.1:1/nothing"
{%- endif %}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert serve.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"{serve.PROG} {__version__}"


def test_a_bad_setting_is_an_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(f"{PREFIX}PORT", "eighty")
    assert serve.main([]) == 2
    assert "port" in capsys.readouterr().err


def test_runs_uvicorn_with_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[uvicorn.Config] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda server: ran.append(server.config))
    monkeypatch.setattr(serve, "configure_logging", lambda *_: None)
    monkeypatch.setattr(signal, "signal", lambda *_: None)
    monkeypatch.setenv(f"{PREFIX}PORT", "8123")
    monkeypatch.setenv(f"{PREFIX}SHUTDOWN_TIMEOUT", "3")
{%- if cookiecutter.database == "postgresql" %}
    monkeypatch.setenv(f"{PREFIX}DATABASE_URL", UNREACHABLE_DATABASE)
{%- endif %}
    assert serve.main([]) == 0
    [config] = ran
    assert (config.host, config.port) == ("127.0.0.1", 8123)
    assert config.timeout_graceful_shutdown == 3


{% if cookiecutter.database == "postgresql" %}def test_the_server_needs_a_database_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(f"{PREFIX}DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert serve.main([]) == 2
    assert f"{PREFIX}DATABASE_URL" in capsys.readouterr().err


def test_the_server_refuses_a_url_that_is_not_postgresql(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(f"{PREFIX}DATABASE_URL", raising=False)
    url = "mysql://app:hunter2@db/app"  # pragma: allowlist secret
    monkeypatch.setenv("DATABASE_URL", url)
    assert serve.main([]) == 2
    error = capsys.readouterr().err
    assert "not a postgresql:// URL" in error
    assert "hunter2" not in error


{% endif %}@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("0.0.0.0", "http://127.0.0.1:8000/healthz"),  # noqa: S104 (a setting, not a bind)
        ("::", "http://[::1]:8000/healthz"),
        ("10.1.2.3", "http://10.1.2.3:8000/healthz"),
        ("localhost", "http://localhost:8000/healthz"),
    ],
)
def test_the_health_check_asks_this_machine(host: str, url: str) -> None:
    assert serve.health_url(Settings(host=host)) == url


def test_the_health_check_fails_without_a_server(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(f"{PREFIX}PORT", str(free_port()))
    assert serve.main(["--check"]) == 1
    assert "/healthz" in capsys.readouterr().err


@dataclass(frozen=True)
class Server:
    process: subprocess.Popen[str]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def wait_until_healthy(process: subprocess.Popen[str], url: str) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _, err = process.communicate()
            pytest.fail(f"{serve.PROG} exited {process.returncode} on start:\n{err}")
        try:
            if httpx2.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx2.TransportError:
            time.sleep(0.05)
    pytest.fail(f"{serve.PROG} was not healthy within {START_SECONDS}s")


@pytest.fixture
def server() -> Iterator[Server]:
    """The installed console script, started as a deployment would start it."""
    command = shutil.which(serve.PROG, path=str(Path(sys.executable).parent))
    assert command, f"{serve.PROG} is not installed here: run uv sync"
    port = free_port()
    env = os.environ | {
        f"{PREFIX}HOST": "127.0.0.1",
        f"{PREFIX}PORT": str(port),
        f"{PREFIX}LOG_FORMAT": "json",
        # The commit an image is built from; /version reports it.
        f"{PREFIX}REVISION": REVISION,
{%- if cookiecutter.database == "postgresql" %}
        f"{PREFIX}DATABASE_URL": UNREACHABLE_DATABASE,
{%- endif %}
    }
    with subprocess.Popen(  # noqa: S603 (this project's own console script)
        [command], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            wait_until_healthy(process, f"http://127.0.0.1:{port}")
            yield Server(process, port)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()


@pytest.mark.e2e
def test_the_server_answers_over_http(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    version = httpx2.get(f"{server.url}/version", timeout=5)
    assert version.json() == {
        "name": "{{ cookiecutter.__dist_name }}",
        "version": __version__,
        "revision": REVISION,
    }
{%- if cookiecutter.database == "postgresql" %}
    # Alive, but not ready: the database it is given does not answer (test_database.py
    # checks /readyz against a real server).
    ready = httpx2.get(f"{server.url}/readyz", timeout=10)
    assert (ready.status_code, ready.json()["failing"]) == (503, ["database"])
{%- else %}
    assert httpx2.get(f"{server.url}/readyz", timeout=5).status_code == 200
{%- endif %}
    # The container's HEALTHCHECK, run against the real server.
    monkeypatch.setenv(f"{PREFIX}PORT", str(server.port))
    assert serve.main(["--check"]) == 0


@pytest.mark.e2e
@pytest.mark.skipif(sys.platform == "win32", reason="Windows has no SIGTERM to send")
def test_sigterm_stops_the_server_cleanly(server: Server) -> None:
    assert httpx2.get(f"{server.url}/version", timeout=5).status_code == 200
    asked = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    _, err = server.process.communicate(timeout=STOP_SECONDS)
    assert server.process.returncode == 0, err
    assert time.monotonic() - asked < STOP_SECONDS
    # Every line the server wrote is one JSON object: its own records and uvicorn's.
    records: list[dict[str, Any]] = [json.loads(line) for line in err.splitlines()]
    events = [record["event"] for record in records]
    assert "service started" in events
    assert events.index("service stopping") > events.index("service started")
    [request] = [record for record in records if record.get("path") == "/version"]
    assert (request["method"], request["status"]) == ("GET", 200)
