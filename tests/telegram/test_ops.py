"""End to end: start-up, webhook secret, faults at the Bot API, secrets kept out of logs."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from fakeserver import Call, FakeBotApi
from tgsupport import SECRET, TOKEN, Starter, settings_for, settle, shown

from bot import Answer, Engine, Session

TRADE_EN = "What was the trade volume in 2016?"
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_the_webhook_checks_before_reading_and_answers_after_committing(
    api: FakeBotApi, start_bot: Starter, engine: Engine
) -> None:
    port = free_port()
    public = "https://bot.example.org/kzbot/hook"
    await start_bot(webhook_url=public, port=port, secret_token=SECRET)
    assert api.webhook is not None
    assert api.webhook["url"] == public and api.webhook["secret_token"] == SECRET
    assert api.webhook["allowed_updates"] == [
        "message",
        "callback_query",
        "inline_query",
        "my_chat_member",
    ]
    url = f"http://127.0.0.1:{port}/kzbot/hook"
    right = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

    async with aiohttp.ClientSession() as http:

        async def post(body: object, headers: dict[str, str], raw: bytes | None = None) -> int:
            data = io.BytesIO(raw if raw is not None else json.dumps(body).encode())
            headers = {"Content-Type": "application/json", **headers}
            async with http.post(url, data=data, headers=headers) as response:
                return response.status

        first = api.message(131, "/help")
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            assert await post(api.update(first), headers) == 403
        answered = api.message(131, TRADE_EN)
        assert await post(api.update(answered), right) == 200
        # 200 came after the reply was sent, not before.
        assert api.texts(131) == [shown(Session(engine, {"lang": "en"}).ask(TRADE_EN))]
        assert await post(api.update(answered), right) == 200  # a duplicate: not answered again
        charset = {**right, "Content-Type": "application/json; charset=utf-8"}
        assert await post(api.update(api.message(131, "hello")), charset) == 200
        assert await post(None, right, raw=b"{not json") == 400
        assert await post({"no": "update_id"}, right) == 400
        assert await post(None, {**right, "Content-Type": "text/plain"}, raw=b"{}") == 415
        huge = json.dumps(api.update(api.message(131, "x" * (2 << 20)))).encode()
        assert await post(None, right, raw=huge) == 413  # refused by its Content-Length
        async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
            assert response.status == 200
        async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
            metrics = await response.text()
        assert 'kzbot_updates_total{channel="telegram",outcome="answered"} 2.0' in metrics
        assert 'kzbot_updates_total{channel="telegram",outcome="duplicate"} 1.0' in metrics
    await settle()
    assert len(api.sent(131)) == 2, "nothing but the two good updates was answered"
    assert not api.sent(method="getUpdates")


async def test_the_token_never_reaches_the_logs(
    api: FakeBotApi, start_bot: Starter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api.fail("getUpdates", "502")
    api.fail("sendMessage", "502")
    await start_bot(secret_token="hidden-webhook-secret")
    api.message(141, TRADE_EN)
    await api.wait_sent(141, 1)
    await settle(1.2)
    secret_part = TOKEN.split(":", 1)[1]
    assert caplog.records, "expected some logging at DEBUG"
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        assert secret_part not in text and "hidden-webhook-secret" not in text
    assert secret_part not in caplog.text
    assert "***" in caplog.text  # PTB logs its base URL at DEBUG: redacted
    settings = settings_for(api, Path("data"), secret_token="hidden-webhook-secret")
    assert secret_part not in repr(settings) and "hidden-webhook-secret" not in repr(settings)
    assert secret_part not in str(settings)


@pytest.mark.parametrize(
    ("env", "args"),
    [
        ({}, []),
        ({"TELEGRAM_BOT_TOKEN": "not-a-token"}, []),
        ({"TELEGRAM_BOT_TOKEN": "12345:short"}, []),
        ({}, ["--", "--token-file", "/nonexistent/token"]),
    ],
)
def test_a_missing_or_malformed_token_is_a_one_line_error(
    env: dict[str, str], args: list[str]
) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "telegram", *args],
        env={**clean, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "TELEGRAM_BOT_TOKEN" in lines[0]
    assert "Traceback" not in result.stderr
    for value in env.values():
        assert value not in result.stderr


def test_main_reports_an_unreadable_token_file_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.serve.telegram import main

    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert main(["--token-file", str(tmp_path / "missing")]) == 2
    (tmp_path / "bad").write_text("12:not-a-token")
    assert main(["--token-file", str(tmp_path / "bad")]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2 and all("TELEGRAM_BOT_TOKEN" in line for line in lines)
    assert "not-a-token" not in lines[1]


def test_importing_bot_does_not_import_telegram() -> None:
    code = "import sys, bot, bot.cli; sys.exit('telegram' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=60).returncode == 0


async def test_polling_recovers_from_502_and_dropped_connections(
    api: FakeBotApi, start_bot: Starter, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    await start_bot()
    api.fail("getUpdates", "502", "drop")
    api.message(151, TRADE_EN)
    api.message(152, TRADE_EN)
    assert await api.wait_sent(151, 1, timeout=15) == [
        shown(Session(engine, {"lang": "en"}).ask(TRADE_EN))
    ]
    await api.wait_sent(152, 1)

    def failed() -> list[Call]:
        return [c for c in api.calls if c.method == "getUpdates" and not c.ok]

    await api.wait_for(lambda: len(failed()) == 2, timeout=15)
    api.message(151, "hello")  # and polling goes on after both faults
    await api.wait_sent(151, 2, timeout=15)
    await settle()
    assert len(api.sent(151)) == 2 and len(api.sent(152)) == 1
    assert any("fetching updates failed" in r.getMessage() for r in caplog.records)


async def test_a_reply_failing_with_502_is_retried_once_delivered(
    api: FakeBotApi, start_bot: Starter, engine: Engine
) -> None:
    await start_bot()
    api.fail("sendMessage", "502", "502")
    api.message(161, TRADE_EN)
    assert await api.wait_sent(161, 1) == [shown(Session(engine, {"lang": "en"}).ask(TRADE_EN))]
    await settle()
    attempts = [
        c for c in api.calls if c.method == "sendMessage" and c.params.get("chat_id") == 161
    ]
    assert [c.status for c in attempts] == [502, 502, 200]


async def test_a_reply_failing_too_often_is_given_up_and_logged(
    api: FakeBotApi, start_bot: Starter, caplog: pytest.LogCaptureFixture
) -> None:
    await start_bot()
    api.fail("sendMessage", "502", "502", "502", "502")
    api.message(162, TRADE_EN)
    await api.wait_for(
        lambda: any("failed after its turn was saved" in r.getMessage() for r in caplog.records)
    )
    await settle()
    attempts = [
        c for c in api.calls if c.method == "sendMessage" and c.params.get("chat_id") == 162
    ]
    assert [c.status for c in attempts] == [502, 502, 502, 502]


async def test_429_retry_after_is_honoured(
    api: FakeBotApi, start_bot: Starter, engine: Engine
) -> None:
    await start_bot()
    api.fail("sendMessage", "429")
    api.message(171, TRADE_EN)
    started = time.monotonic()
    assert await api.wait_sent(171, 1) == [shown(Session(engine, {"lang": "en"}).ask(TRADE_EN))]
    assert time.monotonic() - started >= 1.0
    await settle()
    attempts = [
        c for c in api.calls if c.method == "sendMessage" and c.params.get("chat_id") == 171
    ]
    assert [c.status for c in attempts] == [429, 200]


async def test_start_up_survives_a_bot_api_outage(
    api: FakeBotApi, start_bot: Starter, engine: Engine
) -> None:
    api.fail("getMe", "502", "drop", "502")
    await start_bot()
    api.message(181, "/help")
    assert await api.wait_sent(181, 1) == [shown(Session(engine, {"lang": "en"}).ask("/help"))]
    assert [c.status for c in api.calls if c.method == "getMe"][:4] == [502, 0, 502, 200]


async def test_the_base_url_carries_the_token(api: FakeBotApi, start_bot: Starter) -> None:
    """The fake server answers 401 unless the request path is /bot<token>/<method>."""
    await start_bot()
    assert api.calls and all(c.ok or c.status == 0 or c.method != "getMe" for c in api.calls)
    assert any(c.method == "getMe" and c.ok for c in api.calls)


async def test_an_unexpected_error_is_logged_and_the_user_told(
    api: FakeBotApi,
    start_bot: Starter,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from bot.dialogue.session import Session
    from bot.serve.telegram.app import FAILED

    def broken(self: Session, text: str) -> Answer:
        raise RuntimeError("engine bug")

    monkeypatch.setattr(Session, "ask", broken)
    await start_bot()
    api.message(191, "anything", language_code="tr")
    assert await api.wait_sent(191, 1) == [engine.gettext(FAILED, "tr")]
    assert engine.gettext(FAILED, "tr") != FAILED
    assert any("engine bug" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)


async def test_the_command_line_bot_answers_and_stops_on_sigterm(
    api: FakeBotApi, tmp_path: Path
) -> None:
    """`python -m bot telegram` for real: env settings, an answer, SIGTERM, exit 0, no token in its logs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=api.base_url, KZBOT_DATA_DIR=str(tmp_path / "d")
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "telegram", "--", "--poll-timeout", "1", "--log-level", "DEBUG",
        env=env, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        api.message(201, "/start", language_code="tr")
        texts = await api.wait_sent(201, 1, timeout=30)
        assert texts[0].startswith("Merhaba!")
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    log = stderr.decode()
    assert process.returncode == 0, log
    assert "running (polling)" in log and "stopping" in log
    assert TOKEN.split(":", 1)[1] not in log
    assert (tmp_path / "d" / "state.db").exists()
    lines = [json.loads(line) for line in log.splitlines() if line.strip()]  # JSON lines only
    answered = [line for line in lines if line.get("outcome") == "answered"]
    assert answered and answered[0]["chat"] == 201 and "latency_ms" in answered[0]
    assert "text" not in answered[0]  # no message text unless --log-text


