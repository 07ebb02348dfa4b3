"""Scoring a question against every intent.

Each text is turned into *terms*: lexicon concepts where the lexicon knows a
word (so ``sold`` and ``ihracat`` meet), otherwise a stem (Snowball for
English; the first five letters for Turkish, which is what works best for an
agglutinative language typed with or without its letters). Misspelt words are
corrected against the knowledge base's own vocabulary with rapidfuzz.

A phrase's score is a weighted F-measure of the terms it shares with the
question, each term weighted by how few intents use it (IDF). Words the
knowledge base has never seen count against every intent, and names of other
countries and languages (from Babel's CLDR data) count double: "trade between
Turkey and Brazil" shares most words with the trade answers but is not
explained by them, so it scores low and is declined.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import Stemmer
from babel import Locale
from rapidfuzz import fuzz, process

from bot._catalog import LANGS, Catalog
from bot._lexicon import Lexicon
from bot._text import Token, fold, tokenize

__all__ = ["Match", "Matcher"]

# Turkish case endings, in the order they must be tried (ablative before locative).
_ROLE_ENDINGS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("dan", "den", "tan", "ten"), "src"),
    (("daki", "deki", "taki", "teki", "da", "de", "ta", "te"), "dst"),
    (("in", "un", "s"), "src"),
    (("a", "e"), "dst"),
)
_ROLE_PREPOSITION_TARGET = frozenset({"in", "to", "into", "at"})
_ROLE_PREPOSITION_SOURCE = frozenset({"from", "of", "by"})
_ROLE_ENTITIES = frozenset({"@turkey", "@kazakhstan"})
_FOREIGN = "!"
_UNKNOWN = "?"
_BETA2 = 2.0**2  # recall (how much of the question is explained) weighs twice precision
_PHRASE_SHARE = 0.8  # the rest comes from the intent's whole vocabulary
_MAX_CANDIDATES = 400
_MAX_TERMS = 30


@dataclass(frozen=True, slots=True)
class Match:
    """An intent and how well the question matched it (0-100)."""

    intent: str
    score: float
    lang: str


@dataclass(slots=True)
class _Phrase:
    intent: int
    terms: frozenset[str]
    weight: float
    text: str


class _Analyzer:
    """Turns text into terms for one language."""

    def __init__(self, lang: str, lexicon: Lexicon, foreign: dict[tuple[str, ...], str]) -> None:
        self.lang = lang
        self.lexicon = lexicon
        self.stopwords = lexicon.all_stopwords
        self.foreign = foreign
        self.foreign_max = max((len(k) for k in foreign), default=0)
        self._stemmer = Stemmer.Stemmer("english") if lang == "en" else None
        self.vocabulary: dict[str, str] = {}  # surface word -> term, filled while indexing
        self._choices: list[str] = []

    def stem(self, word: str) -> str:
        if word[0].isdigit():
            return word
        if self._stemmer is not None:
            return str(self._stemmer.stemWord(word))
        return word[:5]

    def terms(self, tokens: Sequence[Token], learn: bool = False) -> list[tuple[str, str | None]]:
        """Terms with an optional role (source/target of a relation) for each."""
        result: list[tuple[str, str | None]] = []
        i = 0
        while i < len(tokens) and len(result) < _MAX_TERMS:
            token = tokens[i]
            form = self.lexicon.match(tokens, i)
            if form is not None:
                role = (
                    self.role(tokens, i, form.root, len(form.words))
                    if f"@{form.concept}" in _ROLE_ENTITIES
                    else None
                )
                result.append((f"@{form.concept}", role))
                if learn:
                    self.vocabulary.setdefault(token.word, f"@{form.concept}")
                i += len(form.words)
                continue
            if token.word in self.stopwords:
                i += 1
                continue
            foreign = self.foreign_name(tokens, i)
            if foreign and not learn:
                result.append((_FOREIGN + foreign[0], None))
                i += foreign[1]
                continue
            term = self.stem(token.word)
            if learn:
                self.vocabulary.setdefault(token.word, term)
            result.append((term, None))
            i += 1
        return result

    def role(self, tokens: Sequence[Token], i: int, root: str, width: int) -> str | None:
        """Whether a country is the source or the target of a relation.

        "Kazakistan'ın Türkiye'deki yatırımları" and "Kazakhstan's investment in
        Turkey" are the same bag of words as the reverse question; the case
        ending or the preposition tells them apart.
        """
        last = tokens[i + width - 1]
        ending = last.suffix or last.word[len(root) :]
        if ending:
            for suffixes, role in _ROLE_ENDINGS:
                if ending.endswith(suffixes):
                    return role
        before = tokens[i - 1].word if i > 0 else ""
        if before in _ROLE_PREPOSITION_TARGET:
            return "dst"
        if before in _ROLE_PREPOSITION_SOURCE:
            return "src"
        return None

    def foreign_name(self, tokens: Sequence[Token], i: int) -> tuple[str, int] | None:
        for width in range(min(self.foreign_max, len(tokens) - i), 0, -1):
            words = tuple(t.word for t in tokens[i : i + width])
            name = self.foreign.get(words)
            if name is not None:
                return name, width
        word = tokens[i].word
        # Turkish glues case endings on without an apostrophe: almanyaya, rusyadan.
        for cut in range(len(word) - 1, 4, -1):
            name = self.foreign.get((word[:cut],))
            if name is not None:
                return name, 1
        return None

    def correct(self, word: str) -> str | None:
        """The knowledge base's closest word to a misspelt one, if close enough."""
        if len(word) < 4 or word[0].isdigit():
            return None
        if not self._choices:
            self._choices = sorted(self.vocabulary)
        cutoff = 80.0 if len(word) < 7 else 75.0
        found = process.extractOne(word, self._choices, scorer=fuzz.ratio, score_cutoff=cutoff)
        return None if found is None else str(found[0])


