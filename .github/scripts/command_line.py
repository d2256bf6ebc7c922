"""What the template's own scripts share on the command line: usage errors in one line.

Standard library only: refresh-pins' propose step imports it from a bare `python3`.
"""

from __future__ import annotations

import argparse
import urllib.parse
from typing import Any

EXIT_USAGE = 2


class OneLineParser(argparse.ArgumentParser):
    """Usage errors on one line (no usage block), exit 2."""

    def error(self, message: str) -> Any:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def http_url(text: str) -> str:
    """An http:// or https:// URL, without its trailing slash (an argparse `type`)."""
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise argparse.ArgumentTypeError(f"{text!r} is not an http:// or https:// URL")
    return text.rstrip("/")
