"""A strict, safe YAML reader that remembers line numbers.

Curators edit the knowledge base by hand, so mistakes must be reported with the
file and line. Anchors and aliases are refused (they are how "billion laughs"
bombs are built and nothing here needs them), as are duplicate keys, which
PyYAML would otherwise let the last one win silently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = ["MAX_FILE_BYTES", "Mapping", "YamlError", "read_yaml", "write_yaml"]

#: Larger files are refused before parsing.
MAX_FILE_BYTES = 2_000_000
_MAX_DEPTH = 20


class YamlError(Exception):
    """A YAML file could not be read; ``line`` is 1-based, 0 when unknown."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class Mapping(dict[str, Any]):
    """A YAML mapping that knows the line it starts on and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class Sequence(list[Any]):
    """A YAML sequence that knows the line of each item."""

    line: int = 0
    item_lines: list[int]


# libyaml's parser when PyYAML has it (several times faster), else the Python one.
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _check_events(text: str) -> None:
    """Refuse anchors, aliases and deep nesting before anything is built from them."""
    depth = 0
    for event in yaml.parse(text, Loader=_SafeLoader):
        line = event.start_mark.line + 1 if event.start_mark else 0
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise YamlError("anchors and aliases are not allowed", line)
        if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            depth += 1
            if depth > _MAX_DEPTH:
                raise YamlError("nesting is too deep", line)
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            depth -= 1


def _construct(node: yaml.Node, loader: Any, depth: int = 0) -> Any:
    if depth > _MAX_DEPTH:
        raise YamlError("nesting is too deep", node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        mapping = Mapping()
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {}
        for key_node, value_node in node.value:
            key = _construct(key_node, loader, depth + 1)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                raise YamlError(f"keys must be text, not {key!r}", line)
            if key in mapping:
                raise YamlError(f"duplicate key {key!r}", line)
            mapping[key] = _construct(value_node, loader, depth + 1)
            mapping.key_lines[key] = line
        return mapping
    if isinstance(node, yaml.SequenceNode):
        sequence = Sequence(_construct(item, loader, depth + 1) for item in node.value)
        sequence.line = node.start_mark.line + 1
        sequence.item_lines = [item.start_mark.line + 1 for item in node.value]
        return sequence
    return loader.construct_object(node, deep=True)


def read_yaml(path: Path) -> Any:
    """Parse one YAML document; raise :class:`YamlError` with the line on any problem."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise YamlError(f"file is larger than {MAX_FILE_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlError(f"not UTF-8 ({exc.reason})") from None
    except OSError as exc:
        raise YamlError(f"cannot read: {exc.strerror}") from None
    try:
        _check_events(text)
        loader = _SafeLoader(text)
    except YamlError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlError(
            f"invalid YAML: {exc.problem or exc.context}", mark.line + 1 if mark else 0
        ) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}") from None
    try:
        node = loader.get_single_node()
        return None if node is None else _construct(node, loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise YamlError(f"invalid YAML: {exc.problem or exc.context}", line) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}") from None
    except (RecursionError, ValueError, TypeError, OverflowError) as exc:
        raise YamlError(f"invalid YAML: {exc.__class__.__name__}: {exc}") from None
    finally:
        loader.dispose()


def write_yaml(data: Any) -> str:
    """Plain data as YAML text (the safe dumper: no Python tags), Turkish letters kept."""
    return str(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=200))
