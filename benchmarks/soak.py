"""Soak test of the production setup: two webhook workers on one Redis, one killed mid-run.

    .venv/bin/python benchmarks/soak.py [--chats 60] [--messages 15] [--rate 60] [--down 3]
        [--seed 1] [--no-faults] [--json] [--dump FILE]

What runs, all on 127.0.0.1 and all started (and stopped, by PID) here:

* a real ``redis-server`` (``--appendonly yes --appendfsync everysec``, the
  production setting) on a free port;
* the fake Bot API server (tests/telegram/fakeserver.py), in this process,
  which receives the bots' replies; with faults on (the default) it fails
  about 1% of sendMessage calls with HTTP 502 (safe to retry: the bot does),
  0.2% with 429 (retry_after 1 s: waited out and retried) and 0.5% with a
  dropped connection *before* acting (the message is not delivered; the bot
  cannot tell this from a drop after delivery, so by design it does not
  retry: an "ambiguous" send failure, a lost reply it counts in
  ``kzbot_send_failures_total{kind="ambiguous"}``);
* two bot processes, ``python -m bot telegram --store redis://...
  --webhook-url https://example.org/telegram --no-set-webhook ...`` on two
  ports, exactly as deployed behind a load balancer (Telegram's own rate
  limits on, as in production; flood control relaxed to 1000/1000, since its
  "slow down" is a deliberate non-answer);
* Telegram's webhook sender (tests/telegram/sender.py): one queue per chat,
  a chat's next update POSTed only after a 2xx for the one before, anything
  else sent again with back-off, round robin over both workers' URLs.

CHATS private chats x MESSAGES messages (English and Turkish questions,
follow-ups such as "and in 2015?" and "peki ihracat?", commands such as
``/lang tr`` and ``/help``, a few off-topic) arrive at a steady RATE per
second, turn by turn across the chats. Half-way through, worker A is killed
with SIGKILL (no clean shutdown: its in-flight turns, connections and
counters die with it) and started again DOWN seconds later, while updates
keep arriving.

Each worker's rate limiter (python-telegram-bot's, 30 messages/s) is on, so at
the default 60/s the two workers run at their combined cap: a pause (a 429
holds all of a worker's sends for retry_after + 0.1 s) is not caught up until
the arrivals ease, and turns committed meanwhile wait for their replies.

Attribution: the conversation of each chat is replayed on a local engine to
know the text that answers each message; a reply is matched to a message of
its chat with that text during one of whose POSTs it arrived (a worker
answers 2xx only after its reply went), the earliest unanswered first.
``--dump FILE`` writes every POST and sendMessage for a post-mortem. Reported: updates sent, answered, lost (no reply
ever arrived), split into dropped-connection sends (seen at the fake server,
the workers' ambiguous counters agree) and turns in flight on the killed
worker (committed, so the retry is a duplicate, but the reply never went);
replies duplicated (a message answered twice, or a chat with more replies
than messages); replies that match no expected text; per-chat order
violations (a reply for an earlier message after a later one's, or a reply
before its update was first sent); reply time from the update's first POST
to its reply reaching the server (p50/p99/max, overall and by phase); the
sender's retries; the workers' outcome counters (/metrics) and peak RSS
(VmHWM, read from /proc before each worker is stopped or killed).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "telegram"))
sys.path.insert(0, str(ROOT / "tests" / "support"))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from fakeserver import FakeBotApi  # noqa: E402
from sender import WebhookSender  # noqa: E402
from servers import free_port, local_only, stop_pid, wait_for_port  # noqa: E402

from bot import Engine, Session  # noqa: E402
from bot.lang import MAX_INPUT_CHARS  # noqa: E402
from bot.serve import render  # noqa: E402
from bot.serve.telegram.app import GREETING  # noqa: E402

TOKEN = "123456789:AAHsoakTOKEN_abcdefghijklmnopqrst"
SECRET = "soak-webhook-secret_0123456789"
WEBHOOK_URL = "https://example.org/telegram"
DEADLINE = 170.0  # seconds: the whole run gives up by itself within three minutes

#: (language, question[, follow-up, ...]): follow-ups are asked right after their lead.
QUESTIONS: list[tuple[str, ...]] = [
    ("en", "What was the trade volume in 2016?", "and in 2015?", "how much of that was exports?"),
    ("tr", "2016'da ticaret hacmi ne kadardı?", "peki ihracat?", "peki ithalat?"),
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
    ("tr", "Türkiye Kazakistan'a ne kadar ihracat yaptı?", "peki ithalat?"),
]  # fmt: skip
COMMANDS = ["/help", "/lang tr", "/lang en", "/topics", "/source", "/help", "/lang tr"]
OFF_TOPIC = [
    "what is the weather like in Ankara?",
    "trade between Turkey and Brazil",
    "Brezilya'nın başkenti neresi?",
    "asdf qwerty zxcv",
]
#: sendMessage faults (probability per call) with --faults (the default).
FAULT_RATES = {"502": 0.01, "429": 0.002, "drop": 0.005}


# -- the fake Bot API, with random faults ---------------------------------------------------


class FaultyBotApi(FakeBotApi):
    """The fake server, failing a random few sendMessage calls (recorded in ``calls``)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.rng = random.Random(0)
        self.rates: dict[str, float] = {}

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["method"] == "sendMessage" and self.rates:
            roll = self.rng.random()
            for fault, rate in self.rates.items():
                if roll < rate:
                    self._faults.setdefault("sendMessage", []).insert(0, fault)
                    break
                roll -= rate
        return await super()._handle(request)


