"""Throughput and latency of the Telegram adapter against the fake Bot API server.

Drives CHATS chats x MESSAGES messages (mixed English and Turkish questions)
through the real python-telegram-bot stack over HTTP, and prints messages per
second and the median and 99th-percentile reply time: from the moment an
update is made available by the server to the moment its sendMessage arrives.

    .venv/bin/python benchmarks/telegram_bench.py [--chats 50] [--messages 20] [--arrivals 50] [--rate-limit]

With all updates queued at once the reply times are mostly queueing; with
``--arrivals N`` they arrive N per second and the reply time is the service time.

By default Telegram's own limits (30 messages/s overall) are switched off, so
the figure is the adapter's capacity; ``--rate-limit`` measures with them on.
State is kept in JsonFileStore files in a temporary directory (fsync included).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "telegram"))

from fakeserver import FakeBotApi  # noqa: E402

from bot import Engine  # noqa: E402
from bot.serve.telegram import JsonFileStore, Settings, build_application, start_app, stop_app  # noqa: E402

TOKEN = "123456789:AAHbenchmarkTOKEN_abcdefghijklmnop"
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


async def run(chats: int, messages: int, rate_limit: bool, arrivals: float) -> None:
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    logging.basicConfig(level=logging.WARNING)
    api = FakeBotApi(TOKEN, max_poll=0.5)
    await api.start()
    engine = Engine.load()
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(
            token=TOKEN,
            base_url=api.base_url,
            data_dir=Path(data_dir),
            poll_timeout=1.0,
            flood_burst=messages + 1,
            rate_limit=rate_limit,
        )
        app = build_application(settings, engine, JsonFileStore(settings.data_dir))
        await start_app(app, settings)
        try:
            for chat in range(1, chats + 1):  # warm up: one message per chat
                api.message(chat, "/start")
            await api.wait_for(lambda: len(api.sent()) >= chats, timeout=120)
            api.calls.clear()
            started = time.perf_counter()
            pushed: dict[int, list[int]] = {}
            count = 0
            for turn in range(messages):
                for chat in range(1, chats + 1):
                    lang, question = QUESTIONS[(chat + turn) % len(QUESTIONS)]
                    update_id = api.message(chat, question, language_code=lang)
                    pushed.setdefault(chat, []).append(update_id)
                    count += 1
                    if arrivals:  # paced: the next update arrives on schedule
                        await asyncio.sleep(
                            max(0.0, started + count / arrivals - time.perf_counter())
                        )
                await asyncio.sleep(0)
            total = chats * messages
            await api.wait_for(lambda: len(api.sent()) >= total, timeout=600)
            elapsed = time.perf_counter() - started
        finally:
            await stop_app(app)
            await api.stop()
    latencies = []
    for chat, update_ids in pushed.items():
        replies = api.sent(chat)
        assert len(replies) == len(update_ids), (
            f"chat {chat}: {len(replies)} replies to {len(update_ids)}"
        )
        latencies += [r.time - api.offered[u] for u, r in zip(update_ids, replies, strict=True)]
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    pace = f"arriving at {arrivals:g}/s" if arrivals else "all queued at once"
    limits = "on" if rate_limit else "off"
    print(f"{chats} chats x {messages} messages = {total} messages {pace}, rate limits {limits}")
    print(f"throughput: {total / elapsed:.1f} messages/s ({elapsed:.2f} s)")
    print(
        f"reply time: median {statistics.median(latencies) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument(
        "--rate-limit", action="store_true", help="keep Telegram's 30 messages/s limit on"
    )
    parser.add_argument(
        "--arrivals",
        type=float,
        default=0.0,
        metavar="PER_SECOND",
        help="pace the updates (default: all at once, which measures throughput)",
    )
    args = parser.parse_args()
    asyncio.run(run(args.chats, args.messages, args.rate_limit, args.arrivals))


if __name__ == "__main__":
    main()
