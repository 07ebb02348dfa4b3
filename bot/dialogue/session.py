"""Conversations: follow-ups, clarification, language switching, sources.

A :class:`Session` wraps the stateless engine with what a conversation needs to
remember: the language, the last answer, the choices just offered. Its state is
plain JSON-serialisable data (:attr:`Session.state`), so a front end can keep
one per chat and restore it after a restart. Every front end talks to the
engine through this class (see :mod:`bot.serve.conversations`).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, Protocol

from rapidfuzz import fuzz

from bot.dialogue.answer import Answer, Choice
from bot.dialogue.engine import Engine
from bot.lang import N_, clean_input, fold, tokenize
from bot.match import Match
from bot.match.facts import Frame

__all__ = ["MissRecorder", "Session"]

#: A follow-up is read against the last answer for this many turns...
CONTEXT_TURNS = 3
#: A follow-up of at most this many words, with a year and nothing else of its own, asks
#: about the current topic ("and in 2015?").
_BARE_WORDS = 4
#: ...and this many seconds.
CONTEXT_SECONDS = 600.0


HELP = N_(
    "Ask me about the relations between Turkey and Kazakhstan, in English or Turkish: "
    "history, the High Level Strategic Cooperation Council, trade and investment, "
    "Turkic cooperation, education.\n"
    "/topics lists what I know, /lang switches language (en/tr), /source shows where "
    "my last answer comes from."
)
TOPICS = N_("Here is what I can tell you about:")
NO_SOURCE = N_("There is no answer to show the source of yet. Ask me a question first.")
SOURCE = N_("My last answer comes from this part of the source document:")
LANGUAGE_SET = N_("I will answer in {language} from now on.")
UNKNOWN_COMMAND = N_("I don't know that command. Try /help.")
LANG_USAGE = N_("Use /lang en or /lang tr.")
PICK_NUMBER = N_("Please pick a number from 1 to {count}.")
#: At most this many offered questions are remembered for a pick by number.
MAX_OFFERED = 30


class MissRecorder(Protocol):
    """Where declined and low-confidence questions go, for curators to read."""

    def record(self, answer: Answer) -> None: ...


class Session:
    """One conversation with the engine.

    >>> session = Session(Engine.load())
    >>> session.ask("What was the trade volume in 2016?").intent
    'trade.volume'
    >>> session.ask("how much of that was exports?").intent
    'trade.exports'
    """

    def __init__(
        self,
        engine: Engine,
        state: Mapping[str, Any] | None = None,
        *,
        clock: Callable[[], float] = time.time,
        misses: MissRecorder | None = None,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.misses = misses
        languages = engine.languages.values()
        # The other words of a request to switch language ("can you say that in
        # Turkish please", "bunu İngilizce söyler misin"): anything else makes
        # "Turkish" part of a question ("Turkish investment").
        self._switch_words = frozenset().union(*(lang.switch_words for lang in languages))
        self._switch_markers = frozenset().union(*(lang.switch_markers for lang in languages))
        self._next = frozenset().union(*(lang.next_words for lang in languages))
        self._previous = frozenset().union(*(lang.previous_words for lang in languages))
        self._follow_up = frozenset().union(*(lang.follow_up_words for lang in languages))
        self._pronouns = frozenset().union(*(lang.pronouns for lang in languages))
        self._measures = engine.catalog.lexicon.kinds.get("measure", frozenset())
        self._asking = frozenset().union(*(lang.question_words for lang in languages))
        self._flip = tuple(phrase for lang in languages for phrase in lang.flip_phrases)
        self._state: dict[str, Any] = _valid_state(state, engine)

    @property
    def state(self) -> dict[str, Any]:
        """The conversation as plain JSON-serialisable data; pass it back to restore it."""
        return {k: (list(v) if isinstance(v, list) else v) for k, v in self._state.items()}

    @property
    def lang(self) -> str:
        return str(self._state["lang"])

    @property
    def last(self) -> Answer | None:
        """The last answer that gave an intent (what /source and "say it in Turkish" refer to)."""
        intent = self._state.get("intent")
        if intent is None:
            return None
        return self.engine.reply(intent, str(self._state.get("question", "")), self.lang)

    def ask(self, text: str) -> Answer:
        """Answer the next turn of the conversation."""
        question = clean_input(text) if isinstance(text, str) else ""
        if question.startswith("/"):
            return self._offer(self.command(question))
        tokens = [t.word for t in tokenize(question)]
        switched = self._language_request(tokens)
        if switched is not None:
            return self._offer(self.set_language(switched, question))
        detected = self.engine.detect_language(question)
        lang = detected or self.lang
        if len(tokens) == 1 and tokens[0].isdigit() and len(tokens[0]) <= 2:
            # A number picks what was offered, and never changes the language;
            # on its own it is not a question ("5" is no visit on 5 February).
            if self._state.get("offered"):
                return self._remember(self._pick(int(tokens[0]), question))
            return self._remember(self.engine.decline(question, self.lang, 0.0, None))
        picked = self._picked_choice(question, tokens)
        if picked is not None:
            return self._remember(self.engine.reply(picked, question, lang))
        answer = self._answer(question, tokens, lang)
        if detected is not None:
            self._state["lang"] = detected
        return self._remember(answer)

    def choose(self, intent_id: str) -> Answer:
        """Answer an intent picked from suggestions or choices (a button press)."""
        if intent_id not in {i.id for i in self.engine.intents}:
            return self._remember(self.engine.decide("", self.lang, ()))
        title = self.engine.intent(intent_id).title[self.lang]
        return self._remember(self.engine.reply(intent_id, title, self.lang))

    def open(self, link: str) -> Answer:
        """Open a deep link (Telegram's ``/start <payload>``, a web page's ``?q=``).

        A link names an intent (``trade-volume``: Telegram's payloads allow no
        dots, so ``-`` stands for ``.``) or a topic (``economy``); anything
        else opens the help.
        """
        name = link.strip()[:64]
        if name.replace("-", ".") in {i.id for i in self.engine.intents}:
            return self.choose(name.replace("-", "."))
        titles = self.engine.catalog.topics.get(name.lower())
        if titles:
            lang = self.lang
            title = titles.get(lang)
            groups = tuple(g for g in self.engine.topics(lang) if g.title == title)
            if groups:
                answer = self.topics(f"/start {name}")
                return replace(answer, topics=groups)
        return self.command("/start")

    def command(self, text: str) -> Answer:
        """Handle ``/help``, ``/start``, ``/topics``, ``/lang [code]`` and ``/source``."""
        name, _, argument = text[1:].partition(" ")
        name = name.split("@", 1)[0].lower()
        argument = argument.strip().lower()
        lang = self.lang
        if name in ("help", "start"):
            return self._info(text, self.engine.gettext(HELP, lang), self.engine.starters(lang))
        if name == "topics":
            return self.topics(text)
        if name == "lang":
            codes = self.engine.codes
            if not argument:  # the next language, round
                return self.set_language(codes[(codes.index(lang) + 1) % len(codes)], text)
            if argument in codes:
                return self.set_language(argument, text)
            return self._info(text, self.engine.gettext(LANG_USAGE, lang))
        if name == "source":
            return self.source(text)
        return self._info(text, self.engine.gettext(UNKNOWN_COMMAND, lang))

    def set_language(self, lang: str, question: str = "") -> Answer:
        """Switch the conversation's language and repeat the last answer in it."""
        self._state["lang"] = lang
        last = self.last
        if last is not None:
            return replace(last, question=question or last.question)
        text = self.engine.gettext(LANGUAGE_SET, lang)
        return self._info(
            question or f"/lang {lang}", text.format(language=self.engine.languages[lang].name)
        )

    def topics(self, question: str = "/topics") -> Answer:
        """Every answerable question, grouped by topic."""
        lang = self.lang
        text = self.engine.gettext(TOPICS, lang)
        return replace(self._info(question, text), topics=self.engine.topics(lang))

    def source(self, question: str = "/source") -> Answer:
        """The sentences of the document behind the last answer."""
        lang = self.lang
        last = self.last
        if last is None or not last.source:
            return self._info(question, self.engine.gettext(NO_SOURCE, lang))
        text = self.engine.gettext(SOURCE, lang)
        return replace(self._info(question, text), source=last.source, show_source=True)

    # -- internals ------------------------------------------------------

    def _answer(self, question: str, tokens: list[str], lang: str) -> Answer:
        engine = self.engine
        reading = engine.read(question, lang)
        ranking, frame = reading.ranking, reading.frame_in(engine, lang)
        context = self._context()
        if context is not None and tokens:
            last_intent, last_question = context
            if frame is not None and frame.agent_of is not None:
                # "who signed it?": what "it" is comes from the question before.
                frame = engine.frame(question, lang, context=last_question)
            step = self._step(tokens)
            if step is not None:
                neighbour = self._neighbour(last_intent, step)
                if neighbour is not None:
                    return engine.reply(neighbour, question, lang)
            if self._flipped(question, tokens):
                opposite = engine.opposite(last_intent)
                if opposite is not None:
                    return engine.reply(opposite, question, lang)
            top = ranking[0].score if ranking else 0.0
            # "thanks, bye", "who are you?" after an answer are small talk, not follow-ups
            # of its topic; "where is *it* based?" points back at the topic, whatever it
            # shares with a pleasantry.
            pleasantry = bool(frame and frame.chatter) or (
                top >= engine.threshold
                and engine.intent(ranking[0].intent).is_smalltalk
                and not any(t in self._pronouns for t in tokens)
                # "who?", "and where?" are no "who are you?"; "hi" alone is a greeting.
                and (
                    any(t not in self._asking and t not in self._follow_up for t in tokens)
                    or bool(frame and frame.chatter)
                )
            )
            if (
                frame is not None
                and not pleasantry
                and self._bare(frame, tokens)
                and not engine.intent(last_intent).is_smalltalk
            ):
                # "where?", "ne zaman?", "and in 2015?": too short to stand alone, so it
                # asks about the current topic, never about the whole catalogue.
                return self._about_topic(question, lang, last_intent, last_question, frame)
            elliptic = not pleasantry and (len(tokens) <= 4 or tokens[0] in self._follow_up)
            if elliptic and frame is not None and frame.asks_first and self._ranks(last_intent):
                # "who is first?" after Turkey's rank asks about that ranking, not about the
                # first recognition: the ranking answers, or says what it does not say.
                last = [Match(last_intent, 100.0, lang)]
                return engine.decide(question, lang, last, frame, standalone=False)
            pointing = not pleasantry and any(t in self._pronouns for t in tokens)
            resolved = (
                self._resolved(question, tokens, (last_intent, last_question), lang)
                if (elliptic or pointing) and frame is not None and not frame.named
                else None
            )
            if resolved is not None:
                # "when was it founded?" after TURKPA is "when was TURKPA founded?".
                reading = engine.read(resolved, lang)
                ranking, frame = list(reading.ranking), reading.frame_in(engine, lang)
            elif not pleasantry and (top < engine.threshold or elliptic):
                with_context = engine.rank(question, context=last_question)
                if with_context and with_context[0].score > top:
                    ranking = with_context
            if elliptic:
                ranking = self._prefer_related(ranking, last_intent)
        if ranking is reading.ranking:
            answer = engine.respond(question, lang, reading)
        else:
            answer = engine.decide(question, lang, ranking, frame, standalone=False)
        if answer.kind in ("decline", "clarify", "partial") and self.misses is not None:
            self.misses.record(answer)
        return answer

    def _ranks(self, intent_id: str) -> bool:
        """Whether an intent states ranks (an ordinal in its answer)."""
        verifier = self.engine.verifier
        return verifier is not None and bool(verifier.facts.card(intent_id).ranks)

    def _resolved(
        self, question: str, tokens: list[str], last: tuple[str, str], lang: str
    ) -> str | None:
        """The follow-up with "it" read as what the question before named ("where is *it*
        based?" after the Turkic Academy: "where is *Turkic Academy* based?"), or what the
        intent that answered it is about, when that question was itself a follow-up ("how
        many students?"); ``None`` when neither names anything in particular."""
        last_intent, last_question = last
        subject = self.engine.subject_of(last_question) or self.engine.subject_of(
            self.engine.intent(last_intent).title[lang]
        )
        if not subject:
            return None
        pronoun = next((t for t in tokens if t in self._pronouns), None)
        if pronoun is not None:
            replaced = re.sub(rf"(?<!\w){re.escape(pronoun)}(?!\w)", subject, question, count=1)
            if replaced != question:
                return replaced
        return f"{subject} {question}"

    def _bare(self, frame: Frame, tokens: list[str]) -> bool:
        """A follow-up with nothing of its own but question words or a year ("where?",
        "ne zaman?", "and in 2015?", "peki 2015 yılında?")."""
        if frame.asks and not frame.has_content:
            return True
        return (
            bool(frame.years)
            and len(tokens) <= _BARE_WORDS
            and not frame.concepts - self._measures  # "yılında", "in total" say how, not what
            and not frame.named
        )

    def _about_topic(
        self, question: str, lang: str, last_intent: str, last_question: str, frame: Frame
    ) -> Answer:
        """A bare follow-up, read against the intents near the last one only."""
        engine = self.engine
        near = self._nearby(last_intent)
        ranking = [
            m
            for m in engine.rank(question, context=last_question, limit=len(engine.intents))
            if m.intent in near
        ]
        answer = engine.decide(question, lang, ranking[:5], frame, standalone=False)
        if answer.kind == "answer":
            return answer
        # Nothing near answers it: the question is about the last answer itself.
        last = [Match(last_intent, 100.0, lang)]
        return engine.decide(question, lang, last, frame, standalone=False)

    def _prefer_related(self, ranking: list[Match], last_intent: str) -> list[Match]:
        """In a short follow-up, an intent the last one lists as related beats close strangers.

        "And the total?" after the imports is the trade volume, not the total investment.
        """
        if not ranking:
            return ranking
        top = ranking[0]
        near = {last_intent, *self.engine.intent(last_intent).related}
        if top.intent in near:
            return ranking
        floor = max(self.engine.threshold, top.score - self.engine.policy.related_margin)
        for match in ranking[1:]:
            if match.score >= floor and match.intent in near:
                # The strangers step aside: the follow-up is about this conversation.
                return [match, *(m for m in ranking if m is not match and m.intent in near)]
        return ranking

    def _nearby(self, intent_id: str) -> set[str]:
        intent = self.engine.intent(intent_id)
        near = {i.id for i in self.engine.intents if i.topic == intent.topic}
        near.update(intent.related)
        if intent.follows:
            near.add(intent.follows)
        near.update(i.id for i in self.engine.intents if i.follows == intent_id)
        return near

    def _flipped(self, question: str, tokens: list[str]) -> bool:
        """ "vice versa", "peki tersi?": the last question the other way round."""
        if len(tokens) > 6:
            return False
        folded = fold(question)
        return any(phrase in folded for phrase in self._flip)

    def _step(self, tokens: list[str]) -> int | None:
        """+1 for "and the one after that?", -1 for "the one before?", else None."""
        if len(tokens) > 5:
            return None
        if any(t in self._next for t in tokens):
            return 1
        if any(t in self._previous for t in tokens):
            return -1
        return None

    def _pick(self, number: int, question: str) -> Answer:
        offered: list[str] = self._state["offered"]
        if 1 <= number <= len(offered):
            return self.engine.reply(offered[number - 1], question, self.lang)
        text = self.engine.gettext(PICK_NUMBER, self.lang).format(count=len(offered))
        answer = self._info(question, text)
        return replace(answer, suggestions=tuple(self.engine.choice(i, self.lang) for i in offered))

    def _neighbour(self, intent_id: str, step: int) -> str | None:
        if step > 0:
            return next((i.id for i in self.engine.intents if i.follows == intent_id), None)
        return self.engine.intent(intent_id).follows

    def _context(self) -> tuple[str, str] | None:
        intent = self._state.get("intent")
        if intent is None:
            return None
        age = self.clock() - float(self._state.get("time", 0.0))
        if self._state.get("turns_since", 0) >= CONTEXT_TURNS or age > CONTEXT_SECONDS:
            return None
        return str(intent), str(self._state.get("question", ""))

    def _language_request(self, tokens: list[str]) -> str | None:
        """``"tr"`` for "say it in Turkish" / "Türkçe söyler misin", ``"en"`` for English."""
        if not tokens or len(tokens) > 8:
            return None
        for code, language in self.engine.languages.items():
            names = language.names
            if not any(t in names for t in tokens):
                continue
            # "and in Turkish?", "what about in English?": a marked name lets follow-up words in.
            marked = any(
                n > 0 and tokens[n - 1] in self._switch_markers
                for n, t in enumerate(tokens)
                if t in names
            )
            allowed = self._switch_words | (self._follow_up if marked else frozenset())
            if all(t in names or t in allowed for t in tokens):
                return code
        return None

    def _picked_choice(self, question: str, tokens: list[str]) -> str | None:
        choices: list[str] = self._state.get("choices", [])
        if not choices or (len(tokens) == 1 and tokens[0].isdigit()):
            return None
        folded = fold(question).strip(" ?.!")
        score, best = max(
            (fuzz.ratio(folded, fold(self.engine.intent(c).title[lang])), c)
            for c in choices
            for lang in self.engine.codes
        )
        return best if score >= 85 else None

    def _info(self, question: str, text: str, suggestions: tuple[Choice, ...] = ()) -> Answer:
        return Answer(
            question=question,
            text=text,
            intent=None,
            lang=self.lang,
            score=100.0,
            kind="info",
            suggestions=suggestions,
        )

    def _offer(self, answer: Answer) -> Answer:
        """Keep what an answer offers, so a number picks from what the user sees now."""
        self._state["choices"] = [c.intent for c in answer.choices]
        self._state["offered"] = [c.intent for c in answer.offered][:MAX_OFFERED]
        return answer

    def _remember(self, answer: Answer) -> Answer:
        state = self._state
        state["turn"] = int(state.get("turn", 0)) + 1
        self._offer(answer)
        if answer.intent is not None:
            state["intent"] = answer.intent
            state["question"] = answer.question[:300]
            state["time"] = self.clock()
            state["turns_since"] = 0
        else:
            state["turns_since"] = int(state.get("turns_since", 0)) + 1
        return answer


def _valid_state(state: Mapping[str, Any] | None, engine: Engine) -> dict[str, Any]:
    """A usable copy of a saved state; anything malformed is dropped, not trusted."""
    clean: dict[str, Any] = {"lang": engine.default_lang, "turn": 0, "choices": []}
    if not isinstance(state, Mapping):
        return clean
    lang = state.get("lang")
    if isinstance(lang, str) and lang in engine.languages:
        clean["lang"] = lang
    known = {i.id for i in engine.intents}
    intent = state.get("intent")
    if isinstance(intent, str) and intent in known:
        clean["intent"] = intent
        clean["question"] = str(state.get("question", ""))[:300]
        time_value = state.get("time")
        finite = isinstance(time_value, int | float) and math.isfinite(time_value)
        clean["time"] = float(time_value) if finite and time_value is not None else 0.0
    for key in ("turn", "turns_since"):
        value = state.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1 << 53:
            clean[key] = value
    for key, limit in (("choices", 5), ("offered", MAX_OFFERED)):
        items = state.get(key)
        if isinstance(items, list):
            clean[key] = [c for c in items if isinstance(c, str) and c in known][:limit]
    return clean
