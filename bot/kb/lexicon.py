"""The curated lexicon: stop-words and synonym concepts, kept as data.

A concept gathers the ways people name one idea in both languages
(``sell``, ``sold``, ``ihracat*``, ``sattı*`` -> ``export``). The matcher
compares concepts, so a question and a phrase that share no word can still
meet. A trailing ``*`` matches any word starting with that root: Turkish adds
suffixes to roots (``yatırım*`` matches ``yatırımlarımızın``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.lang import Language, Token, fold, tokenize

__all__ = ["Form", "Lexicon"]


@dataclass(frozen=True, slots=True)
class Form:
    """One way of writing a concept: folded words, the last ones possibly roots (``*``)."""

    concept: str
    words: tuple[str, ...]
    prefix: tuple[bool, ...]

    def matches(self, tokens: Sequence[Token], start: int) -> bool:
        if start + len(self.words) > len(tokens):
            return False
        for offset, (word, is_prefix) in enumerate(zip(self.words, self.prefix, strict=True)):
            actual = tokens[start + offset].word
            if not (actual.startswith(word) if is_prefix else actual == word):
                return False
        return True

    @property
    def root(self) -> str:
        return self.words[-1]


@dataclass(frozen=True)
class Lexicon:
    """Stop-words per language and concepts shared by both languages."""

    stopwords: dict[str, frozenset[str]]
    forms: tuple[Form, ...]
    #: Question concepts and the kinds of value their answer must contain
    #: ("when" wants a date, month or year).
    questions: dict[str, frozenset[str]] = field(default_factory=dict)
    #: Concepts (the two countries) whose case ending or preposition says which
    #: side of a relation they are on.
    roles: frozenset[str] = frozenset()
    #: Concepts of politeness around a question (greetings, thanks).
    chatter: frozenset[str] = frozenset()
    #: Words for a country's people ("Turkish", "Kazak"), folded.
    demonyms: frozenset[str] = frozenset()
    #: Concepts that name what a question is about (an institution): a phrase
    #: about another one does not answer it.
    subjects: frozenset[str] = frozenset()
    #: CLDR codes of the countries and languages the knowledge base is about:
    #: their names are not foreign to it.
    known_codes: frozenset[str] = frozenset()
    #: Is-a links: a kind (person, place...) and the concepts of that kind.
    kinds: dict[str, frozenset[str]] = field(default_factory=dict)
    #: Each country's capital (a concept, or a word of the country's own concept): two
    #: capitals named together stand for their countries ("between Ankara and Astana").
    capitals: dict[str, str] = field(default_factory=dict)
    #: Concepts that point at a place named before ("there", "orada"): beside one of the two
    #: countries they stand for the other one.
    deixis: frozenset[str] = frozenset()
    _by_word: dict[str, tuple[Form, ...]] = field(init=False, repr=False, compare=False)
    _by_root: dict[str, tuple[Form, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_word: dict[str, list[Form]] = {}
        by_root: dict[str, list[Form]] = {}
        for form in self.forms:
            target = by_root if form.prefix[0] else by_word
            target.setdefault(form.words[0], []).append(form)
        longest_first = {
            k: tuple(sorted(v, key=lambda f: -len(f.words))) for k, v in by_word.items()
        }
        object.__setattr__(self, "_by_word", longest_first)
        object.__setattr__(
            self,
            "_by_root",
            {k: tuple(sorted(v, key=lambda f: -len(f.words))) for k, v in by_root.items()},
        )

    @classmethod
    def build(
        cls,
        stopwords: Mapping[str, Sequence[str]],
        concepts: Mapping[str, Mapping[str, Sequence[str]]],
        questions: Mapping[str, frozenset[str]] | None = None,
        roles: frozenset[str] = frozenset(),
        chatter: frozenset[str] = frozenset(),
        demonyms: Sequence[str] = (),
        subjects: frozenset[str] = frozenset(),
        languages: Mapping[str, Language] | None = None,
        known_codes: frozenset[str] = frozenset(),
        kinds: Mapping[str, frozenset[str]] | None = None,
        capitals: Mapping[str, str] | None = None,
        deixis: frozenset[str] = frozenset(),
    ) -> Lexicon:
        """Compile raw lists as written in ``lexicon.yaml``.

        ``languages`` adapt roots to each language's inflection: English drops
        a final "e" before a suffix, so the root ``increase*`` must also match
        "increasing".
        """
        forms = []
        languages = languages or {}
        for concept, by_lang in concepts.items():
            for lang, words in by_lang.items():
                for written in words:
                    parsed = parse_form(concept, written)
                    if parsed is None:
                        continue
                    language = languages.get(lang)
                    if language is not None and parsed.prefix[-1]:
                        root = language.lexicon_root(parsed.root)
                        if root != parsed.root:
                            parsed = Form(concept, (*parsed.words[:-1], root), parsed.prefix)
                    forms.append(parsed)
        stop = {
            lang: frozenset(t.word for w in words for t in tokenize(w))
            for lang, words in stopwords.items()
        }
        folded = frozenset(t.word for d in demonyms for t in tokenize(d))
        return cls(
            stop,
            tuple(forms),
            dict(questions or {}),
            roles,
            chatter,
            folded,
            subjects,
            known_codes,
            dict(kinds or {}),
            dict(capitals or {}),
            deixis,
        )

    def wanted(self, question: str, concepts: Iterable[str]) -> frozenset[str]:
        """The kinds of answer a question concept wants among these ``concepts``: a question
        that names a rank ("kaçıncı", "how large an investor") is answered by an ordinal too."""
        kinds = self.questions[question]
        if any("superlative" in self.kinds_of(c) for c in concepts):
            return kinds | {"ordinal"}
        return kinds

    def kinds_of(self, concept: str) -> frozenset[str]:
        """The kinds a concept is of ("nazarbayev" -> {"person"})."""
        return frozenset(kind for kind, members in self.kinds.items() if concept in members)

    def concepts_in(self, tokens: Sequence[Token]) -> list[str]:
        """The concepts named in a text, in order."""
        found = []
        i = 0
        while i < len(tokens):
            form = self.match(tokens, i)
            if form is None:
                i += 1
                continue
            found.append(form.concept)
            i += len(form.words)
        return found

    @property
    def all_stopwords(self) -> frozenset[str]:
        return frozenset().union(*self.stopwords.values())

    def match(self, tokens: Sequence[Token], start: int) -> Form | None:
        """The longest concept form that starts at ``tokens[start]``, if any."""
        word = tokens[start].word
        candidates: list[Form] = list(self._by_word.get(word, ()))
        for cut in range(len(word), 1, -1):
            candidates.extend(self._by_root.get(word[:cut], ()))
        best: Form | None = None
        for form in candidates:
            if form.matches(tokens, start) and (
                best is None
                or (len(form.words), len(form.root)) > (len(best.words), len(best.root))
            ):
                best = form
        return best


def parse_form(concept: str, written: str) -> Form | None:
    """``"construction firm*"`` -> Form(words=("construction", "firm"), prefix=(False, True))."""
    words: list[str] = []
    prefix: list[bool] = []
    for part in fold(written).split():
        is_prefix = part.endswith("*")
        tokens = tokenize(part.rstrip("*"))
        if not tokens:
            continue
        for token in tokens[:-1]:
            words.append(token.word)
            prefix.append(False)
        words.append(tokens[-1].word)
        prefix.append(is_prefix)
    if not words:
        return None
    return Form(concept, tuple(words), tuple(prefix))
