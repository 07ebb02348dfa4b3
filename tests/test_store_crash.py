"""A crash in the middle of a commit never loses or corrupts what was already committed.

A child process commits turns for a few chats in a loop with the SQLite store
(``synchronous=FULL``) and reports each completed commit on stdout; it is
killed with SIGKILL at a random moment, several times over. After each kill
every chat must still load, hold at least the last counter reported as
committed, and every reported update must be known as processed.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.serve.stores import SQLiteStore

CHATS = (11, 12, 13, -100500, 987654321)
ROUNDS = 5

#: Commits turns in a loop, continuing each chat's counter from what is stored.
CHILD = """
import asyncio, sys
from pathlib import Path
from bot.serve.stores import SQLiteStore

async def main():
    store = SQLiteStore(Path(sys.argv[1]))
    chats = sys.argv[2].split(",")
    saved = {c: await store.load(c) for c in chats}
    counters = {c: (s.state or {}).get("counter", 0) for c, s in saved.items()}
    versions = {c: s.version for c, s in saved.items()}
    print("ready", flush=True)
    while True:
        for chat in chats:
            counters[chat] += 1
            n = counters[chat]
            # a few kilobytes, varying, so that a kill often lands inside a write
            state = {"lang": "tr", "counter": n, "pad": "ğ" * (1000 + 37 * (n % 100))}
            outcome = await store.commit(chat, state, version=versions[chat], update=f"{chat}:{n}")
            assert outcome.value == "done", outcome
            versions[chat] += 1
            print(chat, n, flush=True)

asyncio.run(main())
"""

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and file modes are POSIX")


def _reader(stream: object, lines: list[str], ready: threading.Event) -> None:
    for line in stream:  # type: ignore[attr-defined]
        lines.append(line)
        ready.set()


def _run_and_kill(data_dir: Path, rng: random.Random) -> dict[str, int]:
    """Run the child, SIGKILL it at a random moment; the last counter it reported per chat."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(data_dir / "state.db"), ",".join(map(str, CHATS))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    lines: list[str] = []
    ready = threading.Event()
    reader = threading.Thread(target=_reader, args=(child.stdout, lines, ready), daemon=True)
    reader.start()
    try:
        assert ready.wait(20), "the saving process did not start"
        time.sleep(rng.uniform(0.3, 1.0))
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        reader.join(10)
        assert child.stdout is not None and child.stderr is not None
        child.stdout.close()
        errors = child.stderr.read()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL, errors
    reported: dict[str, int] = {}
    for line in lines:
        if not line.endswith("\n") or line.startswith("ready"):
            continue  # a line cut short by the kill reports nothing
        chat, counter = line.split()
        reported[chat] = int(counter)
    return reported


def test_a_kill_in_the_middle_of_a_commit_loses_nothing_committed(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    rng = random.Random(20240607)
    saved = {str(chat): 0 for chat in CHATS}
    for _ in range(ROUNDS):
        reported = _run_and_kill(data_dir, rng)
        assert len(reported) == len(CHATS), f"too few commits before the kill: {reported}"
        saved.update(reported)
        asyncio.run(_check(data_dir / "state.db", saved))
        assert os.stat(data_dir).st_mode & 0o077 == 0, "the data directory is not owner-only"
        assert os.stat(data_dir / "state.db").st_mode & 0o777 == 0o600


async def _check(path: Path, saved: dict[str, int]) -> None:
    store = SQLiteStore(path)
    try:
        for chat, counter in saved.items():
            loaded = await store.load(chat)
            assert loaded.state is not None, f"chat {chat}: state lost"
            assert loaded.state["counter"] >= counter, (
                f"chat {chat}: {loaded.state['counter']} stored, {counter} reported committed"
            )
            assert loaded.version == loaded.state["counter"]  # one version per commit, none torn
            assert await store.processed(f"{chat}:{counter}")
    finally:
        await store.close()
