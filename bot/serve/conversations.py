"""Conversations: the turn every front end runs, wired once.

A turn is: pick up an edited knowledge base when live reload is on (in a
worker thread, so the event loop never waits for a load), take the chat's lock (in this process, then in the store, which
other processes share), load its state, restore a :class:`~bot.Session` on
the engine in service (the newest valid knowledge base, when live reload is
on), let the front end's request run on it (a question, a button, a
command), commit the new state together with the update's id, and hand the
answer to the front end to deliver, still under the lock, so one chat's
replies go out in the order of its messages. Misses (declined and unclear
questions) go to the log here too.

A store that fails never stops an answer: the turn goes on from a fresh
state or without saving, and the failure is logged and counted. An update
committed before (Telegram delivers again what it was not sure we got) is
not answered again. The console, Telegram and any new front end differ only
in how they read input and render the answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from bot.dialogue import Answer, Engine, MissRecorder, Session
from bot.serve.reload import Reloader
from bot.serve.stores import Commit, Saved, Store, StoreError, holding

__all__ = ["Conversations", "Observer", "Turn"]

_LOGGER = logging.getLogger(__name__)

#: What a front end asks of a session in one turn.
Request = Callable[[Session], Answer]


@dataclass(frozen=True, slots=True)
class Turn:
    """One turn's outcome: the answer and the session it came from."""

    answer: Answer
    session: Session


class Observer(Protocol):
    """What a turn reports, for metrics (:class:`bot.serve.metrics.Metrics` is one)."""

    def store_failed(self, operation: str) -> None: ...

    def lock_waited(self, seconds: float) -> None: ...


