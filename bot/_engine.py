"""The answer engine: question in, :class:`Answer` out.

Data flows one way: normalise -> detect the language -> rank intents ->
decide (answer, ask which one was meant, or decline) -> render in the
language. The engine does no I/O after loading and keeps no state between
questions; conversations live in :class:`bot.Session`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from bot._catalog import LANGS, Catalog, Intent, bundled_dir, load_catalog
from bot._i18n import N_, Translator
from bot._lang import LanguageDetector
from bot._matcher import Match, Matcher
from bot._text import clean_input, tokenize

if TYPE_CHECKING:
    from bot._session import Session

__all__ = ["DEFAULT_MARGIN", "DEFAULT_THRESHOLD", "Answer", "Choice", "Engine", "Kind"]

#: Below this score (0-100) the engine declines rather than guess.
DEFAULT_THRESHOLD = 50.0
#: When the runner-up is this close to the best, the engine asks which was meant.
DEFAULT_MARGIN = 2.0
#: A declined question whose best guess scores at least this is offered as "did you mean".
GUESS_FLOOR = 35.0
MAX_SUGGESTIONS = 3

Kind = Literal["answer", "clarify", "decline", "empty", "info"]

DECLINE = N_(
    "Sorry, I don't have an answer to that. I can only answer questions about the relations "
    "between Turkey and Kazakhstan, as described by the Turkish Ministry of Foreign Affairs."
)
EMPTY = N_("Please type a question about Turkey–Kazakhstan relations.")
CLARIFY = N_("Did you mean one of these?")
TRY_ASKING = N_("You could ask:")


@dataclass(frozen=True, slots=True)
class Choice:
    """An intent offered to the user: as a suggestion, or as an answer to "did you mean"."""

    intent: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"intent": self.intent, "text": self.text}


@dataclass(frozen=True, slots=True)
class Answer:
    """The engine's reply to one question.

    ``intent`` is ``None`` when the engine declined or asked for clarification;
    ``score`` is the best match's score (0-100) either way.
    """

    question: str
    text: str
    intent: str | None
    lang: str
    score: float
    kind: Kind
    suggestions: tuple[Choice, ...] = ()
    choices: tuple[Choice, ...] = ()
    source: tuple[str, ...] = ()
    best_guess: str | None = None
    ranking: tuple[Match, ...] = field(default=(), repr=False, compare=False)

    @property
    def answered(self) -> bool:
        return self.intent is not None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form printed by ``python -m bot ask --json``."""
        return {
            "question": self.question,
            "intent": self.intent,
            "lang": self.lang,
            "score": self.score,
            "text": self.text,
            "suggestions": [c.to_dict() for c in self.suggestions],
            "kind": self.kind,
            "choices": [c.to_dict() for c in self.choices],
            "source": list(self.source),
        }


