import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from {{ cookiecutter.package_name }}.logs import configure_logging


@pytest.fixture(autouse=True)
def restored_logging() -> Iterator[None]:
    """configure_logging changes process-wide state: put it back after each test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers, root.level = handlers, level
    structlog.reset_defaults()


def test_json_lines_outside_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("info", "auto")
    structlog.get_logger("app").info("hello", answer=42)
    logging.getLogger("uvicorn.error").warning("from the standard library")
    first, second = (json.loads(line) for line in capsys.readouterr().err.splitlines())
    assert first["event"] == "hello"
    assert first["answer"] == 42
    assert (first["level"], first["logger"]) == ("info", "app")
    assert "timestamp" in first
    assert second["event"] == "from the standard library"
    assert second["level"] == "warning"


def test_below_the_level_nothing_is_written(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("warning", "json")
    structlog.get_logger().info("quiet")
    assert capsys.readouterr().err == ""


def test_console_lines_for_people(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("debug", "console")
    structlog.get_logger().debug("hello", answer=42)
    line = capsys.readouterr().err
    assert "hello" in line
    assert "answer" in line
    assert not line.startswith("{")
