"""Languages: text normalisation, one module per language, detection, UI translations.

>>> from bot.lang import get
>>> get("tr").ordinal(17)
'17.'

:func:`get` finds ``bot/lang/<code>.py`` (its ``LANGUAGE``) when there is one;
any other language Babel knows gets a generic :class:`Language`: numbers and
dates from CLDR, Snowball stems when Snowball has the language. Adding a
language is a new module here plus the knowledge base's data in it.
"""

from __future__ import annotations

import importlib
import re

import Stemmer
from babel import Locale, UnknownLocaleError

from bot.lang.base import Language, Role
from bot.lang.detect import LanguageDetector
from bot.lang.messages import N_, Translator
from bot.lang.text import MAX_INPUT_CHARS, Token, clean_input, fold, tokenize

__all__ = [
    "MAX_INPUT_CHARS",
    "N_",
    "Language",
    "LanguageDetector",
    "Role",
    "Token",
    "Translator",
    "clean_input",
    "fold",
    "get",
    "tokenize",
]

_CODE = re.compile(r"^[a-z]{2,3}$")


def get(code: str) -> Language:
    """The :class:`Language` for an ISO 639 code; ``ValueError`` if Babel does not know it."""
    if not _CODE.match(code):
        raise ValueError(f"{code!r} is not a language code (two or three lower-case letters)")
    try:
        module = importlib.import_module(f"{__name__}.{code}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{code}":
            raise
    else:
        language = getattr(module, "LANGUAGE", None)
        if isinstance(language, Language):
            return language
    return _generic(code)


def _generic(code: str) -> Language:
    try:
        english_name = Locale.parse(code).get_language_name("en") or ""
    except (UnknownLocaleError, ValueError):
        raise ValueError(f"{code!r} is not a language Babel knows") from None
    algorithm = english_name.lower()
    snowball = algorithm if algorithm in Stemmer.algorithms() else None
    own_name = Locale.parse(code).get_language_name(code) or ""
    names = {code, *(t.word for t in tokenize(english_name)), *(t.word for t in tokenize(own_name))}
    return Language(code=code, snowball=snowball, names=frozenset(names))
