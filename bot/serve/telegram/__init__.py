"""The Telegram front end: ``python -m bot telegram``.

This is the only part of :mod:`bot` that imports python-telegram-bot.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.dialogue import Engine
from bot.serve.misses import MISSES_ENV, MissLog
from bot.serve.reload import Reloader
from bot.serve.stores import JsonFileStore, MemoryStore, StateStore
from bot.serve.telegram.app import Adapter, App, build_application, serve, start_app, stop_app
from bot.serve.telegram.guard import install_redaction, redact
from bot.serve.telegram.settings import TOKEN_ENV, Settings, SettingsError, parse_settings

__all__ = [
    "Adapter",
    "App",
    "JsonFileStore",
    "MemoryStore",
    "Settings",
    "SettingsError",
    "StateStore",
    "build_application",
    "main",
    "parse_settings",
    "serve",
    "start_app",
    "stop_app",
]


def main(argv: Sequence[str], intents: Path | None = None) -> int:
    """Run the bot until SIGINT/SIGTERM; errors are one line on stderr, never a traceback.

    ``intents`` is the knowledge-base directory (default: the bundled one).
    """
    from telegram.error import InvalidToken, TelegramError

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
    logging.basicConfig(  # force: the command line may already have set up warnings-only logging
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    try:
        store = JsonFileStore(settings.data_dir)
    except OSError as exc:
        print(
            f"error: cannot use the data directory {settings.data_dir}: {exc.strerror}",
            file=sys.stderr,
        )
        return 2
    engine = Engine.load(intents)
    reloader = Reloader(engine.catalog.directory, engine)  # picks up edited intents/ files
    reloader.install_sighup()
    misses_log = os.environ.get(MISSES_ENV)  # no user ids are written, only questions
    app = build_application(
        settings, engine, store, MissLog(Path(misses_log)) if misses_log else None, reloader
    )
    try:
        asyncio.run(serve(app, settings))
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
    except KeyboardInterrupt:
        return 130
    return 0
