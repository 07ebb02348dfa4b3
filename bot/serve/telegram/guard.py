"""Small safeguards: secret redaction in logs, message splitting."""

from __future__ import annotations

import logging
import threading
from typing import Any

__all__ = ["install_redaction", "redact", "split_text"]

#: Telegram's limit for one message's text.
MAX_MESSAGE = 4096

# -- secrets out of logs ------------------------------------------------------

_SECRETS: set[str] = set()
_INSTALLED = False
_INSTALL_LOCK = threading.Lock()


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``***``."""
    for secret in _SECRETS:
        if secret in text:
            text = text.replace(secret, "***")
    return text


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a malformed log call: leave it to logging to report
        return
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


class RedactingFilter(logging.Filter):
    """A logging filter that removes the registered secrets from a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


def install_redaction(*secrets: str | None) -> None:
    """Keep these secrets out of every log record, whichever handler it reaches.

    The redaction happens when a record is made (a log-record factory), so it
    covers handlers added later too (pytest's caplog, a syslog handler...).
    The noisy HTTP client loggers, which log request URLs (holding the token),
    are also turned down to warnings.
    """
    global _INSTALLED
    _SECRETS.update(s for s in secrets if s)
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    with _INSTALL_LOCK:
        if _INSTALLED:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            if _SECRETS:
                _redact_record(record)
            return record

        logging.setLogRecordFactory(factory)
        _INSTALLED = True


# -- long replies -----------------------------------------------------------------


def _units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Cut ``text`` into messages of at most ``limit`` UTF-16 units, at line or word breaks."""
    if _units(text) <= limit:
        return [text]
    parts: list[str] = []
    rest = text
    while _units(rest) > limit:
        # The longest prefix that fits, measured in code points first (cheap), then exactly.
        cut = min(len(rest), limit)
        while _units(rest[:cut]) > limit:
            cut -= max(1, (_units(rest[:cut]) - limit) // 2)
        head = rest[:cut]
        for separator in ("\n\n", "\n", " "):
            at = head.rfind(separator)
            if at > limit // 2:
                cut = at + len(separator)
                break
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n")
    if rest.strip():
        parts.append(rest)
    return [p for p in parts if p]
