"""Write rates of the state stores: turns committed per second, one chat at a time and 50 at once.

    .venv/bin/python benchmarks/store_rates.py [--seconds 1.5] [--rounds 3] [--dir DIR] [--json]

A *commit* is what a conversation turn writes: ``load(chat)`` then
``commit(chat, state, version=..., update=<a new update id>)`` -- the chat's
state (a real session's, ~220 bytes of JSON) and the update's id, at once.
Measured for

* ``sqlite:///...`` (``synchronous=FULL``, the default: one fsync per commit),
* ``sqlite:///...?synchronous=NORMAL`` (WAL, no fsync per commit),
* ``redis://`` on a real ``redis-server`` started here on a free port, once
  with ``--save '' --appendonly no`` (nothing on disk) and once with
  ``--appendonly yes --appendfsync everysec`` (the production setting),
* ``memory:``,
* and, for reference, the first release's way: one JSON file per chat,
  written to a temporary file, fsynced and renamed over the old one (no
  update ids, no locks; file I/O in asyncio's default thread pool).

Modes: ``sequential`` (one commit after another, cycling over 50 chats),
``50 chats`` (50 tasks, each committing its own chat in a loop) and
``50 chats, whole turn`` (what a Telegram turn asks of the store: ``allow``,
``processed``, ``acquire``, ``load``, ``commit``, ``release``). Each cell runs
SECONDS, ROUNDS times (the stores interleaved), each time on a new, empty
store (a new file, directory or Redis namespace); the median is shown. The
files live in DIR (default: a temporary directory; use the disk the bot
will use). Every server started is stopped by its PID at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "support"))

from servers import free_port, wait_for_port  # noqa: E402

from bot import Engine, Session  # noqa: E402
from bot.serve.stores import Store, open_store  # noqa: E402

CHATS = 50
STORES = ("json-files", "sqlite-full", "sqlite-normal", "redis", "redis-aof", "memory")
LABELS = {
    "json-files": "JSON file per chat, fsync + rename (first release)",
    "sqlite-full": "SQLite synchronous=FULL (default)",
    "sqlite-normal": "SQLite synchronous=NORMAL",
    "redis": "Redis, no persistence",
    "redis-aof": "Redis, appendonly yes, appendfsync everysec",
    "memory": "memory:",
}
MODES = ("sequential", "concurrent", "turn")
MODE_LABELS = {
    "sequential": "sequential",
    "concurrent": f"{CHATS} chats",
    "turn": f"{CHATS} chats, whole turn",
}


class JsonFiles:
    """The first release's store, as a baseline: ``<dir>/<chat>.json``, fsynced, renamed."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def _path(self, chat: str) -> Path:
        return self.directory / f"{chat.replace(':', '_')}.json"

    async def load(self, chat: str) -> tuple[dict[str, Any] | None, int]:
        def read() -> dict[str, Any] | None:
            try:
                return dict(json.loads(self._path(chat).read_bytes()))
            except FileNotFoundError:
                return None

        return await asyncio.to_thread(read), 0

    async def commit(self, chat: str, state: Mapping[str, Any]) -> None:
        data = json.dumps(dict(state), ensure_ascii=False).encode()
        path = self._path(chat)

        def write() -> None:
            temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
            with open(temporary, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)

        await asyncio.to_thread(write)

    async def close(self) -> None:
        return None


# -- redis-server ---------------------------------------------------------------------------


@contextlib.contextmanager
def redis_server(directory: Path, *options: str) -> Iterator[tuple[str, int]]:
    """A real redis-server on a free port (URL, PID); stopped by its PID."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
         "--protected-mode", "yes", "--maxmemory-policy", "noeviction",
         "--loglevel", "warning", *options],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0", process.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)
            process.wait()


# -- the measurement ------------------------------------------------------------------------


def sample_state() -> dict[str, Any]:
    """A real session's state after a few turns."""
    session = Session(Engine.load(), {"lang": "en"})
    for question in ("What was the trade volume in 2016?", "how much of that was exports?"):
        session.ask(question)
    return dict(session.state)


async def timed(work: Callable[[], Awaitable[int]]) -> float:
    started = time.perf_counter()
    done = await work()
    return done / (time.perf_counter() - started)


async def run_cell(
    kind: str, store: Any, mode: str, seconds: float, state: dict[str, Any], tag: str
) -> float | None:
    """Commits (or whole turns) per second."""
    chats = [f"telegram:{tag}:{n}" for n in range(CHATS)]
    counter = iter(range(10**12))

    def new_update() -> str:
        return f"telegram:{tag}:{next(counter)}"

    one: Callable[[str], Awaitable[None]]
    if kind == "json-files":
        if mode == "turn":
            return None

        async def json_commit(chat: str) -> None:
            saved, _ = await store.load(chat)
            await store.commit(chat, {**(saved or state), "turn": next(counter)})

        one = json_commit
    else:
        typed: Store = store

        async def commit(chat: str, update: str) -> None:
            saved = await typed.load(chat)
            await typed.commit(
                chat, {**(saved.state or state), "turn": saved.version}, version=saved.version,
                update=update,
            )  # fmt: skip

        async def store_commit(chat: str) -> None:
            await commit(chat, new_update())

        async def store_turn(chat: str) -> None:
            update, token = new_update(), uuid.uuid4().hex
            await typed.allow(f"telegram:user:{chat}", 1000, 1000.0)
            await typed.processed(update)
            await typed.acquire(chat, token, 10.0)
            await commit(chat, update)
            await typed.release(chat, token)

        one = store_turn if mode == "turn" else store_commit

    for chat in chats[:5]:  # warm up (connections, files, tables)
        await one(chat)

    deadline = time.perf_counter() + seconds
    if mode == "sequential":

        async def work() -> int:
            done = 0
            while time.perf_counter() < deadline:
                await one(chats[done % CHATS])
                done += 1
            return done

    else:

        async def work() -> int:
            async def loop(chat: str) -> int:
                done = 0
                while time.perf_counter() < deadline:
                    await one(chat)
                    done += 1
                return done

            return sum(await asyncio.gather(*(loop(chat) for chat in chats)))

    return await timed(work)


