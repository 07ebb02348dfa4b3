"""Evaluation: how well the engine answers a labelled set of questions.

A set is a YAML list of ``{q: question, intent: id or "decline", lang: en|tr}``,
with an optional ``kind`` (answerable, near_miss, offtopic, chatty, smalltalk...;
by default the file's name), reported separately. A question labelled
``decline`` is answered right by a decline or a ``partial`` answer (what the
document says nearby, marked as not the answer); a clarification is neither an
answer nor a decline, and counts as wrong either way.
The report gives accuracy per language, decline precision and recall, the
false-accept rate (an off-topic question answered), per-intent precision and
recall, the most confused pairs, a threshold x margin sweep, a score histogram
and leave-one-out over the intents' own phrases.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from babel import Locale

from bot.dialogue import Answer, Engine, Policy, decide
from bot.kb.yaml import Mapping, YamlError, read_yaml
from bot.kb.yaml import Sequence as YamlSequence
from bot.match import HeldOut

__all__ = ["Case", "EvalError", "Report", "evaluate", "load_cases"]

DECLINE = "decline"
CLARIFY = "clarify"


class EvalError(Exception):
    """An evaluation file could not be read."""


@dataclass(frozen=True, slots=True)
class Case:
    question: str
    expected: str  # an intent id, or "decline"
    lang: str | None = None
    kind: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    case: Case
    answer: Answer

    @property
    def got(self) -> str:
        """The intent answered, "clarify", or "decline" (a decline or a partial answer)."""
        if self.answer.kind == "clarify":
            return CLARIFY
        return self.answer.intent or DECLINE

    @property
    def correct(self) -> bool:
        return self.got == self.case.expected


def load_cases(
    paths: Iterable[Path], known: set[str] | None = None, languages: Sequence[str] = ("en", "tr")
) -> list[Case]:
    """Read labelled questions; raise :class:`EvalError` naming the file and line."""
    cases: list[Case] = []
    for path in paths:
        try:
            data = read_yaml(path)
        except YamlError as exc:
            raise EvalError(f"{path}:{exc.line}: {exc.message}") from None
        if not isinstance(data, YamlSequence):
            raise EvalError(f"{path}: expected a list of {{q, intent, lang}} items")
        for item, line in zip(data, data.item_lines, strict=True):
            if not isinstance(item, Mapping) or not isinstance(item.get("q"), str):
                raise EvalError(f"{path}:{line}: each item needs `q` (the question) and `intent`")
            expected = item.get("intent")
            if not isinstance(expected, str) or (
                known is not None and expected != DECLINE and expected not in known
            ):
                raise EvalError(f"{path}:{line}: unknown intent {expected!r}")
            lang = item.get("lang")
            if lang is not None and lang not in languages:
                raise EvalError(f"{path}:{line}: lang must be one of {', '.join(languages)}")
            kind = item.get("kind", path.stem)
            cases.append(Case(item["q"], expected, lang, str(kind)))
    return cases


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def _f1(precision: float, recall: float) -> float:
    return _ratio(2 * precision * recall, precision + recall)


@dataclass
class Report:
    """Everything measured on one run; :meth:`to_dict` is the ``--json`` form."""

    outcomes: list[Outcome]
    threshold: float
    margin: float
    languages: tuple[str, ...] = ("en", "tr")
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    loo: dict[str, float] = field(default_factory=dict)
    sweep: list[dict[str, float]] = field(default_factory=list)

    def subset(self, lang: str | None) -> list[Outcome]:
        return [o for o in self.outcomes if lang is None or o.case.lang == lang]

    def summary(self, lang: str | None = None) -> dict[str, float]:
        outcomes = self.subset(lang)
        on_topic = [o for o in outcomes if o.case.expected != DECLINE]
        off_topic = [o for o in outcomes if o.case.expected == DECLINE]
        declined = [o for o in outcomes if o.got == DECLINE]
        per_intent = self.per_intent(lang)
        return {
            "questions": len(outcomes),
            "accuracy": _ratio(sum(o.correct for o in outcomes), len(outcomes)),
            "on_topic_accuracy": _ratio(sum(o.correct for o in on_topic), len(on_topic)),
            "macro_f1": _ratio(sum(v["f1"] for v in per_intent.values()), len(per_intent)),
            "false_accept": _ratio(sum(o.got != DECLINE for o in off_topic), len(off_topic)),
            "false_reject": _ratio(sum(o.got == DECLINE for o in on_topic), len(on_topic)),
            "decline_precision": _ratio(
                sum(o.case.expected == DECLINE for o in declined), len(declined)
            ),
            "decline_recall": _ratio(sum(o.got == DECLINE for o in off_topic), len(off_topic)),
            "clarified": _ratio(sum(o.answer.kind == "clarify" for o in outcomes), len(outcomes)),
            "partial": _ratio(sum(o.answer.kind == "partial" for o in outcomes), len(outcomes)),
            "language_accuracy": _ratio(
                sum(o.answer.lang == o.case.lang for o in outcomes if o.case.lang),
                sum(1 for o in outcomes if o.case.lang),
            ),
        }

    def kinds(self) -> dict[str, dict[str, float]]:
        """Accuracy per kind of question, overall and per language."""
        result: dict[str, dict[str, float]] = {}
        for kind in sorted({o.case.kind for o in self.outcomes}):
            outcomes = [o for o in self.outcomes if o.case.kind == kind]
            row: dict[str, float] = {
                "questions": len(outcomes),
                "accuracy": _ratio(sum(o.correct for o in outcomes), len(outcomes)),
            }
            for lang in self.languages:
                mine = [o for o in outcomes if o.case.lang == lang]
                row[lang] = _ratio(sum(o.correct for o in mine), len(mine))
            for answer_kind in ("answer", "partial", "clarify", "decline"):
                row[answer_kind] = sum(o.answer.kind == answer_kind for o in outcomes)
            result[kind] = row
        return result

    def per_intent(self, lang: str | None = None) -> dict[str, dict[str, float]]:
        outcomes = self.subset(lang)
        labels = {o.case.expected for o in outcomes} | {o.got for o in outcomes}
        labels -= {DECLINE, CLARIFY}
        result = {}
        for label in labels:
            tp = sum(o.got == label and o.case.expected == label for o in outcomes)
            predicted = sum(o.got == label for o in outcomes)
            support = sum(o.case.expected == label for o in outcomes)
            precision, recall = _ratio(tp, predicted), _ratio(tp, support)
            result[label] = {
                "precision": precision,
                "recall": recall,
                "f1": _f1(precision, recall),
                "support": support,
            }
        return dict(sorted(result.items(), key=lambda kv: (kv[1]["f1"], kv[0])))

    def confusions(self, limit: int = 10) -> list[tuple[str, str, list[Outcome]]]:
        pairs: dict[tuple[str, str], list[Outcome]] = defaultdict(list)
        for outcome in self.outcomes:
            if not outcome.correct:
                pairs[(outcome.case.expected, outcome.got)].append(outcome)
        ordered = sorted(pairs.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        return [(a, b, items) for (a, b), items in ordered[:limit]]

    def histogram(self, bins: int = 10) -> list[tuple[int, int, int]]:
        """(bin start, right answers, wrong answers) over the top score."""
        right: Counter[int] = Counter()
        wrong: Counter[int] = Counter()
        width = 100 // bins
        for outcome in self.outcomes:
            top = outcome.answer.ranking[0] if outcome.answer.ranking else None
            bucket = min(int((top.score if top else 0.0) // width), bins - 1) * width
            truth_top = top is not None and top.intent == outcome.case.expected
            (right if truth_top else wrong)[bucket] += 1
        return [(b * width, right[b * width], wrong[b * width]) for b in range(bins)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "margin": self.margin,
            "counts": self.counts,
            "overall": self.summary(),
            "languages": {lang: self.summary(lang) for lang in self.languages},
            "kinds": self.kinds(),
            "intents": self.per_intent(),
            "confusions": [
                {
                    "expected": a,
                    "got": b,
                    "count": len(items),
                    "questions": [{"q": o.case.question, "score": o.answer.score} for o in items],
                }
                for a, b, items in self.confusions()
            ],
            "sweep": self.sweep,
            "histogram": [{"from": b, "right": r, "wrong": w} for b, r, w in self.histogram()],
            "leave_one_out": self.loo,
            "misses": [
                {
                    "q": o.case.question,
                    "lang": o.case.lang,
                    "expected": o.case.expected,
                    "got": o.got,
                    "kind": o.answer.kind,
                    "score": o.answer.score,
                }
                for o in self.outcomes
                if not o.correct
            ],
        }


def sweep(
    outcomes: Sequence[Outcome],
    thresholds: Iterable[float],
    margins: Iterable[float],
    policy: Policy | None = None,
) -> list[dict[str, float]]:
    """The engine's decision replayed on the same rankings under other thresholds and margins."""
    rows = []
    margins = list(margins)
    base = policy or Policy()
    for threshold in thresholds:
        for margin in margins:
            answered = right = false_accept = off_topic = 0
            trial = replace(base, threshold=threshold, margin=margin)
            for outcome in outcomes:
                decision = decide(outcome.answer.ranking, trial)
                label = decision.intents[0] if decision.verdict == "answer" else DECLINE
                is_off = outcome.case.expected == DECLINE
                off_topic += is_off
                if label != DECLINE:
                    answered += 1
                    right += label == outcome.case.expected
                    false_accept += is_off
            rows.append(
                {
                    "threshold": threshold,
                    "margin": margin,
                    "answered": _ratio(answered, len(outcomes)),
                    "accuracy_when_answered": _ratio(right, answered),
                    "false_accept": _ratio(false_accept, off_topic),
                }
            )
    return rows


