"""What understanding costs: the full answer path against ranking + deciding alone.

Both run in this process on the same questions (the development set and the
held-out sets), alternating rounds so that a noisy machine hurts both alike.
The baseline is the engine's path before verification and long-message
reading existed: rank the whole text, decide. Prints medians, 99th
percentiles and their ratios; nothing is asserted.

    python benchmarks/understanding.py
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from bot import Engine

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 5


def questions() -> list[str]:
    files = sorted((ROOT / "tests" / "eval").glob("*.yaml"))
    files += sorted((ROOT / "tests" / "holdout").glob("*.yaml"))
    return [item["q"] for path in files for item in yaml.safe_load(path.read_text("utf-8"))]


def timed(call: Callable[[str], object], texts: list[str]) -> list[float]:
    times = []
    for text in texts:
        started = time.perf_counter()
        call(text)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    texts = questions()
    engine = Engine.load()
    lang = engine.default_lang

    plain = Engine(engine.catalog, ranker=engine.ranker, verify=False)

    def ranked_only(text: str) -> object:
        return plain.decide(text, lang, plain.ranker.rank(text))

    full: list[float] = []
    base: list[float] = []
    for call in (engine.answer, ranked_only):  # warm both paths
        timed(call, texts)
    for _ in range(ROUNDS):
        base += timed(ranked_only, texts)
        full += timed(engine.answer, texts)
    rows = []
    for name, values in (("rank + decide (before)", base), ("full answer path (now)", full)):
        values.sort()
        rows.append((name, statistics.median(values), values[int(0.99 * len(values))]))
    print(f"{len(texts)} questions x {ROUNDS} rounds; milliseconds")
    print(f"{'path':<26} {'median':>8} {'p99':>8}")
    for name, median, p99 in rows:
        print(f"{name:<26} {1000 * median:8.3f} {1000 * p99:8.3f}")
    print(
        f"ratio now/before: median {rows[1][1] / rows[0][1]:.2f}x, p99 {rows[1][2] / rows[0][2]:.2f}x"
    )
    started = time.perf_counter()
    Engine.load()
    print(f"Engine.load(): {1000 * (time.perf_counter() - started):.0f} ms")


if __name__ == "__main__":
    main()
