"""Accuracy, speed and memory of the engine, against two plain baselines.

    .venv/bin/python benchmarks/run.py [--sizes 1000,10000] [--profile]

(``make bench`` installs the ``bench`` extra, scikit-learn, and runs this.)

Prints one Markdown table per section and writes them to
``benchmarks/results.md``:

a. accuracy and time per question on the development set (``tests/eval/*.yaml``)
   for the engine, for rapidfuzz ``extractOne`` (WRatio) over the same phrases,
   and for a TF-IDF character n-gram nearest-phrase classifier; the baselines
   are shown at the threshold that is best *on this very set*, which flatters
   them;
b. time per question, load time and memory on the bundled knowledge base and
   on synthetic knowledge bases of 1,000 and 10,000 intents (generated into a
   temporary directory; each measured in a fresh process);
c. cold start: ``python -m bot ask "hi"`` and ``Engine.load()`` in fresh processes.

Then the targets, one PASS/FAIL line each; the exit status is 1 if any fails. ``--profile`` adds a cProfile of the
questions on the largest knowledge base (printed, not written to results.md).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import synthetic

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
EVAL_FILES = sorted((ROOT / "tests" / "eval").glob("*.yaml"))
RESULTS = ROOT / "benchmarks" / "results.md"
BLIND_HEADING = "## Blind evaluations"
DECLINE = "decline"
SEED = 20240501
#: Questions timed on each synthetic knowledge base.
SYNTHETIC_QUESTIONS = 400
COLD_RUNS = 5

# Targets.
BUNDLED_MEDIAN_MS = 1.0
LARGE_MEDIAN_MS = 10.0
LARGE_SIZE = 10_000
LOAD_MS = 300.0


# --------------------------------------------------------------------------- helpers


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (``pct`` in 0-100)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f}"


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.2f}"


def mib(kib: float) -> str:
    return f"{kib / 1024:,.1f}"


class Output:
    """Prints as it goes and keeps everything for results.md."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def section(self, title: str, body: str = "") -> None:
        text = f"## {title}\n\n{body}".rstrip() + "\n"
        print(text, flush=True)
        self.parts.append(text)

    def add(self, text: str) -> None:
        print(text + "\n", flush=True)
        self.parts.append(text + "\n")


# --------------------------------------------------------------------------- a. accuracy


@dataclass
class Method:
    name: str
    threshold: str
    predictions: list[str]
    times: list[float]


def score_predictions(cases: Sequence[Any], predictions: Sequence[str]) -> dict[str, float]:
    on_topic = [(c, p) for c, p in zip(cases, predictions, strict=True) if c.expected != DECLINE]
    off_topic = [(c, p) for c, p in zip(cases, predictions, strict=True) if c.expected == DECLINE]
    return {
        "accuracy": sum(c.expected == p for c, p in zip(cases, predictions, strict=True))
        / len(cases),
        "on_topic": sum(c.expected == p for c, p in on_topic) / max(len(on_topic), 1),
        "false_accept": sum(p != DECLINE for _, p in off_topic) / max(len(off_topic), 1),
    }


def timed(
    function: Callable[[str], Any], questions: Sequence[str]
) -> tuple[list[Any], list[float]]:
    """Each question answered on its own, timed on its own (after one untimed pass)."""
    for question in questions:
        function(question)
    results, times = [], []
    clock = time.perf_counter
    for question in questions:
        start = clock()
        result = function(question)
        times.append(clock() - start)
        results.append(result)
    return results, times


def best_threshold(
    cases: Sequence[Any], scored: Sequence[tuple[str, float]], thresholds: Sequence[float]
) -> tuple[float, list[str], list[tuple[float, dict[str, float]]]]:
    """The threshold with the best accuracy (ties: fewer false accepts, then the lowest)."""
    sweep = []
    best: tuple[tuple[float, float], float, list[str]] | None = None
    for threshold in thresholds:
        predictions = [label if score >= threshold else DECLINE for label, score in scored]
        metrics = score_predictions(cases, predictions)
        sweep.append((threshold, metrics))
        key = (metrics["accuracy"], -metrics["false_accept"])
        if best is None or key > best[0]:
            best = (key, threshold, predictions)
    assert best is not None
    return best[1], best[2], sweep


