"""Telegram's webhook as an ASGI route: checked before it is read, answered after it is committed.

Telegram's webhook sender keeps one queue per chat and sends a chat's next
update only after a 2xx for the one before, retrying anything else with
back-off. So the route answers 200 only once the update's turn is committed
and its reply sent; a chat busy in another worker gets 503 (sent again
later); a duplicate gets 200 at once. Behind one URL, several workers on one
Redis then answer every update exactly once, in each chat's order.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram import Update

from bot.serve.asgi import BodyError, error, read_body
from bot.serve.telegram.app import Adapter, App

__all__ = ["MAX_BODY", "SECRET_HEADER", "webhook_route"]

_LOGGER = logging.getLogger("bot.telegram")

#: A Telegram update is a few kilobytes; anything near this is not one.
MAX_BODY = 1 << 20
SECRET_HEADER = "x-telegram-bot-api-secret-token"


def webhook_route(path: str, app: App, adapter: Adapter, secret: str) -> Route:
    """The route Telegram POSTs updates to."""
    expected = secret.encode()
    metrics = adapter.metrics
    in_flight = 0

    async def receive(request: Request) -> Response:
        nonlocal in_flight
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):  # constant time, before reading the body
            metrics.update("rejected", channel="telegram")
            return error(403, "wrong or missing secret token")
        media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media != "application/json":
            metrics.update("rejected", channel="telegram")
            return error(415, "expected a JSON body (Content-Type: application/json)")
        try:
            body = await read_body(request, MAX_BODY)
        except BodyError as exc:
            metrics.update("rejected", channel="telegram")
            return error(exc.status, str(exc))
        data = _update_data(body)
        if data is None:
            metrics.update("rejected", channel="telegram")
            return error(400, "the body is not a Telegram update")
        if not app.running:
            return error(503, "starting or stopping", {"Retry-After": "1"})
        if in_flight >= adapter.settings.max_in_flight:
            metrics.update("overloaded", channel="telegram")
            return error(503, "too many updates at once", {"Retry-After": "1"})
        in_flight += 1
        try:
            try:
                update = Update.de_json(data, app.bot)
            except Exception as exc:  # any shape python-telegram-bot cannot read
                metrics.update("rejected", channel="telegram")
                return error(400, f"the body is not a Telegram update ({type(exc).__name__})")
            outcome = await adapter.handle(app, update)
        finally:
            in_flight -= 1
        if outcome.value == "busy":
            return error(503, "this chat is busy in another worker", {"Retry-After": "1"})
        return JSONResponse({})

    return Route(path, receive, methods=["POST"])


def _update_data(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or update_id < 0:
        return None
    return data
