"""The console script that serves the application with uvicorn (``PROG``).

Settings come from the environment (settings.py). SIGTERM or Ctrl-C stops accepting
connections, lets open requests finish for ``shutdown_timeout`` seconds, and exits 0.
"""

from __future__ import annotations

import argparse
import ipaddress
import signal
import sys
import urllib.request
from collections.abc import Sequence
from http import HTTPStatus

import uvicorn
from pydantic import ValidationError

from {{ cookiecutter.package_name }} import __version__{% if cookiecutter.database == "postgresql" %}, database{% endif %}
from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.logs import configure_logging
from {{ cookiecutter.package_name }}.settings import ENV_PREFIX, Settings

PROG = "{{ cookiecutter.project_slug }}-serve"


def build_parser() -> argparse.ArgumentParser:
    """The command line of the server: settings come from the environment."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Serve the HTTP API. Settings are environment variables: "
        + ", ".join(ENV_PREFIX + name.upper() for name in Settings.model_fields),
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="ask the running server's /healthz instead (exit 0 when healthy)",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    return parser


def health_url(settings: Settings) -> str:
    """Where a check on this machine finds the server (a wildcard host: loopback)."""
    try:
        address = ipaddress.ip_address(settings.host)
    except ValueError:  # a name, such as localhost
        return f"http://{settings.host}:{settings.port}/healthz"
    ipv6 = isinstance(address, ipaddress.IPv6Address)
    if address.is_unspecified:  # 0.0.0.0 or :: (every interface): ask loopback
        address = ipaddress.ip_address("::1" if ipv6 else "127.0.0.1")
    shown = f"[{address}]" if ipv6 else str(address)
    return f"http://{shown}:{settings.port}/healthz"


def check(settings: Settings) -> int:
    """The container's health check: needs no curl, only this package's Python."""
    url = health_url(settings)
    try:
        # An http:// URL of our own making, so no file:// or other scheme.
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
            healthy = response.status == HTTPStatus.OK
    except OSError as error:  # URLError, refused, reset and timed out alike
        print(f"{PROG}: {url}: {error}", file=sys.stderr)
        return 1
    return 0 if healthy else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server until it is told to stop; return the process exit code."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as finished:  # --help, --version and usage errors end here
        return finished.code if isinstance(finished.code, int) else 1
    try:
        settings = Settings()
    except ValidationError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    if args.check:
        return check(settings)
{%- if cookiecutter.database == "postgresql" %}
    try:
        url = database.database_url()
        database.sqlalchemy_url(url)  # a postgresql:// URL, as the migrations need
    except database.NoDatabaseURLError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    except ValueError as error:
        names = " or ".join(database.URL_VARIABLES)
        print(f"{PROG}: error: {names}: {error}", file=sys.stderr)
        return 2
    checks = {"database": database.readiness_check(url)}
{%- endif %}
    configure_logging(settings.log_level, settings.log_format)
    config = uvicorn.Config(
{%- if cookiecutter.database == "postgresql" %}
        create_app(readiness_checks=checks, revision=settings.revision),
{%- else %}
        create_app(revision=settings.revision),
{%- endif %}
        host=settings.host,
        port=settings.port,
        log_config=None,  # logs.py configured them
        access_log=False,  # app.py writes one structured line per request
        timeout_graceful_shutdown=settings.shutdown_timeout,
        server_header=False,
    )
    server = uvicorn.Server(config)
    # uvicorn drains, then raises the signal again for the handler it found. That
    # handler asks the server to exit: a stop during start-up is honoured, and the
    # re-raise after a clean shutdown leaves exit code 0 rather than death by signal.
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, server.handle_exit)
    server.run()
    return 0
