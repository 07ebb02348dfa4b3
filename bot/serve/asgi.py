"""The HTTP side of the servers: one ASGI app (Starlette) run by uvicorn.

Starlette, because it is a small toolkit rather than a framework: routes
are plain async functions on a request whose body is read only when asked
for, so a webhook can check its secret and size before reading anything.
uvicorn, because it is the ASGI server most deployments already run, with
a graceful shutdown that lets in-flight requests finish. The same app
carries the Telegram webhook and the health and metrics endpoints (and,
later, the HTTP API), each part switched on by whoever builds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from bot.serve.metrics import CONTENT_TYPE, Metrics

__all__ = ["HttpServer", "app_with_health", "error", "read_body"]

_LOGGER = logging.getLogger("bot.http")

#: What /readyz asks: None when ready, else the reason it is not.
Readiness = Callable[[], Awaitable[str | None]]


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """A JSON error with a plain message: never a traceback."""
    return JSONResponse({"ok": False, "error": message}, status_code=status, headers=headers)


class BodyError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def read_body(request: Request, limit: int, timeout: float = 10.0) -> bytes:
    """The request's body, refused (413) before reading past ``limit`` bytes, or if slow (408)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise BodyError(400, "a malformed Content-Length")
        if int(declared) > limit:
            raise BodyError(413, f"the body is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0

    async def read() -> None:
        nonlocal size
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BodyError(413, f"the body is larger than {limit} bytes")
            chunks.append(chunk)

    try:
        await asyncio.wait_for(read(), timeout)
    except TimeoutError:
        raise BodyError(408, "the body took too long to arrive") from None
    return b"".join(chunks)


def app_with_health(
    routes: Sequence[BaseRoute], ready: Readiness, metrics: Metrics | None
) -> Starlette:
    """An app with ``routes`` and ``/livez``, ``/readyz`` and (with ``metrics``) ``/metrics``."""

    async def livez(request: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def readyz(request: Request) -> Response:
        try:
            reason = await ready()
        except Exception as exc:  # a readiness probe answers, whatever fails
            reason = f"{type(exc).__name__}"
        if reason is None:
            return PlainTextResponse("ready\n")
        return PlainTextResponse(f"not ready: {reason}\n", status_code=503)

    async def metrics_page(request: Request) -> Response:
        assert metrics is not None
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        message = "no such endpoint" if status == 404 else str(getattr(exc, "detail", "")).lower()
        headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else None
        return error(status, message or "cannot be served", headers)  # 405 keeps its Allow

    async def failed(request: Request, exc: Exception) -> Response:
        _LOGGER.error("a request failed: %s", type(exc).__name__, exc_info=exc)
        return error(500, "something went wrong on our side")

    health = [
        Route("/livez", livez, methods=["GET", "HEAD"]),
        Route("/readyz", readyz, methods=["GET", "HEAD"]),
    ]
    if metrics is not None:
        health.append(Route("/metrics", metrics_page, methods=["GET"]))
    return Starlette(
        routes=[*routes, *health],
        exception_handlers={HTTPException: not_found, Exception: failed},
    )


class HttpServer(uvicorn.Server):
    """uvicorn's server, leaving SIGINT/SIGTERM to the bot (which drains its turns first)."""

    def __init__(
        self,
        app: ASGIApp,
        host: str,
        port: int,
        *,
        shutdown_timeout: float,
        trusted_proxies: str | None = None,
    ) -> None:
        """``trusted_proxies``: the addresses whose X-Forwarded-For names the client; none
        by default (uvicorn would otherwise trust any local process to say who it is)."""
        super().__init__(
            uvicorn.Config(
                app,
                host=host,
                port=port,
                proxy_headers=trusted_proxies is not None,
                forwarded_allow_ips=trusted_proxies or "",
                lifespan="off",
                log_config=None,
                access_log=False,
                server_header=False,
                timeout_keep_alive=30,
                timeout_graceful_shutdown=max(1, round(shutdown_timeout)),
                h11_max_incomplete_event_size=16 * 1024,
            )
        )

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def run_until_stopped(self) -> None:
        """Serve until :meth:`stop`; ``OSError`` if the address cannot be used."""
        try:
            await self.serve()
        except SystemExit:  # uvicorn exits when it cannot bind
            raise OSError(
                f"cannot listen on {self.config.host}:{self.config.port} (in use, or not allowed)"
            ) from None

    def stop(self) -> None:
        self.should_exit = True
