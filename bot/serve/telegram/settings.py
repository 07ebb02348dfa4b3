"""The Telegram bot's settings: command-line options over environment variables.

The token and the webhook secret are secrets: they are read from the
environment or from files, checked for shape, and never shown by
:func:`repr` or in an error message. Every number is checked too (a
``--flood-rate nan`` is an error, not a disabled flood control).
"""

from __future__ import annotations

import argparse
import math
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from urllib.parse import urlsplit

from bot.serve.stores import DEFAULT_STORE, STORE_HELP

__all__ = [
    "BASE_URL_ENV",
    "DATA_DIR_ENV",
    "SECRET_ENV",
    "STORE_ENV",
    "TOKEN_ENV",
    "Settings",
    "SettingsError",
    "parse_settings",
]

TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
BASE_URL_ENV = "TELEGRAM_BASE_URL"
SECRET_ENV = "TELEGRAM_WEBHOOK_SECRET"
DATA_DIR_ENV = "KZBOT_DATA_DIR"
STORE_ENV = "KZBOT_STORE"

#: ``<bot id>:<secret>``, as BotFather hands them out.
_TOKEN = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{20,200}")
#: What Telegram accepts as a webhook secret token, at least 16 characters long.
_SECRET = re.compile(r"[A-Za-z0-9_-]{16,256}")
_HIDDEN = frozenset({"token", "secret_token"})


class SettingsError(ValueError):
    """A setting is missing or malformed; the message is one line and holds no secret."""


