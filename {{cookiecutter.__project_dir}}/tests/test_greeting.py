import re

import pytest

from {{ cookiecutter.package_name }} import __version__, greet


def test_version_comes_from_package_metadata() -> None:
    assert re.fullmatch(r"\d+(\.\d+)*\S*", __version__)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("Ada", "Hello, Ada!", id="plain"),
        pytest.param("  Grace  ", "Hello, Grace!", id="surrounding-space-trimmed"),
    ],
)
def test_greet(name: str, expected: str) -> None:
    assert greet(name) == expected


def test_greet_defaults_to_world() -> None:
    assert greet() == "Hello, world!"


def test_greet_refuses_blank_names() -> None:
    with pytest.raises(ValueError, match="blank"):
        greet("   ")
