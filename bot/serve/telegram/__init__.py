"""The Telegram front end: ``python -m bot telegram``.

This is the only part of :mod:`bot` that imports python-telegram-bot.
Updates come by webhook (:mod:`.webhook`, on the ASGI app of
:mod:`bot.serve.asgi`, for one or several instances) or by long polling
(:mod:`.polling`, one instance); either way :class:`Adapter` handles them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from bot.dialogue import Engine
from bot.serve import logs
from bot.serve.asgi import HttpServer, app_with_health
from bot.serve.metrics import Metrics
from bot.serve.misses import MISSES_ENV, MissLog
from bot.serve.reload import Reloader
from bot.serve.stores import SQLiteStore, Store, StoreError, open_store
from bot.serve.telegram.app import (
    Adapter,
    App,
    Outcome,
    build_application,
    register_webhook,
    start_app,
    stop_app,
)
from bot.serve.telegram.guard import install_redaction, redact
from bot.serve.telegram.polling import poll
from bot.serve.telegram.settings import TOKEN_ENV, Settings, SettingsError, parse_settings
from bot.serve.telegram.webhook import webhook_route

__all__ = [
    "Adapter",
    "App",
    "Bot",
    "Outcome",
    "Settings",
    "SettingsError",
    "bot_namespace",
    "build_application",
    "main",
    "parse_settings",
    "start_app",
    "stop_app",
]

_LOGGER = logging.getLogger("bot.telegram")


class Bot:
    """One running bot: its application, store and servers; :meth:`run` until :meth:`stop`."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        store: Store,
        *,
        reloader: Reloader | None = None,
        misses: MissLog | None = None,
        web: Callable[[list[BaseRoute]], ASGIApp] | None = None,
        metrics: Metrics | None = None,
        trusted_proxies: str | None = None,
    ) -> None:
        """``web`` builds the HTTP app around the webhook's routes (``python -m bot serve``
        adds the API and the page); by default, the routes with health and metrics."""
        self.settings = settings
        self._web = web
        self._trusted_proxies = trusted_proxies
        self.store = store
        self.metrics = metrics if metrics is not None else Metrics("telegram")
        self.app = build_application(settings, engine, store, misses, reloader, self.metrics)
        self.adapter: Adapter = self.app.bot_data["adapter"]
        self.stopping = asyncio.Event()
        self.server: HttpServer | None = None
        self.ready = False

    def stop(self) -> None:
        """Stop taking updates; in-flight turns finish (up to ``shutdown_timeout``)."""
        self.stopping.set()
        if self.server is not None:
            self.server.stop()

    async def readiness(self) -> str | None:
        if not self.ready or not self.app.running:
            return "starting" if not self.stopping.is_set() else "stopping"
        try:
            await asyncio.wait_for(self.store.ping(), 2.0)
        except (StoreError, TimeoutError) as exc:
            return f"the store is not reachable ({type(exc).__name__})"
        return None

    async def run(self) -> None:
        """Start (interruptible by :meth:`stop`), serve, and shut down cleanly."""
        settings = self.settings
        routes: list[BaseRoute] = []
        if settings.webhook:
            assert settings.secret_token is not None
            routes.append(
                webhook_route(settings.url_path, self.app, self.adapter, settings.secret_token)
            )
        port = settings.port if settings.webhook else settings.metrics_port
        if port is not None:
            web = (
                self._web(routes)
                if self._web is not None
                else app_with_health(routes, self.readiness, self.metrics)
            )
            self.server = HttpServer(
                web,
                settings.listen,
                port,
                shutdown_timeout=settings.shutdown_timeout,
                trusted_proxies=self._trusted_proxies,
            )
        serving = asyncio.ensure_future(self.server.run_until_stopped()) if self.server else None
        try:
            while serving is not None and not self.server.started:  # type: ignore[union-attr]
                if serving.done():
                    serving.result()  # the address is in use: OSError
                    return
                await asyncio.sleep(0.01)
            if not await self._start():
                return
            self.ready = True
            _LOGGER.info(
                "@%s is running (%s)",
                self.app.bot.username,
                f"webhook on {settings.listen}:{settings.port}" if settings.webhook else "polling",
            )
            if settings.webhook:
                await self.stopping.wait()
            else:
                await poll(self.app, self.adapter, settings, self.stopping)
        finally:
            self.ready = False
            if self.server is not None:
                self.server.stop()
            if serving is not None:
                await serving  # waits for in-flight webhook turns
            await stop_app(self.app)

    async def _start(self) -> bool:
        starting = asyncio.ensure_future(start_app(self.app, self.settings))
        stopping = asyncio.ensure_future(self.stopping.wait())
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not starting.done():  # SIGTERM during start-up retries
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await starting
            return False
        starting.result()
        return True


