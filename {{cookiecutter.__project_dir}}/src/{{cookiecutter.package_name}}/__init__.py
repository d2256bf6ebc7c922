"""The {{ cookiecutter.project_slug }} package: its public API and version."""

from importlib.metadata import version

from {{ cookiecutter.package_name }}.greeting import greet

__all__ = ["__version__", "greet"]

# Read from the installed metadata: pyproject.toml stays the one place it is written.
__version__ = version("{{ cookiecutter.__dist_name }}")
