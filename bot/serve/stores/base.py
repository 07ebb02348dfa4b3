"""The store interface: what every front end's conversations need from shared state.

A store keeps, per chat, its session state and a version; per update, whether
it was processed; per chat, a lock with an expiry; per user, a flood-control
bucket. Every operation is a coroutine, and each one that writes is atomic, so
one store can be shared by several processes (SQLite on one host, Redis
across hosts).

The contract, which ``tests/test_stores.py`` runs against every implementation:

- :meth:`Store.commit` writes a turn -- the new state and the update's id --
  in one step, and only once per update: a second commit of the same update
  is a :attr:`Commit.DUPLICATE` and writes nothing; a commit on a version
  other than the one loaded is a :attr:`Commit.CONFLICT` and writes nothing.
- A commit may carry the turn's reply (its *outbox*): it stays
  :meth:`Store.pending` until :meth:`Store.delivered` says it was sent, so
  a process that dies between the commit and the send leaves the reply for
  whoever gets the update again.
- A lock is held by one token at a time, until released or expired;
  only its holder can extend or release it.
- :meth:`Store.allow` is a token bucket: ``burst`` at once, then ``rate``
  per second; the first refusal after a success says ``warn``, later ones
  ``drop``, so a user is told once that they are too fast.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import logging
import math
import secrets
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

__all__ = [
    "UPDATE_TTL",
    "ChatBusy",
    "Commit",
    "Saved",
    "Store",
    "StoreError",
    "Verdict",
    "bucket",
    "holding",
    "to_json",
]

_LOGGER = logging.getLogger(__name__)

#: How long a processed update's id is remembered (Telegram gives up on an update after 24 h).
UPDATE_TTL = 48 * 3600.0
#: A chat's state bigger than this is not a chat's state.
MAX_STATE_BYTES = 64 * 1024

Verdict = Literal["ok", "warn", "drop"]


class StoreError(Exception):
    """The store cannot be reached or refused an operation; the message names no secret."""


class ChatBusy(Exception):
    """Another worker holds the chat's lock (it is answering an earlier message)."""


class Commit(enum.Enum):
    """What :meth:`Store.commit` did."""

    DONE = "done"
    #: The update was committed before (by this worker or another): nothing written.
    DUPLICATE = "duplicate"
    #: The chat changed since it was loaded (a lock that expired): nothing written.
    CONFLICT = "conflict"


@dataclass(frozen=True, slots=True)
class Saved:
    """A chat's state as loaded, and its version (0 for a chat never saved)."""

    state: dict[str, Any] | None
    version: int = 0


class Store(Protocol):
    """Where conversations keep what must outlive a process and be shared between processes."""

    async def load(self, chat: str) -> Saved:
        """The chat's state and version (``Saved(None, 0)`` for a new chat)."""
        ...

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
        """Write ``state`` as the chat's version ``version + 1`` and mark ``update`` processed.

        With ``ttl``, the chat is forgotten after ``ttl`` seconds without a commit
        (an HTTP conversation); without, it is kept. ``outbox`` is the reply to
        ``update``, kept until :meth:`delivered`.
        """
        ...

    async def pending(self, update: str) -> str | None:
        """The outbox of a committed ``update`` whose reply is not known to be sent."""
        ...

    async def delivered(self, update: str) -> None:
        """The reply to ``update`` was sent: its outbox is done with."""
        ...

    async def processed(self, update: str) -> bool:
        """Whether ``update`` was committed (within :data:`UPDATE_TTL`)."""
        ...

    async def acquire(self, chat: str, token: str, ttl: float) -> bool:
        """Take the chat's lock for ``ttl`` seconds unless another token holds it."""
        ...

    async def extend(self, chat: str, token: str, ttl: float) -> bool:
        """Keep holding the lock ``ttl`` seconds more; False if ``token`` no longer holds it."""
        ...

    async def release(self, chat: str, token: str) -> None:
        """Let the lock go, if ``token`` holds it."""
        ...

    async def allow(self, key: str, burst: int, rate: float) -> Verdict:
        """One message from ``key`` (a user): ``ok``, or ``warn`` once then ``drop`` when too fast."""
        ...

    async def move(self, chat: str, to: str) -> None:
        """Give ``chat``'s state to ``to`` (a group that became a supergroup)."""
        ...

    async def forget(self, chat: str) -> None:
        """Delete the chat's state (a user who blocked the bot)."""
        ...

    async def ping(self) -> None:
        """Raise :class:`StoreError` unless the store answers."""
        ...

    async def close(self) -> None:
        """Release connections and files."""
        ...


def to_json(state: Mapping[str, Any]) -> str:
    """A state as JSON text that any store can keep: a lone surrogate (which UTF-8
    cannot encode) is escaped rather than failing the write."""
    text = json.dumps(dict(state), ensure_ascii=False, sort_keys=True)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(dict(state), ensure_ascii=True, sort_keys=True)
    return text


def bucket(
    tokens: float | None, at: float | None, warned: bool, now: float, burst: int, rate: float
) -> tuple[Verdict, float, bool]:
    """One step of a token bucket: (verdict, tokens left, warned), for the stores to share."""
    level = float(burst) if tokens is None or not math.isfinite(tokens) else tokens
    elapsed = 0.0 if at is None or not math.isfinite(at) else max(0.0, now - at)
    level = min(float(burst), level + elapsed * rate)
    if level >= 1.0:
        return "ok", level - 1.0, False
    return ("drop" if warned else "warn"), level, True


@contextlib.asynccontextmanager
async def holding(
    store: Store, chat: str, *, ttl: float = 10.0, wait: float = 5.0
) -> AsyncIterator[None]:
    """Hold ``chat``'s lock in ``store`` while the block runs (extended every ``ttl / 3``).

    Waits up to ``wait`` seconds for another worker's turn to end, then raises
    :class:`ChatBusy`. A store that fails is not a reason to stop answering:
    the block then runs without the lock (and the failure is logged).
    """
    token = secrets.token_hex(16)
    deadline = asyncio.get_running_loop().time() + wait
    delay = 0.005
    while True:
        try:
            if await store.acquire(chat, token, ttl):
                break
        except StoreError as exc:
            _LOGGER.warning("cannot lock chat %s (%s); answering without the lock", chat, exc)
            yield
            return
        if asyncio.get_running_loop().time() + delay > deadline:
            raise ChatBusy(chat)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.1)

    async def keep() -> None:
        while True:
            await asyncio.sleep(ttl / 3)
            with contextlib.suppress(StoreError):
                if not await store.extend(chat, token, ttl):
                    _LOGGER.warning("lost the lock of chat %s", chat)
                    return

    keeper = asyncio.create_task(keep())
    try:
        yield
    finally:
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeper
        try:
            await store.release(chat, token)
        except StoreError as exc:  # it expires by itself
            _LOGGER.warning("cannot release the lock of chat %s (%s)", chat, exc)
