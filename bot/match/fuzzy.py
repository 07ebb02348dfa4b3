"""A baseline ranker: rapidfuzz's ``WRatio`` between the question and every phrase.

It knows nothing of concepts, roles or foreign names; it is here to show that
any ranker plugs into the engine (``Engine(catalog, ranker=FuzzyRanker(catalog))``)
and to measure the term ranker against the obvious alternative.
"""

from __future__ import annotations

from rapidfuzz import fuzz, process

from bot.kb import Catalog
from bot.lang import fold
from bot.match.base import Match

__all__ = ["FuzzyRanker"]


class FuzzyRanker:
    """Scores an intent by its phrase most like the question (``WRatio``, 0-100)."""

    def __init__(self, catalog: Catalog) -> None:
        self._texts: list[str] = []
        self._owners: list[tuple[str, str]] = []
        for intent in catalog.intents:
            for lang in catalog.codes:
                for phrase in (*intent.phrases[lang], intent.title[lang]):
                    self._texts.append(_prepare(phrase))
                    self._owners.append((intent.id, lang))

    def rank(self, text: str, *, context: str = "", limit: int = 5) -> list[Match]:
        query = _prepare(text)
        if not query:
            return []
        best: dict[str, Match] = {}
        for _, score, position in process.extract(
            query, self._texts, scorer=fuzz.WRatio, limit=max(50, 10 * limit)
        ):
            intent, lang = self._owners[position]
            if intent not in best:
                best[intent] = Match(intent, round(float(score), 1), lang)
        return sorted(best.values(), key=lambda m: (-m.score, m.intent))[:limit]


def _prepare(text: str) -> str:
    return " ".join("".join(c if c.isalnum() else " " for c in fold(text)).split())
