"""A real OpenSSH server on 127.0.0.1, standing in for a deployment host (container=ghcr+deploy).

Debian's `sshd` runs in the foreground on a free port with a host key made for the session,
public-key authentication only, and the `authorized_keys` lines a test gives: the lines
docs/environments.md tells a user to write (`restrict,command="..." ssh-ed25519 ...`). So the
deploy key, the pinned host key and the forced command are exercised as on a real host.

It runs as the current user: as root (CI), logging in as root needs `PermitRootLogin
forced-commands-only`, which is what the deploy key is anyway; as another user, sshd can only
log that user in, which is the user the tests name.
"""

from __future__ import annotations

import getpass
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from support.background import stop
from support.machine import need_tool

START_SECONDS = 20


@dataclass(frozen=True)
class SshServer:
    port: int
    user: str
    known_hosts_line: str  # "[127.0.0.1]:PORT ssh-ed25519 AAAA...": what DEPLOY_KNOWN_HOSTS holds
    log: Path

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""


def need_sshd(needed_for: str) -> str:
    return need_tool("sshd", needed_for)


def keypair(path: Path, comment: str) -> tuple[str, str]:
    """(private key text, public key line) of a new ed25519 key at `path`."""
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        capture_output=True,
    )
    return path.read_text(encoding="utf-8"), path.with_suffix(".pub").read_text(encoding="utf-8").strip()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def ssh_server(root: Path, authorized_keys: list[str]) -> Iterator[SshServer]:
    """sshd on 127.0.0.1 accepting exactly `authorized_keys` for the current user."""
    sshd = need_sshd("the deployment rehearsal's host stand-in")
    root.mkdir(parents=True, exist_ok=True)
    _, host_public = keypair(root / "host_key", "rehearsal-host")
    keys = root / "authorized_keys"
    keys.write_text("".join(line + "\n" for line in authorized_keys), encoding="utf-8")
    keys.chmod(0o600)
    port = _free_port()
    user = getpass.getuser()
    config = root / "sshd_config"
    config.write_text(
        "\n".join(
            [
                f"Port {port}",
                "ListenAddress 127.0.0.1",
                f"HostKey {root / 'host_key'}",
                f"PidFile {root / 'sshd.pid'}",
                f"AuthorizedKeysFile {keys}",
                # The key file lives in a test's temporary folder, not under a home directory.
                "StrictModes no",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PermitRootLogin forced-commands-only",
                "UsePAM no",
                f"AllowUsers {user}",
                "PermitUserEnvironment no",
                "LogLevel VERBOSE",
                "",
            ]
        ),
        encoding="utf-8",
    )
    if os.geteuid() == 0:
        # The privilege separation directory Debian's service unit would create.
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    log = root / "sshd.log"
    with log.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(
            [sshd, "-D", "-e", "-f", str(config)], stdout=output, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"sshd exited {process.returncode}:\n{log.read_text(encoding='utf-8')}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"sshd did not listen on {port}:\n{log.read_text(encoding='utf-8')}"
                    ) from None
                time.sleep(0.1)
        kind, key = host_public.split()[:2]
        yield SshServer(port=port, user=user, known_hosts_line=f"[127.0.0.1]:{port} {kind} {key}", log=log)
    finally:
        stop(process)