def bot_namespace(token: str) -> str:
    """The store namespace of a bot: its id (the token's public part), so several bots can
    share one Redis and every process of one bot, whatever command runs it, finds its chats."""
    return token.split(":", 1)[0]


def main(argv: Sequence[str], intents: Path | None = None) -> int:
    """Run the bot until SIGINT/SIGTERM; errors are one line on stderr, never a traceback.

    ``intents`` is the knowledge-base directory (default: the bundled one;
    ``--intents`` after ``telegram`` wins).
    """
    arguments = list(argv)
    if arguments[:1] == ["--"]:  # `python -m bot telegram -- --webhook-url ...`
        arguments = arguments[1:]
    try:
        settings = parse_settings(arguments, os.environ)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    install_redaction(settings.token, settings.secret_token)
    # Opt in to python-telegram-bot's future timedelta ``retry_after`` (no deprecation warnings).
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    logs.setup(settings.log_level, json_lines=settings.log_json)
    try:
        return asyncio.run(_main(settings, settings.intents or intents))
    except KeyboardInterrupt:
        return 130


async def _main(settings: Settings, intents: Path | None) -> int:
    from telegram.error import InvalidToken, TelegramError

    try:
        if settings.command == "set-webhook":
            app = build_application(settings, Engine.load(intents), open_store("memory:"))
            await app.initialize()
            try:
                await register_webhook(app, settings)
            finally:
                await app.shutdown()
            print("the webhook is registered", file=sys.stderr)
            return 0
        try:
            store = open_store(settings.store, namespace=bot_namespace(settings.token))
        except StoreError as exc:
            print(f"error: {redact(str(exc))}", file=sys.stderr)
            return 2
        try:
            return await _run(settings, intents, store)
        finally:
            await store.close()
    except InvalidToken:
        print(
            f"error: Telegram rejected the token in {TOKEN_ENV} (check it with @BotFather)",
            file=sys.stderr,
        )
        return 1
    except TelegramError as exc:
        print(f"error: the Bot API is not reachable: {redact(str(exc))}", file=sys.stderr)
        return 1
    except OSError as exc:  # e.g. the webhook port is taken
        print(f"error: {redact(str(exc))}", file=sys.stderr)
        return 1


async def _run(settings: Settings, intents: Path | None, store: Store) -> int:
    legacy = settings.chat_store_dir
    if isinstance(store, SQLiteStore) and legacy is not None and (legacy / "chats").is_dir():
        imported = await store.import_json(legacy / "chats")
        if imported:
            _LOGGER.info("imported %d chats from %s", imported, legacy / "chats")
    engine = Engine.load(intents)
    reloader = Reloader(engine.catalog.directory, engine)  # picks up edited intents/ files
    reloader.install_sighup()
    misses_log = os.environ.get(MISSES_ENV)  # no user ids are written, only questions
    bot = Bot(
        settings,
        engine,
        store,
        reloader=reloader,
        misses=MissLog(Path(misses_log)) if misses_log else None,
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on every platform
            loop.add_signal_handler(sig, bot.stop)
    await bot.run()
    _LOGGER.info("stopped")
    return 0
