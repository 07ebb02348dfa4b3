"""English."""

from __future__ import annotations

import Stemmer

from bot.lang.base import Language

__all__ = ["LANGUAGE", "English"]


class English(Language):
    """English: Snowball stems; roots written ``increase*`` also match ``increasing``."""

    def lexicon_root(self, root: str) -> str:
        stem = str(_STEMMER.stemWord(root))
        return stem if root.startswith(stem) and len(stem) >= 4 else root

    def ordinal(self, number: int) -> str:
        if 10 <= number % 100 <= 20:
            return f"{number}th"
        return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th') }"


_STEMMER = Stemmer.Stemmer("english")

LANGUAGE = English(
    code="en",
    snowball="english",
    endings="tion|ing|ness|ment|ould|ed|ly",
    clitics=frozenset({"s", "t", "ll", "re", "ve", "d", "m"}),
    # "Kazakhstan's investment": the possessor is the source.
    source_endings=frozenset({"s"}),
    inflections=frozenset({"s"}),
    source_prepositions=frozenset({"from", "of", "by"}),
    target_prepositions=frozenset({"in", "to", "into", "at"}),
    names=frozenset({"english", "ingilizce", "inglizce", "en", "eng"}),
    switch_words=frozenset(
        "again answer can could in it language now please pls reply same say speak switch "
        "that the thing this to write you".split()
    ),
    next_words=frozenset("after following later next".split()),
    previous_words=frozenset("before earlier previous prior".split()),
    follow_up_words=frozenset("about and how it its one that them they this those what".split()),
    range_dash="–",
)