class Conversations:
    """Every chat's conversation, kept in a :class:`~bot.serve.stores.Store`.

    >>> from bot.serve.stores import MemoryStore
    >>> conversations = Conversations(Engine.load(), MemoryStore())
    >>> conversations.turn_now("chat-1", lambda s: s.ask("trade volume 2016")).answer.intent
    'trade.volume'
    """

    def __init__(
        self,
        engine: Engine | Reloader,
        store: Store,
        *,
        misses: MissRecorder | None = None,
        clock: Callable[[], float] = time.time,
        lock_ttl: float = 5.0,
        lock_wait: float = 5.0,
        observer: Observer | None = None,
    ) -> None:
        self._source = engine
        self.store = store
        self.misses = misses
        self.clock = clock
        self.lock_ttl = lock_ttl
        self.lock_wait = lock_wait
        self.observer = observer
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @property
    def engine(self) -> Engine:
        """The engine in service: the newest valid knowledge base when live reload is on."""
        source = self._source
        return source.engine if isinstance(source, Reloader) else source

    async def refresh(self) -> None:
        """Pick up an edited knowledge base, when live reload is on and a check is due.

        The check and the load run in a worker thread (a load takes a fraction
        of a second, a large knowledge base seconds): the event loop answers
        other chats meanwhile, and this turn is answered by what it finds (a
        check already running in another thread is waited for the same way).
        """
        source = self._source
        if isinstance(source, Reloader) and (source.due or source.checking):
            await asyncio.to_thread(source.poll)

    def session(self, state: Mapping[str, Any] | None) -> Session:
        """A session on the engine in service, restored from ``state``."""
        return Session(self.engine, state, clock=self.clock, misses=self.misses)

    async def turn(
        self,
        chat: str,
        request: Request,
        *,
        lang: str | None = None,
        force_lang: bool = False,
        update: str | None = None,
        deliver: Callable[[Turn], Awaitable[None]] | None = None,
        offload: bool = False,
        ttl: float | None = None,
        outbox: Callable[[Turn], str] | None = None,
        checked: bool = False,
    ) -> Turn | None:
        """Run one turn of ``chat``'s conversation; turns of one chat run one at a time, in order.

        ``lang`` sets the language of a new conversation (of any, with
        ``force_lang``: the user's Telegram language on /start). ``update``
        (the id of what the front end received) makes it answered once:
        ``None`` comes back for an update committed before. ``deliver`` sends
        the answer once the turn is committed, still holding the chat's lock.
        ``offload`` runs the request in a worker thread, for a front end that
        knows it is slow (a long message takes tens of milliseconds), so the
        event loop keeps serving other chats meanwhile. ``ttl`` forgets the
        conversation after that many idle seconds. ``outbox`` renders the reply
        to keep with the commit until it is delivered, so that a process dying
        between the two leaves it for whoever gets the update again (see
        :meth:`~bot.serve.stores.Store.pending`). ``checked`` says the front end
        has just looked the update up itself (the commit still refuses a
        duplicate). Raises :class:`~bot.serve.stores.ChatBusy` when another process holds
        the chat for longer than ``lock_wait``.
        """
        await self.refresh()
        async with self.lock(chat):
            if (
                update is not None
                and not checked
                and await self._safely("processed", self.store.processed(update))
            ):
                return None
            started = asyncio.get_running_loop().time()
            async with holding(self.store, chat, ttl=self.lock_ttl, wait=self.lock_wait):
                if self.observer is not None:
                    self.observer.lock_waited(asyncio.get_running_loop().time() - started)
                turn = await self._commit(
                    chat, request, lang, force_lang, update, offload, ttl, outbox
                )
                if turn is not None and deliver is not None:
                    await deliver(turn)
                    if update is not None and outbox is not None:
                        await self._safely("delivered", self.store.delivered(update))
                return turn

    async def _commit(
        self,
        chat: str,
        request: Request,
        lang: str | None,
        force_lang: bool,
        update: str | None,
        offload: bool,
        ttl: float | None,
        outbox: Callable[[Turn], str] | None,
    ) -> Turn | None:
        """Load, run, commit; once more if the chat changed meanwhile (a lock that expired)."""
        for _ in range(2):
            saved = await self._safely("load", self.store.load(chat)) or Saved(None, -1)
            state = saved.state
            if lang is not None and (force_lang or state is None):
                state = {**(state or {}), "lang": lang}
            session = self.session(state)
            _warn_if_reset(chat, state, session)
            answer = await asyncio.to_thread(request, session) if offload else request(session)
            if saved.version < 0:  # the store could not be read: answer, do not overwrite
                return Turn(answer, session)
            reply = outbox(Turn(answer, session)) if outbox is not None and update else None
            outcome = await self._safely(
                "commit",
                self.store.commit(
                    chat,
                    session.state,
                    version=saved.version,
                    update=update,
                    ttl=ttl,
                    outbox=reply,
                ),
            )
            if outcome is Commit.DUPLICATE:
                return None
            if outcome is not Commit.CONFLICT:  # done, or a failed store: answer anyway
                return Turn(answer, session)
            _LOGGER.warning("chat %s changed during a turn; running the turn again", chat)
        return Turn(answer, session)

    async def _safely(self, operation: str, call: Awaitable[Any]) -> Any:
        """The store's answer, or ``None`` (logged and counted) when the store fails."""
        try:
            return await call
        except StoreError as exc:
            _LOGGER.error("the store failed (%s): %s", operation, exc)
            if self.observer is not None:
                self.observer.store_failed(operation)
            return None

    def turn_now(
        self,
        chat: str,
        request: Request,
        *,
        lang: str | None = None,
        force_lang: bool = False,
        update: str | None = None,
    ) -> Turn | None:
        """:meth:`turn` for a front end without an event loop (the console).

        Each call runs on a loop of its own, so use it with a store that keeps
        no connection to a loop (memory, SQLite).
        """
        return asyncio.run(
            self.turn(chat, request, lang=lang, force_lang=force_lang, update=update)
        )

    def state_now(self, chat: str) -> dict[str, Any] | None:
        """The chat's saved state, for a front end without an event loop."""
        return asyncio.run(self.store.load(chat)).state

    def lock(self, chat: str) -> asyncio.Lock:
        """The lock that keeps one chat's turns in order within this process."""
        lock = self._locks.get(chat)
        if lock is None:
            lock = self._locks[chat] = asyncio.Lock()
        return lock


def _warn_if_reset(chat: str, state: Mapping[str, Any] | None, session: Session) -> None:
    """Say so when a saved state had fields of the wrong shape (the session dropped them)."""
    if not state:
        return
    kept = session.state
    reset = sorted(key for key, value in state.items() if kept.get(key) != value)
    if reset:
        _LOGGER.warning(
            "the saved state of chat %s had fields of the wrong shape (%s); they were reset",
            chat,
            ", ".join(reset[:8]),
        )
