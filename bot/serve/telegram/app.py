"""The Telegram adapter: python-telegram-bot handlers around :class:`~bot.serve.conversations.Conversations`.

The adapter is thin: every reply comes from the chat's conversation turn;
this module only decides *whether* to answer (groups, flood control) and
turns answers into plain-text messages with inline buttons. Updates reach
it from the webhook (:mod:`.webhook`) or from polling (:mod:`.polling`),
both through :meth:`Adapter.handle`, which says what became of each update.

Delivery: a turn is committed (state and update id, once) before its reply
is sent, and the webhook answers Telegram only after both, so an update is
answered once even when Telegram sends it again or another worker gets it.

Retries of replies: a reply is retried (``Settings.send_retries`` times, with
a doubling back-off) only when Telegram cannot have received it -- the
connection was refused or never made (``httpx.ConnectError``,
``ConnectTimeout``, ``PoolTimeout``) or the gateway answered 502/503. A read
timeout or a dropped connection *after* the request was sent is not retried,
since Telegram may already have delivered the message and a retry would answer
twice. HTTP 429 is handled by ``AIORateLimiter(max_retries=3)``, which waits
``retry_after`` and sends again (Telegram has not delivered a 429'd message).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Coroutine
from contextvars import ContextVar
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Final, TypeVar

import httpx
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
    ReplyParameters,
    Update,
    User,
)
from telegram.constants import ChatAction, ChatMemberStatus, ChatType
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    TelegramError,
    TimedOut,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackContext,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ExtBot,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.dialogue import Answer, Choice, Engine, MissRecorder, Session
from bot.lang import MAX_INPUT_CHARS, N_
from bot.serve import render
from bot.serve.conversations import Conversations, Turn
from bot.serve.metrics import Metrics
from bot.serve.reload import Reloader, content_version
from bot.serve.stores import ChatBusy, Store, StoreError, holding
from bot.serve.telegram.guard import install_redaction, split_text
from bot.serve.telegram.settings import Settings

__all__ = [
    "COMMANDS",
    "Adapter",
    "App",
    "Outcome",
    "build_application",
    "chat_key",
    "start_app",
    "stop_app",
]

_LOGGER = logging.getLogger("bot.telegram")
JSONDict = dict[str, Any]
T = TypeVar("T")

Context = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]
App = Application[ExtBot[int], Context, dict[Any, Any], dict[Any, Any], dict[Any, Any], None]

#: The commands shown in Telegram's menu, with their descriptions.
COMMANDS: Final = (
    ("start", N_("Start the conversation")),
    ("help", N_("How to use this bot")),
    ("topics", N_("What I can answer")),
    ("lang", N_("Switch language: /lang en or /lang tr")),
    ("source", N_("Where my last answer comes from")),
)
GREETING = N_("Hello!")
TEXT_ONLY = N_("Sorry, I can only read text messages. Please type your question.")
SLOW_DOWN = N_(
    "You are sending messages too quickly. Please wait a few seconds before asking again."
)
STALE_BUTTON = N_("This button is no longer valid.")
FAILED = N_("Sorry, something went wrong while answering. Please try again.")

CALLBACK_PREFIX = "ask:"
#: Telegram's limit for callback_data, in bytes.
MAX_CALLBACK_BYTES = 64
#: Updates the bot asks Telegram for (edited messages are not among them).
ALLOWED_UPDATES: Final = ("message", "callback_query", "inline_query", "my_chat_member")
MAX_INLINE_RESULTS = 5
#: A message longer than this is answered in a worker thread (it takes tens of milliseconds:
#: its clauses are read one by one), so other chats are not kept waiting.
OFFLOAD_CHARS = 400


def chat_key(chat_id: int) -> str:
    """A Telegram chat's key in the store (stores are shared with other channels)."""
    return f"telegram:{chat_id}"


def update_key(update_id: int) -> str:
    return f"telegram:{update_id}"


@dataclass(slots=True)
class Outcome:
    """What became of one update: set by the handlers, read by whoever fed the update in.

    ``answered``, ``duplicate`` (committed before), ``busy`` (another worker
    holds the chat: send it again later), ``flood_limited``, ``notice`` (a
    UI message, not a turn), ``ignored``, ``blocked`` (the user blocked the
    bot), ``send_failed`` (committed, but the reply may not have arrived),
    ``failed``.
    """

    value: str = "ignored"
    chat: int | None = None


