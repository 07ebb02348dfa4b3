"""A store in the process's memory: for the console, tests and benchmarks; lost on exit."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

from bot.serve.stores.base import UPDATE_TTL, Commit, Saved, Verdict, bucket, to_json

__all__ = ["MemoryStore"]

#: Expired conversations and idle buckets are dropped once there are this many.
_PRUNE_AT = 10_000
#: Processed update ids are pruned once there are this many (and then twice as many as kept).
_PRUNE_UPDATES = 100_000


class MemoryStore:
    """The :class:`~bot.serve.stores.Store` contract in dicts (state kept as JSON text)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._chats: dict[str, tuple[str, int, float]] = {}
        self._updates: dict[str, float] = {}
        self._outboxes: dict[str, str] = {}
        self._prune_at = _PRUNE_UPDATES
        self._locks: dict[str, tuple[str, float]] = {}
        self._buckets: dict[str, tuple[float, float, bool]] = {}

    def _live(self, chat: str) -> tuple[str, int, float] | None:
        saved = self._chats.get(chat)
        if saved is not None and saved[2] <= self.clock():
            del self._chats[chat]
            return None
        return saved

    async def load(self, chat: str) -> Saved:
        saved = self._live(chat)
        if saved is None:
            return Saved(None, 0)
        return Saved(dict(json.loads(saved[0])), saved[1])

    async def commit(
        self,
        chat: str,
        state: Mapping[str, Any],
        *,
        version: int,
        update: str | None = None,
        ttl: float | None = None,
        outbox: str | None = None,
    ) -> Commit:
        if update is not None and await self.processed(update):
            return Commit.DUPLICATE
        saved = self._live(chat)
        if (0 if saved is None else saved[1]) != version:
            return Commit.CONFLICT
        expires = math.inf if ttl is None else self.clock() + ttl
        self._chats[chat] = (to_json(state), version + 1, expires)
        if len(self._chats) > _PRUNE_AT:
            now = self.clock()
            self._chats = {c: saved for c, saved in self._chats.items() if saved[2] > now}
        if update is not None:
            self._updates[update] = self.clock() + UPDATE_TTL
            if outbox is not None:
                self._outboxes[update] = outbox
            if len(self._updates) > self._prune_at:
                self._prune()
        return Commit.DONE

    async def pending(self, update: str) -> str | None:
        return self._outboxes.get(update) if await self.processed(update) else None

    async def delivered(self, update: str) -> None:
        self._outboxes.pop(update, None)

    async def processed(self, update: str) -> bool:
        expires = self._updates.get(update)
        return expires is not None and expires > self.clock()

    async def acquire(self, chat: str, token: str, ttl: float) -> bool:
        held = self._locks.get(chat)
        if held is not None and held[1] > self.clock() and held[0] != token:
            return False
        self._locks[chat] = (token, self.clock() + ttl)
        return True

    async def extend(self, chat: str, token: str, ttl: float) -> bool:
        held = self._locks.get(chat)
        if held is None or held[0] != token or held[1] <= self.clock():
            return False
        self._locks[chat] = (token, self.clock() + ttl)
        return True

    async def release(self, chat: str, token: str) -> None:
        held = self._locks.get(chat)
        if held is not None and held[0] == token:
            del self._locks[chat]

    async def allow(self, key: str, burst: int, rate: float) -> Verdict:
        now = self.clock()
        tokens, at, warned = self._buckets.get(key, (None, None, False))
        verdict, left, warned = bucket(tokens, at, warned, now, burst, rate)
        self._buckets[key] = (left, now, warned)
        if len(self._buckets) > _PRUNE_AT:  # an hour untouched: full again, forget it
            self._buckets = {k: b for k, b in self._buckets.items() if b[1] > now - 3600}
        return verdict

    async def move(self, chat: str, to: str) -> None:
        saved = self._live(chat)
        if saved is not None:
            del self._chats[chat]
            target = self._live(to)
            self._chats[to] = (saved[0], (0 if target is None else target[1]) + 1, saved[2])

    async def forget(self, chat: str) -> None:
        self._chats.pop(chat, None)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def _prune(self) -> None:
        now = self.clock()
        self._updates = {u: t for u, t in self._updates.items() if t > now}
        self._outboxes = {u: o for u, o in self._outboxes.items() if u in self._updates}
        # Prune again only once as many more have come: a busy store does not copy every time.
        self._prune_at = max(_PRUNE_UPDATES, 2 * len(self._updates))
