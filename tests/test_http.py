"""The HTTP API through a real server on 127.0.0.1: every endpoint, every error, concurrency."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from httpserver import ROOT, serving

from bot import Engine, Session
from bot.serve.http.openapi import openapi

SPEC = openapi()
TRADE_EN = "What was the trade volume in 2016?"
TRADE_TR = "2016'da Türkiye ile Kazakistan arasındaki ticaret hacmi ne kadardı?"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("http") / "server.log"
    with serving(
        "--store", "memory:", "--ip-burst", "1000", "--ip-rate", "1000",
        "--conversation-burst", "5", "--conversation-rate", "2", log=log,
    ) as url:  # fmt: skip
        yield url


def conforms(data: Any, schema_name: str) -> None:
    """``data`` is valid against the OpenAPI document's schema ``schema_name``."""
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": SPEC["components"]}
    jsonschema.validate(data, schema)


def documented(path: str, method: str, status: int, data: Any) -> None:
    """``data`` is what the document says ``method path`` answers with ``status``."""
    operation = SPEC["paths"][path][method]
    assert str(status) in operation["responses"], f"{method} {path} {status} is not documented"
    schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
    jsonschema.validate(data, {**schema, "components": SPEC["components"]})


def post(base: str, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
    return httpx.post(base + path, json=body, timeout=10, **kwargs)


def test_ask_answers_as_ask_json_does(base: str, engine: Engine) -> None:
    for question, lang in ((TRADE_EN, None), (TRADE_TR, None), (TRADE_EN, "tr")):
        response = post(base, "/v1/ask", {"question": question, "lang": lang})
        assert response.status_code == 200
        assert response.json() == engine.answer(question, lang=lang).to_dict()
        documented("/v1/ask", "post", 200, response.json())
    assert response.json()["lang"] == "tr"
    cli = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", TRADE_TR],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert post(base, "/v1/ask", {"question": TRADE_TR}).json() == json.loads(cli.stdout)


def test_a_conversation_with_follow_ups_picks_and_a_language_switch(
    base: str, engine: Engine
) -> None:
    created = post(base, "/v1/conversations", {"lang": "en"})
    assert created.status_code == 201
    documented("/v1/conversations", "post", 201, created.json())
    conversation = created.json()["id"]
    assert len(conversation) >= 24 and re.fullmatch(r"[A-Za-z0-9_-]+", conversation)
    mirror = Session(engine, {"lang": "en"})
    turns: list[dict[str, str]] = [
        {"text": TRADE_EN},
        {"text": "/source"},
        {"text": "say it in Turkish"},
        {"text": "/topics"},
        {"text": "1"},
        {"choice": "investment.turkish"},
        {"text": "/lang en"},
        {"text": "hello"},
    ]
    for body in turns:
        response = post(base, f"/v1/conversations/{conversation}/messages", body)
        assert response.status_code == 200, response.text
        expected = mirror.ask(body["text"]) if "text" in body else mirror.choose(body["choice"])
        assert response.json() == expected.to_dict(), body
        documented("/v1/conversations/{id}/messages", "post", 200, response.json())
        time.sleep(0.55)  # the conversation's flood limit here: 5 at once, then 2 per second
    assert [a["lang"] for a in [expected.to_dict()]] == ["en"]
    shown = httpx.get(f"{base}/v1/conversations/{conversation}", timeout=10)
    assert shown.status_code == 200
    documented("/v1/conversations/{id}", "get", 200, shown.json())
    last = mirror.last
    assert shown.json() == {
        "id": conversation,
        "lang": "en",
        "last": None if last is None else last.to_dict(),
    }


def test_intents_and_topics(base: str, engine: Engine) -> None:
    intents = httpx.get(f"{base}/v1/intents", timeout=10)
    cli = subprocess.run(
        [sys.executable, "-m", "bot", "intents", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert intents.json() == json.loads(cli.stdout)
    documented("/v1/intents", "get", 200, intents.json())
    topics = httpx.get(f"{base}/v1/topics", params={"lang": "tr"}, timeout=10)
    assert topics.json() == {"lang": "tr", "topics": [g.to_dict() for g in engine.topics("tr")]}
    documented("/v1/topics", "get", 200, topics.json())


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "needle"),
    [
        ("post", "/v1/ask", {"content": b"{not json", "headers": {"content-type": "application/json"}}, 400, "not valid JSON"),
        ("post", "/v1/ask", {"json": {}}, 422, '"question" is missing'),
        ("post", "/v1/ask", {"json": {"question": 5}}, 422, "must be a string"),
        ("post", "/v1/ask", {"json": {"question": "  "}}, 422, "is empty"),
        ("post", "/v1/ask", {"json": {"question": "x" * 5000}}, 422, "longer than"),
        ("post", "/v1/ask", {"json": {"question": "hi", "lang": "de"}}, 422, '"lang" must be one of'),
        ("post", "/v1/ask", {"json": ["hi"]}, 422, "JSON object"),
        ("post", "/v1/ask", {"content": b"question=hi", "headers": {"content-type": "text/plain"}}, 415, "send JSON"),
        ("post", "/v1/ask", {"content": b"{" + b" " * 70_000 + b"}", "headers": {"content-type": "application/json"}}, 413, "larger than"),
        ("post", "/v1/conversations/nope/messages", {"json": {"text": "hi"}}, 404, "no such conversation"),
        ("get", "/v1/conversations/nope", {}, 404, "no such conversation"),
        ("get", "/v1/topics?lang=xx", {}, 422, '"lang"'),
        ("get", "/v1/nothing", {}, 404, "no such endpoint"),
        ("get", "/v1/ask", {}, 405, "method not allowed"),
        ("post", "/v1/ask", {"content": b'{"question": "\\ud800"}', "headers": {"content-type": "application/json"}}, 422, "not valid Unicode"),
    ],
)  # fmt: skip
def test_bad_requests_get_a_json_error_and_the_right_status(
    base: str, method: str, path: str, kwargs: dict[str, Any], status: int, needle: str
) -> None:
    response = httpx.request(method.upper(), base + path, timeout=10, **kwargs)
    assert response.status_code == status
    body = response.json()
    assert body["ok"] is False and needle in body["error"], body
    conforms(body, "Error")
    assert "Traceback" not in response.text
    if status == 405:
        assert response.headers["allow"] == "POST"


def test_a_message_needs_text_or_a_choice(base: str) -> None:
    conversation = post(base, "/v1/conversations").json()["id"]
    for body in ({}, {"text": "hi", "choice": "trade.volume"}):
        response = post(base, f"/v1/conversations/{conversation}/messages", body)
        assert response.status_code == 422 and "either" in response.json()["error"]


def test_a_flooding_conversation_gets_429_with_retry_after(base: str) -> None:
    # The server gives a conversation a burst of 5 and 2 more a second: however slow this
    # machine is, 40 requests in a row cannot all pass, and the first 5 always do.
    conversation = post(base, "/v1/conversations").json()["id"]
    statuses = []
    started = time.monotonic()
    for _ in range(40):
        response = post(base, f"/v1/conversations/{conversation}/messages", {"text": "hello"})
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert int(response.headers["retry-after"]) >= 1
            documented("/v1/conversations/{id}/messages", "post", 429, response.json())
    elapsed = time.monotonic() - started
    assert statuses[:5] == [200] * 5 and set(statuses) == {200, 429}
    assert statuses.count(200) <= 5 + 2 * elapsed + 1
    other = post(base, "/v1/conversations").json()["id"]  # other conversations go on
    assert post(base, f"/v1/conversations/{other}/messages", {"text": "hello"}).status_code == 200


def test_two_hundred_concurrent_requests_are_all_answered(base: str, engine: Engine) -> None:
    questions = [TRADE_EN, TRADE_TR, "hello", "ihracat ne kadar?", "weather in almaty"] * 40

    async def main() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=200)
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
            return await asyncio.gather(
                *(client.post("/v1/ask", json={"question": q}) for q in questions)
            )

    responses = asyncio.run(main())
    assert [r.status_code for r in responses] == [200] * 200
    expected = {q: engine.answer(q).to_dict() for q in set(questions)}
    assert all(r.json() == expected[q] for q, r in zip(questions, responses, strict=True))


