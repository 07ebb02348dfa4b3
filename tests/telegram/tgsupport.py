"""Helpers shared by the Telegram tests (and the benchmark)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fakeserver import FakeBotApi

from bot import Answer, Engine
from bot.lang import Translator
from bot.serve import render
from bot.serve.reload import Reloader
from bot.serve.stores import Store, open_store
from bot.serve.telegram import Bot, Settings

__all__ = [
    "SECRET",
    "TOKEN",
    "Running",
    "Starter",
    "settings_for",
    "settle",
    "shown",
    "start_running",
]


def shown(answer: Answer) -> str:
    """An answer as the bot sends it to a Telegram chat (its buttons aside)."""
    return render.for_chat(answer, _TRANSLATOR.gettext)


TOKEN = "123456789:AAHfakeTOKENforTESTS_only-abcdefghij"
SECRET = "s3cret-Token_for-the-webhook"


@dataclasses.dataclass
class Running:
    """A bot running in this process's event loop."""

    bot: Bot
    task: asyncio.Task[None]
    store: Store

    async def stop(self) -> None:
        self.bot.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self.task, 15)
        await self.store.close()


#: Starts a bot on the fake server (the ``start_bot`` fixture).
Starter = Callable[..., Awaitable[Running]]


def settings_for(api: FakeBotApi, data_dir: Path, **changes: Any) -> Settings:
    """Settings for a bot on the fake server, with short timeouts for tests."""
    base = Settings(
        token=TOKEN,
        base_url=api.base_url,
        store=f"sqlite:///{data_dir / 'state.db'}",
        poll_timeout=1.0,
        bootstrap_interval=0.1,
        retry_backoff=0.05,
        log_json=False,
    )
    return dataclasses.replace(base, **changes)


async def start_running(
    settings: Settings, engine: Engine, reloader: Reloader | None = None
) -> Running:
    """Start a bot and wait until it is ready (or failed)."""
    store = open_store(settings.store)
    bot = Bot(settings, engine, store, reloader=reloader)
    task = asyncio.ensure_future(bot.run())
    while not bot.ready:
        if task.done():
            await store.close()
            task.result()
            raise AssertionError("the bot stopped during start-up")
        await asyncio.sleep(0.01)
    return Running(bot, task, store)


async def settle(seconds: float = 0.3) -> None:
    """Give the bot a moment to (wrongly) send anything more."""
    await asyncio.sleep(seconds)


_TRANSLATOR = Translator.load()