class Engine:
    """Matches questions to the curated intents and answers in the question's language.

    >>> engine = Engine.load()
    >>> answer = engine.answer("When was the YDSK set up?")
    >>> answer.intent, answer.lang
    ('ydsk.established', 'en')
    """

    def __init__(
        self,
        catalog: Catalog,
        *,
        translator: Translator | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        margin: float = DEFAULT_MARGIN,
        default_lang: str = "en",
    ) -> None:
        if default_lang not in LANGS:
            raise ValueError(f"default_lang must be one of {LANGS}")
        self.catalog = catalog
        self.translator = translator or Translator.load()
        self.threshold = threshold
        self.margin = margin
        self.default_lang = default_lang
        self.matcher = Matcher(catalog)
        self._intents: Mapping[str, Intent] = {i.id: i for i in catalog.intents}
        # The first question of each topic: what a decline offers instead.
        leads: dict[str, str] = {}
        for intent in catalog.intents:
            if not intent.is_smalltalk:
                leads.setdefault(intent.topic, intent.id)
        self._topic_leads = [leads[t] for t in catalog.topics if t in leads]
        self.detector = LanguageDetector(_words(catalog, "en"), _words(catalog, "tr"))

    @classmethod
    def load(cls, path: str | Path | None = None, **options: Any) -> Engine:
        """Load the bundled knowledge base, or the one in directory ``path``.

        Raises :class:`bot.CatalogError` listing every mistake in the files.
        """
        directory = Path(path) if path is not None else bundled_dir()
        return cls(load_catalog(directory), **options)

    @property
    def intents(self) -> tuple[Intent, ...]:
        return self.catalog.intents

    def intent(self, intent_id: str) -> Intent:
        """The intent with this id (``KeyError`` if there is none)."""
        return self._intents[intent_id]

    def gettext(self, message: str, lang: str) -> str:
        return self.translator.gettext(message, lang)

    def detect_language(self, text: str) -> str | None:
        """``"en"`` or ``"tr"``, or ``None`` when the text is too short or mixed to tell."""
        return self.detector.detect(text)

    def answer(self, text: str, lang: str | None = None) -> Answer:
        """Answer one question on its own, with no conversation around it.

        ``lang`` forces the answer's language; otherwise it is detected from the
        question, falling back to the engine's default language.
        """
        question = clean_input(text) if isinstance(text, str) else ""
        detected = self.detect_language(question)
        language = lang if lang in LANGS else (detected or self.default_lang)
        # Both languages' phrases are searched whatever the detector says: an
        # English question typed with Turkish capitals ("TURKİSH FDİ") still counts.
        return self.decide(question, language, self.matcher.rank(question))

    def rank(self, text: str, limit: int = 5) -> list[Match]:
        """The best-scoring intents for ``text`` (for evaluation and follow-ups)."""
        return self.matcher.rank(clean_input(text), limit)

    def decide(self, question: str, lang: str, ranking: list[Match]) -> Answer:
        """Turn a ranking into an answer, a clarification question, or a decline."""
        if not tokenize(question):
            return Answer(
                question,
                self.gettext(EMPTY, lang),
                None,
                lang,
                0.0,
                "empty",
                suggestions=self.starters(lang),
            )
        top = ranking[0] if ranking else None
        score = top.score if top else 0.0
        if top is None or score < self.threshold:
            guess = top.intent if top is not None and score >= GUESS_FLOOR else None
            return self.decline(question, lang, score, guess, tuple(ranking))
        close = [
            m
            for m in ranking[1:]
            if m.score >= self.threshold and top.score - m.score < self.margin
        ]
        if close:
            choices = tuple(self.choice(m.intent, lang) for m in (top, *close[:2]))
            lines = [self.gettext(CLARIFY, lang)]
            lines += [f"{n}. {c.text}" for n, c in enumerate(choices, 1)]
            return Answer(
                question,
                "\n".join(lines),
                None,
                lang,
                score,
                "clarify",
                choices=choices,
                best_guess=top.intent,
                ranking=tuple(ranking),
            )
        return self.reply(top.intent, question, lang, score, tuple(ranking))

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
            question,
            intent.answer[lang],
            intent.id,
            lang,
            score,
            "answer",
            suggestions=suggestions,
            source=intent.source,
            best_guess=intent.id,
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
        suggestions = self.starters(lang, first=guess)
        lines = [self.gettext(DECLINE, lang), self.gettext(TRY_ASKING, lang)]
        lines += [f"• {c.text}" for c in suggestions]
        return Answer(
            question,
            "\n".join(lines),
            None,
            lang,
            score,
            "decline",
            suggestions=suggestions,
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

    def topics(self, lang: str) -> list[tuple[str, list[Choice]]]:
        """Every answerable question, grouped by topic, in ``lang``."""
        grouped = []
        for topic, titles in self.catalog.topics.items():
            choices = [
                self.choice(i.id, lang)
                for i in self.intents
                if i.topic == topic and not i.is_smalltalk
            ]
            if choices:
                grouped.append((titles[lang], choices))
        return grouped

    def session(self, state: Mapping[str, Any] | None = None, **options: Any) -> Session:
        """A conversation with this engine; ``state`` restores a saved one."""
        from bot._session import Session

        return Session(self, state, **options)


def _words(catalog: Catalog, lang: str) -> set[str]:
    words: set[str] = set(catalog.lexicon.stopwords.get(lang, ()))
    for intent in catalog.intents:
        for text in (*intent.phrases[lang], intent.title[lang]):
            words.update(t.word for t in tokenize(text))
    return words