def accuracy_section(out: Output) -> dict[str, Any]:
    from rapidfuzz import fuzz, process, utils
    from sklearn.feature_extraction.text import TfidfVectorizer

    from bot import Engine
    from bot.tools.eval import load_cases

    engine = Engine.load()
    known = {i.id for i in engine.intents}
    cases = load_cases(EVAL_FILES, known)
    questions = [c.question for c in cases]
    phrases: list[str] = []
    owners: list[str] = []
    for intent in engine.intents:
        for lang in ("en", "tr"):
            for phrase in intent.phrases[lang]:
                phrases.append(phrase)
                owners.append(intent.id)

    answers, times = timed(engine.answer, questions)
    engine_method = Method(
        "this engine",
        f"{engine.threshold:g} (configured)",
        [a.intent or DECLINE for a in answers],
        times,
    )

    def fuzzy(question: str) -> tuple[str, float]:
        found = process.extractOne(
            question, phrases, scorer=fuzz.WRatio, processor=utils.default_process
        )
        return (owners[found[2]], found[1]) if found else (DECLINE, 0.0)

    scored, fuzzy_times = timed(fuzzy, questions)
    threshold, predictions, fuzzy_sweep = best_threshold(cases, scored, range(0, 101))
    fuzzy_method = Method(
        "rapidfuzz extractOne (WRatio)", f"{threshold} (best on the set)", predictions, fuzzy_times
    )

    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4))
    matrix = vectorizer.fit_transform(phrases)  # rows are L2-normalised: dot product = cosine
    matrix_t = matrix.T.tocsr()

    def tfidf(question: str) -> tuple[str, float]:
        similarities = (vectorizer.transform([question]) @ matrix_t).toarray()[0]
        best = int(similarities.argmax())
        return owners[best], float(similarities[best])

    scored, tfidf_times = timed(tfidf, questions)
    steps = [i / 100 for i in range(0, 101)]
    threshold, predictions, tfidf_sweep = best_threshold(cases, scored, steps)
    tfidf_method = Method(
        "TF-IDF char_wb 2-4, nearest phrase",
        f"{threshold:.2f} (best on the set)",
        predictions,
        tfidf_times,
    )

    methods = [engine_method, fuzzy_method, tfidf_method]
    rows = []
    metrics: dict[str, dict[str, float]] = {}
    for method in methods:
        m = score_predictions(cases, method.predictions)
        m["median"] = statistics.median(method.times)
        m["p99"] = percentile(method.times, 99)
        metrics[method.name] = m
        rows.append(
            [
                method.name,
                method.threshold,
                pct(m["accuracy"]),
                pct(m["on_topic"]),
                pct(m["false_accept"]),
                us(m["median"]),
                us(m["p99"]),
            ]
        )
    off = sum(c.expected == DECLINE for c in cases)
    out.section(
        "a. Accuracy on the development set",
        f"{len(cases)} questions from {', '.join(p.name for p in EVAL_FILES)} "
        f"({len(cases) - off} on-topic, {off} off-topic); the baselines search the "
        f"{len(phrases)} phrases of {len(engine.intents)} intents in both languages. "
        "Thresholds of the baselines are swept (rapidfuzz 0-100 step 1, TF-IDF cosine "
        "0-1 step 0.01) and each is shown at its best threshold on this same set, an "
        "optimistic figure; the engine runs with its configured threshold. Time is per "
        "single question (one call, after one untimed pass), in microseconds.\n\n"
        + table(
            [
                "method",
                "threshold",
                "accuracy",
                "on-topic accuracy",
                "false accept",
                "median µs",
                "p99 µs",
            ],
            rows,
        ),
    )
    sweep_rows = []
    for (t1, m1), (_t2, m2) in zip(fuzzy_sweep[30:95:5], tfidf_sweep[30:95:5], strict=True):
        sweep_rows.append(
            [
                f"{t1} / {t1 / 100:.2f}",
                pct(m1["accuracy"]),
                pct(m1["false_accept"]),
                pct(m2["accuracy"]),
                pct(m2["false_accept"]),
            ]
        )
    out.add(
        "Baseline threshold sweep (accuracy / false accept):\n\n"
        + table(
            [
                "threshold (rapidfuzz / TF-IDF)",
                "rapidfuzz accuracy",
                "rapidfuzz false accept",
                "TF-IDF accuracy",
                "TF-IDF false accept",
            ],
            sweep_rows,
        )
    )
    return {"metrics": metrics, "engine": engine_method.name, "alternatives": methods[1:]}