@dataclass
class Attempt:
    update: int
    url: str
    status: int
    start: float
    end: float


class TimedSender(WebhookSender):
    """Telegram's webhook sender, also recording when each attempt started and ended."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.timed: list[Attempt] = []
        self.first: dict[int, float] = {}

    async def _post(self, update: dict[str, Any]) -> bool:
        update_id = int(update["update_id"])
        start = time.perf_counter()
        self.first.setdefault(update_id, start)
        ok = await super()._post(update)
        _, url, status = self.attempts[-1]  # appended just before the return: no await between
        self.timed.append(Attempt(update_id, url, status, start, time.perf_counter()))
        return ok


# -- the chats ----------------------------------------------------------------------------


@dataclass
class Chat:
    id: int
    lang: str  # the user's Telegram language
    texts: list[str]
    expected: list[str] = field(default_factory=list)
    update_ids: list[int] = field(default_factory=list)


def script(chat_id: int, messages: int, rng: random.Random) -> Chat:
    """A chat's messages: questions with their follow-ups, commands, a few off-topic."""
    lang = rng.choice(("en", "tr"))
    texts: list[str] = []
    if rng.random() < 0.3:
        texts.append("/start")
    while len(texts) < messages:
        roll = rng.random()
        if roll < 0.15:
            texts.append(rng.choice(COMMANDS))
        elif roll < 0.22:
            texts.append(rng.choice(OFF_TOPIC))
        else:
            texts.extend(rng.choice(QUESTIONS)[1:])
    return Chat(chat_id, lang, texts[:messages])


def replay(engine: Engine, chat: Chat) -> list[str]:
    """What the bot should answer to each message, in order (its turn, on a local engine)."""
    state: dict[str, Any] | None = None
    expected = []
    for raw in chat.texts:
        text = raw[:MAX_INPUT_CHARS]
        if raw.split()[0] == "/start":
            session = Session(engine, {**(state or {}), "lang": chat.lang})
            answer = session.ask("/start")
            greeting = engine.gettext(GREETING, session.lang)
            reply = render.for_chat(
                replace(answer, text=f"{greeting} {answer.text}"), engine.gettext
            )
        else:
            session = Session(engine, state if state is not None else {"lang": chat.lang})
            reply = render.for_chat(session.ask(text), engine.gettext)
        state = session.state
        expected.append(reply or "…")
    return expected


# -- processes ------------------------------------------------------------------------------


