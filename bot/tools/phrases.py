"""Adding phrases to the intent files in place: one new line per phrase, nothing else touched.

The files are the curators': their comments, order and indentation stay as
they wrote them. So the files are edited as text, at the line numbers the
line-aware reader (:mod:`bot.kb.yaml`) gives, never rewritten by a YAML
dumper: a phrase becomes a new item at the end of its intent's list for its
language, indented like the item before it. Each file is replaced
atomically, and put back if the knowledge base does not pass its check.

    plan = plan_phrases(Path("intents"), {"trade.volume": {"en": ["how big is our trade"]}})
    kept = apply_plan(plan, check=lambda: knowledge_base_passes("intents"))
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.kb.catalog import LEXICON_FILE
from bot.kb.files import knowledge_base_names
from bot.kb.yaml import Mapping as YamlMapping
from bot.kb.yaml import Sequence as YamlSequence
from bot.kb.yaml import YamlError, read_yaml
from bot.tools.misses import question_key, yaml_scalar

__all__ = ["Added", "ApplyError", "FileEdit", "Plan", "Skipped", "apply_plan", "plan_phrases"]

# A line and its break, as YAML counts lines (so the reader's line numbers index this list).
_LINE = re.compile(
    r"[^\r\n\x85\u2028\u2029]*(?:\r\n|[\r\n\x85\u2028\u2029])|[^\r\n\x85\u2028\u2029]+"
)
_BREAK = re.compile(r"(?:\r\n|[\r\n\x85\u2028\u2029])$")
# A block sequence item's start: its indentation and dash ("        - ").
_ITEM = re.compile(r"^( *- +)\S")


class ApplyError(Exception):
    """Phrases cannot be added (an intent or list not found or not editable, a file changed)."""


@dataclass(frozen=True, slots=True)
class Added:
    """A phrase added: its intent, language, file, and line in the edited file (1-based)."""

    intent: str
    lang: str
    phrase: str
    file: str
    line: int


@dataclass(frozen=True, slots=True)
class Skipped:
    """A phrase not added, and why (it is already a phrase, folded alike)."""

    intent: str
    lang: str
    phrase: str
    reason: str


@dataclass(frozen=True, slots=True)
class FileEdit:
    """One intent file's text before and after."""

    path: Path
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class Plan:
    """What :func:`apply_plan` will write, computed without writing anything."""

    edits: tuple[FileEdit, ...]
    added: tuple[Added, ...]
    skipped: tuple[Skipped, ...]


@dataclass(frozen=True, slots=True, order=True)
class _Place:
    """New phrases for one list: they go after line ``after``, each line starting ``prefix``."""

    after: int
    prefix: str
    intent: str
    lang: str
    phrases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Found:
    """An intent's mapping as read, and the file it is in."""

    path: Path
    data: YamlMapping


def plan_phrases(directory: Path, wanted: Mapping[str, Mapping[str, Sequence[str]]]) -> Plan:
    """Where each wanted phrase goes (``{intent: {lang: [phrase, ...]}}``), as new file texts.

    A phrase that folds like one the knowledge base already has (in any
    intent: the loader refuses a phrase in two) is skipped. Raises
    :class:`ApplyError` when an intent or its list for a language cannot be
    found or edited line by line (a flow list such as ``en: [a, b]``).
    """
    intents, owners = _index(directory)
    texts: dict[Path, list[str]] = {}
    places: dict[Path, list[_Place]] = {}
    skipped: list[Skipped] = []
    for intent_id, languages in wanted.items():
        found = intents.get(intent_id)
        if found is None:
            raise ApplyError(f"no intent {intent_id!r} in {directory}")
        for lang, phrases in languages.items():
            new: list[str] = []
            for phrase in (" ".join(p.split()) for p in phrases):
                key = question_key(phrase)
                if key in owners:
                    where = "already there" if owners[key] == intent_id else f"in {owners[key]}"
                    skipped.append(Skipped(intent_id, lang, phrase, f"a phrase {where}"))
                elif key:
                    owners[key] = intent_id
                    new.append(phrase)
            if new:
                if found.path not in texts:
                    texts[found.path] = _lines(_read(found.path))
                after, prefix = _list_end(found, lang, texts[found.path])
                places.setdefault(found.path, []).append(
                    _Place(after, prefix, intent_id, lang, tuple(new))
                )
    edits: list[FileEdit] = []
    added: list[Added] = []
    for path, in_file in places.items():
        lines = list(texts[path])
        added += _insert(lines, in_file, path.name)
        edits.append(FileEdit(path, "".join(texts[path]), "".join(lines)))
    return Plan(tuple(edits), tuple(added), tuple(skipped))


def apply_plan(plan: Plan, check: Callable[[], bool]) -> bool:
    """Write the plan's files, then ``check()`` the knowledge base; put them back if it fails.

    Returns whether the check passed (and the phrases stay). A file changed
    by someone else since the plan was made is not overwritten
    (:class:`ApplyError`, with everything written so far put back).
    """
    written: list[FileEdit] = []
    try:
        for edit in plan.edits:
            _replace(edit.path, edit.after, expected=edit.before)
            written.append(edit)
        if check():
            return True
    except BaseException:
        _restore(written)
        raise
    _restore(written)
    return False