def test_the_document_matches_the_routes(base: str) -> None:
    served = httpx.get(f"{base}/openapi.json", timeout=10).json()
    assert served == json.loads(json.dumps(SPEC))
    from starlette.routing import Route

    from bot.serve.http.api import api_routes

    class _Nothing:
        store = None
        engine = None

    routes = {
        (route.path.replace("{id:str}", "{id}"), method.lower())
        for route in api_routes(_Nothing(), None)  # type: ignore[arg-type]
        if isinstance(route, Route)
        for method in route.methods or ()
        if method != "HEAD"
    }
    documented_routes = {(p, m) for p, ops in SPEC["paths"].items() for m in ops}
    assert routes == documented_routes


def test_the_page_and_its_security_headers(base: str) -> None:
    page = httpx.get(f"{base}/", timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in page.text  # no inline script: the policy would block it anyway
    total = sum(
        len(httpx.get(f"{base}/{name}", timeout=10).content) for name in ("chat.js", "chat.css")
    )
    assert len(page.content) + total < 16 * 1024  # a few KB, no framework
    ready = httpx.get(f"{base}/readyz", timeout=10)
    assert ready.status_code == 200


def test_metrics_count_per_channel(base: str) -> None:
    post(base, "/v1/ask", {"question": "hello"})
    post(base, "/v1/ask", {"question": "hello"}, headers={"X-KZBot-Client": "web"})
    metrics = httpx.get(f"{base}/metrics", timeout=10).text
    assert re.search(r'kzbot_updates_total\{channel="http",outcome="answered"\} [1-9]', metrics)
    assert re.search(r'kzbot_updates_total\{channel="web",outcome="answered"\} [1-9]', metrics)


def test_a_client_cannot_dodge_its_limit_by_naming_another_address(tmp_path: Path) -> None:
    with serving("--store", "memory:", "--ip-burst", "3", "--ip-rate", "0.01") as base:
        statuses = [
            post(base, "/v1/ask", {"question": "hi"}, headers={"X-Forwarded-For": f"10.0.0.{n}"})
            for n in range(5)
        ]
    assert [r.status_code for r in statuses] == [200, 200, 200, 429, 429]


def test_api_keys_cors_and_idle_expiry(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.write_text("# one per line\nkey-for-the-ministry-site-0001\n", encoding="utf-8")
    options = (
        "--store", f"sqlite:///{tmp_path / 'state.db'}", "--api-key-file", str(keys),
        "--cors-origin", "https://embassy.example.org", "--idle-minutes", "0.01",
    )  # fmt: skip
    with serving(*options) as base:
        assert post(base, "/v1/ask", {"question": "hello"}).status_code == 401
        bearer = {"Authorization": "Bearer key-for-the-ministry-site-0001"}
        assert post(base, "/v1/ask", {"question": "hello"}, headers=bearer).status_code == 200
        header = {"X-API-Key": "key-for-the-ministry-site-0001"}
        assert post(base, "/v1/ask", {"question": "hello"}, headers=header).status_code == 200
        assert httpx.get(f"{base}/", timeout=10).status_code == 404  # no public page with keys
        preflight = {
            "Origin": "https://embassy.example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,authorization",
        }
        allowed = httpx.options(f"{base}/v1/ask", headers=preflight, timeout=10)
        assert allowed.headers["access-control-allow-origin"] == "https://embassy.example.org"
        other = {**preflight, "Origin": "https://elsewhere.example.com"}
        refused = httpx.options(f"{base}/v1/ask", headers=other, timeout=10)
        assert "access-control-allow-origin" not in refused.headers
        conversation = post(base, "/v1/conversations", headers=bearer).json()["id"]
        url = f"{base}/v1/conversations/{conversation}"
        assert httpx.get(url, headers=bearer, timeout=10).status_code == 200
        time.sleep(1.0)  # idle longer than 0.6 s: forgotten
        assert httpx.get(url, headers=bearer, timeout=10).status_code == 404
