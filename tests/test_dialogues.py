"""Conversations written as YAML dialogues, run through the console's own turn logic.

Each turn names what must happen: an intent (or ``decline``), the reply's
language, and optionally the kind of reply and the choices offered.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import Engine
from bot.serve.console import Console

DIALOGUES = sorted((Path(__file__).parent / "dialogues").glob("*.yaml"))


def load() -> list[dict[str, Any]]:
    dialogues: list[dict[str, Any]] = []
    for path in DIALOGUES:
        dialogues += yaml.safe_load(path.read_text(encoding="utf-8"))
    return dialogues


def check_turn(console: Console, turn: dict[str, Any]) -> str | None:
    answer = console.turn(turn["say"])
    assert answer is not None
    expected = turn.get("intent")
    got = answer.intent or ("decline" if answer.kind == "decline" else answer.kind)
    problems = []
    if expected is not None and got != expected:
        problems.append(f"intent {got} ({answer.kind}, {answer.score}), expected {expected}")
    if "lang" in turn and answer.lang != turn["lang"]:
        problems.append(f"lang {answer.lang}, expected {turn['lang']}")
    if "kind" in turn and answer.kind != turn["kind"]:
        problems.append(f"kind {answer.kind}, expected {turn['kind']}")
    if "choices" in turn:
        offered = [c.intent for c in answer.choices]
        missing = [c for c in turn["choices"] if c not in offered]
        if missing:
            problems.append(f"choices {offered}, expected to include {missing}")
    return "; ".join(problems) or None


def run(engine: Engine, dialogue: dict[str, Any]) -> list[str]:
    console = Console(engine)
    failures = []
    for number, turn in enumerate(dialogue["turns"], 1):
        problem = check_turn(console, turn)
        if problem:
            failures.append(f"turn {number} {turn['say']!r}: {problem}")
    return failures


def test_there_are_enough_dialogues() -> None:
    dialogues = load()
    assert len(dialogues) >= 30
    assert len({d["name"] for d in dialogues}) == len(dialogues), "names must be unique"


def cases() -> list[Any]:
    """Dialogues as test cases; a known limitation is a strict xfail, so fixing it shows."""
    return [
        pytest.param(
            d,
            id=d["name"],
            marks=[pytest.mark.xfail(reason=d["known_limitation"], strict=True)]
            if "known_limitation" in d
            else [],
        )
        for d in load()
    ]


@pytest.mark.parametrize("dialogue", cases())
def test_dialogue(engine: Engine, dialogue: dict[str, Any]) -> None:
    failures = run(engine, dialogue)
    assert not failures, "\n".join(failures)


def turn_accuracy(engine: Engine) -> float:
    """Share of turns right across all dialogues (reported in the closing note)."""
    right = total = 0
    for dialogue in load():
        console = Console(engine)
        for turn in dialogue["turns"]:
            total += 1
            right += check_turn(console, turn) is None
    return right / total
