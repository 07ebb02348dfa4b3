"""The unanswered-questions log: what the bot declined, for curators to read.

One JSON object per line: question, language, time, best guess and score. No
user identifiers are written. The log is opt-in (``--log-misses`` or
``KZBOT_MISSES_LOG``); ``python -m bot misses`` prints the most frequent ones
(:mod:`bot.tools.misses`).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.dialogue import Answer

__all__ = ["MISSES_ENV", "MissLog"]

#: The environment variable that turns the log on, naming its file.
MISSES_ENV = "KZBOT_MISSES_LOG"

_MAX_QUESTION = 500


@dataclass
class MissLog:
    """Appends declined and unclear questions to a JSON-lines file."""

    path: Path
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def record(self, answer: Answer) -> None:
        entry = {
            "question": answer.question[:_MAX_QUESTION],
            "lang": answer.lang,
            "time": round(self.clock(), 3),
            "kind": answer.kind,
            "guess": answer.best_guess,
            "score": answer.score,
        }
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        try:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                with os.fdopen(fd, "a", encoding="utf-8") as handle:
                    handle.write(line)
        except OSError:
            pass  # losing a log line must never cost the user an answer
