"""Type mutations of a real knowledge base, for the loader's property test and fuzz target.

A mutation takes one YAML file of the knowledge base, swaps one value (at any
depth) for something of another type or shape, written as YAML (a list, a
``!!set``, a mapping, a timestamp, a date, yes/no, null, a format in an answer,
a huge number, a deep structure, a Python tag...), or edits a text, or renames
a key, and gives the file's new text. Whatever it gives, the loader must load
it or refuse it with :class:`bot.CatalogError`.

>>> files = KnowledgeBase.read(Path("intents"))
>>> text = files.mutate(Mutation("values.yaml", 3, "swap", "1e30"))
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

#: Values of another type or shape, as YAML flow text.
SWAPS = (
    "[economy]",
    "[[a]]",
    "!!set {economy: null}",
    "{a: 1}",
    "{en: x, tr: y}",
    "2012-10-12 10:00:00",
    "2012-10-12",
    "yes",
    "null",
    "''",
    "'{volume:>999999999}'",
    "'{trade_volume:>300000000}'",
    "'{trade_volume!r}'",
    "'{trade_volume.real}'",
    "'{}'",
    "'{'",
    "1e30",
    "-1e400",
    ".inf",
    ".nan",
    "9" * 400,
    "9" * 5000,
    "-3",
    "0.5",
    "!!binary aGVsbG8=",
    "!!python/object/apply:os.system [echo mutated]",
    "!!str 2016",
    "!foo bar",
    "&anchor x",
    "'a: b'",
    '"ti\\u200bcaret"',
    "[" * 40 + "]" * 40,
    "{a: " * 30 + "x" + "}" * 30,
    "'" + "x" * 5000 + "'",
    "[" + ", ".join(["x"] * 3000) + "]",
)
#: Edits of a text: what is appended to it.
SUFFIXES = (" {trade_volume:>999999999}", " {volme}", " {", " }", " {}", "\u200b\u00ad", "\x01")
#: What a key becomes.
KEYS = ("context", "titel", "2016", "phrases ", "[a]", "? [a, b]")

_PLACEHOLDER = "__MUTANT_7f3a__"


@dataclass(frozen=True)
class Mutation:
    """One change: in ``file``, at the ``path``-th value, of ``kind`` "swap" (the
    value becomes the YAML text ``what``), "suffix" (``what`` is appended to a text)
    or "key" (the key of the value becomes ``what``)."""

    file: str
    path: int
    kind: str
    what: str


@dataclass(frozen=True)
class KnowledgeBase:
    """A knowledge base's files, parsed once, with the path to every value in each."""

    texts: dict[str, str]
    data: dict[str, Any]
    paths: dict[str, list[tuple[Any, ...]]]

    @classmethod
    def read(cls, directory: Path) -> KnowledgeBase:
        texts = {
            path.name: path.read_text(encoding="utf-8") for path in sorted(directory.glob("*.yaml"))
        }
        data = {name: yaml.safe_load(text) for name, text in texts.items()}
        return cls(texts, data, {name: list(_paths(value)) for name, value in data.items()})

    @property
    def names(self) -> list[str]:
        return sorted(self.texts)

    def mutate(self, mutation: Mutation) -> str:
        """The text of ``mutation.file`` once mutated (its comments are not kept)."""
        paths = self.paths[mutation.file]
        if not paths:
            return self.texts[mutation.file]
        path = paths[mutation.path % len(paths)]
        data = _copy(self.data[mutation.file])
        parent = _at(data, path[:-1])
        last = path[-1]
        if mutation.kind == "key" and isinstance(parent, dict):
            parent[_PLACEHOLDER] = parent.pop(last)
            return _dump(data).replace(_PLACEHOLDER, mutation.what, 1)
        if mutation.kind == "suffix" and isinstance(parent[last], str):
            parent[last] = parent[last] + mutation.what
            return _dump(data)
        parent[last] = _PLACEHOLDER
        return _dump(data).replace(_PLACEHOLDER, mutation.what, 1)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Any:
    """The path (keys and indexes) to every value below ``value``."""
    if not isinstance(value, dict | list):
        return
    for key, child in value.items() if isinstance(value, dict) else enumerate(value):
        yield (*prefix, key)
        yield from _paths(child, (*prefix, key))


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _dump(data: Any) -> str:
    return str(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1 << 20))
