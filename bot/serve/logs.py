"""Logs as JSON lines, one object per record, for the servers.

Fields: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, and
whatever a call passes in ``extra=`` among :data:`FIELDS` (update id, chat
id, latency, outcome, knowledge-base version...). Message text is never
logged by the servers unless asked for (``--log-text``).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

__all__ = ["FIELDS", "JsonFormatter", "setup"]

#: The ``extra=`` keys copied into a line when present.
FIELDS = (
    "update",
    "chat",
    "user",
    "outcome",
    "latency_ms",
    "kb",
    "intent",
    "kind",
    "text",
    "channel",
    "status",
    "path",
)


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def setup(level: str = "INFO", *, json_lines: bool = True) -> None:
    """Log to stderr at ``level``, as JSON lines (or plain text for a person at a terminal)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if json_lines
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for noisy in ("httpx", "httpcore", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