def vm_hwm_mib(pid: int) -> float:
    """Peak resident set size of a live process (VmHWM), MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def stop_process(process: subprocess.Popen[bytes], timeout: float = 15.0) -> int | None:
    """SIGTERM to this PID, SIGKILL after ``timeout``; its exit code."""
    if process.poll() is None:
        stop_pid(process, timeout)
    return process.returncode


@dataclass
class Worker:
    name: str
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"

    def start(self, env: dict[str, str], store: str) -> None:
        command = [
            sys.executable, "-m", "bot", "telegram",
            "--store", store, "--webhook-url", WEBHOOK_URL,
            "--listen", "127.0.0.1", "--port", str(self.port), "--no-set-webhook",
            "--flood-burst", "1000", "--flood-rate", "1000", "--log-level", "WARNING",
        ]  # fmt: skip
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log
            )
        self.started_at = time.perf_counter()


async def wait_ready(http: aiohttp.ClientSession, worker: Worker, timeout: float = 60.0) -> float:
    """Seconds until the worker's /readyz says ready."""
    assert worker.process is not None
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if worker.process.poll() is not None:
            raise RuntimeError(
                f"worker {worker.name} exited with {worker.process.returncode}; see {worker.log}"
            )
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            async with http.get(f"http://127.0.0.1:{worker.port}/readyz") as response:
                if response.status == 200:
                    return time.perf_counter() - worker.started_at
        await asyncio.sleep(0.05)
    raise TimeoutError(f"worker {worker.name} not ready after {timeout} s")


_METRIC = re.compile(r"^(kzbot_[a-z_]+)(?:\{([^}]*)\})? ([0-9.eE+-]+)$")


async def scrape(http: aiohttp.ClientSession, worker: Worker) -> dict[str, float]:
    """The worker's kzbot_* counters: 'name{labels}' -> value ({} if it does not answer)."""
    try:
        async with http.get(f"http://127.0.0.1:{worker.port}/metrics") as response:
            text = await response.text()
    except (aiohttp.ClientError, TimeoutError):
        return {}
    values: dict[str, float] = {}
    for line in text.splitlines():
        match = _METRIC.match(line)
        if match and not match.group(1).endswith(("_created", "_bucket")):
            values[f"{match.group(1)}{{{match.group(2) or ''}}}"] = float(match.group(3))
    return values


def counter(metrics: dict[str, float], name: str, **labels: str) -> float:
    wanted = [f'{k}="{v}"' for k, v in labels.items()]
    return sum(
        value
        for key, value in metrics.items()
        if key.startswith(name + "{") and all(w in key for w in wanted)
    )


def outcomes(metrics: dict[str, float]) -> dict[str, int]:
    found: dict[str, int] = {}
    for key, value in metrics.items():
        if key.startswith("kzbot_updates_total{"):
            match = re.search(r'outcome="([^"]+)"', key)
            if match:
                found[match.group(1)] = int(value)
    return found


def log_summary(path: Path) -> Counter[str]:
    """Warnings and errors in a worker's JSON log lines, by message (numbers blanked)."""
    counts: Counter[str] = Counter()
    with contextlib.suppress(OSError):
        for line in path.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
                level, message = record.get("level", "?"), str(record.get("message", ""))
            except ValueError:
                level, message = "raw", line
            if level in ("INFO", "DEBUG"):
                continue
            message = re.sub(r"-?\d+(\.\d+)?", "N", message)[:110]
            counts[f"{level} {message}"] += 1
    return counts


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


# -- the run ----------------------------------------------------------------------------------