class _Index:
    """The phrases of one language, ready to be scored against."""

    def __init__(self, lang: str, catalog: Catalog, foreign: dict[tuple[str, ...], str]) -> None:
        self.lang = lang
        self.analyzer = _Analyzer(lang, catalog.lexicon, foreign)
        self.intent_ids = [intent.id for intent in catalog.intents]
        raw: list[tuple[int, list[tuple[str, str | None]], str]] = []
        for number, intent in enumerate(catalog.intents):
            for phrase in intent.phrases[lang]:
                terms = self.analyzer.terms(tokenize(phrase), learn=True)
                raw.append((number, terms, fold(phrase)))
        document_frequency: dict[str, set[int]] = defaultdict(set)
        for number, terms, _ in raw:
            for term in _with_roles(terms):
                document_frequency[term].add(number)
        total = max(len(catalog.intents), 1)
        self.weights = {
            term: math.log((total + 1) / (len(owners) + 0.5)) + 0.1
            for term, owners in document_frequency.items()
        }
        self.unknown_weight = math.log((total + 1) / 1.5) + 0.1
        self.phrases: list[_Phrase] = []
        self.postings: dict[str, list[int]] = defaultdict(list)
        self.intent_terms: list[set[str]] = [set() for _ in catalog.intents]
        for number, terms, text in raw:
            termset = frozenset(_with_roles(terms))
            if not termset:
                continue
            position = len(self.phrases)
            self.phrases.append(
                _Phrase(number, termset, sum(self.weights[t] for t in termset), text)
            )
            self.intent_terms[number].update(termset)
            for term in termset:
                self.postings[term].append(position)

    def query_terms(
        self, tokens: Sequence[Token], context: Sequence[Token] = ()
    ) -> dict[str, float]:
        """Weighted terms of a question; unknown words and foreign names weigh against.

        ``context`` (the previous question of a conversation) adds its known,
        non-entity terms at half weight, so "and the imports?" keeps the topic
        but not the countries or years of the turn before.
        """
        analyzer = self.analyzer
        weights: dict[str, float] = {}
        for term, _role in analyzer.terms(context):
            if term in self.weights and term not in _ROLE_ENTITIES and not term[0].isdigit():
                weights[term] = 0.5 * self.weights[term]
        for term, role in analyzer.terms(tokens):
            if term.startswith(_FOREIGN):
                weights[term] = 2 * self.unknown_weight
                continue
            if term not in self.weights and not term.startswith("@"):
                corrected = analyzer.correct(
                    term if analyzer.lang == "tr" else _surface(tokens, term)
                )
                if corrected is not None:
                    term = analyzer.vocabulary[corrected]
            if term in self.weights:
                weights[term] = self.weights[term]
                if role is not None and f"{term}>{role}" in self.weights:
                    weights[f"{term}>{role}"] = 0.5 * self.weights[f"{term}>{role}"]
            else:
                weights[_UNKNOWN + term] = self.unknown_weight
        return weights

    def score(self, tokens: Sequence[Token], context: Sequence[Token] = ()) -> dict[int, float]:
        """Score (0-1) of each intent that shares at least one term with the question."""
        query = self.query_terms(tokens, context)
        total = sum(query.values())
        if total <= 0:
            return {}
        known = [t for t in query if t in self.postings]
        # Rare terms first, so a huge knowledge base still scores few phrases.
        known.sort(key=lambda t: len(self.postings[t]))
        candidates: set[int] = set()
        for term in known:
            if len(candidates) >= _MAX_CANDIDATES:
                break
            candidates.update(self.postings[term])
        best: dict[int, float] = {}
        for position in candidates:
            phrase = self.phrases[position]
            shared = sum(w for t, w in query.items() if t in phrase.terms)
            if shared <= 0:
                continue
            recall = shared / total
            precision = min(1.0, shared / phrase.weight)
            f_score = (1 + _BETA2) * precision * recall / (_BETA2 * precision + recall)
            if f_score > best.get(phrase.intent, 0.0):
                best[phrase.intent] = f_score
        scores: dict[int, float] = {}
        for intent, f_score in best.items():
            vocabulary = self.intent_terms[intent]
            coverage = sum(w for t, w in query.items() if t in vocabulary) / total
            scores[intent] = _PHRASE_SHARE * f_score + (1 - _PHRASE_SHARE) * coverage
        return scores


