"""What each intent states, and what a question asks: fact cards and question frames.

A :class:`FactCard` is derived from the knowledge base, never hand-listed per
question: the kinds of answer an intent gives (its values' kinds, and the
kinds of what its answer names: a place, a person, an organisation), the
years its values give, the nouns its numbers count ("8,000 *students*"), the
people, places and organisations it names, and its vocabulary.

A :class:`Frame` is a question analysed once: what kind of answer it wants
("when" wants a date), the noun it asks about (its focus: "what is the *fee*",
"rektörü kim"), what it counts ("how many *companies*"), the people, places
and organisations it names, and its years. The verifier
(:mod:`bot.dialogue.verify`) answers with an intent only when its card covers
the frame.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.kb import Catalog
from bot.lang import Language, Token, tokenize
from bot.match.analyzer import STOPWORD, Analyzer, Cues
from bot.match.foreign import foreign_names
from bot.match.index import Index, puts_in_a_country
from bot.match.terms import Found, Term

__all__ = ["FactCard", "Facts", "Frame"]

#: Kinds of things a question may name that an answer must name too.
ENTITY_KINDS = frozenset({"person", "place", "organisation"})
#: Kinds of what is asked about that want a person named ("who was the minister?").
PERSON_KINDS = frozenset({"person", "office"})
_YEAR = re.compile(r"^(?:1[89]|20)\d\d$")
#: A word's term is read from it and the words after it, as far as the longest multiword
#: form of the lexicon (six words) reaches.
_TERM_WINDOW = 8
_COUNTED_WORDS = 3  # how far after a number its counted noun may be ("4 different cities")
#: A word of an agglutinative language is known when its first letters are:
#: five for words of seven letters or more, else four ("başkenti" is not "başkan").
_ROOT_LETTERS = 5
_LONG_WORD = 7
#: The share of concepts two intents must share to be one flow's two directions.
_SAME_FLOW = 0.3
#: The kinds of answer "who" and "which country" want: with a superlative, the one ranked first.
_WHO_OR_WHICH = frozenset({"person", "country", "organisation"})


@dataclass(frozen=True, slots=True)
class FactCard:
    """What one intent states."""

    intent: str
    kinds: frozenset[str]
    #: The ordinals its values give ("17th", "4th").
    ranks: frozenset[int]
    years: frozenset[str]
    counted: frozenset[Term]
    named: frozenset[str]
    vocabulary: frozenset[Term]
    #: What its answer itself says (its terms, every language), without its phrases...
    stated: frozenset[Term] = frozenset()
    #: ...and its words' stems ("Council" in "Strategic Cooperation Council").
    stated_stems: frozenset[str] = frozenset()
    #: The verbs its answer gives a doer for ("Turkey *recognised*", "visited by the PM"),
    #: as terms and stems; a passive with no doer ("*was signed* in 2009") is not one.
    agented: frozenset[Term] = frozenset()
    agented_stems: frozenset[str] = frozenset()
    #: Which side of its flow each country is on ("turkey" -> "src" for Turkey's exports),
    #: read from its phrases; empty for an intent about no flow.
    direction: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True, slots=True)
class Frame:
    """What a question asks."""

    #: For each question word, the kinds of answer it wants (any one will do).
    asks: tuple[frozenset[str], ...] = ()
    #: The noun asked about, and whether the knowledge base knows it at all.
    focus: Term | None = None
    focus_known: bool = True
    #: Whether grammar marks the focus as what is asked ("üniversitenin *rektörü* kim").
    focus_marked: bool = False
    #: Whether the focus is a person or an office ("who was the *minister*?").
    focus_is_person: bool = False
    #: Whether it asks *which* of something ("which *products*", "hangi *ürünler*"), and the
    #: words that follow "which" (their terms and stems): one of them names what is asked.
    asks_which: bool = False
    which_terms: tuple[Term, ...] = ()
    which_stems: tuple[str, ...] = ()
    #: The verb "who" asks the doer of ("who *signed* it", "kim *imzaladı*"), and its stem.
    agent_of: Term | None = None
    agent_stem: str = ""
    #: What it counts ("how many *companies*"), when it counts something.
    counted: Term | None = None
    #: People, places and organisations it names (concepts).
    named: frozenset[str] = frozenset()
    years: frozenset[str] = frozenset()
    #: Whether it says anything beyond question words and politeness ("where?", "ne zaman?").
    has_content: bool = True
    #: Whether it asks who or what is first ("who is the *largest* investor?").
    asks_first: bool = False
    #: Every concept it names but question words, politeness and the two countries.
    concepts: frozenset[str] = frozenset()
    #: The politeness it names ("thanks", "hello"): a pleasantry answers only its own kind.
    chatter: frozenset[str] = frozenset()
    #: Which side of a flow each country it names is on ("Kazakhstan's investment in
    #: Turkey": kazakhstan src, turkey dst), where its grammar says.
    direction: frozenset[tuple[str, str]] = frozenset()
    #: How many of its words the knowledge base does not know at all ("embassy", "hotels"),
    #: names of other countries and places included.
    unknown: int = 0

    @property
    def wants(self) -> frozenset[str]:
        """Every kind of answer it could be after."""
        return frozenset().union(*self.asks)


class Facts:
    """The fact cards of a knowledge base, and the reader of question frames."""

    def __init__(
        self,
        catalog: Catalog,
        foreign: dict[tuple[str, ...], str] | None = None,
        *,
        indexes: Mapping[str, Index] | None = None,
    ) -> None:
        """``indexes`` (a term ranker's) lend their analyzers and readings: no text is read twice."""
        self.catalog = catalog
        lexicon = catalog.lexicon
        self.lexicon = lexicon
        self.languages: dict[str, Language] = {lang.code: lang for lang in catalog.languages}
        foreign = foreign if foreign is not None else foreign_names(catalog)
        cues = Cues.of(catalog.languages)
        self.analyzers = (
            {code: index.analyzer for code, index in indexes.items()}
            if indexes is not None
            else {
                code: Analyzer(language, lexicon, foreign, cues, max_terms=60)
                for code, language in self.languages.items()
            }
        )
        self.questions = dict(lexicon.questions)
        vocabulary: dict[str, set[Term]] = {i.id: set() for i in catalog.intents}
        stated: dict[str, set[Term]] = {i.id: set() for i in catalog.intents}
        stems: dict[str, set[str]] = {i.id: set() for i in catalog.intents}
        agented: dict[str, set[Term]] = {i.id: set() for i in catalog.intents}
        agented_stems: dict[str, set[str]] = {i.id: set() for i in catalog.intents}
        named: dict[str, set[str]] = {i.id: set() for i in catalog.intents}
        #: Each intent's phrases and answer as terms, read once: (phrases, answer) per language.
        self._read: dict[str, list[tuple[list[list[Found]], list[Found]]]] = {}
        for intent in catalog.intents:
            reads = self._read[intent.id] = []
            for code, analyzer in self.analyzers.items():
                if indexes is not None:
                    phrases, answer = indexes[code].read[intent.id]
                else:
                    phrases = [
                        analyzer.terms(tokenize(p), learn=True) for p in intent.phrases[code]
                    ]
                    answer = analyzer.terms(tokenize(intent.answer[code]), learn=True)
                # A title is read without teaching the ranker's analyzer new words.
                title = analyzer.terms(tokenize(intent.title[code]), learn=indexes is None)
                reads.append((phrases, answer))
                stated[intent.id].update(f.term for f in answer)
                stems[intent.id].update(
                    analyzer.language.stem(t.word) for t in tokenize(intent.answer[code])
                )
                for found in (*phrases, title, answer):
                    vocabulary[intent.id].update(f.term for f in found)
                    if found is not title:
                        named[intent.id].update(
                            f.term.text
                            for f in found
                            if f.term.kind == "concept" and self._names(f.term.text)
                        )
        self.known: frozenset[Term] = frozenset().union(*vocabulary.values())
        for intent in catalog.intents:  # (spelling needs the words known above)
            for code, analyzer in self.analyzers.items():
                done_terms, done_stems = self._agented(intent.answer[code], analyzer)
                agented[intent.id] |= done_terms
                agented_stems[intent.id] |= done_stems
        surface = {w for analyzer in self.analyzers.values() for w in analyzer.vocabulary}
        self._roots = frozenset(
            w[:size]
            for w in surface
            for size in (_ROOT_LETTERS - 1, _ROOT_LETTERS)
            if len(w) >= size
        )
        self._directions = {
            intent.id: self._direction(intent.id)
            for intent in catalog.intents
            if not intent.is_smalltalk
        }
        self.cards = {
            intent.id: FactCard(
                intent=intent.id,
                kinds=intent.answer_kinds | self._places(intent.id),
                ranks=self._ranks(intent.id),
                years=self._years(intent.id),
                counted=self._counted(intent.id),
                named=frozenset(named[intent.id]),
                vocabulary=frozenset(vocabulary[intent.id]),
                stated=frozenset(stated[intent.id]),
                stated_stems=frozenset(stems[intent.id]),
                agented=frozenset(agented[intent.id]),
                agented_stems=frozenset(agented_stems[intent.id]),
                direction=self._stated_flow(intent.id),
            )
            for intent in catalog.intents
        }

    def card(self, intent_id: str) -> FactCard:
        return self.cards[intent_id]

    def opposite(self, intent_id: str) -> str | None:
        """The intent about the same flow the other way round (exports -> imports), if any.

        Each intent's direction is read from its phrases: which country is
        the source and which the target, most often. The opposite has the
        reverse direction and shares the most concepts with it.
        """
        direction = self._directions.get(intent_id)
        if not direction:
            return None
        flipped = {
            country: ("dst" if role == "src" else "src") for country, role in direction.items()
        }
        topic = self.catalog.intent(intent_id).topic
        best: tuple[float, str] | None = None
        for other, theirs in self._directions.items():
            if other == intent_id or theirs != flipped:
                continue
            if self.catalog.intent(other).topic != topic:
                continue
            shared = self._overlap(intent_id, other)
            if best is None or shared > best[0]:
                best = (shared, other)
        return best[1] if best and best[0] >= _SAME_FLOW else None

    def _overlap(self, a: str, b: str) -> float:
        """How much two intents speak of the same things (Jaccard over their concepts)."""
        ignore = set(self.lexicon.roles) | set(self.questions) | set(self.lexicon.chatter)
        first = {t.text for t in self.cards[a].vocabulary if t.kind == "concept"} - ignore
        second = {t.text for t in self.cards[b].vocabulary if t.kind == "concept"} - ignore
        return len(first & second) / len(first | second) if first | second else 0.0

    def _stated_flow(self, intent_id: str) -> frozenset[tuple[str, str]]:
        """The side of its flow each country is on, by most of its phrases that mark it with
        a preposition or a case ending (as :meth:`_flow` reads a question)."""
        intent = self.catalog.intent(intent_id)
        votes: dict[tuple[str, str], int] = {}
        for (phrases, _), (code, analyzer) in zip(
            self._read[intent_id], self.analyzers.items(), strict=True
        ):
            for text, found in zip(intent.phrases[code], phrases, strict=True):
                for side in self._flow(tokenize(text), analyzer.language, found):
                    votes[side] = votes.get(side, 0) + 1
        return frozenset(self._sides(votes).items())

    def _direction(self, intent_id: str) -> dict[str, str]:
        votes: dict[tuple[str, str], int] = {}
        for phrases, _ in self._read[intent_id]:
            for found in (f for phrase in phrases for f in phrase):
                if found.role is not None and found.term.text in self.lexicon.roles:
                    key = (found.term.text, found.role)
                    votes[key] = votes.get(key, 0) + 1
        return self._sides(votes)

    def _sides(self, votes: Mapping[tuple[str, str], int]) -> dict[str, str]:
        """Each country's side by its phrases' votes: at least two, and twice the other side's."""
        sides: dict[str, str] = {}
        for country in self.lexicon.roles:
            src, dst = votes.get((country, "src"), 0), votes.get((country, "dst"), 0)
            if max(src, dst) >= 2 and max(src, dst) >= 2 * min(src, dst):
                sides[country] = "src" if src > dst else "dst"
        return sides

    # -- cards --------------------------------------------------------------------

    def _places(self, intent_id: str) -> frozenset[str]:
        """A country its answer puts something in ("a visit *to Turkey*") is a place.

        A country that acts ("Kazakhstan played a role") is not: "where" is not
        answered by it.
        """
        countries = frozenset(Term("concept", c) for c in self.lexicon.roles)
        for _, answer in self._read[intent_id]:
            if puts_in_a_country(answer, countries):
                return frozenset({"place"})
        return frozenset()

    def _ranks(self, intent_id: str) -> frozenset[int]:
        intent = self.catalog.intent(intent_id)
        ranks = set()
        for name in _placeholders(intent.templates):
            value = self.catalog.values.get(name)
            if value is not None and value.kind == "ordinal":
                ranks.add(int(dict(value.data)["ordinal"]))
        # "Turkey was the *first* country to recognise...": an answer saying so states rank one.
        firsts = self.lexicon.kinds.get("firsts", frozenset())
        for _, answer in self._read[intent_id]:
            if any(f.term.kind == "concept" and f.term.text in firsts for f in answer):
                ranks.add(1)
        return frozenset(ranks)

    def _years(self, intent_id: str) -> frozenset[str]:
        intent = self.catalog.intent(intent_id)
        years: set[str] = set()
        for name in _placeholders(intent.templates):
            value = self.catalog.values.get(name)
            if value is None:
                continue
            data = dict(value.data)
            for key in ("year", "date", "until", "month"):
                if key in data:
                    item = data[key]
                    years.add(str(item if key == "year" else item.year))
        for text in intent.answer.values():
            years.update(t.word for t in tokenize(text) if _YEAR.match(t.word))
        return frozenset(years)

    def _counted(self, intent_id: str) -> frozenset[Term]:
        """The nouns an intent's numbers count: "About {students} *students*"."""
        intent = self.catalog.intent(intent_id)
        counted: set[Term] = set()
        for code, template in intent.templates.items():
            parts = list(string.Formatter().parse(template))
            for n, (_, name, _, _) in enumerate(parts):
                value = self.catalog.values.get(name) if name else None
                if value is None or value.kind != "number":
                    continue
                after = "".join(literal for literal, *_ in parts[n + 1 :])
                tokens = tokenize(after)[:_COUNTED_WORDS]
                terms = [f.term for f in self.analyzers[code].terms(tokens)]
                # The noun counted: the first concept ("4 different *cities*"), else the next word.
                noun = next((t for t in terms if t.kind == "concept"), terms[0] if terms else None)
                if noun is not None:
                    counted.add(noun)
        return frozenset(counted)

    # -- frames -------------------------------------------------------------------

    def frame(self, text: str, lang: str, *, context: str = "") -> Frame:
        """What ``text`` (in ``lang``) asks; ``context``, the question before it in a
        conversation, tells what "it" stands for ("who signed *it*?" after the agreement)."""
        analyzer = self.analyzers.get(lang) or next(iter(self.analyzers.values()))
        language = analyzer.language
        tokens = tokenize(text)
        if not tokens:
            return Frame()
        found = analyzer.content_terms(tokens)
        bare = frozenset(self.questions) | self.lexicon.chatter
        content = [f for f in found if not (f.term.kind == "concept" and f.term.text in bare)]
        if not found:  # all stop-words: read them as words
            found = analyzer.terms(tokens)
        concepts = [f.term.text for f in found if f.term.kind == "concept"]
        joining = language.joining_words([t.word for t in tokens])  # "...rank *when* you..."
        kept = [f.term.text for f in found if f.term.kind == "concept" and f.word not in joining]
        ranks = [f for f in found if f.term.kind == "concept" and self._superlative(f.term.text)]
        ranked = bool(ranks)
        # "Which country ranks *17th*?" names its rank: it does not ask who is first.
        placed = any(char.isdigit() for f in ranks for char in f.word)
        asks = tuple(
            self.lexicon.wanted(c, concepts)
            for n, c in enumerate(kept)
            if c in self.questions and not self._of_degree(kept, n)
        )
        named = frozenset(c for c in concepts if self._names(c))
        years = frozenset(t.word for t in tokens if _YEAR.match(t.word))
        focused = self._focus(tokens, language, analyzer)
        which = self._after_which(tokens, language, analyzer)
        doing = (
            self._asked_doing(tokens, language, analyzer, tokenize(context))
            if "who" in concepts
            else None
        )
        focus, narrowing, marked = focused if focused is not None else (None, [], False)
        counted = self._counted_in(tokens, language, analyzer)
        focus_term = focus.term if focus is not None else None
        return Frame(
            asks=asks,
            asks_which=bool(which) and not marked,
            which_terms=tuple(f.term for f in which),
            which_stems=tuple(language.stem(f.word) for f in which),
            agent_of=doing.term if doing is not None else None,
            agent_stem=language.stem(doing.word) if doing is not None else "",
            focus=focus_term,
            focus_marked=marked,
            focus_known=focus is None or all(self._known(f, analyzer) for f in (focus, *narrowing)),
            # "who was the *minister*", "who *chairs* it": an office wants a person named.
            focus_is_person=(
                focus_term is not None
                and focus_term.kind == "concept"
                and bool(self.lexicon.kinds_of(focus_term.text) & PERSON_KINDS)
            )
            or any(self.lexicon.kinds_of(c) & {"office"} for c in concepts),
            counted=counted,
            named=named,
            years=years,
            has_content=bool(content),
            # "Who (which country) is the largest investor in Kazakhstan?"; "where does it
            # rank?" asks the rank of something named.
            asks_first=ranked and not placed and any(k & _WHO_OR_WHICH for k in asks),
            concepts=frozenset(f.term.text for f in content if f.term.kind == "concept")
            - self.lexicon.roles,
            chatter=frozenset(concepts) & self.lexicon.chatter,
            direction=self._flow(tokens, language, found),
            unknown=sum(
                f.term.kind == "foreign" or (f.term.kind == "word" and not self._known(f, analyzer))
                for f in content
            ),
        )

    def _flow(
        self, tokens: Sequence[Token], language: Language, found: Sequence[Found]
    ) -> frozenset[tuple[str, str]]:
        """The side of a flow each country is on, where a preposition or a case ending says
        so ("*from* Kazakhstan *into* Turkey", "Kazakistan*'dan* Türkiye*'ye*"), the other
        country then on the other side; an owner ("Kazakhstan's sector") or a people
        ("Kazakh") says nothing."""
        words = [t.word for t in tokens]
        flow: set[tuple[str, str]] = set()
        for f in found:
            if f.role is None or f.term.text not in self.lexicon.roles or f.word not in words:
                continue
            at = words.index(f.word)
            suffix = tokens[at].suffix
            before = words[at - 1] if at > 0 else ""
            if suffix in language.genitive_endings or before in language.genitive_prepositions:
                continue  # an owner: "in *Kazakhstan's* energy sector"
            if before in language.agent_words:
                continue  # "bought *by* Turkey": the doer, whichever way the goods go
            if before in language.source_prepositions:
                flow.add((f.term.text, "src"))
            elif before in language.target_prepositions:
                flow.add((f.term.text, "dst"))
            elif suffix in language.source_endings:
                flow.add((f.term.text, "src"))
            elif suffix in language.target_endings:
                flow.add((f.term.text, "dst"))
        present = {f.term.text for f in found if f.term.text in self.lexicon.roles}
        if len(flow) == 1 and len(present) == 2:
            # "Where does Kazakhstan rank among investors *in Turkey*?": the other country
            # is on the other side.
            ((country, role),) = flow
            (other,) = present - {country}
            flow.add((other, "dst" if role == "src" else "src"))
        return frozenset(flow)

    def subject_words(self, text: str) -> str:
        """The words of ``text`` that name a person, place, organisation or subject (not one
        of the two countries), as written: what "it" stands for in the next question."""
        tokens = tokenize(text)
        spans: list[str] = []
        i = 0
        while i < len(tokens):
            form = self.lexicon.match(tokens, i)
            if form is None:
                i += 1
                continue
            width = len(form.words)
            if self._names(form.concept) and form.concept not in self.lexicon.roles:
                spans.append(" ".join(t.word for t in tokens[i : i + width]))
            i += width
        return " ".join(dict.fromkeys(spans))

    def _superlative(self, concept: str) -> bool:
        return "superlative" in self.lexicon.kinds_of(concept)

    def _names(self, concept: str) -> bool:
        """Whether a concept names something in particular: a person, place, organisation, subject."""
        return (
            bool(self.lexicon.kinds_of(concept) & ENTITY_KINDS) or concept in self.lexicon.subjects
        )

    def _of_degree(self, concepts: list[str], n: int) -> bool:
        """ "How much" before a quality asks a degree ("ne kadar önemli"), not an amount."""
        return n + 1 < len(concepts) and "quality" in self.lexicon.kinds_of(concepts[n + 1])

    def _known(self, found: Found, analyzer: Analyzer) -> bool:
        """Whether the knowledge base knows a word (as written, or misspelt, or inflected)."""
        term = found.term
        if term in self.known or term.kind == "concept":
            return True
        if analyzer.language.glues_case_endings and self._known_root(found.word):
            return True  # "işlerde": a known root with endings the phrases never used
        return self._spelt(found, analyzer) is not None

    def _spelt(self, found: Found, analyzer: Analyzer) -> Term | None:
        """The known term a misspelt word stands for ("studnets"), if any.

        Not a new word one letter away from a stop-word ("wheat" is not "what").
        """
        corrected = analyzer.correct(found.word)
        if (
            corrected is None
            or corrected == STOPWORD
            or corrected.text in analyzer.stopwords
            or corrected not in self.known
        ):
            return None
        return corrected

    def _known_root(self, word: str) -> bool:
        size = _ROOT_LETTERS if len(word) >= _LONG_WORD else _ROOT_LETTERS - 1
        return len(word) > size and word[:size] in self._roots

    def _focus(
        self, tokens: Sequence[Token], language: Language, analyzer: Analyzer
    ) -> tuple[Found, list[Found], bool] | None:
        """The noun asked about, the words that narrow it ("*wheat* imports"), and
        whether grammar marks it as the noun asked about (a possessive ending)."""
        words = [t.word for t in tokens]
        stop = analyzer.stopwords
        for i, word in enumerate(words):
            if word in language.focus_after:
                form = self.lexicon.match(tokens, i)
                if form is not None and len(form.words) > 1 and form.concept in self.questions:
                    return None  # "which year", "hangi ülke": the question word says it all
                j = i + 1
                if j < len(words) and words[j] in language.copulas:
                    j += 1  # "what is the fee": only after a verb "to be" is a noun asked about
                elif tokens[i].suffix in language.copulas:
                    pass  # "what's the fee"
                elif word not in language.focus_direct or j >= len(words) or words[j] in stop:
                    continue  # "which sectors", "how much wheat": the noun follows at once
                while j < len(words) and words[j] in stop:
                    j += 1
                run = []
                while (
                    j < len(words) and words[j] not in stop and words[j] not in language.focus_after
                ):
                    run.append(j)
                    j += 1
                if not run:
                    continue
                head, *rest = run if language.focus_noun_first else run[::-1]
                found = self._term_at(tokens, head, analyzer)
                modifiers = [] if language.focus_noun_first else rest
                narrowing = [m for k in modifiers if (m := self._term_at(tokens, k, analyzer))]
                return (found, narrowing, False) if found is not None else None
            if word in language.focus_before and i > 0:
                j = i - 1
                while j >= 0 and words[j] in stop:
                    j -= 1
                if (
                    j >= 0
                    and words[j].endswith(language.possessive_endings)
                    and not tokens[j].suffix
                ):
                    found = self._term_at(tokens, j, analyzer)
                    # "buğday ithalatı": a bare word before the possessed noun narrows it.
                    before = j - 1
                    narrowing = []
                    if (
                        before >= 0
                        and words[before] not in stop
                        and not tokens[before].suffix
                        and not words[before].endswith(tuple(_case_endings(language)))
                    ):
                        modifier = self._term_at(tokens, before, analyzer)
                        narrowing = [modifier] if modifier is not None else []
                    return (found, narrowing, True) if found is not None else None
        return None

    def _agented(self, text: str, analyzer: Analyzer) -> tuple[set[Term], set[str]]:
        """The verbs of an answer that have a doer: any but a passive with no "by" near it."""
        language = analyzer.language
        tokens = tokenize(text)
        words = [t.word for t in tokens]
        terms: set[Term] = set()
        stems: set[str] = set()
        for k, word in enumerate(words):
            passive = (k > 0 and words[k - 1] in language.passive_before) or (
                bool(language.passive_endings) and word.endswith(language.passive_endings)
            )
            near = words[max(0, k - 3) : k + 4]
            if passive and not any(w in language.agent_words for w in near):
                continue
            found = self._term_at(tokens, k, analyzer)
            if found is not None:
                terms.add(found.term)
            stems.add(language.stem(word))
        return terms, stems

    def _asked_doing(
        self,
        tokens: Sequence[Token],
        language: Language,
        analyzer: Analyzer,
        context: Sequence[Token] = (),
    ) -> Found | None:
        """The verb right after "who" ("who *signed*", "kim *imzaladı*"); none for "who is"."""
        words = [t.word for t in tokens]
        stop = analyzer.stopwords
        for i in range(len(words)):
            form = self.lexicon.match(tokens, i)
            if form is None or form.concept != "who" or len(form.words) != 1:
                continue
            j = i + 1
            while j < len(words) and words[j] in stop and words[j] not in language.copulas:
                j += 1
            if j >= len(words) or words[j] in language.copulas:
                return None
            doing = self._term_at(tokens, j, analyzer)
            if doing is None:
                return None
            others = [f.term for n, t in enumerate(tokens) if n != j for f in analyzer.terms([t])]
            others += [f.term for f in analyzer.terms(context)]
            if doing.term in others:
                # "who *signed* the agreement": the verb reads as the agreement's concept,
                # which the answer names anyway; only the verb's own stem says who did it.
                return doing._replace(term=Term("word", language.stem(doing.word)))
            return doing
        return None

    def _after_which(
        self, tokens: Sequence[Token], language: Language, analyzer: Analyzer
    ) -> list[Found]:
        """The words right after each "which"/"hangi"/"what" ("which *countries pushed*"), up
        to a stop-word; none when they are too vague to name anything ("which *place*").

        Where the noun comes first ("hangi *ürünleri* ihraç ediyor") it alone is asked about,
        after any word for a country's people ("hangi Türk *şirketleri*").
        """
        words = [t.word for t in tokens]
        stop = analyzer.stopwords
        found: list[Found] = []
        for i, word in enumerate(words):
            optional = word in language.which_with_noun
            if not optional and (
                word not in language.focus_direct or word not in language.focus_after
            ):
                continue
            run = []
            j = i + 1
            while j < len(words) and words[j] not in stop and words[j] not in language.focus_after:
                run.append(j)
                j += 1
            if optional and (
                not run
                or self._asks_itself(tokens, run[0])
                or words[run[0]].endswith(language.verb_endings or ("\0",))
                or any(self._names_country(tokens, k) for k in run)
            ):
                # "what did they sign", "what year", "what happened", "what brings Turkey
                # and...": no noun asked about
                continue
            if not run or any(words[k] in language.vague_nouns for k in run):
                return []
            if language.focus_noun_first:
                head = next((k for k in run if words[k] not in self.lexicon.demonyms), run[-1])
                run = [k for k in run if k <= head]
            found += [f for k in run if (f := self._term_at(tokens, k, analyzer)) is not None]
        return found

    def _names_country(self, tokens: Sequence[Token], at: int) -> bool:
        """Whether the word at ``at`` names one of the two countries (not its people)."""
        form = self.lexicon.match(tokens, at)
        return (
            form is not None
            and form.concept in self.lexicon.roles
            and tokens[at].word not in self.lexicon.demonyms
        )

    def _asks_itself(self, tokens: Sequence[Token], at: int) -> bool:
        """Whether the word at ``at`` starts a question word of its own ("what *year*")."""
        form = self.lexicon.match(tokens, at)
        return form is not None and form.concept in self.questions

    def _counted_in(
        self, tokens: Sequence[Token], language: Language, analyzer: Analyzer
    ) -> Term | None:
        words = [t.word for t in tokens]
        for cue in language.count_before:
            at = _find(words, cue.split())
            if at is not None and at < len(words):
                found = self._term_at(tokens, at, analyzer)
                return None if found is None else self._count_term(found)
        for cue in language.count_after:
            if cue in words and words.index(cue) > 0:
                found = self._term_at(tokens, words.index(cue) - 1, analyzer)
                return None if found is None else self._count_term(found)
        return None

    def _count_term(self, found: Found) -> Term | None:
        """The counted noun, unless it is how a figure is put ("how many *billion* dollars")."""
        term = found.term
        if term.kind == "concept" and "measure" in self.lexicon.kinds_of(term.text):
            return None
        if term.kind in ("foreign", "unknown") or term.is_number:
            return None
        return term

    def _term_at(self, tokens: Sequence[Token], index: int, analyzer: Analyzer) -> Found | None:
        """The term of the word at ``index`` (a concept that spans it, or its stem, spelt right)."""
        for start in (index - 2, index - 1):
            form = self.lexicon.match(tokens, start) if start >= 0 else None
            if form is not None and start + len(form.words) > index:  # "ev *sahipliği*"
                return Found(Term("concept", form.concept), None, tokens[index].word)
        for found in analyzer.terms(tokens[index : index + _TERM_WINDOW]):
            if found.term.kind == "word" and found.term not in self.known:
                corrected = self._spelt(found, analyzer)
                if corrected is not None:
                    return found._replace(term=corrected)
            return found
        return None


def _placeholders(templates: dict[str, str]) -> set[str]:
    names: set[str] = set()
    for template in templates.values():
        names.update(f for _, f, _, _ in string.Formatter().parse(template) if f)
    return names


def _find(words: list[str], cue: list[str]) -> int | None:
    """The index just after the first occurrence of ``cue`` in ``words``."""
    for i in range(len(words) - len(cue) + 1):
        if words[i : i + len(cue)] == cue:
            return i + len(cue)
    return None


def _case_endings(language: Language) -> frozenset[str]:
    """Endings that make a word a postposition or an adverb ("açısından"), not a modifier."""
    return frozenset(e for e in language.source_endings | language.target_endings if len(e) > 1)
