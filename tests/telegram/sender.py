"""Telegram's webhook sender, as tdlib's ``WebhookActor`` behaves, for tests and the soak.

One queue per chat: a chat's next update is POSTed only after a 2xx for the
one before; anything else (an error status, a refused or dropped connection)
is sent again after a back-off, to whichever worker is next. Updates of
different chats go out side by side.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

__all__ = ["WebhookSender"]

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass
class WebhookSender:
    """POSTs updates to one or more webhook workers (``urls``), round robin."""

    urls: Sequence[str]
    secret: str
    backoff: float = 0.1
    timeout: float = 30.0
    #: Every attempt: (update_id, url, status; 0 for a connection that failed).
    attempts: list[tuple[int, str, int]] = field(default_factory=list)
    _queues: dict[int, asyncio.Queue[dict[str, Any]]] = field(default_factory=dict)
    _workers: list[asyncio.Task[None]] = field(default_factory=list)
    _next: itertools.cycle[int] = field(init=False)
    _http: aiohttp.ClientSession | None = None

    def __post_init__(self) -> None:
        self._next = itertools.cycle(range(len(self.urls)))

    async def __aenter__(self) -> WebhookSender:
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self

    async def __aexit__(self, *exc: object) -> None:
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        assert self._http is not None
        await self._http.close()

    def send(self, chat_id: int, update: dict[str, Any]) -> None:
        """Queue ``update`` behind the chat's earlier ones."""
        queue = self._queues.get(chat_id)
        if queue is None:
            queue = self._queues[chat_id] = asyncio.Queue()
            self._workers.append(asyncio.ensure_future(self._drain(queue)))
        queue.put_nowait(update)

    async def drained(self) -> None:
        """Wait until every queued update got its 2xx."""
        await asyncio.gather(*(queue.join() for queue in self._queues.values()))

    async def _drain(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        while True:
            update = await queue.get()
            delay = self.backoff
            while not await self._post(update):
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
            queue.task_done()

    async def _post(self, update: dict[str, Any]) -> bool:
        assert self._http is not None
        url = self.urls[next(self._next)]
        try:
            async with self._http.post(
                url, json=update, headers={SECRET_HEADER: self.secret}
            ) as response:
                status = response.status
        except (aiohttp.ClientError, TimeoutError):
            status = 0
        self.attempts.append((int(update["update_id"]), url, status))
        return 200 <= status < 300
