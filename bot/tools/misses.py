"""Reading the unanswered-questions log: the most frequent misses first."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from bot.lang import fold

__all__ = ["MissesError", "read_misses", "top_misses"]


class MissesError(Exception):
    """The log cannot be read (missing, a directory, no permission); the message says which."""


def read_misses(path: Path) -> Iterator[dict[str, object]]:
    """Entries of a log, skipping lines that are not valid JSON objects.

    Raises :class:`MissesError` at once when the file cannot be opened: a log
    that is not there is not the same as a log with nothing in it.
    """
    try:
        handle = path.open(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise MissesError(f"cannot read the misses log {path}: {exc.strerror}") from None
    return _entries(handle, path)


def _entries(handle: TextIO, path: Path) -> Iterator[dict[str, object]]:
    with handle:
        try:
            for line in handle:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict) and isinstance(entry.get("question"), str):
                    yield entry
        except OSError as exc:
            raise MissesError(f"cannot read the misses log {path}: {exc.strerror}") from None


def top_misses(path: Path, limit: int = 20) -> list[tuple[str, int, dict[str, object]]]:
    """The most frequent missed questions (grouped by folded text), with a sample entry."""
    counts: Counter[str] = Counter()
    sample: dict[str, dict[str, object]] = {}
    for entry in read_misses(path):
        key = " ".join(fold(str(entry["question"])).split()).strip(" ?.!")
        counts[key] += 1
        sample.setdefault(key, entry)
    return [(str(sample[k]["question"]), n, sample[k]) for k, n in counts.most_common(limit)]
