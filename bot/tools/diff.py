"""What an edit of the knowledge base did: ``check --diff REF``.

The knowledge base as it is now and as it was at ``REF`` (a git commit, branch
or tag of the repository holding it, a copy of the folder, or a report saved
earlier with ``check --report FILE``) answer the same labelled questions and are checked the same
way; the difference is what the edit did: questions it broke, questions it
fixed, and problems or notices it added or removed.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.dialogue import Engine
from bot.kb import CatalogError, Problem, load_catalog
from bot.tools.check import Findings, check_engine
from bot.tools.eval import Case, evaluate

__all__ = ["Change", "DiffError", "Snapshot", "compare", "snapshot", "snapshot_at"]

_REPORT_VERSION = 1
#: Where a finding is and the scores it quotes: a line added above it, or a score moved by a
#: point, is not a change.
_PLACE_AND_SCORES = re.compile(r":\d+:|\(\d+\)")


class DiffError(Exception):
    """The state to compare with cannot be had; the message says why."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """How one version of a knowledge base answers and checks."""

    #: (question, language) -> what was answered: an intent id, "decline" or "clarify".
    answers: dict[tuple[str, str], str]
    #: (question, language) -> what should have been.
    expected: dict[tuple[str, str], str]
    problems: frozenset[str] = frozenset()
    notices: frozenset[str] = frozenset()

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": _REPORT_VERSION,
                "answers": [
                    {"q": q, "lang": lang, "got": got, "expected": self.expected.get((q, lang))}
                    for (q, lang), got in sorted(self.answers.items())
                ],
                "problems": sorted(self.problems),
                "notices": sorted(self.notices),
            },
            ensure_ascii=False,
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> Snapshot:
        try:
            data: Any = json.loads(text)
            if data.get("version") != _REPORT_VERSION:
                raise DiffError(
                    f"a report of version {data.get('version')!r}, not {_REPORT_VERSION}"
                )
            rows = data["answers"]
            return cls(
                answers={(str(r["q"]), str(r["lang"])): str(r["got"]) for r in rows},
                expected={
                    (str(r["q"]), str(r["lang"])): str(r["expected"])
                    for r in rows
                    if r.get("expected") is not None
                },
                problems=frozenset(map(str, data.get("problems", []))),
                notices=frozenset(map(str, data.get("notices", []))),
            )
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise DiffError(f"not a report written by `check --report` ({exc})") from None


@dataclass(frozen=True, slots=True)
class Change:
    """The difference between two snapshots, for the same labelled questions."""

    broken: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    fixed: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    new_problems: list[str] = field(default_factory=list)
    gone_problems: list[str] = field(default_factory=list)
    new_notices: list[str] = field(default_factory=list)
    gone_notices: list[str] = field(default_factory=list)
    compared: int = 0
    #: Questions only the new version could answer (about intents added since).
    new_only: int = 0

    def format(self) -> str:
        lines = [f"compared on {self.compared} labelled questions"]
        if self.new_only:
            lines[0] += (
                f" ({self.new_only} more ask about intents added since: `make eval` counts them)"
            )
        for title, rows in (("newly wrong", self.broken), ("newly right", self.fixed)):
            lines.append(f"{title}: {len(rows)}")
            lines += [
                f"  [{lang}] {q!r}: expected {expected}, was {before}, now {after}"
                for q, lang, expected, before, after in rows
            ]
        for title, items in (
            ("new problems", self.new_problems),
            ("problems gone", self.gone_problems),
            ("new notices", self.new_notices),
            ("notices gone", self.gone_notices),
        ):
            if items:
                lines.append(f"{title}: {len(items)}")
                lines += [f"  {item}" for item in items]
        return "\n".join(lines)


def snapshot(engine: Engine, cases: Sequence[Case], findings: Findings | None = None) -> Snapshot:
    """Answer ``cases`` with ``engine`` and check it."""
    findings = findings if findings is not None else check_engine(engine)
    report = evaluate(engine, cases, with_loo=False)
    answers: dict[tuple[str, str], str] = {}
    expected: dict[tuple[str, str], str] = {}
    for outcome in report.outcomes:
        key = (outcome.case.question, outcome.case.lang or outcome.answer.lang)
        answers[key] = outcome.got
        expected[key] = outcome.case.expected
    return Snapshot(
        answers,
        expected,
        frozenset(map(str, findings.problems)),
        frozenset(map(str, findings.notices)),
    )


def snapshot_at(ref: str, directory: Path, cases: Sequence[Case]) -> Snapshot:
    """The snapshot of ``directory`` as it was at ``ref``: a saved report's path, another
    knowledge-base folder, or a git revision of the repository that holds ``directory``."""
    saved = Path(ref)
    if saved.is_file():
        try:
            return Snapshot.from_json(saved.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise DiffError(f"cannot read {ref}: {exc}") from None
    if saved.is_dir():
        return _snapshot_of(saved, ref, cases)
    with tempfile.TemporaryDirectory(prefix="kzbot-diff-") as work:
        return _snapshot_of(_checkout(ref, directory, Path(work)), ref, cases)


def _snapshot_of(directory: Path, ref: str, cases: Sequence[Case]) -> Snapshot:
    try:
        catalog = load_catalog(directory)
    except CatalogError as exc:
        first = exc.problems[0] if exc.problems else Problem("", 0, "")
        raise DiffError(f"the knowledge base at {ref} does not load: {first}") from None
    engine = Engine(catalog)
    known = {intent.id for intent in engine.intents}
    return snapshot(engine, [c for c in cases if c.expected in known or c.expected == "decline"])


def _unplaced(findings: frozenset[str]) -> dict[str, str]:
    """Findings keyed without their line numbers and scores."""
    return {_PLACE_AND_SCORES.sub("", finding): finding for finding in findings}


def _added(before: frozenset[str], after: frozenset[str]) -> list[str]:
    old, new = _unplaced(before), _unplaced(after)
    return sorted(new[key] for key in new.keys() - old.keys())


def compare(before: Snapshot, after: Snapshot) -> Change:
    """What changed from ``before`` to ``after`` on the questions both answered."""
    change = Change()
    shared = sorted(before.answers.keys() & after.answers.keys())
    for key in shared:
        expected = after.expected.get(key) or before.expected.get(key, "")
        was, now = before.answers[key], after.answers[key]
        if was == now:
            continue
        row = (key[0], key[1], expected, was, now)
        if was == expected:
            change.broken.append(row)
        elif now == expected:
            change.fixed.append(row)
    return Change(
        broken=change.broken,
        fixed=change.fixed,
        new_problems=_added(before.problems, after.problems),
        gone_problems=_added(after.problems, before.problems),
        new_notices=_added(before.notices, after.notices),
        gone_notices=_added(after.notices, before.notices),
        compared=len(shared),
        new_only=len(after.answers.keys() - before.answers.keys()),
    )


def _checkout(ref: str, directory: Path, work: Path) -> Path:
    """Extract ``directory`` as it was at git revision ``ref`` into ``work``."""
    if ref.startswith("-"):
        raise DiffError(f"{ref!r} is not a revision")  # git would read it as an option
    directory = directory.resolve()
    top = _git(directory, "rev-parse", "--show-toplevel").decode().strip()
    inside = directory.relative_to(Path(top).resolve()).as_posix()
    archive = _git(Path(top), "archive", "--format=tar", ref, "--", inside or ".")
    try:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(work, filter="data")
    except tarfile.TarError as exc:
        raise DiffError(
            f"git gave no readable archive of {inside or '.'} at {ref}: {exc}"
        ) from None
    return work / inside if inside else work


def _git(directory: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(
            ["git", "-C", str(directory), *args], capture_output=True, check=False, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DiffError(f"git is needed to compare with a revision: {exc}") from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise DiffError(
            f"not a saved report, nor a git revision of {directory}: "
            f"{message[-1] if message else 'git failed'}"
        )
    return done.stdout