_OUTCOME: ContextVar[Outcome | None] = ContextVar("telegram_update_outcome", default=None)


def _report(value: str, chat: int | None = None) -> None:
    outcome = _OUTCOME.get()
    if outcome is not None:
        outcome.value = value
        if chat is not None:
            outcome.chat = chat


def user_language(user: User | None, engine: Engine) -> str | None:
    """The user's Telegram language if the bot speaks it (``"tr-TR"`` -> ``"tr"``)."""
    code = (user.language_code or "") if user is not None else ""
    base = code.split("-", 1)[0].lower()
    return base if base in engine.languages else None


def keyboard(answer: Answer) -> InlineKeyboardMarkup | None:
    """Buttons for what an answer offers: its clarification's choices, its suggestions, its topics."""
    options: tuple[Choice, ...] = answer.offered
    rows = [
        [InlineKeyboardButton(c.text, callback_data=f"{CALLBACK_PREFIX}{c.intent}")]
        for c in options
        if len(f"{CALLBACK_PREFIX}{c.intent}".encode()) <= MAX_CALLBACK_BYTES
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def safe_to_retry(exc: Exception) -> bool:
    """Whether a failed request certainly did not reach Telegram, so sending again is safe."""
    if isinstance(exc, TimedOut):
        return isinstance(exc.__cause__, httpx.ConnectTimeout | httpx.PoolTimeout)
    if type(exc) is not NetworkError:  # BadRequest, Forbidden, RetryAfter... are final
        return False
    if isinstance(exc.__cause__, httpx.ConnectError | httpx.WriteError):
        return True  # never connected, or the request was not fully sent
    return any(
        mark in exc.message for mark in ("Bad Gateway", "(502)", "Service Unavailable", "(503)")
    )


class MessageRateLimiter(AIORateLimiter):
    """Telegram's limits, applied to messages: the best-effort "typing" action is not queued.

    python-telegram-bot's limiter counts every request with a ``chat_id``, so a
    typing action before each answer would halve the answers per second.
    """

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        if endpoint == "sendChatAction":
            return await callback(*args, **kwargs)
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )


