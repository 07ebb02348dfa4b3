"""The knowledge base: intents, values, topics and the lexicon, read from YAML.

The YAML files are the curators' interface, so every mistake is reported with
its file (relative to the knowledge-base folder), the line of the very item
that is wrong and what to do about it, all at once, and nothing half-loaded is
ever served. Whatever the files hold (a list where text belongs, a date and
time, ``{volume:>999999999}`` in an answer, a FIFO named ``*.yaml``), loading
ends in a :class:`Catalog` or in a :class:`CatalogError`, never in another
exception, and costs what the files' sizes allow at most. The format is
described in ``docs/knowledge-base.md``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import string
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot._paths import bundled
from bot.kb.files import LEXICON_FILE, SOURCE_FILE, FolderError, Snapshot, read_folder
from bot.kb.lexicon import Lexicon, parse_form
from bot.kb.values import VALUE_KINDS, Value, parse_value
from bot.kb.yaml import Mapping, Sequence, YamlError, decode, parse_yaml
from bot.lang import Language, fold, tokenize
from bot.lang import get as get_language
from bot.lang.text import MAX_MATCH_CHARS

__all__ = [
    "DEFAULT_LANGUAGES",
    "LEXICON_FILE",
    "MAX_ANSWER_CHARS",
    "MAX_PHRASE_CHARS",
    "SOURCE_FILE",
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
#: A phrase, title or lexicon form: the matcher reads no further.
MAX_PHRASE_CHARS = MAX_MATCH_CHARS
#: An answer once its values are written out, and a quote of the source.
MAX_ANSWER_CHARS = 2_000
#: "Did you mean" suggestions per load (each compares a name with every known one).
_MAX_SUGGESTIONS = 50

_ID = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*$")
_FILE_KEYS = frozenset({"languages", "values", "topics", "intents"})
_INTENT_KEYS = frozenset(
    {"id", "topic", "title", "phrases", "answer", "source", "related", "follows"}
)
_REQUIRED = ("id", "topic", "title", "phrases", "answer")
#: Keys the format once had, and what became of them.
_RETIRED = {"context": "nothing reads it, so delete it"}
_LEXICON_LISTS = ("roles", "chatter", "subjects", "deixis")
_LEXICON_KEYS = frozenset(
    {
        "stopwords",
        "concepts",
        "questions",
        "kinds",
        "capitals",
        "demonyms",
        "known_codes",
        *_LEXICON_LISTS,
    }
)


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake in the knowledge base: the file (relative to its folder), the line
    (0 for the whole file) and what is wrong."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        if not self.file:
            return self.message
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
    follows: str | None
    file: str
    line: int
    #: The kinds of the values its answer holds (money, date...).
    value_kinds: frozenset[str] = frozenset()
    #: Those and the kinds of what its answer names (a place, a person...).
    answer_kinds: frozenset[str] = frozenset()
    #: The answer before its values are filled in, per language.
    templates: dict[str, str] = field(default_factory=dict)
    #: The line each phrase is written on, per language, in the order of ``phrases``.
    phrase_lines: dict[str, tuple[int, ...]] = field(default_factory=dict)

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
    #: A short hash of the files it was read from (:attr:`bot.kb.files.Snapshot.version`)...
    version: str = ""
    #: ...and the whole of it: what a compiled index of this catalogue is keyed by.
    digest: str = ""

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


def load_catalog(source: Path | Snapshot, languages: dict[str, Language] | None = None) -> Catalog:
    """Read and validate a knowledge-base directory; raise :class:`CatalogError` on any mistake.

    ``source`` is the directory, or its files as read already (a
    :class:`~bot.kb.files.Snapshot`: what a reload compared). The knowledge
    base lists its languages (``languages: [en, tr]`` in any of its files);
    each is found with :func:`bot.lang.get` unless ``languages`` gives it.
    """
    if isinstance(source, Snapshot):
        snapshot = source
    else:
        try:
            snapshot = read_folder(Path(source))
        except FolderError as exc:
            raise CatalogError([Problem(str(source), 0, str(exc))]) from None
    return _Reader(snapshot, languages or {}).read()


# -- reading ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _At:
    """Where an item was written: its file and line."""

    file: str
    line: int


def _describe(value: object) -> str:
    """What a YAML value is, in a curator's words (for "must be text, not ...")."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return f"yes/no ({str(value).lower()}): put it in quotes if it is text"
    if isinstance(value, int | float):
        return f"a number ({_short(value)}): put it in quotes if it is text"
    if isinstance(value, dt.datetime):
        return "a date and time: put it in quotes if it is text"
    if isinstance(value, dt.date):
        return "a date: put it in quotes if it is text"
    if isinstance(value, dict):
        return "a mapping (quote text that contains ': ')"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    return type(value).__name__


