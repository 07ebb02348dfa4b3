"""The three changes people most want, each made without touching the rest of the code.

- another ranker: any object with ``rank(text, *, context, limit)``, passed as ``ranker=``;
- another language: a knowledge base that lists it (and, optionally, a ``Language``);
- another front end: a few lines on :class:`bot.serve.conversations.Conversations`.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot import Answer, Engine, FuzzyRanker, Match, Session
from bot.kb import load_catalog
from bot.lang import Language
from bot.lang.en import LANGUAGE as ENGLISH
from bot.serve.conversations import Conversations
from bot.serve.stores import MemoryStore
from bot.tools.eval import evaluate, load_cases

FIXTURES = Path(__file__).parent / "fixtures"
SMALL = FIXTURES / "kb"
OTHER_PAIR = FIXTURES / "kb_de_fr"

# -- another ranker ---------------------------------------------------------------


def test_a_second_ranker_runs_through_the_same_evaluation() -> None:
    catalog = load_catalog(SMALL)
    engine = Engine(catalog, ranker=FuzzyRanker(catalog), threshold=80)
    cases = load_cases([FIXTURES / "eval_small.yaml"], known={i.id for i in catalog.intents})
    report = evaluate(engine, cases, with_loo=True)
    # Every question was ranked by the fuzzy ranker and decided by the same policy.
    assert all(o.answer.ranking for o in report.outcomes if o.case.question != "")
    assert report.outcomes[0].got == "trade.volume"  # an exact phrase scores 100
    right = sum(o.correct for o in report.outcomes)
    assert report.summary()["accuracy"] == right / len(cases)
    assert report.loo == {}  # leave-one-out needs a ranker that can hold a phrase out
    assert {row["threshold"] for row in report.sweep} >= {80.0}


def test_any_object_with_rank_is_a_ranker() -> None:
    @dataclass
    class Always:
        intent: str

        def rank(self, text: str, *, context: str = "", limit: int = 5) -> list[Match]:
            return [Match(self.intent, 99.0, "en")]

    engine = Engine(load_catalog(SMALL), ranker=Always("education.students"))
    assert engine.answer("anything at all").intent == "education.students"
    session = Session(engine)
    assert session.ask("and another thing").intent == "education.students"


def test_the_ranker_factory_of_load() -> None:
    engine = Engine.load(SMALL, ranker=FuzzyRanker)
    assert isinstance(engine.ranker, FuzzyRanker)
    assert engine.answer("how big is bilateral trade").intent == "trade.volume"


# -- another language -------------------------------------------------------------


def test_a_knowledge_base_in_two_other_languages_loads_and_answers() -> None:
    engine = Engine.load(OTHER_PAIR)
    assert engine.codes == ("de", "fr") and engine.default_lang == "de"
    german = engine.answer("Wie hoch war das Handelsvolumen?")
    assert (german.intent, german.lang) == ("trade.volume", "de")
    french = engine.answer("Combien la Turquie a-t-elle exporté ?")
    assert (french.intent, french.lang) == ("trade.exports", "fr")
    assert engine.answer("bonjour").intent == "smalltalk.greeting"
    assert engine.answer("le temps à Paris demain").kind == "decline"


def test_values_are_written_in_each_language_by_cldr() -> None:
    engine = Engine.load(OTHER_PAIR)
    volume = engine.intent("trade.volume").answer
    assert "1,96 Milliarden US-Dollar" in volume["de"]
    assert "11–12 Oktober 2012" in volume["de"]
    assert "1,96 milliard dollars des États-Unis" in volume["fr"]
    assert "11–12 octobre 2012" in volume["fr"]
    assert "der 17. Rang" in engine.intent("trade.exports").answer["de"]


def test_a_language_module_changes_only_what_it_says() -> None:
    class French(Language):
        def ordinal(self, number: int) -> str:
            return f"{number}e"

    french = French(code="fr", snowball="french", names=frozenset({"francais", "french"}))
    engine = Engine.load(OTHER_PAIR, languages=[french])
    assert "au 17e rang" in engine.intent("trade.exports").answer["fr"]
    assert engine.languages["fr"] is french


def test_sessions_switch_between_the_knowledge_bases_languages() -> None:
    session = Session(Engine.load(OTHER_PAIR))
    assert session.ask("wie hoch war das handelsvolumen").lang == "de"
    switched = session.ask("/lang fr")
    assert (switched.intent, switched.lang) == ("trade.volume", "fr")
    assert "1,96 milliard" in switched.text
    assert session.ask("deutsch").lang == "de"  # the language's own name asks for it


def test_a_language_babel_does_not_know_is_a_clear_error(tmp_path: Path) -> None:
    from bot import CatalogError

    kb = tmp_path / "kb"
    kb.mkdir()
    for name in ("kb.yaml", "lexicon.yaml", "source.txt"):
        text = (OTHER_PAIR / name).read_text(encoding="utf-8")
        (kb / name).write_text(text.replace("[de, fr]", "[de, qq]"), encoding="utf-8")
    with pytest.raises(CatalogError, match="'qq' is not a language Babel knows"):
        load_catalog(kb)


def test_english_is_data_plus_two_methods() -> None:
    assert ENGLISH.ordinal(22) == "22nd" and ENGLISH.ordinal(13) == "13th"
    assert ENGLISH.lexicon_root("increase") == "increas"
    assert ENGLISH.stem("exports") == "export"


# -- another front end ------------------------------------------------------------


def json_lines_front_end(conversations: Conversations, lines: list[str]) -> list[str]:
    """A whole front end: a JSON line per message in, a JSON line per answer out."""
    out = []
    for line in lines:
        message = json.loads(line)
        turn = asyncio.run(
            conversations.turn(
                message["chat"],
                lambda session, text=message["text"]: session.ask(text),
                update=f"{message['chat']}:{message['id']}",
            )
        )
        if turn is not None:
            out.append(json.dumps(turn.answer.to_dict(), ensure_ascii=False))
    return out


def test_a_front_end_is_a_few_lines_on_conversations() -> None:
    misses: list[Answer] = []

    class Misses:
        def record(self, answer: Answer) -> None:
            misses.append(answer)

    conversations = Conversations(Engine.load(SMALL), MemoryStore(), misses=Misses())
    replies = json_lines_front_end(
        conversations,
        [
            json.dumps({"chat": "a", "id": 1, "text": "what was the trade volume"}),
            json.dumps({"chat": "b", "id": 1, "text": "ihracat ne kadar"}),
            json.dumps({"chat": "a", "id": 2, "text": "value of exports"}),
            json.dumps({"chat": "a", "id": 2, "text": "value of exports"}),  # delivered twice
            json.dumps({"chat": "a", "id": 3, "text": "weather in almaty tomorrow"}),
        ],
    )
    answers = [json.loads(r) for r in replies]
    assert [a["intent"] for a in answers] == [
        "trade.volume",
        "trade.exports",
        "trade.exports",
        None,
    ]
    assert answers[1]["lang"] == "tr"
    assert [m.question for m in misses] == ["weather in almaty tomorrow"]
    assert conversations.state_now("a")["intent"] == "trade.exports"  # type: ignore[index]
