"""The adapter's small parts: settings, message splitting, retries, redaction."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram.error import BadRequest, NetworkError, TimedOut
from tgsupport import TOKEN

from bot.serve.telegram import Settings, SettingsError, parse_settings
from bot.serve.telegram.app import safe_to_retry
from bot.serve.telegram.guard import install_redaction, split_text


def test_settings_from_env_and_arguments(tmp_path: Path) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": "http://127.0.0.1:9/bot",
        "KZBOT_DATA_DIR": "/srv/x",
    }
    settings = parse_settings([], env)
    assert settings.token == TOKEN and settings.base_url == "http://127.0.0.1:9/bot"
    assert settings.store == "sqlite:////srv/x/state.db" and not settings.webhook
    assert parse_settings([], {"TELEGRAM_BOT_TOKEN": TOKEN}).store == "sqlite:///data/state.db"
    assert (
        parse_settings([], {"TELEGRAM_BOT_TOKEN": TOKEN, "KZBOT_STORE": "redis://r:6379/1"}).store
        == "redis://r:6379/1"
    )
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    secret_file = tmp_path / "secret"
    secret_file.write_text("abc_DEF-1-abc_DEF-1\n")
    settings = parse_settings(
        ["--token-file", str(token_file), "--base-url", "http://other/bot", "--data-dir", "d",
         "--webhook-url", "https://example.org/tg/hook", "--port", "8444",
         "--secret-file", str(secret_file), "--no-set-webhook", "--intents", "kb"],
        {},
    )  # fmt: skip
    assert settings.token == TOKEN and settings.base_url == "http://other/bot"
    assert settings.webhook and settings.url_path == "/tg/hook" and settings.port == 8444
    assert settings.secret_token == "abc_DEF-1-abc_DEF-1" and not settings.set_webhook
    assert settings.store == "sqlite:///d/state.db" and settings.intents == Path("kb")
    generated = parse_settings(
        ["--webhook-url", "https://example.org/"], {"TELEGRAM_BOT_TOKEN": TOKEN}
    )
    assert generated.secret_token and generated.url_path == "/telegram"
    text = repr(generated)
    assert (
        TOKEN not in text and TOKEN.split(":")[1] not in text and generated.secret_token not in text
    )


@pytest.mark.parametrize(
    ("argv", "env", "needle"),
    [
        ([], {}, "TELEGRAM_BOT_TOKEN is not set"),
        ([], {"TELEGRAM_BOT_TOKEN": "nonsense"}, "TELEGRAM_BOT_TOKEN does not look like"),
        (["--secret-token", "bad secret!"], {}, "TELEGRAM_WEBHOOK_SECRET"),
        ([], {"TELEGRAM_WEBHOOK_SECRET": "short"}, "16-256 characters"),
        (["--base-url", "ftp://x"], {}, "TELEGRAM_BASE_URL"),
        (["--webhook-url", "http://example.org/hook"], {}, "https://"),
        (["--webhook-url", "https://example.org/", "--no-set-webhook"], {}, "shared secret"),
        (["set-webhook"], {}, "needs --webhook-url"),
        (["--flood-rate", "nan"], {}, "--flood-rate"),
        (["--flood-rate", "inf"], {}, "--flood-rate"),
        (["--flood-burst", "0"], {}, "--flood-burst"),
        (["--port", "70000"], {}, "--port"),
        (["--max-in-flight", "0"], {}, "--max-in-flight"),
        (["--poll-timeout", "-1"], {}, "--poll-timeout"),
        (["--store", "memory:", "--data-dir", "d"], {}, "not both"),
    ],
)
def test_bad_settings_are_one_line_errors(
    argv: list[str], env: dict[str, str], needle: str
) -> None:
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, **env} if "TELEGRAM_BOT_TOKEN" not in str(needle) else env
    with pytest.raises(SettingsError) as caught:
        parse_settings(argv, env)
    message = str(caught.value)
    assert needle in message and "\n" not in message
    assert all(value not in message for value in env.values())


@given(
    st.text(alphabet=st.sampled_from("ab \n😀ş"), max_size=12000),
    st.integers(min_value=10, max_value=4096),
)
def test_split_text_keeps_every_part_under_the_limit(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(len(p.encode("utf-16-le")) // 2 <= limit for p in parts)
    assert "".join(parts).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(
        " ", ""
    )


def test_split_text_prefers_line_breaks() -> None:
    text = "\n".join(f"line {n:04d} " + "x" * 80 for n in range(100))
    parts = split_text(text, 4096)
    assert len(parts) == 3 and all(p.startswith("line ") for p in parts)
    assert split_text("short") == ["short"]


def test_only_unsent_requests_are_retried() -> None:
    request = httpx.Request("POST", "http://x")

    def caused(exc: NetworkError, cause: Exception) -> NetworkError:
        exc.__cause__ = cause
        return exc

    assert safe_to_retry(NetworkError("Bad Gateway"))
    assert safe_to_retry(
        caused(NetworkError("httpx.ConnectError"), httpx.ConnectError("refused", request=request))
    )
    assert safe_to_retry(caused(TimedOut(), httpx.ConnectTimeout("slow", request=request)))
    assert safe_to_retry(caused(TimedOut(), httpx.PoolTimeout("busy", request=request)))
    assert not safe_to_retry(caused(TimedOut(), httpx.ReadTimeout("maybe sent", request=request)))
    dropped = httpx.RemoteProtocolError("Server disconnected", request=request)
    assert not safe_to_retry(caused(NetworkError("httpx.RemoteProtocolError"), dropped))
    assert not safe_to_retry(BadRequest("Bad Gateway"))


def test_redaction_covers_late_handlers(caplog: pytest.LogCaptureFixture) -> None:
    install_redaction("sekrit-value-123")
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("some.lib").info("url https://api/bot%s/getMe", "sekrit-value-123")
        try:
            raise RuntimeError("boom sekrit-value-123")
        except RuntimeError:
            logging.getLogger("some.lib").exception("failed")
    assert "sekrit-value-123" not in caplog.text and "***" in caplog.text


def test_settings_repr_hides_token() -> None:
    settings = Settings(token=TOKEN, secret_token="abc")
    assert "***" in repr(settings) and TOKEN not in repr(settings) and "'abc'" not in repr(settings)