# --------------------------------------------------------------------------- b. synthetic bases

EN_REAL = """
trade export import volume agreement treaty council meeting summit minister president embassy
consulate visit railway pipeline energy oil gas investment company firm project bank loan fund
student university school scholarship language culture museum festival film music sport team
tourism flight airline airport port harbour road bridge hospital health medicine vaccine farm
wheat grain cotton textile steel copper uranium mine factory plant industry sector market price
tax customs border visa passport citizen worker labour contract construction building housing
water river lake sea climate weather season winter summer spring autumn history war peace army
defence security police court law parliament election party vote council committee office
agency bureau ministry department program plan strategy goal target growth rate share
percent million billion dollar euro currency payment credit debt budget revenue income profit
network internet phone mobile satellite space science research laboratory institute academy
library book newspaper radio television channel news report survey census population city
town village region province capital district island mountain forest desert valley coast
""".split()

TR_REAL = """
ticaret ihracat ithalat hacim anlaşma antlaşma konsey toplantı zirve bakan cumhurbaşkanı
büyükelçilik konsolosluk ziyaret demiryolu boru enerji petrol doğalgaz yatırım şirket firma
proje banka kredi fon öğrenci üniversite okul burs dil kültür müze festival film müzik spor
takım turizm uçuş havayolu havalimanı liman yol köprü hastane sağlık ilaç aşı çiftlik buğday
tahıl pamuk tekstil çelik bakır uranyum maden fabrika tesis sanayi sektör pazar fiyat vergi
gümrük sınır vize pasaport vatandaş işçi emek sözleşme inşaat bina konut su nehir göl deniz
iklim hava mevsim kış yaz ilkbahar sonbahar tarih savaş barış ordu savunma güvenlik polis
mahkeme hukuk meclis seçim parti oy komite ofis ajans büro bakanlık daire program plan strateji
hedef büyüme oran pay yüzde milyon milyar dolar avro para ödeme borç bütçe gelir kâr ağ
telefon uydu uzay bilim araştırma laboratuvar enstitü akademi kütüphane kitap gazete radyo
televizyon kanal haber rapor anket nüfus şehir kasaba köy bölge il başkent ilçe ada dağ orman
çöl vadi kıyı
""".split()

EN_COMMON = (
    "what how is was are does do did when who which where many much about tell give "
    "explain show list describe can know"
).split()
TR_COMMON = (
    "ne nasıl nedir nedir hangi kaç kim nerede zaman hakkında bilgi anlat söyle açıkla "
    "göster var mı mi oldu kadar neden"
).split()

EN_SYLLABLES = [c + v for c in "bcdfghklmnprstvwz" for v in "aeiou"] + ["th", "st", "ck", "ng"]
TR_SYLLABLES = [c + v for c in "bcçdfgğhklmnprsştvyz" for v in "aeıioöuü"] + ["lar", "ler", "ş"]