def leave_one_out(engine: Engine) -> dict[str, float]:
    """Per language, the share of phrases answered right when each is held out (if the ranker can)."""
    ranker = engine.ranker
    return ranker.leave_one_out(engine.threshold) if isinstance(ranker, HeldOut) else {}


def evaluate(engine: Engine, cases: Sequence[Case], with_loo: bool = False) -> Report:
    outcomes = [Outcome(c, engine.answer(c.question)) for c in cases]
    report = Report(outcomes, engine.threshold, engine.margin, engine.codes)
    for lang in engine.codes:
        report.counts[lang] = {
            "intents": sum(1 for i in engine.intents if i.phrases[lang]),
            "phrases": sum(len(i.phrases[lang]) for i in engine.intents),
            "questions": sum(1 for c in cases if c.lang == lang),
            "off_topic": sum(1 for c in cases if c.lang == lang and c.expected == DECLINE),
        }
    thresholds = sorted({engine.threshold, *range(30, 80, 5)})
    report.sweep = sweep(
        outcomes, thresholds, sorted({0.0, engine.margin, 2.0, 8.0}), engine.policy
    )
    if with_loo:
        report.loo = leave_one_out(engine)
    return report


def format_report(report: Report, misses: int = 40) -> str:
    """The human-readable report."""
    lines = []
    pct = "{:6.1%}".format
    lines.append(f"threshold {report.threshold:g}, margin {report.margin:g}")
    lines.append("")
    lines.append(
        "                  questions  accuracy  macro-F1  false-accept  false-reject  clarified"
    )
    for label, lang in (*((_language_name(c), c) for c in report.languages), ("all", None)):
        s = report.summary(lang)
        lines.append(
            f"{label:<17} {int(s['questions']):>9}  {pct(s['accuracy'])}    {pct(s['macro_f1'])}"
            f"        {pct(s['false_accept'])}        {pct(s['false_reject'])}     {pct(s['clarified'])}"
        )
    overall = report.summary()
    lines.append("")
    lines.append(
        f"declines: precision {pct(overall['decline_precision'])}, recall {pct(overall['decline_recall'])}"
        f"; language detected right {pct(overall['language_accuracy'])}"
        f"; partial answers {pct(overall['partial'])}"
    )
    kinds = report.kinds()
    if len(kinds) > 1:
        lines.append("")
        languages = "".join(f"  {code:>6}" for code in report.languages)
        lines.append(
            f"by kind            questions  accuracy{languages}   answer partial clarify decline"
        )
        for kind, row in kinds.items():
            per_lang = "".join(f"  {pct(row[code])}" for code in report.languages)
            lines.append(
                f"  {kind:<18} {int(row['questions']):>7}    {pct(row['accuracy'])}{per_lang}"
                f"   {int(row['answer']):>6} {int(row['partial']):>7} {int(row['clarify']):>7}"
                f" {int(row['decline']):>7}"
            )
    if report.counts:
        lines.append(
            "knowledge base: "
            + "; ".join(
                f"{lang}: {c['intents']} intents, {c['phrases']} phrases, {c['questions']} questions "
                f"({c['off_topic']} off-topic)"
                for lang, c in report.counts.items()
            )
        )
    if report.loo:
        lines.append(
            "leave-one-out over the phrases: "
            + ", ".join(f"{k} {pct(v)}" for k, v in report.loo.items())
        )
    lines.append("")
    lines.append("worst intents (precision / recall / F1 / support):")
    for intent, m in list(report.per_intent().items())[:8]:
        lines.append(
            f"  {intent:<32} {pct(m['precision'])} {pct(m['recall'])} {pct(m['f1'])} {int(m['support']):>4}"
        )
    confusions = report.confusions()
    if confusions:
        lines.append("")
        lines.append("most confused (expected -> got):")
        for expected, got, items in confusions[:8]:
            lines.append(f"  {expected} -> {got}: {len(items)}")
            for o in items[:3]:
                lines.append(f"      {o.answer.score:5.1f}  {o.case.question}")
    lines.append("")
    lines.append("threshold x margin sweep (answered / accuracy when answered / false-accept):")
    for row in report.sweep:
        mark = (
            " <- configured"
            if (row["threshold"], row["margin"]) == (report.threshold, report.margin)
            else ""
        )
        lines.append(
            f"  t={row['threshold']:>4g} m={row['margin']:>3g}  {pct(row['answered'])} "
            f"{pct(row['accuracy_when_answered'])} {pct(row['false_accept'])}{mark}"
        )
    lines.append("")
    lines.append("top score histogram (# right top intent, . wrong):")
    for start, right, wrong in report.histogram():
        lines.append(f"  {start:>3}-{start + 9:<3} {'#' * right}{'.' * wrong}")
    failed = [o for o in report.outcomes if not o.correct]
    if failed:
        lines.append("")
        lines.append(f"misses ({len(failed)}):")
        for o in failed[:misses]:
            lines.append(
                f"  [{o.case.lang or '?'}] {o.case.question!r}: expected {o.case.expected}, "
                f"got {o.got} ({o.answer.kind}, {o.answer.score:.1f})"
            )
    return "\n".join(lines)


def _language_name(code: str) -> str:
    return str(Locale.parse(code).get_language_name("en") or code).capitalize()
