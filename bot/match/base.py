"""What a ranker promises: a question in, intents and scores out, best first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = ["HeldOut", "Match", "Ranker"]


@dataclass(frozen=True, slots=True)
class Match:
    """An intent and how well the question matched it (0-100), in the language of the phrase that won."""

    intent: str
    score: float
    lang: str


class Ranker(Protocol):
    """Scores a question against every intent of a knowledge base.

    The engine decides from the ranking (answer, ask which, decline); a
    ranker only says how well each intent fits. Scores are 0-100 and
    comparable with the engine's threshold.
    """

    def rank(self, text: str, *, context: str = "", limit: int = 5) -> list[Match]:
        """The best intents for ``text``, best first, one entry per intent.

        ``context`` is the previous question of a conversation, which a
        ranker may read to understand a follow-up ("and the imports?").
        """
        ...


@runtime_checkable
class HeldOut(Protocol):
    """A ranker that can score each of its own phrases with that phrase left out."""

    def leave_one_out(self, threshold: float) -> dict[str, float]:
        """Per language, the share of phrases whose own intent ranks first and clears ``threshold``."""
        ...
