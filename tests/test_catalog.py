"""Loading and checking the knowledge base: mistakes are loud, with file and line."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot import CatalogError, Engine
from bot.kb.catalog import load_catalog


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture changed: {old!r} not found"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems(directory: Path) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        load_catalog(directory)
    return [str(p) for p in caught.value.problems]


def test_fixture_loads_and_renders_values(kb: Path) -> None:
    catalog = load_catalog(kb)
    assert [i.id for i in catalog.intents] == [
        "trade.volume",
        "trade.exports",
        "education.students",
        "smalltalk.greeting",
    ]
    volume = catalog.intent("trade.volume")
    assert volume.answer == {
        "en": "Trade reached 1.96 billion US dollars.",
        "tr": "Ticaret 1,96 milyar ABD doları oldu.",
    }
    assert catalog.intent("trade.exports").source == ("with 625 million Dollars exports",)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("topics:\n", "topics:\n  bad: [1, 2\n", "kb.yaml:8: invalid YAML"),
        (
            "    topic: economy\n",
            "    topic: economy\n    colour: red\n",
            "kb.yaml:14: unknown key 'colour'",
        ),
        ("id: trade.exports", "id: trade.volume", "duplicate id 'trade.volume'"),
        (
            "      tr: [ihracat ne kadar, türkiye ne kadar ihracat yaptı]\n",
            "",
            "trade.exports phrases: missing the 'tr' list",
        ),
        ("      tr: İhracat {exports} oldu.\n", "", "trade.exports answer: missing the 'tr' text"),
        (
            "[ihracat ne kadar,",
            "[ticaret hacmi ne kadar,",
            "phrase 'ticaret hacmi ne kadar' is also in trade.volume",
        ),
        (
            "related: [trade.exports]",
            "related: [trade.nowhere]",
            "related id 'trade.nowhere' does not exist",
        ),
        (
            "Trade reached {volume}.",
            "Trade reached {volumen}.",
            "unknown value {volumen} (did you mean {volume}?)",
        ),
        ("topic: education", "topic: schools", "unknown topic 'schools'"),
        ("students: {number: 8000}", "students: {number: many}", "value 'students': not a number"),
        ("source: Approximately 8,000", "source: Nearly 9,000", "source quote not found"),
        (
            "  volume: {money",
            "  exports: {money: 1, currency: USD}\n  volume: {money",
            "duplicate key 'exports'",
        ),
        ("values:\n", "values: &v\n", "anchors and aliases are not allowed"),
    ],
)
def test_mistakes_are_reported_with_file_and_line(
    kb: Path, old: str, new: str, expected: str
) -> None:
    edit(kb / "kb.yaml", old, new)
    found = problems(kb)
    assert any(expected in p for p in found), found
    assert all(p.startswith("kb.yaml") for p in found), found


def test_all_problems_are_reported_at_once(kb: Path) -> None:
    edit(kb / "kb.yaml", "topic: education", "topic: schools")
    edit(kb / "kb.yaml", "related: [trade.exports]", "related: [trade.nowhere]")
    assert len(problems(kb)) == 2


def test_lexicon_mistakes(kb: Path) -> None:
    edit(kb / "lexicon.yaml", "  trade:\n", "  trade:\n    de: [handel]\n")
    edit(kb / "lexicon.yaml", "tr: [ticaret*]", "tr: [ticaret*, satt*]")
    found = problems(kb)
    assert any("unknown language 'de'" in p for p in found), found
    assert any("'satt*' is in both 'export' and 'trade'" in p for p in found), found


@pytest.mark.parametrize(
    "content",
    [
        "- just\n- a list\n",
        "intents: {id: x}\n",
        "intents:\n  - 42\n",
        "a: " + "[" * 200 + "]" * 200 + "\n",
        "\x00\x01binary",
        "values:\n  x: {money: 1e999, currency: USD}\n",
    ],
)
def test_arbitrary_yaml_is_refused_cleanly(kb: Path, content: str) -> None:
    (kb / "zz.yaml").write_text(content, encoding="utf-8")
    assert any(p.startswith("zz.yaml") for p in problems(kb))


def test_not_utf8_is_refused(kb: Path) -> None:
    (kb / "zz.yaml").write_bytes(b"intents: \xff\xfe\n")
    assert any("not UTF-8" in p for p in problems(kb))


def test_missing_directory(tmp_path: Path) -> None:
    assert problems(tmp_path / "nowhere") == [f"{tmp_path / 'nowhere'}: not a directory"]


def test_engine_load_raises_catalog_error(kb: Path) -> None:
    edit(kb / "kb.yaml", "topic: education", "topic: schools")
    with pytest.raises(CatalogError, match="unknown topic 'schools'"):
        Engine.load(kb)


def run_check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args, "check"], capture_output=True, text=True, timeout=60
    )


def test_check_command_passes_on_the_bundled_knowledge_base() -> None:
    result = run_check()
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok:")


def test_check_command_fails_with_file_and_line(kb: Path) -> None:
    edit(kb / "kb.yaml", "related: [trade.exports]", "related: [trade.nowhere]")
    result = run_check("--intents", str(kb))
    assert result.returncode == 1
    assert "kb.yaml:" in result.stderr
    assert "related id 'trade.nowhere' does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_reports_a_missing_translation(kb: Path, tmp_path: Path) -> None:
    locales = tmp_path / "locales"
    shutil.copytree(Path(__file__).parent.parent / "locales", locales)
    po = locales / "tr" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    marker = 'msgstr "Şunlardan birini mi demek istediniz?"'
    assert marker in text
    po.write_text(text.replace(marker, 'msgstr ""'), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--intents", str(kb), "check", "--locales", str(locales)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "empty translation of 'Did you mean one of these?'" in result.stderr
