"""Live reload: pick up edited ``intents/`` files without a restart.

A :class:`Reloader` holds the engine in service. :meth:`Reloader.poll` (cheap:
a few ``stat`` calls, at most once per interval) notices changed files and
builds a new engine beside the old one; only a knowledge base that passes every
check replaces it. A broken edit is logged with the ``check`` errors and the
previous engine keeps answering, so there is never a moment without answers.
``SIGHUP`` forces a reload.
"""

from __future__ import annotations

import hashlib
import logging
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.dialogue import Engine
from bot.kb import CatalogError

__all__ = ["Reloader", "content_version"]

log = logging.getLogger("bot.reload")

Fingerprint = tuple[tuple[str, int, int], ...]


def content_version(directory: Path) -> str:
    """A short hash of the knowledge base's files: which version is in service."""
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*")):
        if path.suffix in (".yaml", ".txt") and path.is_file():
            digest.update(path.name.encode() + b"\0")
            try:
                digest.update(path.read_bytes())
            except OSError:
                continue
    return digest.hexdigest()[:12]


def _fingerprint(directory: Path) -> Fingerprint:
    entries = []
    for path in sorted(directory.glob("*")):
        if path.suffix in (".yaml", ".txt"):
            try:
                stat = path.stat()
            except OSError:
                continue
            entries.append((path.name, stat.st_mtime_ns, stat.st_size))
    return tuple(entries)


class Reloader:
    """Serves the newest valid engine for a knowledge-base directory.

    >>> reloader = Reloader(Path("intents"))
    >>> reloader.engine.answer("hello").intent
    'smalltalk.greeting'
    """

    def __init__(
        self,
        directory: Path,
        engine: Engine | None = None,
        *,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        **options: Any,
    ) -> None:
        self.directory = directory
        self.interval = interval
        self.clock = clock
        self.options = options
        self._fingerprint = _fingerprint(directory)
        self._engine = engine if engine is not None else Engine.load(directory, **options)
        self._checked = clock()
        self._forced = threading.Event()
        self._lock = threading.Lock()
        self.generation = 0
        #: A short hash of the files of the knowledge base in service.
        self.version = content_version(directory)

    @property
    def engine(self) -> Engine:
        """The engine in service (after a poll for changes)."""
        self.poll()
        return self._engine

    @property
    def current(self) -> Engine:
        """The engine in service, without polling."""
        return self._engine

    def poll(self) -> bool:
        """Reload if the files changed (or SIGHUP asked); True when a new engine took over."""
        now = self.clock()
        if not self._forced.is_set() and now - self._checked < self.interval:
            return False
        self._checked = now
        fingerprint = _fingerprint(self.directory)
        if fingerprint == self._fingerprint and not self._forced.is_set():
            return False
        self._forced.clear()
        return self.reload(fingerprint)

    def reload(self, fingerprint: Fingerprint | None = None) -> bool:
        """Build a new engine now; keep the old one if the files do not pass the checks."""
        with self._lock:
            fingerprint = fingerprint or _fingerprint(self.directory)
            try:
                engine = Engine.load(self.directory, **self.options)
            except CatalogError as exc:
                self._fingerprint = fingerprint  # do not retry until the files change again
                log.error(
                    "knowledge base in %s not reloaded, the previous one keeps serving:\n%s",
                    self.directory,
                    "\n".join(f"  {p}" for p in exc.problems),
                )
                return False
            except Exception:  # a fault the checks missed must not take answering down
                self._fingerprint = fingerprint
                log.exception(
                    "knowledge base in %s not reloaded, the previous one keeps serving",
                    self.directory,
                )
                return False
            self._engine = engine
            self._fingerprint = fingerprint
            self.version = content_version(self.directory)
            self.generation += 1
            log.info(
                "knowledge base reloaded from %s (%d intents)", self.directory, len(engine.intents)
            )
            return True

    def install_sighup(self) -> None:
        """Reload on ``SIGHUP`` (at the next question), where the platform has it."""
        if hasattr(signal, "SIGHUP") and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGHUP, lambda *_: self._forced.set())
