"""Soak test of the Telegram adapter: many chats, random faults, one restart.

    .venv/bin/python benchmarks/soak.py [--chats 200] [--messages 25] [--rate 50] [--seed 1]

Drives CHATS chats x MESSAGES messages (English and Turkish questions,
follow-ups, commands, a few off-topic ones) through the real
python-telegram-bot stack and the fake Bot API server (tests/telegram/
fakeserver.py) on 127.0.0.1, arriving at a steady RATE per second, each chat's
messages in order. The server injects faults at random on getUpdates and
sendMessage: HTTP 502, HTTP 429 (retry_after=1), slow responses (0.2-1 s) and
dropped connections, of two kinds:

* dropped *before* processing: the server never acts on the request (for
  sendMessage: no message is delivered) -- like a reset during upload;
* dropped *after* processing: the server acted (the message was delivered) but
  the response never reaches the bot.

The bot sees the same error in both cases (the connection closed with no
response), so the adapter does not retry either (retrying would answer twice
in the second case): a reply dropped before processing is lost, and is counted
separately. Half-way through, the bot is stopped cleanly and a new one is
started on the same data directory while updates keep arriving.

Telegram's own rate limits are off (this measures the adapter, not the
30 messages/s cap) and flood control is relaxed as in telegram_bench.py, since
its "slow down" is a deliberate non-answer.

Attribution: in group chats (every other chat; the messages mention the bot)
each reply quotes the message it answers (reply_parameters). Private chats get
no quote, so their replies are attributed by chat and order: the adapter
answers a chat's turns in order, and the conversation is replayed on a local
engine to know which text answers which message.

``--fault-shutdown-poll`` makes the getUpdates call python-telegram-bot makes
while stopping (to confirm the updates it fetched) fail, to show what that does.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "telegram"))

from aiohttp import web  # noqa: E402
from fakeserver import BOT_USERNAME, Call, FakeBotApi  # noqa: E402

from bot import Engine, Session  # noqa: E402
from bot.lang.text import MAX_INPUT_CHARS  # noqa: E402
from bot.serve import render  # noqa: E402
from bot.serve.telegram import JsonFileStore, Settings, build_application, start_app, stop_app  # noqa: E402
from bot.serve.telegram.app import GREETING, App  # noqa: E402

TOKEN = "123456789:AAHsoakTOKEN_abcdefghijklmnopqrst"
DEADLINE = 270.0  # seconds: the whole run stops by itself well within five minutes

#: (language, question[, follow-up, ...]): a follow-up is only asked right after its lead.
QUESTIONS: list[tuple[str, ...]] = [
    ("en", "What was the trade volume in 2016?", "how much of that was exports?"),
    ("tr", "2016'da ticaret hacmi ne kadardı?", "peki ithalat?"),
    ("tr", "Kazakistan'ın Türkiye'deki yatırımları ne kadar?", "peki Türkiye'ninkiler?"),
    ("tr", "Türk firmalarının Kazakistan'daki yatırımları ne kadar?", "bunu İngilizce söyler misin?"),
    ("en", "When was the High Level Strategic Cooperation Council set up?", "and the first meeting?"),
    ("tr", "Yüksek Düzeyli Stratejik İşbirliği Konseyi ne zaman kuruldu?"),
    ("en", "How many students does the Yesevi university have?"),
    ("tr", "Kazakistan'ın bağımsızlığını ilk tanıyan ülke hangisi?"),
    ("en", "What is the Turkic Council?"),
    ("en", "Who recognised Kazakhstan's independence first?"),
    ("tr", "merhaba"),
    ("en", "thanks"),
    ("tr", "teşekkürler"),
    ("en", "What is the bilateral trade target?"),
    ("tr", "Türkiye Kazakistan'a ne kadar ihracat yaptı?"),
]  # fmt: skip
COMMANDS = ["/help", "/topics", "/lang tr", "/lang en", "/source", "/source", "/nosuchcommand"]
OFF_TOPIC = [
    ("en", "what is the weather like in Ankara?"),
    ("en", "trade between Turkey and Brazil"),
    ("tr", "Brezilya'nın başkenti neresi?"),
    ("en", "asdf qwerty zxcv"),
]
FAULTS = ("502", "429", "slow", "drop-before", "drop-after")


@dataclasses.dataclass
class Delivery:
    """A sendMessage the server acted on (the message reached the chat)."""

    chat: int
    text: str
    reply_to: int | None
    time: float
    response_lost: bool  # dropped after processing: the bot got an error


class FaultyBotApi(FakeBotApi):
    """The fake server with random faults on chosen methods (and a record of what it did)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.rng = random.Random(0)
        self.rates: dict[str, dict[str, float]] = {}
        self.active = False
        self.stopping = False  # the bot is being restarted
        self.fault_shutdown_poll = False
        self.injected: Counter[tuple[str, str]] = Counter()
        self.deliveries: list[Delivery] = []
        self.lost_sends: list[Delivery] = []  # sendMessage dropped before processing
        self.failed_sends: Counter[tuple[int, str]] = Counter()  # (chat, text) -> 502/429s
        self.shutdown_poll_faulted = 0

    def _draw(self, method: str, params: dict[str, Any]) -> str | None:
        if (
            method == "getUpdates"
            and self.stopping
            and self.fault_shutdown_poll
            and not float(params.get("timeout") or 0)
        ):
            return "502"
        rates = self.rates.get(method) if self.active else None
        if not rates:
            return None
        roll = self.rng.random()
        for fault, rate in rates.items():
            if roll < rate:
                return fault
            roll -= rate
        return None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if method not in self.rates or request.match_info["token"] != self.token:
            return await super()._handle(request)
        params = await self._params(request)
        fault = self._draw(method, params)
        if fault is None:
            return await self._serve(method, params)
        self.injected[(method, fault)] += 1
        chat = params.get("chat_id")
        text = str(params.get("text", ""))
        if method == "getUpdates" and self.stopping and not float(params.get("timeout") or 0):
            self.shutdown_poll_faulted += fault != "slow"
        if fault == "slow":
            await asyncio.sleep(self.rng.uniform(0.2, 1.0))
            return await self._serve(method, params)
        call = Call(method, params, time.perf_counter())
        self.calls.append(call)
        if fault in ("502", "429"):
            if method == "sendMessage" and isinstance(chat, int):
                self.failed_sends[(chat, text)] += 1
            if fault == "429":
                return self._error(
                    call, 429, "Too Many Requests: retry after 1", {"retry_after": 1}
                )
            return self._error(call, 502, "Bad Gateway")
        if fault == "drop-after":  # act on it, then lose the response
            await self._act(method, params, call, response_lost=True)
        elif method == "sendMessage" and isinstance(chat, int):
            self.lost_sends.append(Delivery(chat, text, _reply_to(params), call.time, False))
        call.status = 0
        assert request.transport is not None
        request.transport.abort()
        raise asyncio.CancelledError  # aiohttp drops the request quietly

    async def _act(
        self, method: str, params: dict[str, Any], call: Call, *, response_lost: bool = False
    ) -> Any:
        result = await getattr(self, f"_api_{method}")(params)
        call.result = result
        if method == "sendMessage" and isinstance(params.get("chat_id"), int):
            self.deliveries.append(
                Delivery(
                    params["chat_id"],
                    str(params.get("text", "")),
                    _reply_to(params),
                    time.perf_counter(),
                    response_lost,
                )
            )
        return result

    async def _serve(self, method: str, params: dict[str, Any]) -> web.Response:
        call = Call(method, params, time.perf_counter())
        self.calls.append(call)
        result = await self._act(method, params, call)
        return web.json_response({"ok": True, "result": result})