async def test_one_server_carries_the_webhook_the_api_and_the_page(
    api: FakeBotApi, tmp_path: Path, engine: Engine
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=api.base_url, TELEGRAM_WEBHOOK_SECRET=SECRET
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", "--port", str(port), "--store", "memory:",
        "--telegram-webhook-url", "https://bot.example.org/telegram", "--log-level", "WARNING",
        env=env, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(600):
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"{base}/readyz") as response:
                        if response.status == 200:
                            break
                await asyncio.sleep(0.05)
            assert api.webhook is not None and api.webhook["secret_token"] == SECRET
            update = api.update(api.message(501, TRADE_EN))
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            async with http.post(f"{base}/telegram", json=update, headers=headers) as response:
                assert response.status == 200
            assert api.texts(501) == [shown(Session(engine, {"lang": "en"}).ask(TRADE_EN))]
            async with http.post(f"{base}/v1/ask", json={"question": TRADE_EN}) as response:
                assert (await response.json())["intent"] == "trade.volume"
            async with http.get(f"{base}/") as response:
                assert response.status == 200
            async with http.get(f"{base}/metrics") as response:
                metrics = await response.text()
            assert 'channel="telegram",outcome="answered"' in metrics
            assert 'channel="http",outcome="answered"' in metrics
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0, stderr.decode()
