"""The verifier: the ranker proposes an intent, the verifier says whether it answers.

An intent answers a question only when its fact card covers the question's
frame (:mod:`bot.match.facts`): the kind of answer asked for, the noun asked
about, what is counted, the people, places and organisations named, and the
years. "When was TURKPA founded?" shares most words with an intent about
TURKPA, but that intent holds no date: it does not answer it.
"""

from __future__ import annotations

from typing import Literal

from bot.lang import N_
from bot.match.facts import PERSON_KINDS, FactCard, Facts, Frame
from bot.match.terms import Term

__all__ = ["REASONS", "Reason", "Verifier"]

#: Why an intent does not answer a question.
Reason = Literal["time", "figure", "place", "person", "year", "other"]

#: What the bot says about each reason, before what the document does say.
REASONS: dict[Reason, str] = {
    "time": N_("The document does not give a date for that."),
    "figure": N_("The document gives no figure for that."),
    "place": N_("The document does not say where."),
    "person": N_("The document does not say who."),
    "year": N_("The document says nothing about that year."),
    "other": N_("The document does not say that."),
}
#: Kinds of concepts that name a class of things, not one thing: "which *institution*".
_CLASSES = frozenset({"body", "area", "people", "quality", "measure", "scope"})
_TIME = frozenset({"date", "month", "year"})
_FIGURE = frozenset({"money", "number", "ordinal"})


class Verifier:
    """Checks an intent's fact card against a question's frame."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self._smalltalk = {i.id for i in facts.catalog.intents if i.is_smalltalk}
        chatter = facts.lexicon.chatter
        #: The politeness each pleasantry is ("thanks" for the thanks): a message about the
        #: knowledge base's subjects is that pleasantry only when it names it too, never
        #: "does Turkey invest *a lot*?".
        self._pleasantry = {
            i: kinds
            for i in self._smalltalk
            if (
                kinds := chatter & {t.text for t in facts.card(i).vocabulary if t.kind == "concept"}
            )
        }

    def frame(self, text: str, lang: str, *, context: str = "") -> Frame:
        return self.facts.frame(text, lang, context=context)

    def check(self, frame: Frame, intent_id: str) -> Reason | None:
        """``None`` when the intent answers the question, else why not."""
        if intent_id in self._smalltalk:
            polite = self._pleasantry.get(intent_id)
            off = polite is not None and frame.concepts and not polite & frame.chatter
            return "other" if off else None
        card = self.facts.card(intent_id)
        if not frame.focus_known:
            return _reason_for(frame.wants)
        focus = frame.focus
        if (
            frame.focus_marked
            and focus is not None
            and focus.kind == "word"
            and focus not in card.vocabulary
        ):
            return _reason_for(frame.wants)  # asked about a noun its answer never uses
        if frame.focus_is_person and "person" in frame.wants and "person" not in card.kinds:
            return "person"
        if frame.agent_of is not None and not self._done_by_someone(card, frame):
            return "person"  # who signed it, answered by "it was signed in 2009"
        if frame.asks_which and not frame.asks and not self._states(card, frame):
            return "other"  # "which products": an answer that never speaks of products
        for wanted in frame.asks:
            if not wanted & card.kinds:
                return _reason_for(wanted)
        if frame.asks_first and 1 not in card.ranks:
            return "other"  # who ranks first, answered by who ranks 17th
        if frame.counted is not None and not self._counts(card, frame.counted):
            return "figure"
        if frame.years and not frame.years <= card.years:
            return "year"
        if _reversed(frame.direction, card.direction):
            return "other"  # Kazakhstan's rank among investors in Turkey, answered by Turkey's
        if not frame.named <= _named(card):
            return "other"
        if not self._general(frame.concepts) <= _named(card):
            return "other"  # it asks about something its answer and phrases never mention
        return None

    def _general(self, concepts: frozenset[str]) -> frozenset[str]:
        """The concepts an answer must share, leaving out classes of things ("which institution")."""
        lexicon = self.facts.lexicon
        return frozenset(c for c in concepts if not lexicon.kinds_of(c) & _CLASSES)

    def names_all(self, frame: Frame, intent_id: str) -> bool:
        """Whether the intent names everything the question names (it is about the same things)."""
        return intent_id not in self._smalltalk and frame.named <= _named(
            self.facts.card(intent_id)
        )

    def _done_by_someone(self, card: FactCard, frame: Frame) -> bool:
        """Whether the answer says who did what "who" asks about: the verb itself with a doer
        ("Turkey *recognised*"), or a synonym of it ("who *led*": "under the *leadership* of").
        (The frame leaves out a verb that reads as a noun the question also names: "who
        *signed* the *agreement*".)"""
        return frame.agent_stem in card.agented_stems or frame.agent_of in card.agented

    def _states(self, card: FactCard, frame: Frame) -> bool:
        """Whether an answer speaks of what "which" asks about: one of the words after it
        itself, something of its kind, or, for a class of things ("which institution"),
        anything the answer names that the question does not."""
        lexicon = self.facts.lexicon
        classes = [
            t.text
            for t in frame.which_terms
            if t.kind == "concept" and lexicon.kinds_of(t.text) & _CLASSES
        ]
        if classes:
            # "Which (Turkish) companies work there?": an answer that speaks only of "Turkish
            # companies" does not say which. One naming something the question does not
            # does, or one of that kind ("which country": Turkey).
            instances = {
                t.text
                for t in card.stated
                if t.kind == "concept" and set(classes) & lexicon.kinds_of(t.text)
            }
            return bool(card.named - frame.named) or bool(instances - frame.concepts)
        if any(stem in card.stated_stems for stem in frame.which_stems):
            return True
        for term in frame.which_terms:
            if term in card.stated:
                return True
            if term.kind != "concept":
                continue
            if any(
                term.text in lexicon.kinds_of(t.text) for t in card.stated if t.kind == "concept"
            ):
                return True
        return False

    def _counts(self, card: FactCard, counted: Term) -> bool:
        """Whether the intent counts that: the same noun, or one of its kind (students are people)."""
        if counted in card.counted:
            return True
        lexicon = self.facts.lexicon
        return counted.kind == "concept" and any(
            counted.text in lexicon.kinds_of(c.text) for c in card.counted if c.kind == "concept"
        )


def _named(card: FactCard) -> frozenset[str]:
    """What an intent names: in its answer, and in the ways people ask it."""
    concepts = {t.text for t in card.vocabulary if t.kind == "concept"}
    return card.named | concepts


def _reversed(asked: frozenset[tuple[str, str]], stated: frozenset[tuple[str, str]]) -> bool:
    """Whether the flow asked about runs the other way from the flow an intent states: each
    of two countries on the other side (one source, one target, both marked)."""
    roles = dict(asked)
    if len(asked) != 2 or len(roles) != 2 or set(roles.values()) != {"src", "dst"}:
        return False  # "Türkiye'nin Kazakistan'dan ithalatı": a genitive marks no flow
    sides = dict(stated)
    return all(country in sides and sides[country] != role for country, role in roles.items())


def _reason_for(wanted: frozenset[str]) -> Reason:
    if wanted and wanted <= _TIME:
        return "time"
    if wanted and wanted <= _FIGURE:
        return "figure"
    if "place" in wanted and not wanted & PERSON_KINDS:
        return "place"
    if "person" in wanted:
        return "person"
    return "other"
