"""The knowledge base: what a curator's YAML files become.

:func:`load_catalog` reads a directory (intents, values, topics, the lexicon,
``source.txt``) and returns a validated :class:`Catalog`, or raises
:class:`CatalogError` listing every mistake with its file and line.
:func:`read_folder` reads the files alone, safely and at once (a
:class:`Snapshot`), for a reload to compare two readings.
"""

from bot.kb.catalog import (
    DEFAULT_LANGUAGES,
    Catalog,
    CatalogError,
    Intent,
    Problem,
    bundled_dir,
    load_catalog,
)
from bot.kb.files import Snapshot, read_folder
from bot.kb.lexicon import Form, Lexicon
from bot.kb.values import VALUE_KINDS, Value, parse_value

__all__ = [
    "DEFAULT_LANGUAGES",
    "VALUE_KINDS",
    "Catalog",
    "CatalogError",
    "Form",
    "Intent",
    "Lexicon",
    "Problem",
    "Snapshot",
    "Value",
    "bundled_dir",
    "load_catalog",
    "parse_value",
    "read_folder",
]
