"""Per-chat conversation state, kept as JSON (never pickle).

:class:`StateStore` is the interface every front end's conversations use
(:mod:`bot.serve.conversations`); :class:`MemoryStore` keeps state in the
process (the console, tests), :class:`JsonFileStore` one small JSON file per
chat, written atomically (temporary file, fsync, rename) with owner-only
permissions. Nothing here knows about Telegram.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

__all__ = ["JsonFileStore", "MemoryStore", "StateStore"]

_LOGGER = logging.getLogger(__name__)
#: A state file bigger than this is not a state file.
_MAX_BYTES = 64 * 1024


class StateStore(Protocol):
    """Where each chat's :attr:`bot.Session.state` is kept between messages and restarts."""

    def load(self, chat_id: Any) -> dict[str, Any] | None:
        """The chat's saved state, or ``None`` for a chat never seen (or unreadable)."""
        ...

    def save(self, chat_id: Any, state: Mapping[str, Any]) -> None:
        """Replace the chat's saved state."""
        ...


class MemoryStore:
    """State in a dict: for tests and benchmarks; lost on exit."""

    def __init__(self) -> None:
        self._states: dict[Any, str] = {}

    def load(self, chat_id: Any) -> dict[str, Any] | None:
        raw = self._states.get(chat_id)
        return None if raw is None else dict(json.loads(raw))

    def save(self, chat_id: Any, state: Mapping[str, Any]) -> None:
        self._states[chat_id] = json.dumps(dict(state), ensure_ascii=False)


class JsonFileStore:
    """One JSON file per chat under ``<directory>/chats/``.

    A file that cannot be parsed is renamed ``*.corrupt`` with a warning, and the
    chat starts afresh.
    """

    def __init__(self, directory: Path) -> None:
        Path(directory).mkdir(parents=True, exist_ok=True, mode=0o700)
        self.directory = Path(directory) / "chats"
        self.directory.mkdir(exist_ok=True, mode=0o700)
        self._lock = threading.Lock()
        self._serial = 0

    def path(self, chat_id: int) -> Path:
        return self.directory / f"{int(chat_id)}.json"

    def load(self, chat_id: int) -> dict[str, Any] | None:
        path = self.path(chat_id)
        try:
            with path.open("rb") as handle:
                raw = handle.read(_MAX_BYTES + 1)
        except FileNotFoundError:
            return None
        except OSError as exc:
            _LOGGER.warning("cannot read the state of chat %s: %s", chat_id, exc.__class__.__name__)
            return None
        try:
            if len(raw) > _MAX_BYTES:
                raise ValueError("too big")
            state = json.loads(raw.decode("utf-8"))
            if not isinstance(state, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            self._set_aside(path, chat_id, exc)
            return None
        return state

    def save(self, chat_id: int, state: Mapping[str, Any]) -> None:
        path = self.path(chat_id)
        data = json.dumps(dict(state), ensure_ascii=False, sort_keys=True).encode("utf-8")
        with self._lock:
            self._serial += 1
            temporary = path.with_name(f".{path.name}.{os.getpid()}.{self._serial}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    def _set_aside(self, path: Path, chat_id: int, exc: Exception) -> None:
        aside = path.with_name(path.name + ".corrupt")
        try:
            os.replace(path, aside)
        except OSError:
            _LOGGER.warning(
                "the state of chat %s is corrupt (%s) and cannot be moved aside", chat_id, exc
            )
            return
        _LOGGER.warning(
            "the state of chat %s was corrupt (%s); moved it to %s and started afresh",
            chat_id,
            exc.__class__.__name__,
            aside.name,
        )
