"""A strict, safe YAML reader that remembers line numbers and explains its errors.

Curators edit the knowledge base by hand, so mistakes must be reported with the
file, the line and what to do about them, in their words rather than the
parser's ("quote text that contains ': '", not "mapping values are not allowed
here"). Anchors and aliases are refused (they are how "billion laughs" bombs
are built and nothing here needs them), as are tags (``!!set``, ``!!binary``,
``!!python/...``: only plain text, numbers, dates, lists and mappings are
data here) and duplicate keys, which PyYAML would otherwise let the last one
win silently. Nesting and the number of items are capped, so what one file
costs to read is bounded by its size.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bot.kb.files import MAX_YAML_BYTES, FileRefused, read_file

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_ITEMS",
    "Mapping",
    "Sequence",
    "YamlError",
    "parse_yaml",
    "read_yaml",
    "write_yaml",
]

#: Larger files are refused before parsing.
MAX_FILE_BYTES = MAX_YAML_BYTES
#: Scalars, lists and mappings in one file (the largest bundled file has about 3,000).
MAX_ITEMS = 50_000
_MAX_DEPTH = 20


class YamlError(Exception):
    """A YAML file could not be read; ``line`` is 1-based, 0 when unknown."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class Mapping(dict[str, Any]):
    """A YAML mapping that knows the line it starts on and the line of each key."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line = 0
        self.key_lines: dict[str, int] = {}

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class Sequence(list[Any]):
    """A YAML sequence that knows the line it starts on and the line of each item."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.line = 0
        self.item_lines: list[int] = []

    def line_at(self, index: int) -> int:
        """The line of item ``index`` (the list's own line when unknown)."""
        return self.item_lines[index] if index < len(self.item_lines) else self.line


# libyaml's parser when PyYAML has it (several times faster), else the Python one.
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# What YAML refuses to read (PyYAML's own test, to find the line of the character).
_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_SCALAR_KINDS = {"int": "number", "float": "number", "timestamp": "date", "bool": "yes/no"}


def _check_events(text: str) -> None:
    """Refuse anchors, aliases, tags, deep nesting and too many items before anything
    is built from them."""
    depth = 0
    items = 0
    for event in yaml.parse(text, Loader=_SafeLoader):
        line = event.start_mark.line + 1 if event.start_mark else 0
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise YamlError(
                "anchors and aliases are not allowed ('&' and '*' start them: "
                "quote text that starts with them)",
                line,
            )
        tag = getattr(event, "tag", None)
        if tag is not None:
            raise YamlError(
                f"the tag {tag!r} is not allowed: write plain text (quoted if need be), "
                "lists and mappings",
                line,
            )
        if isinstance(event, yaml.ScalarEvent):
            items += 1
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            items += 1
            depth += 1
            if depth > _MAX_DEPTH:
                raise YamlError(f"nesting is too deep (more than {_MAX_DEPTH} levels)", line)
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            depth -= 1
        if items > MAX_ITEMS:
            raise YamlError(f"more than {MAX_ITEMS:,} items: split the file", line)


def _construct(node: yaml.Node, loader: Any, depth: int = 0) -> Any:
    line = node.start_mark.line + 1
    if depth > _MAX_DEPTH:
        raise YamlError("nesting is too deep", line)
    if isinstance(node, yaml.MappingNode):
        mapping = Mapping()
        mapping.line = line
        for key_node, value_node in node.value:
            key = _construct(key_node, loader, depth + 1)
            key_line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                raise YamlError(
                    f"keys must be text, not {_short(key)} (put the key in quotes)", key_line
                )
            if key in mapping:
                raise YamlError(
                    f"duplicate key {_short(key)} (first at line {mapping.key_lines[key]})",
                    key_line,
                )
            mapping[key] = _construct(value_node, loader, depth + 1)
            mapping.key_lines[key] = key_line
        return mapping
    if isinstance(node, yaml.SequenceNode):
        sequence = Sequence(_construct(item, loader, depth + 1) for item in node.value)
        sequence.line = line
        sequence.item_lines = [item.start_mark.line + 1 for item in node.value]
        return sequence
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, TypeError, OverflowError):
        kind = _SCALAR_KINDS.get(str(node.tag).rsplit(":", 1)[-1], "value")
        raise YamlError(
            f"{_short(node.value)} is not a valid {kind} (put it in quotes if it is text)", line
        ) from None


def read_yaml(path: Path) -> Any:
    """Parse one YAML file; raise :class:`YamlError` with the line on any problem.

    Only a regular file of at most :data:`MAX_FILE_BYTES` is opened (see
    :func:`bot.kb.files.read_file`).
    """
    try:
        data = read_file(path, MAX_FILE_BYTES)
    except FileRefused as exc:
        raise YamlError(str(exc)) from None
    return parse_yaml(decode(data))


