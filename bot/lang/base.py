"""What the bot knows about one language, as data plus a stemmer.

A :class:`Language` is everything language-specific the rest of the package
needs: how to stem a word, which letters and word endings give the language
away, which case endings and prepositions mark the source or the target of a
relation, the words of a request to switch language or to step through a
conversation, and how to write ordinals and date ranges. Nothing outside
``bot.lang`` branches on a language code.

English and Turkish have their own modules (:mod:`bot.lang.en`,
:mod:`bot.lang.tr`); any other code gets a generic language built from
Babel's CLDR data and Snowball (see :func:`bot.lang.get`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import Stemmer
from babel import Locale

__all__ = ["Language", "Role"]

#: Which side of a relation a name is on: where a flow comes from, or goes to.
Role = Literal["src", "dst"]


@dataclass(frozen=True)
class Language:
    """One language: detector cues, stemming, relation roles, dialogue words, number style.

    Instantiate it with data (see :mod:`bot.lang.en`), or subclass it to
    change how words are stemmed (see :mod:`bot.lang.tr`).
    """

    #: The ISO 639-1 code, also the Babel locale of numbers and dates.
    code: str
    #: The Snowball algorithm that stems it (``None``: words are their own stem).
    snowball: str | None = None
    #: Letters only this language (of the ones served) writes.
    letters: str = ""
    #: Word endings typical of the language (a regular expression, without ``$``).
    endings: str = ""
    #: Whether a word + apostrophe + suffix marks this language (Turkish case endings).
    apostrophe_suffixes: bool = False
    #: Apostrophe suffixes that are clitics of this language (English ``'s``, ``n't``).
    clitics: frozenset[str] = frozenset()
    #: Case endings (after an apostrophe, or glued on a name) that mark a side of a relation.
    source_endings: frozenset[str] = frozenset()
    target_endings: frozenset[str] = frozenset()
    #: Those of the source endings and prepositions that mark an owner, not where a flow
    #: comes from ("Kazakhstan*'s* energy sector", "Türkiye*'nin* ithalatı", "the role *of*").
    genitive_endings: frozenset[str] = frozenset()
    genitive_prepositions: frozenset[str] = frozenset()
    #: Whether case endings are also glued on names without an apostrophe ("kazakistanin").
    glues_case_endings: bool = False
    #: Other endings glued on names (plural, accusative...): "almanyaya" is "Almanya" + "ya".
    inflections: frozenset[str] = frozenset()
    #: Prepositions before a name that mark a side: "from Turkey", "to Kazakhstan".
    source_prepositions: frozenset[str] = frozenset()
    target_prepositions: frozenset[str] = frozenset()
    #: Words (folded) that name this language, in any language: "turkish", "turkce".
    names: frozenset[str] = frozenset()
    #: The other words of a request to switch language: "can you say that in ...".
    switch_words: frozenset[str] = frozenset()
    #: "and the one after that?" / "the one before?"
    next_words: frozenset[str] = frozenset()
    previous_words: frozenset[str] = frozenset()
    #: "vice versa", "tam tersi": the previous question with its direction reversed.
    flip_phrases: tuple[str, ...] = ()
    #: Words that open a follow-up ("and", "what about", "peki").
    follow_up_words: frozenset[str] = frozenset()
    #: Words that point back at what was said before ("where is *it* based?", "*onun*
    #: merkezi"): a message with one is about the conversation, not small talk.
    pronouns: frozenset[str] = frozenset()
    #: Words that point at what was just said without naming a thing ("about *that*?",
    #: "*bu* konuda"): a short question with one is read with the sentence before it.
    demonstratives: frozenset[str] = frozenset()
    #: Words after which a question word opens a question inside a sentence ("a line
    #: *about* how important...", "I'd like to *know* how much"), not a clause ("come back
    #: when I have time").
    embeds_after: frozenset[str] = frozenset()
    #: Question words followed by what is asked about: "which *sectors*", "what is the *fee*".
    focus_after: frozenset[str] = frozenset()
    #: Those of them that need no verb "to be" before the noun ("which *sectors*").
    focus_direct: frozenset[str] = frozenset()
    #: Question words that ask "which" only when a noun follows ("*what* products", not
    #: "*what* is it"): with a verb or nothing after them, they ask no "which".
    which_with_noun: frozenset[str] = frozenset()
    #: Endings of a verb that can follow such a word as the question's own verb ("what
    #: happen*ed*"): a word with one is no noun asked about.
    verb_endings: tuple[str, ...] = ()
    #: Whether the noun asked about comes first after such a word ("hangi *kurum* bünyesinde"),
    #: or last, as English nouns end their phrase ("which Turkish *companies*").
    focus_noun_first: bool = False
    #: Verbs "to be" between such a word and the noun asked about ("what *is* the fee").
    copulas: frozenset[str] = frozenset()
    #: Question words that follow what is asked about: "rektörü *kim*", "başkenti *neresi*".
    focus_before: frozenset[str] = frozenset()
    #: Possessive endings of the noun asked about in that order ("rektör-ü", "başkent-i").
    possessive_endings: tuple[str, ...] = ()
    #: Words before a counted noun ("how many *students*", "kaç *öğrenci*")...
    count_before: tuple[str, ...] = ()
    #: ...and after it ("öğrenci *sayısı*").
    count_after: tuple[str, ...] = ()
    #: Words that join two questions ("how much ... *and* where ...").
    conjunctions: frozenset[str] = frozenset()
    #: How a verb is passive ("was *signed*": the word before it; "imza*landı*": its ending),
    #: and the words that name the agent of a passive ("by", "tarafından").
    passive_before: frozenset[str] = frozenset()
    passive_endings: tuple[str, ...] = ()
    agent_words: frozenset[str] = frozenset()
    #: Nouns too vague to say what "which" asks for ("which *place* does it hold", "what
    #: *kind* of"): the question's other words say it.
    vague_nouns: frozenset[str] = frozenset()
    #: Words that mark a language's name as the language ("*in* Turkish", not "Turkish
    #: investment"): after one, a switch request may also be a follow-up ("and in Turkish?").
    switch_markers: frozenset[str] = frozenset()
    #: Whether a question's question word comes first (English: "when was it set up?"), so
    #: a later one is a conjunction ("where does it rank *when* you count capital?") unless
    #: it follows "and", "or" or a preposition ("...and when?", "since when?").
    fronts_questions: bool = False
    #: Words that make a clause a question ("what", "hangi", the particle "mi").
    question_words: frozenset[str] = frozenset()
    #: Words that introduce a question inside a longer message ("I'd like to know", "merak ediyorum").
    question_leads: tuple[str, ...] = ()
    #: How a clause about the writer starts ("I'm a student", "my teacher..."): context, not a question.
    context_leads: tuple[str, ...] = ()
    #: Endings of a Turkish-style first-person predicate ("öğrenci*yim*"): context too.
    context_endings: tuple[str, ...] = ()
    #: The dash between the ends of a date range.
    range_dash: str = "–"
    _stemmer: object | None = field(init=False, repr=False, compare=False, default=None)
    _ending: re.Pattern[str] | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        stemmer = Stemmer.Stemmer(self.snowball) if self.snowball else None
        object.__setattr__(self, "_stemmer", stemmer)
        ending = re.compile(f"(?:{self.endings})$") if self.endings else None
        object.__setattr__(self, "_ending", ending)

    @property
    def name(self) -> str:
        """The language's name in itself: "English", "Türkçe", "Deutsch"."""
        name = Locale.parse(self.code).get_language_name(self.code) or self.code
        return name[:1].upper() + name[1:]

    @property
    def locale(self) -> str:
        """The Babel locale of numbers, currencies and dates."""
        return self.code

    def joining_words(self, words: Sequence[str]) -> frozenset[str]:
        """Question words of ``words`` that join a clause rather than ask (see ``fronts_questions``).

        >>> from bot.lang import get
        >>> sorted(get("en").joining_words("where does it rank when you count capital".split()))
        ['when']
        >>> sorted(get("en").joining_words("what was agreed and when".split()))
        []
        """
        if not self.fronts_questions:
            return frozenset()
        asking = self.question_words
        joining = self.conjunctions | self.source_prepositions | self.target_prepositions
        first = next((i for i, w in enumerate(words) if w in asking), None)
        if first is None:
            return frozenset()
        later = {
            w
            for i, w in enumerate(words)
            if i > first and w in asking and words[i - 1] not in joining
        }
        asked = {w for w in words if w in asking} - later
        return frozenset(later - asked)

    def stem(self, word: str) -> str:
        """The form words of one family share (``exports`` -> ``export``); numbers stay."""
        if not word or word[0].isdigit() or self._stemmer is None:
            return word
        return str(self._stemmer.stemWord(word))  # type: ignore[attr-defined]

    def lexicon_root(self, root: str) -> str:
        """The root a curator's ``word*`` should match from (English drops a final e)."""
        return root

    def ordinal(self, number: int) -> str:
        """``17`` written as an ordinal ("17th", "17.")."""
        return f"{number}."

    def letters_in(self, text: str) -> int:
        """How many of this language's own letters ``text`` has."""
        return sum(1 for c in text if c in self.letters) if self.letters else 0

    def has_ending(self, word: str) -> bool:
        return self._ending is not None and self._ending.search(word) is not None
