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
    genitive_endings=frozenset({"s"}),
    genitive_prepositions=frozenset({"of"}),
    names=frozenset(
        {
            "english",
            "ingilizce",
            "inglizce",
            "en",
            "eng",
            "ingilizcesi",
            "ingilizcesini",
            "ingilizceye",
            "ingilizceyle",
            "ingilizcesiyle",
        }
    ),
    switch_words=frozenset(
        "again also answer answers can could do get give have i in instead into is it language "
        "let me more now ok okay once one please pls provide read repeat reply respond same say "
        "see send show speak switch talk tell that the thing this time to too translate "
        "translated version would write you".split()
    ),
    switch_markers=frozenset({"in", "into"}),
    passive_before=frozenset("was were been be is are being got get".split()),
    agent_words=frozenset({"by"}),
    vague_nouns=frozenset(
        "extent kind kinds level levels one ones part place role roles size sort thing things "
        "type types way".split()
    ),
    next_words=frozenset("after following later next".split()),
    previous_words=frozenset("before earlier previous prior".split()),
    flip_phrases=(
        "vice versa",
        "the other way round",
        "the other way around",
        "other way round",
        "other way around",
        "the other direction",
        "the reverse",
        "reverse",
        "conversely",
    ),
    follow_up_words=frozenset("about and how it its one that them they this those what".split()),
    pronouns=frozenset("it its they them their".split()),
    demonstratives=frozenset("this that these those".split()),
    embeds_after=frozenset(
        "about ask asked asking explain find know knowing learn on out see tell understand "
        "wonder wondered wondering".split()
    ),
    range_dash="–",
    # "how *much* is the fee": "much" before a verb "to be" asks about what follows.
    focus_after=frozenset({"what", "whats", "which", "who", "whose", "much", "many"}),
    focus_direct=frozenset({"which", "whose", "much", "many"}),
    which_with_noun=frozenset({"what"}),
    verb_endings=("ed",),
    copulas=frozenset({"is", "was", "are", "were", "s", "be", "been"}),
    count_before=("how many", "number of", "count of"),
    context_leads=(
        "i am",
        "i'm",
        "im ",
        "my name",
        "my teacher",
        "my professor",
        "my boss",
        "my class",
        "i work",
        "i study",
        "i teach",
        "i have to",
        "i need this",
        "i'm writing",
        "i am writing",
        "for my",
        "for a report",
        "for school",
        "hope you",
        "hope this",
        "thanks in advance",
        "thank you in advance",
        "have a nice",
        "nice to meet",
        "it's for",
        "this is for",
    ),
    conjunctions=frozenset({"and", "also", "plus", "or"}),
    fronts_questions=True,
    question_words=frozenset("what whats when where who whom whose which why how".split()),
    question_leads=(
        "i want to know",
        "i would like to know",
        "i'd like to know",
        "i wanted to know",
        "wants to know",
        "want to know",
        "wanted to know",
        "i wonder",
        "i was wondering",
        "wondering",
        "curious",
        "can you tell me",
        "could you tell me",
        "could you please tell me",
        "can you please tell me",
        "could you explain",
        "can you explain",
        "tell me",
        "do you know",
        "please explain",
        "my question is",
        "question is",
        "i need to know",
        "need to know",
    ),
)
