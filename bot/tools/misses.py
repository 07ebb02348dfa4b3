"""Reading the unanswered-questions log, and learning from it: never automatically.

``python -m bot misses`` lists the most frequent declined questions;
``--suggest`` groups near-duplicates and names the intent each group most
likely belongs to (:func:`group_misses`, :func:`suggest`); ``--export``
writes them as YAML a curator reviews (:func:`phrases_document`,
:func:`eval_document`). Nothing here changes the knowledge base: that is
:mod:`bot.tools.phrases`, and only when asked.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from rapidfuzz import fuzz, process

from bot.dialogue import Engine
from bot.kb.yaml import write_yaml
from bot.lang import fold, tokenize
from bot.tools.eval import DECLINE

__all__ = [
    "MissGroup",
    "MissesError",
    "Suggestion",
    "additions",
    "eval_document",
    "format_suggestions",
    "group_misses",
    "phrases_document",
    "question_key",
    "read_misses",
    "suggest",
    "top_misses",
    "yaml_scalar",
]

#: Two questions whose words score this much (rapidfuzz, 0-100) ask the same thing.
SIMILARITY = 85.0
#: Only this many distinct questions, the most frequent, are compared with each
#: other (greedy clustering is quadratic in the worst case); rarer ones stay alone.
MAX_COMPARED = 2000


class MissesError(Exception):
    """The log cannot be read (missing, a directory, no permission); the message says which."""


def question_key(text: str) -> str:
    """The folded form two spellings of one question share (the loader's, for duplicate phrases)."""
    return " ".join(fold(text).split()).strip(" ?.!")


def read_misses(path: Path) -> Iterator[dict[str, object]]:
    """Entries of a log, skipping lines that are not valid JSON objects.

    Raises :class:`MissesError` at once when the file cannot be opened: a log
    that is not there is not the same as a log with nothing in it.
    """
    try:
        handle = path.open(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise MissesError(f"cannot read the misses log {path}: {exc.strerror}") from None
    return _entries(handle, path)


def _entries(handle: TextIO, path: Path) -> Iterator[dict[str, object]]:
    good = bad = 0
    with handle:
        try:
            for line in handle:
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                except ValueError:
                    entry = None
                if isinstance(entry, dict) and isinstance(entry.get("question"), str):
                    good += 1
                    yield entry
                else:
                    bad += 1
        except OSError as exc:
            raise MissesError(f"cannot read the misses log {path}: {exc.strerror}") from None
    if bad and not good:
        raise MissesError(
            f"{path} is not a misses log: none of its {bad} line(s) is an entry the bot wrote "
            "(one JSON object with a question per line)"
        )


def top_misses(path: Path, limit: int = 20) -> list[tuple[str, int, dict[str, object]]]:
    """The most frequent missed questions (grouped by folded text), with a sample entry."""
    counts: Counter[str] = Counter()
    sample: dict[str, dict[str, object]] = {}
    for entry in read_misses(path):
        key = question_key(str(entry["question"]))
        counts[key] += 1
        sample.setdefault(key, entry)
    return [(str(sample[k]["question"]), n, sample[k]) for k, n in counts.most_common(limit)]


@dataclass(frozen=True, slots=True)
class MissGroup:
    """Declined questions in one language that ask the same thing.

    ``questions`` holds each distinct question (by :func:`question_key`) as it
    was most often typed, with how often it was asked, most frequent first.
    """

    lang: str
    questions: tuple[tuple[str, int], ...]

    @property
    def count(self) -> int:
        return sum(n for _, n in self.questions)

    @property
    def question(self) -> str:
        """The representative: the group's most frequent question."""
        return self.questions[0][0]

    @property
    def variants(self) -> tuple[str, ...]:
        return tuple(q for q, _ in self.questions[1:])


@dataclass(frozen=True, slots=True)
class _Distinct:
    key: str
    text: str
    count: int
    words: str
    stems: str


def group_misses(
    entries: Iterable[dict[str, object]],
    engine: Engine,
    *,
    similarity: float = SIMILARITY,
    max_compared: int = MAX_COMPARED,
) -> list[MissGroup]:
    """Near-duplicate questions grouped together, per language, the largest group first.

    Questions are compared by their content words (the knowledge base's
    stop-words left out, folded), in any order, both as written and stemmed:
    ``What is the population of Almaty?``, ``almaty populaton`` and
    ``population of almaty`` fall together, ``population of Astana`` does
    not. (A token-set ratio would also put ``exports`` with ``exports to
    China``: one question inside a longer one is not the same question.)
    Grouping is greedy by frequency: the most asked question not yet in a
    group gathers every other one close enough to it.
    """
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for entry in entries:
        question = " ".join(str(entry["question"]).split())
        key = question_key(question)
        if not key:
            continue
        lang = entry.get("lang")
        if not isinstance(lang, str) or lang not in engine.languages:
            lang = engine.detect_language(question) or engine.default_lang
        counts[lang, key][question] += 1
    distinct: dict[str, list[_Distinct]] = defaultdict(list)
    stop = engine.catalog.lexicon.all_stopwords
    for (lang, key), spellings in counts.items():
        words = [t.word for t in tokenize(key)]
        content = [w for w in words if w not in stop] or words
        stem = engine.languages[lang].stem
        distinct[lang].append(
            _Distinct(
                key=key,
                text=spellings.most_common(1)[0][0],
                count=spellings.total(),
                words=" ".join(content),
                stems=" ".join(stem(w) for w in content),
            )
        )
    groups: list[MissGroup] = []
    for lang, questions in distinct.items():
        questions.sort(key=lambda d: (-d.count, d.key))
        for members in _cluster(questions[:max_compared], similarity):
            groups.append(MissGroup(lang, tuple((d.text, d.count) for d in members)))
        groups.extend(MissGroup(lang, ((d.text, d.count),)) for d in questions[max_compared:])
    groups.sort(key=lambda g: (-g.count, g.lang, question_key(g.question)))
    return groups


def _cluster(questions: list[_Distinct], similarity: float) -> list[list[_Distinct]]:
    """Greedy clustering of questions sorted by frequency; each leader takes its near-duplicates."""
    # None marks a question already in a group: rapidfuzz skips None choices.
    words: list[str | None] = [d.words for d in questions]
    stems: list[str | None] = [d.stems for d in questions]
    clusters: list[list[_Distinct]] = []
    for index, leader in enumerate(questions):
        if words[index] is None:
            continue
        words[index] = stems[index] = None
        found: set[int] = set()
        for query, choices in ((leader.words, words), (leader.stems, stems)):
            matches = process.extract(
                query, choices, scorer=fuzz.token_sort_ratio, score_cutoff=similarity, limit=None
            )
            found.update(position for _, _, position in matches)
        for position in found:
            words[position] = stems[position] = None
        clusters.append([leader, *(questions[p] for p in sorted(found))])
    return clusters


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A group of declined questions and the intent it most likely belongs to.

    ``intent`` is ``None`` when no intent scores at least the engine's
    "did you mean" floor: perhaps a new intent. ``best`` and ``score`` are the
    best-ranked intent and its score all the same; ``kind`` is what the engine
    does with the representative question now (``decline``, ``partial``,
    ``clarify``, or ``answer`` if the knowledge base has learnt it since).
    """

    group: MissGroup
    intent: str | None
    best: str | None
    score: float
    kind: str
    #: Why the intent's answer does not answer the question ("" when it does): such a
    #: group is no phrase for it (perhaps a new intent, perhaps nothing to add).
    refused: str = ""


def suggest(
    engine: Engine, groups: Iterable[MissGroup], floor: float | None = None
) -> list[Suggestion]:
    """The engine's best candidate for each group's representative question.

    The intent the engine now answers with, if it does; otherwise the top of
    its ranking when that scores at least ``floor`` (default: the policy's
    ``guess_floor``, the score from which a decline offers "did you mean").
    """
    floor = engine.policy.guess_floor if floor is None else floor
    suggestions: list[Suggestion] = []
    for group in groups:
        answer = engine.answer(group.question, lang=group.lang)
        ranking = answer.ranking or tuple(engine.rank(group.question, limit=1))
        if answer.intent is not None:
            best, score = answer.intent, answer.score
        elif ranking:
            best, score = ranking[0].intent, ranking[0].score
        else:
            best, score = None, 0.0
        intent = best if score >= floor else None
        refused = _refused(engine, group, intent) if intent is not None else ""
        suggestions.append(Suggestion(group, intent, best, score, answer.kind, refused))
    return suggestions


def _refused(engine: Engine, group: MissGroup, intent: str) -> str:
    """Why ``intent``'s answer does not answer the group's question, as the verifier reads it
    with the knowledge base as it is ("" when it does): "Kazakistan'ın nüfusu ne kadar?"
    shares words with the trade intents, but no answer of theirs gives a population."""
    frame = engine.frame(group.question, group.lang)
    if frame is None or engine.verifier is None:
        return ""
    reason = engine.verifier.check(frame, intent)
    if reason is None:
        return ""
    if not frame.focus_known and frame.focus is not None:
        return f"asks about {frame.focus.text!r}, which the knowledge base never mentions"
    return f"its answer does not give what is asked ({reason})"


def format_suggestions(suggestions: Iterable[Suggestion], variants: int = 3) -> str:
    """The ``--suggest`` listing: count, language, question, the intent; a few variants below."""
    lines: list[str] = []
    for s in suggestions:
        if s.intent is None:
            target = "new intent?" + (f" (best: {s.best}, {s.score:.1f})" if s.best else "")
        elif s.refused:
            target = f"new intent? (not {s.intent}: {s.refused})"
        else:
            now = {"answer": ", answered now", "partial": ", answered partially now"}
            target = f"{s.intent} ({s.score:.1f}{now.get(s.kind, '')})"
        lines.append(f"{s.group.count:>5}  [{s.group.lang}] {s.group.question}  -> {target}")
        if s.group.variants:
            lines.append(f"{'':>10}also: {' | '.join(s.group.variants[:variants])}")
    return "\n".join(lines)


def additions(suggestions: Iterable[Suggestion]) -> dict[str, dict[str, list[Suggestion]]]:
    """The groups to add as phrases, per intent and language, in the order given.

    A group with no intent (a new one?) has nowhere to go, one the engine
    answers now needs no phrase, and one whose intent's answer does not answer
    it would teach that intent a question it cannot answer.
    """
    found: dict[str, dict[str, list[Suggestion]]] = {}
    for s in suggestions:
        if s.intent is not None and s.kind != "answer" and not s.refused:
            found.setdefault(s.intent, {}).setdefault(s.group.lang, []).append(s)
    return found


def yaml_scalar(text: str, indent: int = 0) -> str:
    """``text`` as a YAML scalar, as the safe dumper writes it: plain where that reads back as
    itself, quoted where not. A long one goes on over more lines, each indented ``indent``
    spaces (the column of its ``-`` or key) and two more."""
    first, *rest = write_yaml([text]).splitlines()
    return "\n".join([first.removeprefix("- "), *(" " * indent + line for line in rest)])


def _note(s: Suggestion) -> str:
    now = {
        "partial": "; answered partially now: its answer may not say what is asked",
        "clarify": "; the bot asks which question is meant now",
    }
    return f"asked {s.group.count}, score {s.score:.1f}{now.get(s.kind, '')}"


def phrases_document(suggestions: Sequence[Suggestion], source: str) -> str:
    """``--export phrases``: per intent, per language, the phrases to add, for a curator to review."""
    lines = [
        f"# Phrases from the questions declined in {source} (python -m bot misses --export phrases):",
        "# each group of near-duplicates under the intent it most likely belongs to.",
        "# Review every phrase: keep it only if that intent's answer answers it. Paste what",
        "# you keep at the end of the intent's `phrases:` list in intents/, or run the command",
        "# again with --apply. asked: how often; score: how well the intent matches now (0-100).",
    ]
    found = additions(suggestions)
    for intent, languages in found.items():
        lines.append(f"{yaml_scalar(intent)}:")
        for lang, items in languages.items():
            lines.append(f"  {yaml_scalar(lang, 2)}:")
            lines.extend(f"    - {yaml_scalar(s.group.question, 4)}  # {_note(s)}" for s in items)
    if not found:
        lines.append("{}")
    unplaced = [s for s in suggestions if s.intent is None]
    if unplaced:
        lines.append("# No intent fits these (a new intent?):")
        lines.extend(
            f"#   [{s.group.lang}] {s.group.question}  (asked {s.group.count})" for s in unplaced
        )
    refused = [s for s in suggestions if s.intent is not None and s.refused]
    if refused:
        lines.append("# Near an intent whose answer does not answer them (a new intent, a new")
        lines.append("# synonym in the lexicon, or nothing the document says?):")
        lines.extend(
            f"#   [{s.group.lang}] {s.group.question}  -> not {s.intent}: {s.refused}"
            for s in refused
        )
    answered = [s for s in suggestions if s.intent is not None and s.kind == "answer"]
    if answered:
        lines.append("# Answered now, nothing to add:")
        lines.extend(f"#   [{s.group.lang}] {s.group.question}  -> {s.intent}" for s in answered)
    return "\n".join(lines) + "\n"


def eval_document(suggestions: Sequence[Suggestion], source: str) -> str:
    """``--export eval``: ``{q, intent, lang}`` items for ``python -m bot eval``, labels to review."""
    lines = [
        f"# Evaluation questions from the questions declined in {source}",
        "# (python -m bot misses --export eval). REVIEW THE LABELS: each intent is the engine's",
        "# guess, or `decline` where no intent fits, not a judgement. Correct them before",
        "# measuring anything with this file (python -m bot eval FILE).",
    ]
    for s in suggestions:
        lines.append(f"- q: {yaml_scalar(s.group.question, 2)}  # {_note(s)}")
        label = DECLINE if s.refused or s.intent is None else s.intent
        lines.append(f"  intent: {yaml_scalar(label, 2)}")
        lines.append(f"  lang: {yaml_scalar(s.group.lang, 2)}")
    if not suggestions:
        lines.append("[]")
    return "\n".join(lines) + "\n"