async def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    begun = time.perf_counter()
    rng = random.Random(args.seed)
    engine = Engine.load()
    chats = [script(1000 + n, args.messages, rng) for n in range(1, args.chats + 1)]
    for chat in chats:
        chat.expected = replay(engine, chat)
    total = args.chats * args.messages

    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    redis_port = free_port()
    (tmp / "redis").mkdir()
    redis = subprocess.Popen(
        [binary, "--port", str(redis_port), "--bind", "127.0.0.1", "--dir", str(tmp / "redis"),
         "--save", "", "--appendonly", "yes", "--appendfsync", "everysec",
         "--protected-mode", "yes", "--maxmemory-policy", "noeviction", "--loglevel", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    processes: list[subprocess.Popen[bytes]] = [redis]
    api = FaultyBotApi(TOKEN, max_poll=0.5)
    api.rng = random.Random(args.seed + 1)
    workers = [Worker(name, free_port(), tmp / f"worker-{name}.log") for name in ("A", "B")]
    result: dict[str, Any] = {}
    try:
        wait_for_port(redis_port)
        store = f"redis://127.0.0.1:{redis_port}/0"
        await api.start()
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("TELEGRAM_") and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")
        }  # fmt: skip
        env.update(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_BASE_URL=api.base_url,
            TELEGRAM_WEBHOOK_SECRET=SECRET,
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
        )
        for worker in workers:
            worker.start(env, store)
            assert worker.process is not None
            processes.append(worker.process)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
            startup = [await wait_ready(http, worker) for worker in workers]
            if not args.no_faults:
                api.rates = dict(FAULT_RATES)
            killed: dict[str, Any] = {}
            sender = TimedSender([w.url for w in workers], SECRET)
            async with sender:
                started = time.perf_counter()

                async def kill_and_restart() -> None:
                    victim = workers[0]
                    assert victim.process is not None
                    killed["metrics_before"] = {w.name: await scrape(http, w) for w in workers}
                    killed["rss_mib"] = vm_hwm_mib(victim.process.pid)
                    killed["pid"] = victim.process.pid
                    os.kill(victim.process.pid, signal.SIGKILL)
                    killed["at"] = time.perf_counter()
                    await asyncio.to_thread(victim.process.wait)
                    await asyncio.sleep(args.down)
                    victim.start(env, store)
                    assert victim.process is not None
                    processes.append(victim.process)
                    killed["restarted"] = time.perf_counter()
                    killed["ready_after"] = await wait_ready(http, victim)
                    killed["ready"] = time.perf_counter()

                order = [(turn, chat) for turn in range(args.messages) for chat in chats]
                killing: asyncio.Task[None] | None = None
                for count, (turn, chat) in enumerate(order, 1):
                    update_id = api.message(chat.id, chat.texts[turn], language_code=chat.lang)
                    chat.update_ids.append(update_id)
                    sender.send(chat.id, api.update(update_id))
                    if count == total // 2:
                        killing = asyncio.create_task(kill_and_restart())
                    await asyncio.sleep(max(0.0, started + count / args.rate - time.perf_counter()))
                pushed = time.perf_counter() - started
                if killing is not None:
                    await killing
                budget = max(5.0, DEADLINE - (time.perf_counter() - begun))
                drained = True
                try:
                    await asyncio.wait_for(sender.drained(), budget)
                except TimeoutError:
                    drained = False
                await asyncio.sleep(1.0)  # a late (duplicate) reply would arrive now
                finished = time.perf_counter() - started
            api.rates = {}
            end_metrics = {w.name: await scrape(http, w) for w in workers}
        rss = {}
        for worker in workers:
            assert worker.process is not None
            rss[worker.name] = vm_hwm_mib(worker.process.pid)
        rss["redis"] = vm_hwm_mib(redis.pid)
        exits = {}
        for worker in workers:  # in a thread: the fake server keeps answering meanwhile
            assert worker.process is not None
            exits[worker.name] = await asyncio.to_thread(stop_process, worker.process)
        result = analyse(
            args, chats, api, sender, workers, killed, end_metrics, rss, exits,
            started=started, pushed=pushed, finished=finished, drained=drained, startup=startup,
        )  # fmt: skip
        result["wall_seconds"] = time.perf_counter() - begun
        if args.dump is not None:
            dump(args.dump, chats, api, sender, workers, killed, started)
    finally:
        for process in reversed(processes):
            stop_process(process)
        await api.stop()
    return result


def dump(
    path: Path,
    chats: list[Chat],
    api: FaultyBotApi,
    sender: TimedSender,
    workers: list[Worker],
    killed: dict[str, Any],
    started: float,
) -> None:
    """Everything that happened, for a post-mortem (times in seconds from the first update)."""
    names = {w.url: w.name for w in workers}
    data = {
        "kill_at": killed.get("at", started) - started,
        "ready_at": killed.get("ready", started) - started,
        "chats": [
            {
                "id": c.id,
                "lang": c.lang,
                "messages": [
                    {"text": t, "expected": e, "update": u, "first_sent": sender.first.get(u, 0) - started}
                    for t, e, u in zip(c.texts, c.expected, c.update_ids, strict=True)
                ],
            }
            for c in chats
        ],
        "send_message_calls": [
            {"chat": c.params.get("chat_id"), "status": c.status, "time": c.time - started,
             "text": c.params.get("text")}
            for c in api.calls if c.method == "sendMessage"
        ],
        "webhook_attempts": [
            {"update": a.update, "worker": names.get(a.url), "status": a.status,
             "start": a.start - started, "end": a.end - started}
            for a in sender.timed
        ],
        "worker_logs": {w.name: w.log.read_text(errors="replace") for w in workers},
    }  # fmt: skip
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1))