def make_vocabulary(
    rng: random.Random, real: list[str], syllables: list[str], size: int
) -> list[str]:
    words = list(dict.fromkeys(real))
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        if len(word) >= 4 and word not in seen:
            seen.add(word)
            words.append(word)
    rng.shuffle(words)
    return words


def generate_kb(directory: Path, size: int, seed: int = SEED) -> dict[str, list[str]]:
    """A valid knowledge base of ``size`` small-talk intents; returns its phrases per language.

    Each intent has three "key" words per language, drawn uniformly from a
    vocabulary of ~3,000 words (so each is shared by a handful of intents),
    and ten phrases per language: a common question word or two, one or two
    of its key words, and one to three filler words drawn with a Zipf
    distribution from the same vocabulary (so some words are in thousands of
    phrases, as in real text).
    """
    from bot.lang.text import fold

    rng = random.Random(seed + size)
    vocabulary = {
        "en": make_vocabulary(rng, EN_REAL, EN_SYLLABLES, 3000),
        "tr": make_vocabulary(rng, TR_REAL, TR_SYLLABLES, 3000),
    }
    common = {"en": EN_COMMON, "tr": TR_COMMON}
    cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(3000)))
    seen: set[str] = set()
    all_phrases: dict[str, list[str]] = {"en": [], "tr": []}
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "lexicon.yaml").write_text(
        "stopwords:\n"
        "  en: [the, a, an, of, me, please]\n"
        "  tr: [ve, bu, lütfen, acaba]\n"
        "concepts:\n"
        "  hello: {en: [hello, hi], tr: [merhaba, selam]}\n",
        encoding="utf-8",
    )
    per_file = 250
    for start in range(0, size, per_file):
        lines = []
        if start == 0:
            lines += ["topics:", '  smalltalk: {en: "Small talk", tr: "Sohbet"}']
        lines.append("intents:")
        for number in range(start, min(size, start + per_file)):
            phrases: dict[str, list[str]] = {}
            keys: dict[str, list[str]] = {}
            for lang in ("en", "tr"):
                keys[lang] = rng.sample(vocabulary[lang], 3)
                phrases[lang] = []
                while len(phrases[lang]) < 10:
                    words = rng.sample(common[lang], rng.randint(1, 2))
                    rest = rng.sample(keys[lang], rng.randint(1, 2))
                    rest += rng.choices(
                        vocabulary[lang], cum_weights=cumulative, k=rng.randint(1, 3)
                    )
                    rng.shuffle(rest)
                    phrase = " ".join(words + rest)
                    key = " ".join(fold(phrase).split()).strip(" ?.!")
                    if key not in seen:
                        seen.add(key)
                        phrases[lang].append(phrase)
                all_phrases[lang] += phrases[lang]
            en, tr = keys["en"], keys["tr"]
            item = {
                "id": f"synthetic.i{number:05d}",
                "topic": "smalltalk",
                "title": {
                    "en": phrases["en"][0].capitalize() + "?",
                    "tr": phrases["tr"][0].capitalize() + "?",
                },
                "phrases": phrases,
                "answer": {
                    "en": f"This answer explains {en[0]}, {en[1]} and {en[2]}.",
                    "tr": f"Bu cevap {tr[0]}, {tr[1]} ve {tr[2]} konusunu açıklar.",
                },
            }
            lines.append(f"  - id: {item['id']}")
            lines.append("    topic: smalltalk")
            for field in ("title", "answer"):
                lines.append(f"    {field}:")
                for lang in ("en", "tr"):
                    lines.append(
                        f"      {lang}: {json.dumps(item[field][lang], ensure_ascii=False)}"
                    )
            lines.append("    phrases:")
            for lang in ("en", "tr"):
                lines.append(f"      {lang}:")
                lines += [f"        - {json.dumps(p, ensure_ascii=False)}" for p in phrases[lang]]
        path = directory / f"intents_{start // per_file:03d}.yaml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    all_phrases["vocabulary_en"] = vocabulary["en"]
    all_phrases["vocabulary_tr"] = vocabulary["tr"]
    return all_phrases


