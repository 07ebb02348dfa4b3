"""The store for several instances: Redis (``redis://host:port/db``), through redis-py's asyncio client.

Each chat is a hash (``state``, ``version``) written only by a Lua
compare-and-set that also marks the update processed (``SET ... EX``), so a
turn is committed once, whole, or not at all. A lock is ``SET NX PX`` with a
random token, extended and released by Lua only by its holder; flood control
is a Lua token bucket timed by the server's clock, so instances whose clocks
differ agree. Keys are namespaced per bot (``kzbot:<namespace>:...``).

Redis must keep what it is given: run it with ``appendonly yes`` (committed
turns survive its restart) and ``maxmemory-policy noeviction`` (locks and
processed updates are never evicted to make room).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar, cast

from redis import asyncio as aioredis
from redis.exceptions import RedisError

from bot.serve.stores.base import (
    MAX_STATE_BYTES,
    UPDATE_TTL,
    Commit,
    Saved,
    StoreError,
    Verdict,
    to_json,
)

__all__ = ["RedisStore"]

_LOGGER = logging.getLogger(__name__)
T = TypeVar("T")

# KEYS: chat hash, update key (or the chat hash again when there is none)
# ARGV: state, expected version, update ttl (s), has update (1/0), chat ttl (ms, 0: none),
#       the outbox ('' for none: the update key then holds '1')
_COMMIT = """
if ARGV[4] == '1' and redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
local version = tonumber(redis.call('HGET', KEYS[1], 'version')) or 0
if version ~= tonumber(ARGV[2]) then return -2 end
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'version', version + 1)
if ARGV[5] ~= '0' then
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
else
  redis.call('PERSIST', KEYS[1])
end
if ARGV[4] == '1' then
  local mark = '1'
  if ARGV[6] ~= '' then mark = 'o' .. ARGV[6] end
  redis.call('SET', KEYS[2], mark, 'EX', ARGV[3])
end
return version + 1
"""
_EXTEND = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
# KEYS: bucket; ARGV: burst, rate. Returns 0 ok, 1 warn, 2 drop.
_ALLOW = """
local time = redis.call('TIME')
local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'at', 'warned')
local tokens = tonumber(saved[1]) or burst
local at = tonumber(saved[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local verdict = 0
local warned = 0
if tokens >= 1 then
  tokens = tokens - 1
elseif saved[3] == '1' then
  verdict = 2
  warned = 1
else
  verdict = 1
  warned = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now), 'warned', warned)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return verdict
"""
# KEYS: from, to
_MOVE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local state = redis.call('HGET', KEYS[1], 'state')
local version = tonumber(redis.call('HGET', KEYS[2], 'version')) or 0
redis.call('HSET', KEYS[2], 'state', state, 'version', version + 1)
redis.call('DEL', KEYS[1])
return 1
"""
_VERDICTS: tuple[Verdict, ...] = ("ok", "warn", "drop")


