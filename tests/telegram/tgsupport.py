"""Helpers shared by the Telegram tests (and the benchmark)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fakeserver import FakeBotApi

from bot import Answer
from bot.lang import Translator
from bot.serve import render
from bot.serve.telegram import Settings, stop_app
from bot.serve.telegram.app import App

__all__ = ["TOKEN", "Starter", "settings_for", "settle", "shown", "stop_bot"]


def shown(answer: Answer) -> str:
    """An answer as the bot sends it to a Telegram chat (its buttons aside)."""
    return render.for_chat(answer, _TRANSLATOR.gettext)


#: Starts a bot polling the fake server (the ``start_bot`` fixture).
Starter = Callable[..., Awaitable[App]]

TOKEN = "123456789:AAHfakeTOKENforTESTS_only-abcdefghij"


def settings_for(api: FakeBotApi, data_dir: Path, **changes: Any) -> Settings:
    """Settings for a bot polling the fake server, with short timeouts for tests."""
    base = Settings(
        token=TOKEN,
        base_url=api.base_url,
        data_dir=data_dir,
        poll_timeout=1.0,
        bootstrap_interval=0.1,
        retry_backoff=0.05,
    )
    return dataclasses.replace(base, **changes)


async def stop_bot(app: App) -> None:
    await stop_app(app)


async def settle(seconds: float = 0.3) -> None:
    """Give the bot a moment to (wrongly) send anything more."""
    await asyncio.sleep(seconds)


_TRANSLATOR = Translator.load()
