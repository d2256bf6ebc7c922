"""The template's options, read from cookiecutter.json, and the combinations the tests bake.

Nothing here repeats a default or a rule: values come from the option manifest (`_options` in
cookiecutter.json, see support.manifest) and refusals are decided by the pre-gen hook's own
check, so adding an option or a choice there widens the pairwise set without touching the tests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from allpairspy import AllPairs

from support import manifest

TEMPLATE = manifest.TEMPLATE
COOKIECUTTER_JSON: dict[str, Any] = json.loads((TEMPLATE / "cookiecutter.json").read_text("utf-8"))
OPTIONS = manifest.load()

# Questions a user answers (private `_`/`__` keys are derived or cookiecutter's own).
QUESTIONS = {k: v for k, v in COOKIECUTTER_JSON.items() if not k.startswith("_")}

# Options with a closed set of values: choices (the first is the default) and yes/no flags.
CHOICES: dict[str, list[Any]] = {name: option.values for name, option in OPTIONS.items() if option.values}
DEFAULTS: dict[str, Any] = {key: values[0] for key, values in CHOICES.items()}

# Python ranges worth covering: the default span, a single version, and an inner span.
PYTHON_RANGES = [
    (QUESTIONS["python_min"], QUESTIONS["python_max"]),
    ("3.13", "3.13"),
    ("3.12", "3.14"),
]


def refusal(answers: Mapping[str, Any]) -> manifest.Refusal | None:
    """The manifest's refused combination these answers make, if any (the hook says it the same)."""
    for rule in manifest.refusals(OPTIONS):
        if answers.get(rule.option) in rule.when and all(
            answers.get(other) in values for other, values in rule.with_.items()
        ):
            return rule
    return None


def is_valid(answers: Mapping[str, Any]) -> bool:
    return refusal(answers) is None


# A service with a Typer CLI beside its server: both console scripts, every optional file.
ALL_ON: dict[str, Any] = {
    "kind": "service",
    "license": "Apache-2.0",
    "test_os": "linux-macos-windows",
    "cli": "typer",
    "publish": "pypi",
    "container": "ghcr+deploy",
    "database": "postgresql",
    "notifications": "slack+email",
    "docs": "github-pages",
    "codecov": True,
    "template_sync": True,
    "require_changelog": True,
}
# Every optional feature off and the smallest footprint: no CLI, no publishing, Linux only.
ALL_OFF: dict[str, Any] = {
    "kind": "library",
    "license": "Proprietary",
    "test_os": "linux",
    "cli": "none",
    "publish": "none",
    "notifications": "none",
    "codecov": False,
    "template_sync": False,
    "require_changelog": False,
}


# The longest names the pre-gen hook accepts: generated code must still fit the formatter.
LONGEST_NAMES: dict[str, Any] = {
    "project_slug": "longest-allowed-project-slug-for-testing",
    "package_name": "longest_allowed_package_name_for_testing",
    "cli": "typer",
}


def pairwise() -> Iterator[tuple[str, dict[str, Any]]]:
    """A covering set in which every pair of option values appears at least once."""
    parameters = {**CHOICES, "python_range": PYTHON_RANGES}
    keys = list(parameters)

    def acceptable(row: list[Any]) -> bool:
        return is_valid(dict(zip(keys, row, strict=False)))

    for index, row in enumerate(AllPairs(list(parameters.values()), filter_func=acceptable)):
        answers = dict(zip(keys, row, strict=True))
        python_min, python_max = answers.pop("python_range")
        answers |= {"python_min": python_min, "python_max": python_max}
        yield f"pair{index:02d}", answers


def render_combinations() -> list[tuple[str, dict[str, Any]]]:
    """Default, all-on, all-off, then the pairwise set: (id, overrides)."""
    return [
        ("default", {}),
        ("all-on", ALL_ON),
        ("all-off", ALL_OFF),
        ("longest-names", LONGEST_NAMES),
        *pairwise(),
    ]


# The project tier: few bakes, yet every option value at least once (checked by a test).
PROJECT_COMBINATIONS: list[tuple[str, dict[str, Any]]] = [
    ("default", {}),
    ("all-on", ALL_ON),
    ("all-off", ALL_OFF),
    (
        "bsd-typer-private-slack",
        {
            "license": "BSD-3-Clause",
            "cli": "typer",
            "publish": "private-index",
            "notifications": "slack",
            "docs": "github-pages",
        },
    ),
    # The service as its own user would bake it: no extra CLI, an image, the defaults otherwise.
    ("service-image", {"kind": "service", "container": "ghcr"}),
    (
        "gpl-argparse-none-email-all-os",
        {
            "license": "GPL-3.0-or-later",
            "publish": "none",
            "notifications": "email",
            "test_os": "linux-macos-windows",
            "python_min": "3.12",
            "python_max": "3.13",
        },
    ),
]
