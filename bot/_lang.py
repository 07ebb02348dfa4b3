"""Is a question English or Turkish? Rules, not a model.

A model would cost ~100 MB and still call ``Nazarbayev Astana`` Turkish. The
signals here are cheap and reliable: letters only Turkish has, an apostrophe
followed by a Turkish case ending, Turkish suffixes, and the words each
language's side of the knowledge base uses. When they do not settle it, the
detector abstains and the caller falls back to the conversation's language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot._text import fold, tokenize

__all__ = ["LanguageDetector"]

_TURKISH_LETTERS = re.compile(r"[çğıöşüÇĞİÖŞÜ]")
_TURKISH_ENDINGS = re.compile(
    r"(?:lar|ler|lari|leri|dir|dır|dur|tir|nin|nın|daki|deki|dan|den|mis|miz|niz|yor|yor[a-z]+|"
    r"mak|mek|misin|midir|misiniz|siniz)$"
)
_ENGLISH_ENDINGS = re.compile(r"(?:tion|ing|ness|ment|ould|ed|ly)$")
_MIN_MARGIN = 1.0


class LanguageDetector:
    """Scores text as English or Turkish from words each language is known to use."""

    def __init__(self, english_words: Iterable[str], turkish_words: Iterable[str]) -> None:
        english = {fold(w) for w in english_words}
        turkish = {fold(w) for w in turkish_words}
        # Words both sides use (names: Nazarbayev, YDSK, Astana) say nothing.
        self._english = frozenset(english - turkish)
        self._turkish = frozenset(turkish - english)

    def detect(self, text: str) -> str | None:
        """Return ``"en"``, ``"tr"``, or ``None`` when the text does not say."""
        english = 0.0
        turkish = 2.0 * len(_TURKISH_LETTERS.findall(text[:300]))
        for token in tokenize(text):
            word = token.word
            if token.suffix and token.suffix not in ("s", "t", "ll", "re", "ve", "d", "m"):
                turkish += 1.5
            elif token.suffix:
                english += 1.5
            if word in self._turkish:
                turkish += 1.0
            elif word in self._english:
                english += 1.0
            elif len(word) > 4 and _TURKISH_ENDINGS.search(word):
                turkish += 0.5
            elif len(word) > 4 and _ENGLISH_ENDINGS.search(word):
                english += 0.5
        if abs(turkish - english) < _MIN_MARGIN:
            return None
        return "tr" if turkish > english else "en"
