"""Serve a socketserver (HTTP or SMTP stand-in) on 127.0.0.1 in a thread for a `with` block."""

from __future__ import annotations

import socketserver
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
