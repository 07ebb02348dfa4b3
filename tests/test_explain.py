"""Seeing why: ``Engine.explain``, ``ask --explain`` and ``/why`` in the console."""

from __future__ import annotations

import io
import json
import subprocess
import sys

from bot import Engine
from bot.serve.console import run_console


def test_a_near_miss_is_explained_by_the_verifier(engine: Engine) -> None:
    why = engine.explain("When was TURKPA founded?")
    assert why.answer_kind == "partial" and why.answer_intent is None
    top = why.candidates[0]
    assert top.intent == "turkic.turkpa" and top.score >= why.threshold
    assert top.verdict.startswith("refused") and "date" in top.verdict
    assert why.frame["asks"] == [["date", "month", "year"]]


def test_an_answer_is_explained_by_its_candidates(engine: Engine) -> None:
    why = engine.explain("Türkiye Kazakistan'a ne kadar yatırım yaptı?")
    assert (why.lang, why.answer_kind, why.answer_intent) == ("tr", "answer", "investment.turkish")
    assert why.candidates[0].intent == "investment.turkish"
    assert why.candidates[0].verdict == "answers"
    assert [c.score for c in why.candidates] == sorted(
        (c.score for c in why.candidates), reverse=True
    )


def test_a_long_message_shows_the_part_read(engine: Engine) -> None:
    message = (
        "Hi! I'm a student writing a report for school and my teacher is strict. "
        "When was the strategic partnership agreement signed? Thanks!"
    )
    why = engine.explain(message)
    assert why.read != message and "strategic partnership" in why.read
    assert why.answer_intent == "relations.strategic_partnership"
    assert "decision: answer relations.strategic_partnership" in why.format()


def test_ask_explain_as_json() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", "--explain", "who is the biggest investor?"],
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr.decode()
    answer = json.loads(result.stdout)
    explained = answer["explain"]
    assert explained["answer_kind"] == answer["kind"]
    assert {"intent", "score", "lang", "verdict"} <= set(explained["candidates"][0])


def test_why_in_the_console_explains_the_last_turn(engine: Engine) -> None:
    out = io.StringIO()
    lines = "/why\nHow much did Turkey export to Kazakhstan?\nand imports?\n/why\n"
    run_console(engine, stdin=io.StringIO(lines), stdout=out)
    shown = out.getvalue().splitlines()
    assert len(shown) == 4
    assert "Nothing asked yet" in shown[0]
    # The follow-up is explained as the conversation read it: after the question before.
    assert "'and imports?'" in shown[3] and "1. trade.imports" in shown[3]


def test_why_as_json_in_the_console(engine: Engine) -> None:
    out = io.StringIO()
    run_console(engine, as_json=True, stdin=io.StringIO("hello\n/why\n"), stdout=out)
    answer, why = (json.loads(line) for line in out.getvalue().splitlines())
    assert answer["intent"] == "smalltalk.greeting"
    assert why["candidates"][0] == {
        "intent": "smalltalk.greeting",
        "score": why["candidates"][0]["score"],
        "lang": "en",
        "verdict": "small talk",
    }


def test_the_examples_in_the_docstrings_hold() -> None:
    import doctest

    import bot.dialogue.explain
    import bot.match.ranker

    for module in (bot.dialogue.explain, bot.match.ranker):
        failed, tried = doctest.testmod(module)
        assert tried and not failed, module.__name__


def test_why_says_when_the_conversation_read_a_follow_up(engine: Engine) -> None:
    out = io.StringIO()
    run_console(engine, stdin=io.StringIO("what is TURKPA?\nwho founded it?\n/why\n"), stdout=out)
    _, answered, why = out.getvalue().splitlines()
    assert "TURKPA" in answered
    assert "read as a follow-up of 'what is TURKPA?'" in why
    assert "decision: answer turkic.turkpa" in why
