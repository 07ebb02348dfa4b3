"""The phrases of one language, indexed by term, and the score of a question against them.

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

import math
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast, overload

from rapidfuzz import fuzz

from bot.kb import Catalog
from bot.lang import Language, Role, Token, tokenize
from bot.match.analyzer import STOPWORD, Analyzer, Cues
from bot.match.compiled import Tables
from bot.match.terms import Found, Term, TermKind
from bot.match.weights import Weights

__all__ = ["Index", "puts_in_a_country"]


@dataclass(slots=True)
class Phrase:
    intent: int
    terms: frozenset[int]
    weight: float
    text: str
    is_answer: bool  # the answer itself is indexed too: "what happened on 11-12 October 2012?"


class Index:
    """The phrases of one language, ready to be scored against."""

    def __init__(
        self,
        language: Language,
        catalog: Catalog,
        foreign: dict[tuple[str, ...], str],
        cues: Cues,
        weights: Weights,
        tables: Tables | None = None,
    ) -> None:
        self.lang = language.code
        self.language = language
        self.w = weights
        self.analyzer = Analyzer(language, catalog.lexicon, foreign, cues, weights.max_terms)
        lexicon = catalog.lexicon
        self.lexicon = lexicon
        self.intent_ids = [intent.id for intent in catalog.intents]
        self.questions = {Term("concept", c): kinds for c, kinds in lexicon.questions.items()}
        # Politeness around a question ("hey", "thanks"): it must not count
        # against answering the question; only small talk is about it.
        self.chatter = frozenset(Term("concept", c) for c in lexicon.chatter)
        self.entities = frozenset(Term("concept", c) for c in lexicon.roles)
        self.subjects = frozenset(Term("concept", c) for c in lexicon.subjects)
        self.smalltalk = {n for n, intent in enumerate(catalog.intents) if intent.is_smalltalk}
        #: The index as flat tables (:mod:`bot.match.compiled`): built here, or opened from a file.
        self.tables = tables if tables is not None else self._build(catalog)
        t = self.tables
        self.terms = [_term(text) for text in t.strings("term_text", "term_start")]
        words = t.strings("word_text", "word_start")
        self.analyzer.vocabulary = {
            words[w]: self.terms[n]
            for w, n in zip(t.ints("voc_word"), t.ints("voc_term"), strict=True)
        }
        #: Every term of the phrases has an id; scoring works on ids.
        self.ids: dict[Term, int] = {term: n for n, term in enumerate(self.terms[: t.indexed])}
        self.idf = t.floats("idf")
        self.spread = t.ints("spread")
        self._post_start, self._post = t.ints("post_start"), t.ints("post")
        self._ph_intent, self._ph_weight = t.ints("ph_intent"), t.floats("ph_weight")
        self._ph_term_start, self._ph_terms = t.ints("ph_term_start"), t.ints("ph_terms")
        self.intent_kinds = [
            set(intent.answer_kinds) | ({"place"} if place else set())
            for intent, place in zip(catalog.intents, t.ints("intent_place"), strict=True)
        ]
        #: Each intent's phrases and answer as terms (what the fact cards are read from too).
        self.read: Mapping[str, tuple[list[list[Found]], list[Found]]] = _Readings(self, words)
        #: The phrases, in the order of their positions.
        self.phrases: Sequence[Phrase] = _Phrases(self)
        #: The institutions a phrase can be about (few; most phrases name none).
        self.subject_ids = frozenset(self.ids[t] for t in self.subjects if t in self.ids)
        total = max(len(catalog.intents), 1)
        # A word no intent uses is as specific as a term can be (document frequency 0).
        unseen = math.log((total + 1) / 0.5) + 0.1
        self.unknown_weight = weights.unknown_weight * unseen
        self.foreign_weight = weights.foreign_weight * unseen

    def _build(self, catalog: Catalog) -> Tables:
        """Read every phrase and answer of the language once, into flat tables."""
        raw: list[tuple[int, list[Found], str, bool]] = []
        for number, intent in enumerate(catalog.intents):
            texts = [(p, False) for p in intent.phrases[self.lang]]
            for phrase, is_answer in (*texts, (intent.answer[self.lang], True)):
                tokens = tokenize(phrase)
                found = self.analyzer.terms(tokens, learn=True)
                raw.append((number, found, " ".join(t.word for t in tokens), is_answer))
        document_frequency: dict[Term, set[int]] = defaultdict(set)
        for number, found, _, _ in raw:
            for term in _with_roles(found):
                document_frequency[term].add(number)
        total = max(len(catalog.intents), 1)
        ids: dict[Term, int] = {term: n for n, term in enumerate(document_frequency)}
        idf = [
            math.log((total + 1) / (len(owners) + 0.5)) + 0.1
            for owners in document_frequency.values()
        ]
        # Terms of the vocabulary and of the texts read that no phrase is indexed by.
        all_ids = dict(ids)
        for _, found, _, _ in raw:
            for f in found:
                all_ids.setdefault(f.term, len(all_ids))
        for term in self.analyzer.vocabulary.values():
            all_ids.setdefault(term, len(all_ids))
        word_ids: dict[str, int] = {}
        for word in self.analyzer.vocabulary:
            word_ids.setdefault(word, len(word_ids))
        for _, found, _, _ in raw:
            for f in found:
                word_ids.setdefault(f.word, len(word_ids))
        entities = frozenset(Term("concept", c) for c in catalog.lexicon.roles)
        place = [0] * len(catalog.intents)
        in_text_start = [0] * (len(catalog.intents) + 1)
        tx_found_start = [0]
        found_rows: list[tuple[int, int, int, int]] = []
        phrases: list[tuple[int, list[int], float, str, bool]] = []
        for number, found, text, is_answer in raw:
            in_text_start[number + 1] += 1
            found_rows += [
                (all_ids[f.term], _ROLES.index(f.role), word_ids[f.word], int(f.named))
                for f in found
            ]
            tx_found_start.append(len(found_rows))
            if is_answer and puts_in_a_country(found, entities):
                place[number] = 1
            termset = frozenset(ids[t] for t in _with_roles(found))
            if termset:
                weight = sum(idf[ids[t]] for t in frozenset(_with_roles(found)))
                phrases.append((number, sorted(termset), weight, text, is_answer))
        for n in range(len(catalog.intents)):
            in_text_start[n + 1] += in_text_start[n]
        postings: list[list[int]] = [[] for _ in ids]
        for position, (_, termset_sorted, _, _, _) in enumerate(phrases):
            for term_id in termset_sorted:
                postings[term_id].append(position)
        # Each term's phrases, lightest first: when a common term's list is cut
        # at the candidate cap, the phrases it explains most of are kept.
        for posting in postings:
            posting.sort(key=lambda position: (phrases[position][2], position))
        phrase_texts = [p[3].encode("utf-8") for p in phrases]
        term_texts = [_term_text(term).encode("utf-8") for term in all_ids]
        word_texts = [word.encode("utf-8") for word in word_ids]
        data: dict[str, Sequence[Any]] = {
            "term_start": _starts(len(x) for x in term_texts),
            "term_text": b"".join(term_texts),
            "idf": array("d", idf),
            "spread": array("i", [len(owners) for owners in document_frequency.values()]),
            "post_start": _starts(len(p) for p in postings),
            "post": array("i", [p for posting in postings for p in posting]),
            "ph_intent": array("i", [p[0] for p in phrases]),
            "ph_weight": array("d", [p[2] for p in phrases]),
            "ph_answer": bytes(p[4] for p in phrases),
            "ph_term_start": _starts(len(p[1]) for p in phrases),
            "ph_terms": array("i", [t for p in phrases for t in p[1]]),
            "ph_text_start": _starts(len(x) for x in phrase_texts),
            "ph_text": b"".join(phrase_texts),
            "in_text_start": array("i", in_text_start),
            "tx_answer": bytes(r[3] for r in raw),
            "tx_found_start": array("i", tx_found_start),
            "fd_term": array("i", [r[0] for r in found_rows]),
            "fd_role": bytes(r[1] for r in found_rows),
            "fd_word": array("i", [r[2] for r in found_rows]),
            "fd_named": bytes(r[3] for r in found_rows),
            "word_start": _starts(len(x) for x in word_texts),
            "word_text": b"".join(word_texts),
            "voc_word": array("i", [word_ids[w] for w in self.analyzer.vocabulary]),
            "voc_term": array("i", [all_ids[t] for t in self.analyzer.vocabulary.values()]),
            "intent_place": bytes(place),
        }
        return Tables(len(catalog.intents), len(ids), data)

    def postings(self, term_id: int) -> Sequence[int]:
        """The positions of the phrases with this term, lightest first."""
        return self._post[self._post_start[term_id] : self._post_start[term_id + 1]]

    def phrase_terms(self, position: int) -> Sequence[int]:
        """The term ids of a phrase, ascending."""
        return self._ph_terms[self._ph_term_start[position] : self._ph_term_start[position + 1]]

    def phrase_text(self, position: int) -> str:
        return self.tables.text("ph_text", "ph_text_start", position)

    def query_terms(
        self, tokens: Sequence[Token], context: Sequence[Token] = ()
    ) -> dict[Term, float]:
        """Weighted terms of a question; unknown words and foreign names weigh against.

        ``context`` (the previous question of a conversation) adds the terms of
        its topic: known terms that several intents share, so "and the
        imports?" keeps "trade" but not the countries, years or details of the
        turn before ("direct" investment is Kazakhstan's only, and must not
        pull "and Turkey's?" back to it).
        """
        analyzer = self.analyzer
        ids, idf = self.ids, self.idf
        weights: dict[Term, float] = {}
        for found in analyzer.terms(context):
            term = found.term
            spread = self.spread[ids[term]] if term in ids else 0
            if spread > 1 and term not in self.entities and not term.is_number:
                weights[term] = self.w.context_weight * idf[ids[term]]
        unknown = 0
        for term, role, word, named in analyzer.terms(tokens):
            if term.kind == "foreign":
                weights[term] = self.foreign_weight
                continue
            if term not in ids and term.kind != "concept":
                corrected = analyzer.correct(word)
                if corrected == STOPWORD:
                    continue  # a misspelt stop-word
                if corrected is None and named:
                    # A name the knowledge base never mentions: Oxford, NATO.
                    weights[Term("foreign", term.text)] = self.foreign_weight
                    continue
                term = corrected or term
            if term in ids:
                weights[term] = idf[ids[term]]
                if role is not None and term.with_role(role) in ids:
                    weights[term.with_role(role)] = (
                        self.w.role_weight * idf[ids[term.with_role(role)]]
                    )
            elif term.is_number:
                weights[Term("foreign", term.text)] = self.foreign_weight
            elif Term("unknown", term.text) not in weights:
                # Each further unknown word is weaker evidence: a long, chatty
                # question is not off-topic for its many small words.
                unknown += 1
                weights[Term("unknown", term.text)] = (
                    self.unknown_weight / unknown**self.w.unknown_decay
                )
        return weights

    def _subordinate(self, tokens: Sequence[Token]) -> frozenset[Term]:
        """Terms of question words that join a clause ("...rank *when* you count capital?")."""
        joining = self.language.joining_words([t.word for t in tokens])
        if not joining:
            return frozenset()
        return frozenset(f.term for f in self.analyzer.terms(tokens) if f.word in joining)

    def score(
        self, tokens: Sequence[Token], context: Sequence[Token] = (), exclude: int = -1
    ) -> dict[int, float]:
        """Score (0-1) of each intent that shares at least one term with the question.

        ``exclude`` leaves one phrase out (for leave-one-out evaluation).
        """
        w = self.w
        query = self.query_terms(tokens, context)
        own = self.query_terms(tokens) if context else query
        total = sum(query.values())
        if total <= 0:
            return {}
        content_total = (total - sum(v for t, v in query.items() if t in self.chatter)) or total
        known = [t for t in query if t in self.ids]
        named = {t.base for t in known}
        if len(named) == 1 and named <= self.entities:
            return {}  # "Kazakhstan's?" names a country and asks nothing about it
        # Candidates: the phrases of the rarest terms first, at most
        # max_candidates of them, so a huge knowledge base still scores few
        # phrases; a term too common to add whole adds its lightest phrases.
        starts = self._post_start
        known.sort(key=lambda t: starts[self.ids[t] + 1] - starts[self.ids[t]])
        candidates: dict[int, None] = {}
        cap = w.max_candidates + (exclude >= 0)  # the phrase left out takes no place
        for term in known:
            room = cap - len(candidates)
            if room <= 0:
                break
            postings = self.postings(self.ids[term])
            if len(postings) <= room:
                candidates.update(dict.fromkeys(postings))
                continue
            for position in postings:
                candidates[position] = None
                if len(candidates) >= cap:
                    break
        candidates.pop(exclude, None)
        # Term at a time: each term adds its weight to the candidates it is in.
        shared = dict.fromkeys(candidates, 0.0)
        asked_about = self.subjects.intersection(query)
        if asked_about:
            # A phrase about another institution than the question's does not
            # answer it: it pays for the subject it lacks.
            cost = w.contradiction * max(query[t] for t in asked_about)
            asked_ids = {self.ids[t] for t in asked_about if t in self.ids}
            for position in shared:
                about = self.subject_ids.intersection(self.phrase_terms(position))
                if about and about.isdisjoint(asked_ids):
                    shared[position] -= cost
        for term, weight in query.items():
            for key, sign in ((term, 1.0), (term.opposite, -w.contradiction)):
                # A country on the other side of the relation contradicts a phrase.
                key_id = self.ids.get(key) if key is not None else None
                postings = self.postings(key_id) if key_id is not None else ()
                if not postings:
                    continue
                if len(postings) <= len(shared):
                    for position in postings:
                        if position in shared:
                            shared[position] += sign * weight
                else:
                    for position in shared:
                        if key_id in self.phrase_terms(position):
                            shared[position] += sign * weight
        best: dict[int, float] = {}
        near: dict[int, list[tuple[float, int]]] = defaultdict(list)
        # A phrase explaining less than a fifth of the question cannot score
        # above 0.3 (recall bounds the F-measure), far under anything used.
        floor = max(w.min_recall * content_total, 1e-9)
        beta2 = w.recall_beta**2
        for position, matched in shared.items():
            if matched < floor:
                continue
            intent = self._ph_intent[position]
            recall = matched / (total if intent in self.smalltalk else content_total)
            precision = min(1.0, matched / self._ph_weight[position])
            f_score = (1 + beta2) * precision * recall / (beta2 * precision + recall)
            near[intent].append((f_score, position))
            if f_score > best.get(intent, 0.0):
                best[intent] = f_score
        # Another country, a name or a year the knowledge base does not know:
        # the question is about something else. A question word without an
        # answer of its kind ("when was TURKPA founded?" for an answer with no
        # date): not answered, however many words it shares.
        foreign = w.foreign_factor ** sum(1 for t in query if t.kind == "foreign")
        subordinate = self._subordinate(tokens)
        concepts = [t.text for t in query if t.kind == "concept"]
        asked = [
            self.lexicon.wanted(t.text, concepts)
            for t in query
            if t in self.questions and t in own and t not in subordinate
        ]
        factor = {
            intent: foreign
            * (
                1.0
                if intent in self.smalltalk or all(k & self.intent_kinds[intent] for k in asked)
                else w.question_mismatch
            )
            for intent in best
        }
        # Among the best phrases, the one written most like the question wins a
        # little: "help" is closer to "help" than to "that was helpful". The
        # bonus is small, so only intents near the top need it computed.
        text = " ".join(t.word for t in tokens)
        leader = max((factor[i] * f for i, f in best.items()), default=0.0)
        share = w.spelling_share
        for intent, scored in near.items():
            top = best[intent]
            if factor[intent] * top < leader - w.spelling_window:
                best[intent] = factor[intent] * (1 - share) * top
                continue
            best[intent] = factor[intent] * max(
                (1 - share) * f + share * fuzz.ratio(text, self.phrase_text(p)) / 100
                for f, p in scored
                if f >= top - w.spelling_phrases
            )
        return best


def puts_in_a_country(found: Iterable[Found], countries: frozenset[Term]) -> bool:
    """Whether a text puts something in a country ("a visit *to Turkey*"): it names a place."""
    return any(f.role == "dst" and f.term in countries for f in found)


def _with_roles(found: Iterable[Found]) -> Iterable[Term]:
    for item in found:
        yield item.term
        if item.role is not None:
            yield item.term.with_role(item.role)


_ROLES: tuple[Role | None, ...] = (None, "src", "dst")


def _term_text(term: Term) -> str:
    return f"{term.kind}\x1f{term.text}\x1f{term.role or ''}"


def _term(text: str) -> Term:
    kind, word, role = text.split("\x1f")
    return Term(cast("TermKind", kind), word, cast("Role", role) if role else None)


def _starts(lengths: Iterable[int]) -> array[int]:
    """Offsets of consecutive items of these lengths (one more than there are items)."""
    starts = array("i", [0])
    for length in lengths:
        starts.append(starts[-1] + length)
    return starts


class _Phrases(Sequence[Phrase]):
    """The phrases of an index, each made when asked for (for tools and leave-one-out)."""

    def __init__(self, index: Index) -> None:
        self._index = index

    def __len__(self) -> int:
        return len(self._index._ph_intent)

    @overload
    def __getitem__(self, position: int) -> Phrase: ...
    @overload
    def __getitem__(self, position: slice) -> Sequence[Phrase]: ...
    def __getitem__(self, position: int | slice) -> Phrase | Sequence[Phrase]:
        if isinstance(position, slice):
            return [self[n] for n in range(len(self))[position]]
        index = self._index
        if not 0 <= position < len(self):
            raise IndexError(position)
        return Phrase(
            index._ph_intent[position],
            frozenset(index.phrase_terms(position)),
            index._ph_weight[position],
            index.phrase_text(position),
            bool(index.tables.blob("ph_answer")[position]),
        )


class _Readings(Mapping[str, tuple[list[list[Found]], list[Found]]]):
    """Each intent's phrases and answer as terms found, read from the tables when asked for."""

    def __init__(self, index: Index, words: list[str]) -> None:
        self._index = index
        self._words = words
        self._numbers = {intent: n for n, intent in enumerate(index.intent_ids)}

    def __len__(self) -> int:
        return len(self._numbers)

    def __iter__(self) -> Iterator[str]:
        return iter(self._numbers)

    def __getitem__(self, intent: str) -> tuple[list[list[Found]], list[Found]]:
        number = self._numbers[intent]
        t = self._index.tables
        text_start, found_start = t.ints("in_text_start"), t.ints("tx_found_start")
        terms, words, answers = self._index.terms, self._words, t.blob("tx_answer")
        term, role, word, named = (
            t.ints("fd_term"),
            t.blob("fd_role"),
            t.ints("fd_word"),
            t.blob("fd_named"),
        )
        phrases: list[list[Found]] = []
        answer: list[Found] = []
        for text in range(text_start[number], text_start[number + 1]):
            found = [
                Found(terms[term[f]], _ROLES[role[f]], words[word[f]], bool(named[f]))
                for f in range(found_start[text], found_start[text + 1])
            ]
            if answers[text]:
                answer = found
            else:
                phrases.append(found)
        return phrases, answer
