"""A compiled index on disk: flat little-endian arrays behind a versioned JSON header.

Building an index reads every text of the knowledge base; a compiled one is
opened with ``mmap`` and used as it is. The file is safe to open whatever its
origin: no pickle, a header naming its format version and the key it was
built for, a SHA-256 of the whole payload, and every offset and id checked
against its table before use (:meth:`Tables.check`). A file that is missing,
truncated, corrupt, foreign or stale (another key) reads as ``None``, and the
caller builds the index again.

Layout::

    MAGIC (8 bytes) | header length (4 bytes, little-endian) | JSON header | sections

The header gives the format version, the key, the payload's SHA-256, the
counts and each section's offset, length and type code (``i``: int32, ``d``:
float64, ``B``: bytes). Sections start on 8-byte boundaries.

The key (:func:`cache_key`) is a SHA-256 of the format version, the source of
the code that shapes an index, the versions of the packages it uses, the
settings and every file of the knowledge base: a change to any of them
makes a new key, so a stale file is never read.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import os
import sys
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

__all__ = ["FORMAT", "Tables", "cache_key", "default_cache_dir", "index_path", "load", "save"]

FORMAT = 1
MAGIC = b"KZBIDX\x00\x01"
_ALIGN = 8
_MAX_HEADER = 1 << 20
_SIZES = {"i": 4, "d": 8, "B": 1}
#: The modules whose code shapes an index (their source is part of the key).
_SHAPING = ("bot.match", "bot.lang", "bot.kb")
_PACKAGES = ("rapidfuzz", "Stemmer", "babel", "yaml")

#: Each section: its type code. ``*_start`` sections are offsets into the next one.
SECTIONS: dict[str, str] = {
    "term_start": "i",  # terms: "kind\x1ftext\x1frole", UTF-8, in term_text
    "term_text": "B",
    "idf": "d",  # per indexed term
    "spread": "i",
    "post_start": "i",  # per indexed term: its phrases, lightest first, in post
    "post": "i",
    "ph_intent": "i",  # per phrase
    "ph_weight": "d",
    "ph_answer": "B",
    "ph_term_start": "i",
    "ph_terms": "i",
    "ph_text_start": "i",
    "ph_text": "B",
    "in_text_start": "i",  # per intent: its texts read (phrases, then the answer)
    "tx_answer": "B",  # per text read: whether it is the answer, and the terms found
    "tx_found_start": "i",
    "fd_term": "i",
    "fd_role": "B",  # 0: none, 1: src, 2: dst
    "fd_word": "i",
    "fd_named": "B",
    "word_start": "i",  # surface words, UTF-8, in word_text
    "word_text": "B",
    "voc_word": "i",  # the analyzer's vocabulary: word id -> term id, in order
    "voc_term": "i",
    "intent_place": "B",  # per intent: its answer puts something in a country
}


@dataclass(slots=True)
class Tables:
    """An index as flat tables (see :data:`SECTIONS`); ``indexed`` terms have postings."""

    intents: int
    indexed: int
    data: dict[str, Sequence[Any]]

    def ints(self, name: str) -> Sequence[int]:
        return cast("Sequence[int]", self.data[name])

    def floats(self, name: str) -> Sequence[float]:
        return cast("Sequence[float]", self.data[name])

    def blob(self, name: str) -> bytes | memoryview:
        return cast("bytes | memoryview", self.data[name])

    def check(self) -> bool:
        """Whether every offset and id is within its table (a file is never trusted)."""
        d = self.data
        terms = len(d["term_start"]) - 1
        phrases = len(d["ph_intent"])
        texts = len(d["tx_answer"])
        found = len(d["fd_term"])
        words = len(d["word_start"]) - 1
        lengths = {
            "idf": self.indexed,
            "spread": self.indexed,
            "post_start": self.indexed + 1,
            "ph_weight": phrases,
            "ph_answer": phrases,
            "ph_term_start": phrases + 1,
            "ph_text_start": phrases + 1,
            "tx_answer": texts,
            "tx_found_start": texts + 1,
            "fd_role": found,
            "fd_word": found,
            "fd_named": found,
            "voc_term": len(d["voc_word"]),
            "intent_place": self.intents,
            "in_text_start": self.intents + 1,
        }
        if terms < self.indexed or any(len(d[k]) != n for k, n in lengths.items()):
            return False
        offsets = {
            "term_start": "term_text",
            "post_start": "post",
            "ph_term_start": "ph_terms",
            "ph_text_start": "ph_text",
            "tx_found_start": "fd_term",
            "in_text_start": "tx_answer",
            "word_start": "word_text",
        }
        if not all(_offsets(self.ints(k), len(d[v])) for k, v in offsets.items()):
            return False
        ids = {
            "post": phrases,
            "ph_intent": self.intents,
            "ph_terms": self.indexed,
            "fd_term": terms,
            "fd_word": words,
            "fd_role": 3,
            "voc_word": words,
            "voc_term": terms,
        }
        return all(_within(self.ints(k), n) for k, n in ids.items())

    def text(self, blob: str, start: str, n: int) -> str:
        """The ``n``-th string of a blob."""
        offsets = self.ints(start)
        return bytes(self.blob(blob)[offsets[n] : offsets[n + 1]]).decode("utf-8")

    def strings(self, blob: str, start: str) -> list[str]:
        """Every string of a blob."""
        offsets = self.ints(start)
        text = bytes(self.blob(blob))
        return [text[offsets[n] : offsets[n + 1]].decode("utf-8") for n in range(len(offsets) - 1)]


def _offsets(offsets: Sequence[int], size: int) -> bool:
    if not offsets or offsets[0] != 0 or offsets[-1] != size:
        return False
    return all(a <= b for a, b in itertools.pairwise(offsets))


def _within(ids: Sequence[int], bound: int) -> bool:
    return not ids or (min(ids) >= 0 and max(ids) < bound)


def save(path: Path, key: str, tables: Tables) -> bool:
    """Write ``tables`` to ``path`` atomically (a temporary file, then a rename).

    Returns whether it was written: a cache directory that cannot be
    written (read-only, full) is not an error; the index is then only in memory.
    """
    import hashlib  # here and below: a start that uses no cache does not import them
    import tempfile

    payload = bytearray()
    sections: dict[str, list[int]] = {}
    for name, code in SECTIONS.items():
        values = tables.data[name]
        raw = _to_bytes(values, code)
        payload += b"\x00" * (-len(payload) % _ALIGN)
        sections[name] = [len(payload), len(raw)]
        payload += raw
    header = {
        "format": FORMAT,
        "key": key,
        "sha256": hashlib.sha256(payload).hexdigest(),
        "intents": tables.intents,
        "indexed": tables.indexed,
        "sections": sections,
    }
    head = json.dumps(header, sort_keys=True).encode("utf-8")
    head += b" " * (-(len(MAGIC) + 4 + len(head)) % _ALIGN)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    except OSError:
        return False
    try:
        os.chmod(temporary, 0o644)  # readable by whoever runs the bot, like the sources
        with os.fdopen(handle, "wb") as out:
            out.write(MAGIC + len(head).to_bytes(4, "little") + head)
            out.write(payload)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return False
    return True


def load(path: Path, key: str) -> Tables | None:
    """The tables in ``path`` if it is a sound index built for ``key``; otherwise ``None``."""
    import mmap

    try:
        with path.open("rb") as handle:
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None  # missing, unreadable or empty
    try:
        return _read(memoryview(mapped), key)
    except (ValueError, TypeError, KeyError, UnicodeDecodeError, RecursionError):
        return None  # a damaged or foreign file (a header nested a thousand deep too)


def _read(view: memoryview, key: str) -> Tables | None:
    import hashlib

    start = len(MAGIC) + 4
    if len(view) < start or bytes(view[: len(MAGIC)]) != MAGIC:
        return None
    size = int.from_bytes(view[len(MAGIC) : start], "little")
    if size > _MAX_HEADER or start + size > len(view):
        return None
    header = json.loads(bytes(view[start : start + size]))
    if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("key") != key:
        return None
    payload = view[start + size :]
    if hashlib.sha256(payload).hexdigest() != header.get("sha256"):
        return None
    sections = header["sections"]
    intents, indexed = header["intents"], header["indexed"]
    if not (isinstance(intents, int) and isinstance(indexed, int) and isinstance(sections, dict)):
        return None
    data: dict[str, Sequence[Any]] = {}
    for name, code in SECTIONS.items():
        offset, length = sections[name]
        if not (isinstance(offset, int) and isinstance(length, int)):
            return None
        if offset < 0 or length < 0 or offset + length > len(payload) or offset % _ALIGN:
            return None
        if length % _SIZES[code]:
            return None
        data[name] = _from_bytes(payload[offset : offset + length], code)
    tables = Tables(intents, indexed, data)
    return tables if tables.check() else None


def _to_bytes(values: Sequence[Any], code: str) -> bytes:
    if isinstance(values, bytes | bytearray | memoryview):
        return bytes(values)
    packed = array(code, values)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def _from_bytes(raw: memoryview, code: str) -> Sequence[Any]:
    if code == "B":
        return raw
    if sys.byteorder == "big":  # the file is little-endian: a copy, swapped
        values = array(code)
        values.frombytes(raw)
        values.byteswap()
        return values
    return raw.cast("i") if code == "i" else raw.cast("d")


def index_path(directory: Path, sources: Path, code: str) -> Path:
    """Where the index of one language of the knowledge base in ``sources`` is kept."""
    import hashlib

    name = hashlib.sha256(str(sources.resolve()).encode("utf-8")).hexdigest()[:16]
    return directory / f"index-{name}-{code}.bin"


def default_cache_dir(bundled: bool = False) -> Path | None:
    """``$KZBOT_CACHE_DIR``, else ``$XDG_CACHE_HOME/kzbot``, else ``~/.cache/kzbot``.

    ``KZBOT_CACHE_DIR=none`` turns the cache off. The bundled knowledge base
    is small (its index builds in a fifth of a second) and is cached only
    where ``KZBOT_CACHE_DIR`` says: answering a question writes nothing
    anywhere unless configured to.
    """
    given = os.environ.get("KZBOT_CACHE_DIR")
    if given is not None:
        return None if given.lower() in ("", "none") else Path(given)
    if bundled:
        return None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kzbot"


def cache_key(content: str, settings: Iterable[Any]) -> str | None:
    """The key of an index: format, shaping code, package versions, settings, knowledge base.

    ``content`` is the digest of the knowledge base's files as they were read for the
    catalogue (:attr:`bot.kb.Catalog.digest`), never read again here: a file saved since
    cannot give an index the key of another version. "" (a catalogue built in memory) has
    no key, and is never cached.
    """
    if not content:
        return None
    import hashlib

    digest = hashlib.sha256(f"kzbot index {FORMAT}\n".encode())
    for package in _SHAPING:
        module = sys.modules.get(package)
        folder = Path(module.__file__).parent if module and module.__file__ else None
        for path in sorted(folder.glob("*.py")) if folder else ():
            digest.update(path.name.encode() + b"\n" + path.read_bytes())
    digest.update(f"python {sys.version_info[:2]}\n".encode())
    for name in _PACKAGES:  # imported already: bot.lang and bot.match use them
        module = sys.modules.get(name)
        digest.update(f"{name} {getattr(module, '__version__', '-')}\n".encode())
    for setting in settings:
        digest.update(_canonical(setting).encode("utf-8") + b"\n")
    digest.update(f"knowledge base {content}\n".encode())
    return digest.hexdigest()


def _canonical(value: Any) -> str:
    """A text for ``value`` that does not depend on the order of sets (nor on the process)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # Private fields are derived from the public ones (a compiled pattern, a stemmer).
        fields = {
            f.name: getattr(value, f.name)
            for f in dataclasses.fields(value)
            if not f.name.startswith("_")
        }
        kind = type(value)
        return f"{kind.__module__}.{kind.__qualname__}{_canonical(fields)}"
    if isinstance(value, Mapping):
        items = sorted((_canonical(k), _canonical(v)) for k, v in value.items())
        return "{" + ",".join(f"{k}:{v}" for k, v in items) + "}"
    if isinstance(value, set | frozenset):
        return "{" + ",".join(sorted(_canonical(v) for v in value)) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_canonical(v) for v in value) + "]"
    if callable(value):
        return f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', '')}"
    text = repr(value)
    if " at 0x" in text:  # an object's address changes from one process to the next
        return f"{type(value).__module__}.{type(value).__qualname__}"
    return text
