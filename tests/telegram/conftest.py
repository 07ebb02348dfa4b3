"""Fixtures: the fake Bot API server and bots (the real python-telegram-bot stack) polling it."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("telegram")
pytest.importorskip("aiohttp")

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fakeserver import FakeBotApi
from tgsupport import TOKEN, Running, Starter, settings_for, start_running

from bot import Engine


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.telegram)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv(
        "PTB_TIMEDELTA", "1"
    )  # opt in to timedelta retry_after (no deprecation warning)


@pytest.fixture(scope="session")
def engine() -> Engine:
    """The real bundled engine (shadows tests/conftest.py's, which is the same)."""
    return Engine.load()


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi(TOKEN, max_poll=0.5)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def start_bot(api: FakeBotApi, engine: Engine, tmp_path: Path) -> AsyncIterator[Starter]:
    """Start a bot (polling ``api`` unless given a webhook); every bot is stopped at teardown."""
    running: list[Running] = []

    async def start(**changes: Any) -> Running:
        bot = await start_running(settings_for(api, tmp_path / "data", **changes), engine)
        running.append(bot)
        return bot

    yield start
    for bot in running:
        if not bot.task.done():
            await bot.stop()
