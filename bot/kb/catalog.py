"""The knowledge base: intents, values, topics and the lexicon, read from YAML.

The YAML files are the curators' interface, so every mistake is reported with
its file, line and what is wrong, all at once, and nothing half-loaded is ever
served. See the README for the format.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot._paths import bundled
from bot.kb.lexicon import Lexicon, parse_form
from bot.kb.values import VALUE_KINDS, Value, parse_value
from bot.kb.yaml import Mapping, Sequence, YamlError, read_yaml
from bot.lang import Language, fold, tokenize
from bot.lang import get as get_language

__all__ = [
    "DEFAULT_LANGUAGES",
    "Catalog",
    "CatalogError",
    "Intent",
    "Problem",
    "bundled_dir",
    "load_catalog",
]

#: The languages of a knowledge base that does not list its own (``languages: [en, tr]``).
DEFAULT_LANGUAGES = ("en", "tr")
SMALLTALK = "smalltalk"
LEXICON_FILE = "lexicon.yaml"
SOURCE_FILE = "source.txt"

_ID = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*$")
_FILE_KEYS = frozenset({"languages", "values", "topics", "intents"})
_INTENT_KEYS = frozenset(
    {"id", "topic", "title", "phrases", "answer", "source", "related", "context", "follows"}
)
_REQUIRED = ("id", "topic", "title", "phrases", "answer")
_LEXICON_KEYS = frozenset(
    {
        "stopwords",
        "concepts",
        "questions",
        "roles",
        "chatter",
        "demonyms",
        "subjects",
        "known_codes",
        "kinds",
        "capitals",
        "deixis",
    }
)


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake in the knowledge base."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return (
            f"{self.file}:{self.line}: {self.message}"
            if self.line
            else f"{self.file}: {self.message}"
        )


class CatalogError(Exception):
    """The knowledge base has mistakes; ``problems`` lists each with file and line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True, slots=True)
class Intent:
    """One question the bot can answer, with its answer in every language."""

    id: str
    topic: str
    title: dict[str, str]
    phrases: dict[str, tuple[str, ...]]
    answer: dict[str, str]
    source: tuple[str, ...]
    related: tuple[str, ...]
    context: dict[str, tuple[str, ...]]
    follows: str | None
    file: str
    line: int
    #: The kinds of the values its answer holds (money, date...).
    value_kinds: frozenset[str] = frozenset()
    #: Those and the kinds of what its answer names (a place, a person...).
    answer_kinds: frozenset[str] = frozenset()
    #: The answer before its values are filled in, per language.
    templates: dict[str, str] = field(default_factory=dict)

    @property
    def is_smalltalk(self) -> bool:
        return self.topic == SMALLTALK

    def to_dict(self, languages: Iterable[str]) -> dict[str, Any]:
        """The intent as JSON (``python -m bot intents --json``, ``GET /v1/intents``)."""
        return {
            "id": self.id,
            "topic": self.topic,
            "title": self.title,
            "phrases": {lang: list(self.phrases[lang]) for lang in languages},
            "answer": self.answer,
            "source": list(self.source),
            "related": list(self.related),
        }


