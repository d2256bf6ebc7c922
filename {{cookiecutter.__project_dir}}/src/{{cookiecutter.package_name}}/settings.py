"""The service's settings, read from environment variables (see ``ENV_PREFIX``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Each setting is the variable of its name after this prefix: ENV_PREFIX + "PORT".
ENV_PREFIX = "{{ cookiecutter.__env_prefix }}"


class Settings(BaseSettings):
    """The server's settings; each field is an environment variable (``ENV_PREFIX``)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        frozen=True,
    )

    # Loopback by default, so a developer's server is not reachable from the network;
    # the container image sets 0.0.0.0 (its port is published explicitly).
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    log_level: Literal["debug", "info", "warning", "error", "critical"] = "info"
    # "auto": readable lines in a terminal, one JSON object per line anywhere else.
    log_format: Literal["auto", "json", "console"] = "auto"
    # Seconds the server lets open requests finish after SIGTERM before closing them.
    shutdown_timeout: int = Field(default=10, gt=0)
    # The commit this build was made from; the image sets it, /version reports it.
    revision: str | None = None