def _index(directory: Path) -> tuple[dict[str, _Found], dict[str, str]]:
    """The knowledge base's intents by id, and which intent has each phrase (folded)."""
    intents: dict[str, _Found] = {}
    owners: dict[str, str] = {}
    names = (n for n in knowledge_base_names(directory) if n.endswith(".yaml"))
    for path in (directory / n for n in names if n != LEXICON_FILE):
        for raw in _intents_in(path):
            intent_id = raw.get("id")
            if isinstance(intent_id, str):
                intents.setdefault(intent_id, _Found(path, raw))
                for phrase in _phrases_of(raw):
                    owners.setdefault(question_key(phrase), intent_id)
    return intents, owners


def _insert(lines: list[str], places: list[_Place], name: str) -> list[Added]:
    """Insert each place's phrases into ``lines``, in file order, each after its list's end."""
    added: list[Added] = []
    moved = 0  # lines inserted above the place, which has moved down by as many
    for place in sorted(places):
        at = place.after + moved
        ending = _BREAK.search(lines[at - 1])
        if ending is None:  # the file's last line, with no line break
            newline = _newline(lines)
            lines[at - 1] += newline
        else:
            newline = ending.group()
        for phrase in place.phrases:
            # A long phrase goes on over more lines, indented deeper than the dash.
            first, *rest = yaml_scalar(phrase, place.prefix.index("-")).split("\n")
            new = [f"{line}{newline}" for line in (place.prefix + first, *rest)]
            lines[at:at] = new
            added.append(Added(place.intent, place.lang, phrase, name, at + 1))
            at += len(new)
            moved += len(new)
    return added


def _intents_in(path: Path) -> list[YamlMapping]:
    try:
        data = read_yaml(path)
    except YamlError as exc:
        raise ApplyError(f"{path.name}:{exc.line}: {exc.message}") from None
    intents = data.get("intents") if isinstance(data, YamlMapping) else None
    return [i for i in intents if isinstance(i, YamlMapping)] if isinstance(intents, list) else []


def _phrases_of(intent: YamlMapping) -> list[str]:
    """An intent's phrases in every language, as read (whatever their shape)."""
    phrases = intent.get("phrases")
    lists = phrases.values() if isinstance(phrases, YamlMapping) else ()
    return [p for items in lists if isinstance(items, list) for p in items if isinstance(p, str)]


def _list_end(found: _Found, lang: str, lines: list[str]) -> tuple[int, str]:
    """The last line of an intent's phrase list for ``lang``, and the indentation of its items."""
    intent_id, name = found.data.get("id"), found.path.name
    phrases = found.data.get("phrases")
    items = phrases.get(lang) if isinstance(phrases, YamlMapping) else None
    if not isinstance(items, YamlSequence) or not items:
        where = phrases.line_of(lang) if isinstance(phrases, YamlMapping) else found.data.line
        raise ApplyError(f"{name}:{where}: {intent_id} has no list of {lang!r} phrases to add to")
    start = items.item_lines[-1]
    item = _ITEM.match(lines[start - 1])
    if item is None:
        raise ApplyError(
            f"{name}:{start}: the {lang!r} phrases of {intent_id} are not a list of '- ' lines;"
            " add the phrases by hand"
        )
    return _item_end(lines, start, item.group(1).index("-")), item.group(1)


def _item_end(lines: list[str], start: int, dash: int) -> int:
    """The last line of the list item on line ``start``, its ``-`` in column ``dash``.

    The lines after it indented deeper are its own (a long phrase goes on
    over them, or a comment about it); the first line that is not ends it.
    """
    end = start
    for number in range(start + 1, len(lines) + 1):
        text = lines[number - 1]
        if not text.strip():
            continue
        if len(text) - len(text.lstrip(" ")) <= dash:
            break
        end = number
    return end


def _lines(text: str) -> list[str]:
    lines: list[str] = _LINE.findall(text)
    assert "".join(lines) == text
    return lines


def _newline(lines: list[str]) -> str:
    for line in lines:
        found = _BREAK.search(line)
        if found:
            return found.group()
    return "\n"


def _read(path: Path) -> str:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ApplyError(f"cannot read {path}: {exc}") from None


def _replace(path: Path, text: str, *, expected: str) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file beside it, then rename)."""
    if _read(path) != expected:
        raise ApplyError(f"{path} changed while the phrases were being added; left as it is")
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise ApplyError(f"cannot write beside {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, path.stat().st_mode & 0o7777)
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise ApplyError(f"cannot write {path}: {exc.strerror}") from None


def _restore(edits: Sequence[FileEdit]) -> None:
    """Put the files back as they were before the plan was applied."""
    for edit in reversed(edits):
        _replace(edit.path, edit.before, expected=edit.after)
