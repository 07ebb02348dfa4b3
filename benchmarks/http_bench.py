"""Throughput of the HTTP API beside the same engine called in-process.

    .venv/bin/python benchmarks/http_bench.py [--clients 50] [--requests 2000]

Starts ``python -m bot serve`` (memory store, limits off) on a free port and
sends REQUESTS ``POST /v1/ask`` from CLIENTS concurrent clients (aiohttp, one
keep-alive connection each), then answers the same questions in this process
with ``Engine.answer`` and ``to_dict`` (what the endpoint computes). Prints
requests per second, p50/p99 per request, and the ratio: how much of the
engine's own rate the HTTP server delivers. The machine is shared and noisy
(2 cores, the client and the server on the same ones): compare ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "support"))

from httpserver import serving  # noqa: E402

from bot import Engine  # noqa: E402

QUESTIONS = [
    "What was the trade volume in 2016?",
    "2016'da Türkiye ile Kazakistan arasındaki ticaret hacmi ne kadardı?",
    "How much did Turkey invest in Kazakhstan?",
    "YDSK ne zaman kuruldu?",
    "hello",
    "what is the weather in Almaty tomorrow?",
    "Which sectors are Turkish companies active in?",
    "Türk Keneşi nedir?",
]


async def drive(base: str, clients: int, requests: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue: asyncio.Queue[str] = asyncio.Queue()
    for n in range(requests):
        queue.put_nowait(QUESTIONS[n % len(QUESTIONS)])

    async def client(http: aiohttp.ClientSession) -> None:
        while not queue.empty():
            question = queue.get_nowait()
            started = time.perf_counter()
            async with http.post(f"{base}/v1/ask", json={"question": question}) as response:
                await response.read()
                assert response.status == 200
            latencies.append(time.perf_counter() - started)

    # aiohttp rather than httpx as the client: the client shares the two cores with the server,
    # and httpx's own cost per request would be measured as the server's.
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return requests / elapsed, latencies


def in_process(requests: int) -> float:
    engine = Engine.load()
    started = time.perf_counter()
    for n in range(requests):
        json.dumps(engine.answer(QUESTIONS[n % len(QUESTIONS)]).to_dict(), ensure_ascii=False)
    return requests / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with serving("--store", "memory:", "--ip-burst", "1000000", "--ip-rate", "1000000") as base:
        asyncio.run(drive(base, args.clients, 200))  # warm up
        rate, latencies = asyncio.run(drive(base, args.clients, args.requests))
    engine_rate = in_process(args.requests)
    cuts = statistics.quantiles(latencies, n=100)
    result = {
        "clients": args.clients,
        "requests": args.requests,
        "http_per_second": round(rate, 1),
        "p50_ms": round(cuts[49] * 1000, 2),
        "p99_ms": round(cuts[98] * 1000, 2),
        "in_process_per_second": round(engine_rate, 1),
        "ratio": round(rate / engine_rate, 3),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"POST /v1/ask, {args.clients} clients, {args.requests} requests")
        print(f"  HTTP:        {result['http_per_second']:8.1f} requests/s  "
              f"p50 {result['p50_ms']} ms  p99 {result['p99_ms']} ms")  # fmt: skip
        print(f"  in-process:  {result['in_process_per_second']:8.1f} answers/s")
        print(f"  ratio:       {result['ratio']:.3f} of the engine's own rate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
