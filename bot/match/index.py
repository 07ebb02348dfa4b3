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
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.kb import Catalog
from bot.lang import Language, Token, tokenize
from bot.match.analyzer import STOPWORD, Analyzer, Cues
from bot.match.terms import Found, Term
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
    ) -> None:
        self.lang = language.code
        self.language = language
        self.w = weights
        self.analyzer = Analyzer(language, catalog.lexicon, foreign, cues, weights.max_terms)
        lexicon = catalog.lexicon
        self.lexicon = lexicon
        self.intent_ids = [intent.id for intent in catalog.intents]
        self.intent_kinds = [set(intent.answer_kinds) for intent in catalog.intents]
        self.questions = {Term("concept", c): kinds for c, kinds in lexicon.questions.items()}
        raw: list[tuple[int, list[Found], str, bool]] = []
        for number, intent in enumerate(catalog.intents):
            texts = [(p, False) for p in intent.phrases[self.lang]]
            for phrase, is_answer in (*texts, (intent.answer[self.lang], True)):
                tokens = tokenize(phrase)
                found = self.analyzer.terms(tokens, learn=True)
                raw.append((number, found, " ".join(t.word for t in tokens), is_answer))
        #: Each intent's phrases and answer as terms (what the fact cards are read from too).
        self.read: dict[str, tuple[list[list[Found]], list[Found]]] = {
            intent.id: (
                [f for n, f, _, answer in raw if n == number and not answer],
                next(f for n, f, _, answer in raw if n == number and answer),
            )
            for number, intent in enumerate(catalog.intents)
        }
        document_frequency: dict[Term, set[int]] = defaultdict(set)
        for number, found, _, _ in raw:
            for term in _with_roles(found):
                document_frequency[term].add(number)
        total = max(len(catalog.intents), 1)
        #: Every term of the phrases gets an id; scoring works on ids.
        self.ids: dict[Term, int] = {term: n for n, term in enumerate(document_frequency)}
        self.idf: dict[Term, float] = {
            term: math.log((total + 1) / (len(owners) + 0.5)) + 0.1
            for term, owners in document_frequency.items()
        }
        self.spread = {term: len(owners) for term, owners in document_frequency.items()}
        # Politeness around a question ("hey", "thanks"): it must not count
        # against answering the question; only small talk is about it.
        self.chatter = frozenset(Term("concept", c) for c in lexicon.chatter)
        self.entities = frozenset(Term("concept", c) for c in lexicon.roles)
        self.subjects = frozenset(Term("concept", c) for c in lexicon.subjects)
        #: The institutions a phrase can be about (few; most phrases name none).
        self.subject_ids = frozenset(self.ids[t] for t in self.subjects if t in self.ids)
        self.smalltalk = {n for n, intent in enumerate(catalog.intents) if intent.is_smalltalk}
        for number, found, _, is_answer in raw:
            if is_answer and puts_in_a_country(found, self.entities):
                self.intent_kinds[number].add("place")
        # A word no intent uses is as specific as a term can be (document frequency 0).
        unseen = math.log((total + 1) / 0.5) + 0.1
        self.unknown_weight = weights.unknown_weight * unseen
        self.foreign_weight = weights.foreign_weight * unseen
        self.phrases: list[Phrase] = []
        self.postings: list[list[int]] = [[] for _ in self.ids]
        for number, found, text, is_answer in raw:
            termset = frozenset(self.ids[t] for t in _with_roles(found))
            if not termset:
                continue
            position = len(self.phrases)
            weight = sum(self.idf[t] for t in frozenset(_with_roles(found)))
            self.phrases.append(Phrase(number, termset, weight, text, is_answer))
            for term_id in termset:
                self.postings[term_id].append(position)
        # Each term's phrases, lightest first: when a common term's list is cut
        # at the candidate cap, the phrases it explains most of are kept.
        for postings in self.postings:
            postings.sort(key=lambda position: (self.phrases[position].weight, position))

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
        weights: dict[Term, float] = {}
        for found in analyzer.terms(context):
            term = found.term
            if self.spread.get(term, 0) > 1 and term not in self.entities and not term.is_number:
                weights[term] = self.w.context_weight * self.idf[term]
        unknown = 0
        for term, role, word, named in analyzer.terms(tokens):
            if term.kind == "foreign":
                weights[term] = self.foreign_weight
                continue
            if term not in self.idf and term.kind != "concept":
                corrected = analyzer.correct(word)
                if corrected == STOPWORD:
                    continue  # a misspelt stop-word
                if corrected is None and named:
                    # A name the knowledge base never mentions: Oxford, NATO.
                    weights[Term("foreign", term.text)] = self.foreign_weight
                    continue
                term = corrected or term
            if term in self.idf:
                weights[term] = self.idf[term]
                if role is not None and term.with_role(role) in self.idf:
                    weights[term.with_role(role)] = (
                        self.w.role_weight * self.idf[term.with_role(role)]
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
        known.sort(key=lambda t: len(self.postings[self.ids[t]]))
        candidates: dict[int, None] = {}
        cap = w.max_candidates + (exclude >= 0)  # the phrase left out takes no place
        for term in known:
            room = cap - len(candidates)
            if room <= 0:
                break
            postings = self.postings[self.ids[term]]
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
                about = self.phrases[position].terms & self.subject_ids
                if about and about.isdisjoint(asked_ids):
                    shared[position] -= cost
        for term, weight in query.items():
            for key, sign in ((term, 1.0), (term.opposite, -w.contradiction)):
                # A country on the other side of the relation contradicts a phrase.
                key_id = self.ids.get(key) if key is not None else None
                postings = self.postings[key_id] if key_id is not None else []
                if not postings:
                    continue
                if len(postings) <= len(shared):
                    for position in postings:
                        if position in shared:
                            shared[position] += sign * weight
                else:
                    for position in shared:
                        if key_id in self.phrases[position].terms:
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
            phrase = self.phrases[position]
            recall = matched / (total if phrase.intent in self.smalltalk else content_total)
            precision = min(1.0, matched / phrase.weight)
            f_score = (1 + beta2) * precision * recall / (beta2 * precision + recall)
            near[phrase.intent].append((f_score, position))
            if f_score > best.get(phrase.intent, 0.0):
                best[phrase.intent] = f_score
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
                (1 - share) * f + share * fuzz.ratio(text, self.phrases[p].text) / 100
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