class Adapter:
    """The handlers, and what they share: the conversations, the store, settings and metrics."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        store: Store,
        misses: MissRecorder | None = None,
        reloader: Reloader | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.metrics = metrics if metrics is not None else Metrics("telegram")
        self.reloader = reloader
        self.conversations = Conversations(
            reloader if reloader is not None else engine,
            store,
            misses=misses,
            lock_ttl=settings.lock_ttl,
            lock_wait=settings.lock_wait if settings.webhook else settings.lock_ttl + 1.0,
            observer=self.metrics,
        )
        self._version = (
            reloader.version if reloader is not None else content_version(engine.catalog.directory)
        )
        self._generation = reloader.generation if reloader is not None else 0
        self.metrics.knowledge_base_in_service(self.knowledge_base, self._generation)

    @property
    def engine(self) -> Engine:
        """The engine in service: the newest valid knowledge base when live reload is on."""
        return self.conversations.engine

    @property
    def knowledge_base(self) -> str:
        """The version (a short hash of the files) of the knowledge base in service."""
        return self.reloader.version if self.reloader is not None else self._version

    # -- one update ----------------------------------------------------------------

    async def handle(self, app: App, update: Update) -> Outcome:
        """Run ``update`` through the handlers; what became of it is logged, counted and returned."""
        outcome = Outcome()
        token = _OUTCOME.set(outcome)
        started = time.perf_counter()
        try:
            if await self._processed(update):
                # Sent again (a restart, a retry, another worker had it): answered already,
                # and not charged to the user's flood-control bucket a second time; its
                # reply is sent now if the worker that committed it died first.
                outcome.value = await self._resend(app.bot, update)
            else:
                await app.process_update(update)
        except Exception:  # process_update hands handler errors to on_error; this is a bug
            _LOGGER.exception("an update could not be processed")
            outcome.value = "failed"
        finally:
            _OUTCOME.reset(token)
        elapsed = time.perf_counter() - started
        answered = outcome.value in ("answered", "send_failed", "resent")
        self.metrics.update(outcome.value, elapsed if answered else None, channel="telegram")
        if self.reloader is not None and self.reloader.generation != self._generation:
            self._generation = self.reloader.generation
            self.metrics.knowledge_base_in_service(self.reloader.version, self._generation)
        message = update.effective_message
        _LOGGER.info(
            "update %s: %s",
            update.update_id,
            outcome.value,
            extra={
                "update": update.update_id,
                "chat": outcome.chat
                if outcome.chat is not None
                else (update.effective_chat.id if update.effective_chat else None),
                "outcome": outcome.value,
                "latency_ms": round(elapsed * 1000, 2),
                "kb": self.knowledge_base,
                "text": message.text if self.settings.log_text and message is not None else None,
            },
        )
        return outcome

    async def _processed(self, update: Update) -> bool:
        try:
            return await self.store.processed(update_key(update.update_id))
        except StoreError:  # the turn checks again, and answers even when the store fails
            return False

    # -- handlers ---------------------------------------------------------------

    async def on_start(self, update: Update, context: Context) -> None:
        """Greet in the user's Telegram language; ``/start <payload>`` opens a topic or question."""
        message = update.effective_message
        if message is None or not await self._admit(update, context):
            return
        language = user_language(message.from_user, self.engine)
        payload = context.args[0] if context.args else ""

        def start(session: Session) -> Answer:
            if payload:
                return session.open(payload)
            answer = session.ask("/start")
            greeting = session.engine.gettext(GREETING, session.lang)
            return replace(answer, text=f"{greeting} {answer.text}")

        await self._turn(update, context, start, language=language)

    async def on_command(self, update: Update, context: Context) -> None:
        """Answer /help, /topics, /lang and /source."""
        message = update.effective_message
        if message is None or message.text is None or not await self._admit(update, context):
            return
        text = message.text[:MAX_INPUT_CHARS]
        await self._turn(update, context, lambda session: session.ask(text))

    async def on_unknown_command(self, update: Update, context: Context) -> None:
        """Say a command is unknown (in groups only for /command@thisbot)."""
        message = update.effective_message
        if message is None or not self._command_for_me(message, context.bot.username):
            return
        await self.on_command(update, context)

    async def on_text(self, update: Update, context: Context) -> None:
        """Answer a question (in groups: only when addressed to the bot)."""
        message = update.effective_message
        if message is None or message.text is None:
            return
        if not self._addressed(message, context) or not await self._admit(update, context):
            return
        text = message.text[:MAX_INPUT_CHARS]
        if message.chat.type != ChatType.PRIVATE and context.bot.username:
            text = re.sub(rf"(?i)@{re.escape(context.bot.username)}\b", " ", text).strip()
        await self._turn(
            update, context, lambda session: session.ask(text), offload=len(text) > OFFLOAD_CHARS
        )

    async def on_other(self, update: Update, context: Context) -> None:
        """Say that only text is read (stickers, photos, voice, documents...)."""
        message = update.effective_message
        if (
            message is None
            or not self._addressed(message, context)
            or not await self._admit(update, context)
        ):
            return
        await self._notice(update, context, TEXT_ONLY)

    async def on_button(self, update: Update, context: Context) -> None:
        """Answer the question on a pressed button; always answer the callback query."""
        query = update.callback_query
        if query is None:
            return
        data = query.data if isinstance(query.data, str) else ""
        notice: str | None = None
        try:
            if not data.startswith(CALLBACK_PREFIX):
                lang = user_language(query.from_user, self.engine) or self.engine.default_lang
                notice = self.engine.gettext(STALE_BUTTON, lang)
                return
            if not isinstance(query.message, Message) or not await self._admit(update, context):
                return
            intent = data[len(CALLBACK_PREFIX) :]
            await self._turn(
                update,
                context,
                lambda session: session.choose(intent),
                chat_id=query.message.chat.id,
            )
        finally:
            try:
                await query.answer(notice)
            except TelegramError as exc:
                _LOGGER.debug("could not answer a callback query: %s", exc)

    async def on_inline_query(self, update: Update, context: Context) -> None:
        """Offer the best answers to ``@bot question`` (a few starters for an empty query)."""
        query = update.inline_query
        if query is None:
            return
        text = query.query[:MAX_INPUT_CHARS]
        engine = self.engine
        lang = (
            engine.detect_language(text)
            or user_language(query.from_user, engine)
            or engine.default_lang
        )
        intents = [
            m.intent
            for m in engine.rank(text, limit=MAX_INLINE_RESULTS)
            if m.score >= engine.threshold
        ]
        if not intents:
            intents = [c.intent for c in engine.starters(lang)]
        results = []
        for intent_id in intents:
            answer = engine.reply(intent_id, text, lang)
            results.append(
                InlineQueryResultArticle(
                    id=intent_id[:64],
                    title=engine.choice(intent_id, lang).text,
                    description=answer.text[:120],
                    input_message_content=InputTextMessageContent(answer.text[:4096]),
                )
            )
        await self._retrying(lambda: query.answer(results, cache_time=60, is_personal=True))
        _report("answered")

    async def on_membership(self, update: Update, context: Context) -> None:
        """The bot was added to, or removed or blocked in, a chat: forget a chat that is gone."""
        change = update.my_chat_member
        if change is None:
            return
        status = change.new_chat_member.status
        if status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
            await self._forget(change.chat.id, "the bot was removed or blocked")
        else:
            _LOGGER.info("the bot is now %s in chat %s", status, change.chat.id)
        _report("membership", change.chat.id)

    async def on_error(self, update: object, context: Context) -> None:
        """Log an error (the token is redacted) and tell the user when that is safe."""
        error = context.error
        _report("failed")
        _LOGGER.error(
            "error while handling an update: %s: %s",
            type(error).__name__,
            error,
            exc_info=error if not isinstance(error, TelegramError) else None,
        )
        if isinstance(error, TelegramError) or not isinstance(update, Update):
            return  # a failed send: telling the user would need another send (and could double up)
        chat = update.effective_chat
        if chat is None or update.inline_query is not None:
            return
        try:
            await self._notice(update, context, FAILED)
        except Exception as exc:  # the apology is best effort
            _LOGGER.warning(
                "could not tell chat %s about the error: %s", chat.id, type(exc).__name__
            )
        _report("failed")

    # -- the turn ----------------------------------------------------------------

    async def _turn(
        self,
        update: Update,
        context: Context,
        run: Callable[[Session], Answer],
        *,
        language: str | None = None,
        chat_id: int | None = None,
        offload: bool = False,
    ) -> None:
        """The conversation's answer ("typing..." only if it is slow); one chat's turns in order."""
        chat = (
            chat_id
            if chat_id is not None
            else update.effective_chat.id
            if update.effective_chat
            else None
        )
        if chat is None:
            return
        # "typing..." only where the answer itself is slow (a long message, answered in a
        # thread): a turn slowed by a queue of others would only lengthen the queue.
        typing = asyncio.create_task(
            self._typing_later(context, chat) if offload else asyncio.sleep(0)
        )
        sent: list[int] = []
        replies: dict[int, JSONDict] = {}

        def reply(turn: Turn) -> JSONDict:
            """The reply as it is sent, and kept with the commit until it is (the outbox)."""
            if id(turn.answer) not in replies:
                markup = keyboard(turn.answer)
                replies[id(turn.answer)] = {
                    "chat": chat,
                    "text": render.for_chat(turn.answer, turn.session.engine.gettext),
                    "markup": markup.to_dict() if markup is not None else None,
                    "reply_to": self._reply_to(update),
                    "thread": _thread(update),
                }
            return replies[id(turn.answer)]

        async def deliver(turn: Turn) -> None:
            typing.cancel()
            sent.append(await self._send_reply(context.bot, reply(turn)))

        try:
            turn = await self.conversations.turn(
                chat_key(chat),
                run,
                lang=language or user_language(update.effective_user, self.engine),
                force_lang=language is not None,
                update=update_key(update.update_id),
                deliver=deliver,
                offload=offload,
                outbox=lambda turn: json.dumps(reply(turn), ensure_ascii=False),
                checked=True,  # handle() looked it up
            )
        except ChatBusy:
            _report("busy", chat)
            return
        except (NetworkError, TimedOut) as exc:  # committed, but the reply may not have arrived
            _LOGGER.warning("the reply to chat %s failed after its turn was saved: %s", chat, exc)
            self.metrics.send_failures.labels("ambiguous").inc()
            _report("send_failed", chat)
            return
        finally:
            typing.cancel()
        if turn is None:
            # Telegram delivers an update again when it was not confirmed (a restart, a
            # timeout, another worker): answered already.
            _report("duplicate", chat)
        else:
            _report("answered" if sent and sent[0] else "blocked", chat)

    async def _notice(self, update: Update, context: Context, message: str) -> None:
        """Send one translated UI message in the chat's language."""
        chat = update.effective_chat
        if chat is None:
            return
        try:
            state = (await self.store.load(chat_key(chat.id))).state
        except StoreError:
            state = None
        lang = (
            (state or {}).get("lang")
            or user_language(update.effective_user, self.engine)
            or self.engine.default_lang
        )
        await self._send(
            context.bot,
            chat.id,
            self.engine.gettext(message, str(lang)),
            None,
            self._reply_to(update),
            _thread(update),
        )
        _report("notice", chat.id)

    async def _admit(self, update: Update, context: Context) -> bool:
        """Flood control: False (after one polite notice) when the user sends too fast."""
        user = update.effective_user
        if user is None:
            return True
        try:
            verdict = await self.store.allow(
                f"telegram:user:{user.id}", self.settings.flood_burst, self.settings.flood_rate
            )
        except StoreError as exc:
            self.metrics.store_failed("allow")
            _LOGGER.error("the store failed (flood control): %s", exc)
            return True
        if verdict == "warn":
            _LOGGER.info("slowing down user %s", user.id)
            await self._notice(update, context, SLOW_DOWN)
        if verdict != "ok":
            _report("flood_limited")
        return verdict == "ok"

    def _addressed(self, message: Message, context: Context) -> bool:
        """In private chats everything; in groups, mentions of the bot and replies to it."""
        if message.chat.type == ChatType.PRIVATE:
            return True
        replied = message.reply_to_message
        if (
            replied is not None
            and replied.from_user is not None
            and replied.from_user.id == context.bot.id
        ):
            return True
        username = context.bot.username
        text = message.text or message.caption or ""
        return bool(username) and re.search(rf"(?i)@{re.escape(username)}\b", text) is not None

    @staticmethod
    def _command_for_me(message: Message, username: str | None) -> bool:
        """An unknown command is answered in private chats, and in groups only as /cmd@thisbot."""
        if message.chat.type == ChatType.PRIVATE:
            return True
        first = (message.text or "").split(maxsplit=1)[0] if message.text else ""
        return bool(username) and first.lower().endswith(f"@{username}".lower())

    @staticmethod
    def _reply_to(update: Update) -> int | None:
        """In groups, replies quote the message they answer."""
        message = update.message
        if message is None or message.chat.type == ChatType.PRIVATE:
            return None
        return message.message_id

    # -- sending ---------------------------------------------------------------

    async def _typing_later(self, context: Context, chat_id: int) -> None:
        """ "typing..." for a turn still running after ``typing_after`` seconds."""
        await asyncio.sleep(self.settings.typing_after)
        try:
            await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
        except TelegramError as exc:  # the answer matters, the typing indicator does not
            _LOGGER.debug("could not send the typing action to chat %s: %s", chat_id, exc)

    async def _send(
        self,
        bot: ExtBot[Any],
        chat_id: int,
        text: str,
        markup: InlineKeyboardMarkup | None,
        reply_to: int | None,
        thread: int | None = None,
    ) -> int:
        """Plain text (no parse_mode), split at 4096 characters; buttons on the last part.

        Follows a group that became a supergroup (the chat's state moves with
        it) and forgets a chat whose user blocked the bot. Returns the chat id
        the reply went to, 0 if it could not go anywhere.
        """
        parts = split_text(text or "…")
        for number, part in enumerate(parts, 1):
            last = number == len(parts)
            reply = (
                ReplyParameters(reply_to, allow_sending_without_reply=True)
                if reply_to and number == 1
                else None
            )
            for _ in range(2):  # once more at a migrated chat's new id
                send = partial(
                    bot.send_message,
                    chat_id,
                    part,
                    reply_markup=markup if last else None,
                    reply_parameters=reply,
                    message_thread_id=thread,
                )
                try:
                    await self._retrying(send)
                    break
                except ChatMigrated as exc:
                    new_id = int(exc.new_chat_id)
                    _LOGGER.info("chat %s became supergroup %s; following it", chat_id, new_id)
                    try:
                        await self.store.move(chat_key(chat_id), chat_key(new_id))
                    except StoreError as error:
                        self.metrics.store_failed("move")
                        _LOGGER.error("the store failed (move): %s", error)
                    chat_id = new_id
                except Forbidden as exc:
                    await self._forget(chat_id, str(exc))
                    return 0
        return chat_id

    async def _send_reply(self, bot: ExtBot[Any], reply: JSONDict) -> int:
        markup = reply.get("markup")
        return await self._send(
            bot,
            int(reply["chat"]),
            str(reply["text"]),
            InlineKeyboardMarkup.de_json(markup, bot) if isinstance(markup, dict) else None,
            reply.get("reply_to"),
            reply.get("thread"),
        )

    async def _resend(self, bot: ExtBot[Any], update: Update) -> str:
        """The reply of a turn committed but never sent (its process died): send it now.

        Under the chat's lock: the worker that committed the turn holds it until its reply
        is sent and marked delivered, so a copy of the update arriving meanwhile finds
        nothing pending instead of sending the reply a second time.
        """
        chat = update.effective_chat
        if chat is None:
            return await self._resend_pending(bot, update)
        conversations = self.conversations
        try:
            async with holding(
                self.store,
                chat_key(chat.id),
                ttl=conversations.lock_ttl,
                wait=conversations.lock_wait,
            ):
                return await self._resend_pending(bot, update)
        except ChatBusy:
            return "busy"

    async def _resend_pending(self, bot: ExtBot[Any], update: Update) -> str:
        try:
            pending = await self.store.pending(update_key(update.update_id))
        except StoreError:
            return "duplicate"
        if pending is None:
            return "duplicate"
        try:
            reply = json.loads(pending)
            await self._send_reply(bot, reply)
        except (NetworkError, TimedOut) as exc:
            _LOGGER.warning("a reply left by a stopped worker could not be sent: %s", exc)
            self.metrics.send_failures.labels("ambiguous").inc()
            return "send_failed"
        except (ValueError, KeyError, TypeError):
            _LOGGER.warning("a malformed outbox for update %s was dropped", update.update_id)
        try:
            await self.store.delivered(update_key(update.update_id))
        except StoreError as exc:
            self.metrics.store_failed("delivered")
            _LOGGER.error("the store failed (delivered): %s", exc)
        return "resent"

    async def _forget(self, chat_id: int, reason: str) -> None:
        _LOGGER.info("forgetting chat %s: %s", chat_id, reason)
        try:
            await self.store.forget(chat_key(chat_id))
        except StoreError as exc:
            self.metrics.store_failed("forget")
            _LOGGER.error("the store failed (forget): %s", exc)

    async def _retrying(self, call: Callable[[], Awaitable[T]]) -> T:
        """Run a Bot API call, retrying only failures where Telegram cannot have received it."""
        attempt = 0
        while True:
            try:
                return await call()
            except (NetworkError, TimedOut) as exc:
                if attempt >= self.settings.send_retries or not safe_to_retry(exc):
                    raise
                delay = self.settings.retry_backoff * 2**attempt
                attempt += 1
                _LOGGER.warning(
                    "a reply failed (%s); retry %d of %d in %.2fs",
                    exc.message,
                    attempt,
                    self.settings.send_retries,
                    delay,
                )
                await asyncio.sleep(delay)


