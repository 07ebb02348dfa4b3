"""`check` tells a curator what an edit did: clashes, duplicates, and the difference from before.

Each test edits a private copy of the bundled knowledge base the way a curator
would (a phrase pasted under the wrong intent, a copy of another intent's
phrase reworded) and asserts what `check` says about it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot import Engine
from bot.kb import bundled_dir, load_catalog
from bot.tools.check import check_engine
from bot.tools.diff import Snapshot, compare, snapshot, snapshot_at
from bot.tools.eval import Case


def bot(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


@pytest.fixture
def intents(tmp_path: Path) -> Path:
    """A private copy of the bundled knowledge base, free to edit."""
    target = tmp_path / "intents"
    shutil.copytree(bundled_dir(), target)
    return target


def add_phrase(directory: Path, file: str, after: str, phrase: str) -> int:
    """Insert ``phrase`` as a list item after the phrase ``after``; returns its line."""
    path = directory / file
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(n for n, line in enumerate(lines) if line.strip() == f"- {after}")
    indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
    lines.insert(at + 1, f"{indent}- {phrase}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return at + 2


def test_the_bundled_knowledge_base_has_no_problems() -> None:
    findings = check_engine(Engine.load())
    assert findings.problems == ()


def test_a_phrase_reworded_from_another_intent_is_a_duplicate(intents: Path) -> None:
    # The words of an investment.turkish phrase, in another order, under the Kazakh
    # investment: the matcher cannot tell them apart.
    line = add_phrase(
        intents,
        "economy.yaml",
        "how much has kazakhstan invested in turkey?",
        "has turkey invested how much in kazakhstan?",
    )
    problems = check_engine(Engine(load_catalog(intents))).problems
    assert problems, "a duplicate across intents must be reported"
    assert any(p.file == "economy.yaml" and p.line == line for p in problems), problems


def test_a_problem_points_at_the_phrase_not_its_intent(intents: Path) -> None:
    line = add_phrase(
        intents,
        "economy.yaml",
        "what is the trade target?",
        "how much did turkey export in 2016?",
    )
    problems = check_engine(Engine(load_catalog(intents))).problems
    assert [(p.file, p.line) for p in problems] == [("economy.yaml", line)]
    assert "trade.target" in problems[0].message


def test_a_phrase_pasted_under_the_wrong_intent_is_a_new_notice(intents: Path) -> None:
    before = snapshot(Engine(load_catalog(intents)), [])
    add_phrase(
        intents,
        "economy.yaml",
        "what was the trade volume in 2016?",
        "how much did Turkey invest in Kazakhstan altogether?",
    )
    after = snapshot(Engine(load_catalog(intents)), [])
    change = compare(before, after)
    assert any("trade.volume" in n and "investment.turkish" in n for n in change.new_notices)
    assert change.gone_notices == []


def test_diff_lists_questions_an_edit_broke(intents: Path, tmp_path: Path) -> None:
    cases = [
        Case("How much did Turkey invest in Kazakhstan?", "investment.turkish", "en"),
        Case("Türkiye Kazakistan'a ne kadar yatırım yaptı?", "investment.turkish", "tr"),
        Case("What is the weather like in Paris?", "decline", "en"),
    ]
    saved = tmp_path / "before.json"
    saved.write_text(snapshot(Engine(load_catalog(intents)), cases).to_json(), encoding="utf-8")
    # Drop the Turkish investment intent's phrases and title words: its questions now miss.
    path = intents / "economy.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("investment.turkish", "investment.turkish_gone"), "utf-8")
    broken = compare(
        Snapshot.from_json(saved.read_text(encoding="utf-8")),
        snapshot(Engine(load_catalog(intents)), cases),
    ).broken
    assert {(q, lang) for q, lang, *_ in broken} == {(c.question, c.lang) for c in cases[:2]}
    assert (
        snapshot_at(str(saved), intents, cases).answers
        == Snapshot.from_json(saved.read_text(encoding="utf-8")).answers
    )


def test_check_diff_against_a_git_revision(intents: Path) -> None:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], cwd=intents, check=True)
    subprocess.run([*git, "add", "."], cwd=intents, check=True)
    subprocess.run([*git, "commit", "-qm", "kb"], cwd=intents, check=True)
    add_phrase(
        intents, "economy.yaml", "what is the trade target?", "how much did turkey export in 2016?"
    )
    result = bot("--intents", str(intents), "check", "--diff", "HEAD", cwd=intents.parent)
    assert result.returncode == 1
    assert "new problems: 1" in result.stdout
    assert "economy.yaml:" in result.stderr and str(intents) not in result.stderr
    assert "compared on" in result.stdout


def test_check_diff_with_an_unknown_revision_is_a_clear_error(intents: Path) -> None:
    result = bot("--intents", str(intents), "check", "--diff", "no-such-ref")
    assert result.returncode == 2
    assert "--diff no-such-ref" in result.stderr and "Traceback" not in result.stderr


def test_invalid_yaml_in_one_file_is_one_problem_not_a_cascade(intents: Path) -> None:
    path = intents / "economy.yaml"
    text = path.read_text(encoding="utf-8")
    # An unquoted answer with ': ' in it: the file is not valid YAML.
    broken = text.replace('en: "In {trade_year}, bilateral', "en: In {trade_year}: bilateral", 1)
    assert broken != text
    path.write_text(broken, encoding="utf-8")
    result = bot("--intents", str(intents), "check")
    problems = [line for line in result.stderr.splitlines() if not line.startswith("notice")]
    assert result.returncode == 1
    assert problems[0].startswith("economy.yaml:") and "quote text that contains" in problems[0]
    assert not any("does not exist" in line for line in problems), problems


def test_a_revision_that_looks_like_an_option_is_refused(intents: Path, tmp_path: Path) -> None:
    target = tmp_path / "pwned.tar"
    result = bot("--intents", str(intents), "check", "-q", f"--diff=--output={target}")
    assert result.returncode == 2 and "is not a revision" in result.stderr
    assert not target.exists()


def test_an_unwritable_report_is_an_error_not_a_traceback(intents: Path, tmp_path: Path) -> None:
    result = bot("--intents", str(intents), "check", "-q", "--report", str(tmp_path / "no" / "r"))
    assert result.returncode == 2 and "cannot write" in result.stderr
    assert "Traceback" not in result.stderr