@dataclass(frozen=True, slots=True, repr=False)
class Settings:
    """Everything the Telegram adapter needs to run; ``repr`` hides the secrets."""

    token: str
    base_url: str | None = None
    #: Where chat state is kept (see :func:`bot.serve.stores.open_store`).
    store: str = DEFAULT_STORE
    webhook_url: str | None = None
    listen: str = "127.0.0.1"
    port: int = 8443
    secret_token: str | None = None
    #: Register the webhook with Telegram at start (one process of several does).
    set_webhook: bool = True
    #: In polling mode, serve /livez, /readyz and /metrics on this port.
    metrics_port: int | None = None
    #: Start-up retries while the Bot API is unreachable (-1: for ever).
    bootstrap_retries: int = 8
    #: Seconds before the first start-up retry; doubles up to 30 s.
    bootstrap_interval: float = 1.0
    #: Long-polling timeout in seconds.
    poll_timeout: float = 30.0
    #: Retries of a reply that failed before Telegram could have received it.
    send_retries: int = 3
    #: Seconds before the first such retry; doubles each time.
    retry_backoff: float = 0.25
    #: Flood control: a user may send this many messages at once...
    flood_burst: int = 10
    #: ...and then one more every 1/flood_rate seconds.
    flood_rate: float = 1.0
    #: Respect Telegram's limits (30 messages/s overall, 20/min per group, 429 retry_after).
    rate_limit: bool = True
    #: "typing..." for a long message (answered in a thread) still running after this many seconds.
    typing_after: float = 0.3
    #: Updates handled at once (webhook: more get 503, and Telegram sends them again).
    max_in_flight: int = 256
    #: A chat's lock expires after this many seconds unless its turn is still running.
    lock_ttl: float = 5.0
    #: Seconds a webhook update waits for its chat's lock before a 503.
    lock_wait: float = 2.0
    #: Seconds in-flight turns get to finish at SIGTERM.
    shutdown_timeout: float = 8.0
    log_level: str = "INFO"
    #: Log lines as JSON objects (else plain text for a terminal).
    log_json: bool = True
    #: Include message texts in the logs.
    log_text: bool = False
    #: ``run`` the bot, or only ``set-webhook``.
    command: str = "run"
    #: The knowledge base (default: the bundled one, or ``python -m bot --intents DIR``).
    intents: Path | None = None

    def __repr__(self) -> str:
        parts = []
        for item in fields(self):
            value = getattr(self, item.name)
            shown = "'***'" if item.name in _HIDDEN and value else repr(value)
            parts.append(f"{item.name}={shown}")
        return f"Settings({', '.join(parts)})"

    @property
    def webhook(self) -> bool:
        return self.webhook_url is not None

    @property
    def chat_store_dir(self) -> Path | None:
        """The folder of a SQLite store (where the first release kept ``chats/*.json``)."""
        if not self.store.startswith("sqlite:///"):
            return None
        return Path(urlsplit(self.store).path[1:]).parent

    @property
    def url_path(self) -> str:
        """The path the local webhook server listens on: the webhook URL's path."""
        path = urlsplit(self.webhook_url or "").path
        return path if path not in ("", "/") else "/telegram"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot telegram",
        description=(
            f"Run the Telegram bot (token from ${TOKEN_ENV} or --token-file). "
            "`python -m bot telegram set-webhook --webhook-url URL` only registers the webhook."
        ),
    )
    parser.add_argument(
        "command", nargs="?", choices=["run", "set-webhook"], default="run", help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--token-file",
        metavar="PATH",
        help=f"read the token from this file instead of ${TOKEN_ENV}",
    )
    parser.add_argument(
        "--base-url",
        metavar="URL",
        help=f"Bot API server (default: Telegram's; env {BASE_URL_ENV})",
    )
    parser.add_argument(
        "--intents", metavar="DIR", help="knowledge-base directory (default: the bundled one)"
    )
    parser.add_argument(
        "--store",
        metavar="URL",
        help=f"where chat state is kept (env {STORE_ENV}; default {DEFAULT_STORE}): {STORE_HELP}",
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help=f"shorthand for --store sqlite:///DIR/state.db (env {DATA_DIR_ENV})",
    )
    parser.add_argument(
        "--webhook-url", metavar="URL", help="receive updates by webhook at this public https URL"
    )
    parser.add_argument(
        "--listen", default="127.0.0.1", help="webhook server address (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=8443, help="webhook server port (default 8443)")
    parser.add_argument(
        "--secret-file",
        metavar="PATH",
        help=f"read the webhook secret from this file instead of ${SECRET_ENV}",
    )
    parser.add_argument("--secret-token", metavar="SECRET", help=argparse.SUPPRESS)
    parser.add_argument(
        "--no-set-webhook",
        action="store_true",
        help="do not register the webhook (another process, or `set-webhook`, does)",
    )
    parser.add_argument(
        "--metrics-port",
        type=int,
        metavar="PORT",
        help="in polling mode, serve /livez, /readyz and /metrics on this port",
    )
    parser.add_argument(
        "--bootstrap-retries",
        type=int,
        default=8,
        metavar="N",
        help="start-up retries while the Bot API is unreachable (-1: for ever)",
    )
    parser.add_argument(
        "--poll-timeout", type=float, default=30.0, metavar="SECONDS", help="long-polling timeout"
    )
    parser.add_argument(
        "--flood-burst",
        type=int,
        default=10,
        metavar="N",
        help="messages a user may send at once before being slowed down",
    )
    parser.add_argument(
        "--flood-rate",
        type=float,
        default=1.0,
        metavar="PER_SECOND",
        help="sustained messages per second per user",
    )
    parser.add_argument(
        "--max-in-flight",
        type=int,
        default=256,
        metavar="N",
        help="updates handled at once; more get 503 and are sent again by Telegram",
    )
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    parser.add_argument(
        "--log-format", default="json", choices=["json", "text"], help="log lines (default json)"
    )
    parser.add_argument("--log-text", action="store_true", help="include message texts in the logs")
    return parser


def _read_secret_file(option: str, path: str, instead: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(
            f"cannot read {option} {path} ({exc.__class__.__name__}); put it there or set {instead}"
        ) from None


def _read_token(args: argparse.Namespace, environ: Mapping[str, str]) -> str:
    if args.token_file:
        token = _read_secret_file("--token-file", args.token_file, TOKEN_ENV)
        where = f"the token in --token-file {args.token_file} (instead of {TOKEN_ENV})"
    else:
        token = environ.get(TOKEN_ENV, "").strip()
        if not token:
            raise SettingsError(
                f"{TOKEN_ENV} is not set: get a token from @BotFather and export {TOKEN_ENV}=..., "
                "or use --token-file"
            )
        where = TOKEN_ENV
    if not _TOKEN.fullmatch(token):
        raise SettingsError(
            f"{where} does not look like a bot token (expected <digits>:<secret> from @BotFather)"
        )
    return token


def _read_secret(args: argparse.Namespace, environ: Mapping[str, str]) -> str | None:
    if args.secret_file:
        secret: str | None = _read_secret_file("--secret-file", args.secret_file, SECRET_ENV)
    else:
        secret = args.secret_token or environ.get(SECRET_ENV, "").strip() or None
    if secret is not None and not _SECRET.fullmatch(secret):
        raise SettingsError(
            f"the webhook secret ({SECRET_ENV} or --secret-file) must be 16-256 characters "
            "of A-Z, a-z, 0-9, _ and -"
        )
    return secret


def _number(name: str, value: float, low: float, high: float) -> None:
    if not (math.isfinite(value) and low <= value <= high):
        raise SettingsError(f"{name} must be a number from {low:g} to {high:g}, not {value!r}")


def parse_settings(argv: Sequence[str], environ: Mapping[str, str]) -> Settings:
    """Settings from the command line and the environment; :class:`SettingsError` if unusable."""
    args = _parser().parse_args(list(argv))
    token = _read_token(args, environ)
    base_url = args.base_url or environ.get(BASE_URL_ENV) or None
    if base_url is not None and urlsplit(base_url).scheme not in ("http", "https"):
        raise SettingsError(f"--base-url / {BASE_URL_ENV} must be an http(s) URL")
    webhook_url = args.webhook_url or None
    if webhook_url is not None:
        parts = urlsplit(webhook_url)
        if parts.scheme != "https" or not parts.hostname:
            raise SettingsError("--webhook-url must be an https:// URL (Telegram calls only https)")
    if args.command == "set-webhook" and webhook_url is None:
        raise SettingsError("set-webhook needs --webhook-url")
    secret = _read_secret(args, environ)
    registers = not args.no_set_webhook
    if webhook_url is not None and secret is None:
        if not registers or args.command == "set-webhook":
            raise SettingsError(
                f"several webhook workers need one shared secret: set {SECRET_ENV} or --secret-file"
            )
        secret = secrets.token_urlsafe(32)  # one process registering its own webhook
    _number("--port", args.port, 1, 65535)
    if args.metrics_port is not None:
        _number("--metrics-port", args.metrics_port, 1, 65535)
    _number("--flood-burst", args.flood_burst, 1, 10_000)
    _number("--flood-rate", args.flood_rate, 0.001, 10_000)
    _number("--poll-timeout", args.poll_timeout, 0, 600)
    _number("--bootstrap-retries", args.bootstrap_retries, -1, 1_000_000)
    _number("--max-in-flight", args.max_in_flight, 1, 100_000)
    if args.store and args.data_dir:
        raise SettingsError("use --store or --data-dir, not both")
    if args.data_dir or (not args.store and environ.get(DATA_DIR_ENV)):
        store = f"sqlite:///{Path(args.data_dir or environ[DATA_DIR_ENV]) / 'state.db'}"
    else:
        store = args.store or environ.get(STORE_ENV) or DEFAULT_STORE
    return Settings(
        token=token,
        base_url=base_url,
        store=store,
        webhook_url=webhook_url,
        listen=args.listen,
        port=args.port,
        secret_token=secret,
        set_webhook=registers,
        metrics_port=args.metrics_port,
        bootstrap_retries=args.bootstrap_retries,
        poll_timeout=args.poll_timeout,
        flood_burst=args.flood_burst,
        flood_rate=args.flood_rate,
        max_in_flight=args.max_in_flight,
        log_level=args.log_level,
        log_json=args.log_format == "json",
        log_text=args.log_text,
        command=args.command,
        intents=Path(args.intents) if args.intents else None,
    )
