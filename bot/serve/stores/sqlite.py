"""The embedded default store: one SQLite file (``sqlite:///data/state.db``).

Chat state and processed updates live in the main file, in WAL mode, with
``synchronous=FULL`` by default (a committed turn survives a power cut) or
``NORMAL`` on request (it survives a crash of the process, and commits are
tens of times faster). Locks and flood buckets are worth nothing after a
restart, so they live in a second file beside it (``state.db-volatile``),
on a connection of their own written without fsync: taking a lock never
waits for another process's fsync. Several processes on one host may share
the files, which are created readable by their owner only.

All SQL runs on one connection in one worker thread, one transaction per
call, so the event loop never waits for the disk.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal, TypeVar

from bot.serve.stores.base import (
    MAX_STATE_BYTES,
    UPDATE_TTL,
    Commit,
    Saved,
    StoreError,
    Verdict,
    bucket,
    to_json,
)

__all__ = ["SQLiteStore"]

_LOGGER = logging.getLogger(__name__)
T = TypeVar("T")

#: The schema's version, in ``PRAGMA user_version``; a newer file is refused, not damaged.
SCHEMA = 1
_DURABLE = """
CREATE TABLE IF NOT EXISTS chats (
    chat TEXT PRIMARY KEY, state TEXT NOT NULL, version INTEGER NOT NULL, at REAL NOT NULL,
    expires REAL
);
CREATE TABLE IF NOT EXISTS updates (id TEXT PRIMARY KEY, at REAL NOT NULL, outbox TEXT);
CREATE INDEX IF NOT EXISTS updates_at ON updates (at);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_VOLATILE = """
CREATE TABLE IF NOT EXISTS locks (
    chat TEXT PRIMARY KEY, token TEXT NOT NULL, expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS buckets (
    key TEXT PRIMARY KEY, tokens REAL NOT NULL, at REAL NOT NULL, warned INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS buckets_at ON buckets (at);
CREATE TABLE IF NOT EXISTS sent (id TEXT PRIMARY KEY, at REAL NOT NULL);
"""
#: Prune processed update ids every this many commits.
_PRUNE_EVERY = 1000

Synchronous = Literal["FULL", "NORMAL"]