def _with_roles(terms: Iterable[tuple[str, str | None]]) -> Iterable[str]:
    for term, role in terms:
        yield term
        if role is not None:
            yield f"{term}>{role}"


def _surface(tokens: Sequence[Token], term: str) -> str:
    for token in tokens:
        if token.word.startswith(term[:3]):
            return token.word
    return term


def foreign_names(catalog: Catalog) -> dict[tuple[str, ...], str]:
    """Names of countries, territories and languages that the knowledge base never mentions."""
    known: set[str] = set()
    for intent in catalog.intents:
        for lang in LANGS:
            for text in (*intent.phrases[lang], intent.answer[lang], intent.title[lang]):
                known.update(t.word for t in tokenize(text))
    known |= catalog.lexicon.all_stopwords
    names: dict[tuple[str, ...], str] = {}
    for lang in LANGS:
        locale = Locale(lang)
        for table in (locale.territories, locale.languages):
            for code, name in table.items():
                if code in ("en", "tr", "kk", "TR", "KZ") or code.isdigit():
                    continue
                words = tuple(t.word for t in tokenize(name))
                if not words or (len(words) == 1 and (len(words[0]) < 4 or words[0] in known)):
                    continue
                if len(words) > 1 and all(w in known for w in words):
                    continue
                names[words] = code
    return names


class Matcher:
    """Ranks intents for a question, in both languages' phrase sets at once."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        foreign = foreign_names(catalog)
        self.indexes = {lang: _Index(lang, catalog, foreign) for lang in LANGS}

    def rank(self, text: str, limit: int = 5, context: str = "") -> list[Match]:
        """The best intents for ``text``, best first, one entry per intent.

        ``context`` is the previous question of a conversation, read at half weight.
        """
        tokens = tokenize(text)
        if not tokens:
            return []
        context_tokens = tokenize(context) if context else []
        best: dict[int, Match] = {}
        for lang, index in self.indexes.items():
            for intent, score in index.score(tokens, context_tokens).items():
                if intent not in best or score > best[intent].score:
                    best[intent] = Match(index.intent_ids[intent], round(100 * score, 1), lang)
        return sorted(best.values(), key=lambda m: (-m.score, m.intent))[:limit]
