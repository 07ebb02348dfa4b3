"""Reading the knowledge-base folder: every file once, safely, into memory.

A folder edited by hand may hold anything: a FIFO or a device named
``*.yaml`` (opening one blocks, reading one never ends), a symbolic link to
``/dev/zero`` or out of the folder, a file of gigabytes. :func:`read_folder`
looks before it opens: only regular files inside the folder, each under its
size cap, are read, and only once; everything else is refused with a reason
and never opened. The loader then works on those bytes alone, so what it
checks is what it serves, and a reload can compare two readings.

>>> snapshot = read_folder(Path("intents"))
>>> sorted(snapshot.files)[:2]
['economy.yaml', 'education.yaml']
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "LEXICON_FILE",
    "MAX_FILES",
    "MAX_SOURCE_BYTES",
    "MAX_TOTAL_BYTES",
    "MAX_YAML_BYTES",
    "SOURCE_FILE",
    "FileRefused",
    "FolderError",
    "Snapshot",
    "knowledge_base_names",
    "read_file",
    "read_folder",
]

LEXICON_FILE = "lexicon.yaml"
SOURCE_FILE = "source.txt"
#: One YAML file of the knowledge base (the bundled ones are under 25 kB).
MAX_YAML_BYTES = 2_000_000
#: The source document (the bundled one is 3.4 kB; a long report is a few hundred).
MAX_SOURCE_BYTES = 4_000_000
#: All the files together (a synthetic base of 50,000 intents in two languages is about 65 MB).
MAX_TOTAL_BYTES = 100_000_000
#: ``*.yaml`` files in one folder.
MAX_FILES = 100

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class FileRefused(Exception):
    """A file that is not read; the message says why, in a curator's words."""


class FolderError(Exception):
    """The folder itself cannot be read as a knowledge base."""


@dataclass(frozen=True)
class Snapshot:
    """The knowledge base's files as read at one moment.

    ``files`` maps each file's name to its bytes; ``refused`` maps the name of
    each file that was not read to the reason. ``digest`` tells two readings
    apart: equal digests, equal files.
    """

    directory: Path
    files: Mapping[str, bytes]
    refused: Mapping[str, str] = field(default_factory=dict)
    digest: str = ""

    @property
    def version(self) -> str:
        """A short form of the digest: which version of the knowledge base this is."""
        return self.digest[:12]


def knowledge_base_names(directory: Path) -> list[str]:
    """The names of the knowledge base's files in ``directory``, sorted: every ``*.yaml``
    and ``source.txt``. Hidden files are not part of it (an editor's ``.#economy.yaml``
    lock is a dangling link), and nothing here is opened."""
    names = (entry.name for entry in os.scandir(directory))
    return sorted(
        name
        for name in names
        if not name.startswith(".") and (name.endswith(".yaml") or name == SOURCE_FILE)
    )


def read_folder(directory: Path) -> Snapshot:
    """Read every file of the knowledge base in ``directory``; see the module's docstring.

    Raises :class:`FolderError` when the folder cannot be listed or holds more
    than :data:`MAX_FILES` YAML files.
    """
    try:
        if not directory.is_dir():
            raise FolderError("not a directory")
        inside = directory.resolve()
        names = knowledge_base_names(directory)
    except OSError as exc:
        raise FolderError(f"cannot be read: {exc.strerror}") from None
    if sum(name.endswith(".yaml") for name in names) > MAX_FILES:
        raise FolderError(f"more than {MAX_FILES} *.yaml files")
    files: dict[str, bytes] = {}
    refused: dict[str, str] = {}
    total = 0
    for name in names:
        limit = MAX_SOURCE_BYTES if name == SOURCE_FILE else MAX_YAML_BYTES
        try:
            data = read_file(directory / name, limit, inside=inside)
        except FileRefused as exc:
            refused[name] = str(exc)
            continue
        if total + len(data) > MAX_TOTAL_BYTES:
            refused[name] = f"takes the knowledge base over {MAX_TOTAL_BYTES:,} bytes in all"
            continue
        files[name] = data
        total += len(data)
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode() + b"\0")
        if name in files:
            digest.update(b"+%d\0" % len(files[name]) + files[name])
        else:
            digest.update(b"-" + refused[name].encode() + b"\0")
    return Snapshot(directory, files, refused, digest.hexdigest())


def read_file(path: Path, limit: int, *, inside: Path | None = None) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    Raises :class:`FileRefused` for anything else, without opening it: a
    folder, a FIFO, a device, a socket, a dangling link, a file over the
    limit, and with ``inside`` (a resolved folder) a symbolic link that leads
    out of it. The file is opened without blocking and checked again once
    open, so a file swapped for a FIFO in between is refused too.
    """
    try:
        target = path
        if path.is_symlink():
            target = Path(os.path.realpath(path))
            if inside is not None and not target.is_relative_to(inside):
                raise FileRefused("is a symbolic link to a file outside the knowledge-base folder")
        info = os.stat(target)
    except FileNotFoundError:
        raise FileRefused(
            "is a symbolic link to nothing" if path.is_symlink() else "does not exist"
        ) from None
    except OSError as exc:
        raise FileRefused(f"cannot be read: {exc.strerror}") from None
    _check_regular(info, limit)
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOCTTY", 0)
    flags |= getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        handle = os.open(target, flags)
    except OSError as exc:
        raise FileRefused(f"cannot be read: {exc.strerror}") from None
    try:
        _check_regular(os.fstat(handle), limit)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(handle, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise FileRefused(f"cannot be read: {exc.strerror}") from None
    finally:
        os.close(handle)
    if size > limit:  # it grew after the check
        raise FileRefused(f"is larger than {limit:,} bytes")
    return b"".join(chunks)


def _check_regular(info: os.stat_result, limit: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _KINDS if test(info.st_mode)), "a special file")
        raise FileRefused(f"is {kind}, not a regular file")
    if info.st_size > limit:
        raise FileRefused(f"is larger than {limit:,} bytes")