def decode(data: bytes) -> str:
    """UTF-8 bytes as text; raise :class:`YamlError` naming the line of a bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise YamlError(f"not UTF-8 ({exc.reason}): save the file as UTF-8", line) from None


def parse_yaml(text: str) -> Any:
    """Parse one YAML document; raise :class:`YamlError` with the line on any problem."""
    try:
        _check_events(text)
        loader = _SafeLoader(text)
    except YamlError:
        raise
    except yaml.YAMLError as exc:
        raise _explained(exc, text) from None
    try:
        node = loader.get_single_node()
        return None if node is None else _construct(node, loader)
    except YamlError:
        raise
    except yaml.YAMLError as exc:
        raise _explained(exc, text) from None
    except RecursionError:
        raise YamlError("nesting is too deep") from None
    finally:
        loader.dispose()


def write_yaml(data: Any) -> str:
    """Plain data as YAML text (the safe dumper: no Python tags), Turkish letters kept."""
    return str(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=200))


# -- errors in a curator's words ---------------------------------------------------

_ADVICE = (
    # (words of PyYAML's or libyaml's problem, words of its context, advice)
    ("mapping values are not allowed", "", "quote text that contains ': '"),
    ("tab character", "", "a tab: indent with spaces, not tabs"),
    ("end of stream", "quoted scalar", "a quote is not closed"),
    (
        "expected ',' or ']'",
        "",
        "a [list] is not closed, or an item in it holds ': ' or ']': quote that item",
    ),
    (
        "expected ',' or '}'",
        "",
        "a {mapping} is not closed, or a text in it holds ',', ': ' or '}': quote that text",
    ),
    (
        "could not find expected ':'",
        "",
        "a line here is not 'key: value': quote a text that "
        "runs over several lines, or add the missing ':'",
    ),
    ("another document", "", "one document per file: remove the '---' line"),
    (
        "unknown escape character",
        "",
        "a backslash in double quotes starts an escape: use single quotes, or write \\\\",
    ),
    ("", "alias", "'*' starts an alias: quote text that starts with '*'"),
    ("undefined alias", "", "'*' starts an alias: quote text that starts with '*'"),
    ("", "anchor", "'&' starts an anchor: quote text that starts with '&'"),
    (
        "mapping keys are not allowed",
        "",
        "'? ' starts a complex key: quote text that starts with '?'",
    ),
    ("", "block scalar", "after '|' or '>' the text starts on the next line, indented"),
    (
        "directive",
        "",
        "a line that starts with '%' is a directive: quote text that starts with '%'",
    ),
    (
        "document start",
        "",
        "one document per file: a line '---' or '...' ends it, and a line that starts "
        "with '%' is a directive; remove it, or quote that text",
    ),
    (
        "did not find expected key",
        "",
        "the indentation does not match the lines around it, "
        "or a text goes on after its closing quote: quote the whole text",
    ),
    (
        "expected <block end>",
        "",
        "the indentation does not match the lines around it, or a "
        "text goes on after its closing quote: quote the whole text",
    ),
    ("did not find expected '-'", "", "the indentation does not match the lines around it"),
)


def _explained(exc: yaml.YAMLError, text: str) -> YamlError:
    """A PyYAML error as advice, at the line where it is best fixed."""
    if isinstance(exc, yaml.reader.ReaderError):
        found = _NON_PRINTABLE.search(text)
        if found is None:
            return YamlError(f"invalid YAML: {exc.reason}")
        line = text.count("\n", 0, found.start()) + 1
        return YamlError(
            f"the file holds a control character (U+{ord(found.group()):04X}): remove it", line
        )
    if not isinstance(exc, yaml.MarkedYAMLError):
        return YamlError(f"invalid YAML: {exc}")
    problem = exc.problem or exc.context or ""
    context = exc.context or ""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 0
    if "cannot start any token" in problem and mark is not None:
        char = _char_at(text, mark.line, mark.column)
        if char == "\t":
            return YamlError("invalid YAML: a tab: indent with spaces, not tabs", line)
        return YamlError(f"invalid YAML: text cannot start with {char!r}: quote it", line)
    for words, where, advice in _ADVICE:
        if words in problem and where in context:
            if where == "quoted scalar" and exc.context_mark is not None:
                line = exc.context_mark.line + 1  # where the quote opens
            return YamlError(f"invalid YAML: {advice}", line)
    return YamlError(f"invalid YAML: {problem}", line)


def _char_at(text: str, line: int, column: int) -> str:
    lines = text.split("\n")
    if 0 <= line < len(lines) and 0 <= column < len(lines[line]):
        return lines[line][column]
    return "?"


def _short(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."