@dataclass(frozen=True)
class Catalog:
    """Everything the engine knows, validated and with answers rendered."""

    intents: tuple[Intent, ...]
    topics: dict[str, dict[str, str]]
    values: dict[str, Value]
    lexicon: Lexicon
    source_text: str
    directory: Path
    #: The languages every intent speaks, the first being the default.
    languages: tuple[Language, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        """The languages' codes, in the knowledge base's order."""
        return tuple(language.code for language in self.languages)

    def intent(self, intent_id: str) -> Intent:
        for intent in self.intents:
            if intent.id == intent_id:
                return intent
        raise KeyError(intent_id)


def bundled_dir() -> Path:
    """The bundled ``intents/`` directory: inside the wheel, or the repository's."""
    return bundled("intents")


def load_catalog(directory: Path, languages: dict[str, Language] | None = None) -> Catalog:
    """Read and validate a knowledge-base directory; raise :class:`CatalogError` on any mistake.

    The knowledge base lists its languages (``languages: [en, tr]`` in any of
    its files); each is found with :func:`bot.lang.get` unless ``languages``
    gives it.
    """
    return _Reader(directory, languages or {}).read()


class _Reader:
    def __init__(self, directory: Path, given: dict[str, Language]) -> None:
        self.directory = directory
        self.given = given
        self.languages: dict[str, Language] = {}
        self.files: list[tuple[Mapping, str]] = []
        self.problems: list[Problem] = []
        self.values: dict[str, tuple[Value, str, int]] = {}
        self.topics: dict[str, tuple[dict[str, str], str, int]] = {}
        self.raw_intents: list[tuple[Mapping, str]] = []

    def problem(self, file: str, line: int, message: str) -> None:
        self.problems.append(Problem(file, line, message))

    def read(self) -> Catalog:
        if not self.directory.is_dir():
            raise CatalogError([Problem(str(self.directory), 0, "not a directory")])
        files = sorted(p for p in self.directory.glob("*.yaml") if p.name != LEXICON_FILE)
        if not files:
            self.problem(str(self.directory), 0, "no *.yaml files")
        for path in files:
            self.read_file(path)
        self.read_languages()
        for data, name in self.files:
            self.read_contents(data, name)
        lexicon = self.lexicon = self.read_lexicon(self.directory / LEXICON_FILE)
        source_text = self.read_source(self.directory / SOURCE_FILE)
        intents = self.build_intents(source_text)
        if self.problems:
            raise CatalogError(self.problems)
        return Catalog(
            intents=tuple(intents),
            topics={k: v[0] for k, v in self.topics.items()},
            values={k: v[0] for k, v in self.values.items()},
            lexicon=lexicon,
            source_text=source_text,
            directory=self.directory,
            languages=tuple(self.languages.values()),
        )

    def read_file(self, path: Path) -> None:
        name = path.name
        try:
            data = read_yaml(path)
        except YamlError as exc:
            self.problem(name, exc.line, exc.message)
            return
        if data is None:
            return
        if not isinstance(data, Mapping):
            self.problem(
                name,
                getattr(data, "line", 1),
                "the file must be a mapping of values/topics/intents",
            )
            return
        for key in data.keys() - _FILE_KEYS:
            self.problem(
                name,
                data.line_of(key),
                f"unknown key {key!r} (expected: {', '.join(sorted(_FILE_KEYS))})",
            )
        self.files.append((data, name))

    def read_languages(self) -> None:
        """The knowledge base's languages: one ``languages`` list, in any file."""
        declared = [
            (data["languages"], data.line_of("languages"), name)
            for data, name in self.files
            if "languages" in data
        ]
        codes: list[str] = list(DEFAULT_LANGUAGES)
        where = (declared[0][2], declared[0][1]) if declared else (str(self.directory), 0)
        if len(declared) > 1:
            _, line, name = declared[1]
            self.problem(name, line, f"`languages` is also given in {declared[0][2]}")
        if declared:
            raw, line, name = declared[0]
            if (
                not isinstance(raw, list)
                or not raw
                or not all(isinstance(c, str) for c in raw)
                or len(set(raw)) != len(raw)
            ):
                self.problem(name, line, "`languages` must list language codes, such as [en, tr]")
            else:
                codes = list(raw)
        for code in codes:
            try:
                self.languages[code] = self.given.get(code) or get_language(code)
            except ValueError as exc:
                self.problem(*where, str(exc))

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self.languages)

    def read_contents(self, data: Mapping, name: str) -> None:
        self.read_values(data.get("values"), name, data.line_of("values"))
        self.read_topics(data.get("topics"), name, data.line_of("topics"))
        intents = data.get("intents")
        if intents is None:
            return
        if not isinstance(intents, Sequence):
            self.problem(name, data.line_of("intents"), "`intents` must be a list")
            return
        for item, line in zip(intents, intents.item_lines, strict=True):
            if isinstance(item, Mapping):
                self.raw_intents.append((item, name))
            else:
                self.problem(name, line, "an intent must be a mapping")

    def read_values(self, raw: Any, name: str, line: int) -> None:
        if raw is None:
            return
        if not isinstance(raw, Mapping):
            self.problem(name, line, "`values` must be a mapping")
            return
        for key, spec in raw.items():
            where = raw.line_of(key)
            if key in self.values:
                _, other, other_line = self.values[key]
                self.problem(
                    name, where, f"value {key!r} is already defined at {other}:{other_line}"
                )
                continue
            try:
                self.values[key] = (parse_value(spec), name, where)
            except ValueError as exc:
                self.problem(name, where, f"value {key!r}: {exc}")

    def read_topics(self, raw: Any, name: str, line: int) -> None:
        if raw is None:
            return
        if not isinstance(raw, Mapping):
            self.problem(name, line, "`topics` must be a mapping")
            return
        for key, titles in raw.items():
            where = raw.line_of(key)
            if key in self.topics:
                self.problem(name, where, f"topic {key!r} is defined twice")
                continue
            parsed = self.per_language(titles, name, where, f"topic {key!r}")
            if parsed is not None:
                self.topics[key] = (parsed, name, where)

    def per_language(self, raw: Any, name: str, line: int, what: str) -> dict[str, str] | None:
        if not isinstance(raw, Mapping):
            self.problem(
                name, line, f"{what} must map each language ({', '.join(self.codes)}) to text"
            )
            return None
        result: dict[str, str] = {}
        for key in raw.keys() - set(self.codes):
            self.problem(name, raw.line_of(key), f"{what}: unknown language {key!r}")
        for lang in self.codes:
            text = raw.get(lang)
            if not isinstance(text, str) or not text.strip():
                self.problem(name, raw.line, f"{what}: missing the {lang!r} text")
            else:
                result[lang] = text.strip()
        return result if len(result) == len(self.codes) else None

    def per_language_list(
        self, raw: Any, name: str, line: int, what: str, required: bool = True
    ) -> dict[str, tuple[str, ...]]:
        if not isinstance(raw, Mapping):
            self.problem(
                name, line, f"{what} must map each language ({', '.join(self.codes)}) to a list"
            )
            return {}
        result: dict[str, tuple[str, ...]] = {}
        for key in raw.keys() - set(self.codes):
            self.problem(name, raw.line_of(key), f"{what}: unknown language {key!r}")
        for lang in self.codes:
            items = raw.get(lang)
            if items is None and not required:
                result[lang] = ()
                continue
            if not isinstance(items, list) or not items:
                self.problem(name, raw.line_of(lang), f"{what}: missing the {lang!r} list")
                continue
            bad = [i for i in items if not isinstance(i, str) or not i.strip()]
            if bad:
                self.problem(name, raw.line_of(lang), f"{what}: {lang!r} entries must be text")
            result[lang] = tuple(i.strip() for i in items if isinstance(i, str) and i.strip())
        return result

    def build_intents(self, source_text: str) -> list[Intent]:
        intents: list[Intent] = []
        seen: dict[str, tuple[str, int]] = {}
        phrase_owner: dict[str, tuple[str, str, int]] = {}
        for raw, name in self.raw_intents:
            intent = self.build_intent(raw, name, seen, phrase_owner, source_text)
            if intent is not None:
                intents.append(intent)
        known = set(seen)
        for intent in intents:
            for related in intent.related:
                if related not in known:
                    self.problem(
                        intent.file,
                        intent.line,
                        f"{intent.id}: related id {related!r} does not exist",
                    )
            if intent.follows is not None and intent.follows not in known:
                self.problem(
                    intent.file,
                    intent.line,
                    f"{intent.id}: follows {intent.follows!r}, which does not exist",
                )
        return intents

    def build_intent(
        self,
        raw: Mapping,
        name: str,
        seen: dict[str, tuple[str, int]],
        phrase_owner: dict[str, tuple[str, str, int]],
        source_text: str,
    ) -> Intent | None:
        line = raw.line
        for key in raw.keys() - _INTENT_KEYS:
            self.problem(name, raw.line_of(key), f"unknown key {key!r} in an intent")
        missing = [k for k in _REQUIRED if k not in raw]
        intent_id = raw.get("id")
        label = intent_id if isinstance(intent_id, str) else "intent"
        if missing:
            self.problem(name, line, f"{label}: missing {', '.join(missing)}")
            return None
        if not isinstance(intent_id, str) or not _ID.match(intent_id):
            self.problem(
                name,
                raw.line_of("id"),
                f"bad id {intent_id!r}: use lower case, digits, dots, underscores",
            )
            return None
        if intent_id in seen:
            other, other_line = seen[intent_id]
            self.problem(
                name,
                raw.line_of("id"),
                f"duplicate id {intent_id!r} (also at {other}:{other_line})",
            )
            return None
        seen[intent_id] = (name, raw.line_of("id"))
        topic = raw["topic"]
        if topic not in self.topics:
            self.problem(name, raw.line_of("topic"), f"{intent_id}: unknown topic {topic!r}")
        title = self.per_language(raw["title"], name, raw.line_of("title"), f"{intent_id} title")
        phrases = self.per_language_list(
            raw["phrases"], name, raw.line_of("phrases"), f"{intent_id} phrases"
        )
        context = self.per_language_list(
            raw.get("context", Mapping()),
            name,
            raw.line_of("context"),
            f"{intent_id} context",
            required=False,
        )
        templates = self.per_language(
            raw["answer"], name, raw.line_of("answer"), f"{intent_id} answer"
        )
        answer = (
            self.render(templates, name, raw.line_of("answer"), intent_id) if templates else None
        )
        for items in phrases.values():
            for phrase in items:
                key = " ".join(fold(phrase).split()).strip(" ?.!")
                if key in phrase_owner:
                    owner, other, other_line = phrase_owner[key]
                    where = (
                        "twice in this intent"
                        if owner == intent_id
                        else f"also in {owner} ({other}:{other_line})"
                    )
                    self.problem(
                        name, raw.line_of("phrases"), f"{intent_id}: phrase {phrase!r} is {where}"
                    )
                else:
                    phrase_owner[key] = (intent_id, name, raw.line_of("phrases"))
        source = self.read_quotes(
            raw.get("source"), name, raw.line_of("source"), intent_id, source_text
        )
        if not source and topic != SMALLTALK:
            self.problem(name, line, f"{intent_id}: a fact needs its `source` quote")
        related = raw.get("related", [])
        if not isinstance(related, list) or not all(isinstance(r, str) for r in related):
            self.problem(
                name, raw.line_of("related"), f"{intent_id}: `related` must be a list of ids"
            )
            related = []
        follows = raw.get("follows")
        if follows is not None and not isinstance(follows, str):
            self.problem(name, raw.line_of("follows"), f"{intent_id}: `follows` must be an id")
            follows = None
        if title is None or answer is None or templates is None or len(phrases) != len(self.codes):
            return None
        value_kinds = frozenset(
            self.values[f][0].kind
            for _, f, _, _ in string.Formatter().parse(next(iter(templates.values()), ""))
            if f in self.values
        )
        named = {c for text in answer.values() for c in self.lexicon.concepts_in(tokenize(text))}
        return Intent(
            id=intent_id,
            topic=str(topic),
            title=title,
            phrases=phrases,
            answer=answer,
            source=source,
            related=tuple(related),
            context=context,
            follows=follows,
            value_kinds=value_kinds,
            answer_kinds=value_kinds.union(*(self.lexicon.kinds_of(c) for c in named)),
            templates=templates,
            file=name,
            line=line,
        )

    def render(
        self, templates: dict[str, str], name: str, line: int, intent_id: str
    ) -> dict[str, str] | None:
        rendered: dict[str, str] = {}
        for lang, template in templates.items():
            try:
                fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
            except ValueError as exc:
                self.problem(name, line, f"{intent_id} answer ({lang}): {exc}")
                return None
            unknown = [f for f in fields if f not in self.values]
            if unknown:
                self.problem(
                    name, line, f"{intent_id} answer ({lang}): unknown value {unknown[0]!r}"
                )
                return None
            rendered[lang] = template.format_map(
                {f: self.values[f][0].render(self.languages[lang]) for f in fields}
            )
        return rendered

    def read_quotes(
        self, raw: Any, name: str, line: int, intent_id: str, source_text: str
    ) -> tuple[str, ...]:
        if raw is None:
            return ()
        quotes = [raw] if isinstance(raw, str) else raw
        if not isinstance(quotes, list) or not all(isinstance(q, str) for q in quotes):
            self.problem(name, line, f"{intent_id}: `source` must be a quote or a list of quotes")
            return ()
        flat = " ".join(source_text.split())
        for quote in quotes:
            if source_text and " ".join(quote.split()) not in flat:
                self.problem(
                    name,
                    line,
                    f"{intent_id}: source quote not found in {SOURCE_FILE}: {quote[:60]!r}…",
                )
        return tuple(" ".join(q.split()) for q in quotes)

    def read_source(self, path: Path) -> str:
        try:
            return path.read_text(encoding="utf-8")
        except OSError:
            return ""
        except UnicodeDecodeError:
            self.problem(path.name, 0, "not UTF-8")
            return ""

    def read_lexicon(self, path: Path) -> Lexicon:
        empty = Lexicon.build({}, {}, languages=self.languages)
        if not path.exists():
            return empty
        name = path.name
        try:
            data = read_yaml(path)
        except YamlError as exc:
            self.problem(name, exc.line, exc.message)
            return empty
        if data is None:
            return empty
        if not isinstance(data, Mapping):
            self.problem(name, 1, "the lexicon must be a mapping with stopwords and concepts")
            return empty
        for key in data.keys() - _LEXICON_KEYS:
            self.problem(
                name, data.line_of(key), f"unknown key {key!r} (expected: stopwords, concepts)"
            )
        stopwords: dict[str, tuple[str, ...]] = self.per_language_list(
            data.get("stopwords", Mapping()),
            name,
            data.line_of("stopwords"),
            "stopwords",
            required=False,
        )
        concepts: dict[str, dict[str, tuple[str, ...]]] = {}
        raw_concepts = data.get("concepts", Mapping())
        if not isinstance(raw_concepts, Mapping):
            self.problem(name, data.line_of("concepts"), "`concepts` must be a mapping")
            raw_concepts = Mapping()
        owner: dict[tuple[str, ...], str] = {}
        for concept, forms in raw_concepts.items():
            where = raw_concepts.line_of(concept)
            parsed = self.per_language_list(
                forms, name, where, f"concept {concept!r}", required=False
            )
            concepts[concept] = parsed
            for written in (w for words in parsed.values() for w in words):
                form = parse_form(concept, written)
                if form is None:
                    self.problem(name, where, f"concept {concept!r}: empty form {written!r}")
                    continue
                form_key = tuple(
                    w + ("*" if p else "") for w, p in zip(form.words, form.prefix, strict=True)
                )
                if form_key in owner and owner[form_key] != concept:
                    self.problem(
                        name, where, f"{written!r} is in both {owner[form_key]!r} and {concept!r}"
                    )
                owner.setdefault(form_key, concept)
        kinds: dict[str, frozenset[str]] = {}
        raw_kinds = data.get("kinds", Mapping())
        if not isinstance(raw_kinds, Mapping):
            self.problem(name, data.line_of("kinds"), "`kinds` must map a kind to concepts")
            raw_kinds = Mapping()
        for kind, members in raw_kinds.items():
            if kind in VALUE_KINDS:
                self.problem(name, raw_kinds.line_of(kind), f"{kind!r} is a value kind already")
            elif not isinstance(members, list) or any(m not in concepts for m in members):
                self.problem(name, raw_kinds.line_of(kind), f"kind {kind!r} must list concepts")
            else:
                kinds[kind] = frozenset(members)
        answer_types = {*VALUE_KINDS, *kinds}
        questions: dict[str, frozenset[str]] = {}
        raw_questions = data.get("questions", Mapping())
        if not isinstance(raw_questions, Mapping):
            self.problem(name, data.line_of("questions"), "`questions` must be a mapping")
            raw_questions = Mapping()
        for concept, wanted in raw_questions.items():
            where = raw_questions.line_of(concept)
            if concept not in concepts:
                self.problem(name, where, f"question {concept!r} is not a concept")
            if (
                not isinstance(wanted, list)
                or not wanted
                or any(k not in answer_types for k in wanted)
            ):
                self.problem(
                    name,
                    where,
                    f"question {concept!r}: list value kinds or kinds ({', '.join(sorted(answer_types))})",
                )
                continue
            questions[concept] = frozenset(wanted)
        listed: dict[str, frozenset[str]] = {}
        for key in ("roles", "chatter", "subjects", "deixis"):
            values = data.get(key, [])
            if not isinstance(values, list) or any(v not in concepts for v in values):
                self.problem(name, data.line_of(key), f"`{key}` must list concepts")
                values = []
            listed[key] = frozenset(values)
        known_codes = data.get("known_codes", [])
        if not isinstance(known_codes, list) or not all(isinstance(c, str) for c in known_codes):
            self.problem(name, data.line_of("known_codes"), "`known_codes` must list CLDR codes")
            known_codes = []
        capitals: dict[str, str] = {}
        raw_capitals = data.get("capitals", Mapping())
        if not isinstance(raw_capitals, Mapping) or any(
            country not in listed["roles"] or not isinstance(city, str)
            for country, city in raw_capitals.items()
        ):
            self.problem(
                name,
                data.line_of("capitals"),
                "`capitals` must map each of `roles` to its capital (a concept or a word)",
            )
        else:
            capitals = dict(raw_capitals)
        demonyms = data.get("demonyms", [])
        if not isinstance(demonyms, list) or not all(isinstance(d, str) for d in demonyms):
            self.problem(name, data.line_of("demonyms"), "`demonyms` must list words")
            demonyms = []
        return Lexicon.build(
            stopwords,
            concepts,
            questions,
            listed["roles"],
            listed["chatter"],
            demonyms,
            listed["subjects"],
            languages=self.languages,
            known_codes=frozenset(known_codes),
            kinds=kinds,
            capitals=capitals,
            deixis=listed["deixis"],
        )