def high_water_mark() -> int:
    """Peak RSS of this process's own memory (Linux VmHWM, KiB); 0 where unknown."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def worker(kb: str, questions_file: str, profile: bool) -> None:
    """Runs in a fresh process: load, memory, then time each question."""
    start = time.perf_counter()
    from bot import Engine

    imported = time.perf_counter()
    engine = Engine.load(None if kb == "-" else kb)
    loaded = time.perf_counter()
    rss_after_load = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    hwm_after_load = high_water_mark()
    questions = json.loads(Path(questions_file).read_text(encoding="utf-8"))
    _answers, times = timed(engine.answer, questions)
    profile_text = ""
    if profile:
        import cProfile
        import io
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for question in questions:
            engine.answer(question)
        profiler.disable()
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(15)
        profile_text = stream.getvalue()
    result = {
        "import": imported - start,
        "load": loaded - imported,
        "rss_kib": rss_after_load,
        "rss_end_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "hwm_kib": hwm_after_load,
        "times": times,
        "intents": len(engine.intents),
        "phrases": sum(len(i.phrases[lang]) for i in engine.intents for lang in ("en", "tr")),
        "answered": sum(a.intent is not None for a in _answers),
        "profile": profile_text,
    }
    print(json.dumps(result))


def run_worker(
    kb: str, questions: Sequence[str], tmp: Path, profile: bool = False
) -> dict[str, Any]:
    questions_file = tmp / f"questions_{abs(hash(kb))}.json"
    questions_file.write_text(json.dumps(list(questions), ensure_ascii=False), encoding="utf-8")
    args = [PYTHON, str(Path(__file__).resolve()), "--worker", kb, str(questions_file)]
    if profile:
        args.append("--profile")
    _, _, stdout = run_measured(args)
    result: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    return result


def scale_section(
    out: Output, sizes: Sequence[int], tmp: Path, profile: bool
) -> dict[int, dict[str, Any]]:
    from bot.tools.eval import load_cases

    dev_questions = [c.question for c in load_cases(EVAL_FILES)]
    run_measured([PYTHON, "-m", "bot", "ask", "hi"])  # fills the byte-code cache
    results: dict[int, dict[str, Any]] = {}
    labels: dict[int, str] = {}
    results[0] = run_worker("-", dev_questions, tmp)
    labels[0] = f"bundled ({results[0]['intents']} intents), dev-set questions"
    for size in sizes:
        started = time.perf_counter()
        directory = tmp / f"kb{size}"
        material = generate_kb(directory, size)
        generated = time.perf_counter() - started
        questions = synthetic.questions(material, SYNTHETIC_QUESTIONS)
        results[size] = run_worker(
            str(directory), questions, tmp, profile=profile and size == max(sizes)
        )
        results[size]["generated"] = generated
        labels[size] = f"synthetic, {size:,} intents"
    rows = []
    for size, r in results.items():
        rows.append(
            [
                labels[size],
                f"{r['phrases']:,}",
                len(r["times"]),
                pct(r["answered"] / len(r["times"])),
                ms(statistics.median(r["times"])),
                ms(percentile(r["times"], 99)),
                ms(max(r["times"])),
                ms(r["load"]),
                mib(r["rss_kib"]),
            ]
        )
    out.section(
        "b. Time per question, load time and memory by knowledge-base size",
        "Each row runs in a fresh process: `Engine.load()` is timed (import excluded), "
        "the peak RSS is read right after loading (`ru_maxrss`; the process is started by "
        "a ~10 MiB launcher, so the figure is its own), then each question is "
        "answered once untimed and once timed. Synthetic bases: ten phrases per language "
        "per intent, word salad from ~3,000 words per language (Zipf-distributed fillers, "
        "a shared set of question words); their questions mix phrases with one word "
        "swapped (40%), with a typo and a word dropped (20%), vocabulary word salad (20%) "
        "and unknown words (20%).\n\n"
        + table(
            [
                "knowledge base",
                "phrases",
                "questions",
                "answered",
                "median ms",
                "p99 ms",
                "max ms",
                "load ms",
                "RSS after load MiB",
            ],
            rows,
        ),
    )
    for size in sizes:
        if results[size].get("profile"):
            print(f"cProfile of the questions on {size:,} intents (by own time):\n")
            print(results[size]["profile"])
    return results


# --------------------------------------------------------------------------- c. cold start


# A child's ru_maxrss counts the pages of the process that forked it (Linux copies
# the high-water mark of the forking process's memory at exec), so a child forked
# from this process, which holds scikit-learn and the generated knowledge bases,
# would report this process's size. Children are therefore started by this small
# launcher (about 10 MiB), which also times them without its own start-up.
LAUNCHER = """
import json, os, sys, time
report, args = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.posix_spawn(args[0], args, os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(report, "w") as handle:
    json.dump({"wall": wall, "maxrss": usage.ru_maxrss, "code": os.waitstatus_to_exitcode(status)}, handle)
"""


# Children keep compiled byte code, as an installed package does, but in a
# cache of their own: nothing is written next to the sources, and a
# PYTHONDONTWRITEBYTECODE in the environment does not make every start compile.
PYCACHE = Path(tempfile.gettempdir()) / "kzbot-bench-pycache"
CHILD_ENV = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    "PYTHONPYCACHEPREFIX": str(PYCACHE),
}


def run_measured(args: Sequence[str]) -> tuple[float, int, str]:
    """Wall time, peak RSS (KiB) and standard output of one fresh child process."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        done = subprocess.run(
            [PYTHON, "-c", LAUNCHER, str(report), *args],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
            env=CHILD_ENV,
        )
        measured = json.loads(report.read_text()) if report.exists() else {"code": -1}
    if done.returncode != 0 or measured["code"] != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr}")
    return measured["wall"], measured["maxrss"], done.stdout