def _short(value: object) -> str:
    return _cut(repr(value))


def _cut(text: str, most: int = 60) -> str:
    return text if len(text) <= most else text[: most - 3] + "..."


def _items(raw: list[Any], fallback: int) -> Iterator[tuple[Any, int]]:
    """A YAML list's items with the line of each."""
    for index, item in enumerate(raw):
        yield item, raw.line_at(index) if isinstance(raw, Sequence) else fallback


def _line_of(raw: object, key: str, fallback: int) -> int:
    return raw.line_of(key) if isinstance(raw, Mapping) else fallback


class _Reader:
    def __init__(self, snapshot: Snapshot, given: dict[str, Language]) -> None:
        self.snapshot = snapshot
        self.given = given
        self.languages: dict[str, Language] = {}
        self.files: list[tuple[Mapping, str]] = []
        self.problems: list[Problem] = []
        #: Files left out as invalid YAML (their intents are missing from the rest).
        self.unparsed: set[str] = set()
        self.values: dict[str, tuple[Value, _At]] = {}
        self.topics: dict[str, tuple[dict[str, str], _At]] = {}
        self.raw_intents: list[tuple[Mapping, str]] = []
        self.lexicon = Lexicon.build({}, {})
        self.source_flat = ""
        self.suggestions_left = _MAX_SUGGESTIONS

    def problem(self, file: str, line: int, message: str) -> None:
        self.problems.append(Problem(file, line, message))

    def suggest(self, name: object, known: Iterable[str], shown: str = "{!r}") -> str:
        """`` (did you mean 'x'?)`` for a misspelt name, or nothing."""
        if not isinstance(name, str) or len(name) > 80 or self.suggestions_left <= 0:
            return ""
        self.suggestions_left -= 1
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
        return f" (did you mean {shown.format(close[0])}?)" if close else ""

    def unknown_keys(self, raw: Mapping, allowed: frozenset[str], name: str, where: str) -> None:
        for key in sorted(raw.keys() - allowed):
            hint = _RETIRED.get(key) if where == "an intent" else None
            message = f"unknown key {key!r} in {where}"
            if hint is not None:
                message += f": {hint}"
            else:
                message += (
                    self.suggest(key, allowed) or f" (expected: {', '.join(sorted(allowed))})"
                )
            self.problem(name, raw.line_of(key), message)

    def read(self) -> Catalog:
        snapshot = self.snapshot
        names = sorted({*snapshot.files, *snapshot.refused})
        for name in names:
            if name in snapshot.refused:
                self.problem(name, 0, snapshot.refused[name])
        intent_files = [n for n in names if n.endswith(".yaml") and n != LEXICON_FILE]
        if not intent_files:
            self.problem("", 0, f"no *.yaml files besides {LEXICON_FILE} in the folder")
        for required, what in (
            (LEXICON_FILE, "the lexicon"),
            (SOURCE_FILE, "the source document the answers quote"),
        ):
            if required not in names:
                self.problem(required, 0, f"is missing: every knowledge base needs {what}")
        for name in intent_files:
            self.read_file(name)
        self.read_languages()
        for data, name in self.files:
            self.read_contents(data, name)
        lexicon = self.lexicon = self.read_lexicon()
        source_text = self.read_source()
        intents = self.build_intents()
        if self.problems:
            raise CatalogError(self.problems)
        return Catalog(
            intents=tuple(intents),
            topics={k: v[0] for k, v in self.topics.items()},
            values={k: v[0] for k, v in self.values.items()},
            lexicon=lexicon,
            source_text=source_text,
            directory=snapshot.directory,
            languages=tuple(self.languages.values()),
            version=snapshot.version,
            digest=snapshot.digest,
        )

    def parse(self, name: str) -> Any:
        """The YAML file ``name``, or ``None`` with its problem noted."""
        data = self.snapshot.files.get(name)
        if data is None:
            return None
        try:
            return parse_yaml(decode(data))
        except YamlError as exc:
            self.problem(name, exc.line, exc.message)
            self.unparsed.add(name)
            return None

    def read_file(self, name: str) -> None:
        parsed = self.parse(name)
        if parsed is None:
            return
        if not isinstance(parsed, Mapping):
            self.problem(
                name,
                getattr(parsed, "line", 1) or 1,
                f"the file must be a mapping of values, topics and intents, not {_describe(parsed)}",
            )
            return
        self.unknown_keys(parsed, _FILE_KEYS, name, "a file")
        self.files.append((parsed, name))

    def read_languages(self) -> None:
        """The knowledge base's languages: one ``languages`` list, in any file."""
        declared = [
            (data["languages"], data.line_of("languages"), name)
            for data, name in self.files
            if "languages" in data
        ]
        codes: list[str] = list(DEFAULT_LANGUAGES)
        where = (declared[0][2], declared[0][1]) if declared else ("", 0)
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
        if not isinstance(intents, list):
            self.problem(
                name,
                data.line_of("intents"),
                f"`intents` must be a list, not {_describe(intents)}",
            )
            return
        for item, line in _items(intents, data.line_of("intents")):
            if isinstance(item, Mapping):
                self.raw_intents.append((item, name))
            else:
                self.problem(name, line, f"an intent must be a mapping, not {_describe(item)}")

    def read_values(self, raw: Any, name: str, line: int) -> None:
        if raw is None:
            return
        if not isinstance(raw, Mapping):
            self.problem(name, line, f"`values` must be a mapping, not {_describe(raw)}")
            return
        for key, spec in raw.items():
            where = raw.line_of(key)
            if key in self.values:
                other = self.values[key][1]
                self.problem(
                    name, where, f"value {key!r} is already defined at {other.file}:{other.line}"
                )
                continue
            try:
                self.values[key] = (parse_value(spec), _At(name, where))
            except ValueError as exc:
                self.problem(name, where, f"value {key!r}: {exc}")

    def read_topics(self, raw: Any, name: str, line: int) -> None:
        if raw is None:
            return
        if not isinstance(raw, Mapping):
            self.problem(name, line, f"`topics` must be a mapping, not {_describe(raw)}")
            return
        for key, titles in raw.items():
            where = raw.line_of(key)
            if key in self.topics:
                other = self.topics[key][1]
                self.problem(
                    name, where, f"topic {key!r} is already defined at {other.file}:{other.line}"
                )
                continue
            parsed = self.per_language(titles, name, where, f"topic {key!r}", MAX_PHRASE_CHARS)
            if parsed is not None:
                self.topics[key] = (parsed, _At(name, where))

    def per_language(
        self, raw: Any, name: str, line: int, what: str, limit: int
    ) -> dict[str, str] | None:
        """A text per language (``{en: ..., tr: ...}``), each at most ``limit`` characters."""
        if not isinstance(raw, Mapping):
            self.problem(
                name,
                line,
                f"{what} must map each language ({', '.join(self.codes)}) to its text, "
                f"not {_describe(raw)}",
            )
            return None
        self.unknown_languages(raw, name, what)
        result: dict[str, str] = {}
        for lang in self.codes:
            if lang not in raw:
                self.problem(name, raw.line, f"{what}: missing the {lang!r} text")
                continue
            text = raw[lang]
            where = raw.line_of(lang)
            if text is None:
                self.problem(name, where, f"{what}: missing the {lang!r} text")
            elif not isinstance(text, str):
                self.problem(name, where, f"{what} ({lang}) must be text, not {_describe(text)}")
            elif not text.strip():
                self.problem(name, where, f"{what}: missing the {lang!r} text")
            elif len(text) > limit:
                self.problem(name, where, f"{what} ({lang}) is longer than {limit:,} characters")
            else:
                result[lang] = text.strip()
        return result if len(result) == len(self.codes) else None

    def per_language_list(
        self, raw: Any, name: str, line: int, what: str, required: bool = True
    ) -> dict[str, tuple[tuple[str, int], ...]]:
        """A list of texts per language, each with its line; every list non-empty if
        ``required``."""
        if not isinstance(raw, Mapping):
            self.problem(
                name,
                line,
                f"{what} must map each language ({', '.join(self.codes)}) to a list, "
                f"not {_describe(raw)}",
            )
            return {}
        self.unknown_languages(raw, name, what)
        result: dict[str, tuple[tuple[str, int], ...]] = {}
        for lang in self.codes:
            items = raw.get(lang)
            where = raw.line_of(lang)
            if items is None and not required:
                result[lang] = ()
                continue
            if items is None or (isinstance(items, list) and not items):
                self.problem(name, where, f"{what}: missing the {lang!r} list")
                continue
            if not isinstance(items, list):
                self.problem(name, where, f"{what} ({lang}) must be a list, not {_describe(items)}")
                continue
            found = []
            for item, item_line in _items(items, where):
                if not isinstance(item, str):
                    self.problem(
                        name,
                        item_line,
                        f"{what} ({lang}): an entry must be text, not {_describe(item)}",
                    )
                elif not item.strip():
                    self.problem(name, item_line, f"{what} ({lang}): an empty entry")
                elif len(item) > MAX_PHRASE_CHARS:
                    self.problem(
                        name,
                        item_line,
                        f"{what} ({lang}): an entry is longer than {MAX_PHRASE_CHARS} characters",
                    )
                else:
                    found.append((item.strip(), item_line))
            result[lang] = tuple(found)
        return result

    def unknown_languages(self, raw: Mapping, name: str, what: str) -> None:
        for key in sorted(raw.keys() - set(self.codes)):
            self.problem(
                name,
                raw.line_of(key),
                f"{what}: unknown language {key!r}{self.suggest(key, self.codes)}",
            )

    # -- intents ------------------------------------------------------------------

    def build_intents(self) -> list[Intent]:
        intents: list[Intent] = []
        seen: dict[str, _At] = {}
        phrase_owner: dict[str, tuple[str, _At]] = {}
        references: list[tuple[str, int, str, str, str]] = []
        for raw, name in self.raw_intents:
            intent = self.build_intent(raw, name, seen, phrase_owner, references)
            if intent is not None:
                intents.append(intent)
        for name, line, intent_id, kind, target in references:
            if target not in seen and not self.unparsed:
                # (With a file left out as invalid YAML, its intents are missing too: fix that
                # first, rather than read a "does not exist" for each reference to them.)
                hint = self.suggest(target, seen)
                if kind == "related":
                    message = f"{intent_id}: related id {target!r} does not exist{hint}"
                else:
                    message = f"{intent_id}: follows {target!r}, which does not exist{hint}"
                self.problem(name, line, message)
        return intents

    def build_intent(
        self,
        raw: Mapping,
        name: str,
        seen: dict[str, _At],
        phrase_owner: dict[str, tuple[str, _At]],
        references: list[tuple[str, int, str, str, str]],
    ) -> Intent | None:
        line = raw.line
        self.unknown_keys(raw, _INTENT_KEYS, name, "an intent")
        missing = [k for k in _REQUIRED if k not in raw]
        intent_id = raw.get("id")
        label = intent_id if isinstance(intent_id, str) and _ID.match(intent_id) else "intent"
        if missing:
            self.problem(name, line, f"{label}: missing {', '.join(missing)}")
            return None
        if not isinstance(intent_id, str) or not _ID.match(intent_id):
            self.problem(
                name,
                raw.line_of("id"),
                f"bad id {_short(intent_id)}: use lower case, digits, dots, underscores",
            )
            return None
        if intent_id in seen:
            other = seen[intent_id]
            self.problem(
                name,
                raw.line_of("id"),
                f"duplicate id {intent_id!r} (also at {other.file}:{other.line})",
            )
            return None
        seen[intent_id] = _At(name, raw.line_of("id"))
        problems_before = len(self.problems)
        topic = self.read_topic(raw["topic"], name, raw.line_of("topic"), intent_id)
        title = self.per_language(
            raw["title"], name, raw.line_of("title"), f"{intent_id} title", MAX_PHRASE_CHARS
        )
        phrases = self.read_phrases(raw["phrases"], name, raw.line_of("phrases"), intent_id)
        for lang, items in phrases.items():
            for phrase, phrase_line in items:
                self.own_phrase(phrase, lang, _At(name, phrase_line), intent_id, phrase_owner)
        answer_line = raw.line_of("answer")
        templates = self.per_language(
            raw["answer"], name, answer_line, f"{intent_id} answer", MAX_ANSWER_CHARS
        )
        answer, value_kinds = self.render(templates or {}, raw["answer"], name, intent_id)
        quoted_before = len(self.problems)
        source = self.read_quotes(raw.get("source"), name, raw.line_of("source"), intent_id)
        if not source and topic not in (SMALLTALK, None) and len(self.problems) == quoted_before:
            self.problem(name, line, f"{intent_id}: a fact needs its `source` quote")
        related = self.read_ids(raw.get("related"), name, raw.line_of("related"), intent_id)
        references += [(name, at, intent_id, "related", target) for target, at in related]
        follows = raw.get("follows")
        if follows is not None:
            if isinstance(follows, str):
                references.append((name, raw.line_of("follows"), intent_id, "follows", follows))
            else:
                self.problem(
                    name,
                    raw.line_of("follows"),
                    f"{intent_id}: `follows` must be an intent's id, not {_describe(follows)}",
                )
        if len(self.problems) > problems_before or topic is None or title is None:
            return None
        named = {c for text in answer.values() for c in self.lexicon.concepts_in(tokenize(text))}
        return Intent(
            id=intent_id,
            topic=topic,
            title=title,
            phrases={lang: tuple(p for p, _ in items) for lang, items in phrases.items()},
            answer=answer,
            source=source,
            related=tuple(target for target, _ in related),
            follows=follows if isinstance(follows, str) else None,
            value_kinds=value_kinds,
            answer_kinds=value_kinds.union(*(self.lexicon.kinds_of(c) for c in named)),
            templates=templates or {},
            phrase_lines={lang: tuple(n for _, n in items) for lang, items in phrases.items()},
            file=name,
            line=line,
        )

    def read_topic(self, raw: object, name: str, line: int, intent_id: str) -> str | None:
        if not isinstance(raw, str):
            self.problem(
                name, line, f"{intent_id}: `topic` must be a topic's name, not {_describe(raw)}"
            )
            return None
        if raw not in self.topics:
            hint = self.suggest(raw, self.topics)
            self.problem(name, line, f"{intent_id}: unknown topic {raw!r}{hint}")
            return None
        return raw

    def read_phrases(
        self, raw: object, name: str, line: int, intent_id: str
    ) -> dict[str, tuple[tuple[str, int], ...]]:
        phrases = self.per_language_list(raw, name, line, f"{intent_id} phrases")
        for lang, items in phrases.items():
            for phrase, phrase_line in items:
                if not tokenize(phrase):
                    self.problem(
                        name, phrase_line, f"{intent_id} phrases ({lang}): {phrase!r} has no words"
                    )
        return phrases

    def own_phrase(
        self,
        phrase: str,
        lang: str,
        at: _At,
        intent_id: str,
        owners: dict[str, tuple[str, _At]],
    ) -> None:
        """Note that ``phrase`` asks ``intent_id``; a phrase may ask one intent only."""
        key = " ".join(fold(phrase).split()).strip(" ?.!")
        if key not in owners:
            owners[key] = (intent_id, at)
            return
        owner, other = owners[key]
        where = (
            f"twice in this intent (also at line {other.line})"
            if owner == intent_id
            else f"also in {owner} ({other.file}:{other.line})"
        )
        self.problem(at.file, at.line, f"{intent_id}: phrase {phrase!r} is {where}")

    def render(
        self, templates: dict[str, str], raw: object, name: str, intent_id: str
    ) -> tuple[dict[str, str], frozenset[str]]:
        """The answers with their values written out, and the kinds of those values.

        A value is inserted as ``{name}`` and nothing else: values are written
        out per language, so a format (``{volume:>300000000}``, ``{volume!r}``)
        has no use and could make a huge string.
        """
        rendered: dict[str, str] = {}
        kinds: set[str] = set()
        for lang, template in templates.items():
            line = _line_of(raw, lang, 0)
            what = f"{intent_id} answer ({lang})"
            parts = self.template_parts(template, name, line, what)
            if parts is None:
                continue
            language = self.languages[lang]
            text = "".join(
                part if is_literal else self.values[part][0].render(language)
                for part, is_literal in parts
            )
            kinds.update(self.values[part][0].kind for part, is_literal in parts if not is_literal)
            if len(text) > MAX_ANSWER_CHARS:
                self.problem(name, line, f"{what} is longer than {MAX_ANSWER_CHARS:,} characters")
            rendered[lang] = text
        return rendered, frozenset(kinds)

    def template_parts(
        self, template: str, name: str, line: int, what: str
    ) -> list[tuple[str, bool]] | None:
        """An answer's literal text and value names, in order (``(text, True)`` for
        literal text); ``None`` when the template is wrong."""
        try:
            parsed = list(string.Formatter().parse(template))
        except ValueError as exc:
            self.problem(name, line, f"{what}: {exc} (write a literal brace as {{{{ or }}}})")
            return None
        parts: list[tuple[str, bool]] = []
        ok = True
        for literal, field_name, spec, conversion in parsed:
            if literal:
                parts.append((literal, True))
            if field_name is None:
                continue
            if spec or conversion:
                written = _cut(
                    "{"
                    + field_name
                    + (f"!{conversion}" if conversion else "")
                    + (f":{spec}" if spec else "")
                    + "}"
                )
                self.problem(
                    name,
                    line,
                    f"{what}: {written} has a format; insert a value as {{{field_name}}} "
                    "alone (values are written out per language)",
                )
                ok = False
            elif field_name not in self.values:
                if field_name:
                    hint = self.suggest(field_name, self.values, "{{{}}}")
                    message = f"unknown value {{{_cut(field_name)}}}{hint}"
                else:
                    message = "{} needs a value's name, such as {volume}"
                self.problem(name, line, f"{what}: {message}")
                ok = False
            else:
                parts.append((field_name, False))
        return parts if ok else None

    def read_quotes(self, raw: Any, name: str, line: int, intent_id: str) -> tuple[str, ...]:
        """An intent's ``source``: one quote of ``source.txt`` or a list of them."""
        if raw is None:
            return ()
        items: list[tuple[Any, int]] = (
            list(_items(raw, line)) if isinstance(raw, list) else [(raw, line)]
        )
        quotes = []
        for quote, quote_line in items:
            if not isinstance(quote, str) or not quote.strip():
                self.problem(
                    name,
                    quote_line,
                    f"{intent_id}: `source` must be a quote of {SOURCE_FILE} or a list of "
                    f"quotes, not {_describe(quote) if quote else 'an empty text'}",
                )
                continue
            flat = " ".join(quote.split())
            if len(flat) > MAX_ANSWER_CHARS:
                self.problem(
                    name,
                    quote_line,
                    f"{intent_id}: a quote is longer than {MAX_ANSWER_CHARS:,} characters",
                )
            elif self.source_flat and flat not in self.source_flat:
                self.problem(
                    name,
                    quote_line,
                    f"{intent_id}: source quote not found in {SOURCE_FILE}: {quote[:60]!r}…",
                )
            quotes.append(flat)
        return tuple(quotes)

    def read_ids(self, raw: Any, name: str, line: int, intent_id: str) -> list[tuple[str, int]]:
        """``related``: a list of intent ids, each with its line (checked once all are read)."""
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.problem(
                name,
                line,
                f"{intent_id}: `related` must be a list of ids such as [trade.exports], "
                f"not {_describe(raw)}",
            )
            return []
        found = []
        for item, item_line in _items(raw, line):
            if isinstance(item, str):
                found.append((item, item_line))
            else:
                self.problem(
                    name,
                    item_line,
                    f"{intent_id}: `related` lists intents' ids, not {_describe(item)}",
                )
        return found

    def read_source(self) -> str:
        """``source.txt``, the document the answers quote; flattened once for the quotes."""
        data = self.snapshot.files.get(SOURCE_FILE)
        if data is None:
            return ""
        try:
            text = decode(data)
        except YamlError as exc:
            self.problem(SOURCE_FILE, exc.line, exc.message)
            return ""
        self.source_flat = " ".join(text.split())
        return text

    # -- the lexicon --------------------------------------------------------------

    def read_lexicon(self) -> Lexicon:
        name = LEXICON_FILE
        empty = Lexicon.build({}, {}, languages=self.languages)
        data = self.parse(name)
        if data is None:
            return empty
        if not isinstance(data, Mapping):
            self.problem(
                name,
                getattr(data, "line", 1) or 1,
                f"the lexicon must be a mapping with stopwords and concepts, not {_describe(data)}",
            )
            return empty
        self.unknown_keys(data, _LEXICON_KEYS, name, "the lexicon")
        stopwords = self.per_language_list(
            data.get("stopwords", Mapping()),
            name,
            data.line_of("stopwords"),
            "stopwords",
            required=False,
        )
        concepts = self.read_concepts(data.get("concepts", Mapping()), data.line_of("concepts"))
        kinds = self.read_kinds(data.get("kinds", Mapping()), data.line_of("kinds"), concepts)
        questions = self.read_questions(
            data.get("questions", Mapping()), data.line_of("questions"), concepts, kinds
        )
        listed = {
            key: frozenset(
                self.names(data.get(key), data.line_of(key), f"`{key}`", concepts, "a concept")
            )
            for key in _LEXICON_LISTS
        }
        known_codes = self.names(
            data.get("known_codes"), data.line_of("known_codes"), "`known_codes`", None, "a code"
        )
        demonyms = self.names(
            data.get("demonyms"), data.line_of("demonyms"), "`demonyms`", None, "a word"
        )
        capitals = self.read_capitals(
            data.get("capitals"), data.line_of("capitals"), listed["roles"]
        )
        return Lexicon.build(
            {lang: [w for w, _ in words] for lang, words in stopwords.items()},
            {
                c: {lang: [w for w, _ in forms] for lang, forms in f.items()}
                for c, f in concepts.items()
            },
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

    def read_concepts(
        self, raw: object, line: int
    ) -> dict[str, dict[str, tuple[tuple[str, int], ...]]]:
        name = LEXICON_FILE
        if not isinstance(raw, Mapping):
            self.problem(name, line, f"`concepts` must be a mapping, not {_describe(raw)}")
            return {}
        concepts: dict[str, dict[str, tuple[tuple[str, int], ...]]] = {}
        owner: dict[tuple[str, ...], str] = {}
        for concept, forms in raw.items():
            parsed = self.per_language_list(
                forms, name, raw.line_of(concept), f"concept {concept!r}", required=False
            )
            concepts[concept] = parsed
            for written, at in (item for items in parsed.values() for item in items):
                form = parse_form(concept, written)
                if form is None:
                    self.problem(name, at, f"concept {concept!r}: {written!r} has no words")
                    continue
                form_key = tuple(
                    w + ("*" if p else "") for w, p in zip(form.words, form.prefix, strict=True)
                )
                if form_key in owner and owner[form_key] != concept:
                    self.problem(
                        name, at, f"{written!r} is in both {owner[form_key]!r} and {concept!r}"
                    )
                owner.setdefault(form_key, concept)
        return concepts

    def read_kinds(
        self, raw: object, line: int, concepts: Iterable[str]
    ) -> dict[str, frozenset[str]]:
        if not isinstance(raw, Mapping):
            self.problem(
                LEXICON_FILE, line, f"`kinds` must map a kind to concepts, not {_describe(raw)}"
            )
            return {}
        kinds: dict[str, frozenset[str]] = {}
        for kind, members in raw.items():
            where = raw.line_of(kind)
            if kind in VALUE_KINDS:
                self.problem(LEXICON_FILE, where, f"{kind!r} is a value kind already")
                continue
            kinds[kind] = frozenset(
                self.names(members, where, f"kind {kind!r}", concepts, "a concept", required=True)
            )
        return kinds

    def read_questions(
        self, raw: object, line: int, concepts: Iterable[str], kinds: Iterable[str]
    ) -> dict[str, frozenset[str]]:
        if not isinstance(raw, Mapping):
            self.problem(LEXICON_FILE, line, f"`questions` must be a mapping, not {_describe(raw)}")
            return {}
        known = set(concepts)
        answer_types = {*VALUE_KINDS, *kinds}
        questions: dict[str, frozenset[str]] = {}
        for concept, wanted in raw.items():
            where = raw.line_of(concept)
            if concept not in known:
                self.problem(
                    LEXICON_FILE,
                    where,
                    f"question {concept!r} is not a concept{self.suggest(concept, known)}",
                )
            listed = self.names(
                wanted, where, f"question {concept!r}", answer_types, "a kind", required=True
            )
            if listed:
                questions[concept] = frozenset(listed)
        return questions

    def read_capitals(self, raw: object, line: int, roles: frozenset[str]) -> dict[str, str]:
        if raw is None:
            return {}
        what = "`capitals` must map each of `roles` to its capital (a concept or a word)"
        if not isinstance(raw, Mapping):
            self.problem(LEXICON_FILE, line, f"{what}, not {_describe(raw)}")
            return {}
        capitals: dict[str, str] = {}
        for country, city in raw.items():
            where = raw.line_of(country)
            if country not in roles:
                self.problem(LEXICON_FILE, where, f"{what}: {country!r} is not one of `roles`")
            elif not isinstance(city, str) or not city.strip():
                self.problem(LEXICON_FILE, where, f"{what}: not {_describe(city)}")
            else:
                capitals[country] = city
        return capitals

    def names(
        self,
        raw: object,
        line: int,
        what: str,
        known: Iterable[str] | None,
        one: str,
        required: bool = False,
    ) -> list[str]:
        """A list of names (of ``known`` ones, when given), each checked at its line."""
        if raw is None and not required:
            return []
        if not isinstance(raw, list) or (required and not raw):
            self.problem(
                LEXICON_FILE, line, f"{what} must list names, such as [a, b], not {_describe(raw)}"
            )
            return []
        known_set = set(known) if known is not None else None
        found = []
        for item, item_line in _items(raw, line):
            if not isinstance(item, str):
                self.problem(
                    LEXICON_FILE, item_line, f"{what}: {_describe(item)} where {one} is wanted"
                )
            elif known_set is not None and item not in known_set:
                hint = self.suggest(item, known_set)
                self.problem(LEXICON_FILE, item_line, f"{what}: {item!r} is not {one}{hint}")
            else:
                found.append(item)
        return found
