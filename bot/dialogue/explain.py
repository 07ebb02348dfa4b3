"""Why the bot answered as it did: the part of the message read, its frame, and the
verifier's verdict on each candidate (``/why`` in the console, ``ask --explain``).

>>> from bot import Engine
>>> why = Engine.load().explain("When was TURKPA founded?")
>>> why.answer_kind, why.candidates[0].verdict
('partial', 'refused: its answer gives no date')
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from bot.match.terms import Term

__all__ = ["ANSWERS", "Candidate", "Explanation", "frame_fields", "verdict_of"]

#: What a candidate's verdict says when the verifier has no objection.
ANSWERS = "answers"
#: Why the verifier turns a candidate down, in a curator's words.
_REFUSED = {
    "time": "refused: its answer gives no date",
    "figure": "refused: its answer gives no such figure",
    "place": "refused: its answer names no place",
    "person": "refused: its answer names nobody",
    "year": "refused: its answer is about another year",
    "other": "refused: its answer does not say what is asked",
}


@dataclass(frozen=True, slots=True)
class Candidate:
    """One intent the ranker proposed, and what the verifier said of it."""

    intent: str
    score: float
    lang: str
    #: "answers", "small talk", or why it does not ("refused: its answer gives no date").
    verdict: str


@dataclass(frozen=True, slots=True)
class Explanation:
    """How one message was read and decided."""

    question: str
    lang: str
    #: The part of the message read as its question (all of it, for a short one).
    read: str
    #: What the question asks, as the verifier reads it (only the parts that are set).
    frame: dict[str, Any]
    candidates: tuple[Candidate, ...]
    answer_kind: str
    answer_intent: str | None
    threshold: float
    margin: float
    #: The question before it, when the conversation read it as a follow-up and decided
    #: otherwise than this reading alone ("who founded *it*?"); "" when not.
    followed: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def format(self) -> str:
        """For a terminal: a few lines a curator reads at a glance."""
        lines = [f"read ({self.lang}): {self.read!r}"]
        if self.frame:
            lines.append(
                "frame: " + "; ".join(f"{key} {_shown(value)}" for key, value in self.frame.items())
            )
        lines.append(f"candidates (threshold {self.threshold:g}, margin {self.margin:g}):")
        width = max((len(c.intent) for c in self.candidates), default=0)
        for n, candidate in enumerate(self.candidates, 1):
            lines.append(
                f"  {n}. {candidate.intent:<{width}}  {candidate.score:5.1f}  {candidate.lang}"
                f"  {candidate.verdict}"
            )
        if not self.candidates:
            lines.append("  none: it shares no known word with any intent")
        decided = f"{self.answer_kind} {self.answer_intent}" if self.answer_intent else ""
        if self.followed:
            lines.append(f"in the conversation, read as a follow-up of {self.followed!r}:")
        lines.append(f"decision: {decided or self.answer_kind}")
        return "\n".join(lines)


def verdict_of(reason: str | None, *, smalltalk: bool = False) -> str:
    """A candidate's verdict in a curator's words, from the verifier's reason."""
    if smalltalk and reason is None:
        return "small talk"
    return ANSWERS if reason is None else _REFUSED.get(reason, f"refused: {reason}")


def frame_fields(frame: object) -> dict[str, Any]:
    """A frame's fields that say something, as plain data."""
    if frame is None or not dataclasses.is_dataclass(frame):
        return {}
    fields: dict[str, Any] = {}
    for field in dataclasses.fields(frame):
        value = getattr(frame, field.name)
        default = field.default
        if value == default or (field.name == "has_content" and value):
            continue
        fields[field.name] = _plain(value)
    return fields


def _plain(value: object) -> Any:
    if isinstance(value, Term):
        return value.text if value.role is None else f"{value.text}:{value.role}"
    if isinstance(value, frozenset | set):
        return sorted(_plain(v) for v in value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value)
    return str(value)