def analyse(
    args: argparse.Namespace,
    chats: list[Chat],
    api: FaultyBotApi,
    sender: TimedSender,
    workers: list[Worker],
    killed: dict[str, Any],
    end_metrics: dict[str, dict[str, float]],
    rss: dict[str, float],
    exits: dict[str, int | None],
    *,
    started: float,
    pushed: float,
    finished: float,
    drained: bool,
    startup: list[float],
) -> dict[str, Any]:
    total = sum(len(c.texts) for c in chats)
    kill_at = killed.get("at", float("inf"))
    ready_at = killed.get("ready", float("inf"))
    victim_url = workers[0].url
    attempts_by_update: dict[int, list[Attempt]] = defaultdict(list)
    for attempt in sender.timed:
        attempts_by_update[attempt.update].append(attempt)
    sends = [c for c in api.calls if c.method == "sendMessage"]
    replies_by_chat: dict[int, list[Any]] = defaultdict(list)
    dropped_by_chat: dict[int, list[Any]] = defaultdict(list)
    for call in sends:
        chat_id = call.params.get("chat_id")
        if call.ok:
            replies_by_chat[int(chat_id)].append(call)
        elif call.status == 0:
            dropped_by_chat[int(chat_id)].append(call)

    answered = twice = unattributed = violations = chats_broken = extra_chats = 0
    outside = early = 0  # replies attributed by text alone; replies before their update
    lost_dropped = lost_killed = 0
    lost_other: list[str] = []
    killed_examples: list[str] = []
    latencies: dict[str, list[float]] = {"all": [], "before": [], "kill": [], "after": []}
    for chat in chats:
        replies = replies_by_chat.get(chat.id, [])
        extra_chats += len(replies) > len(chat.texts)
        done: dict[int, Any] = {}
        highest, broken = -1, False
        for reply in replies:
            text = str(reply.params.get("text", ""))
            matches = [i for i in range(len(chat.texts)) if chat.expected[i] == text]
            # a worker answers 2xx only after its reply went: the reply arrives during a POST
            covered = [
                i
                for i in matches
                if any(
                    a.start - 0.05 <= reply.time <= a.end + 0.05
                    for a in attempts_by_update.get(chat.update_ids[i], [])
                )
            ]
            fresh = [i for i in covered if i not in done]
            loose = [i for i in matches if i not in done]
            if fresh:
                index = fresh[0]
            elif covered:  # a second reply during the POSTs of a message already answered
                twice += 1
                continue
            elif loose:  # matched by text alone: outside every POST of its message
                index = loose[0]
                outside += 1
            elif matches:
                twice += 1
                continue
            else:
                unattributed += 1
                continue
            if reply.time < sender.first[chat.update_ids[index]]:
                early += 1
            done[index] = reply
            answered += 1
            if index < highest:
                violations += 1
                broken = True
            highest = max(highest, index)
            sent_at = sender.first[chat.update_ids[index]]
            latency = reply.time - sent_at
            phase = "before" if sent_at < kill_at else "kill" if sent_at < ready_at + 5 else "after"
            latencies["all"].append(latency)
            latencies[phase].append(latency)
        chats_broken += broken
        dropped = list(dropped_by_chat.get(chat.id, []))
        for index in range(len(chat.texts)):
            if index in done:
                continue
            match = next((d for d in dropped if d.params.get("text") == chat.expected[index]), None)
            if match is not None:
                dropped.remove(match)
                lost_dropped += 1
                continue
            in_flight = any(
                a.url == victim_url and a.status == 0 and a.start <= kill_at <= a.end + 0.05
                for a in attempts_by_update.get(chat.update_ids[index], [])
            )
            tried = ", ".join(
                f"{'A' if a.url == victim_url else 'B'} {a.status} at {a.start - started:.2f}"
                f"-{a.end - started:.2f} s"
                for a in attempts_by_update.get(chat.update_ids[index], [])
            )
            if in_flight:
                lost_killed += 1
                killed_examples.append(f"update {chat.update_ids[index]}: {tried}")
                continue
            lost_other.append(
                f"chat {chat.id} message {index + 1} {chat.texts[index]!r} "
                f"(update {chat.update_ids[index]}; webhook attempts: {tried})"
            )
    lost = total - answered

    status_counts = Counter(a.status for a in sender.timed)
    before = killed.get("metrics_before", {})
    ambiguous = {
        "A before the kill": counter(
            before.get("A", {}), "kzbot_send_failures_total", kind="ambiguous"
        ),
        "B at the end": counter(
            end_metrics.get("B", {}), "kzbot_send_failures_total", kind="ambiguous"
        ),
        "A (restarted) at the end": counter(
            end_metrics.get("A", {}), "kzbot_send_failures_total", kind="ambiguous"
        ),
    }
    faults = Counter(c.status for c in sends if not c.ok)
    logs = {w.name: log_summary(w.log) for w in workers}
    return {
        "config": {
            "chats": args.chats,
            "messages": args.messages,
            "rate": args.rate,
            "down": args.down,
            "seed": args.seed,
            "faults": {} if args.no_faults else FAULT_RATES,
        },
        "timing": {
            "startup_s": startup,
            "pushed_s": pushed,
            "finished_s": finished,
            "drained": drained,
            "kill_at_s": kill_at - started if "at" in killed else None,
            "restarted_at_s": killed["restarted"] - started if "restarted" in killed else None,
            "restart_ready_after_s": killed.get("ready_after"),
        },
        "sent": total,
        "answered": answered,
        "lost": lost,
        "lost_dropped_send": lost_dropped,
        "lost_in_flight_on_killed_worker": lost_killed,
        "lost_in_flight_examples": killed_examples,
        "lost_unexplained": len(lost_other),
        "lost_unexplained_examples": lost_other[:10],
        "ambiguous_send_failures_metrics": ambiguous,
        "dropped_sends_at_server": sum(len(v) for v in dropped_by_chat.values()),
        "send_faults_at_server": {str(k): v for k, v in sorted(faults.items())},
        "answered_twice": twice,
        "chats_with_more_replies_than_messages": extra_chats,
        "unattributed_replies": unattributed,
        "replies_outside_their_posts": outside,
        "replies_before_their_update": early,
        "order_violations": violations,
        "chats_out_of_order": chats_broken,
        "latency_ms": {
            phase: {
                "n": len(values),
                "p50": statistics.median(values) * 1000 if values else None,
                "p99": percentile(values, 0.99) * 1000 if values else None,
                "max": max(values) * 1000 if values else None,
            }
            for phase, values in latencies.items()
        },
        "webhook_attempts": len(sender.timed),
        "webhook_statuses": {str(k): v for k, v in sorted(status_counts.items())},
        "outcomes": {
            "A before the kill": outcomes(before.get("A", {})),
            "B at the end": outcomes(end_metrics.get("B", {})),
            "A (restarted) at the end": outcomes(end_metrics.get("A", {})),
        },
        "peak_rss_mib": {
            "A (killed)": killed.get("rss_mib"),
            "A (restarted)": rss.get("A"),
            "B": rss.get("B"),
            "redis-server": rss.get("redis"),
        },
        "exit_codes": exits,
        "logs": {name: dict(c.most_common(8)) for name, c in logs.items()},
        "errors_logged": sum(
            n for c in logs.values() for line, n in c.items() if not line.startswith("WARNING")
        ),
    }


