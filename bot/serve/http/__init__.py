"""The HTTP front end: ``python -m bot serve``, the API (``/v1``) and the web chat (``/``).

One ASGI app (:mod:`bot.serve.asgi`) carries the API, the page, health and
metrics, and with ``--telegram-webhook-url`` Telegram's webhook too; each
part can be switched off. State lives in the same store as Telegram's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.dialogue import Engine
from bot.serve import logs
from bot.serve.asgi import HttpServer, app_with_health
from bot.serve.conversations import Conversations
from bot.serve.http.api import ApiSettings, api_routes
from bot.serve.http.openapi import openapi
from bot.serve.metrics import Metrics
from bot.serve.reload import Reloader
from bot.serve.stores import DEFAULT_STORE, STORE_HELP, Store, StoreError, open_store

__all__ = ["ServerSettings", "build_app", "main", "web_routes"]

_LOGGER = logging.getLogger("bot.http")

#: The page's security headers: no inline script, no framing by other sites.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
}
_STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/chat.js": ("chat.js", "text/javascript; charset=utf-8"),
    "/chat.css": ("chat.css", "text/css; charset=utf-8"),
}


@dataclass(frozen=True, slots=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    store: str = DEFAULT_STORE
    intents: Path | None = None
    api: bool = True
    web: bool = True
    cors_origins: tuple[str, ...] = ()
    api_keys: frozenset[str] = frozenset()
    idle_seconds: float = 30 * 60.0
    limits: ApiSettings = field(default_factory=ApiSettings)
    #: Addresses of reverse proxies whose X-Forwarded-For is trusted (for per-client limits).
    trusted_proxies: str | None = None
    shutdown_timeout: float = 8.0
    log_level: str = "INFO"
    log_json: bool = True
    telegram_args: tuple[str, ...] = field(default=())


class SecurityHeaders:
    """Adds :data:`SECURITY_HEADERS` to every response (and the page's CSP to the page's files)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        page = scope["path"] in _STATIC

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = dict(SECURITY_HEADERS)
                if page:
                    extra["content-security-policy"] = PAGE_POLICY
                    extra["x-frame-options"] = "SAMEORIGIN"
                headers += [
                    (name.encode(), value.encode())
                    for name, value in extra.items()
                    if name.encode() not in present
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def web_routes() -> list[BaseRoute]:
    """The web chat: one HTML, one CSS and one JS file, shipped in the package."""
    files = resources.files("bot.serve.http") / "static"
    contents = {path: (files / name).read_bytes() for path, (name, _) in _STATIC.items()}

    def serve(path: str, media: str) -> Route:
        body = contents[path]

        async def page(request: Request) -> Response:
            return Response(body, media_type=media, headers={"cache-control": "no-cache"})

        return Route(path, page, methods=["GET", "HEAD"])

    return [serve(path, media) for path, (_, media) in _STATIC.items()]


def build_app(
    conversations: Conversations,
    metrics: Metrics,
    settings: ServerSettings = ServerSettings(),
    *,
    extra_routes: Sequence[BaseRoute] = (),
    ready: object = None,
) -> ASGIApp:
    """The ASGI app: the API, the page, /openapi.json, health and metrics, and ``extra_routes``."""
    routes: list[BaseRoute] = list(extra_routes)
    if settings.api:
        api = replace(
            settings.limits, idle_seconds=settings.idle_seconds, api_keys=settings.api_keys
        )
        routes += api_routes(conversations, metrics, api)
        document = openapi(conversations.engine.codes)

        async def spec(request: Request) -> Response:
            return JSONResponse(document)

        routes.append(Route("/openapi.json", spec, methods=["GET"]))
    if settings.web and settings.api and not settings.api_keys:
        routes += web_routes()

    async def readiness() -> str | None:
        try:
            await asyncio.wait_for(conversations.store.ping(), 2.0)
        except (StoreError, TimeoutError) as exc:
            return f"the store is not reachable ({type(exc).__name__})"
        return None

    app = app_with_health(routes, readiness if ready is None else ready, metrics)  # type: ignore[arg-type]
    app.user_middleware = [
        Middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Authorization", "X-API-Key", "X-KZBot-Client"],
            max_age=600,
        ),
        *app.user_middleware,
    ]
    return SecurityHeaders(app)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot serve",
        description="Serve the HTTP API (/v1) and the web chat (/), with health and metrics.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    parser.add_argument(
        "--store",
        metavar="URL",
        help=f"state store (env KZBOT_STORE; default {DEFAULT_STORE}): {STORE_HELP}",
    )
    parser.add_argument(
        "--intents", metavar="DIR", help="knowledge-base directory (default: bundled)"
    )
    parser.add_argument("--no-api", action="store_true", help="do not serve /v1 (nor the page)")
    parser.add_argument("--no-web", action="store_true", help="do not serve the web chat page")
    parser.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a site (https://example.org) whose pages may call the API; repeat for more",
    )
    parser.add_argument(
        "--api-key-file",
        metavar="PATH",
        help="require one of the keys in this file (one per line) on every /v1 request "
        "(the public web chat is then not served)",
    )
    parser.add_argument(
        "--idle-minutes", type=float, default=30.0, help="forget a conversation idle this long"
    )
    for name, default, text in (
        ("--ip-burst", 60, "requests a client address may send at once"),
        ("--ip-rate", 10.0, "sustained requests per second per client address"),
        ("--conversation-burst", 10, "messages a conversation may send at once"),
        ("--conversation-rate", 1.0, "sustained messages per second per conversation"),
    ):
        parser.add_argument(name, type=type(default), default=default, help=f"{text} ({default})")
    parser.add_argument(
        "--trust-proxy",
        metavar="ADDRESSES",
        help="reverse proxies (comma-separated) whose X-Forwarded-For names the client",
    )
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    parser.add_argument("--log-format", default="json", choices=["json", "text"])
    parser.add_argument(
        "--telegram-webhook-url",
        metavar="URL",
        help="also serve Telegram's webhook (token and secret from the environment)",
    )
    return parser


