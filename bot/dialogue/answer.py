"""What the engine says back: an :class:`Answer`, structured so each front end renders it its way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from bot.match import Match

__all__ = ["Answer", "Choice", "Kind", "TopicGroup"]

#: ``answer``: an intent answered; ``clarify``: which of these was meant?;
#: ``partial``: the document knows the subject but not what was asked (it
#: says so, then what the document does say; ``intent`` is ``None``);
#: ``decline``: not in the document; ``empty``: nothing to read; ``info``:
#: a command's reply (help, topics, source, language).
Kind = Literal["answer", "clarify", "partial", "decline", "empty", "info"]


@dataclass(frozen=True, slots=True)
class Choice:
    """An intent offered to the user: as a suggestion, or as an answer to "did you mean"."""

    intent: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"intent": self.intent, "text": self.text}


@dataclass(frozen=True, slots=True)
class TopicGroup:
    """One topic's title and its questions (what ``/topics`` lists)."""

    title: str
    choices: tuple[Choice, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "choices": [c.to_dict() for c in self.choices]}


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    """The engine's reply to one turn.

    ``text`` is the answer, or the decline or clarification sentence, alone:
    the questions offered are data (``suggestions``, ``choices``, ``topics``)
    that each front end renders for its medium (numbered lines, buttons,
    JSON arrays). ``intent`` is ``None`` unless an intent answered; ``score``
    is the best match's score (0-100) either way.
    """

    question: str
    text: str
    intent: str | None
    lang: str
    score: float
    kind: Kind
    suggestions: tuple[Choice, ...] = ()
    choices: tuple[Choice, ...] = ()
    topics: tuple[TopicGroup, ...] = ()
    source: tuple[str, ...] = ()
    #: Whether ``source`` is what was asked for (``/source``), to be shown.
    show_source: bool = False
    best_guess: str | None = None
    #: Two questions in one message: each one's answer (``text`` joins them, ``intent`` is the first's).
    parts: tuple[Answer, ...] = ()
    ranking: tuple[Match, ...] = field(default=(), repr=False, compare=False)

    @property
    def answered(self) -> bool:
        return self.intent is not None

    @property
    def offered(self) -> tuple[Choice, ...]:
        """What the user can pick next: the clarification's choices, else the suggestions."""
        return self.choices or self.suggestions or tuple(c for g in self.topics for c in g.choices)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form printed by ``python -m bot ask --json``."""
        data: dict[str, Any] = {
            "question": self.question,
            "intent": self.intent,
            "lang": self.lang,
            "score": self.score,
            "text": self.text,
            "suggestions": [c.to_dict() for c in self.suggestions],
            "kind": self.kind,
            "choices": [c.to_dict() for c in self.choices],
            "source": list(self.source),
        }
        if self.topics:
            data["topics"] = [g.to_dict() for g in self.topics]
        if self.parts:
            data["parts"] = [p.to_dict() for p in self.parts]
        return data
