"""The Telegram bot's settings: command-line options over environment variables.

The token is a secret: it is read from ``TELEGRAM_BOT_TOKEN`` (or a file), checked
for shape, and never shown by :func:`repr` or in an error message.
"""

from __future__ import annotations

import argparse
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from urllib.parse import urlsplit

__all__ = [
    "BASE_URL_ENV",
    "DATA_DIR_ENV",
    "SECRET_ENV",
    "TOKEN_ENV",
    "Settings",
    "SettingsError",
    "parse_settings",
]

TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
BASE_URL_ENV = "TELEGRAM_BASE_URL"
SECRET_ENV = "TELEGRAM_WEBHOOK_SECRET"
DATA_DIR_ENV = "KZBOT_DATA_DIR"

#: ``<bot id>:<secret>``, as BotFather hands them out.
_TOKEN = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{20,200}")
#: What Telegram accepts as a webhook secret token.
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_HIDDEN = frozenset({"token", "secret_token"})


class SettingsError(ValueError):
    """A setting is missing or malformed; the message is one line and holds no secret."""


@dataclass(frozen=True, slots=True, repr=False)
class Settings:
    """Everything the Telegram adapter needs to run; ``repr`` hides the secrets."""

    token: str
    base_url: str | None = None
    data_dir: Path = Path("data")
    webhook_url: str | None = None
    listen: str = "127.0.0.1"
    port: int = 8443
    secret_token: str | None = None
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
    log_level: str = "INFO"

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
    def url_path(self) -> str:
        """The path the local webhook server listens on: the webhook URL's path."""
        path = urlsplit(self.webhook_url or "").path
        return path if path not in ("", "/") else "/telegram"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot telegram",
        description=f"Run the Telegram bot. The token comes from ${TOKEN_ENV} or --token-file.",
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
        "--data-dir",
        metavar="DIR",
        help=f"where chat state is kept (env {DATA_DIR_ENV}; default ./data)",
    )
    parser.add_argument(
        "--webhook-url", metavar="URL", help="receive updates by webhook at this public https URL"
    )
    parser.add_argument(
        "--listen", default="127.0.0.1", help="webhook server address (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=8443, help="webhook server port (default 8443)")
    parser.add_argument(
        "--secret-token",
        metavar="SECRET",
        help=f"webhook secret token (env {SECRET_ENV}; default: a random one per start)",
    )
    parser.add_argument(
        "--bootstrap-retries",
        type=int,
        default=8,
        metavar="N",
        help="start-up retries while the Bot API is unreachable (-1: for ever)",
    )
    parser.add_argument(
        "--poll-timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="long-polling timeout (default 30)",
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
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    return parser


def _read_token(args: argparse.Namespace, environ: Mapping[str, str]) -> str:
    if args.token_file:
        try:
            token = Path(args.token_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(
                f"cannot read --token-file {args.token_file} ({exc.__class__.__name__}); "
                f"put the token there or set {TOKEN_ENV}"
            ) from None
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


def parse_settings(argv: Sequence[str], environ: Mapping[str, str]) -> Settings:
    """Settings from the command line and the environment; :class:`SettingsError` if unusable."""
    args = _parser().parse_args(list(argv))
    token = _read_token(args, environ)
    base_url = args.base_url or environ.get(BASE_URL_ENV) or None
    if base_url is not None and urlsplit(base_url).scheme not in ("http", "https"):
        raise SettingsError(f"--base-url / {BASE_URL_ENV} must be an http(s) URL")
    webhook_url = args.webhook_url or None
    if webhook_url is not None and urlsplit(webhook_url).scheme not in ("http", "https"):
        raise SettingsError("--webhook-url must be an https URL")
    secret = args.secret_token or environ.get(SECRET_ENV) or None
    if secret is not None and not _SECRET.fullmatch(secret):
        raise SettingsError(
            f"--secret-token / {SECRET_ENV} must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
        )
    if webhook_url is not None and secret is None:
        secret = secrets.token_urlsafe(32)
    if not 0 < args.port < 65536:
        raise SettingsError("--port must be between 1 and 65535")
    if args.flood_burst < 1 or args.flood_rate <= 0:
        raise SettingsError("--flood-burst must be at least 1 and --flood-rate above 0")
    data_dir = Path(args.data_dir or environ.get(DATA_DIR_ENV) or "data")
    return Settings(
        token=token,
        base_url=base_url,
        data_dir=data_dir,
        webhook_url=webhook_url,
        listen=args.listen,
        port=args.port,
        secret_token=secret,
        bootstrap_retries=args.bootstrap_retries,
        poll_timeout=args.poll_timeout,
        flood_burst=args.flood_burst,
        flood_rate=args.flood_rate,
        log_level=args.log_level,
    )