def _thread(update: Update) -> int | None:
    """A forum topic's id, so the reply stays in the topic it answers."""
    message = update.effective_message
    if message is not None and message.is_topic_message and message.message_thread_id:
        return message.message_thread_id
    return None


def build_application(
    settings: Settings,
    engine: Engine,
    store: Store,
    misses: MissRecorder | None = None,
    reloader: Reloader | None = None,
    metrics: Metrics | None = None,
) -> App:
    """Wire the handlers into a python-telegram-bot application (not started).

    Updates are fed to :meth:`Adapter.handle` (``app.bot_data["adapter"]``)
    by the webhook or by polling, not by python-telegram-bot's own updater.
    ``misses`` (optional) records declined questions, as ``--log-misses`` does in the console;
    ``reloader`` (optional) serves edited ``intents/`` files without a restart.
    """
    install_redaction(settings.token, settings.secret_token)
    adapter = Adapter(settings, engine, store, misses, reloader, metrics)
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .updater(None)
        .job_queue(None)
        .connect_timeout(10.0)
        .read_timeout(15.0)
        .write_timeout(15.0)
        .pool_timeout(10.0)
        .connection_pool_size(max(8, min(256, settings.max_in_flight)))
        .get_updates_read_timeout(settings.poll_timeout + 10.0)
    )
    if settings.base_url:
        builder = builder.base_url(settings.base_url)
    # Telegram's own limits (30 messages/s, 20/min per group) unless turned off;
    # a 429 is always waited out and retried.
    limits: dict[str, float] = (
        {} if settings.rate_limit else {"overall_max_rate": 0, "group_max_rate": 0}
    )
    app: App = builder.rate_limiter(MessageRateLimiter(max_retries=3, **limits)).build()
    app.bot_data["adapter"] = adapter
    fresh = filters.UpdateType.MESSAGE  # edited messages and channel posts are ignored
    app.add_handler(CommandHandler("start", adapter.on_start, filters=fresh))
    app.add_handler(
        CommandHandler(["help", "topics", "lang", "source"], adapter.on_command, filters=fresh)
    )
    app.add_handler(MessageHandler(fresh & filters.COMMAND, adapter.on_unknown_command))
    app.add_handler(MessageHandler(fresh & filters.TEXT, adapter.on_text))
    app.add_handler(
        MessageHandler(fresh & ~filters.TEXT & ~filters.StatusUpdate.ALL, adapter.on_other)
    )
    app.add_handler(CallbackQueryHandler(adapter.on_button))
    app.add_handler(InlineQueryHandler(adapter.on_inline_query))
    app.add_handler(ChatMemberHandler(adapter.on_membership, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_error_handler(adapter.on_error)
    return app


async def _initialize(app: App, settings: Settings) -> None:
    """``app.initialize()`` (getMe), retried with back-off while the Bot API is unreachable."""
    attempt = 0
    delay = settings.bootstrap_interval
    while True:
        try:
            await app.initialize()
            return
        except (NetworkError, TimedOut) as exc:
            if isinstance(exc, BadRequest) or 0 <= settings.bootstrap_retries <= attempt:
                raise
            attempt += 1
            _LOGGER.warning(
                "the Bot API is not reachable (%s); retrying in %.1fs", exc.message, delay
            )
            await asyncio.sleep(delay)
            delay = min(30.0, delay * 2)


async def _set_commands(app: App, engine: Engine) -> None:
    """Register the command menu in English (the default) and Turkish."""
    for lang in engine.codes:
        commands = [BotCommand(name, engine.gettext(text, lang)) for name, text in COMMANDS]
        try:
            default = lang == engine.default_lang
            await app.bot.set_my_commands(commands, language_code=None if default else lang)
        except TelegramError as exc:
            _LOGGER.warning("could not register the %s command menu: %s", lang, exc)


async def register_webhook(app: App, settings: Settings) -> None:
    """Tell Telegram where to send updates, with the shared secret (``set-webhook``)."""
    assert settings.webhook_url is not None
    await app.bot.set_webhook(
        settings.webhook_url,
        secret_token=settings.secret_token,
        allowed_updates=list(ALLOWED_UPDATES),
        max_connections=40,
    )
    _LOGGER.info("webhook registered")


async def start_app(app: App, settings: Settings) -> None:
    """Initialise (with retries), register the command menu and, if asked, the webhook."""
    await _initialize(app, settings)
    try:
        adapter: Adapter = app.bot_data["adapter"]
        await _set_commands(app, adapter.engine)
        await app.start()
        if settings.webhook and settings.set_webhook:
            await register_webhook(app, settings)
        elif not settings.webhook:
            await app.bot.delete_webhook()  # polling and a webhook exclude each other
    except BaseException:
        await stop_app(app)
        raise


async def stop_app(app: App) -> None:
    """Release the Bot API connections."""
    if app.running:
        await app.stop()
    await app.shutdown()
