"""Throughput of the Telegram bot against a bare python-telegram-bot echo bot, side by side.

    .venv/bin/python benchmarks/telegram_bench.py [--chats 50] [--messages 10] [--reps 3] [--json]

A burst of CHATS x MESSAGES messages (mixed English and Turkish questions) is
queued at once on the fake Bot API server (tests/telegram/fakeserver.py) and
answered, over HTTP on 127.0.0.1, by each of:

* ``echo``: a bare python-telegram-bot echo bot -- ``Application`` with
  ``concurrent_updates(True)``, its own updater polling (``poll_interval=0``),
  and one ``MessageHandler`` that replies the message's text. No state, no
  rate limiter: the ceiling of the library on this machine.
* ``sqlite-full``: this bot in polling mode (``bot.serve.telegram.Bot``) on
  the default SQLite store (``synchronous=FULL``: a committed turn survives a
  power cut, one fsync per turn).
* ``sqlite-normal``: the same on ``sqlite:///...?synchronous=NORMAL``.
* ``memory``: the same on ``memory:`` (no persistence: the cost of the rest).

Each bot runs in a process of its own (started fresh for every run, and
warmed up with one ``/start`` per chat before the burst), the fake server in
this one, so on 2 cores the bot has one to itself. Telegram's rate limits are
off and flood control relaxed (1000 at once, 1000/s) in this bot, so the
figures are capacities. The kinds run in turn, REPS times, in a rotated order
each time (interleaved, against drift and noise on shared cores); figures are
medians over the repetitions.

Measured per run: messages per second (the burst's size over the time from
queueing it to the last reply arriving at the server), reply time per
message (from the update being queued to its reply arriving: mostly queueing
in a burst; a chat's replies are paired with its messages in order), the bot
process's CPU time per message (user + system, from /proc) and its peak RSS
(VmHWM). The target (issue 11): this bot at >= 80% of the echo bot's rate.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "telegram"))
sys.path.insert(0, str(ROOT / "tests" / "support"))

from servers import local_only  # noqa: E402

TOKEN = "123456789:AAHbenchmarkTOKEN_abcdefghijklmnop"
KINDS = ("echo", "sqlite-full", "sqlite-normal", "memory")
LABELS = {
    "echo": "python-telegram-bot echo bot",
    "sqlite-full": "this bot, SQLite synchronous=FULL (default)",
    "sqlite-normal": "this bot, SQLite synchronous=NORMAL",
    "memory": "this bot, memory: store",
}
QUESTIONS = [
    ("en", "What was the trade volume in 2016?"),
    ("tr", "2016'da ticaret hacmi ne kadardı?"),
    ("en", "how much of that was exports?"),
    ("tr", "Kazakistan'ın bağımsızlığını ilk tanıyan ülke hangisi?"),
    ("en", "When was the High Level Strategic Cooperation Council set up?"),
    ("tr", "Yüksek Düzeyli Stratejik İşbirliği Konseyi ne zaman kuruldu?"),
    ("en", "How many students does the Yesevi university have?"),
    ("tr", "Türk firmalarının Kazakistan'daki yatırımları ne kadar?"),
    ("en", "What is the Turkic Council?"),
    ("tr", "merhaba"),
    ("en", "what is the weather like in Ankara?"),
    ("tr", "teşekkürler"),
]
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _quiet_env() -> None:
    local_only()
    os.environ.setdefault("PTB_TIMEDELTA", "1")


# -- the bots (each in a child process: `telegram_bench.py --serve KIND ...`) ---------------


async def _serve_echo(base_url: str, stop: asyncio.Event) -> None:
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is not None and message.text:
            await message.reply_text(message.text)

    app = ApplicationBuilder().token(TOKEN).base_url(base_url).concurrent_updates(True).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0)
    print("ready", flush=True)
    await stop.wait()
    await app.updater.stop()
    await app.stop()
    await app.shutdown()


async def _serve_ours(
    base_url: str, store_url: str, stop: asyncio.Event, typing_after: float | None
) -> None:
    from bot import Engine
    from bot.serve.stores import open_store
    from bot.serve.telegram import Bot, Settings

    settings = Settings(
        token=TOKEN,
        base_url=base_url,
        store=store_url,
        poll_timeout=1.0,
        flood_burst=1000,
        flood_rate=1000.0,
        rate_limit=False,
        log_level="WARNING",
        log_json=False,
    )
    if typing_after is not None:
        settings = replace(settings, typing_after=typing_after)
    store = open_store(store_url)
    bot = Bot(settings, Engine.load(), store)
    task = asyncio.ensure_future(bot.run())
    while not bot.ready:
        if task.done():
            task.result()
            raise RuntimeError("the bot stopped during start-up")
        await asyncio.sleep(0.01)
    print("ready", flush=True)
    await stop.wait()
    bot.stop()
    await asyncio.wait_for(task, 30)
    await store.close()


def serve(kind: str, base_url: str, store_url: str, typing_after: float | None) -> int:
    _quiet_env()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        if kind == "echo":
            await _serve_echo(base_url, stop)
        else:
            await _serve_ours(base_url, store_url, stop, typing_after)

    asyncio.run(main())
    return 0


# -- the measurement ----------------------------------------------------------------------


@dataclass
class Run:
    kind: str
    rep: int
    messages: int
    seconds: float
    rate: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    cpu_ms_per_message: float
    peak_rss_mib: float
    typing_actions: int
    problems: list[str] = field(default_factory=list)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (its threads included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def stop_process(process: asyncio.subprocess.Process, timeout: float = 20.0) -> None:
    """SIGTERM to this one PID, then SIGKILL after ``timeout`` seconds."""
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), timeout)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


async def one_run(
    kind: str, rep: int, chats: int, messages: int, data_dir: Path, extra: list[str]
) -> Run:
    from fakeserver import FakeBotApi

    api = FakeBotApi(TOKEN, max_poll=0.5)
    await api.start()
    store = {
        "echo": "memory:",
        "sqlite-full": f"sqlite:///{data_dir / f'full-{rep}.db'}",
        "sqlite-normal": f"sqlite:///{data_dir / f'normal-{rep}.db'}?synchronous=NORMAL",
        "memory": "memory:",
    }[kind]
    log = data_dir / f"{kind}-{rep}.log"
    with open(log, "wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(Path(__file__).resolve()), "--serve", kind,
            "--base-url", api.base_url, "--store", store, *extra,
            stdout=asyncio.subprocess.PIPE, stderr=stderr, cwd=ROOT,
        )  # fmt: skip
    problems: list[str] = []
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 60)
        if line.strip() != b"ready":
            raise RuntimeError(f"the {kind} bot did not start (exit {await process.wait()})")

        def replies() -> int:
            return sum(1 for c in api.calls if c.method == "sendMessage" and c.ok)

        for chat in range(1, chats + 1):  # warm up: one message per chat
            api.message(chat, "/start")
        await api.wait_for(lambda: replies() >= chats, timeout=60)
        await asyncio.sleep(0.5)
        first = len(api.calls)
        cpu0 = cpu_seconds(process.pid)
        pushed: dict[int, list[int]] = {}
        started = time.perf_counter()
        for turn in range(messages):
            for chat in range(1, chats + 1):
                lang, question = QUESTIONS[(chat + turn) % len(QUESTIONS)]
                update_id = api.message(chat, question, language_code=lang)
                pushed.setdefault(chat, []).append(update_id)
        total = chats * messages
        seen = 0
        deadline = time.monotonic() + 180
        while seen < total:  # counted incrementally: the check must not load this process
            calls = api.calls
            seen = sum(1 for c in calls[first:] if c.method == "sendMessage" and c.ok)
            if time.monotonic() > deadline:
                problems.append(f"timed out with {seen} of {total} replies")
                break
            await asyncio.sleep(0.005)
        cpu = cpu_seconds(process.pid) - cpu0
        await asyncio.sleep(0.3)  # anything more (a reply sent twice) arrives now
        sent = [c for c in api.calls[first:] if c.method == "sendMessage" and c.ok]
        typing = sum(1 for c in api.calls[first:] if c.method == "sendChatAction")
        last = max((c.time for c in sent), default=time.perf_counter())
        elapsed = last - started
        latencies: list[float] = []
        by_chat: dict[int, list[float]] = {}
        for call in sent:
            by_chat.setdefault(int(call.params["chat_id"]), []).append(call.time)
        for chat, update_ids in pushed.items():
            times = sorted(by_chat.get(chat, []))
            if len(times) != len(update_ids):
                problems.append(f"chat {chat}: {len(times)} replies to {len(update_ids)} messages")
            latencies += [t - api.offered[u] for u, t in zip(update_ids, times, strict=False)]
        rss = peak_rss_mib(process.pid)
    finally:
        await stop_process(process)
        await api.stop()
        errors = [
            line
            for line in log.read_text(errors="replace").splitlines()
            if line.startswith(("ERROR", "CRITICAL"))
        ]
        if errors:
            problems.append(f"the bot logged {len(errors)} errors, the first: {errors[0][:160]}")
    return Run(
        kind=kind,
        rep=rep,
        messages=total,
        seconds=elapsed,
        rate=total / elapsed,
        p50_ms=statistics.median(latencies) * 1000 if latencies else float("nan"),
        p99_ms=percentile(latencies, 0.99) * 1000,
        max_ms=max(latencies) * 1000 if latencies else float("nan"),
        cpu_ms_per_message=cpu * 1000 / total,
        peak_rss_mib=rss,
        typing_actions=typing,
        problems=problems,
    )


async def measure(args: argparse.Namespace) -> list[Run]:
    kinds = [k for k in KINDS if k in args.kinds]
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="kzbot-bench-") as tmp:
        for rep in range(args.reps):
            order = kinds[rep % len(kinds) :] + kinds[: rep % len(kinds)]
            for kind in order:
                extra = (
                    [] if args.typing_after is None else ["--typing-after", str(args.typing_after)]
                )
                run = await one_run(kind, rep, args.chats, args.messages, Path(tmp), extra)
                runs.append(run)
                if not args.json:
                    print(
                        f"  rep {rep + 1} {kind:14} {run.rate:7.1f} msg/s  "
                        f"p50 {run.p50_ms:6.0f} ms  p99 {run.p99_ms:6.0f} ms  "
                        f"cpu {run.cpu_ms_per_message:5.2f} ms/msg"
                        + (f"  PROBLEMS: {run.problems[:3]}" if run.problems else ""),
                        file=sys.stderr,
                        flush=True,
                    )
    return runs


def summarise(runs: list[Run], args: argparse.Namespace) -> dict[str, Any]:
    kinds = [k for k in KINDS if any(r.kind == k for r in runs)]
    summary: dict[str, Any] = {}
    echo_rates = {r.rep: r.rate for r in runs if r.kind == "echo"}
    echo_median = statistics.median(echo_rates.values()) if echo_rates else float("nan")
    for kind in kinds:
        mine = [r for r in runs if r.kind == kind]
        rates = [r.rate for r in mine]
        paired = [r.rate / echo_rates[r.rep] for r in mine if r.rep in echo_rates]
        summary[kind] = {
            "label": LABELS[kind],
            "runs": len(mine),
            "rate_median": statistics.median(rates),
            "rate_min": min(rates),
            "rate_max": max(rates),
            "ratio_to_echo": statistics.median(rates) / echo_median,
            "ratio_to_echo_paired_median": statistics.median(paired) if paired else None,
            "p50_ms": statistics.median(r.p50_ms for r in mine),
            "p99_ms": statistics.median(r.p99_ms for r in mine),
            "cpu_ms_per_message": statistics.median(r.cpu_ms_per_message for r in mine),
            "peak_rss_mib": statistics.median(r.peak_rss_mib for r in mine),
            "typing_actions": statistics.median(r.typing_actions for r in mine),
            "problems": [p for r in mine for p in r.problems],
        }
    return summary


def report(summary: dict[str, Any], args: argparse.Namespace, wall: float) -> None:
    total = args.chats * args.messages
    print(
        f"Burst of {total} messages ({args.chats} chats x {args.messages}) queued at once on the "
        f"fake Bot API; {args.reps} interleaved repetitions per bot, medians shown; "
        f"rate limits off, flood control 1000/1000; {os.cpu_count()} CPUs."
    )
    print()
    print(
        "| bot | msg/s (median) | min-max | vs echo bot | paired ratio | "
        "p50 reply ms | p99 reply ms | CPU ms/msg | typing actions | peak RSS MiB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for data in summary.values():
        paired = data["ratio_to_echo_paired_median"]
        print(
            f"| {data['label']} | {data['rate_median']:.0f} | "
            f"{data['rate_min']:.0f}-{data['rate_max']:.0f} | {data['ratio_to_echo']:.0%} | "
            f"{paired:.0%} | {data['p50_ms']:.0f} | {data['p99_ms']:.0f} | "
            f"{data['cpu_ms_per_message']:.2f} | {data['typing_actions']:.0f} | "
            f"{data['peak_rss_mib']:.0f} |"
        )
    print()
    print(
        "vs echo bot: median rate over the echo bot's median rate; paired ratio: the median, "
        "over repetitions, of each run's rate over the echo bot's in the same repetition; "
        "CPU ms/msg: the bot process's user + system time during the burst, per message; "
        "typing actions: sendChatAction calls during the burst (this bot sends one for a turn "
        "still running after 0.3 s)."
    )
    print()
    if "echo" in summary:
        for kind, data in summary.items():
            if kind == "echo":
                continue
            verdict = "PASS" if data["ratio_to_echo"] >= 0.8 else "FAIL"
            print(
                f"- {verdict}: {data['label']} at {data['ratio_to_echo']:.0%} of the echo bot (target >= 80%)"
            )
    problems = [(k, p) for k, d in summary.items() for p in d["problems"]]
    for kind, problem in problems[:20]:
        print(f"- PROBLEM ({kind}): {problem}")
    print()
    print(f"Wall time {wall:.0f} s.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--messages", type=int, default=10, help="messages per chat")
    parser.add_argument("--reps", type=int, default=3, help="repetitions of each bot")
    parser.add_argument(
        "--kinds", nargs="+", default=list(KINDS), choices=KINDS, help="which bots to run"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--typing-after",
        type=float,
        metavar="SECONDS",
        help="this bot's typing_after setting (default: its own, 0.3 s), to see what it costs",
    )
    parser.add_argument("--serve", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve, args.base_url, args.store, args.typing_after)
    _quiet_env()
    logging.basicConfig(level=logging.WARNING)
    # a bot stopping cuts its long poll short: the fake server's "Connection lost" is expected
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL + 1)
    begun = time.perf_counter()
    runs = asyncio.run(measure(args))
    summary = summarise(runs, args)
    wall = time.perf_counter() - begun
    if args.json:
        json.dump(
            {
                "chats": args.chats,
                "messages_per_chat": args.messages,
                "reps": args.reps,
                "cpus": os.cpu_count(),
                "summary": summary,
                "runs": [asdict(r) for r in runs],
                "wall_seconds": wall,
            },
            sys.stdout,
            indent=2,
        )
        print()
    else:
        report(summary, args, wall)
    return 1 if any(d["problems"] for d in summary.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
