"""A small fake Telegram Bot API server (aiohttp) for end-to-end tests and benchmarks.

It serves ``POST /bot<token>/<method>`` for the methods python-telegram-bot
uses, queues updates for ``getUpdates`` (long polling, honouring ``offset``),
records every call, and can inject faults: HTTP 502, HTTP 429 with
``retry_after``, and dropped connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = ["BOT_ID", "BOT_USERNAME", "Call", "FakeBotApi"]

BOT_ID = 7000001
BOT_USERNAME = "kzbot_test_bot"
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "KZ Bot", "username": BOT_USERNAME}

#: Parameters sent JSON-encoded in form bodies (everything else is a raw string).
_JSON_PARAMS = frozenset(
    {
        "chat_id", "offset", "limit", "timeout", "allowed_updates", "reply_markup", "results",
        "commands", "scope", "reply_parameters", "message_id", "cache_time", "is_personal",
        "show_alert", "drop_pending_updates", "max_connections", "entities", "link_preview_options",
        "disable_notification", "protect_content", "button", "message_thread_id",
    }
)  # fmt: skip


@dataclass
class Call:
    """One request the server received."""

    method: str
    params: dict[str, Any]
    time: float
    status: int = 200
    result: Any = None

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class FakeBotApi:
    """The fake server; ``await start()``, then point ``base_url`` at :attr:`base_url`."""

    token: str
    host: str = "127.0.0.1"
    #: Longest a getUpdates call is held open, whatever timeout the bot asks for.
    max_poll: float = 1.0
    calls: list[Call] = field(default_factory=list)
    #: When each update was made available (update_id -> perf_counter time).
    offered: dict[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._faults: dict[str, list[str]] = {}
        self._new = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.webhook: dict[str, Any] | None = None
        #: Every update pushed, by update_id.
        self.pushed: dict[int, dict[str, Any]] = {}

    # -- lifecycle ------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        self._new.set()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        """What to pass as python-telegram-bot's ``base_url`` (the token is appended)."""
        return f"http://{self.host}:{self.port}/bot"

    # -- test controls --------------------------------------------------------

    def update(self, update_id: int) -> dict[str, Any]:
        """A pushed update as Telegram would POST it to a webhook."""
        return {"update_id": update_id, **self.pushed[update_id]}

    def fail(self, method: str, *faults: str) -> None:
        """Make the next calls of ``method`` fail, one fault each: ``"502"``, ``"429"``,
        ``"drop"``, ``"403"`` (the user blocked the bot) or ``"migrate:<new chat id>"``; or
        ``"slow:<seconds>"``, which succeeds that much later (a slow network)."""
        self._faults.setdefault(method, []).extend(faults)

    def push(self, update: dict[str, Any]) -> int:
        """Queue an update and return its id: a new one, or the one it has (a redelivery)."""
        update = dict(update)
        update_id = update.pop("update_id", None) or next(self._update_ids)
        self.pushed[update_id] = update
        self._updates.append({"update_id": update_id, **update})
        self.offered[update_id] = time.perf_counter()
        self._new.set()
        return update_id

    def message(
        self,
        chat_id: int,
        text: str | None = None,
        *,
        user_id: int | None = None,
        language_code: str | None = "en",
        chat_type: str = "private",
        reply_to_bot: bool = False,
        extra: dict[str, Any] | None = None,
        edited: bool = False,
    ) -> int:
        """Queue a message from a user (in a private chat unless ``chat_type`` says otherwise)."""
        user_id = user_id if user_id is not None else abs(chat_id)
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        if language_code:
            user["language_code"] = language_code
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = user["first_name"]
        else:
            chat["title"] = f"Group {chat_id}"
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": user,
        }
        if text is not None:
            message["text"] = text
            entities = []
            if text.startswith("/"):
                entities.append(
                    {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
                )
            mention = f"@{BOT_USERNAME}"
            if mention in text:
                entities.append(
                    {"type": "mention", "offset": text.index(mention), "length": len(mention)}
                )
            if entities:
                message["entities"] = entities
        if reply_to_bot:
            message["reply_to_message"] = {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": chat,
                "from": BOT_USER,
                "text": "an earlier answer",
            }
        message.update(extra or {})
        return self.push({"edited_message" if edited else "message": message})

    def callback(
        self, chat_id: int, data: str, *, user_id: int | None = None, language_code: str = "en"
    ) -> int:
        """Queue a button press on one of the bot's messages in ``chat_id``."""
        user_id = user_id if user_id is not None else abs(chat_id)
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": BOT_USER,
            "text": "an answer with buttons",
        }
        query = {
            "id": f"cb{next(self._message_ids)}",
            "from": {
                "id": user_id,
                "is_bot": False,
                "first_name": "U",
                "language_code": language_code,
            },
            "chat_instance": f"ci{chat_id}",
            "message": message,
            "data": data,
        }
        return self.push({"callback_query": query})

    def inline(self, query: str, *, user_id: int = 4242, language_code: str = "en") -> int:
        """Queue an inline query ``@bot <query>``."""
        inline = {
            "id": f"iq{next(self._message_ids)}",
            "from": {
                "id": user_id,
                "is_bot": False,
                "first_name": "U",
                "language_code": language_code,
            },
            "query": query,
            "offset": "",
        }
        return self.push({"inline_query": inline})

    # -- inspection -------------------------------------------------------------

    def sent(self, chat_id: int | None = None, method: str = "sendMessage") -> list[Call]:
        """Successful calls of ``method`` (to ``chat_id`` if given), in order."""
        return [
            c for c in self.calls
            if c.method == method and c.ok and (chat_id is None or c.params.get("chat_id") == chat_id)
        ]  # fmt: skip

    def texts(self, chat_id: int) -> list[str]:
        return [str(c.params.get("text")) for c in self.sent(chat_id)]

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until ``condition()`` holds; AssertionError after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                recent = [
                    (c.method, c.status, c.params.get("chat_id"))
                    for c in self.calls
                    if c.method != "getUpdates"
                ][-12:]
                raise AssertionError(f"timed out waiting for the bot; last calls: {recent}")
            await asyncio.sleep(0.01)

    async def wait_sent(self, chat_id: int, count: int, timeout: float = 10.0) -> list[str]:
        """Wait for ``count`` messages to ``chat_id`` and return their texts."""
        await self.wait_for(lambda: len(self.sent(chat_id)) >= count, timeout)
        return self.texts(chat_id)

    # -- the API ------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            body = await request.json()
            return dict(body) if isinstance(body, dict) else {}
        form = await request.post()
        params: dict[str, Any] = {}
        for key, value in form.items():
            if not isinstance(value, str):
                continue  # an uploaded file: not needed here
            if key in _JSON_PARAMS:
                try:
                    params[key] = json.loads(value)
                    continue
                except ValueError:
                    pass
            params[key] = value
        return params

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params = await self._params(request)
        call = Call(method, params, time.perf_counter())
        self.calls.append(call)
        if request.match_info["token"] != self.token:
            return self._error(call, 401, "Unauthorized")
        faults = self._faults.get(method)
        if faults and faults[0].startswith("slow:"):
            await asyncio.sleep(float(faults.pop(0).split(":", 1)[1]))
        elif faults:
            fault = faults.pop(0)
            if fault == "drop":
                call.status = 0
                assert request.transport is not None
                request.transport.abort()
                raise asyncio.CancelledError  # aiohttp drops the request quietly
            if fault.startswith("migrate:"):
                return self._error(
                    call,
                    400,
                    "Bad Request: group chat was upgraded to a supergroup chat",
                    {"migrate_to_chat_id": int(fault.split(":", 1)[1])},
                )
            if fault == "403":
                return self._error(call, 403, "Forbidden: bot was blocked by the user")
            if fault == "429":
                return self._error(
                    call, 429, "Too Many Requests: retry after 1", {"retry_after": 1}
                )
            return self._error(call, int(fault), "Bad Gateway")
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return self._error(
                call, 400, f"Bad Request: method {method} is not implemented by the fake"
            )
        result = await handler(params)
        call.result = result
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _error(
        call: Call, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> web.Response:
        call.status = code
        body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=code)

    async def _api_getMe(self, params: dict[str, Any]) -> Any:
        return {**BOT_USER, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": True}  # fmt: skip

    async def _api_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        limit = int(params.get("limit") or 100)
        timeout = min(float(params.get("timeout") or 0), self.max_poll)
        if not self._updates and timeout > 0:
            self._new.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new.wait(), timeout)
        return self._updates[:limit]

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        chat_id = params.get("chat_id")
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {
                "id": chat_id,
                "type": "private" if isinstance(chat_id, int) and chat_id > 0 else "group",
            },
            "from": BOT_USER,
            "text": params.get("text", ""),
        }

    async def _api_editMessageText(self, params: dict[str, Any]) -> Any:
        return await self._api_sendMessage(params)

    async def _api_getWebhookInfo(self, params: dict[str, Any]) -> Any:
        url = (self.webhook or {}).get("url", "")
        return {
            "url": url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _api_setWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = params
        return True

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = None
        return True

    async def _api_getMyCommands(self, params: dict[str, Any]) -> Any:
        return []

    async def _ok(self, params: dict[str, Any]) -> Any:
        return True

    _api_sendChatAction = _ok
    _api_answerCallbackQuery = _ok
    _api_answerInlineQuery = _ok
    _api_setMyCommands = _ok
    _api_deleteMyCommands = _ok
    _api_close = _ok
    _api_logOut = _ok