class RedisStore:
    """The :class:`~bot.serve.stores.Store` contract in Redis, shared by every instance."""

    def __init__(self, url: str, *, namespace: str = "default", timeout: float = 2.0) -> None:
        self.prefix = f"kzbot:{namespace}:"
        try:
            self._redis = aioredis.Redis.from_url(
                url,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                health_check_interval=30,
                decode_responses=True,
            )
        except (ValueError, RedisError) as exc:
            raise StoreError(f"cannot use the Redis store: {exc}") from None
        self._commit = self._redis.register_script(_COMMIT)
        self._extend = self._redis.register_script(_EXTEND)
        self._release = self._redis.register_script(_RELEASE)
        self._allow = self._redis.register_script(_ALLOW)
        self._move = self._redis.register_script(_MOVE)

    def _key(self, kind: str, name: str) -> str:
        return f"{self.prefix}{kind}:{name}"

    async def _run(self, call: Callable[[], Awaitable[T]]) -> T:
        try:
            return await call()
        except (RedisError, OSError, UnicodeError) as exc:
            raise StoreError(f"Redis: {exc.__class__.__name__}: {exc}") from None

    async def load(self, chat: str) -> Saved:
        saved = await self._run(lambda: self._hmget(self._key("chat", chat)))
        state_text, version = saved
        if version is None:
            return Saved(None, 0)
        state: Any = None
        try:
            if state_text is not None and len(state_text) <= MAX_STATE_BYTES:
                state = json.loads(state_text)
        except ValueError:
            state = None
        if not isinstance(state, dict):
            _LOGGER.warning("the saved state of chat %s is malformed; the chat starts afresh", chat)
            state = None
        try:
            number = int(version)
        except ValueError:  # not a version: the chat starts afresh (the commit reads it as 0)
            _LOGGER.warning(
                "the saved version of chat %s is malformed; the chat starts afresh", chat
            )
            return Saved(None, 0)
        return Saved(state, number)

    async def _hmget(self, key: str) -> tuple[str | None, str | None]:
        values = await self._redis.hmget(key, ["state", "version"])  # type: ignore[misc]
        return values[0], values[1]

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
        text = to_json(state)
        chat_key = self._key("chat", chat)
        update_key = self._key("update", update) if update is not None else chat_key
        result = await self._run(
            lambda: self._commit(
                keys=[chat_key, update_key],
                args=[
                    text,
                    version,
                    int(UPDATE_TTL),
                    "1" if update is not None else "0",
                    "0" if ttl is None else str(max(1, int(ttl * 1000))),
                    outbox or "",
                ],
            )
        )
        if result == -1:
            return Commit.DUPLICATE
        if result == -2:
            return Commit.CONFLICT
        return Commit.DONE

    async def pending(self, update: str) -> str | None:
        mark = await self._run(lambda: self._redis.get(self._key("update", update)))
        return mark[1:] if isinstance(mark, str) and mark.startswith("o") else None

    async def delivered(self, update: str) -> None:
        # The processed mark stays (with its expiry); only the outbox goes.
        await self._run(
            lambda: self._redis.set(self._key("update", update), "1", xx=True, keepttl=True)
        )

    async def processed(self, update: str) -> bool:
        return bool(await self._run(lambda: self._redis.exists(self._key("update", update))))

    async def acquire(self, chat: str, token: str, ttl: float) -> bool:
        key = self._key("lock", chat)
        milliseconds = max(1, int(ttl * 1000))

        async def acquire() -> bool:
            if await self._redis.set(key, token, nx=True, px=milliseconds):
                return True
            return bool(await self._extend(keys=[key], args=[token, milliseconds]))

        return await self._run(acquire)

    async def extend(self, chat: str, token: str, ttl: float) -> bool:
        milliseconds = max(1, int(ttl * 1000))
        return bool(
            await self._run(
                lambda: self._extend(keys=[self._key("lock", chat)], args=[token, milliseconds])
            )
        )

    async def release(self, chat: str, token: str) -> None:
        await self._run(lambda: self._release(keys=[self._key("lock", chat)], args=[token]))

    async def allow(self, key: str, burst: int, rate: float) -> Verdict:
        result = await self._run(
            lambda: self._allow(keys=[self._key("bucket", key)], args=[burst, repr(float(rate))])
        )
        return _VERDICTS[int(cast(int, result))]

    async def move(self, chat: str, to: str) -> None:
        await self._run(
            lambda: self._move(keys=[self._key("chat", chat), self._key("chat", to)], args=[])
        )

    async def forget(self, chat: str) -> None:
        await self._run(lambda: self._redis.delete(self._key("chat", chat)))

    async def ping(self) -> None:
        async def ping() -> None:
            await self._redis.ping()  # type: ignore[misc]

        await self._run(ping)

    async def close(self) -> None:
        try:
            await self._redis.aclose()
        except (RedisError, OSError) as exc:
            _LOGGER.debug("closing the Redis connection: %s", exc)
