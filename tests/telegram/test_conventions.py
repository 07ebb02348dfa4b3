"""Telegram's conventions: migrated groups, blocked users, membership, deep links, forum topics,
a store that fails, and a stop at any moment."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from fakeserver import BOT_ID, BOT_USERNAME, FakeBotApi
from servers import free_port
from tgsupport import TOKEN, Starter, settle, shown

from bot import Engine, Session
from bot.dialogue.session import HELP

ROOT = Path(__file__).resolve().parents[2]
TRADE_EN = "What was the trade volume in 2016?"


async def test_a_group_that_became_a_supergroup_keeps_its_conversation(
    api: FakeBotApi, start_bot: Starter, engine: Engine
) -> None:
    await start_bot()
    api.message(-5, f"/lang@{BOT_USERNAME} tr", chat_type="group", user_id=7)
    await api.wait_sent(-5, 1)
    api.fail("sendMessage", "migrate:-1005")
    api.message(-5, f"@{BOT_USERNAME} {TRADE_EN}", chat_type="group", user_id=7)
    (moved,) = await api.wait_sent(-1005, 1)
    assert moved == shown(Session(engine, {"lang": "en"}).ask(TRADE_EN))
    # The state went with the chat: /source there shows where the last answer came from.
    api.message(-1005, f"/source@{BOT_USERNAME}", chat_type="supergroup", user_id=7)
    texts = await api.wait_sent(-1005, 2)
    mirror = Session(engine, {"lang": "en"})
    mirror.ask("/lang tr")
    mirror.ask(TRADE_EN)
    assert texts[1] == shown(mirror.ask("/source"))
    assert texts[1] != shown(Session(engine, {"lang": "en"}).ask("/source"))


async def test_a_user_who_blocked_the_bot_is_forgotten_quietly(
    api: FakeBotApi, start_bot: Starter, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    await start_bot()
    api.message(301, "/lang tr")
    await api.wait_sent(301, 1)
    api.fail("sendMessage", "403")
    with caplog.at_level(logging.INFO):
        api.message(301, "/help")
        await api.wait_for(lambda: "forgetting chat 301" in caplog.text)
    await settle()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    attempts = [c for c in api.calls if c.method == "sendMessage" and c.params["chat_id"] == 301]
    assert [c.status for c in attempts] == [200, 403]  # not retried
    api.message(301, "/help", language_code="en")  # unblocked: a fresh start, in English
    texts = await api.wait_sent(301, 2)
    assert texts[1] == engine.gettext(HELP, "en")


def _membership(chat_id: int, status: str) -> dict[str, Any]:
    user = {"id": chat_id, "is_bot": False, "first_name": "U"}
    me = {"id": BOT_ID, "is_bot": True, "first_name": "KZ Bot", "username": BOT_USERNAME}
    return {
        "my_chat_member": {
            "chat": {"id": chat_id, "type": "private", "first_name": "U"},
            "from": user,
            "date": int(time.time()),
            "old_chat_member": {"status": "member", "user": me},
            "new_chat_member": {"status": status, "user": me, "until_date": 0}
            if status == "kicked"
            else {"status": status, "user": me},
        }
    }


async def test_membership_updates_forget_a_chat_that_is_gone(
    api: FakeBotApi, start_bot: Starter, engine: Engine
) -> None:
    running = await start_bot()
    api.message(311, "/lang tr")
    await api.wait_sent(311, 1)
    api.push(_membership(311, "kicked"))
    await api.wait_for(
        lambda: running.bot.metrics.updates.labels("telegram", "membership")._value.get() == 1
    )
    assert (await running.store.load("telegram:311")).state is None
    api.message(311, "/help", language_code="en")
    assert (await api.wait_sent(311, 2))[1] == engine.gettext(HELP, "en")


@pytest.mark.parametrize("link", ["trade-volume", "economy", "no-such-thing"])
async def test_start_deep_links_open_a_question_or_a_topic(
    api: FakeBotApi, start_bot: Starter, engine: Engine, link: str
) -> None:
    await start_bot()
    api.message(321, f"/start {link}")
    (text,) = await api.wait_sent(321, 1)
    expected = Session(engine, {"lang": "en"}).open(link)
    assert text == shown(expected)
    if link == "trade-volume":
        assert expected.intent == "trade.volume"
    elif link == "economy":
        assert [g.title for g in expected.topics] == ["Trade and investment"]


async def test_replies_in_a_forum_topic_stay_in_the_topic(
    api: FakeBotApi, start_bot: Starter
) -> None:
    await start_bot()
    topic = {"is_topic_message": True, "message_thread_id": 77}
    api.message(
        -1009, f"@{BOT_USERNAME} {TRADE_EN}", chat_type="supergroup", user_id=9, extra=topic
    )
    await api.wait_sent(-1009, 1)
    api.message(-1009, f"@{BOT_USERNAME} {TRADE_EN}", chat_type="supergroup", user_id=9)
    await api.wait_sent(-1009, 2)
    threads = [c.params.get("message_thread_id") for c in api.sent(-1009)]
    assert threads == [77, None]


async def test_a_store_that_fails_never_stops_answers(
    api: FakeBotApi, start_bot: Starter, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    running = await start_bot(store=f"redis://127.0.0.1:{free_port()}/0")  # nothing listens
    api.message(331, TRADE_EN)
    assert await api.wait_sent(331, 1) == [shown(Session(engine, {"lang": "en"}).ask(TRADE_EN))]
    errors = running.bot.metrics.store_errors
    assert errors.labels("load")._value.get() == 1
    assert errors.labels("allow")._value.get() == 1
    assert "the store failed" in caplog.text


async def test_sigterm_during_start_up_retries_stops_at_once(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=f"http://127.0.0.1:{free_port()}/bot")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "telegram", "--bootstrap-retries", "-1",
        "--store", f"sqlite:///{tmp_path / 'state.db'}",
        env=env, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    while b"retrying" not in await asyncio.wait_for(process.stderr.readline(), 30):
        pass
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(process.communicate(), 15)
    assert process.returncode == 0, stderr.decode()
    assert time.monotonic() - started < 10


async def test_a_stop_during_a_long_batch_is_quick_and_loses_nothing(
    api: FakeBotApi, start_bot: Starter
) -> None:
    """Telegram's 20 messages a minute per group make a batch of 30 last 90 s: a stop must
    not wait for it, and must not confirm what was not answered."""
    running = await start_bot(shutdown_timeout=1.0)
    for n in range(30):
        api.message(-77, f"@{BOT_USERNAME} hello {n}", chat_type="group", user_id=n + 1)
    await api.wait_sent(-77, 2)
    started = time.monotonic()
    await running.stop()
    assert time.monotonic() - started < 5
    answered = len(api.sent(-77))
    assert answered < 30
    # Restarted without Telegram's group limit, the bot answers the rest, each once.
    await start_bot(rate_limit=False)
    await api.wait_sent(-77, 30, timeout=20)
    await settle(0.5)
    assert len(api.sent(-77)) == 30


async def test_a_reply_committed_by_a_worker_that_died_is_sent_by_the_next(
    api: FakeBotApi, start_bot: Starter, engine: Engine, tmp_path: Path
) -> None:
    """A worker committed a turn and died before sending its reply: whoever gets the update
    again sends that reply (not a new answer, not nothing), once."""
    import json

    from bot.serve.stores import SQLiteStore

    update_id = api.message(341, TRADE_EN)
    left = {"chat": 341, "text": "the reply the dead worker never sent", "markup": None,
            "reply_to": None, "thread": None}  # fmt: skip
    store = SQLiteStore(tmp_path / "data" / "state.db")
    await store.commit(
        "telegram:341", {"lang": "en"}, version=0, update=f"telegram:{update_id}",
        outbox=json.dumps(left),
    )  # fmt: skip
    await store.close()
    running = await start_bot()
    assert await api.wait_sent(341, 1) == ["the reply the dead worker never sent"]
    # Marked delivered once the send has returned (a moment after the server saw it).
    for _ in range(200):
        if await running.store.pending(f"telegram:{update_id}") is None:
            break
        await asyncio.sleep(0.01)
    assert await running.store.pending(f"telegram:{update_id}") is None
    api.push(api.update(update_id))  # and sent again: answered already, nothing more
    api.message(341, "hello")
    await api.wait_sent(341, 2)
    await settle()
    assert len(api.sent(341)) == 2


async def test_polling_serves_health_and_metrics_on_its_own_port(
    api: FakeBotApi, start_bot: Starter
) -> None:
    import aiohttp

    port = free_port()
    await start_bot(metrics_port=port)
    api.message(351, TRADE_EN)
    await api.wait_sent(351, 1)
    async with aiohttp.ClientSession() as http:
        for path, status in (("/livez", 200), ("/readyz", 200), ("/telegram", 404)):
            async with http.get(f"http://127.0.0.1:{port}{path}") as response:
                assert response.status == status, path
        async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
            metrics = await response.text()
    assert 'kzbot_updates_total{channel="telegram",outcome="answered"} 1.0' in metrics
    assert "kzbot_turn_seconds_bucket" in metrics
    assert re.search(r'kzbot_knowledge_base_info\{version="[0-9a-f]{12}"\} 1.0', metrics)
