"""Load time, memory and time per question by knowledge-base size (issue 14).

    .venv/bin/python benchmarks/scale.py [--sizes 1000,10000,50000] [--out FILE]

Each knowledge base (the bundled one, then synthetic ones from
``benchmarks/synthetic.py``, kept in ``$TMPDIR/kzbot-scale`` between runs) is
measured in fresh processes:

- **load, cold**: ``Engine.load()`` with an empty index cache (or none, where
  the engine has no cache), CPU seconds of the process;
- **load, cached**: the same in a second process, the cache now filled
  (the same as cold where the engine has no cache);
- **RSS**: the process's peak resident memory after loading (``VmHWM``);
- **median / p99**: CPU time of ``Engine.answer`` per question, each question
  answered once, after a warm-up on other questions: the development set's
  495 questions (their intents are in every base) and 400 synthetic ones
  (paraphrases, misspellings, word salad, unknown words).

Figures are also given as ratios to the bundled base, measured by the same
script in the same run: the machine is shared and noisy. Prints a Markdown
table; nothing is asserted.
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import synthetic

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
WORK = Path(tempfile.gettempdir()) / "kzbot-scale"
SYNTHETIC_QUESTIONS = 400
WARM_UP = 30


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (``pct`` in 0-100)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def peak_rss_kib() -> int:
    """This process's own peak resident memory (Linux ``VmHWM``; not inherited at exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def worker(kb: str, questions_file: str, cache: str) -> None:
    """In a fresh process: load the engine, then answer each question once, timed."""
    from bot import Engine

    options: dict[str, Any] = {}
    if "cache_dir" in inspect.signature(Engine.load).parameters:
        options["cache_dir"] = None if cache == "-" else cache
    clock = time.process_time
    started, wall = clock(), time.perf_counter()
    engine = Engine.load(None if kb == "-" else kb, **options)
    load, load_wall = clock() - started, time.perf_counter() - wall
    rss = peak_rss_kib()
    warm_up, questions = json.loads(Path(questions_file).read_text(encoding="utf-8"))
    for question in warm_up:
        engine.answer(question)
    times = []
    answered = 0
    for question in questions:
        started = clock()
        answer = engine.answer(question)
        times.append(clock() - started)
        answered += answer.intent is not None
    print(
        json.dumps(
            {
                "load": load,
                "load_wall": load_wall,
                "rss_kib": rss,
                "times": times,
                "answered": answered,
                "intents": len(engine.intents),
                "cached": bool(options.get("cache_dir")),
            }
        )
    )


def run_worker(kb: str, questions_file: Path, cache: str) -> dict[str, Any]:
    args = [PYTHON, str(Path(__file__).resolve()), "--worker", kb, str(questions_file), cache]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(args, capture_output=True, text=True, check=True, env=env, cwd=ROOT)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def knowledge_base(size: int) -> tuple[Path, dict[str, list[str]]]:
    """A synthetic base of ``size`` intents, generated once and kept between runs."""
    directory = WORK / f"kb{size}"
    stamp = directory / "material.json"
    if stamp.exists():
        material: dict[str, list[str]] = json.loads(stamp.read_text(encoding="utf-8"))
        return directory, material
    material = synthetic.generate(directory / "intents", size)
    stamp.write_text(json.dumps(material, ensure_ascii=False), encoding="utf-8")
    return directory, material


def dev_questions() -> list[str]:
    from bot.tools.eval import load_cases

    return [c.question for c in load_cases(sorted((ROOT / "tests" / "eval").glob("*.yaml")))]


def measure(label: str, kb: str, material: dict[str, list[str]], cache: Path) -> dict[str, Any]:
    questions = dev_questions() + synthetic.questions(material, SYNTHETIC_QUESTIONS)
    warm_up = synthetic.questions(material, WARM_UP, seed=synthetic.SEED + 1)
    random.Random(synthetic.SEED).shuffle(questions)
    questions_file = WORK / f"questions_{label}.json"
    questions_file.write_text(json.dumps([warm_up, questions], ensure_ascii=False), "utf-8")
    cache.mkdir(parents=True, exist_ok=True)
    for stale in cache.iterdir():
        stale.unlink()
    cold = run_worker(kb, questions_file, str(cache))
    cached = run_worker(kb, questions_file, str(cache))
    return {"label": label, "cold": cold, "cached": cached}


def report(rows: list[dict[str, Any]]) -> str:
    base = rows[0]["cached"]
    base_median = statistics.median(base["times"])
    base_p99 = percentile(base["times"], 99)

    def ms(seconds: float) -> str:
        return f"{seconds * 1e3:,.2f}"

    lines = [
        "| knowledge base | load cold s | load cached s | RSS MiB | median ms | p99 ms "
        "| median × | p99 × | answered |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        cold, cached = row["cold"], row["cached"]
        times = cached["times"]
        median, p99 = statistics.median(times), percentile(times, 99)
        lines.append(
            f"| {row['label']} | {cold['load']:.2f} | {cached['load']:.2f} "
            f"| {cached['rss_kib'] / 1024:,.0f} | {ms(median)} | {ms(p99)} "
            f"| {median / base_median:.2f} | {p99 / base_p99:.2f} "
            f"| {cached['answered'] / len(times):.0%} |"
        )
    return "\n".join(lines)


def main() -> None:
    if sys.argv[1:2] == ["--worker"]:
        worker(*sys.argv[2:5])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="synthetic sizes, comma-separated")
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    subprocess.run([PYTHON, "-m", "bot", "ask", "hi"], capture_output=True, check=True, cwd=ROOT)
    _, bundled_material = knowledge_base(len(synthetic.load_bundled().intents))
    rows = [measure("bundled (33 intents)", "-", bundled_material, WORK / "cache-bundled")]
    print(report(rows), flush=True)
    for size in (int(s) for s in args.sizes.split(",") if s):
        directory, material = knowledge_base(size)
        rows.append(
            measure(
                f"{size:,} intents", str(directory / "intents"), material, WORK / f"cache{size}"
            )
        )
        print(report(rows), flush=True)
    table = report(rows)
    print(f"\nCPU seconds and milliseconds; × is the ratio to the bundled base.\n\n{table}")
    if args.out:
        args.out.write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
