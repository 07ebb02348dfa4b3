"""The evaluation report: exact arithmetic on a small fixture, and the dev set's bar."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot import Engine
from bot.tools.eval import EvalError, evaluate, format_report, load_cases

HERE = Path(__file__).parent
DEV_SET = sorted((HERE / "eval").glob("*.yaml"))


@pytest.fixture(scope="module")
def small() -> tuple[Engine, list]:  # type: ignore[type-arg]
    engine = Engine.load(HERE / "fixtures" / "kb")
    return engine, load_cases(
        [HERE / "fixtures" / "eval_small.yaml"], {i.id for i in engine.intents}
    )


def test_report_numbers_on_a_fixture(small: tuple[Engine, list]) -> None:  # type: ignore[type-arg]
    engine, cases = small
    report = evaluate(engine, cases, with_loo=True)
    overall = report.summary()
    # 6 questions: 3 answered right, 1 labelled wrong on purpose, 1 declined
    # right, 1 greeting answered where a decline was expected.
    assert overall["questions"] == 6
    assert overall["accuracy"] == pytest.approx(4 / 6)
    assert overall["on_topic_accuracy"] == pytest.approx(3 / 4)
    assert overall["false_accept"] == pytest.approx(1 / 2)
    assert overall["false_reject"] == 0
    assert overall["decline_precision"] == 1
    assert overall["decline_recall"] == pytest.approx(1 / 2)
    # per intent: volume P1 R.5; exports P1 R1; students P.5 R1; greeting P0 R0 (support 0)
    per_intent = report.per_intent()
    assert per_intent["trade.volume"] == {
        "precision": 1.0,
        "recall": 0.5,
        "f1": pytest.approx(2 / 3),
        "support": 2,
    }
    assert per_intent["education.students"]["precision"] == 0.5
    assert next(iter(per_intent)) == "smalltalk.greeting", "worst first"
    assert overall["macro_f1"] == pytest.approx((2 / 3 + 1 + 2 / 3 + 0) / 4)
    tr = report.summary("tr")
    assert (tr["questions"], tr["false_accept"], tr["on_topic_accuracy"]) == (3, 1.0, 1.0)
    assert report.counts["en"] == {"intents": 4, "phrases": 8, "questions": 3, "off_topic": 1}
    confusions = {(a, b): len(items) for a, b, items in report.confusions()}
    assert confusions == {
        ("decline", "smalltalk.greeting"): 1,
        ("trade.volume", "education.students"): 1,
    }
    assert sum(r + w for _, r, w in report.histogram()) == 6
    configured = [
        row
        for row in report.sweep
        if (row["threshold"], row["margin"]) == (engine.threshold, engine.margin)
    ]
    assert configured and configured[0]["false_accept"] == pytest.approx(1 / 2)
    assert set(report.loo) == {"en", "tr"}
    text = format_report(report)
    assert "<- configured" in text and "most confused" in text


def test_bad_eval_file_is_reported_with_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "- {q: hello, intent: smalltalk.greeting}\n- {q: x, intent: no.such}\n", encoding="utf-8"
    )
    with pytest.raises(EvalError, match=r"bad.yaml:2: unknown intent 'no.such'"):
        load_cases([bad], {"smalltalk.greeting"})


def test_dev_set_is_large_and_balanced() -> None:
    cases = load_cases(DEV_SET)
    assert len(cases) >= 300
    turkish = sum(c.lang == "tr" for c in cases)
    assert turkish >= len(cases) * 0.45
    assert sum(c.expected == "decline" for c in cases) >= len(cases) / 5


def test_engine_meets_the_bar_on_the_dev_set(engine: Engine) -> None:
    report = evaluate(engine, load_cases(DEV_SET, {i.id for i in engine.intents}))
    overall = report.summary()
    failures = "\n".join(
        f"{o.case.question!r}: expected {o.case.expected}, got {o.got} ({o.answer.score})"
        for o in report.outcomes
        if not o.correct
    )
    assert overall["accuracy"] >= 0.95, failures
    for lang in ("en", "tr"):
        assert report.summary(lang)["on_topic_accuracy"] >= 0.97, lang


def test_fail_under_exits_non_zero() -> None:
    fixture = HERE / "fixtures"
    command = [
        sys.executable,
        "-m",
        "bot",
        "--intents",
        str(fixture / "kb"),
        "eval",
        str(fixture / "eval_small.yaml"),
        "--no-loo",
    ]
    assert (
        subprocess.run([*command, "--fail-under", "60"], capture_output=True, timeout=60).returncode
        == 0
    )
    assert (
        subprocess.run([*command, "--fail-under", "70"], capture_output=True, timeout=60).returncode
        == 1
    )
    assert (
        subprocess.run(
            [*command, "--max-false-accept", "40"], capture_output=True, timeout=60
        ).returncode
        == 1
    )
