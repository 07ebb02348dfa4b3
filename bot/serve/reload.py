"""Live reload: pick up edited ``intents/`` files without a restart.

A :class:`Reloader` holds the engine in service. :meth:`Reloader.poll` (cheap:
a few ``stat`` calls, at most once per interval) notices changed files and
builds a new engine beside the old one; only a knowledge base that passes every
check replaces it. A broken edit is logged with the ``check`` errors, once, and
the previous engine keeps answering, so there is never a moment without
answers; so does any other failure of a reload. ``SIGHUP`` forces a reload.

A reload never reads a file half-saved: the files are read into memory (see
:func:`bot.kb.read_folder`) and loaded from those bytes only when two readings
agree, two taken at once when the files were last written over ``settle``
seconds ago, otherwise this reading and the one at the next check. Called from
an event loop's thread, the check and the load run in a worker thread, so the
loop keeps answering with the engine in service meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.dialogue import Engine
from bot.kb import CatalogError, read_folder
from bot.kb.files import FolderError, Snapshot, knowledge_base_names

__all__ = ["Reloader", "content_version"]

log = logging.getLogger("bot.reload")

#: Each file's name, modification time (ns), size and inode.
Fingerprint = tuple[tuple[str, int, int, int], ...]


def content_version(directory: Path) -> str:
    """A short hash of the knowledge base's files: which version is in service."""
    try:
        return read_folder(directory).version
    except FolderError:
        return ""


def _fingerprint(directory: Path) -> Fingerprint:
    """What ``stat`` says of each file (it never opens one, so never blocks on a FIFO)."""
    try:
        names = knowledge_base_names(directory)
    except OSError:
        return ()
    entries = []
    for name in names:
        try:
            info = os.stat(directory / name)
        except OSError:
            entries.append((name, -1, -1, -1))
            continue
        entries.append((name, info.st_mtime_ns, info.st_size, info.st_ino))
    return tuple(entries)


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class Reloader:
    """Serves the newest valid engine for a knowledge-base directory.

    ``interval`` is the time between two checks of the files (by ``clock``);
    a file written less than ``settle`` seconds ago (by the wall clock; the
    interval by default) may still be being saved, so it is read again at the
    next check before it is loaded.

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
        settle: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        **options: Any,
    ) -> None:
        self.directory = directory
        self.interval = interval
        self.settle = interval if settle is None else settle
        self.clock = clock
        self.options = options
        self._fingerprint = _fingerprint(directory)
        self._engine = engine if engine is not None else Engine.load(directory, **options)
        self._checked = clock()
        self._forced = threading.Event()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        #: A reading waiting for the next check to read the same (a save may be under way).
        self._pending: str | None = None
        #: A version that failed to load: not tried again until the files change.
        self._refused: str | None = None
        self.generation = 0
        #: A short hash of the files of the knowledge base in service.
        self.version = self._engine.catalog.version or content_version(directory)

    @property
    def engine(self) -> Engine:
        """The engine in service, after a poll for changes: in this thread when it runs
        no event loop, in a worker thread (:meth:`poll_soon`) when it does."""
        if _in_event_loop():
            self.poll_soon()
        else:
            self.poll()
        return self._engine

    @property
    def due(self) -> bool:
        """Whether the next :meth:`poll` will look at the files (the interval has passed,
        or SIGHUP asked)."""
        return self._forced.is_set() or self.clock() - self._checked >= self.interval

    @property
    def checking(self) -> bool:
        """Whether a check (and perhaps a load) is running now, in some thread."""
        return self._lock.locked()

    @property
    def current(self) -> Engine:
        """The engine in service, without polling."""
        return self._engine

    def poll(self) -> bool:
        """Reload if the files changed (or SIGHUP asked); True when a new engine took over.

        Runs in the caller's thread (waiting for a check running in another
        one) and never raises: whatever goes wrong is logged, and the engine in
        service stays.
        """
        if not self.due and not self.checking:
            return False
        with self._lock:  # a check running in another thread is waited for
            if not self.due:  # the check waited for was the one due
                return False
            self._checked = self.clock()
            forced = self._forced.is_set()
            self._forced.clear()
            try:
                fingerprint = _fingerprint(self.directory)
                if fingerprint == self._fingerprint and self._pending is None and not forced:
                    return False
                self._fingerprint = fingerprint
                return self._reload(fingerprint, forced)
            except Exception:  # a fault the checks missed must not take answering down
                self._pending = None
                log.exception(
                    "knowledge base in %s not reloaded, the previous one keeps serving",
                    self.directory,
                )
                return False

    def poll_soon(self) -> None:
        """:meth:`poll` in a worker thread when a check is due; returns at once."""
        if not self.due:
            return
        worker = self._worker
        if worker is not None and worker.is_alive():
            return
        self._worker = threading.Thread(target=self.poll, name="kb-reload", daemon=True)
        self._worker.start()

    def join(self, timeout: float | None = None) -> None:
        """Wait for a check running in a worker thread to finish (for shutdown and tests)."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)

    def reload(self) -> bool:
        """Check the files now, as SIGHUP does; True when a new engine took over."""
        self._forced.set()
        return self.poll()

    def install_sighup(self) -> None:
        """Reload on ``SIGHUP`` (at the next question), where the platform has it."""
        if hasattr(signal, "SIGHUP") and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGHUP, lambda *_: self._forced.set())

    def _reload(self, fingerprint: Fingerprint, forced: bool) -> bool:
        snapshot = self._read()
        if snapshot is None:
            return False
        version = snapshot.version
        if version == self.version or (version == self._refused and not forced):
            self._pending = None  # what is in service, or a known failure: nothing new
            return False
        newest = max((mtime for _, mtime, _, _ in fingerprint), default=0) / 1e9
        recent = self.settle > 0 and time.time() - newest < self.settle
        if recent and not forced and version != self._pending:
            self._pending = version
            log.info(
                "knowledge base in %s changed; reading it again at the next check", self.directory
            )
            return False
        again = self._read()
        if again is None or again.version != version:  # changed while being read
            self._pending = again.version if again is not None else None
            log.info(
                "knowledge base in %s is being saved; reading it again at the next check",
                self.directory,
            )
            return False
        self._pending = None
        return self._load(snapshot)

    def _read(self) -> Snapshot | None:
        try:
            return read_folder(self.directory)
        except FolderError as exc:
            log.error(
                "knowledge base in %s not reloaded, the previous one keeps serving: %s",
                self.directory,
                exc,
            )
            return None

    def _load(self, snapshot: Snapshot) -> bool:
        try:
            engine = Engine.load(snapshot, **self.options)
        except CatalogError as exc:
            self._refused = snapshot.version
            log.error(
                "knowledge base in %s not reloaded, the previous one keeps serving:\n%s",
                self.directory,
                "\n".join(f"  {p}" for p in exc.problems),
            )
            return False
        except Exception:  # a fault the checks missed must not take answering down
            self._refused = snapshot.version
            log.exception(
                "knowledge base in %s not reloaded, the previous one keeps serving",
                self.directory,
            )
            return False
        self._engine = engine
        self.version = snapshot.version
        self.generation += 1
        log.info(
            "knowledge base reloaded from %s (%d intents)", self.directory, len(engine.intents)
        )
        return True
