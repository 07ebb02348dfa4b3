"""The adapter's small parts: settings, state store, flood gate, message splitting."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram.error import BadRequest, NetworkError, TimedOut
from tgsupport import TOKEN

from bot.serve.telegram import JsonFileStore, MemoryStore, Settings, SettingsError, parse_settings
from bot.serve.telegram.app import safe_to_retry
from bot.serve.telegram.guard import FloodGate, install_redaction, split_text


def test_settings_from_env_and_arguments(tmp_path: Path) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": "http://127.0.0.1:9/bot",
        "KZBOT_DATA_DIR": "/srv/x",
    }
    settings = parse_settings([], env)
    assert settings.token == TOKEN and settings.base_url == "http://127.0.0.1:9/bot"
    assert settings.data_dir == Path("/srv/x") and not settings.webhook
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    settings = parse_settings(
        ["--token-file", str(token_file), "--base-url", "http://other/bot", "--data-dir", "d",
         "--webhook-url", "https://example.org/tg/hook", "--port", "8444"],
        {"TELEGRAM_WEBHOOK_SECRET": "abc_DEF-1"},
    )  # fmt: skip
    assert settings.token == TOKEN and settings.base_url == "http://other/bot"
    assert settings.webhook and settings.url_path == "/tg/hook" and settings.port == 8444
    assert settings.secret_token == "abc_DEF-1"
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
        (
            ["--secret-token", "bad secret!"],
            {"TELEGRAM_BOT_TOKEN": TOKEN},
            "TELEGRAM_WEBHOOK_SECRET",
        ),
        (["--base-url", "ftp://x"], {"TELEGRAM_BOT_TOKEN": TOKEN}, "TELEGRAM_BASE_URL"),
    ],
)
def test_bad_settings_are_one_line_errors(
    argv: list[str], env: dict[str, str], needle: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings(argv, env)
    message = str(caught.value)
    assert needle in message and "\n" not in message
    assert all(value not in message for value in env.values())


def test_file_store_round_trip_is_atomic_and_private(tmp_path: Path) -> None:
    store = JsonFileStore(tmp_path)
    assert store.load(5) is None
    store.save(5, {"lang": "tr", "choices": ["a"]})
    store.save(-100123, {"lang": "en"})
    assert store.load(5) == {"lang": "tr", "choices": ["a"]}
    assert store.load(-100123) == {"lang": "en"}
    for path in (store.path(5), store.path(-100123)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in store.directory.iterdir()) == ["-100123.json", "5.json"]
    assert json.loads(store.path(5).read_text()) == {"choices": ["a"], "lang": "tr"}


def test_file_store_sets_corrupt_files_aside(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = JsonFileStore(tmp_path)
    store.path(7).write_text("{not json")
    with caplog.at_level(logging.WARNING):
        assert store.load(7) is None
    assert store.path(7).with_name("7.json.corrupt").exists() and not store.path(7).exists()
    assert "corrupt" in caplog.text
    store.path(8).write_bytes(b"x" * 70_000)
    assert store.load(8) is None


def test_memory_store() -> None:
    store = MemoryStore()
    store.save(1, {"lang": "tr"})
    assert store.load(1) == {"lang": "tr"} and store.load(2) is None


def test_flood_gate() -> None:
    now = [0.0]
    gate = FloodGate(burst=3, rate=1.0, clock=lambda: now[0])
    assert [gate.check(1) for _ in range(6)] == ["ok", "ok", "ok", "warn", "drop", "drop"]
    assert gate.check(2) == "ok"  # other users are not affected
    now[0] = 1.0
    assert gate.check(1) == "ok"
    assert gate.check(1) == "warn"  # one notice per flood


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
