"""Serve a socketserver (HTTP or SMTP stand-in) on 127.0.0.1 in a thread for a `with` block;
stop a server process a test started."""

from __future__ import annotations

import socketserver
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def serving(server: socketserver.BaseServer, name: str) -> Iterator[int]:
    """Start `server` (already bound, usually to port 0); yield its port; always shut it down."""
    # A short poll keeps shutdown() quick; stand-ins stop after every test.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name=name, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])  # type: ignore[index]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def stop(process: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    """End a server process started for a test: SIGTERM, then SIGKILL after 10 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
