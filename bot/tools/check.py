"""Checks beyond loading: what a knowledge base teaches the bot, phrase by phrase.

Loading proves a knowledge base is well formed; these checks say whether it
works. Each phrase must be answered by its own intent (not by another one, not
in a clarification), ask only what its answer gives (the fact card), and read
differently from every other intent's phrases. Problems fail ``check``;
*notices* (a phrase that, held out, reads closer to another intent) do not,
but ``check --diff`` shows which ones an edit added.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from babel.messages.pofile import read_po

from bot.dialogue import Engine
from bot.kb import Problem
from bot.lang import tokenize
from bot.lang.messages import DOMAIN
from bot.match.facts import FactCard, Frame

__all__ = ["Findings", "check_engine", "check_locales", "check_self_match"]

#: A held-out phrase whose best other intent scores this much (0-100)...
_CLASH_SCORE = 70.0
#: ...and this much more than its own intent reads as that other intent's question.
_CLASH_GAP = 15.0


@dataclass(frozen=True, slots=True)
class Findings:
    """What ``check`` found: problems fail it, notices do not."""

    problems: tuple[Problem, ...] = ()
    notices: tuple[Problem, ...] = ()


def check_engine(engine: Engine) -> Findings:
    """Every check of a loaded knowledge base: its phrases, one by one."""
    lines = PhraseLines(engine)
    problems = check_self_match(engine, lines) + check_duplicates(engine, lines)
    return Findings(tuple(problems), tuple(check_clashes(engine, lines)))


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


class PhraseLines:
    """The line each phrase is written on, as the loader read it."""

    def __init__(self, engine: Engine) -> None:
        self._lines = {
            (intent.id, lang, text): line
            for intent in engine.intents
            for lang, texts in intent.phrases.items()
            for text, line in zip(texts, intent.phrase_lines.get(lang, ()), strict=False)
        }

    def of(self, engine: Engine, intent_id: str, lang: str, phrase: str) -> Problem:
        """Where a phrase is written, as a problem's place (its intent's line if unknown)."""
        intent = engine.intent(intent_id)
        line = self._lines.get((intent_id, lang, phrase), intent.line)
        return Problem(intent.file, line, "")


def check_self_match(engine: Engine, lines: PhraseLines | None = None) -> list[Problem]:
    """Every phrase must be answered by its own intent; a clash is a curation problem.

    A phrase must rank its own intent first, be answered by it (not land in a
    clarification), and be covered by its fact card: a phrase asking "where"
    of an intent whose answer names no place teaches the bot a question the
    document does not answer.
    """
    lines = lines or PhraseLines(engine)
    problems: list[Problem] = []
    for intent in engine.intents:
        for lang in engine.codes:
            for phrase in intent.phrases[lang]:
                found = _self_match(engine, intent.id, phrase, lang)
                if found:
                    message = f"{intent.id}: phrase {phrase!r} ({lang}) {found}"
                    place = lines.of(engine, intent.id, lang, phrase)
                    problems.append(Problem(place.file, place.line, message))
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
    if reason is not None and frame is not None and engine.verifier is not None:
        card = engine.verifier.facts.card(intent_id)
        return f"{_mismatch(reason, frame, card)}: reword it or drop it"
    if answer.intent != intent_id:
        return f"is answered by {answer.intent or answer.kind}"
    return ""


def _mismatch(reason: str, frame: Frame, card: FactCard) -> str:
    """What a phrase asks that its intent's answer does not give, in a curator's words."""
    if frame.counted is not None and not {frame.counted} & card.counted:
        counts = ", ".join(sorted(t.text for t in card.counted)) or "nothing"
        counted = frame.counted.text
        hint = (
            f" (if every {counted} is one of those, list {counted!r} under that kind in the "
            "lexicon's `kinds`)"
            if frame.counted.kind == "concept"
            else ""
        )
        return f"asks for a count of {counted!r}; its answer counts: {counts}{hint}"
    if frame.years and not frame.years <= card.years:
        years = ", ".join(sorted(card.years)) or "none"
        return f"asks about {', '.join(sorted(frame.years))}; its answer's years: {years}"
    wanted = ", ".join(sorted(frame.wants))
    if reason in ("time", "figure", "place", "person") and wanted:
        kinds = ", ".join(sorted(card.kinds)) or "none"
        return f"asks for a {wanted.replace(', ', ' or ')}; its answer gives: {kinds}"
    missing = sorted(frame.named - card.named - _concepts(card))
    if missing:
        return f"names {', '.join(missing)}, which its answer never mentions"
    return f"asks what its answer does not give ({reason})"


def _concepts(card: FactCard) -> set[str]:
    return {t.text for t in card.vocabulary if t.kind == "concept"}


def check_duplicates(engine: Engine, lines: PhraseLines | None = None) -> list[Problem]:
    """Phrases of two intents that the matcher reads the same: the same terms, each on the
    same side of the relation ("how much has Turkey invested?" in two intents). Whichever
    wins, the other intent never will for that question."""
    lines = lines or PhraseLines(engine)
    ranker = getattr(engine.ranker, "indexes", None)
    if not isinstance(ranker, dict):
        return []
    problems: list[Problem] = []
    for lang, index in ranker.items():
        first: dict[frozenset[int], tuple[str, str]] = {}
        for phrase in index.phrases:
            if phrase.is_answer or not phrase.terms:
                continue
            intent_id = index.intent_ids[phrase.intent]
            text = _written(engine, intent_id, lang, phrase.text)
            seen = first.setdefault(phrase.terms, (intent_id, text))
            if seen[0] != intent_id:
                place = lines.of(engine, intent_id, lang, text)
                message = (
                    f"{intent_id}: phrase {text!r} ({lang}) reads the same as {seen[1]!r} "
                    f"of {seen[0]}: make one of them say what tells them apart"
                )
                problems.append(Problem(place.file, place.line, message))
    return problems


def check_clashes(engine: Engine, lines: PhraseLines | None = None) -> list[Problem]:
    """Notices: phrases that, left out of the index, read as another intent's question.

    Such a phrase is the only thing teaching its intent that wording, and the
    wording belongs to another intent as far as the rest of the knowledge
    base goes: often a phrase pasted under the wrong intent.
    """
    lines = lines or PhraseLines(engine)
    indexes = getattr(engine.ranker, "indexes", None)
    if not isinstance(indexes, dict):
        return []
    notices: list[Problem] = []
    for lang, index in indexes.items():
        for position, phrase in enumerate(index.phrases):
            if phrase.is_answer:
                continue
            scores = index.score(tokenize(phrase.text), exclude=position)
            if not scores:
                continue
            top, best = max(scores.items(), key=lambda kv: kv[1])
            own = scores.get(phrase.intent, 0.0)
            if top == phrase.intent or 100 * best < _CLASH_SCORE:
                continue
            if 100 * (best - own) < _CLASH_GAP:
                continue
            intent_id = index.intent_ids[phrase.intent]
            text = _written(engine, intent_id, lang, phrase.text)
            place = lines.of(engine, intent_id, lang, text)
            message = (
                f"{intent_id}: phrase {text!r} ({lang}) reads more like "
                f"{index.intent_ids[top]} ({100 * best:.0f}) than its own intent "
                f"({100 * own:.0f}) when left out"
            )
            notices.append(Problem(place.file, place.line, message))
    return notices


def _written(engine: Engine, intent_id: str, lang: str, indexed: str) -> str:
    """A phrase as its curator wrote it (the index keeps it folded)."""
    for phrase in engine.intent(intent_id).phrases[lang]:
        if " ".join(t.word for t in tokenize(phrase)) == indexed:
            return phrase
    return indexed