def _reply_to(params: dict[str, Any]) -> int | None:
    reply = params.get("reply_parameters")
    if isinstance(reply, dict) and isinstance(reply.get("message_id"), int):
        return int(reply["message_id"])
    return params.get("reply_to_message_id")


@dataclasses.dataclass
class Chat:
    """One chat's script, and what happened to it."""

    id: int
    lang: str  # the user's Telegram language
    texts: list[str]
    message_ids: list[int] = dataclasses.field(default_factory=list)
    update_ids: list[int] = dataclasses.field(default_factory=list)
    expected: list[str] = dataclasses.field(default_factory=list)

    @property
    def group(self) -> bool:
        return self.id < 0


def script(chat_id: int, messages: int, rng: random.Random) -> Chat:
    """A chat's messages: questions (some with their follow-up), commands, a few off-topic."""
    lang = rng.choice(("en", "tr"))
    group = chat_id < 0
    texts: list[str] = []
    if not group and rng.random() < 0.5:
        texts.append("/start")
    while len(texts) < messages:
        roll = rng.random()
        if roll < 0.12 and not group:
            texts.append(rng.choice(COMMANDS))
        elif roll < 0.2:
            texts.append(rng.choice(OFF_TOPIC)[1])
        else:
            entry = rng.choice(QUESTIONS)
            texts.extend(entry[1:])
    texts = texts[:messages]
    if group:
        texts = [
            f"@{BOT_USERNAME} {t}" if i % 2 else f"{t} @{BOT_USERNAME}" for i, t in enumerate(texts)
        ]
    return Chat(chat_id, lang, texts)


