"""Several webhook workers on one Redis: every update answered once, in each chat's order.

Two real ``python -m bot telegram`` processes serve one webhook URL (two
ports here), sharing a real redis-server; the test plays Telegram's webhook
sender (one queue per chat, next update only after a 2xx, retries otherwise)
and the fake Bot API records the replies.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import redis
from fakeserver import FakeBotApi
from sender import WebhookSender
from servers import free_port, stop_pid, wait_for_port
from tgsupport import SECRET, TOKEN, shown

from bot import Engine, Session

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"


@pytest.fixture
def spawn(api: FakeBotApi, redis_url: str, tmp_path: Path) -> Iterator[object]:
    """Starts webhook workers on the shared Redis; each is stopped by its PID at teardown."""
    started: list[Worker] = []
    # Each test's fake server numbers its updates from 1: start from an empty Redis.
    with redis.Redis.from_url(redis_url) as client:
        client.flushdb()

    def start(port: int | None = None) -> Worker:
        port = port or free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
        env.update(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_BASE_URL=api.base_url,
            TELEGRAM_WEBHOOK_SECRET=SECRET,
            NO_PROXY="127.0.0.1,localhost",
            PTB_TIMEDELTA="1",
        )
        log = (tmp_path / f"worker-{port}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "telegram", "--store", redis_url,
             "--webhook-url", "https://bot.example.org/telegram", "--no-set-webhook",
             "--listen", "127.0.0.1", "--port", str(port), "--flood-burst", "1000",
             "--flood-rate", "1000", "--log-level", "WARNING"],
            cwd=ROOT, env=env, stdout=log, stderr=log,
        )  # fmt: skip
        log.close()
        worker = Worker(process, port)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.process.poll() is None:
            stop_pid(worker.process)


async def ready(*workers: Worker) -> None:
    async with aiohttp.ClientSession() as http:
        for worker in workers:
            await asyncio.to_thread(wait_for_port, worker.port, 60)
            for _ in range(600):
                async with http.get(f"http://127.0.0.1:{worker.port}/readyz") as response:
                    if response.status == 200:
                        break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError(f"worker on {worker.port} never became ready")


@pytest.fixture
async def sender_for() -> AsyncIterator[object]:
    senders: list[WebhookSender] = []

    async def make(*workers: Worker) -> WebhookSender:
        sender = await WebhookSender([w.url for w in workers], SECRET).__aenter__()
        senders.append(sender)
        return sender

    yield make
    for sender in senders:
        await sender.__aexit__()


async def test_two_workers_answer_each_chat_in_order_and_share_its_conversation(
    api: FakeBotApi,
    spawn,
    sender_for,
    engine: Engine,  # type: ignore[no-untyped-def]
) -> None:
    one, two = spawn(), spawn()
    await ready(one, two)
    sender: WebhookSender = await sender_for(one, two)
    script = [
        "/lang tr",
        "/help",
        "What was the trade volume in 2016?",
        "/source",
        "/lang en",
        "/help",
    ]
    chats = range(401, 409)
    for text in script:
        for chat in chats:
            sender.send(chat, api.update(api.message(chat, text)))
    await sender.drained()
    mirror = Session(engine, {"lang": "en"})
    expected = [shown(mirror.ask(text)) for text in script]
    for chat in chats:
        assert api.texts(chat) == expected, f"chat {chat}"
    served = {url for _, url, status in sender.attempts if status == 200}
    assert served == {one.url, two.url}, "both workers answered"


async def post_update(http: aiohttp.ClientSession, worker: Worker, update: object) -> int:
    """Post ``update`` to a worker's webhook as Telegram does; its HTTP status."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with http.post(worker.url, json=update, headers=headers) as response:
        return response.status


async def test_the_same_update_posted_to_both_workers_is_answered_once(
    api: FakeBotApi,
    spawn,
    engine: Engine,  # type: ignore[no-untyped-def]
) -> None:
    one, two = spawn(), spawn()
    await ready(one, two)
    async with aiohttp.ClientSession() as http:
        for round_ in range(5):
            chat = 420 + round_
            update = api.update(api.message(chat, "What was the trade volume in 2016?"))
            statuses = await asyncio.gather(
                post_update(http, one, update), post_update(http, two, update)
            )
            assert set(statuses) <= {200, 503}, statuses
            for worker, status in zip((one, two), statuses, strict=True):
                if status == 503:  # busy: Telegram sends it again
                    assert await post_update(http, worker, update) == 200
            assert len(api.sent(chat)) == 1, f"chat {chat} answered {len(api.sent(chat))} times"


async def test_a_copy_arriving_while_the_reply_is_sent_is_not_sent_again(
    api: FakeBotApi,
    spawn,
    engine: Engine,  # type: ignore[no-untyped-def]
) -> None:
    # Worker one has committed the turn and is still sending its reply (a slow network)
    # when Telegram's copy of the update reaches worker two: two must wait for one's
    # reply to be marked delivered, not send the pending reply itself.
    one, two = spawn(), spawn()
    await ready(one, two)
    chat = 470
    update = api.update(api.message(chat, "What was the trade volume in 2016?"))
    api.fail("sendMessage", "slow:1.0")
    async with aiohttp.ClientSession() as http:
        first = asyncio.create_task(post_update(http, one, update))
        while not any(c.method == "sendMessage" for c in api.calls):
            await asyncio.sleep(0.01)  # one's reply is on its way
        second = await post_update(http, two, update)
        assert await first == 200
        assert second in (200, 503)
    assert len(api.sent(chat)) == 1


async def test_a_worker_killed_mid_run_loses_nothing_and_answers_nothing_twice(
    api: FakeBotApi,
    spawn,
    sender_for,
    engine: Engine,  # type: ignore[no-untyped-def]
) -> None:
    one, two = spawn(), spawn()
    await ready(one, two)
    sender: WebhookSender = await sender_for(one, two)
    questions = ["hello", "What was the trade volume in 2016?", "/help", "ihracat ne kadar?"]
    chats = range(431, 441)
    for text in questions[:2]:
        for chat in chats:
            sender.send(chat, api.update(api.message(chat, text)))
    await sender.drained()
    one.process.send_signal(signal.SIGKILL)
    one.process.wait(10)
    for text in questions[2:]:
        for chat in chats:
            sender.send(chat, api.update(api.message(chat, text)))
    await sender.drained()
    mirror = Session(engine, {"lang": "en"})
    expected = [shown(mirror.ask(text)) for text in questions]
    for chat in chats:
        assert api.texts(chat) == expected, f"chat {chat}"
    refused = [status for _, url, status in sender.attempts if url == one.url and status != 200]
    assert refused, "the killed worker was tried, and its updates went to the other"
