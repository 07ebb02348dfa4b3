"""Scoring a question against every intent.

Each text is turned into *terms*: lexicon concepts where the lexicon knows a
word (so ``sold`` and ``ihracat`` meet), otherwise a stem (Snowball for
English; the first five letters for Turkish, which is what works best for an
agglutinative language typed with or without its letters). Misspelt words are
corrected against the knowledge base's own vocabulary with rapidfuzz.

A phrase's score is a weighted F-measure of the terms it shares with the
question, each term weighted by how few intents use it (IDF). Words the
knowledge base has never seen count against every intent; names of other
countries and languages (from Babel's CLDR data), names it does not know and
numbers it has no facts for weigh more and cut the score: "trade between Turkey
and Brazil" shares most words with the trade answers but is not explained by
them, so it scores low and is declined. A question word must meet an answer of
its kind ("when" wants a date).
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import Stemmer
from babel import Locale
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Indel

from bot._catalog import LANGS, Catalog
from bot._lexicon import Lexicon
from bot._text import Token, tokenize

__all__ = ["Match", "Matcher"]

# Turkish case endings (folded) and the English possessive: which side of a
# relation a country is on. Genitive and ablative: the source ("Kazakistan'ın
# yatırımları", "Türkiye'den ithalat"); locative and dative: the target.
_ROLE_ENDINGS: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset("dan den tan ten in nin un nun im s inki ninki inkiler ninkiler".split()), "src"),
    (frozenset("da de ta te daki deki taki teki a e ya ye".split()), "dst"),
)
_CASE_ENDINGS = frozenset().union(*(endings for endings, _ in _ROLE_ENDINGS)) - {"s"}
_ALL_ENDINGS = _CASE_ENDINGS | frozenset("s la le yla yle lar ler li lu i yi u yu".split())
_ROLE_PREPOSITION_TARGET = frozenset({"in", "to", "into", "at"})
_ROLE_PREPOSITION_SOURCE = frozenset({"from", "of", "by"})
_FOREIGN = "!"
_UNKNOWN = "?"
_BETA2 = 1.5**2  # recall (how much of the question is explained) weighs more than precision
_SPELLING_SHARE = 0.1  # how close the question is written to the phrase, character by character
#: How much a word the knowledge base has never seen weighs, relative to the rarest known term.
UNKNOWN_WEIGHT = 0.75
UNKNOWN_DECAY = 0.5
#: Names of other countries, and numbers (years, amounts) the knowledge base does not know.
FOREIGN_WEIGHT = 2.0
FOREIGN_FACTOR = 0.7
#: A question word whose kind of answer the intent cannot give ("when" without a date).
QUESTION_MISMATCH = 0.7
#: A country on the wrong side of the relation costs this many times its weight.
CONTRADICTION = 3.0
_MAX_CANDIDATES = 400
_MIN_RECALL = 0.2
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
    subjects: frozenset[str]  # the institutions it is about


class _Term(NamedTuple):
    """A term of a text: its key, the role of a country, and the word it came from."""

    key: str
    role: str | None
    word: str
    named: bool = False  # written as a proper noun: Oxford, Oxford'da


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
        # Typo-correction targets by first letter: words (sorted, and their
        # terms) and lexicon roots by length (the same).
        self._targets: dict[
            str,
            tuple[tuple[list[str], dict[str, str]], dict[int, tuple[list[str], dict[str, str]]]],
        ] = {}

    def stem(self, word: str) -> str:
        if word[0].isdigit():
            return word
        if self._stemmer is not None:
            return str(self._stemmer.stemWord(word))
        return word[:5]

    def terms(self, tokens: Sequence[Token], learn: bool = False) -> list[_Term]:
        """The terms of a text, in order.

        Stop-words are dropped unless nothing else is left: "what can you do"
        is all stop-words, and must still match something.
        """
        return self._terms(tokens, learn, self.stopwords) or self._terms(tokens, learn, frozenset())

    def _terms(
        self, tokens: Sequence[Token], learn: bool, stopwords: frozenset[str]
    ) -> list[_Term]:
        result: list[_Term] = []
        # In text typed all in capitals, a capital letter says nothing.
        shouting = sum(t.capital for t in tokens) > len(tokens) / 2
        i = 0
        while i < len(tokens) and len(result) < _MAX_TERMS:
            token = tokens[i]
            form = self.lexicon.match(tokens, i)
            if form is not None:
                key = f"@{form.concept}"
                role = (
                    self.role(tokens, i, form.root, len(form.words))
                    if form.concept in self.lexicon.roles
                    else None
                )
                result.append(_Term(key, role, token.word))
                if learn:
                    self.vocabulary.setdefault(token.word, key)
                i += len(form.words)
                continue
            if token.word in stopwords:
                i += 1
                continue
            foreign = None if learn else self.foreign_name(tokens, i)
            if foreign is not None:
                result.append(_Term(_FOREIGN + foreign[0], None, token.word))
                i += foreign[1]
                continue
            key = self.stem(token.word)
            if learn:
                self.vocabulary.setdefault(token.word, key)
            # Only proper nouns take an apostrophe in Turkish; a capital after the
            # first word marks one in both languages.
            named = (token.suffix not in ("", "s", "t", "ll", "re", "ve", "d", "m")) or (
                token.capital and i > 0 and not shouting
            )
            result.append(_Term(key, None, token.word, named))
            i += 1
        return self._complete_roles(result)

    def _complete_roles(self, terms: list[_Term]) -> list[_Term]:
        """With two countries and one side known, the other is the other side.

        "How much have Kazakhs put into Turkey?": Turkey is the target, so
        Kazakhstan is the source.
        """
        entities = {f"@{c}" for c in self.lexicon.roles}
        marked = {t.key: t.role for t in terms if t.key in entities and t.role is not None}
        present = {t.key for t in terms if t.key in entities}
        if len(marked) != 1 or len(present) != 2:
            return terms
        ((known, role),) = marked.items()
        other = "dst" if role == "src" else "src"
        return [t._replace(role=other) if t.key in present - {known} else t for t in terms]

    def role(self, tokens: Sequence[Token], i: int, root: str, width: int) -> str | None:
        """Whether a country is the source or the target of a relation.

        "Kazakistan'ın Türkiye'deki yatırımları" and "Kazakhstan's investment in
        Turkey" are the same bag of words as the reverse question; the case
        ending or the preposition tells them apart.
        """
        last = tokens[i + width - 1]
        ending = last.suffix or self._glued_ending(last.word, root)
        if ending:
            for suffixes, role in _ROLE_ENDINGS:
                if ending in suffixes:
                    return role
        before = tokens[i - 1].word if i > 0 else ""
        if before in _ROLE_PREPOSITION_TARGET:
            return "dst"
        if before in _ROLE_PREPOSITION_SOURCE:
            return "src"
        # "Turkish investment", "Kazak yatırımcılar": the people of a country,
        # before what they do, are its source.
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
            return "src"
        return None

    def _is_country(self, tokens: Sequence[Token], i: int) -> bool:
        form = self.lexicon.match(tokens, i)
        return form is not None and form.concept in self.lexicon.roles

    def _glued_ending(self, word: str, root: str) -> str:
        """The case ending of a name typed without its apostrophe (kazakistanin -> in)."""
        for cut in range(len(word) - 1, len(root) - 1, -1):
            if (cut == len(root) or word[:cut] in self.vocabulary) and word[cut:] in _CASE_ENDINGS:
                return word[cut:]
        return ""

    def foreign_name(self, tokens: Sequence[Token], i: int) -> tuple[str, int] | None:
        for width in range(min(self.foreign_max, len(tokens) - i), 0, -1):
            words = tuple(t.word for t in tokens[i : i + width])
            name = self.foreign.get(words)
            if name is not None:
                return name, width
        word = tokens[i].word
        # Turkish glues case endings on without an apostrophe: almanyaya, rusyadan.
        for cut in range(len(word) - 1, 3, -1):
            name = self.foreign.get((word[:cut],))
            if name is not None and word[cut:] in _ALL_ENDINGS:
                return name, 1
        return None

    def correct(self, word: str) -> str | None:
        """The term of the knowledge base's closest word to a misspelt one, if close enough.

        Close enough: one edit (a letter added, dropped, changed, or two
        swapped), two in words of ten letters or more. Candidates are the
        words of the phrases, the lexicon's words and roots (``muteahitleri``
        against the root ``muteahhit``) and the stop-words (``wht`` is
        ``what``: an empty term, dropped). Like most typists, a candidate must
        get the first letter right.
        """
        if len(word) < 3 or word[0].isdigit():
            return None  # too short to tell a typo from another word
        if not self._targets:
            self._build_targets()
        targets = self._targets.get(word[0])
        if targets is None:
            return None
        (words, word_terms), roots = targets
        budget = 1 if len(word) < 10 else 2
        candidates: list[tuple[int, float, str, str]] = []
        for found, distance, _ in process.extract(
            word, words, scorer=OSA.distance, score_cutoff=budget, limit=5
        ):
            if (
                # "area" is not a typo of "are", nor "uses" of "use": a word that
                # extends a known one is another word or another form of it.
                word.startswith(found)
                or _plural_pair(word, found)
                # A short word is only taken for a misspelt stop-word ("wht"),
                # and a stop-word only when a letter was dropped or two swapped
                # ("hava" is not "have").
                or (len(word) <= 3 and word_terms[found])
                or (
                    not word_terms[found]
                    and len(found) <= len(word)
                    and sorted(found) != sorted(word)
                )
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
        words: dict[str, str] = {w: "" for w in self.stopwords}
        words.update(self.vocabulary)
        roots: dict[str, str] = {}
        for form in self.lexicon.forms:
            if len(form.words) == 1 and len(form.root) >= 4:
                if form.prefix[0]:
                    roots[form.root] = f"@{form.concept}"
                else:
                    words.setdefault(form.root, f"@{form.concept}")
        by_initial: dict[str, tuple[dict[str, str], dict[int, dict[str, str]]]] = {}
        for word, key in words.items():
            if word:
                by_initial.setdefault(word[0], ({}, {}))[0][word] = key
        for root, key in roots.items():
            by_initial.setdefault(root[0], ({}, {}))[1].setdefault(len(root), {})[root] = key
        self._targets = {
            initial: (
                (sorted(word_terms), word_terms),
                {n: (sorted(terms), terms) for n, terms in sorted(by_length.items())},
            )
            for initial, (word_terms, by_length) in by_initial.items()
        }


class _Index:
    """The phrases of one language, ready to be scored against."""

    def __init__(self, lang: str, catalog: Catalog, foreign: dict[tuple[str, ...], str]) -> None:
        self.lang = lang
        self.analyzer = _Analyzer(lang, catalog.lexicon, foreign)
        self.intent_ids = [intent.id for intent in catalog.intents]
        self.intent_kinds = [intent.value_kinds for intent in catalog.intents]
        self.questions = {f"@{c}": kinds for c, kinds in catalog.lexicon.questions.items()}
        raw: list[tuple[int, list[_Term], str]] = []
        for number, intent in enumerate(catalog.intents):
            # The answer itself is a phrase too: "what happened on 11-12 October 2012?"
            for phrase in (*intent.phrases[lang], intent.answer[lang]):
                tokens = tokenize(phrase)
                terms = self.analyzer.terms(tokens, learn=True)
                raw.append((number, terms, " ".join(t.word for t in tokens)))
        document_frequency: dict[str, set[int]] = defaultdict(set)
        for number, terms, _ in raw:
            for term in _with_roles(terms):
                document_frequency[term].add(number)
        total = max(len(catalog.intents), 1)
        self.weights = {
            term: math.log((total + 1) / (len(owners) + 0.5)) + 0.1
            for term, owners in document_frequency.items()
        }
        self.spread = {term: len(owners) for term, owners in document_frequency.items()}
        # Politeness around a question ("hey", "thanks"): it must not count
        # against answering the question; only small talk is about it.
        self.chatter = frozenset(f"@{c}" for c in catalog.lexicon.chatter)
        self.entities = frozenset(f"@{c}" for c in catalog.lexicon.roles)
        self.subjects = frozenset(f"@{c}" for c in catalog.lexicon.subjects)
        self.smalltalk = {n for n, intent in enumerate(catalog.intents) if intent.is_smalltalk}
        # A word no intent uses is as specific as a term can be (document frequency 0).
        unseen = math.log((total + 1) / 0.5) + 0.1
        self.unknown_weight = UNKNOWN_WEIGHT * unseen
        self.foreign_weight = FOREIGN_WEIGHT * unseen
        self.phrases: list[_Phrase] = []
        self.postings: dict[str, list[int]] = defaultdict(list)
        for number, terms, text in raw:
            termset = frozenset(_with_roles(terms))
            if not termset:
                continue
            position = len(self.phrases)
            self.phrases.append(
                _Phrase(
                    number,
                    termset,
                    sum(self.weights[t] for t in termset),
                    text,
                    termset & self.subjects,
                )
            )
            for term in termset:
                self.postings[term].append(position)

    def query_terms(
        self, tokens: Sequence[Token], context: Sequence[Token] = ()
    ) -> dict[str, float]:
        """Weighted terms of a question; unknown words and foreign names weigh against.

        ``context`` (the previous question of a conversation) adds the terms of
        its topic at half weight: known terms that several intents share, so
        "and the imports?" keeps "trade" but not the countries, years or
        details of the turn before ("direct" investment is Kazakhstan's only,
        and must not pull "and Turkey's?" back to it).
        """
        analyzer = self.analyzer
        weights: dict[str, float] = {}
        for term, *_ in analyzer.terms(context):
            if (
                self.spread.get(term, 0) > 1
                and term[1:] not in self.analyzer.lexicon.roles
                and not term[0].isdigit()
            ):
                weights[term] = 0.5 * self.weights[term]
        unknown = 0
        for term, role, word, named in analyzer.terms(tokens):
            if term.startswith(_FOREIGN):
                weights[term] = self.foreign_weight
                continue
            if term not in self.weights and not term.startswith("@"):
                corrected = analyzer.correct(word)
                if corrected == "":
                    continue  # a misspelt stop-word
                if corrected is None and named:
                    # A name the knowledge base never mentions: Oxford, NATO.
                    weights[_FOREIGN + term] = self.foreign_weight
                    continue
                term = corrected or term
            if term in self.weights:
                weights[term] = self.weights[term]
                if role is not None and f"{term}>{role}" in self.weights:
                    weights[f"{term}>{role}"] = 0.5 * self.weights[f"{term}>{role}"]
            elif term[0].isdigit():
                weights[_FOREIGN + term] = self.foreign_weight
            elif _UNKNOWN + term not in weights:
                # Each further unknown word is weaker evidence: a long, chatty
                # question is not off-topic for its many small words.
                unknown += 1
                weights[_UNKNOWN + term] = self.unknown_weight / unknown**UNKNOWN_DECAY
        return weights

    def score(
        self, tokens: Sequence[Token], context: Sequence[Token] = (), exclude: int = -1
    ) -> dict[int, float]:
        """Score (0-1) of each intent that shares at least one term with the question.

        ``exclude`` leaves one phrase out (for leave-one-out evaluation).
        """
        query = self.query_terms(tokens, context)
        own = self.query_terms(tokens) if context else query
        total = sum(query.values())
        if total <= 0:
            return {}
        content_total = (total - sum(w for t, w in query.items() if t in self.chatter)) or total
        known = [t for t in query if t in self.postings]
        named = {t.split(">")[0] for t in known}
        if len(named) == 1 and named <= self.entities:
            return {}  # "Kazakhstan's?" names a country and asks nothing about it
        # Candidates: the phrases of the rarest terms first, so a huge knowledge
        # base still scores few phrases.
        known.sort(key=lambda t: len(self.postings[t]))
        candidates: set[int] = set()
        for term in known:
            if len(candidates) >= _MAX_CANDIDATES:
                break
            candidates.update(self.postings[term])
        candidates.discard(exclude)
        # Term at a time: each term adds its weight to the candidates it is in.
        shared = dict.fromkeys(candidates, 0.0)
        asked_about = self.subjects.intersection(query)
        if asked_about:
            # A phrase about another institution than the question's does not
            # answer it: it pays for the subject it lacks.
            cost = CONTRADICTION * max(query[t] for t in asked_about)
            for position in shared:
                about = self.phrases[position].subjects
                if about and about.isdisjoint(asked_about):
                    shared[position] -= cost
        for term, weight in query.items():
            opposite = _opposite(term)
            for key, sign in ((term, 1.0), (opposite, -CONTRADICTION)):
                # A country on the other side of the relation contradicts a phrase.
                postings = self.postings.get(key, []) if key else []
                if not postings:
                    continue
                if len(postings) <= len(shared):
                    for position in postings:
                        if position in shared:
                            shared[position] += sign * weight
                else:
                    for position in shared:
                        if key in self.phrases[position].terms:
                            shared[position] += sign * weight
        best: dict[int, float] = {}
        near: dict[int, list[tuple[float, int]]] = defaultdict(list)
        # A phrase explaining less than a fifth of the question cannot score
        # above 0.3 (recall bounds the F-measure), far under anything used.
        floor = max(_MIN_RECALL * content_total, 1e-9)
        for position, matched in shared.items():
            if matched < floor:
                continue
            phrase = self.phrases[position]
            recall = matched / (total if phrase.intent in self.smalltalk else content_total)
            precision = min(1.0, matched / phrase.weight)
            f_score = (1 + _BETA2) * precision * recall / (_BETA2 * precision + recall)
            near[phrase.intent].append((f_score, position))
            if f_score > best.get(phrase.intent, 0.0):
                best[phrase.intent] = f_score
        # Another country, a name or a year the knowledge base does not know:
        # the question is about something else. A question word without an
        # answer of its kind ("when was TURKPA founded?" for an answer with no
        # date): not answered, however many words it shares.
        foreign = FOREIGN_FACTOR ** sum(1 for t in query if t.startswith(_FOREIGN))
        asked = [self.questions[t] for t in query if t in self.questions and t in own]
        factor = {
            intent: foreign
            * (1.0 if all(k & self.intent_kinds[intent] for k in asked) else QUESTION_MISMATCH)
            for intent in best
        }
        # Among the best phrases, the one written most like the question wins a
        # little: "help" is closer to "help" than to "that was helpful". The
        # bonus is small, so only intents near the top need it computed.
        text = " ".join(t.word for t in tokens)
        leader = max((factor[i] * f for i, f in best.items()), default=0.0)
        for intent, scored in near.items():
            top = best[intent]
            if factor[intent] * top < leader - 0.15:
                best[intent] = factor[intent] * (1 - _SPELLING_SHARE) * top
                continue
            best[intent] = factor[intent] * max(
                (1 - _SPELLING_SHARE) * f
                + _SPELLING_SHARE * fuzz.ratio(text, self.phrases[p].text) / 100
                for f, p in scored
                if f >= top - 0.1
            )
        return best


def _plural_pair(a: str, b: str) -> bool:
    """``area``/``areas``: another form of a word, not a typo of it (the lexicon chose)."""
    short, long = sorted((a, b), key=len)
    return long in (short + "s", short + "es")


def _opposite(term: str) -> str:
    if term.endswith(">src"):
        return term[:-3] + "dst"
    if term.endswith(">dst"):
        return term[:-3] + "src"
    return ""


def _with_roles(terms: Iterable[_Term]) -> Iterable[str]:
    for term, role, *_ in terms:
        yield term
        if role is not None:
            yield f"{term}>{role}"


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
                # Regions (numeric codes) and minor languages (three-letter
                # codes) are left out: their names clash with ordinary words.
                if code in ("en", "tr", "kk", "TR", "KZ") or code.isdigit():
                    continue
                if table is locale.languages and len(code) != 2:
                    continue
                words = tuple(t.word for t in tokenize(name))
                if not words or (len(words) == 1 and (len(words[0]) < 3 or words[0] in known)):
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

        Both languages' phrases are searched. ``context`` is the previous
        question of a conversation, read at half weight.
        """
        tokens = tokenize(text)
        if not tokens:
            return []
        context_tokens = tokenize(context) if context else []
        indexes = list(self.indexes.values())
        best: dict[int, tuple[float, str]] = {}
        for index in indexes:
            for intent, score in index.score(tokens, context_tokens).items():
                if intent not in best or score > best[intent][0]:
                    best[intent] = (score, index.lang)
        ids = indexes[0].intent_ids
        top = heapq.nsmallest(
            limit, best.items(), key=lambda kv: (-round(100 * kv[1][0], 1), ids[kv[0]])
        )
        return [Match(ids[intent], round(100 * score, 1), found) for intent, (score, found) in top]
