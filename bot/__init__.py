"""A bilingual (English/Turkish) question-answering bot about Turkey–Kazakhstan relations.

>>> from bot import Engine
>>> engine = Engine.load()
>>> engine.answer("Türkiye Kazakistan'a ne kadar ihracat yaptı?").lang
'tr'

Importing this package never imports python-telegram-bot: the Telegram
adapter lives in :mod:`bot.telegram` and is imported only when used.
"""

from bot._catalog import Catalog, CatalogError, Intent, Problem
from bot._engine import Answer, Choice, Engine
from bot._matcher import Match

__all__ = [
    "Answer",
    "Catalog",
    "CatalogError",
    "Choice",
    "Engine",
    "Intent",
    "Match",
    "Problem",
]

__version__ = "0.1.0"