class SQLiteStore:
    """The :class:`~bot.serve.stores.Store` contract in one SQLite database file."""

    def __init__(
        self,
        path: Path | str,
        *,
        synchronous: Synchronous = "FULL",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError("synchronous must be FULL or NORMAL")
        self.path = Path(path)
        self.clock = clock
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-store")
        # Locks and buckets on a thread of their own: they never wait behind a commit's fsync.
        self._volatile_executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="sqlite-volatile"
        )
        self._commits = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._db = self._open(synchronous)
            self._volatile = self._open_volatile()
            # Quick statements (an indexed read, a lock, a bucket: tens of microseconds)
            # run on the event loop's own thread, on connections that never wait: a hop
            # to a worker thread would cost more than the statement. One that would
            # wait (another process writing) goes to the worker thread instead.
            self._reader = self._open_quick(self.path)
            self._quick = self._open_quick(self.path.with_name(self.path.name + "-volatile"))
        except (OSError, sqlite3.Error) as exc:
            self._executor.shutdown(wait=False)
            self._volatile_executor.shutdown(wait=False)
            raise StoreError(f"cannot open the SQLite store {self.path}: {exc}") from None

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        # Created owner-only before SQLite opens it: its -wal and -shm files take its mode.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        return sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)

    def _open(self, synchronous: Synchronous) -> sqlite3.Connection:
        db = self._connect(self.path)
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA:
                raise StoreError(
                    f"{self.path} was written by a newer version of this bot (schema {version})"
                )
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"PRAGMA synchronous={synchronous}")
            db.executescript(_DURABLE)
            db.execute(f"PRAGMA user_version={SCHEMA}")
        except BaseException:
            db.close()
            raise
        return db

    def _open_volatile(self) -> sqlite3.Connection:
        db = self._connect(self.path.with_name(self.path.name + "-volatile"))
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=OFF")
            db.executescript(_VOLATILE)
        except BaseException:
            db.close()
            self._db.close()
            raise
        return db

    def _open_quick(self, path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=0)
        db.execute("PRAGMA synchronous=OFF")  # only the volatile file is written through it
        return db

    async def _quickly(
        self, work: Callable[[sqlite3.Connection], T], *, volatile: bool = False
    ) -> T:
        """``work`` on the event loop's thread unless the database is busy; then as _run."""
        db = self._quick if volatile else self._reader
        try:
            return _within(db, work)
        except _Busy:  # locked by another process: wait in the thread
            return await self._run(work, volatile=volatile)

    async def _run(self, work: Callable[[sqlite3.Connection], T], *, volatile: bool = False) -> T:
        def call() -> T:
            return _within(self._volatile if volatile else self._db, work)

        executor = self._volatile_executor if volatile else self._executor
        return await asyncio.get_running_loop().run_in_executor(executor, call)

    # -- chats -------------------------------------------------------------------

    async def load(self, chat: str) -> Saved:
        now = self.clock()

        def load(db: sqlite3.Connection) -> tuple[str, int] | None:
            row = db.execute(
                "SELECT state, version FROM chats WHERE chat = ? AND ifnull(expires > ?, 1)",
                (chat, now),
            ).fetchone()
            return None if row is None else (str(row[0]), int(row[1]))

        row = await self._quickly(load)
        if row is None:
            return Saved(None, 0)
        return Saved(_parse(row[0], chat), row[1])

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
        now = self.clock()
        expires = None if ttl is None else now + ttl

        def commit(db: sqlite3.Connection) -> Commit:
            db.execute("BEGIN IMMEDIATE")
            if update is not None:
                inserted = db.execute(
                    "INSERT INTO updates (id, at, outbox) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    (update, now, outbox),
                ).rowcount
                if not inserted:
                    db.execute("ROLLBACK")
                    return Commit.DUPLICATE
            row = db.execute(
                "SELECT version FROM chats WHERE chat = ? AND ifnull(expires > ?, 1)", (chat, now)
            ).fetchone()
            if (0 if row is None else int(row[0])) != version:
                db.execute("ROLLBACK")
                return Commit.CONFLICT
            db.execute(
                "INSERT INTO chats (chat, state, version, at, expires) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (chat) DO UPDATE SET state = excluded.state, "
                "version = excluded.version, at = excluded.at, expires = excluded.expires",
                (chat, text, version + 1, now, expires),
            )
            db.execute("COMMIT")
            return Commit.DONE

        outcome = await self._run(commit)
        self._commits += 1
        if self._commits % _PRUNE_EVERY == 0:
            await self.prune()
        return outcome

    async def processed(self, update: str) -> bool:
        cutoff = self.clock() - UPDATE_TTL
        return await self._quickly(
            lambda db: (
                db.execute(
                    "SELECT 1 FROM updates WHERE id = ? AND at > ?", (update, cutoff)
                ).fetchone()
                is not None
            )
        )

    async def pending(self, update: str) -> str | None:
        cutoff = self.clock() - UPDATE_TTL
        row = await self._quickly(
            lambda db: db.execute(
                "SELECT outbox FROM updates WHERE id = ? AND at > ? AND outbox IS NOT NULL",
                (update, cutoff),
            ).fetchone()
        )
        if row is None:
            return None
        sent = await self._quickly(
            lambda db: db.execute("SELECT 1 FROM sent WHERE id = ?", (update,)).fetchone(),
            volatile=True,
        )
        return None if sent is not None else str(row[0])

    async def delivered(self, update: str) -> None:
        # Written without fsync: after a power cut a reply may be sent twice, never lost.
        now = self.clock()
        await self._quickly(
            lambda db: db.execute(
                "INSERT OR REPLACE INTO sent (id, at) VALUES (?, ?)", (update, now)
            ),
            volatile=True,
        )

    async def prune(self) -> int:
        """Forget processed updates older than :data:`UPDATE_TTL` and expired chats; how many."""
        now = self.clock()

        def prune(db: sqlite3.Connection) -> int:
            gone = db.execute("DELETE FROM updates WHERE at <= ?", (now - UPDATE_TTL,)).rowcount
            return gone + db.execute("DELETE FROM chats WHERE expires <= ?", (now,)).rowcount

        def prune_volatile(db: sqlite3.Connection) -> int:
            # A bucket untouched for an hour is full again; an expired lock holds nothing.
            gone = db.execute("DELETE FROM buckets WHERE at <= ?", (now - 3600,)).rowcount
            gone += db.execute("DELETE FROM sent WHERE at <= ?", (now - UPDATE_TTL,)).rowcount
            return gone + db.execute("DELETE FROM locks WHERE expires <= ?", (now,)).rowcount

        return await self._run(prune) + await self._run(prune_volatile, volatile=True)

    async def move(self, chat: str, to: str) -> None:
        def move(db: sqlite3.Connection) -> None:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT version FROM chats WHERE chat = ?", (to,)).fetchone()
            db.execute(  # the new chat's version only grows, so no turn commits over the move
                "UPDATE OR REPLACE chats SET chat = ?, version = max(version, ?) + 1 "
                "WHERE chat = ?",
                (to, 0 if row is None else int(row[0]), chat),
            )
            db.execute("COMMIT")

        await self._run(move)

    async def forget(self, chat: str) -> None:
        await self._run(lambda db: db.execute("DELETE FROM chats WHERE chat = ?", (chat,)))

    # -- locks and buckets -------------------------------------------------------

    async def acquire(self, chat: str, token: str, ttl: float) -> bool:
        now = self.clock()
        return await self._quickly(
            lambda db: (
                db.execute(
                    "INSERT INTO locks (chat, token, expires) VALUES (?, ?, ?) "
                    "ON CONFLICT (chat) DO UPDATE SET token = excluded.token, "
                    "expires = excluded.expires WHERE locks.expires <= ? OR locks.token = ?",
                    (chat, token, now + ttl, now, token),
                ).rowcount
                == 1
            ),
            volatile=True,
        )

    async def extend(self, chat: str, token: str, ttl: float) -> bool:
        now = self.clock()
        return await self._quickly(
            lambda db: (
                db.execute(
                    "UPDATE locks SET expires = ? WHERE chat = ? AND token = ? AND expires > ?",
                    (now + ttl, chat, token, now),
                ).rowcount
                == 1
            ),
            volatile=True,
        )

    async def release(self, chat: str, token: str) -> None:
        await self._quickly(
            lambda db: db.execute("DELETE FROM locks WHERE chat = ? AND token = ?", (chat, token)),
            volatile=True,
        )

    async def allow(self, key: str, burst: int, rate: float) -> Verdict:
        now = self.clock()

        def allow(db: sqlite3.Connection) -> Verdict:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute(
                "SELECT tokens, at, warned FROM buckets WHERE key = ?", (key,)
            ).fetchone()
            tokens, at, warned = (None, None, False) if row is None else (row[0], row[1], row[2])
            verdict, left, warned = bucket(tokens, at, bool(warned), now, burst, rate)
            db.execute(
                "INSERT OR REPLACE INTO buckets (key, tokens, at, warned) VALUES (?, ?, ?, ?)",
                (key, left, now, int(warned)),
            )
            db.execute("COMMIT")
            return verdict

        return await self._quickly(allow, volatile=True)

    # -- the store ---------------------------------------------------------------

    async def ping(self) -> None:
        await self._quickly(lambda db: db.execute("SELECT 1").fetchone())

    async def close(self) -> None:
        def close(db: sqlite3.Connection) -> None:
            db.close()

        try:
            self._reader.close()
            self._quick.close()
            await self._run(close, volatile=True)
            await self._run(close)
        finally:
            self._volatile_executor.shutdown(wait=True)
            self._executor.shutdown(wait=True)

    async def import_json(self, directory: Path) -> int:
        """Import the chats of the first release's ``<directory>/*.json`` files, once.

        A chat already in the database is left alone; files that cannot be
        read are skipped with a warning. Returns how many chats were imported.
        """
        marker = f"imported:{Path(directory).resolve()}"
        if await self._run(
            lambda db: db.execute("SELECT 1 FROM meta WHERE key = ?", (marker,)).fetchone()
        ):
            return 0
        states: list[tuple[str, str]] = []
        for path in sorted(Path(directory).glob("*.json")):
            try:
                raw = path.read_bytes()[: MAX_STATE_BYTES + 1]
                state = json.loads(raw) if len(raw) <= MAX_STATE_BYTES else None
            except (OSError, ValueError):
                state = None
            if not isinstance(state, dict) or not path.stem.lstrip("-").isdigit():
                _LOGGER.warning("skipped %s: not a chat's state", path.name)
                continue
            states.append((f"telegram:{int(path.stem)}", to_json(state)))
        now = self.clock()

        def store(db: sqlite3.Connection) -> int:
            db.execute("BEGIN IMMEDIATE")
            count = 0
            for chat, text in states:
                count += db.execute(
                    "INSERT INTO chats (chat, state, version, at) VALUES (?, ?, 1, ?) "
                    "ON CONFLICT DO NOTHING",
                    (chat, text, now),
                ).rowcount
            db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (marker, str(count)))
            db.execute("COMMIT")
            return count

        return await self._run(store)


class _Busy(StoreError):
    """An operational error (a lock held by another process, most often)."""


def _within(db: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """``work(db)``, leaving no transaction open whatever fails (it would block every other
    writer); SQLite's errors become :class:`StoreError` (:class:`_Busy` when operational)."""
    try:
        return work(db)
    except BaseException as exc:
        if db.in_transaction:
            db.execute("ROLLBACK")
        if isinstance(exc, sqlite3.OperationalError):
            raise _Busy(f"SQLite: {exc}") from None
        if isinstance(exc, sqlite3.Error | UnicodeError):
            raise StoreError(f"SQLite: {exc}") from None
        raise


def _parse(text: str, chat: str) -> dict[str, Any] | None:
    """A saved state, or ``None`` (and a warning) for one that is not a JSON object."""
    try:
        state = json.loads(text) if len(text) <= MAX_STATE_BYTES else None
    except ValueError:
        state = None
    if not isinstance(state, dict):
        _LOGGER.warning("the saved state of chat %s is malformed; the chat starts afresh", chat)
        return None
    return state
