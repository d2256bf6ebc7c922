"""A real PostgreSQL server for tests: Debian's binaries, started in a folder of its own.

The server refuses to run as root, so under root (this machine, and CI's) every server
command runs as the `postgres` user (runuser) in a folder that user owns; as anyone else it
runs as that user. It listens on 127.0.0.1 only, on a free port, and is stopped by its own
`pg_ctl stop`. Never a mock: the baked project's integration tier runs against this.
"""

from __future__ import annotations

import fcntl
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Generator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.machine import missing

INSTALL = "install PostgreSQL's server (Debian: apt-get install postgresql)"


def binaries() -> Path | None:
    """The folder of initdb and pg_ctl: on PATH, or where pg_config says (Debian keeps them
    off PATH, under /usr/lib/postgresql/<major>/bin)."""
    if pg_ctl := shutil.which("pg_ctl"):
        return Path(pg_ctl).resolve().parent
    if pg_config := shutil.which("pg_config"):
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        folder = Path(found.stdout.strip())
        if found.returncode == 0 and (folder / "pg_ctl").exists():
            return folder
    return None


def need_binaries(needed_for: str) -> Path:
    """The binaries' folder, or skip (fail under PIPELINE_TESTS_REQUIRE_ALL) naming them."""
    if found := binaries():
        return found
    missing(
        "PostgreSQL's initdb and pg_ctl", needed_for, f"neither on PATH nor in pg_config --bindir; {INSTALL}"
    )


def as_server_user() -> list[str]:
    """The prefix that runs a command as the server's user: `postgres` when we are root."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Server:
    bindir: Path
    port: int
    socket_dir: Path
    user: str = "postgres"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL with the server's own psql, as its user; the rows, one a line."""
        done = subprocess.run(
            [
                *(*as_server_user(), self.bindir / "psql", "-X", "-At", "-v", "ON_ERROR_STOP=1"),
                *(
                    "-h",
                    str(self.socket_dir),
                    "-p",
                    str(self.port),
                    "-U",
                    self.user,
                    "-d",
                    database,
                    "-c",
                    sql,
                ),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    def new_database(self, name: str) -> str:
        """An empty database of its own (tests on xdist workers never share one); its URL."""
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)


@contextmanager
def server(
    needed_for: str,
    *,
    port: int | None = None,
    user: str = "postgres",
    password: str | None = None,
    database: str | None = None,
) -> Generator[Server]:
    """A throwaway server, stopped and removed at the end.

    With a `password`, connections over TCP must give it (SCRAM), as a service container's do;
    `database` is created for `user` when it is not `postgres`. Its socket folder is trusted.
    """
    bindir = need_binaries(needed_for)
    # Not under pytest's tmp_path: /tmp/pytest-of-root is root's alone, and the server's user
    # must reach its folder.
    folder = Path(tempfile.mkdtemp(prefix="pipeline-postgres-"))
    try:
        with _started(bindir, folder, port=port, user=user, password=password) as running:
            if database and database != "postgres":
                running.psql(f'CREATE DATABASE "{database}"')
            yield running
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _started(
    bindir: Path, folder: Path, *, port: int | None, user: str, password: str | None
) -> Generator[Server]:
    """initdb and pg_ctl start in `folder` (its server user's); pg_ctl stop at the end."""
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    data = folder / "data"
    run = as_server_user()
    auth = ["--auth", "trust"]
    if password is not None:
        (folder / "password").write_text(password + "\n", encoding="utf-8")
        if os.geteuid() == 0:
            os.chown(folder / "password", owner.pw_uid, owner.pw_gid)
        auth = ["--auth-local", "trust", "--auth-host", "scram-sha-256", "--pwfile", str(folder / "password")]
    subprocess.run(
        [
            *(*run, bindir / "initdb", "--pgdata", data, "--username", user),
            *(*auth, "--encoding", "UTF8", "--no-sync"),
        ],
        capture_output=True,
        check=True,
    )
    port = port or free_port()
    options = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={folder}"
    pg_ctl = [*run, bindir / "pg_ctl", "--pgdata", data]
    started = subprocess.run(
        [*pg_ctl, "--wait", "--log", folder / "server.log", "-o", options, "start"],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        if started.returncode != 0:
            log_file = folder / "server.log"
            log = log_file.read_text(errors="replace") if log_file.exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {started.stderr}{log}")
        yield Server(bindir, port, folder, user)
    finally:
        subprocess.run([*pg_ctl, "--wait", "--mode", "fast", "stop"], capture_output=True, check=False)


# ----------------------------------------------------------------------------- service containers

PORT_LOCK = Path(tempfile.gettempdir()) / "pipeline-postgres-port-{port}.lock"


@contextmanager
def _port_lock(port: int) -> Generator[None]:
    """Hold the machine-wide lock of `port` (xdist workers are separate processes)."""
    with PORT_LOCK.with_name(PORT_LOCK.name.format(port=port)).open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def service_standin(name: str, service: Mapping[str, Any]) -> Generator[str]:
    """A real server where a workflow's `services: <name>` container would be; what it stands in.

    act runs host-mode jobs without their service containers, so the rehearsal starts Debian's
    PostgreSQL on the host port the service publishes, with the service's POSTGRES_USER,
    POSTGRES_PASSWORD and POSTGRES_DB, and runs the service's health check command (pg_isready)
    against it before the job starts. Rehearsals that need the same port wait for each other.
    """
    image = str(service.get("image", ""))
    if not image.startswith("postgres:"):
        raise ValueError(f"no rehearsal stand-in for the service container {name!r} ({image})")
    env = {str(k): str(v) for k, v in (service.get("env") or {}).items()}
    user = env.get("POSTGRES_USER", "postgres")
    database = env.get("POSTGRES_DB", user)
    published = [str(p).rsplit(":", 2) for p in service.get("ports") or []]
    ports = [int(p[-2]) for p in published if len(p) >= 2 and p[-1] == "5432"]
    if len(ports) != 1:
        raise ValueError(
            f"service {name!r}: publish the server's port 5432 once (host:5432), not {published}"
        )
    options = str(service.get("options", ""))
    if "pg_isready" not in options:
        raise ValueError(f"service {name!r}: its health check should be pg_isready, not {options!r}")
    with (
        _port_lock(ports[0]),
        server(
            f"the rehearsal's stand-in for the {name} service container",
            port=ports[0],
            user=user,
            password=env.get("POSTGRES_PASSWORD"),
            database=database,
        ) as running,
    ):
        ready = subprocess.run(
            [
                running.bindir / "pg_isready",
                "-h",
                "127.0.0.1",
                "-p",
                str(running.port),
                "-U",
                user,
                "-d",
                database,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if ready.returncode != 0:
            raise RuntimeError(f"the {name} stand-in is not ready: {ready.stdout}{ready.stderr}")
        version = running.psql("SHOW server_version", database=database).strip()
        yield (
            f"services: {name} ({image.split('@')[0]}, pinned by digest) -> Debian's PostgreSQL "
            f"{version} started by the rehearsal on 127.0.0.1:{running.port} with the service's user, "
            f"password and database, health-checked with pg_isready (act runs host-mode jobs "
            f"without their service containers)"
        )
