"""A bilingual (English/Turkish) question-answering bot about Turkey–Kazakhstan relations.

>>> from bot import Engine, Session
>>> engine = Engine.load()
>>> engine.answer("Türkiye Kazakistan'a ne kadar ihracat yaptı?").lang
'tr'
>>> Session(engine).ask("What was the trade volume in 2016?").intent
'trade.volume'

The layout follows the data: :mod:`bot.kb` reads the curators' files,
:mod:`bot.lang` knows the languages, :mod:`bot.match` ranks intents,
:mod:`bot.dialogue` decides and converses, :mod:`bot.serve` carries
conversations to people (console, Telegram), :mod:`bot.tools` measures and
checks. Importing this package never imports python-telegram-bot.
"""

from bot._version import __version__
from bot.dialogue import Answer, Choice, Engine, Kind, Policy, Session, TopicGroup
from bot.kb import Catalog, CatalogError, Intent, Problem
from bot.lang import Language
from bot.match import FuzzyRanker, Match, Ranker, TermRanker, Weights

__all__ = [
    "Answer",
    "Catalog",
    "CatalogError",
    "Choice",
    "Engine",
    "FuzzyRanker",
    "Intent",
    "Kind",
    "Language",
    "Match",
    "Policy",
    "Problem",
    "Ranker",
    "Session",
    "TermRanker",
    "TopicGroup",
    "Weights",
    "__version__",
]
