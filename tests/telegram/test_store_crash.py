"""A crash in the middle of saving chat state never loses or corrupts what was already saved.

A child process saves states for a few chats in a loop with :class:`JsonFileStore`
and reports each completed save on stdout; it is killed with SIGKILL at a random
moment, several times over. After each kill every chat file must still load,
and hold at least the last counter reported as saved.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.serve.telegram import JsonFileStore

CHATS = (11, 12, 13, -100500, 987654321)
ROUNDS = 5

#: Saves states in a loop, continuing each chat's counter from what is on disk.
CHILD = """
import sys
from pathlib import Path
from bot.serve.stores import JsonFileStore

store = JsonFileStore(Path(sys.argv[1]))
chats = [int(c) for c in sys.argv[2].split(",")]
counters = {c: int((store.load(c) or {}).get("counter", 0)) for c in chats}
print("ready", flush=True)
while True:
    for chat in chats:
        counters[chat] += 1
        n = counters[chat]
        # a few kilobytes, varying, so that a kill often lands inside a write
        state = {"lang": "tr", "counter": n, "pad": "ğ" * (1000 + 37 * (n % 100))}
        store.save(chat, state)
        print(chat, n, flush=True)
"""

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and file modes are POSIX")


def _reader(stream: object, lines: list[str], ready: threading.Event) -> None:
    for line in stream:  # type: ignore[attr-defined]
        lines.append(line)
        ready.set()


def _run_and_kill(data_dir: Path, rng: random.Random) -> dict[int, int]:
    """Run the child, SIGKILL it at a random moment; the last counter it reported per chat."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(data_dir), ",".join(map(str, CHATS))],
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
    reported: dict[int, int] = {}
    for line in lines:
        if not line.endswith("\n") or line.startswith("ready"):
            continue  # a line cut short by the kill reports nothing
        chat, counter = line.split()
        reported[int(chat)] = int(counter)
    return reported


def test_a_kill_in_the_middle_of_a_write_loses_nothing_saved(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    rng = random.Random(20240607)
    saved = {chat: 0 for chat in CHATS}
    for _ in range(ROUNDS):
        reported = _run_and_kill(data_dir, rng)
        assert len(reported) == len(CHATS), f"too few saves before the kill: {reported}"
        saved.update(reported)
        chats_dir = data_dir / "chats"
        store = JsonFileStore(data_dir)
        for chat in CHATS:
            path = store.path(chat)
            json.loads(path.read_text(encoding="utf-8"))  # valid JSON as it lies on disk
            state = store.load(chat)
            assert state is not None, f"chat {chat}: state lost"
            assert state["counter"] >= saved[chat], (
                f"chat {chat}: {state['counter']} on disk, {saved[chat]} reported saved"
            )
            assert os.stat(path).st_mode & 0o777 == 0o600, oct(os.stat(path).st_mode)
        assert not list(chats_dir.glob("*.corrupt"))
        assert os.stat(chats_dir).st_mode & 0o077 == 0, "the chats directory is not owner-only"
        # temporary files a kill left behind are owner-only too (and never read as state)
        for leftover in chats_dir.glob(".*.tmp"):
            assert os.stat(leftover).st_mode & 0o777 == 0o600
