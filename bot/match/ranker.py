"""The default ranker: weighted terms, both languages' phrases searched at once."""

from __future__ import annotations

import heapq
from pathlib import Path

from bot.kb import Catalog
from bot.lang import tokenize
from bot.match import compiled
from bot.match.analyzer import Cues
from bot.match.base import Match
from bot.match.foreign import foreign_names
from bot.match.index import Index
from bot.match.weights import Weights

__all__ = ["TermRanker"]


class TermRanker:
    """Ranks intents by the terms a question shares with their phrases (see :mod:`bot.match.index`).

    >>> from bot.kb import load_catalog, bundled_dir
    >>> ranker = TermRanker(load_catalog(bundled_dir()))
    >>> ranker.rank("when was the YDSK set up?", limit=1)[0].intent
    'ydsk.established'
    """

    def __init__(
        self,
        catalog: Catalog,
        weights: Weights | None = None,
        *,
        foreign: dict[tuple[str, ...], str] | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        """``cache_dir`` keeps compiled indexes of the catalogue's knowledge base (see
        :mod:`bot.match.compiled`): opened when one was built for the same files, code
        and settings, else built and written there."""
        self.catalog = catalog
        self.weights = weights or Weights()
        foreign = foreign if foreign is not None else foreign_names(catalog)
        cues = Cues.of(catalog.languages)
        key = None
        if cache_dir is not None:
            key = compiled.cache_key(catalog.digest, [self.weights.max_terms, *catalog.languages])
        self.indexes: dict[str, Index] = {}
        for language in catalog.languages:
            args = (language, catalog, foreign, cues, self.weights)
            if key is None or cache_dir is None:
                self.indexes[language.code] = Index(*args)
                continue
            path = compiled.index_path(cache_dir, catalog.directory, language.code)
            tables = compiled.load(path, f"{key}-{language.code}")
            if tables is not None and tables.intents == len(catalog.intents):
                self.indexes[language.code] = Index(*args, tables=tables)
                continue
            index = self.indexes[language.code] = Index(*args)
            compiled.save(path, f"{key}-{language.code}", index.tables)

    def rank(self, text: str, *, context: str = "", limit: int = 5) -> list[Match]:
        """The best intents for ``text``, best first, one entry per intent.

        Every language's phrases are searched: an English question typed with
        Turkish capitals ("TURKİSH FDİ") still counts. ``context`` is the
        previous question of a conversation.
        """
        tokens = tokenize(text)
        if not tokens:
            return []
        context_tokens = tokenize(context) if context else []
        indexes = list(self.indexes.values())
        best: dict[int, tuple[float, str]] = {}
        for index in indexes:
            for intent, score in index.score(tokens, context_tokens).items():
                if intent not in best or score > best[intent][0]:
                    best[intent] = (score, index.lang)
        ids = indexes[0].intent_ids
        top = heapq.nsmallest(
            limit, best.items(), key=lambda kv: (-round(100 * kv[1][0], 1), ids[kv[0]])
        )
        return [Match(ids[intent], round(100 * score, 1), found) for intent, (score, found) in top]

    def leave_one_out(self, threshold: float) -> dict[str, float]:
        """Share of each language's phrases answered right when that phrase is held out.

        Each phrase is scored against the others (its own entry left out of the
        index); it counts when its intent ranks first and clears ``threshold``.
        """
        results: dict[str, float] = {}
        for lang, index in self.indexes.items():
            right = total = 0
            for position, phrase in enumerate(index.phrases):
                if phrase.is_answer:
                    continue  # the answer is indexed too; it is not a question
                scores = index.score(tokenize(phrase.text), exclude=position)
                top = max(scores.items(), key=lambda kv: kv[1], default=None)
                total += 1
                right += top is not None and top[0] == phrase.intent and 100 * top[1] >= threshold
            results[lang] = right / total if total else 0.0
        return results
