"""Checks beyond loading: translations complete, every phrase finds its own intent."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

from bot.dialogue import Engine
from bot.kb import Problem
from bot.lang.messages import DOMAIN

__all__ = ["check_locales", "check_self_match"]


def check_locales(directory: Path, languages: tuple[str, ...] = ("en", "tr")) -> list[Problem]:
    """Every message of the template translated, in every language but English (the source)."""
    problems: list[Problem] = []
    template = directory / f"{DOMAIN}.pot"
    if not template.is_file():
        return [Problem(str(template), 0, "the message template is missing")]
    try:
        with template.open("rb") as handle:
            wanted = {m.id: m.lineno for m in read_po(handle) if m.id}
    except Exception as exc:  # babel raises various errors on broken files
        return [Problem(str(template), 0, f"cannot read: {exc}")]
    for lang in (code for code in languages if code != "en"):
        po_path = directory / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        if not po_path.is_file():
            problems.append(Problem(str(po_path), 0, "the catalogue is missing"))
            continue
        try:
            with po_path.open("rb") as handle:
                catalog = read_po(handle, locale=lang)
        except Exception as exc:
            problems.append(Problem(str(po_path), 0, f"cannot read: {exc}"))
            continue
        for message_id in wanted:
            message = catalog.get(message_id)
            if message is None:
                problems.append(
                    Problem(str(po_path), 0, f"missing translation of {str(message_id)[:50]!r}")
                )
            elif not message.string or message.fuzzy:
                state = "fuzzy" if message.fuzzy else "empty"
                problems.append(
                    Problem(
                        str(po_path),
                        message.lineno or 0,
                        f"{state} translation of {str(message_id)[:50]!r}",
                    )
                )
    return problems


def check_self_match(engine: Engine) -> list[Problem]:
    """Every phrase must be answered by its own intent; a clash is a curation problem.

    A phrase must rank its own intent first, be answered by it (not land in a
    clarification), and be covered by its fact card: a phrase asking "where"
    of an intent whose answer names no place teaches the bot a question the
    document does not answer.
    """
    problems: list[Problem] = []
    for intent in engine.intents:
        for lang in engine.codes:
            for phrase in intent.phrases[lang]:
                found = _self_match(engine, intent.id, phrase, lang)
                if found:
                    message = f"{intent.id}: phrase {phrase!r} ({lang}) {found}"
                    problems.append(Problem(intent.file, intent.line, message))
    return problems


def _self_match(engine: Engine, intent_id: str, phrase: str, lang: str) -> str:
    """What is wrong with one phrase of an intent ("" when nothing is)."""
    ranking = engine.rank(phrase, limit=5)
    if not ranking or ranking[0].intent != intent_id:
        return f"matches {ranking[0].intent if ranking else 'nothing'}"
    answer = engine.decide(phrase, lang, ranking)
    if answer.kind == "clarify":
        others = ", ".join(c.intent for c in answer.choices if c.intent != intent_id)
        return f"lands in a clarification with {others}"
    frame = engine.frame(phrase, lang)
    reason = engine.verifier.check(frame, intent_id) if engine.verifier and frame else None
    if reason is not None:
        return f"asks what its answer does not give ({reason}): reword it or drop it"
    if answer.intent != intent_id:
        return f"is answered by {answer.intent or answer.kind}"
    return ""
