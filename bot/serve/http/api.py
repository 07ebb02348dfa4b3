"""The HTTP API: the engine for any site or service (``/v1/...``).

- ``POST /v1/ask``: one independent question, answered as one line of ``ask --json``.
- ``POST /v1/conversations``, ``POST /v1/conversations/{id}/messages``,
  ``GET /v1/conversations/{id}``: a conversation with follow-ups, number and
  button picks, "say it in Turkish" and ``/lang``, kept in the same store as
  Telegram's chats and forgotten after an idle time.
- ``GET /v1/intents``, ``GET /v1/topics``: what the bot knows.

Every error is a JSON object with a plain message and the right status,
never a traceback. Requests are counted per channel (``http``, or ``web``
for the page's own, which says so in ``X-KZBot-Client``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.dialogue import Answer, Session
from bot.lang import MAX_INPUT_CHARS
from bot.serve.asgi import BodyError, error, read_body
from bot.serve.conversations import Conversations
from bot.serve.metrics import Metrics
from bot.serve.stores import ChatBusy, StoreError

__all__ = ["MAX_BODY", "ApiSettings", "api_routes"]

_LOGGER = logging.getLogger("bot.http")

#: Requests bigger than this are refused before they are read.
MAX_BODY = 64 * 1024
#: A long question is answered in a worker thread, so the server keeps serving others.
OFFLOAD_CHARS = 400
CLIENT_HEADER = "x-kzbot-client"


@dataclass(frozen=True, slots=True)
class ApiSettings:
    """What the API enforces."""

    #: A conversation is forgotten after this many idle seconds.
    idle_seconds: float = 30 * 60.0
    #: Requests per client address: this many at once, then ``ip_rate`` per second.
    ip_burst: int = 60
    ip_rate: float = 10.0
    #: Messages per conversation: this many at once, then ``conversation_rate`` per second.
    conversation_burst: int = 10
    conversation_rate: float = 1.0
    #: Keys one of which every ``/v1`` request must carry (``Authorization: Bearer ...``
    #: or ``X-API-Key``); none: the API is open.
    api_keys: frozenset[str] = frozenset()


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers


def api_routes(
    conversations: Conversations, metrics: Metrics, settings: ApiSettings = ApiSettings()
) -> list[BaseRoute]:
    """The ``/v1`` routes, on ``conversations`` (its engine and its store)."""
    store = conversations.store

    def endpoint(
        handler: Callable[[Request], Awaitable[Any]], *, limited: bool = True
    ) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            started = time.perf_counter()
            channel = "web" if request.headers.get(CLIENT_HEADER) == "web" else "http"
            try:
                _authorize(request, settings.api_keys)
                if limited:
                    await _limit(
                        store, f"http:ip:{_client(request)}", settings.ip_burst, settings.ip_rate
                    )
                result = await handler(request)
            except ApiError as exc:
                metrics.update(_outcome(exc.status), channel=channel)
                return error(exc.status, str(exc), exc.headers)
            response = result if isinstance(result, Response) else JSONResponse(result)
            metrics.update("answered", time.perf_counter() - started, channel=channel)
            return response

        return run

    async def ask(request: Request) -> Any:
        body = await _json_object(request)
        question = _text(body, "question")
        lang = _lang(body.get("lang"), conversations)
        engine = conversations.engine
        if len(question) > OFFLOAD_CHARS:
            answer = await asyncio.to_thread(engine.answer, question, lang=lang)
        else:
            answer = engine.answer(question, lang=lang)
        return answer.to_dict()

    async def create(request: Request) -> Any:
        body = await _json_object(request, optional=True)
        lang = _lang(body.get("lang"), conversations) or conversations.engine.default_lang
        conversation = secrets.token_urlsafe(18)
        try:
            await store.commit(
                _key(conversation), {"lang": lang}, version=0, ttl=settings.idle_seconds
            )
        except StoreError as exc:
            raise _unavailable("create", exc) from None
        return JSONResponse({"id": conversation, "lang": lang}, status_code=201)

    async def message(request: Request) -> Any:
        conversation = request.path_params["id"]
        body = await _json_object(request)
        if ("text" in body) == ("choice" in body):
            raise ApiError(422, 'send either "text" or "choice"')
        run: Callable[[Session], Answer]
        if "text" in body:
            text = _text(body, "text")
            run = lambda session: session.ask(text)  # noqa: E731
        else:
            choice = _text(body, "choice")
            run = lambda session: session.choose(choice)  # noqa: E731
            text = choice
        await _existing(conversation)
        await _limit(
            store,
            f"http:conversation:{conversation}",
            settings.conversation_burst,
            settings.conversation_rate,
        )
        try:
            turn = await conversations.turn(
                _key(conversation),
                run,
                offload=len(text) > OFFLOAD_CHARS,
                ttl=settings.idle_seconds,
            )
        except ChatBusy:
            raise ApiError(
                409, "this conversation is answering another message", {"Retry-After": "1"}
            ) from None
        assert turn is not None  # no update id: never a duplicate
        return turn.answer.to_dict()

    async def show(request: Request) -> Any:
        conversation = request.path_params["id"]
        state = await _existing(conversation)
        session = conversations.session(state)
        last = session.last
        return {
            "id": conversation,
            "lang": session.lang,
            "last": None if last is None else last.to_dict(),
        }

    async def intents(request: Request) -> Any:
        engine = conversations.engine
        return [intent.to_dict(engine.codes) for intent in engine.intents]

    async def topics(request: Request) -> Any:
        engine = conversations.engine
        lang = _lang(request.query_params.get("lang"), conversations) or engine.default_lang
        return {"lang": lang, "topics": [group.to_dict() for group in engine.topics(lang)]}

    def _unavailable(operation: str, exc: StoreError) -> ApiError:
        """A store that fails: logged, counted, and a 503 the client may retry."""
        _LOGGER.error("the store failed (%s): %s", operation, exc)
        metrics.store_failed(operation)
        return ApiError(503, "the conversation store is not available", {"Retry-After": "5"})

    async def _existing(conversation: str) -> dict[str, Any]:
        try:
            saved = await store.load(_key(conversation))
        except StoreError as exc:
            raise _unavailable("load", exc) from None
        if saved.state is None:
            raise ApiError(404, "no such conversation (it may have expired): start a new one")
        return saved.state

    return [
        Route("/v1/ask", endpoint(ask), methods=["POST"]),
        Route("/v1/conversations", endpoint(create), methods=["POST"]),
        Route("/v1/conversations/{id:str}/messages", endpoint(message), methods=["POST"]),
        Route("/v1/conversations/{id:str}", endpoint(show), methods=["GET"]),
        Route("/v1/intents", endpoint(intents, limited=False), methods=["GET"]),
        Route("/v1/topics", endpoint(topics, limited=False), methods=["GET"]),
    ]


def _key(conversation: str) -> str:
    return f"http:{conversation}"


def _outcome(status: int) -> str:
    return {404: "unknown", 409: "busy", 429: "flood_limited", 503: "failed"}.get(
        status, "rejected"
    )


def _client(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def _authorize(request: Request, keys: frozenset[str]) -> None:
    if not keys:
        return
    given = request.headers.get("x-api-key", "")
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        given = authorization[7:].strip()
    # Compare with every key, in constant time each, so timing tells nothing.
    if not any(secrets.compare_digest(given.encode(), key.encode()) for key in keys):
        raise ApiError(401, "an API key is needed: Authorization: Bearer <key>")


async def _limit(store: Any, key: str, burst: int, rate: float) -> None:
    try:
        verdict = await store.allow(key, burst, rate)
    except StoreError as exc:  # no flood control is better than no answers
        _LOGGER.error("the store failed (flood control): %s", exc)
        return
    if verdict != "ok":
        wait = str(max(1, math.ceil(1 / rate)))
        raise ApiError(429, "too many requests: slow down", {"Retry-After": wait})


async def _json_object(request: Request, *, optional: bool = False) -> dict[str, Any]:
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    try:
        raw = await read_body(request, MAX_BODY)
    except BodyError as exc:
        raise ApiError(exc.status, str(exc)) from None
    if optional and not raw.strip():
        return {}
    if media != "application/json":
        raise ApiError(415, "send JSON (Content-Type: application/json)")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise ApiError(400, "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(422, "the body must be a JSON object")
    return body


def _text(body: dict[str, Any], field: str) -> str:
    if field not in body:
        raise ApiError(422, f'"{field}" is missing')
    value = body[field]
    if not isinstance(value, str):
        raise ApiError(422, f'"{field}" must be a string')
    if not value.strip():
        raise ApiError(422, f'"{field}" is empty')
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800") is no text
        raise ApiError(422, f'"{field}" is not valid Unicode text') from None
    if len(value) > MAX_INPUT_CHARS:
        raise ApiError(422, f'"{field}" is longer than {MAX_INPUT_CHARS} characters')
    return value


def _lang(value: Any, conversations: Conversations) -> str | None:
    if value is None:
        return None
    codes = conversations.engine.codes
    if not isinstance(value, str) or value not in codes:
        raise ApiError(422, f'"lang" must be one of {", ".join(codes)} or null')
    return value
