"""The unanswered-questions log: what the bot declined, for curators to read.

One JSON object per line: question, language, time, best guess and score. No
user identifiers are written. The log is opt-in (``--log-misses`` or
``KZBOT_MISSES_LOG``); ``python -m bot misses`` prints the most frequent ones.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bot._engine import Answer
from bot._text import fold

__all__ = ["MissLog", "top_misses"]

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


def read_misses(path: Path) -> Iterator[dict[str, object]]:
    """Entries of a log, skipping lines that are not valid JSON objects."""
    try:
        handle = path.open(encoding="utf-8", errors="replace")
    except OSError:
        return
    with handle:
        for line in handle:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and isinstance(entry.get("question"), str):
                yield entry


def top_misses(path: Path, limit: int = 20) -> list[tuple[str, int, dict[str, object]]]:
    """The most frequent missed questions (grouped by folded text), with a sample entry."""
    counts: Counter[str] = Counter()
    sample: dict[str, dict[str, object]] = {}
    for entry in read_misses(path):
        key = " ".join(fold(str(entry["question"])).split()).strip(" ?.!")
        counts[key] += 1
        sample.setdefault(key, entry)
    return [(str(sample[k]["question"]), n, sample[k]) for k, n in counts.most_common(limit)]
