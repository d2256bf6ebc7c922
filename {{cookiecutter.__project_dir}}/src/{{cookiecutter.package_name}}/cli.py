"""Command-line interface: ``{{ cookiecutter.project_slug }} [NAME]``."""
{%- if cookiecutter.cli == "argparse" %}

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from {{ cookiecutter.package_name }} import __version__, greet


def build_parser() -> argparse.ArgumentParser:
    """The command line: an optional name, and --version."""
    parser = argparse.ArgumentParser(
        prog="{{ cookiecutter.project_slug }}",
        description="Print a greeting.",
    )
    parser.add_argument("name", nargs="?", default="world", help="who to greet")
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as finished:  # --help, --version and usage errors end here
        return finished.code if isinstance(finished.code, int) else 1
    try:
        print(greet(args.name))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
{%- else %}

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import typer

from {{ cookiecutter.package_name }} import __version__, greet

app = typer.Typer(add_completion=False, help="Print a greeting.")


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"{{ cookiecutter.project_slug }} {__version__}")
        raise typer.Exit


@app.command()
def hello(
    name: Annotated[str, typer.Argument(help="who to greet")] = "world",
    version: Annotated[  # noqa: ARG001 (handled eagerly by the callback)
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Show the version."
        ),
    ] = False,
) -> None:
    """Print a greeting."""
    try:
        typer.echo(greet(name))
    except ValueError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from error


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    try:
        app(
            args=None if argv is None else list(argv),
            prog_name="{{ cookiecutter.project_slug }}",
        )
    except SystemExit as finished:
        return finished.code if isinstance(finished.code, int) else 1
    return 0
{%- endif %}
