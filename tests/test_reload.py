"""Live reload: an edited knowledge base is picked up; a broken edit is refused."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.serve.console import Console
from bot.serve.reload import Reloader


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