def report(r: dict[str, Any]) -> None:
    c, t = r["config"], r["timing"]
    faults = ", ".join(f"{k} {v:.1%}" for k, v in c["faults"].items()) or "none"
    print(
        f"Soak: {c['chats']} chats x {c['messages']} messages = {r['sent']} updates at "
        f"{c['rate']:g}/s, two webhook workers on one redis-server (appendonly everysec); "
        f"worker A SIGKILLed at {t['kill_at_s']:.1f} s, started again {c['down']:g} s later "
        f"(ready {t['restart_ready_after_s']:.1f} s after that); sendMessage faults: {faults}; "
        f"seed {c['seed']}."
    )
    print(
        f"Pushed in {t['pushed_s']:.1f} s; all answered or given up by {t['finished_s']:.1f} s"
        f"{'' if t['drained'] else ' (NOT drained: the sender still had updates)'}; "
        f"wall {r['wall_seconds']:.0f} s."
    )
    print()
    rows = [
        ("updates sent", r["sent"]),
        ("answered (a reply arrived)", r["answered"]),
        ("lost (no reply ever arrived)", r["lost"]),
        ("  of which sendMessage dropped before delivery (ambiguous, not retried by design)",
         r["lost_dropped_send"]),
        ("  of which in flight on the killed worker (committed, reply never sent)",
         r["lost_in_flight_on_killed_worker"]),
        ("  of which unexplained", r["lost_unexplained"]),
        ("answered twice", r["answered_twice"]),
        ("chats with more replies than messages", r["chats_with_more_replies_than_messages"]),
        ("replies matching no expected answer", r["unattributed_replies"]),
        ("per-chat order violations", f"{r['order_violations']} (in {r['chats_out_of_order']} chats)"),
        ("replies before their update was first sent", r["replies_before_their_update"]),
        ("replies arriving outside every POST of their update (matched by text alone)",
         r["replies_outside_their_posts"]),
    ]  # fmt: skip
    print("| measure | value |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    for phase, label in (
        ("all", "all updates"),
        ("before", "first sent before the kill"),
        ("kill", "first sent from the kill to 5 s after the restart was ready"),
        ("after", "first sent after that"),
    ):
        lat = r["latency_ms"][phase]
        if lat["n"]:
            print(
                f"| reply time, {label} (n={lat['n']}): p50 / p99 / max ms | "
                f"{lat['p50']:.0f} / {lat['p99']:.0f} / {lat['max']:.0f} |"
            )
    rss = r["peak_rss_mib"]
    print(
        f"| peak RSS (VmHWM) MiB: A killed / A restarted / B / redis-server | "
        f"{rss['A (killed)']:.1f} / {rss['A (restarted)']:.1f} / {rss['B']:.1f} / "
        f"{rss['redis-server']:.1f} |"
    )
    print()
    amb = r["ambiguous_send_failures_metrics"]
    print(
        "Ambiguous send failures counted by the workers (kzbot_send_failures_total"
        '{kind="ambiguous"}): '
        + ", ".join(f"{k} {v:.0f}" for k, v in amb.items())
        + f"; the fake server dropped {r['dropped_sends_at_server']} sendMessage calls in all "
        "(the killed worker's counts after its last scrape are lost with it)."
    )
    print(
        f"sendMessage faults at the server (status: count): {r['send_faults_at_server']}; "
        f"webhook attempts {r['webhook_attempts']} for {r['sent']} updates, by status "
        f"(0 = connection failed): {r['webhook_statuses']}."
    )
    for name, found in r["outcomes"].items():
        print(f"Outcomes, worker {name}: {found}")
    print(f"Exit codes at SIGTERM: {r['exit_codes']}")
    for name, lines in r["logs"].items():
        if lines:
            print(f"Worker {name} warnings and errors, by message:")
            for line, number in lines.items():
                print(f"  {number:5d}  {line}")
    for example in r["lost_unexplained_examples"]:
        print(f"  unexplained loss: {example}")
    ok = (
        r["lost_unexplained"] == 0
        and r["answered_twice"] == 0
        and r["unattributed_replies"] == 0
        and r["order_violations"] == 0
        and r["replies_before_their_update"] == 0
        and r["errors_logged"] == 0
        and r["timing"]["drained"]
    )
    print()
    print(
        "verdict: "
        + (
            "OK: nothing answered twice or out of order, no errors logged, and every lost reply "
            f"explained ({r['lost_in_flight_on_killed_worker']} in flight on the killed worker, "
            f"{r['lost_dropped_send']} dropped sends)"
            if ok
            else "PROBLEMS (see above)"
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=60)
    parser.add_argument("--messages", type=int, default=15)
    parser.add_argument("--rate", type=float, default=60.0, help="updates per second")
    parser.add_argument("--down", type=float, default=3.0, help="seconds before the restart")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-faults", action="store_true", help="no sendMessage faults")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--dump", type=Path, metavar="FILE", help="write every call and attempt here (JSON)"
    )
    args = parser.parse_args()
    local_only()
    logging.basicConfig(level=logging.WARNING)
    for name in ("aiohttp.server", "aiohttp.access"):
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    with tempfile.TemporaryDirectory(prefix="kzbot-soak-") as tmp:
        result = asyncio.run(run(args, Path(tmp)))
    if args.json:
        json.dump(result, sys.stdout, indent=2, default=str)
        print()
    else:
        report(result)
    bad = result["lost_unexplained"] or result["answered_twice"] or result["order_violations"]
    bad = bad or result["errors_logged"]
    return 1 if bad or result["unattributed_replies"] else 0


if __name__ == "__main__":
    sys.exit(main())
