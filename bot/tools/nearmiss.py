"""Near misses made from the knowledge base itself, to measure the verifier.

As SQuAD 2.0 made unanswerable questions by changing an answerable one, each
question here takes a subject the knowledge base knows (the YDSK, TURKPA, the
university...) and asks of it what no intent's fact card gives: when it was
founded, who leads it, where it sits, how many members it has, its budget.
A question some intent does answer (the YDSK's founding) is left out, so every
question generated should be declined or answered ``partial``.
"""

from __future__ import annotations

from collections.abc import Iterator

from bot.dialogue import Engine
from bot.lang import tokenize

__all__ = ["TEMPLATES", "near_misses"]

#: Questions about a subject, per language, and the kinds of answer each wants.
TEMPLATES: dict[str, tuple[tuple[str, frozenset[str]], ...]] = {
    "en": (
        ("When was the {subject} founded?", frozenset({"date", "month", "year"})),
        ("Who is the head of the {subject}?", frozenset({"person"})),
        ("Where are the headquarters of the {subject}?", frozenset({"place"})),
        ("How many members does the {subject} have?", frozenset({"number"})),
        ("What is the annual budget of the {subject}?", frozenset({"money"})),
    ),
    "tr": (
        ("{subject} ne zaman kuruldu?", frozenset({"date", "month", "year"})),
        ("{subject} başkanı kim?", frozenset({"person"})),
        ("{subject} merkezi nerede?", frozenset({"place"})),
        ("{subject} kaç üyeye sahip?", frozenset({"number"})),
        ("{subject} yıllık bütçesi ne kadar?", frozenset({"money"})),
    ),
}


def near_misses(engine: Engine) -> Iterator[dict[str, str]]:
    """``{q, intent: decline, lang, kind: generated}`` items for every subject and template."""
    if engine.verifier is None:
        return
    facts = engine.verifier.facts
    lexicon = engine.catalog.lexicon
    for subject in sorted(lexicon.subjects):
        answering = [card for card in facts.cards.values() if subject in card.named]
        for lang, templates in TEMPLATES.items():
            if lang not in engine.languages:
                continue
            name = _surface(engine, subject, lang)
            if name is None:
                continue
            for template, wants in templates:
                if any(card.kinds & wants for card in answering):
                    continue  # some intent says this of it: not a near miss
                yield {
                    "q": template.format(subject=name),
                    "intent": "decline",
                    "lang": lang,
                    "kind": "generated",
                }


def _surface(engine: Engine, concept: str, lang: str) -> str | None:
    """How the knowledge base writes a concept in a language: in a title if it can, else a phrase.

    Neighbouring forms of the concept make one name ("Hoca Ahmet Yesevi
    University"); the name of most words wins, the shortest of those; a
    Turkish case ending after an apostrophe is cut ("TÜRKPA'nın" -> "TÜRKPA").
    """
    lexicon = engine.catalog.lexicon
    for texts in (
        [intent.title[lang] for intent in engine.intents],
        [p for intent in engine.intents for p in intent.phrases[lang]],
    ):
        found: list[str] = []
        for text in texts:
            words = text.split()
            tokens = tokenize(text)
            if len(words) != len(tokens):
                continue  # punctuation between words: the two do not line up
            i = 0
            while i < len(tokens):
                start = i
                while i < len(tokens):
                    form = lexicon.match(tokens, i)
                    if form is None or form.concept != concept:
                        break
                    i += len(form.words)
                if i == start:
                    i += 1
                    continue
                name = " ".join(w.split("'")[0].split("’")[0] for w in words[start:i])
                found.append(name.strip("?.,!"))
        if found:
            return max(found, key=lambda f: (len(f.split()), -len(f)))
    return None