def replay(engine: Engine, chat: Chat) -> list[str]:
    """What the adapter should answer to each message, in order (its _turn, on a local engine)."""
    state: dict[str, Any] | None = None
    expected = []
    for raw in chat.texts:
        text = raw[:MAX_INPUT_CHARS]
        if chat.group:
            text = re.sub(rf"(?i)@{re.escape(BOT_USERNAME)}\b", " ", text).strip()
        if raw.split()[0] == "/start":
            session = Session(engine, {**(state or {}), "lang": chat.lang})
            answer = session.ask("/start")
            greeting = engine.gettext(GREETING, session.lang)
            reply = render.for_chat(
                replace(answer, text=f"{greeting} {answer.text}"), engine.gettext
            )
        else:
            if state is None:
                state = {"lang": chat.lang}
            session = Session(engine, state)
            reply = render.for_chat(session.ask(text), engine.gettext)
        state = session.state
        expected.append(reply or "…")
    return expected


class LogCounter(logging.Handler):
    """Counts the adapter's and python-telegram-bot's warnings and errors by message."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "retry" in message and record.name == "bot.serve.telegram" and "reply failed" in message:
            key = "a reply was retried (502/503/connect error)"
        elif "error while handling an update" in message:
            key = "a reply failed for good: " + message.split(": ", 1)[-1][:70]
        elif "fetching updates failed" in message:
            key = "getUpdates failed (python-telegram-bot polls again)"
        elif "one more time to mark all fetched updates" in message:
            key = "the shutdown getUpdates (confirming fetched updates) failed"
        else:
            key = f"{record.levelname} {record.name}: {message[:90]}"
        self.counts[key] += 1


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def run(args: argparse.Namespace) -> int:
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        os.environ.pop(name, None)
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    counter = LogCounter()  # the bot's warnings and errors are counted, not printed
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(counter)
    root.setLevel(logging.WARNING)
    for name in ("httpx", "aiohttp.access", "aiohttp.server"):
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)

    begun = time.perf_counter()
    rng = random.Random(args.seed)
    engine = Engine.load()
    chats = [
        script(number if number % 2 else -number, args.messages, rng)
        for number in range(1, args.chats + 1)
    ]
    for chat in chats:
        chat.expected = replay(engine, chat)
    total = args.chats * args.messages

    api = FaultyBotApi(TOKEN, max_poll=0.5)
    api.rng = random.Random(args.seed + 1)
    api.fault_shutdown_poll = args.fault_shutdown_poll
    api.rates = {
        "getUpdates": {"502": 0.02, "429": 0.005, "slow": 0.04, "drop-before": 0.01, "drop-after": 0.01},
        "sendMessage": {"502": 0.02, "429": 0.004, "slow": 0.03, "drop-before": 0.005, "drop-after": 0.005},
    }  # fmt: skip
    if args.no_faults:
        api.rates = {method: {} for method in api.rates}
    await api.start()
    restart: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="kzbot-soak-") as data_dir:
        settings = Settings(
            token=TOKEN,
            base_url=api.base_url,
            data_dir=Path(data_dir),
            poll_timeout=1.0,
            flood_burst=args.messages + 1,
            rate_limit=False,
        )

        def new_app() -> App:
            return build_application(settings, engine, JsonFileStore(settings.data_dir))

        app = new_app()
        await start_app(app, settings)
        api.active = True
        started = time.perf_counter()
        restarting: asyncio.Task[None] | None = None
        try:
            order = [(turn, chat) for turn in range(args.messages) for chat in chats]
            for count, (turn, chat) in enumerate(order, 1):
                text = chat.texts[turn]
                update_id = api.message(
                    chat.id,
                    text,
                    language_code=chat.lang,
                    chat_type="group" if chat.group else "private",
                )
                chat.update_ids.append(update_id)
                chat.message_ids.append(api.pushed[update_id]["message"]["message_id"])
                if count == total // 2:  # the restart runs while the updates keep coming
                    restart["at"] = time.perf_counter() - started

                    async def restart_bot() -> None:
                        nonlocal app
                        t0 = time.perf_counter()
                        api.stopping = True
                        await stop_app(app)
                        api.stopping = False
                        restart["stopped"] = time.perf_counter() - t0
                        app = new_app()
                        await start_app(app, settings)
                        restart["down"] = time.perf_counter() - t0

                    restarting = asyncio.create_task(restart_bot())
                await asyncio.sleep(max(0.0, started + count / args.rate - time.perf_counter()))
            pushed = time.perf_counter() - started
            if restarting is not None:
                await restarting
            # drain: until every message is answered or lost for a known reason, or quiet
            drain_until = min(time.perf_counter() + 60, begun + DEADLINE)
            last, quiet_since = -1, time.perf_counter()
            while time.perf_counter() < drain_until:
                done = len(api.deliveries) + len(api.lost_sends)
                if done != last:
                    last, quiet_since = done, time.perf_counter()
                if done >= total and time.perf_counter() - quiet_since > 2:
                    break
                if time.perf_counter() - quiet_since > 15:
                    break
                await asyncio.sleep(0.1)
            elapsed = time.perf_counter() - started
        finally:
            api.active = False
            await stop_app(app)
            await api.stop()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux

    # -- attribution ----------------------------------------------------------------
    by_chat: dict[int, list[Delivery]] = defaultdict(list)
    for delivery in api.deliveries:
        by_chat[delivery.chat].append(delivery)
    lost_by_chat: dict[int, list[Delivery]] = defaultdict(list)
    for attempt in api.lost_sends:
        lost_by_chat[attempt.chat].append(attempt)
    answered = twice = violations = chats_out_of_order = unattributed = wrong_text = 0
    lost_ambiguous = 0
    lost_other: list[str] = []
    latencies: list[float] = []
    timeline: dict[int, list[float]] = defaultdict(list)  # by 10 s of arrival time
    response_lost_delivered = 0
    for chat in chats:
        replies = by_chat.get(chat.id, [])
        done: dict[int, Delivery] = {}
        pointer, highest, broken = 0, -1, False
        for reply in replies:
            index: int | None = None
            if chat.group:
                if reply.reply_to in chat.message_ids:
                    index = chat.message_ids.index(reply.reply_to)
                    wrong_text += reply.text != chat.expected[index]
            else:
                ahead = [
                    i
                    for i in range(pointer, len(chat.texts))
                    if i not in done and chat.expected[i] == reply.text
                ]
                skipped = [
                    i for i in range(pointer) if i not in done and chat.expected[i] == reply.text
                ]
                again = [i for i in done if chat.expected[i] == reply.text]
                index = (
                    ahead[0] if ahead else skipped[0] if skipped else again[-1] if again else None
                )
            if index is None:
                unattributed += 1
                continue
            if index in done:
                twice += 1
                continue
            done[index] = reply
            answered += 1
            response_lost_delivered += reply.response_lost
            latencies.append(reply.time - api.offered[chat.update_ids[index]])
            timeline[int((api.offered[chat.update_ids[index]] - started) // 10)].append(
                latencies[-1]
            )
            if index < highest:
                violations += 1
                broken = True
            highest = max(highest, index)
            pointer = max(pointer, index + 1)
        chats_out_of_order += broken
        dropped = list(lost_by_chat.get(chat.id, []))
        for index in range(len(chat.texts)):
            if index in done:
                continue
            match = next(
                (
                    d
                    for d in dropped
                    if (
                        d.reply_to == chat.message_ids[index]
                        if chat.group
                        else d.text == chat.expected[index]
                    )
                ),
                None,
            )
            if match is not None:
                dropped.remove(match)
                lost_ambiguous += 1
            else:
                failures = api.failed_sends.get((chat.id, chat.expected[index]), 0)
                lost_other.append(
                    f"chat {chat.id} message {index + 1} {chat.texts[index]!r}"
                    f" ({failures} failed 502/429 attempts seen for this reply text)"
                )

    lost = total - answered
    rss = peak_kib / 1024
    print(
        f"soak: {args.chats} chats x {args.messages} messages ({args.chats // 2} private, "
        f"{args.chats - args.chats // 2} groups), arriving at {args.rate:g}/s, "
        f"Telegram rate limits off, seed {args.seed}"
    )
    print(
        f"pushed in {pushed:.1f} s; finished after {elapsed:.1f} s "
        f"(wall clock {time.perf_counter() - begun:.1f} s)"
    )
    if restart:
        print(
            f"restart: stop requested at {restart['at']:.1f} s; clean stop took "
            f"{restart.get('stopped', float('nan')):.2f} s; new bot polling "
            f"{restart.get('down', float('nan')):.2f} s after the stop request"
        )
    print()
    print(f"messages sent:               {total}")
    print(f"messages answered:           {answered}")
    print(
        f"  of which the bot saw a dropped connection but the reply had arrived: {response_lost_delivered}"
    )
    print(f"answered twice:              {twice}")
    print(f"lost:                        {lost}")
    print(
        f"  lost to sendMessage drops before processing (ambiguous to the bot, not retried): {lost_ambiguous}"
    )
    print(f"  lost for any other reason: {lost - lost_ambiguous}")
    for line in lost_other[:10]:
        print(f"    {line}")
    print(f"unattributable replies:      {unattributed}")
    print(f"replies with the wrong text: {wrong_text} (groups, where the reply names its message)")
    print(
        f"per-chat order preserved:    {'yes' if not violations else 'no'} "
        f"({violations} violations in {chats_out_of_order} chats)"
    )
    if latencies:
        print(
            f"reply time (update offered -> reply received): median "
            f"{statistics.median(latencies) * 1000:.0f} ms, p99 {percentile(latencies, 0.99) * 1000:.0f} ms, "
            f"max {max(latencies) * 1000:.0f} ms"
        )
    if args.timeline:
        for window, values in sorted(timeline.items()):
            print(
                f"  arrived {window * 10:3d}-{window * 10 + 10:3d} s: median "
                f"{statistics.median(values) * 1000:6.0f} ms, p99 {percentile(values, 0.99) * 1000:6.0f} ms"
            )
    print(f"peak memory (maxrss, bot and fake server in one process): {rss:.0f} MiB")
    print()
    print("faults injected (method, fault: count):")
    for method in api.rates:
        row = ", ".join(f"{fault} {api.injected[(method, fault)]}" for fault in FAULTS)
        print(f"  {method:12} {row}")
    pauses = sum(n for (_, fault), n in api.injected.items() if fault == "429")
    if pauses:
        print(
            f"  each 429 halts *all* of the bot's requests for retry_after + 0.1 s "
            f"(python-telegram-bot's AIORateLimiter): about {pauses * 1.1:.0f} s of pauses"
        )
    calls = Counter(c.method for c in api.calls)
    print(
        f"  (out of {calls['getUpdates']} getUpdates and {calls['sendMessage']} sendMessage requests)"
    )
    if api.stopping or args.fault_shutdown_poll or api.shutdown_poll_faulted:
        print(
            f"  the getUpdates made while stopping was failed: {api.shutdown_poll_faulted} time(s)"
        )
    print()
    print("what the bot logged (warnings and errors, counted):")
    for key, number in counter.counts.most_common(12):
        print(f"  {number:5d}  {key}")
    ok = twice == 0 and violations == 0 and unattributed == 0 and wrong_text == 0
    ok = ok and lost == lost_ambiguous
    print()
    print(
        "verdict: "
        + (
            "OK (every loss is a reply dropped before the server processed it)"
            if ok and lost
            else "OK"
            if ok
            else "PROBLEMS (see above)"
        )
    )
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--messages", type=int, default=25)
    parser.add_argument("--rate", type=float, default=50.0, help="messages per second")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-faults", action="store_true", help="no faults (the restart remains)")
    parser.add_argument(
        "--fault-shutdown-poll",
        action="store_true",
        help="fail the getUpdates call that confirms fetched updates while the bot stops",
    )
    parser.add_argument("--timeline", action="store_true", help="reply times per 10 s of arrivals")
    args = parser.parse_args()
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
