"""Matching: rankers score a question against the knowledge base's intents.

:class:`Ranker` is the seam: the engine takes any object with
``rank(text, *, context, limit) -> list[Match]``. :class:`TermRanker` is the
default (weighted terms, with its constants in :class:`Weights`);
:class:`FuzzyRanker` is a plain rapidfuzz baseline.
"""

from bot.match.base import HeldOut, Match, Ranker
from bot.match.fuzzy import FuzzyRanker
from bot.match.ranker import TermRanker
from bot.match.terms import Term
from bot.match.weights import Weights

__all__ = ["FuzzyRanker", "HeldOut", "Match", "Ranker", "Term", "TermRanker", "Weights"]
