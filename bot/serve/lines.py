"""Reading lines of text from a pipe, whatever arrives (the console and ``ask``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from bot.lang import MAX_INPUT_CHARS

__all__ = ["read_lines"]


def read_lines(stream: BinaryIO) -> Iterator[str]:
    """Lines of a byte stream, decoded leniently and cut to a safe length."""
    while True:
        raw = stream.readline(MAX_INPUT_CHARS * 4)
        if not raw:
            return
        if not raw.endswith(b"\n"):
            # An over-long line: keep its start, skip the rest of it.
            while True:
                rest = stream.readline(1 << 16)
                if not rest or rest.endswith(b"\n"):
                    break
        yield raw.decode("utf-8", errors="replace").rstrip("\r\n")
