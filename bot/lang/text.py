"""Text normalisation that gets Turkish right.

Everything the matcher compares goes through :func:`fold`: NFKC, apostrophes
unified, Turkish dotted and dotless I handled *before* lowering (``str.lower``
turns ``İ`` into ``i`` + U+0307 and ``I`` into ``i``), then diacritics removed,
so ``KAZAKİSTAN’IN``, ``Kazakistan'ın`` and ``kazakistanin`` meet. Invisible
characters that sit inside words (zero-width spaces and joiners, the word
joiner, the byte-order mark, the soft hyphen) vanish rather than split them:
``ti\u200bcaret`` reads as ``ticaret``, in a question and in the knowledge base.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "INVISIBLE",
    "MAX_INPUT_CHARS",
    "MAX_MATCH_CHARS",
    "Token",
    "clean_input",
    "fold",
    "tokenize",
    "turkish_lower",
]

#: Input is cut to this many characters wherever it enters.
MAX_INPUT_CHARS = 4096
#: Longer input is cut before matching, so cost is bounded whatever arrives.
MAX_MATCH_CHARS = 300

#: Characters that are there but not seen: removed, never read as a space.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_INVISIBLE = str.maketrans(dict.fromkeys(INVISIBLE))
_APOSTROPHES = str.maketrans({c: "'" for c in "’‘ʼʻ´`′ʹ＇‛"})
_DOTLESS = str.maketrans({"ı": "i", "İ": "i", "I": "i"})
_EXTRA_FOLD = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "œ": "oe"})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]")
_SPACE = re.compile(r"\s+")
# A word: letters or digits, with an optional apostrophe suffix (Turkish case
# endings on proper nouns: Kazakistan'ın; English possessive: Turkey's).
# Numbers keep an ordinal dot before a word ("2. toplantı": the second meeting).
_WORD = re.compile(r"\d+(?:[.,]\d+)*(?:\.(?=\s+[^\W\d_]))?|[^\W\d_]+(?:'[^\W\d_]+)?|\$")


def clean_input(text: str) -> str:
    """Make raw user input safe to handle: bounded length, no control characters, single spaces."""
    text = _CONTROL.sub(" ", text[:MAX_INPUT_CHARS].translate(_INVISIBLE))
    return _SPACE.sub(" ", text).strip()


def turkish_lower(text: str) -> str:
    """Lower-case with Turkish rules: ``I`` -> ``ı`` and ``İ`` -> ``i``."""
    return unicodedata.normalize("NFC", text).replace("I", "ı").replace("İ", "i").lower()


def fold(text: str) -> str:
    """Case- and diacritic-insensitive form used for all comparisons.

    >>> fold("KAZAKİSTAN’IN Dışişleri")
    "kazakistan'in disisleri"
    """
    if text.isascii():  # the common case, and the same result
        return text.translate(_APOSTROPHES).lower()
    text = unicodedata.normalize("NFKC", text.translate(_INVISIBLE))
    text = text.translate(_APOSTROPHES).translate(_DOTLESS)
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", text).translate(_DOTLESS).translate(_EXTRA_FOLD)


@dataclass(frozen=True, slots=True)
class Token:
    """One folded word.

    ``suffix`` is what followed an apostrophe (``in`` in ``kazakistan'in``);
    ``capital`` tells whether it was written with a capital letter.
    """

    word: str
    suffix: str = ""
    capital: bool = False


@functools.lru_cache(maxsize=1 << 16)
def _fold_word(word: str) -> str:
    """:func:`fold` for single words, which repeat a lot (bounded cache)."""
    return fold(word)


def tokenize(text: str) -> list[Token]:
    """Split folded text into words, cutting apostrophe suffixes off."""
    tokens = []
    # Cut before and after normalising: NFKC can lengthen text ("¼" -> "1⁄4").
    text = unicodedata.normalize("NFKC", text[:MAX_MATCH_CHARS].translate(_INVISIBLE))
    text = text[:MAX_MATCH_CHARS]
    text = unicodedata.normalize("NFC", text)
    for match in _WORD.finditer(text.translate(_APOSTROPHES)):
        raw = match.group()
        if raw == "$":
            tokens.append(Token("dollar"))
        elif raw[0].isdigit():
            tokens.append(Token(raw.replace(",", ".")))  # 1,96 and 1.96 alike
        else:
            word, _, suffix = _fold_word(raw).partition("'")
            if word:
                tokens.append(Token(word, suffix, raw[0].isupper()))
    return tokens
