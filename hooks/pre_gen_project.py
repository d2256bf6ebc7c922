"""Refuse bad answers before cookiecutter writes anything.

Every check returns one line naming the field, the value and what is accepted. On the first
failure the hook prints that line and exits 1; cookiecutter then removes the half-made output
directory. The hook only reads its answers: it is safe to replay under ``cruft update``.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
from collections.abc import Callable, Mapping
from typing import Any

# The only Jinja in this file. tojson escapes every quote character, so the raw string cannot end early.
ANSWERS_JSON = r"""{{ cookiecutter | tojson }}"""

# CPython lines with upstream support on the template's release date; 3.10 reached end of life in
# October 2026. Extend this when a new CPython is released and uv can install it.
SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13", "3.14", "3.15")

CHOICES: dict[str, tuple[str, ...]] = {
    "license": ("MIT", "Apache-2.0", "BSD-3-Clause", "GPL-3.0-or-later", "Proprietary"),
    "test_os": ("linux", "linux-macos-windows"),
    "cli": ("argparse", "typer", "none"),
    "publish": ("pypi", "private-index", "none"),
    "notifications": ("none", "slack", "email", "slack+email"),
}
FLAGS = ("codecov", "template_sync", "require_changelog")

# At most 40 characters: long enough for real names, short enough that generated code that
# spells the name stays inside the formatter's 88 columns.
MAX_NAME = 40
SLUG = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
PACKAGE = re.compile(r"[a-z_][a-z0-9_]*")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
# GitHub's own rule: 1-39 characters, alphanumerics or single hyphens, not at either end.
GITHUB_OWNER = re.compile(r"[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}")
# Canonical PEP 440 public versions only, so a release tag `v<version>` matches the project version
# byte for byte (1.0.0rc1, not 1.0.0-RC1).
VERSION = re.compile(
    r"(?:[1-9][0-9]*!)?(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))*"
    r"(?:(?:a|b|rc)(?:0|[1-9][0-9]*))?(?:\.post(?:0|[1-9][0-9]*))?(?:\.dev(?:0|[1-9][0-9]*))?"
)
PYTHON = re.compile(r"3\.(0|[1-9][0-9]*)")
# Names a package must not take because the baked project already uses them as folders.
RESERVED_PACKAGES = frozenset({"src", "tests", "docs", "benchmarks"})


class AnswerError(ValueError):
    """An answer that cannot bake a working project."""

    def __init__(self, field: str, value: object, accepted: str) -> None:
        super().__init__(f"{field}={value!r} is not accepted: {accepted}")


def _text(answers: Mapping[str, Any], field: str) -> str:
    value = answers.get(field)
    if not isinstance(value, str):
        raise AnswerError(field, value, "a text answer is required")
    return value


def check_single_line(answers: Mapping[str, Any], field: str) -> None:
    value = _text(answers, field)
    if not value.strip() or any(ch in value for ch in "\r\n\t\x00"):
        raise AnswerError(field, value, "one line of text that is not empty")


def check_pattern(
    answers: Mapping[str, Any],
    field: str,
    pattern: re.Pattern[str],
    accepted: str,
    max_length: int = 254,
) -> None:
    value = _text(answers, field)
    if len(value) > max_length or not pattern.fullmatch(value):
        raise AnswerError(field, value, accepted)


def check_package_name(answers: Mapping[str, Any]) -> None:
    name = _text(answers, "package_name")
    accepted = f"a lowercase Python identifier of at most {MAX_NAME} characters, e.g. 'my_package'"
    if len(name) > MAX_NAME or not PACKAGE.fullmatch(name):
        raise AnswerError("package_name", name, accepted)
    if keyword.iskeyword(name) or name == "_":
        raise AnswerError("package_name", name, f"a name that is not a Python keyword, such as '{name}_'")
    if name in sys.stdlib_module_names:
        raise AnswerError("package_name", name, "a name that does not shadow the standard library module")
    if name in RESERVED_PACKAGES:
        raise AnswerError("package_name", name, f"a name other than {', '.join(sorted(RESERVED_PACKAGES))}")


def _minor(answers: Mapping[str, Any], field: str) -> int:
    value = _text(answers, field)
    accepted = f"one of {', '.join(SUPPORTED_PYTHONS)}"
    match = PYTHON.fullmatch(value)
    if not match:
        raise AnswerError(field, value, f"a Python version written 3.X, {accepted}")
    if value not in SUPPORTED_PYTHONS:
        when = "is past its end of life" if int(match.group(1)) < 11 else "is not released yet"
        raise AnswerError(field, value, f"Python {value} {when}; {accepted}")
    return int(match.group(1))


def check_python_range(answers: Mapping[str, Any]) -> None:
    oldest, newest = _minor(answers, "python_min"), _minor(answers, "python_max")
    if oldest > newest:
        raise AnswerError(
            "python_max",
            answers["python_max"],
            f"a version no older than python_min={answers['python_min']!r}",
        )


def check_threshold(answers: Mapping[str, Any]) -> None:
    value = answers.get("coverage_threshold")
    text = str(value)
    if isinstance(value, bool) or not text.isdigit() or not 0 <= int(text) <= 100:
        raise AnswerError("coverage_threshold", value, "a whole number from 0 to 100")


def check_choices(answers: Mapping[str, Any]) -> None:
    for field, accepted in CHOICES.items():
        if answers.get(field) not in accepted:
            raise AnswerError(field, answers.get(field), f"one of {', '.join(accepted)}")
    for field in FLAGS:
        if not isinstance(answers.get(field), bool):
            raise AnswerError(field, answers.get(field), "yes or no")


def check_combinations(answers: Mapping[str, Any]) -> None:
    if answers["license"] == "Proprietary" and answers["publish"] == "pypi":
        raise AnswerError(
            "publish",
            "pypi",
            "private-index or none with license='Proprietary' (PyPI only hosts open code)",
        )


CHECKS: tuple[Callable[[Mapping[str, Any]], None], ...] = (
    lambda a: check_single_line(a, "project_name"),
    lambda a: check_pattern(
        a,
        "project_slug",
        SLUG,
        f"at most {MAX_NAME} lowercase letters, digits and single hyphens, e.g. 'my-tool'",
        MAX_NAME,
    ),
    check_package_name,
    lambda a: check_single_line(a, "description"),
    lambda a: check_single_line(a, "author_name"),
    lambda a: check_pattern(a, "author_email", EMAIL, "an email address like name@example.com"),
    lambda a: check_pattern(
        a,
        "github_owner",
        GITHUB_OWNER,
        "a GitHub user or organisation name (letters, digits, single hyphens)",
    ),
    lambda a: check_pattern(a, "version", VERSION, "a canonical PEP 440 version such as 0.1.0 or 1.0.0rc1"),
    check_python_range,
    check_threshold,
    check_choices,
    check_combinations,
)


def validate(answers: Mapping[str, Any]) -> None:
    """Raise AnswerError for the first answer that cannot bake a working project."""
    for check in CHECKS:
        check(answers)


def main(answers_json: str = ANSWERS_JSON) -> int:
    try:
        validate(json.loads(answers_json))
    except AnswerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
