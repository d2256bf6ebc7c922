"""The HTTP service: ``create_app()`` builds the FastAPI application.

``/healthz`` says the process is alive (a liveness probe restarts it when it fails),
``/readyz`` says it can take traffic (a readiness probe holds traffic back until then)
and ``/version`` says what is deployed.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from {{ cookiecutter.package_name }} import __version__

# A readiness check returns True when what it checks (a database, say) can be used.
ReadinessCheck = Callable[[], Awaitable[bool]]

log = structlog.get_logger(__name__)


def create_app(
    readiness_checks: Mapping[str, ReadinessCheck] | None = None,
    revision: str | None = None,
) -> FastAPI:
    """The application; ``/readyz`` says ready once every readiness check passes.

    ``revision`` is the commit the running build was made from (the image sets it), so
    two builds of one version can be told apart; ``None`` outside an image.
    """
    checks = dict(readiness_checks or {})

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncGenerator[None]:
        app.state.started = True
        log.info("service started", version=__version__)
        yield
        # uvicorn gets here once open requests finished or SHUTDOWN_TIMEOUT passed.
        app.state.started = False
        log.info("service stopping")

    app = FastAPI(
        title="{{ cookiecutter.project_slug }}",
        version=__version__,
        lifespan=lifespan,
    )
    app.state.started = False

    @app.middleware("http")
    async def access_log(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        log.info(
            "request",
            method=request.method,
            path=request.url.path,
            status=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            client=request.client.host if request.client else None,
        )
        return response

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        """Readiness: started, not stopping, and every readiness check passes."""
        failing = [name for name, check in checks.items() if not await check()]
        if not app.state.started or failing:
            content = {"status": "not ready", "failing": failing}
            return JSONResponse(content, status_code=503)
        return JSONResponse({"status": "ready"})

    @app.get("/version")
    async def version() -> dict[str, str | None]:
        """What is deployed: the version and the commit it was built from."""
        return {
            "name": "{{ cookiecutter.__dist_name }}",
            "version": __version__,
            "revision": revision,
        }

    return app
