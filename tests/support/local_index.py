"""A real package index on 127.0.0.1: pypiserver, run from the test environment.

Uploads need no credentials (``-a . -P .``) and names it does not hold are answered 404
instead of being redirected to PyPI (``--disable-fallback``), so "not on this index"
means exactly that. pypiserver cannot report a port the system picked, so a free port is
found first and, should something else take it before pypiserver binds, another is tried.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from support.background import stop

START_TIMEOUT = 20.0
PORT_ATTEMPTS = 3


class LocalIndexError(RuntimeError):
    """pypiserver could not be started."""


@dataclass(frozen=True)
class LocalIndex:
    url: str  # upload URL, as twine's --repository-url takes it
    packages: Path  # pypiserver's package directory
    log: Path

    @property
    def simple_url(self) -> str:
        return f"{self.url}simple/"

    def page(self, name: str) -> str:
        """The PEP 503 page of a project, or "" when the index does not hold it."""
        try:
            with urllib.request.urlopen(f"{self.simple_url}{name}/", timeout=10) as response:
                return str(response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            with error:
                if error.code == 404:
                    return ""
                raise


def pypiserver_available() -> bool:
    return importlib.util.find_spec("pypiserver") is not None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}health", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def local_index(directory: Path) -> Iterator[LocalIndex]:
    """Run pypiserver over `directory`/packages until the block ends."""
    packages = directory / "packages"
    packages.mkdir(parents=True, exist_ok=True)
    log = directory / "pypiserver.log"
    for _ in range(PORT_ATTEMPTS):
        port = _free_port()
        url = f"http://127.0.0.1:{port}/"
        with log.open("ab") as sink:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "pypiserver",
                    "run",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "-a",
                    ".",
                    "-P",
                    ".",
                    "--disable-fallback",
                    "--hash-algo",
                    "sha256",
                    "-v",
                    str(packages),
                ],
                stdout=sink,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while process.poll() is None and time.monotonic() < deadline and not _healthy(url):
            time.sleep(0.05)
        # Alive after answering: the answer came from this pypiserver, not a squatter on the port.
        if process.poll() is None and _healthy(url):
            break
        stop(process)
    else:
        raise LocalIndexError(f"pypiserver did not start; see {log}:\n{log.read_text(errors='replace')}")
    try:
        yield LocalIndex(url=url, packages=packages, log=log)
    finally:
        stop(process)


__all__ = ["LocalIndex", "LocalIndexError", "local_index", "pypiserver_available"]
