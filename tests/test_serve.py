"""What every front end shares: the decision policy, rendering per medium, the conversation turn."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot import Answer, Engine, Match, Policy, Session
from bot.dialogue import decide
from bot.serve import render
from bot.serve.conversations import Conversations, Turn
from bot.serve.stores import Commit, MemoryStore, Saved, StoreError

SMALL = Path(__file__).parent / "fixtures" / "kb"


def ranking(*scores: float) -> list[Match]:
    return [Match(f"i{n}", s, "en") for n, s in enumerate(scores)]


def test_the_policy_answers_asks_or_declines() -> None:
    policy = Policy(threshold=50, margin=2, guess_floor=35)
    assert decide(ranking(80, 60), policy).verdict == "answer"
    assert decide(ranking(80, 79, 78.5, 78.1), policy).intents == ("i0", "i1", "i2")
    assert decide(ranking(80, 79), policy).verdict == "clarify"
    assert decide(ranking(49), policy).intents == ("i0",)  # declined, with a guess
    assert decide(ranking(30), policy).intents == ()  # too weak to offer
    assert decide([], policy).verdict == "decline"
    assert decide(ranking(80, 79), Policy(margin=0)).verdict == "answer"


@pytest.fixture(scope="module")
def small() -> Engine:
    return Engine.load(SMALL, threshold=40.0, margin=100.0)


def test_clarifications_are_numbered_in_the_console_and_buttons_in_a_chat(small: Engine) -> None:
    answer = small.answer("ne kadar")
    assert answer.kind == "clarify" and len(answer.choices) >= 2
    console = render.for_console(answer, small.gettext)
    for number, choice in enumerate(answer.choices, 1):
        assert f"{number}. {choice.text}" in console
    chat = render.for_chat(answer, small.gettext)
    assert chat == answer.text  # the choices are the buttons; the text does not repeat them


def test_a_decline_offers_questions(engine: Engine) -> None:
    answer = engine.answer("what is the weather in Paris tomorrow?")
    console = render.for_console(answer, engine.gettext)
    assert "You could ask:" in console and f"1. {answer.suggestions[0].text}" in console
    assert render.for_chat(answer, engine.gettext).endswith("You could ask:")
    assert answer.text == engine.gettext(
        "Sorry, I don't have an answer to that. I can only answer questions about the relations "
        "between Turkey and Kazakhstan, as described by the Turkish Ministry of Foreign Affairs.",
        "en",
    )


def test_related_questions_only_where_there_is_room(small: Engine) -> None:
    answer = Engine.load(SMALL).answer("what was the trade volume")
    with_related = render.for_console(answer, small.gettext)
    assert "Related questions (type a number):" in with_related
    assert render.for_console(answer, small.gettext, related=False) == answer.text
    assert render.one_line("a\n\n  b \n") == "a b"


def test_topics_and_sources(engine: Engine) -> None:
    session = Session(engine)
    topics = session.ask("/topics")
    console = render.for_console(topics, engine.gettext)
    assert all(group.title in console for group in topics.topics)
    assert topics.topics[0].choices[0].text not in render.for_chat(topics, engine.gettext)
    session.ask("How much did Turkey export to Kazakhstan?")
    source = session.ask("/source")
    assert f"“{source.source[0]}”" in render.for_chat(source, engine.gettext)


# -- the turn -------------------------------------------------------------------


def ask(text: str) -> Callable[[Session], Answer]:
    return lambda session: session.ask(text)


def test_a_turn_loads_runs_and_saves() -> None:
    store = MemoryStore()
    conversations = Conversations(Engine.load(SMALL), store)
    turn = conversations.turn_now("7", ask("ihracat ne kadar"))
    assert turn is not None and turn.answer.intent == "trade.exports"
    saved = asyncio.run(store.load("7"))
    assert saved.version == 1
    assert saved.state is not None
    assert saved.state["intent"] == "trade.exports" and saved.state["lang"] == "tr"


def test_an_update_delivered_twice_is_answered_once_whatever_order_ids_come_in() -> None:
    conversations = Conversations(Engine.load(SMALL), MemoryStore())
    first = conversations.turn_now("1", ask("hello"), update="10")
    again = conversations.turn_now("1", ask("hello"), update="10")
    late = conversations.turn_now("1", ask("hello"), update="9")  # older, but never answered
    assert first is not None and again is None and late is not None
    assert conversations.turn_now("1", ask("merhaba")) is not None  # no id: always answered


class FailingStore(MemoryStore):
    """A store whose every operation fails, as a full disk or a lost Redis does."""

    async def load(self, chat: str) -> Saved:
        raise StoreError("disk full")

    async def commit(
        self, chat: str, state: Any, *, version: int, update: str | None = None
    ) -> Commit:
        raise StoreError("disk full")

    async def processed(self, update: str) -> bool:
        raise StoreError("disk full")

    async def acquire(self, chat: str, token: str, ttl: float) -> bool:
        raise StoreError("disk full")


class FailedOperations:
    """An observer of conversations that notes which store operations failed."""

    def __init__(self) -> None:
        self.operations: list[str] = []

    def store_failed(self, operation: str) -> None:
        self.operations.append(operation)

    def lock_waited(self, seconds: float) -> None:
        pass


def test_a_failing_store_never_stops_an_answer(caplog: pytest.LogCaptureFixture) -> None:
    failures = FailedOperations()
    conversations = Conversations(Engine.load(SMALL), FailingStore(), observer=failures)
    turn = conversations.turn_now("1", ask("what was the trade volume"), update="5")
    assert turn is not None and turn.answer.intent == "trade.volume"
    assert failures.operations == ["processed", "load"]  # nothing read: nothing overwritten
    assert "disk full" in caplog.text


def test_a_store_that_cannot_commit_still_answers() -> None:
    failures = FailedOperations()

    class ReadOnlyStore(MemoryStore):
        async def commit(self, *args: Any, **kwargs: Any) -> Commit:
            raise StoreError("read-only file system")

    conversations = Conversations(Engine.load(SMALL), ReadOnlyStore(), observer=failures)
    turn = conversations.turn_now("1", ask("what was the trade volume"), update="7")
    assert turn is not None and turn.answer.intent == "trade.volume"
    assert failures.operations == ["commit"]


def test_a_state_of_the_wrong_shape_is_reset_and_the_chat_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = MemoryStore()
    conversations = Conversations(Engine.load(SMALL), store)
    bad = {"intent": [], "time": 1e308, "lang": {"x": 1}, "turn": -5, "offered": "abc"}
    asyncio.run(store.commit("1", bad, version=0))
    turn = conversations.turn_now("1", ask("what was the trade volume"))
    assert turn is not None and turn.answer.intent == "trade.volume"
    saved = asyncio.run(store.load("1"))
    assert saved.state is not None and saved.state["intent"] == "trade.volume"
    assert saved.version == 2
    assert "wrong shape (intent, lang, offered, time, turn)" in caplog.text


def test_the_language_of_a_new_conversation() -> None:
    conversations = Conversations(Engine.load(SMALL), MemoryStore())
    seeded = conversations.turn_now("new", lambda s: s.ask("/help"), lang="tr")
    assert seeded is not None and seeded.answer.lang == "tr"
    conversations.turn_now("old", ask("what was the trade volume"))
    kept = conversations.turn_now("old", lambda s: s.ask("/help"), lang="tr")
    assert kept is not None and kept.answer.lang == "en"
    forced = conversations.turn_now("old", lambda s: s.ask("/help"), lang="tr", force_lang=True)
    assert forced is not None and forced.answer.lang == "tr"


def test_one_chats_turns_are_delivered_in_order() -> None:
    conversations = Conversations(Engine.load(SMALL), MemoryStore())
    delivered: list[tuple[str, str]] = []

    async def deliver_slowly(chat: str, turn: Turn) -> None:
        await asyncio.sleep(0.01 if turn.answer.question.endswith("1") else 0)
        delivered.append((chat, turn.answer.question))

    async def main() -> None:
        await asyncio.gather(
            *(
                conversations.turn(
                    chat,
                    ask(f"hello {n}"),
                    deliver=lambda turn, chat=chat: deliver_slowly(chat, turn),
                )
                for n in (1, 2, 3)
                for chat in ("a", "b")
            )
        )

    asyncio.run(main())
    for chat in ("a", "b"):
        assert [q for c, q in delivered if c == chat] == ["hello 1", "hello 2", "hello 3"]


def test_answers_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        Answer("q", "text", None, "en", 0.0, "decline")  # type: ignore[misc]