LOAD_SNIPPET = """
import json, time
start = time.perf_counter()
from bot import Engine
imported = time.perf_counter()
Engine.load()
loaded = time.perf_counter()
print(json.dumps({"import": imported - start, "load": loaded - imported, "total": loaded - start}))
"""


def cold_section(out: Output) -> dict[str, float]:
    ask = [PYTHON, "-m", "bot", "ask", "hi"]
    run_measured(ask)  # compiles byte code, warms the file cache
    asks = [run_measured(ask) for _ in range(COLD_RUNS)]
    loads = [json.loads(run_measured([PYTHON, "-c", LOAD_SNIPPET])[2]) for _ in range(COLD_RUNS)]
    bare = [run_measured([PYTHON, "-c", "pass"])[0] for _ in range(COLD_RUNS)]
    result = {
        "ask_wall": statistics.median(w for w, _, _ in asks),
        "ask_rss": max(r for _, r, _ in asks),
        "import": statistics.median(x["import"] for x in loads),
        "load": statistics.median(x["load"] for x in loads),
        "import_load": statistics.median(x["total"] for x in loads),
        "bare": statistics.median(bare),
    }
    rows = [
        ['`python -m bot ask "hi"` (wall, whole process)', ms(result["ask_wall"])],
        ['`python -m bot ask "hi"` peak RSS', f"{mib(result['ask_rss'])} MiB"],
        ["`import bot` (in a fresh process)", ms(result["import"])],
        ["`Engine.load()` after the import", ms(result["load"])],
        ["`import bot` + `Engine.load()`", ms(result["import_load"])],
        ["`python -c pass` (interpreter start, for reference)", ms(result["bare"])],
    ]
    out.section(
        "c. Cold start (bundled knowledge base)",
        f"Median of {COLD_RUNS} fresh processes each (after one untimed run), with byte "
        "code cached (`PYTHONPYCACHEPREFIX` in the temporary directory); milliseconds.\n\n"
        + table(["measure", "value"], rows),
    )
    return result


