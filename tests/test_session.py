"""Conversations through the Python API: follow-ups, clarification, language, sources."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot import Engine, Session
from bot.serve.misses import MissLog
from bot.tools.misses import top_misses


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_issue_sample_conversation(engine: Engine) -> None:
    session = Session(engine)
    expected = [
        ("What was the trade volume in 2016?", "trade.volume", "en"),
        ("how much of that was exports?", "trade.exports", "en"),
        ("When did the first YDSK meeting happen?", "ydsk.first_meeting", "en"),
        ("and the one after that?", "ydsk.second_meeting", "en"),
        ("Kazakistan'ın Türkiye'deki yatırımları ne kadar?", "investment.kazakh", "tr"),
        ("peki Türkiye'ninkiler?", "investment.turkish", "tr"),
        ("What is the International Turkic Academy?", "turkic.academy", "en"),
        ("bunu Türkçe söyler misin?", "turkic.academy", "tr"),
        ("English please", "turkic.academy", "en"),
    ]
    for question, intent, lang in expected:
        answer = session.ask(question)
        assert (answer.intent, answer.lang) == (intent, lang), question
    assert "1.96 billion" in engine.answer("trade volume 2016").text


def test_context_expires_with_time() -> None:
    clock = Clock()
    engine = Engine.load()
    session = Session(engine, clock=clock)
    assert (
        session.ask("Kazakistan'ın Türkiye'deki yatırımları ne kadar?").intent
        == "investment.kazakh"
    )
    clock.now += 60
    assert session.ask("peki Türkiye'ninkiler?").intent == "investment.turkish"
    clock.now += 3600
    assert session.ask("peki Kazakistan'ınkiler?").intent is None


def test_context_expires_after_a_few_turns(engine: Engine) -> None:
    session = Session(engine)
    session.ask("Kazakistan'ın Türkiye'deki yatırımları ne kadar?")
    for _ in range(3):
        session.ask("what is the weather like")
    assert session.ask("peki Türkiye'ninkiler?").intent is None


def test_unrelated_question_is_not_bent_to_the_old_topic(engine: Engine) -> None:
    session = Session(engine)
    session.ask("What was the trade volume in 2016?")
    assert session.ask("and with Brazil?").intent is None
    assert session.ask("Who hosts the International Turkic Academy?").intent == "turkic.academy"


def test_clarification_picked_by_number_and_by_text() -> None:
    engine = Engine.load(margin=100.0)  # every close pair becomes a question
    session = Session(engine)
    first = session.ask("ydsk toplantısı")
    assert first.kind == "clarify" and len(first.choices) >= 2
    picked = session.ask("2")
    assert picked.intent == first.choices[1].intent
    again = session.ask("ydsk toplantısı")
    by_text = session.ask(again.choices[0].text)
    assert by_text.intent == again.choices[0].intent


def test_button_press_answers_the_choice(engine: Engine) -> None:
    session = Session(engine)
    answer = session.choose("trade.target")
    assert answer.intent == "trade.target"
    assert session.choose("no.such.intent").intent is None


def test_lang_command_switches_and_repeats(engine: Engine) -> None:
    session = Session(engine)
    english = session.ask("Who hosts the International Turkic Academy?")
    turkish = session.ask("/lang tr")
    assert (turkish.intent, turkish.lang) == (english.intent, "tr")
    assert turkish.text == engine.intent("turkic.academy").answer["tr"]
    assert session.ask("/lang").lang == "en"
    assert "lang" in session.ask("/lang xx").text


def test_ambiguous_turn_uses_the_conversation_language(engine: Engine) -> None:
    session = Session(engine)
    session.ask("YDSK ne zaman kuruldu?")
    assert session.ask("TURKPA").lang == "tr"


def test_source_command_quotes_the_document(engine: Engine) -> None:
    session = Session(engine)
    assert session.ask("/source").source == ()
    session.ask("How much did Turkey export to Kazakhstan?")
    source = session.ask("/source")
    assert source.source and source.show_source
    assert any("625 million Dollars exports" in quote for quote in source.source)


def test_topics_lists_everything_in_the_current_language(engine: Engine) -> None:
    session = Session(engine, {"lang": "tr"})
    topics = session.ask("/topics")
    assert topics.kind == "info"
    assert any(group.title.startswith("Ticaret") for group in topics.topics)
    listed = [c for group in topics.topics for c in group.choices]
    assert len(listed) == sum(1 for i in engine.intents if not i.is_smalltalk)
    assert listed == list(topics.offered)


def test_help_and_unknown_command(engine: Engine) -> None:
    session = Session(engine)
    assert "/topics" in session.ask("/help").text
    assert "/help" in session.ask("/frobnicate").text


def test_state_round_trips_through_json(engine: Engine) -> None:
    session = Session(engine)
    session.ask("Kazakistan'ın Türkiye'deki yatırımları ne kadar?")
    saved = json.loads(json.dumps(session.state))
    restored = Session(engine, saved)
    assert restored.lang == "tr"
    assert restored.ask("peki Türkiye'ninkiler?").intent == "investment.turkish"


@pytest.mark.parametrize(
    "state",
    [None, {}, {"lang": "de"}, {"intent": "nope", "turn": -1}, {"choices": "x"}, [1, 2], "junk"],
)
def test_malformed_state_is_ignored_not_trusted(engine: Engine, state: object) -> None:
    session = Session(engine, state)  # type: ignore[arg-type]
    assert session.lang == "en"
    assert session.ask("hello").intent == "smalltalk.greeting"


def test_missed_questions_are_logged_without_identifiers(tmp_path: Path, engine: Engine) -> None:
    log = tmp_path / "misses.jsonl"
    session = Session(engine, misses=MissLog(log))
    for question in [
        "what is the population of almaty",
        "What is the population of Almaty?",
        "hello",
    ]:
        session.ask(question)
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert len(entries) == 2
    assert set(entries[0]) == {"question", "lang", "time", "kind", "guess", "score"}
    ((question, count, _),) = top_misses(log)
    assert count == 2 and "population" in question
    assert (log.stat().st_mode & 0o777) == 0o600


def test_misses_command(tmp_path: Path) -> None:
    import subprocess
    import sys

    log = tmp_path / "misses.jsonl"
    subprocess.run(
        [sys.executable, "-m", "bot", "console", "--log-misses", str(log)],
        input=b"bitcoin price\nbitcoin price?\nhello\n",
        capture_output=True,
        timeout=60,
        check=True,
    )
    with log.open("a") as handle:
        handle.write("not json\n")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "misses", str(log)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert result.stdout.split()[0] == "2"
    assert "bitcoin price" in result.stdout


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("say it in Turkish", "tr"),
        ("Türkçe söyler misin", "tr"),
        ("in english please", "en"),
        ("/lang tr", "tr"),
        # The request in other words, and as a follow-up once "in" marks the language.
        ("could you give me that answer in Turkish", "tr"),
        ("and in Turkish?", "tr"),
        ("Türkçe olarak tekrar eder misin", "tr"),
        ("bu cevabı İngilizce verebilir misin", "en"),
        ("peki İngilizcesi?", "en"),
    ],
)
def test_language_requests_repeat_the_last_answer(engine: Engine, text: str, lang: str) -> None:
    session = Session(engine)
    session.ask("When was the YDSK established?")
    answer = session.ask(text)
    assert (answer.intent, answer.lang, answer.question) == ("ydsk.established", lang, text)


@pytest.mark.parametrize(
    "text",
    [
        "Turkish exports to Kazakhstan",
        "turkish companies",
        "Kazakh investment in Turkey",
        "and what about Turkish investment?",
    ],
)
def test_a_language_name_inside_a_question_is_not_a_request(engine: Engine, text: str) -> None:
    session = Session(engine)
    session.ask("When was the YDSK established?")
    answer = session.ask(text)
    assert answer.intent != "ydsk.established"
    assert answer.lang == "en"
