"""Which of the knowledge base's languages is a question in? Rules, not a model.

A model would cost ~100 MB and still call ``Nazarbayev Astana`` Turkish. The
signals here are cheap and reliable: letters only one language has, an
apostrophe followed by a case ending, typical word endings, and the words each
language's side of the knowledge base uses. When they do not settle it, the
detector abstains and the caller falls back to the conversation's language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from bot.lang.base import Language
from bot.lang.text import fold, tokenize

__all__ = ["LanguageDetector"]

_MIN_MARGIN = 1.0
_LETTER = 2.0
_SUFFIX = 1.5
_WORD = 1.0
_ENDING = 0.5
_SCAN_CHARS = 300


class LanguageDetector:
    """Scores text in each language from the words and cues each is known to use."""

    def __init__(self, languages: Sequence[Language], words: Mapping[str, Iterable[str]]) -> None:
        self.languages = tuple(languages)
        folded = {lang.code: {fold(w) for w in words.get(lang.code, ())} for lang in languages}
        # Words several languages use (names: Nazarbayev, YDSK, Astana) say nothing.
        self._own: dict[str, frozenset[str]] = {}
        for code, vocabulary in folded.items():
            others = set().union(*(v for c, v in folded.items() if c != code))
            self._own[code] = frozenset(vocabulary - others)
        self._clitics = {lang.code: lang.clitics for lang in languages}
        self._suffixed = [lang.code for lang in languages if lang.apostrophe_suffixes]

    def detect(self, text: str) -> str | None:
        """The code of the text's language, or ``None`` when the text does not say."""
        if len(self.languages) == 1:
            return self.languages[0].code
        scores = {
            lang.code: _LETTER * lang.letters_in(text[:_SCAN_CHARS]) for lang in self.languages
        }
        for token in tokenize(text):
            word = token.word
            if token.suffix:
                clitic_of = [c for c, clitics in self._clitics.items() if token.suffix in clitics]
                for code in clitic_of or self._suffixed:
                    scores[code] += _SUFFIX
            owner = next((c for c, own in self._own.items() if word in own), None)
            if owner is not None:
                scores[owner] += _WORD
            elif len(word) > 4:
                # The languages with their own letters first: their endings are surer.
                for lang in sorted(self.languages, key=lambda lang: not lang.letters):
                    if lang.has_ending(word):
                        scores[lang.code] += _ENDING
                        break
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        if ranked[0][1] - ranked[1][1] < _MIN_MARGIN:
            return None
        return ranked[0][0]