class UsageError(ValueError):
    pass


def parse(argv: Sequence[str], environ: os._Environ[str] | dict[str, str]) -> ServerSettings:
    args = _parser().parse_args(list(argv))
    if not 0 < args.port < 65536:
        raise UsageError("--port must be between 1 and 65535")
    if not (math.isfinite(args.idle_minutes) and 0 < args.idle_minutes <= 60 * 24 * 30):
        raise UsageError("--idle-minutes must be above 0 and at most 30 days")
    for origin in args.cors_origin:
        if not origin.startswith(("https://", "http://")) or origin.count("/") != 2:
            raise UsageError(
                f"--cors-origin takes an origin like https://example.org, not {origin!r}"
            )
    for name in ("ip_burst", "ip_rate", "conversation_burst", "conversation_rate"):
        value = getattr(args, name)
        if not (math.isfinite(value) and 0 < value <= 1_000_000):
            raise UsageError(f"--{name.replace('_', '-')} must be above 0")
    limits = ApiSettings(
        ip_burst=args.ip_burst,
        ip_rate=args.ip_rate,
        conversation_burst=args.conversation_burst,
        conversation_rate=args.conversation_rate,
    )
    keys: frozenset[str] = frozenset()
    if args.api_key_file:
        try:
            lines = Path(args.api_key_file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(
                f"cannot read --api-key-file {args.api_key_file} ({type(exc).__name__})"
            ) from None
        keys = frozenset(
            line.strip() for line in lines if line.strip() and not line.startswith("#")
        )
        if not keys or any(len(key) < 16 for key in keys):
            raise UsageError(
                "--api-key-file must hold keys of at least 16 characters, one per line"
            )
    telegram: tuple[str, ...] = ()
    if args.telegram_webhook_url:
        telegram = ("--webhook-url", args.telegram_webhook_url)
    return ServerSettings(
        host=args.host,
        port=args.port,
        store=args.store or environ.get("KZBOT_STORE") or DEFAULT_STORE,
        intents=Path(args.intents) if args.intents else None,
        api=not args.no_api,
        web=not args.no_web,
        cors_origins=tuple(args.cors_origin),
        api_keys=keys,
        idle_seconds=args.idle_minutes * 60,
        limits=limits,
        trusted_proxies=args.trust_proxy,
        log_level=args.log_level,
        log_json=args.log_format == "json",
        telegram_args=telegram,
    )


def main(argv: Sequence[str], intents: Path | None = None) -> int:
    """Serve until SIGINT/SIGTERM; errors are one line on stderr."""
    try:
        settings = parse(argv, os.environ)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    logs.setup(settings.log_level, json_lines=settings.log_json)
    try:
        return asyncio.run(_serve(settings, settings.intents or intents))
    except KeyboardInterrupt:
        return 130


async def _serve(settings: ServerSettings, intents: Path | None) -> int:
    namespace = "http"
    if settings.telegram_args:  # the bot's own namespace: `telegram` and `serve` share its chats
        from bot.serve.telegram import bot_namespace

        namespace = bot_namespace(os.environ.get("TELEGRAM_BOT_TOKEN", "").strip())
    try:
        store: Store = open_store(settings.store, namespace=namespace)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        engine = Engine.load(intents)
        reloader = Reloader(engine.catalog.directory, engine)
        reloader.install_sighup()
        metrics = Metrics("http")
        conversations = Conversations(reloader, store, observer=metrics)
        if settings.telegram_args:
            return await _serve_with_telegram(settings, engine, reloader, store, conversations)
        if settings.web and settings.api_keys:
            _LOGGER.info("API keys are set: the public web chat is not served")
        app = build_app(conversations, metrics, settings)
        server = HttpServer(
            app,
            settings.host,
            settings.port,
            shutdown_timeout=settings.shutdown_timeout,
            trusted_proxies=settings.trusted_proxies,
        )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, server.stop)
        _LOGGER.info("serving on http://%s:%d", settings.host, settings.port)
        try:
            await server.run_until_stopped()
        except OSError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        _LOGGER.info("stopped")
        return 0
    finally:
        await store.close()


async def _serve_with_telegram(
    settings: ServerSettings,
    engine: Engine,
    reloader: Reloader,
    store: Store,
    conversations: Conversations,
) -> int:
    """One server for Telegram's webhook, the API and the page (the bot's own HttpServer)."""
    from bot.serve.telegram import Bot, SettingsError, parse_settings

    try:
        telegram = parse_settings(
            [*settings.telegram_args, "--listen", settings.host, "--port", str(settings.port)],
            os.environ,
        )
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    observer = conversations.observer
    metrics = observer if isinstance(observer, Metrics) else Metrics("http")
    bot = Bot(
        telegram,
        engine,
        store,
        reloader=reloader,
        metrics=metrics,  # one registry: /metrics counts every channel
        trusted_proxies=settings.trusted_proxies,
        web=lambda routes: build_app(
            conversations, metrics, settings, extra_routes=routes, ready=bot.readiness
        ),
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, bot.stop)
    try:
        await bot.run()
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
