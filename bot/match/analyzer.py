"""Text to terms, for one language: concepts, stems, names, roles, typo correction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Indel

from bot.kb import Lexicon
from bot.lang import Language, Role, Token
from bot.match.terms import Found, Term

__all__ = ["Analyzer", "Cues"]

#: At most this many corrections are remembered per analyzer.
_CORRECTIONS_KEPT = 50_000

#: What :meth:`Analyzer.correct` returns for a misspelt stop-word ("wht"): nothing to match.
STOPWORD = Term("word", "")


@dataclass(frozen=True, slots=True)
class Cues:
    """What the knowledge base's languages say about names, together.

    A question is scored against every language's phrases ("TURKİSH FDİ" is
    English typed with Turkish capitals), so every language's case endings
    and prepositions are read in every text.
    """

    source_endings: frozenset[str]
    target_endings: frozenset[str]
    #: Case endings glued on a name without an apostrophe (kazakistanin).
    glued_case_endings: frozenset[str]
    #: Every ending a name can carry glued on (almanyaya, rusyadan, germanys).
    name_endings: frozenset[str]
    source_prepositions: frozenset[str]
    target_prepositions: frozenset[str]
    clitics: frozenset[str]

    @classmethod
    def of(cls, languages: Iterable[Language]) -> Cues:
        languages = tuple(languages)
        glued = frozenset().union(
            *(
                lang.source_endings | lang.target_endings
                for lang in languages
                if lang.glues_case_endings
            )
        )
        return cls(
            source_endings=frozenset().union(*(lang.source_endings for lang in languages)),
            target_endings=frozenset().union(*(lang.target_endings for lang in languages)),
            glued_case_endings=glued,
            name_endings=glued.union(*(lang.inflections for lang in languages)),
            source_prepositions=frozenset().union(
                *(lang.source_prepositions for lang in languages)
            ),
            target_prepositions=frozenset().union(
                *(lang.target_prepositions for lang in languages)
            ),
            clitics=frozenset().union(*(lang.clitics for lang in languages)),
        )

    def role_of_ending(self, ending: str) -> Role | None:
        if ending in self.source_endings:
            return "src"
        if ending in self.target_endings:
            return "dst"
        return None

    def role_of_preposition(self, word: str) -> Role | None:
        if word in self.target_prepositions:
            return "dst"
        if word in self.source_prepositions:
            return "src"
        return None


class Analyzer:
    """Turns text into terms for one language."""

    def __init__(
        self,
        language: Language,
        lexicon: Lexicon,
        foreign: dict[tuple[str, ...], str],
        cues: Cues,
        max_terms: int,
    ) -> None:
        self.language = language
        self.lexicon = lexicon
        self.stopwords = lexicon.all_stopwords
        self.foreign = foreign
        self.foreign_max = max((len(k) for k in foreign), default=0)
        self.cues = cues
        self.max_terms = max_terms
        self.countries = frozenset(Term("concept", c) for c in lexicon.roles)
        self.vocabulary: dict[str, Term] = {}  # surface word -> term, filled while indexing
        # Typo-correction targets by first letter: words (sorted, and their
        # terms) and lexicon roots by length (the same).
        self._targets: dict[
            str,
            tuple[tuple[list[str], dict[str, Term]], dict[int, tuple[list[str], dict[str, Term]]]],
        ] = {}
        # Corrections already made: the vocabulary is fixed once the index is
        # built, so a word's correction never changes (bounded: questions are
        # anyone's text).
        self._corrected: dict[str, Term | None] = {}

    def stem(self, word: str) -> str:
        return self.language.stem(word)

    def terms(self, tokens: Sequence[Token], learn: bool = False) -> list[Found]:
        """The terms of a text, in order.

        Stop-words are dropped unless nothing else is left: "what can you do"
        is all stop-words, and must still match something.
        """
        return self._terms(tokens, learn, self.stopwords) or self._terms(tokens, learn, frozenset())

    def content_terms(self, tokens: Sequence[Token]) -> list[Found]:
        """The terms of a text without its stop-words, even when nothing is left."""
        return self._terms(tokens, False, self.stopwords)

    def _terms(
        self, tokens: Sequence[Token], learn: bool, stopwords: frozenset[str]
    ) -> list[Found]:
        result: list[Found] = []
        # In text typed all in capitals, a capital letter says nothing.
        shouting = sum(t.capital for t in tokens) > len(tokens) / 2
        i = 0
        while i < len(tokens) and len(result) < self.max_terms:
            token = tokens[i]
            form = self.lexicon.match(tokens, i)
            if form is not None:
                term = Term("concept", form.concept)
                role = (
                    self.role(tokens, i, form.root, len(form.words))
                    if form.concept in self.lexicon.roles
                    else None
                )
                result.append(Found(term, role, token.word))
                if learn:
                    self.vocabulary.setdefault(token.word, term)
                i += len(form.words)
                continue
            if token.word in stopwords:
                i += 1
                continue
            foreign = None if learn else self.foreign_name(tokens, i)
            if foreign is not None:
                result.append(Found(Term("foreign", foreign[0]), None, token.word))
                i += foreign[1]
                continue
            term = Term("word", self.stem(token.word))
            if learn:
                self.vocabulary.setdefault(token.word, term)
            # Only proper nouns take an apostrophe in Turkish; a capital after the
            # first word marks one in both languages.
            named = bool(token.suffix and token.suffix not in self.cues.clitics) or (
                token.capital and i > 0 and not shouting
            )
            result.append(Found(term, None, token.word, named))
            i += 1
        return self._complete_roles(self._pointed(self._capitals_as_countries(result), tokens))

    def _pointed(self, found: list[Found], tokens: Sequence[Token]) -> list[Found]:
        """ "There" beside one of the two countries is the other one ("do Turkish firms
        invest a lot *there*?"); with none or both named, it says nothing."""
        deixis = self.lexicon.deixis
        if not deixis or not any(f.term.text in deixis for f in found):
            return found
        named = {f.term.text for f in found if f.term.text in self.lexicon.roles}
        others = self.lexicon.roles - named
        other = next(iter(others)) if len(named) == 1 and len(others) == 1 else None
        at = {t.word: n for n, t in reversed(list(enumerate(tokens)))}
        result = []
        for f in found:
            if f.term.kind != "concept" or f.term.text not in deixis:
                result.append(f)
            elif other is not None and not self._existential(tokens, at.get(f.word, -1)):
                result.append(f._replace(term=Term("concept", other)))
        return result

    def _existential(self, tokens: Sequence[Token], i: int) -> bool:
        """ "Is *there*", "*there* are": a verb "to be" beside it makes it no place."""
        copulas = self.language.copulas
        return any(0 <= j < len(tokens) and tokens[j].word in copulas for j in (i - 1, i + 1))

    def _capitals_as_countries(self, found: list[Found]) -> list[Found]:
        """Two capitals named together stand for their countries: "trade between Ankara
        and Astana", "Ankara ile Astana" (but "the visit to Astana" is the city)."""
        capitals = self.lexicon.capitals
        if len(capitals) < 2:
            return found
        country_of = {city: country for country, city in capitals.items()}

        def capital(f: Found) -> str | None:
            if f.term.kind != "concept":
                return None
            return country_of.get(f.term.text) or country_of.get(f.word)

        if len({c for f in found if (c := capital(f)) is not None}) < 2:
            return found
        return [
            f._replace(term=Term("concept", country)) if (country := capital(f)) else f
            for f in found
        ]

    def _complete_roles(self, found: list[Found]) -> list[Found]:
        """With two countries and one side known, the other is the other side.

        "How much have Kazakhs put into Turkey?": Turkey is the target, so
        Kazakhstan is the source.
        """
        marked = {f.term: f.role for f in found if f.term in self.countries and f.role is not None}
        present = {f.term for f in found if f.term in self.countries}
        if len(marked) != 1 or len(present) != 2:
            return found
        ((known, role),) = marked.items()
        other: Role = "dst" if role == "src" else "src"
        return [f._replace(role=other) if f.term in present - {known} else f for f in found]

    def role(self, tokens: Sequence[Token], i: int, root: str, width: int) -> Role | None:
        """Whether a country is the source or the target of a relation.

        "Kazakistan'ın Türkiye'deki yatırımları" and "Kazakhstan's investment in
        Turkey" are the same bag of words as the reverse question; the case
        ending or the preposition tells them apart.
        """
        last = tokens[i + width - 1]
        ending = last.suffix or self._glued_ending(last.word, root)
        if ending:
            role = self.cues.role_of_ending(ending)
            if role is not None:
                return role
        before = tokens[i - 1].word if i > 0 else ""
        role = self.cues.role_of_preposition(before)
        if role is not None:
            return role
        # "Turkish investment", "Kazak yatırımcılar": the people of a country,
        # before what they do, are its source; after a preposition of the target
        # ("*into the* Turkish economy"), its target.
        # ("Turkish-Kazakh relations" names both sides: no source there.)
        after = i + width
        if (
            width == 1
            and last.word in self.lexicon.demonyms
            and after < len(tokens)
            and tokens[after].word not in self.stopwords
            and not self._is_country(tokens, after)
            and not (i > 0 and self._is_country(tokens, i - 1))
        ):
            return "dst" if self._after_target_preposition(tokens, i) else "src"
        return None

    def _after_target_preposition(self, tokens: Sequence[Token], i: int) -> bool:
        """Whether a target preposition comes before ``tokens[i]``, a stop-word or two
        between them ("into *the* Turkish economy")."""
        for j in range(i - 1, max(i - 3, -1), -1):
            role = self.cues.role_of_preposition(tokens[j].word)
            if role is not None:
                return role == "dst"
            if tokens[j].word not in self.stopwords:
                return False
        return False

    def _is_country(self, tokens: Sequence[Token], i: int) -> bool:
        form = self.lexicon.match(tokens, i)
        return form is not None and form.concept in self.lexicon.roles

    def _glued_ending(self, word: str, root: str) -> str:
        """The case ending of a name typed without its apostrophe (kazakistanin -> in)."""
        endings = self.cues.glued_case_endings
        for cut in range(len(word) - 1, len(root) - 1, -1):
            if (cut == len(root) or word[:cut] in self.vocabulary) and word[cut:] in endings:
                return word[cut:]
        return ""

    def foreign_name(self, tokens: Sequence[Token], i: int) -> tuple[str, int] | None:
        for width in range(min(self.foreign_max, len(tokens) - i), 0, -1):
            words = tuple(t.word for t in tokens[i : i + width])
            name = self.foreign.get(words)
            if name is not None:
                return name, width
        word = tokens[i].word
        # Case endings glued on without an apostrophe: almanyaya, rusyadan.
        for cut in range(len(word) - 1, 3, -1):
            name = self.foreign.get((word[:cut],))
            if name is not None and word[cut:] in self.cues.name_endings:
                return name, 1
        return None

    def correct(self, word: str) -> Term | None:
        """The term of the knowledge base's closest word to a misspelt one, if close enough.

        Close enough: one edit (a letter added, dropped, changed, or two
        swapped), two in words of ten letters or more. Candidates are the
        words of the phrases, the lexicon's words and roots (``muteahitleri``
        against the root ``muteahhit``) and the stop-words (``wht`` is
        ``what``: :data:`STOPWORD`, dropped). Like most typists, a candidate
        must get the first letter right.
        """
        if len(word) < 3 or word[0].isdigit():
            return None  # too short to tell a typo from another word
        if word in self._corrected:
            return self._corrected[word]
        if len(self._corrected) >= _CORRECTIONS_KEPT:
            self._corrected.clear()
        corrected = self._correct(word)
        self._corrected[word] = corrected
        return corrected

    def _correct(self, word: str) -> Term | None:
        if not self._targets:
            self._build_targets()
        targets = self._targets.get(word[0])
        if targets is None:
            return None
        (words, word_terms), roots = targets
        budget = 1 if len(word) < 10 else 2
        candidates: list[tuple[int, float, str, Term]] = []
        for found, distance, _ in process.extract(
            word, words, scorer=OSA.distance, score_cutoff=budget, limit=5
        ):
            is_stopword = word_terms[found] == STOPWORD
            if (
                # "area" is not a typo of "are", nor "uses" of "use": a word that
                # extends a known one is another word or another form of it.
                word.startswith(found)
                or _plural_pair(word, found)
                # A short word is only taken for a misspelt stop-word ("wht"),
                # and a stop-word only when a letter was dropped or two swapped
                # ("hava" is not "have").
                or (len(word) <= 3 and not is_stopword)
                or (is_stopword and len(found) <= len(word) and sorted(found) != sorted(word))
            ):
                continue
            candidates.append((int(distance), -fuzz.ratio(word, found), found, word_terms[found]))
        for length, (root_list, root_terms) in roots.items():
            if len(word) < length:
                continue
            for cut in (length - 1, length, length + 1) if length >= 6 else (length, length + 1):
                # A root is a short word's start: only a letter added, dropped
                # or two swapped ("compared" is not a typo of "compan-y").
                found_root = process.extractOne(
                    word[:cut], root_list, scorer=OSA.distance, score_cutoff=1
                )
                if (
                    found_root is not None
                    and not found_root[0].startswith(word[:cut])  # "compa-red" is no "compan-y"
                    and (
                        Indel.distance(word[:cut], found_root[0]) <= 1
                        or sorted(word[:cut]) == sorted(found_root[0])
                    )
                ):
                    root = found_root[0]
                    distance = int(found_root[1])
                    candidates.append(
                        (distance, -fuzz.ratio(word[:cut], root), root, root_terms[root])
                    )
        return min(candidates)[3] if candidates else None

    def _build_targets(self) -> None:
        words: dict[str, Term] = dict.fromkeys(self.stopwords, STOPWORD)
        words.update(self.vocabulary)
        roots: dict[str, Term] = {}
        for form in self.lexicon.forms:
            if len(form.words) == 1 and len(form.root) >= 4:
                if form.prefix[0]:
                    roots[form.root] = Term("concept", form.concept)
                else:
                    words.setdefault(form.root, Term("concept", form.concept))
        by_initial: dict[str, tuple[dict[str, Term], dict[int, dict[str, Term]]]] = {}
        for word, term in words.items():
            if word:
                by_initial.setdefault(word[0], ({}, {}))[0][word] = term
        for root, term in roots.items():
            by_initial.setdefault(root[0], ({}, {}))[1].setdefault(len(root), {})[root] = term
        self._targets = {
            initial: (
                (sorted(word_terms), word_terms),
                {n: (sorted(terms), terms) for n, terms in sorted(by_length.items())},
            )
            for initial, (word_terms, by_length) in by_initial.items()
        }


def _plural_pair(a: str, b: str) -> bool:
    """``area``/``areas``: another form of a word, not a typo of it (the lexicon chose)."""
    short, long = sorted((a, b), key=len)
    return long in (short + "s", short + "es")