# --------------------------------------------------------------------------- targets


def targets_section(
    out: Output, accuracy: dict[str, Any], scale: dict[int, dict[str, Any]], cold: dict[str, float]
) -> list[str]:
    metrics = accuracy["metrics"]
    engine = metrics[accuracy["engine"]]
    alternatives = {m.name: metrics[m.name] for m in accuracy["alternatives"]}
    best_name = max(alternatives, key=lambda n: alternatives[n]["accuracy"])
    tfidf_name = next(n for n in alternatives if n.startswith("TF-IDF"))
    lines: list[tuple[bool, str]] = []
    lines.append(
        (
            engine["accuracy"] >= alternatives[best_name]["accuracy"],
            f"engine accuracy {pct(engine['accuracy'])} >= best alternative "
            f"{pct(alternatives[best_name]['accuracy'])} ({best_name}, at its best threshold)",
        )
    )
    lines.append(
        (
            engine["median"] < alternatives[tfidf_name]["median"],
            f"engine faster than TF-IDF per question: median {us(engine['median'])} µs vs "
            f"{us(alternatives[tfidf_name]['median'])} µs",
        )
    )
    bundled = statistics.median(scale[0]["times"])
    lines.append(
        (
            bundled < BUNDLED_MEDIAN_MS / 1e3,
            f"median per question on the bundled base {ms(bundled)} ms < {BUNDLED_MEDIAN_MS:g} ms",
        )
    )
    if LARGE_SIZE in scale:
        large = statistics.median(scale[LARGE_SIZE]["times"])
        lines.append(
            (
                large < LARGE_MEDIAN_MS / 1e3,
                f"median per question at {LARGE_SIZE:,} intents {ms(large)} ms < {LARGE_MEDIAN_MS:g} ms",
            )
        )
    lines.append(
        (
            cold["load"] < LOAD_MS / 1e3,
            f"Engine.load() of the bundled base {ms(cold['load'])} ms < {LOAD_MS:g} ms "
            f"(cold, fresh process; with `import bot` {ms(cold['import_load'])} ms)",
        )
    )
    text = "\n".join(f"- {'PASS' if ok else 'FAIL'}: {line}" for ok, line in lines)
    out.section("Targets", text)
    return [line for ok, line in lines if not ok]


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1000,10000", help="synthetic sizes, comma-separated")
    parser.add_argument("--profile", action="store_true", help="cProfile the largest base")
    parser.add_argument("--no-write", action="store_true", help="do not write results.md")
    parser.add_argument("--worker", nargs=2, metavar=("KB", "QUESTIONS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], args.worker[1], args.profile)
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    started = time.perf_counter()
    out = Output()
    header = (
        "# Benchmarks\n\n"
        f"`benchmarks/run.py`, {time.strftime('%Y-%m-%d %H:%M')}; Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs "
        f"({platform.processor() or 'unknown processor'}).\n"
    )
    print(header)
    out.parts.append(header)
    accuracy = accuracy_section(out)
    with tempfile.TemporaryDirectory(prefix="kzbot-bench-") as tmp:
        scale = scale_section(out, sizes, Path(tmp), args.profile)
    cold = cold_section(out)
    failed = targets_section(out, accuracy, scale, cold)
    out.add(f"Total run time {time.perf_counter() - started:.0f} s.")
    if not args.no_write:
        RESULTS.write_text("\n".join(out.parts) + _blind_section(), encoding="utf-8")
        print(f"written to {RESULTS.relative_to(ROOT)}")
    return 1 if failed else 0


def _blind_section() -> str:
    """The blind evaluations' record, kept by hand at the end of results.md: never overwritten."""
    try:
        old = RESULTS.read_text(encoding="utf-8")
    except OSError:
        return ""
    start = old.find(BLIND_HEADING)
    return "\n\n" + old[start:].rstrip() + "\n" if start >= 0 else ""


if __name__ == "__main__":
    sys.exit(main())
