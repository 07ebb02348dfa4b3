"""Conversations: the turn every front end runs, wired once.

A turn is: take the chat's lock, load its state from the store, restore a
:class:`~bot.Session` on the engine in service (the newest valid knowledge
base, when live reload is on), let the front end's request run on it (a
question, a button, a command), save the new state, and hand back the
answer. Misses (declined and unclear questions) go to the log here too.
The console, Telegram and any new front end differ only in how they read
input and render the answer.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.dialogue import Answer, Engine, MissRecorder, Session
from bot.serve.reload import Reloader
from bot.serve.stores import StateStore

__all__ = ["LAST_MESSAGE", "Conversations", "Turn"]

#: Kept in each chat's state beside the session's own data: the last message answered
#: (the name the first Telegram release gave it, so saved chats keep it on upgrade).
LAST_MESSAGE = "telegram_last_message_id"

#: What a front end asks of a session in one turn.
Request = Callable[[Session], Answer]


@dataclass(frozen=True, slots=True)
class Turn:
    """One turn's outcome: the answer and the session it came from."""

    answer: Answer
    session: Session


class Conversations:
    """Every chat's conversation, kept in a :class:`~bot.serve.stores.StateStore`.

    >>> from bot.serve.stores import MemoryStore
    >>> conversations = Conversations(Engine.load(), MemoryStore())
    >>> conversations.turn_now("chat-1", lambda s: s.ask("trade volume 2016")).answer.intent
    'trade.volume'
    """

    def __init__(
        self,
        engine: Engine | Reloader,
        store: StateStore,
        *,
        misses: MissRecorder | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._source = engine
        self.store = store
        self.misses = misses
        self.clock = clock
        self._locks: weakref.WeakValueDictionary[Any, asyncio.Lock] = weakref.WeakValueDictionary()
        self._sync_lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        """The engine in service: the newest valid knowledge base when live reload is on."""
        source = self._source
        return source.engine if isinstance(source, Reloader) else source

    def session(self, state: Mapping[str, Any] | None) -> Session:
        """A session on the engine in service, restored from ``state``."""
        return Session(self.engine, state, clock=self.clock, misses=self.misses)

    async def turn(
        self,
        chat: Any,
        request: Request,
        *,
        lang: str | None = None,
        force_lang: bool = False,
        message_id: int | None = None,
        before: Callable[[], Awaitable[None]] | None = None,
        deliver: Callable[[Turn], Awaitable[None]] | None = None,
    ) -> Turn | None:
        """Run one turn of ``chat``'s conversation; turns of one chat run one at a time, in order.

        ``lang`` sets the language of a new conversation (of any, with
        ``force_lang``: the user's Telegram language on /start); ``message_id`` (a
        number that grows with each message) makes a message delivered twice
        answered once: ``None`` comes back for one answered before.
        ``before`` is awaited once the turn is sure to be answered;
        ``deliver`` sends the answer, still holding the chat's lock, so one
        chat's replies go out in the order of its messages.
        """
        async with self.lock(chat):
            state = await asyncio.to_thread(self.store.load, chat)
            if _seen(state, message_id):
                return None
            if before is not None:
                await before()
            turn, saved = self._run(state, request, lang, force_lang, message_id)
            # Saved before the answer is sent: a message is answered at most once.
            await asyncio.to_thread(self.store.save, chat, saved)
            if deliver is not None:
                await deliver(turn)
            return turn

    def turn_now(
        self,
        chat: Any,
        request: Request,
        *,
        lang: str | None = None,
        force_lang: bool = False,
        message_id: int | None = None,
    ) -> Turn | None:
        """:meth:`turn` for a front end without an event loop (the console)."""
        with self._sync_lock:
            state = self.store.load(chat)
            if _seen(state, message_id):
                return None
            turn, saved = self._run(state, request, lang, force_lang, message_id)
            self.store.save(chat, saved)
            return turn

    def _run(
        self,
        state: dict[str, Any] | None,
        request: Request,
        lang: str | None,
        force_lang: bool,
        message_id: int | None,
    ) -> tuple[Turn, dict[str, Any]]:
        if lang is not None and (force_lang or state is None):
            state = {**(state or {}), "lang": lang}
        session = self.session(state)
        answer = request(session)
        saved = dict(session.state)
        last = message_id if message_id is not None else _last_message(state)
        if last >= 0:
            saved[LAST_MESSAGE] = last
        return Turn(answer, session), saved

    def lock(self, chat: Any) -> asyncio.Lock:
        """The lock that keeps one chat's turns in order."""
        lock = self._locks.get(chat)
        if lock is None:
            lock = self._locks[chat] = asyncio.Lock()
        return lock


def _last_message(state: Mapping[str, Any] | None) -> int:
    value = (state or {}).get(LAST_MESSAGE)
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def _seen(state: Mapping[str, Any] | None, message_id: int | None) -> bool:
    """A message Telegram delivers again after a restart: answered already."""
    return message_id is not None and message_id <= _last_message(state)