async def measure(
    args: argparse.Namespace, base: Path, redis_urls: dict[str, str]
) -> dict[str, Any]:
    state = sample_state()
    kinds = [k for k in STORES if k in args.stores and (k in redis_urls or "redis" not in k)]

    def fresh(kind: str, cell: str) -> Any:
        """A new, empty store for each measurement (same server for Redis, new namespace)."""
        where = base / kind / cell
        if kind == "json-files":
            return JsonFiles(where)
        if kind == "sqlite-full":
            return open_store(f"sqlite:///{where / 'state.db'}")
        if kind == "sqlite-normal":
            return open_store(f"sqlite:///{where / 'state.db'}?synchronous=NORMAL")
        if kind == "memory":
            return open_store("memory:")
        return open_store(redis_urls[kind], namespace=f"bench-{cell}")

    rates: dict[str, dict[str, list[float]]] = {k: {m: [] for m in MODES} for k in kinds}
    for round_ in range(args.rounds):
        order = kinds[round_ % len(kinds) :] + kinds[: round_ % len(kinds)]
        for mode in MODES:
            for kind in order:
                cell = f"{round_}-{mode}"
                store = fresh(kind, cell)
                try:
                    rate = await run_cell(kind, store, mode, args.seconds, state, cell)
                finally:
                    await store.close()
                if rate is None:
                    continue
                rates[kind][mode].append(rate)
                if not args.json:
                    print(
                        f"  round {round_ + 1} {MODE_LABELS[mode]:22} {kind:14} {rate:10.0f}/s",
                        file=sys.stderr,
                        flush=True,
                    )
    return {
        kind: {mode: statistics.median(values) if values else None for mode, values in by.items()}
        for kind, by in rates.items()
    } | {"_rounds": {k: v for k, v in rates.items()}}


def report(medians: dict[str, Any], args: argparse.Namespace, where: str, wall: float) -> None:
    kinds = [k for k in STORES if k in medians]
    base = medians.get("json-files", {})
    print(
        f"Turns committed per second (load + commit with a new update id); median of "
        f"{args.rounds} rounds of {args.seconds:g} s; files in {where}; {os.cpu_count()} CPUs."
    )
    print()
    header = " | ".join(f"{MODE_LABELS[m]} /s | vs JSON" for m in ("sequential", "concurrent"))
    print(f"| store | {header} | {MODE_LABELS['turn']} /s |")
    print("|---|---|---|---|---|---|")
    for kind in kinds:
        cells = []
        for mode in ("sequential", "concurrent"):
            rate = medians[kind][mode]
            ratio = rate / base[mode] if base.get(mode) else float("nan")
            cells.append(f"{rate:,.0f} | {ratio:.1f}x")
        turn = medians[kind]["turn"]
        turn_cell = f"{turn:,.0f}" if turn is not None else "n/a"
        print(f"| {LABELS[kind]} | {' | '.join(cells)} | {turn_cell} |")
    print()
    print(
        "Whole turn: allow + processed + acquire + load + commit + release, as a Telegram "
        "turn asks of the store (the JSON baseline had no ids or locks: n/a)."
    )
    print(f"Wall time {wall:.0f} s.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.5, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", type=Path, help="where the files go (default: a temporary dir)")
    parser.add_argument("--stores", nargs="+", default=list(STORES), choices=STORES)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    begun = time.perf_counter()
    with contextlib.ExitStack() as stack:
        if args.dir is not None:
            args.dir.mkdir(parents=True, exist_ok=True)
            base = Path(stack.enter_context(tempfile.TemporaryDirectory(dir=args.dir)))
        else:
            base = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kzbot-stores-")))
        redis_urls: dict[str, str] = {}
        if "redis" in args.stores:
            url, _ = stack.enter_context(
                redis_server(base / "redis", "--save", "", "--appendonly", "no")
            )
            redis_urls["redis"] = url
        if "redis-aof" in args.stores:
            aof = ("--save", "", "--appendonly", "yes", "--appendfsync", "everysec")
            url, _ = stack.enter_context(redis_server(base / "redis-aof", *aof))
            redis_urls["redis-aof"] = url
        results = asyncio.run(measure(args, base, redis_urls))
        where = str(base.parent)
    wall = time.perf_counter() - begun
    rounds = results.pop("_rounds")
    if args.json:
        json.dump(
            {"medians": results, "rounds": rounds, "seconds": args.seconds, "wall": wall},
            sys.stdout,
            indent=2,
        )
        print()
    else:
        report(results, args, where, wall)
    return 0


if __name__ == "__main__":
    sys.exit(main())
