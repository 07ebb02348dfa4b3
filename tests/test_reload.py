"""Live reload: an edited knowledge base is picked up; a broken edit is refused."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.kb import Catalog, bundled_dir, load_catalog
from bot.match import TermRanker
from bot.serve.console import Console
from bot.serve.conversations import Conversations
from bot.serve.reload import Reloader
from bot.serve.stores import MemoryStore


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    # Make sure the change is visible even on coarse file-system clocks.
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_valid_edit_is_picked_up(kb: Path) -> None:
    clock = Clock()
    reloader = Reloader(kb, clock=clock, settle=0)
    assert reloader.engine.answer("hello").text == "Hello!"
    rewrite(kb / "kb.yaml", "en: Hello!", "en: Hello there, friend!")
    assert reloader.engine.answer("hello").text == "Hello!", "not before the interval"
    clock.now += 2
    assert reloader.engine.answer("hello").text == "Hello there, friend!"
    assert reloader.generation == 1


def test_broken_edit_keeps_the_previous_knowledge_base(
    kb: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    reloader = Reloader(kb, clock=clock, settle=0)
    rewrite(kb / "kb.yaml", "related: [trade.exports]", "related: [trade.nowhere]")
    clock.now += 2
    with caplog.at_level(logging.ERROR, logger="bot.reload"):
        answer = reloader.engine.answer("what was the trade volume")
    assert answer.intent == "trade.volume", "the old knowledge base keeps answering"
    assert "related id 'trade.nowhere' does not exist" in caplog.text
    assert "kb.yaml" in caplog.text
    assert reloader.generation == 0
    # Fixing the file brings the new version in.
    rewrite(kb / "kb.yaml", "related: [trade.nowhere]", "related: [education.students]")
    clock.now += 2
    assert reloader.engine.intent("trade.volume").related == ("education.students",)


def test_console_carries_the_conversation_over(kb: Path) -> None:
    clock = Clock()
    reloader = Reloader(kb, clock=clock, settle=0)
    console = Console(reloader)
    console.turn("ticaret hacmi ne kadar")
    rewrite(kb / "kb.yaml", "tr: Ticaret {volume} oldu.", "tr: Ticaret hacmi {volume} oldu.")
    clock.now += 2
    answer = console.turn("/lang tr")
    assert answer is not None
    assert answer.text == "Ticaret hacmi 1,96 milyar ABD doları oldu."


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP here")
def test_running_console_reloads_on_edit(kb: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "--intents", str(kb), "console"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        process.stdin.write("hello\n")
        process.stdin.flush()
        assert process.stdout.readline().strip() == "Hello!"
        rewrite(kb / "kb.yaml", "en: Hello!", "en: Welcome back!")
        process.send_signal(signal.SIGHUP)
        time.sleep(0.2)
        process.stdin.write("hello\n")
        process.stdin.flush()
        assert process.stdout.readline().strip() == "Welcome back!"
    finally:
        process.stdin.close()
        process.wait(timeout=30)
        assert process.stderr is not None
        process.stderr.close()
        process.stdout.close()


# -- a reload reads a consistent knowledge base, survives anything, never blocks a loop ------


def bundled_copy(tmp_path: Path) -> Path:
    target = tmp_path / "intents"
    shutil.copytree(bundled_dir(), target)
    return target


def test_a_reload_during_a_save_keeps_the_old_engine(tmp_path: Path) -> None:
    kb = bundled_copy(tmp_path)
    clock = Clock()
    # settle=3600: any file written within the hour may still be being saved.
    reloader = Reloader(kb, clock=clock, settle=3600)
    every = {intent.id for intent in reloader.current.intents}
    assert len(every) == 33
    path = kb / "smalltalk.yaml"
    whole = path.read_text(encoding="utf-8")
    half = whole[: whole.index("  - id: smalltalk.identity")]  # the save stopped here, for now
    path.write_text(half, encoding="utf-8")
    assert len(load_catalog(kb).intents) == 31, "the half-saved folder loads on its own"
    clock.now += 2
    assert {intent.id for intent in reloader.engine.intents} == every
    assert reloader.engine.answer("who are you").intent == "smalltalk.identity"
    # The save goes on; each check reads something new, so nothing is loaded yet.
    edited = whole.replace('en: "Hello! ', 'en: "Hello again! ', 1)
    path.write_text(edited, encoding="utf-8")
    clock.now += 2
    assert {intent.id for intent in reloader.engine.intents} == every
    assert reloader.generation == 0
    # The next check reads the same again: the save is over, the new version is served.
    clock.now += 2
    assert {intent.id for intent in reloader.engine.intents} == every
    assert reloader.generation == 1
    assert reloader.engine.answer("hello").text.startswith("Hello again!")


def test_a_save_that_ended_a_while_ago_is_taken_at_the_first_check(kb: Path) -> None:
    clock = Clock()
    reloader = Reloader(kb, clock=clock)  # settle: one interval
    path = kb / "kb.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("en: Hello!", "en: Hi!"), encoding="utf-8"
    )
    a_minute_ago = time.time_ns() - 60 * 10**9
    os.utime(path, ns=(a_minute_ago, a_minute_ago))
    clock.now += 2
    assert reloader.engine.answer("hello").text == "Hi!"


class Picky:
    """A ranker factory that notes the thread it runs in, and fails on one word."""

    def __init__(self, word: str) -> None:
        self.word = word
        self.threads: list[str] = []

    def __call__(self, catalog: Catalog) -> TermRanker:
        self.threads.append(threading.current_thread().name)
        if any(self.word in intent.answer["en"] for intent in catalog.intents):
            raise RuntimeError(f"a fault the checks missed: {self.word}")
        return TermRanker(catalog)


def test_any_failure_of_a_reload_keeps_the_old_engine_and_is_logged_once(
    kb: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    reloader = Reloader(kb, clock=clock, settle=0, ranker=Picky("Boom"))
    rewrite(kb / "kb.yaml", "en: Hello!", "en: Boom!")
    with caplog.at_level(logging.ERROR, logger="bot.reload"):
        for _ in range(3):  # the failed version is not tried again every second
            clock.now += 2
            assert reloader.engine.answer("hello").text == "Hello!"
    assert caplog.text.count("not reloaded") == 1
    assert "a fault the checks missed: Boom" in caplog.text
    rewrite(kb / "kb.yaml", "en: Boom!", "en: Fine!")
    clock.now += 2
    assert reloader.engine.answer("hello").text == "Fine!"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_appearing_in_service_is_refused(kb: Path, caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    reloader = Reloader(kb, clock=clock, settle=0)
    os.mkfifo(kb / "zz.yaml")
    clock.now += 2
    with caplog.at_level(logging.ERROR, logger="bot.reload"):
        worker = threading.Thread(target=reloader.poll, daemon=True)
        worker.start()
        worker.join(timeout=60)
    assert not worker.is_alive(), "the reload hung on the FIFO"
    assert "zz.yaml: is a FIFO (named pipe), not a regular file" in caplog.text
    assert reloader.current.answer("hello").text == "Hello!"


def test_on_an_event_loop_the_load_runs_in_a_worker_thread(kb: Path) -> None:
    clock = Clock()
    picky = Picky("never written")
    reloader = Reloader(kb, clock=clock, settle=0, ranker=picky)
    conversations = Conversations(reloader, MemoryStore())

    async def edit_and_ask() -> str:
        rewrite(kb / "kb.yaml", "en: Hello!", "en: Hello from a thread!")
        clock.now += 2
        turn = await conversations.turn("chat", lambda session: session.ask("hello"))
        assert turn is not None
        # The engine property on the loop's thread polls in a worker thread too.
        rewrite(kb / "kb.yaml", "en: Hello from a thread!", "en: Hello again!")
        clock.now += 2
        assert reloader.engine is not None
        await asyncio.to_thread(reloader.join)
        return turn.answer.text

    assert asyncio.run(edit_and_ask()) == "Hello from a thread!"
    assert reloader.current.answer("hello").text == "Hello again!"
    main = threading.main_thread().name
    assert picky.threads[0] == main  # the first load, at start
    assert len(picky.threads) == 3 and main not in picky.threads[1:], picky.threads
