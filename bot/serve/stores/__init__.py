"""Where conversations keep their state: the :class:`Store` interface and its implementations.

- :class:`MemoryStore` (``memory:``): in the process; the console, tests.
- :class:`SQLiteStore` (``sqlite:///data/state.db``): the embedded default, one file.
- ``RedisStore`` (``redis://host:6379/0``): several instances, one state;
  imported only when asked for (``pip install 'kzbot[redis]'``).

:func:`open_store` opens one from its URL. Nothing here knows about Telegram.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bot.serve.stores.base import (
    UPDATE_TTL,
    ChatBusy,
    Commit,
    Saved,
    Store,
    StoreError,
    Verdict,
    holding,
)
from bot.serve.stores.memory import MemoryStore
from bot.serve.stores.sqlite import SQLiteStore

__all__ = [
    "DEFAULT_STORE",
    "UPDATE_TTL",
    "ChatBusy",
    "Commit",
    "MemoryStore",
    "SQLiteStore",
    "Saved",
    "Store",
    "StoreError",
    "Verdict",
    "holding",
    "open_store",
]

#: The store when none is named: a SQLite file under ./data.
DEFAULT_STORE = "sqlite:///data/state.db"
STORE_HELP = (
    "memory:, sqlite:///relative/path.db, sqlite:////absolute/path.db "
    "(?synchronous=NORMAL for speed over power-cut safety), or redis://host:port/db"
)


def open_store(url: str, *, namespace: str = "default") -> Store:
    """The store a URL names; :class:`StoreError` with a plain reason if it cannot be used.

    ``namespace`` keeps several bots apart in one Redis (the bot's id, say).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if url == "memory:" or scheme == "memory":
        return MemoryStore()
    if scheme == "sqlite":
        if parts.netloc or not parts.path.startswith("/") or parts.path == "/":
            raise StoreError(f"a SQLite store URL looks like sqlite:///data/state.db, not {url!r}")
        options = parse_qs(parts.query)
        synchronous = options.pop("synchronous", ["FULL"])[-1].upper()
        if synchronous not in ("FULL", "NORMAL") or options:
            raise StoreError("a SQLite store takes one option: ?synchronous=FULL or NORMAL")
        path = Path(parts.path[1:])  # sqlite:///rel/x.db -> rel/x.db; sqlite:////abs -> /abs
        return SQLiteStore(path, synchronous="FULL" if synchronous == "FULL" else "NORMAL")
    if scheme in ("redis", "rediss", "unix"):
        try:
            from bot.serve.stores.redis import RedisStore
        except ImportError:
            raise StoreError("the Redis store needs redis-py: pip install 'kzbot[redis]'") from None
        return RedisStore(url, namespace=namespace)
    raise StoreError(f"unknown store {url!r}: use {STORE_HELP}")
