"""The store contract, run against every implementation: memory, SQLite and a real redis-server."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.serve.stores import (
    ChatBusy,
    Commit,
    MemoryStore,
    Saved,
    SQLiteStore,
    Store,
    StoreError,
    holding,
    open_store,
)

KINDS = ["memory", "sqlite", "redis"]


@pytest.fixture(params=KINDS)
async def make(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Callable[[], Store]]:
    """Opens stores of one kind that share their data (as several processes would)."""
    kind = request.param
    opened: list[Store] = []
    namespace = secrets.token_hex(4)  # one Redis for the run: each test its own keys
    shared = MemoryStore()

    def make() -> Store:
        if kind == "memory":
            store: Store = shared
        elif kind == "sqlite":
            store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
        else:
            store = open_store(request.getfixturevalue("redis_url"), namespace=namespace)
        opened.append(store)
        return store

    yield make
    for store in opened:
        await store.close()


async def test_a_new_chat_has_no_state(make: Callable[[], Store]) -> None:
    assert await make().load("telegram:1") == Saved(None, 0)


async def test_a_commit_is_loaded_back_with_the_next_version(make: Callable[[], Store]) -> None:
    store = make()
    state = {"lang": "tr", "question": "İhracat ne kadar? ğüşıöç", "turn": 1}
    assert await store.commit("c", state, version=0, update="u1") is Commit.DONE
    assert await store.load("c") == Saved(state, 1)
    assert await store.commit("c", {"lang": "en"}, version=1, update="u2") is Commit.DONE
    assert await store.load("c") == Saved({"lang": "en"}, 2)


async def test_any_text_is_kept_even_a_lone_surrogate(make: Callable[[], Store]) -> None:
    store = make()
    state = {"question": "broken \ud800 text", "emoji": "🇰🇿", "lang": "tr"}
    assert await store.commit("c", state, version=0, update="u1") is Commit.DONE
    assert await store.load("c") == Saved(state, 1)
    assert (
        await store.commit("c", {"turn": 2}, version=1, update="u2") is Commit.DONE
    )  # no lock left


async def test_a_commit_on_a_stale_version_writes_nothing(make: Callable[[], Store]) -> None:
    store = make()
    await store.commit("c", {"turn": 1}, version=0, update="u1")
    assert await store.commit("c", {"turn": 99}, version=0, update="u2") is Commit.CONFLICT
    assert await store.load("c") == Saved({"turn": 1}, 1)
    assert not await store.processed("u2")  # a conflict does not use the update up


async def test_an_update_is_committed_once(make: Callable[[], Store]) -> None:
    first, second = make(), make()
    assert not await first.processed("u1")
    assert await first.commit("c", {"turn": 1}, version=0, update="u1") is Commit.DONE
    assert await second.processed("u1")
    saved = await second.load("c")
    assert await second.commit("c", {"turn": 2}, version=saved.version, update="u1") is (
        Commit.DUPLICATE
    )
    assert await first.load("c") == Saved({"turn": 1}, 1)


async def test_a_reply_stays_pending_until_it_is_delivered(make: Callable[[], Store]) -> None:
    one, other = make(), make()
    reply = '{"chat": 5, "text": "Merhaba! İhracat 625 milyon ABD doları."}'
    assert await one.commit("c", {"turn": 1}, version=0, update="u1", outbox=reply) is Commit.DONE
    assert await other.pending("u1") == reply  # another worker finds what the first did not send
    await other.delivered("u1")
    assert await one.pending("u1") is None
    assert await one.processed("u1")  # still answered once
    await one.commit("c", {"turn": 2}, version=1, update="u2")
    assert await one.pending("u2") is None  # nothing to send: nothing pending
    assert await one.pending("never") is None


async def test_of_concurrent_commits_on_one_version_exactly_one_wins(
    make: Callable[[], Store],
) -> None:
    stores = [make() for _ in range(3)]
    outcomes = await asyncio.gather(
        *(stores[n % 3].commit("c", {"by": n}, version=0, update=f"u{n}") for n in range(12))
    )
    assert outcomes.count(Commit.DONE) == 1
    assert outcomes.count(Commit.CONFLICT) == 11
    winner = outcomes.index(Commit.DONE)
    assert await stores[0].load("c") == Saved({"by": winner}, 1)


async def test_a_lock_has_one_holder_until_released(make: Callable[[], Store]) -> None:
    one, other = make(), make()
    assert await one.acquire("c", "A", 10)
    assert not await other.acquire("c", "B", 10)
    assert await one.acquire("c", "A", 10)  # the holder may take it again
    assert await one.extend("c", "A", 10)
    assert not await other.extend("c", "B", 10)
    await other.release("c", "B")  # not the holder: nothing happens
    assert not await other.acquire("c", "B", 10)
    await one.release("c", "A")
    assert await other.acquire("c", "B", 10)
    assert await one.acquire("d", "A", 10)  # locks are per chat


async def test_a_lock_expires(make: Callable[[], Store]) -> None:
    one, other = make(), make()
    assert await one.acquire("c", "A", 0.05)
    await asyncio.sleep(0.12)
    assert not await one.extend("c", "A", 10)
    assert await other.acquire("c", "B", 10)


async def test_holding_runs_one_turn_of_a_chat_at_a_time(make: Callable[[], Store]) -> None:
    inside: list[int] = []
    overlap = False

    async def turn(store: Store, n: int) -> None:
        nonlocal overlap
        async with holding(store, "c", ttl=5, wait=5):
            overlap = overlap or bool(inside)
            inside.append(n)
            await asyncio.sleep(0.01)
            inside.remove(n)

    await asyncio.gather(*(turn(make(), n) for n in range(6)))
    assert not overlap


async def test_holding_gives_up_on_a_held_chat_and_extends_its_own(
    make: Callable[[], Store],
) -> None:
    one, other = make(), make()
    async with holding(one, "c", ttl=0.15, wait=1):
        await asyncio.sleep(0.3)  # twice the ttl: the holder keeps extending it
        with pytest.raises(ChatBusy):
            async with holding(other, "c", ttl=5, wait=0.05):
                pass
    async with holding(other, "c", ttl=5, wait=0.05):
        pass


async def test_flood_control_is_a_token_bucket_that_warns_once(
    make: Callable[[], Store],
) -> None:
    one, other = make(), make()
    verdicts = [await (one if n % 2 else other).allow("user:1", 3, 20.0) for n in range(6)]
    assert verdicts == ["ok", "ok", "ok", "warn", "drop", "drop"]
    assert await one.allow("user:2", 3, 20.0) == "ok"  # buckets are per key
    await asyncio.sleep(0.12)  # two tokens back at 20 per second
    assert [await one.allow("user:1", 3, 20.0) for _ in range(3)] == ["ok", "ok", "warn"]


async def test_a_chat_moves_and_is_forgotten(make: Callable[[], Store]) -> None:
    store = make()
    await store.commit("group", {"lang": "tr"}, version=0, update="u1")
    await store.move("group", "supergroup")
    assert await store.load("group") == Saved(None, 0)
    moved = await store.load("supergroup")
    assert moved.state == {"lang": "tr"}
    assert await store.commit("supergroup", {"lang": "en"}, version=moved.version) is Commit.DONE
    await store.move("nothing-here", "supergroup")  # moving nothing changes nothing
    assert (await store.load("supergroup")).state == {"lang": "en"}
    await store.forget("supergroup")
    assert await store.load("supergroup") == Saved(None, 0)


async def test_a_chat_with_a_ttl_is_forgotten_when_idle(make: Callable[[], Store]) -> None:
    store = make()
    await store.commit("idle", {"turn": 1}, version=0, ttl=0.1)
    await store.commit("kept", {"turn": 1}, version=0)
    assert await store.load("idle") == Saved({"turn": 1}, 1)
    await store.commit("idle", {"turn": 2}, version=1, ttl=0.1)  # each commit restarts the clock
    await asyncio.sleep(0.2)
    assert await store.load("idle") == Saved(None, 0)
    assert await store.commit("idle", {"turn": 1}, version=0) is Commit.DONE  # a new chat
    assert await store.load("kept") == Saved({"turn": 1}, 1)


async def test_ping(make: Callable[[], Store]) -> None:
    await make().ping()


# -- one implementation at a time ----------------------------------------------------


async def test_sqlite_keeps_turns_across_a_reopen_and_refuses_a_newer_schema(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.db"
    store = SQLiteStore(path)
    await store.commit("c", {"turn": 1}, version=0, update="u1")
    await store.close()
    store = SQLiteStore(path, synchronous="NORMAL")
    assert await store.load("c") == Saved({"turn": 1}, 1)
    assert await store.processed("u1")
    assert path.stat().st_mode & 0o777 == 0o600
    await store.close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="newer version"):
        SQLiteStore(path)


async def test_sqlite_sets_aside_a_malformed_state(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = SQLiteStore(tmp_path / "state.db")
    await store.commit("c", {"turn": 1}, version=0)
    with sqlite3.connect(tmp_path / "state.db") as db:
        db.execute("UPDATE chats SET state = '[1, 2' WHERE chat = 'c'")
    with caplog.at_level(logging.WARNING):
        saved = await store.load("c")
    assert saved == Saved(None, 1)  # the chat starts afresh, and can be committed over
    assert "malformed" in caplog.text
    assert await store.commit("c", {"turn": 2}, version=saved.version) is Commit.DONE
    await store.close()


async def test_sqlite_prunes_updates_after_48_hours(tmp_path: Path) -> None:
    now = [1_000_000.0]
    store = SQLiteStore(tmp_path / "state.db", clock=lambda: now[0])
    await store.commit("c", {}, version=0, update="old")
    now[0] += 47 * 3600
    await store.commit("c", {}, version=1, update="new")
    now[0] += 2 * 3600
    assert not await store.processed("old")
    assert await store.prune() == 1
    assert await store.processed("new")
    await store.close()


async def test_sqlite_imports_the_first_release_json_files_once(tmp_path: Path) -> None:
    chats = tmp_path / "data" / "chats"
    chats.mkdir(parents=True)
    (chats / "42.json").write_text(json.dumps({"lang": "tr"}), encoding="utf-8")
    (chats / "-100123.json").write_text(json.dumps({"lang": "en"}), encoding="utf-8")
    (chats / "7.json").write_text("{broken", encoding="utf-8")
    (chats / "notes.json").write_text("{}", encoding="utf-8")
    store = SQLiteStore(tmp_path / "data" / "state.db")
    assert await store.import_json(chats) == 2
    assert (await store.load("telegram:42")).state == {"lang": "tr"}
    assert (await store.load("telegram:-100123")).state == {"lang": "en"}
    await store.commit("telegram:42", {"lang": "en"}, version=1)
    assert await store.import_json(chats) == 0  # once: later edits are not overwritten
    assert (await store.load("telegram:42")).state == {"lang": "en"}
    await store.close()


async def test_an_unreachable_redis_is_a_store_error_not_a_crash() -> None:
    from servers import free_port

    store = open_store(f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(StoreError, match="Redis"):
        await store.ping()
    with pytest.raises(StoreError):
        await store.load("c")
    await store.close()


async def test_redis_namespaces_keep_bots_apart(redis_url: str) -> None:
    one = open_store(redis_url, namespace="bot-one")
    other = open_store(redis_url, namespace="bot-two")
    await one.commit("c", {"lang": "tr"}, version=0, update="u1")
    assert await other.load("c") == Saved(None, 0)
    assert not await other.processed("u1")
    await one.close()
    await other.close()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("postgres://x", "unknown store"),
        ("sqlite://relative.db", "sqlite:///"),
        ("sqlite:///x.db?synchronous=OFF", "synchronous"),
        ("sqlite:///x.db?journal=1", "one option"),
    ],
)
def test_a_bad_store_url_says_what_is_expected(url: str, reason: str) -> None:
    with pytest.raises(StoreError, match=reason):
        open_store(url)


async def test_store_urls(tmp_path: Path) -> None:
    assert isinstance(open_store("memory:"), MemoryStore)
    store = open_store(f"sqlite:///{tmp_path}/a.db?synchronous=normal")
    assert isinstance(store, SQLiteStore)
    assert store.path == tmp_path / "a.db"
    await store.close()
