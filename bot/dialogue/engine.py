"""The answer engine: question in, :class:`Answer` out.

Data flows one way: normalise -> detect the language -> find the question in
the message (:mod:`bot.lang.clauses`) -> rank intents (the
:class:`~bot.match.Ranker`) -> decide (the :class:`~bot.dialogue.Policy`) and
verify (:mod:`bot.dialogue.verify`): answer, ask which one was meant, say
what the document does not say, or decline -> the answer in the language.
The engine does no I/O after loading and keeps no state between questions;
conversations live in :class:`bot.Session`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bot.dialogue.answer import Answer, Choice, TopicGroup
from bot.dialogue.explain import Candidate, Explanation, frame_fields, verdict_of
from bot.dialogue.policy import Policy, decide
from bot.dialogue.verify import REASONS, Reason, Verifier
from bot.kb import Catalog, Intent, Snapshot, bundled_dir, load_catalog
from bot.lang import N_, Language, LanguageDetector, Translator, clean_input, tokenize
from bot.lang.clauses import clauses
from bot.match import Match, Ranker, TermRanker, Weights, compiled
from bot.match.facts import Facts, Frame
from bot.match.foreign import foreign_names

__all__ = ["DECLINE", "EMPTY", "Engine", "RankerFactory"]

MAX_SUGGESTIONS = 3

DECLINE = N_(
    "Sorry, I don't have an answer to that. I can only answer questions about the relations "
    "between Turkey and Kazakhstan, as described by the Turkish Ministry of Foreign Affairs."
)
EMPTY = N_("Please type a question about Turkey–Kazakhstan relations.")
CLARIFY = N_("Did you mean one of these?")
PARTIAL = N_("What it does say on this:")
# A reading's merit, worst to best: nothing near; small talk; content just under the
# threshold (a decline, not a pleasantry, answers it); a partial answer; an answer.
_CHAT = 1
_NEAR = 2
_PARTIAL = 3
_ANSWERED = 4


@dataclass(frozen=True, slots=True)
class Reading:
    """The part of a message read as its question, with its ranking and frame."""

    text: str
    ranking: list[Match]
    frame: Frame | None
    #: How good an answer it makes (see :meth:`Engine.read`).
    merit: tuple[bool, int, float]
    #: A second question in the same message, answered after this one.
    also: tuple[Reading, ...] = ()
    #: Where it starts in the message.
    start: int = 0
    #: How far under the threshold it may be answered (a question cut out of a long message).
    slack: float = 0.0

    def frame_in(self, engine: Engine, lang: str) -> Frame | None:
        """Its frame (read only when it was needed, so read here when it was not yet)."""
        return self.frame if self.frame is not None else engine.frame(self.text, lang)


#: Builds a ranker for a catalogue (``Engine.load(ranker=FuzzyRanker)``).
RankerFactory = Callable[[Catalog], Ranker]


class Engine:
    """Matches questions to the curated intents and answers in the question's language.

    >>> engine = Engine.load()
    >>> answer = engine.answer("When was the YDSK set up?")
    >>> answer.intent, answer.lang
    ('ydsk.established', 'en')

    ``ranker`` scores questions against intents (default: a
    :class:`~bot.match.TermRanker` over ``catalog``); ``languages`` are the
    catalogue's by default; ``policy`` (or ``threshold`` and ``margin``)
    decides from the ranking.
    """

    def __init__(
        self,
        catalog: Catalog,
        *,
        ranker: Ranker | None = None,
        languages: Sequence[Language] | None = None,
        translator: Translator | None = None,
        policy: Policy | None = None,
        threshold: float | None = None,
        margin: float | None = None,
        weights: Weights | None = None,
        verifier: Verifier | None = None,
        verify: bool = True,
        default_lang: str | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self.catalog = catalog
        # The catalogue's languages, unless given here (for the same codes).
        self.languages: dict[str, Language] = {
            language.code: language for language in (*catalog.languages, *(languages or ()))
        }
        extra = set(self.languages) - set(catalog.codes)
        if extra:
            raise ValueError(f"the knowledge base has no {', '.join(sorted(extra))} texts")
        self.default_lang = default_lang or catalog.codes[0]
        if self.default_lang not in self.languages:
            raise ValueError(f"default_lang must be one of {', '.join(self.languages)}")
        self.translator = translator or Translator.load()
        policy = policy or Policy()
        if threshold is not None:
            policy = replace(policy, threshold=threshold)
        if margin is not None:
            policy = replace(policy, margin=margin)
        self.policy = policy
        foreign = foreign_names(catalog) if ranker is None or verifier is None else None
        self.ranker: Ranker = (
            ranker
            if ranker is not None
            else TermRanker(catalog, weights, foreign=foreign, cache_dir=cache_dir)
        )
        #: Checks that a proposed intent answers what was asked (None: trust the ranker).
        self.verifier: Verifier | None = None
        if verify:
            indexes = self.ranker.indexes if isinstance(self.ranker, TermRanker) else None
            self.verifier = verifier or Verifier(Facts(catalog, foreign, indexes=indexes))
        self._intents: Mapping[str, Intent] = {i.id: i for i in catalog.intents}
        # The first question of each topic: what a decline offers instead.
        leads: dict[str, str] = {}
        for intent in catalog.intents:
            if not intent.is_smalltalk:
                leads.setdefault(intent.topic, intent.id)
        self._topic_leads = [leads[t] for t in catalog.topics if t in leads]
        self.detector = LanguageDetector(
            list(self.languages.values()), {code: _words(catalog, code) for code in catalog.codes}
        )

    @classmethod
    def load(
        cls,
        path: str | Path | Snapshot | None = None,
        *,
        ranker: RankerFactory | None = None,
        languages: Sequence[Language] | None = None,
        cache_dir: str | Path | None = "auto",
        **options: Any,
    ) -> Engine:
        """Load the bundled knowledge base, or the one in directory ``path`` (or its files
        as read already, a :class:`bot.kb.Snapshot`).

        ``ranker`` builds the ranker from the loaded catalogue. ``cache_dir``
        keeps the compiled index (``"auto"``: ``$KZBOT_CACHE_DIR``, else the
        XDG cache for a knowledge base of one's own; ``None`` or ``"none"``:
        no cache). Raises
        :class:`bot.CatalogError` listing every mistake in the files.
        """
        source = path if isinstance(path, Snapshot) else Path(path or bundled_dir())
        given = {language.code: language for language in languages or ()}
        catalog = load_catalog(source, given)
        built = ranker(catalog) if ranker is not None else None
        if cache_dir == "auto":
            cache_dir = compiled.default_cache_dir(bundled=path is None)
        cache = None if cache_dir is None or str(cache_dir) == "none" else Path(cache_dir)
        return cls(
            catalog,
            ranker=built,
            languages=languages,
            cache_dir=cache,
            **options,
        )

    @property
    def threshold(self) -> float:
        return self.policy.threshold

    @property
    def margin(self) -> float:
        return self.policy.margin

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes of the languages this engine answers in."""
        return tuple(self.languages)

    @property
    def intents(self) -> tuple[Intent, ...]:
        return self.catalog.intents

    def intent(self, intent_id: str) -> Intent:
        """The intent with this id (``KeyError`` if there is none)."""
        return self._intents[intent_id]

    def gettext(self, message: str, lang: str) -> str:
        return self.translator.gettext(message, lang)

    def detect_language(self, text: str) -> str | None:
        """The code of the text's language, or ``None`` when it is too short or mixed to tell."""
        return self.detector.detect(text)

    def answer(self, text: str, lang: str | None = None) -> Answer:
        """Answer one question on its own, with no conversation around it.

        ``lang`` forces the answer's language; otherwise it is detected from the
        question, falling back to the engine's default language.
        """
        question = clean_input(text) if isinstance(text, str) else ""
        detected = self.detect_language(question)
        language = lang if lang in self.languages else (detected or self.default_lang)
        return self.respond(question, language, self.read(question, language))

    def explain(self, text: str, lang: str | None = None, context: str = "") -> Explanation:
        """Why ``text`` is answered as :meth:`answer` answers it: the part of the message
        read, its frame, each candidate's verdict (see :mod:`bot.dialogue.explain`).
        ``context`` is the question before it in a conversation, if any."""
        question = clean_input(text)
        detected = self.detect_language(question)
        language = lang if lang in self.languages else (detected or self.default_lang)
        reading = self.read(question, language, clean_input(context) if context else "")
        frame = reading.frame_in(self, language)
        answer = self.respond(question, language, reading)
        candidates = tuple(
            Candidate(
                match.intent,
                match.score,
                match.lang,
                verdict_of(
                    self.verifier.check(frame, match.intent)
                    if self.verifier is not None and frame is not None
                    else None,
                    smalltalk=self._is_chat(match.intent),
                ),
            )
            for match in reading.ranking
        )
        return Explanation(
            question=question,
            lang=language,
            read=reading.text,
            frame=frame_fields(frame),
            candidates=candidates,
            answer_kind=answer.kind,
            answer_intent=answer.intent,
            threshold=self.threshold,
            margin=self.margin,
        )

    def respond(self, question: str, lang: str, reading: Reading) -> Answer:
        """The answer to a message as read: one answer, or two for two questions in it."""
        answer = self.decide(
            question, lang, reading.ranking, reading.frame_in(self, lang), slack=reading.slack
        )
        if not reading.also or answer.kind != "answer":
            return answer
        also = reading.also[0]
        second = self.decide(question, lang, also.ranking, also.frame_in(self, lang))
        if second.kind != "answer" or second.intent == answer.intent:
            return answer
        return replace(
            answer,
            text=f"{answer.text}\n\n{second.text}",
            parts=(answer, second),
            source=(*answer.source, *second.source),
        )

    def read(self, question: str, lang: str, context: str = "") -> Reading:
        """The part of a message that holds its question, its ranking and its frame.

        A long message is split into clauses (:mod:`bot.lang.clauses`); each
        is ranked on its own, and the one that makes the best answer wins: a
        clause asked as a question (a question mark, "I'd like to know...")
        before one that is not; then an answer the verifier accepts, a partial
        one, small talk; then the higher score. Another clause that asks a
        second question the knowledge base answers rides along in ``also``
        ("how much did they invest, and where does Turkey rank in energy?").
        """
        best = self._reading(question, lang, context, question.rstrip().endswith("?"))
        readings = []
        for part in clauses(question, list(self.languages.values())):
            if part.text == question:
                continue
            reading = replace(
                self._reading(part.text, lang, context, part.asked, clause=True), start=part.start
            )
            readings.append(reading)
            if reading.merit > best.merit:
                best = reading
        if best.merit[:2] != (True, _ANSWERED):
            return best
        seconds = [
            r
            for r in readings
            if r.merit[:2] == (True, _ANSWERED)
            and r.merit[2] >= self.policy.threshold + self.policy.second_question_margin
            and r.ranking[0].intent != best.ranking[0].intent
            and r.text not in best.text
            and best.text not in r.text
        ]
        if not seconds:
            return best
        second = max(seconds, key=lambda r: r.merit)
        first, then = sorted((best, second), key=lambda r: r.start)
        return replace(first, also=(then,))

    def _reading(
        self, text: str, lang: str, context: str, asked: bool, *, clause: bool = False
    ) -> Reading:
        ranking = self.ranker.rank(text, context=context)
        top = ranking[0] if ranking else None
        score = top.score if top is not None else 0.0
        # A question cut out of a long message keeps a little of the message's padding.
        slack = self.policy.clause_slack if clause and asked else 0.0
        if top is None or score < self.policy.threshold - slack:
            weak = top is None or score < self.policy.guess_floor or self._is_chat(top.intent)
            return Reading(text, ranking, None, (asked, 0 if weak else _NEAR, score))
        if self._is_chat(top.intent):
            return Reading(text, ranking, None, (asked, _CHAT, score))
        frame = self.frame(text, lang)
        if (
            self.verifier is not None
            and frame is not None
            and self.verifier.check(frame, top.intent)
        ):
            return Reading(text, ranking, frame, (asked, _PARTIAL, score), slack=slack)
        return Reading(text, ranking, frame, (asked, _ANSWERED, score), slack=slack)

    def _is_chat(self, intent_id: str) -> bool:
        return self._intents[intent_id].is_smalltalk

    def opposite(self, intent_id: str) -> str | None:
        """The intent about the same flow the other way round ("vice versa"), if any."""
        return self.verifier.facts.opposite(intent_id) if self.verifier is not None else None

    def frame(self, text: str, lang: str, *, context: str = "") -> Frame | None:
        """What ``text`` asks (``None`` when the engine does not verify); ``context`` is the
        question before it in a conversation ("who signed *it*?")."""
        if self.verifier is None:
            return None
        return self.verifier.frame(text, lang, context=clean_input(context) if context else "")

    def subject_of(self, text: str) -> str:
        """The words of ``text`` that name what it is about in particular ("the *Turkic
        Academy*", "*TÜRKPA*"), the two countries aside; "" when it names nothing so."""
        if self.verifier is None:
            return ""
        return self.verifier.facts.subject_words(clean_input(text))

    def rank(self, text: str, *, context: str = "", limit: int = 5) -> list[Match]:
        """The best-scoring intents for ``text`` (for evaluation and follow-ups)."""
        return self.ranker.rank(clean_input(text), context=clean_input(context), limit=limit)

    def decide(
        self,
        question: str,
        lang: str,
        ranking: Sequence[Match],
        frame: Frame | None = None,
        *,
        standalone: bool = True,
        slack: float = 0.0,
    ) -> Answer:
        """Turn a ranking into an answer, a clarification question, a partial answer or a decline.

        The ranker proposes; the verifier checks that the proposed intent
        answers what ``frame`` (by default, ``question``'s) asks. When it does
        not, a close runner-up that does answers instead; failing that, the
        bot says what the document does not say, and what it does say.
        ``standalone`` is false for a follow-up read in a conversation: a word
        or two there is not a bare topic to ask about.
        """
        words = len(tokenize(question))
        if not words:
            return Answer(
                question=question,
                text=self.gettext(EMPTY, lang),
                intent=None,
                lang=lang,
                score=0.0,
                kind="empty",
                suggestions=self.starters(lang),
            )
        policy = replace(self.policy, threshold=self.policy.threshold - slack)
        top_is_chat = bool(ranking) and self._is_chat(ranking[0].intent)
        if standalone and not top_is_chat and words <= policy.bare_topic_words:
            # "investment": a word or two can mean several questions; ask which.
            policy = replace(policy, margin=max(policy.margin, policy.bare_topic_margin))
        decision = decide(ranking, policy)
        if decision.verdict == "clarify" and all(self._is_chat(i) for i in decision.intents):
            # "Görüşürüz, iyi günler": no one needs to be asked which pleasantry they meant.
            decision = replace(decision, verdict="answer", intents=decision.intents[:1])
        if decision.verdict == "decline" and self._verified(question, lang, ranking, frame):
            top = ranking[0]
            return self.reply(top.intent, question, lang, top.score, tuple(ranking))
        if decision.verdict == "decline":
            guess = decision.intents[0] if decision.intents else None
            return self.decline(question, lang, decision.score, guess, tuple(ranking))
        if self.verifier is not None:
            frame = frame if frame is not None else self.verifier.frame(question, lang)
            if standalone and frame.asks and not frame.has_content and not top_is_chat:
                # "when?", "ne zaman?" with nothing before it: no question to answer yet.
                return self.decline(question, lang, decision.score, None, tuple(ranking))
            answering = [i for i in decision.intents if self.verifier.check(frame, i) is None]
            if decision.verdict == "answer" and not answering:
                alternative = self._alternative(frame, ranking)
                if alternative is not None:
                    return self.reply(
                        alternative.intent, question, lang, alternative.score, tuple(ranking)
                    )
            if not answering:
                about = self._about(frame, ranking)
                if about is None:
                    guess = decision.intents[0]
                    return self.decline(question, lang, decision.score, guess, tuple(ranking))
                reason = self.verifier.check(frame, about.intent) or "other"
                return self.partial(
                    about.intent, reason, question, lang, about.score, tuple(ranking)
                )
            if decision.verdict == "clarify" and len(answering) == 1:
                score = next(m.score for m in ranking if m.intent == answering[0])
                return self.reply(answering[0], question, lang, score, tuple(ranking))
            if decision.verdict == "clarify":
                decision = replace(decision, intents=tuple(answering))
        if decision.verdict == "clarify":
            return Answer(
                question=question,
                text=self.gettext(CLARIFY, lang),
                intent=None,
                lang=lang,
                score=decision.score,
                kind="clarify",
                choices=tuple(self.choice(i, lang) for i in decision.intents),
                best_guess=decision.intents[0],
                ranking=tuple(ranking),
            )
        return self.reply(decision.intents[0], question, lang, decision.score, tuple(ranking))

    def reply(
        self,
        intent_id: str,
        question: str,
        lang: str,
        score: float = 100.0,
        ranking: tuple[Match, ...] = (),
    ) -> Answer:
        """The answer of one intent, with its related questions as suggestions."""
        intent = self._intents[intent_id]
        suggestions = tuple(self.choice(r, lang) for r in intent.related[:MAX_SUGGESTIONS])
        return Answer(
            question=question,
            text=intent.answer[lang],
            intent=intent.id,
            lang=lang,
            score=score,
            kind="answer",
            suggestions=suggestions,
            source=intent.source,
            best_guess=intent.id,
            ranking=ranking,
        )

    def _verified(
        self, question: str, lang: str, ranking: Sequence[Match], frame: Frame | None
    ) -> bool:
        """Whether a best intent just under the threshold answers anyway: the question asks
        something in words the knowledge base knows, the verifier finds the intent gives it,
        about what is named, and nothing else comes near it."""
        policy = self.policy
        if self.verifier is None or not ranking:
            return False
        top = ranking[0]
        if top.score < policy.threshold - policy.verified_slack or self._is_chat(top.intent):
            return False
        runner_up = ranking[1].score if len(ranking) > 1 else 0.0
        if top.score - runner_up < policy.verified_lead:
            return False
        frame = frame if frame is not None else self.verifier.frame(question, lang)
        # Every word of it known to the knowledge base, two things or more named.
        if len(frame.concepts) < 2 or frame.unknown:
            return False
        return self.verifier.check(frame, top.intent) is None

    def _alternative(self, frame: Frame, ranking: Sequence[Match]) -> Match | None:
        """A runner-up close to the top that does answer the question."""
        assert self.verifier is not None
        top = ranking[0].score
        for match in ranking[1:]:
            if match.score < max(self.policy.threshold, top - self.policy.alternative_window):
                return None
            if self.verifier.check(frame, match.intent) is None:
                return match
        return None

    def _about(self, frame: Frame, ranking: Sequence[Match]) -> Match | None:
        """The intent a partial answer speaks from: one about what the question names."""
        assert self.verifier is not None
        for match in ranking:
            if match.score < self.policy.guess_floor:
                return None
            if self.verifier.names_all(frame, match.intent):
                return match
        return None

    def partial(
        self,
        intent_id: str,
        reason: Reason,
        question: str,
        lang: str,
        score: float,
        ranking: tuple[Match, ...] = (),
    ) -> Answer:
        """The document knows the subject but not what was asked: say so, then what it says."""
        intent = self._intents[intent_id]
        text = " ".join(
            (
                self.gettext(REASONS[reason], lang),
                self.gettext(PARTIAL, lang),
                intent.answer[lang],
            )
        )
        related = [r for r in intent.related if r != intent_id][: MAX_SUGGESTIONS - 1]
        return Answer(
            question=question,
            text=text,
            intent=None,
            lang=lang,
            score=score,
            kind="partial",
            suggestions=tuple(self.choice(i, lang) for i in (intent_id, *related)),
            source=intent.source,
            best_guess=intent_id,
            ranking=ranking,
        )

    def decline(
        self,
        question: str,
        lang: str,
        score: float,
        guess: str | None,
        ranking: tuple[Match, ...] = (),
    ) -> Answer:
        """Say the document does not answer this; offer the guess, then a question per topic."""
        return Answer(
            question=question,
            text=self.gettext(DECLINE, lang),
            intent=None,
            lang=lang,
            score=score,
            kind="decline",
            suggestions=self.starters(lang, first=guess),
            best_guess=guess,
            ranking=ranking,
        )

    def choice(self, intent_id: str, lang: str) -> Choice:
        return Choice(intent_id, self._intents[intent_id].title[lang])

    def starters(self, lang: str, first: str | None = None) -> tuple[Choice, ...]:
        """A few questions the bot can answer: the guess first, then one per topic."""
        picks: list[str] = [first] if first and not self._intents[first].is_smalltalk else []
        picks += [i for i in self._topic_leads if i not in picks]
        return tuple(self.choice(i, lang) for i in picks[:MAX_SUGGESTIONS])

    def topics(self, lang: str) -> tuple[TopicGroup, ...]:
        """Every answerable question, grouped by topic, in ``lang``."""
        grouped = []
        for topic, titles in self.catalog.topics.items():
            choices = tuple(
                self.choice(i.id, lang)
                for i in self.intents
                if i.topic == topic and not i.is_smalltalk
            )
            if choices:
                grouped.append(TopicGroup(titles[lang], choices))
        return tuple(grouped)


def _words(catalog: Catalog, lang: str) -> set[str]:
    words: set[str] = set(catalog.lexicon.stopwords.get(lang, ()))
    for intent in catalog.intents:
        for text in (*intent.phrases[lang], intent.title[lang]):
            words.update(t.word for t in tokenize(text))
    return words
