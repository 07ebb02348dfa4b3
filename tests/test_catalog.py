"""Loading and checking the knowledge base: mistakes are loud, with file and line."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot import CatalogError, Engine
from bot.kb.catalog import bundled_dir, load_catalog


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


# -- unsafe edits: whatever the files hold, the loader's own error ------------------

FIRST = "  - id: trade.volume\n    topic: economy\n"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # the list
        (
            "    topic: economy\n",
            "    topic: [economy]\n",
            "kb.yaml:13: trade.volume: `topic` must",
        ),
        ("    topic: economy\n", "    topic: !!set {economy}\n", "kb.yaml:13: the tag"),
        ("en: Trade reached {volume}.", "en: Trade reached {volume:%}.", "kb.yaml:19:"),
        ("en: Trade reached {volume}.", "en: Trade reached {volume:>300000000}.", "has a format"),
        ("en: Trade reached {volume}.", "en: Trade reached {volume!r}.", "has a format"),
        ("en: Trade reached {volume}.", "en: Trade reached {volume.real}.", "unknown value"),
        ("en: Trade reached {volume}.", "en: Trade reached {}.", "needs a value's name"),
        ("en: Trade reached {volume}.", "en: Trade reached {volume.", "kb.yaml:19:"),
        ("students: {number: 8000}", "students: {number: 1e30}", "too large a number"),
        ("students: {number: 8000}", "students: {number: .inf}", "not a finite number"),
        ("students: {number: 8000}", "students: {number: .nan}", "not a finite number"),
        ("students: {number: 8000}", "students: {number: " + "9" * 400 + "}", "too large"),
        ("students: {number: 8000}", "students: {number: " + "9" * 5000 + "}", "kb.yaml:4:"),
        (
            "students: {number: 8000}",
            "students: {date: 2012-10-11, until: 2012-10-12 10:00:00}",
            "a date has no time of day",
        ),
        ("students: {number: 8000}", "students: {date: 2012-13-45}", "kb.yaml:4:"),
        ("students: {number: 8000}", "students: {money: 5, currency: [USD]}", "currency"),
        ("students: {number: 8000}", "students: {ordinal: 1.5}", "whole number"),
        ("students: {number: 8000}", "students: {year: 99999}", "whole number"),
        ("students: {number: 8000}", "students: [8000]", "value 'students'"),
        # wrong types where text is wanted
        ('title: {en: "What was the trade volume?"', "title: {en: [a, b]", "must be text"),
        ('title: {en: "What was the trade volume?"', "title: {en: 2016-02-05", "a date"),
        ('title: {en: "What was the trade volume?"', "title: {en: yes", "yes/no"),
        ('title: {en: "What was the trade volume?"', "title: {en: null", "kb.yaml:14:"),
        ('title: {en: "What was the trade volume?"', "title: {en: 2016", "a number"),
        ('title: {en: "What was the trade volume?"', "title: {en: !!binary aGk=", "the tag"),
        ("en: [what was the trade volume,", "en: [[what was], the trade volume,", "kb.yaml:16:"),
        ("en: [what was the trade volume,", "en: [{a: b}, the trade volume,", "a mapping"),
        ("en: [what was the trade volume,", "en: [2016-02-05, the trade volume,", "a date"),
        ("en: [what was the trade volume,", "en: ['???', the trade volume,", "has no words"),
        ("      en: Trade reached {volume}.\n", "      en: [Trade]\n", "kb.yaml:19:"),
        (
            "    answer:\n      en: Trade",
            "    answer: !!python/object/apply:os.system [ls]\n    unused:\n      en: Trade",
            "the tag",
        ),
        ("related: [trade.exports]", "related: [[trade.exports]]", "kb.yaml:22:"),
        ("related: [trade.exports]", "related: trade.exports", "must be a list of ids"),
        ("related: [trade.exports]", "related: {trade.exports: 1}", "must be a list of ids"),
        ("related: [trade.exports]", "follows: [trade.exports]", "`follows` must be an intent"),
        ("source: Our bilateral", "source: {Our bilateral: x}\n    unused:", "kb.yaml:21:"),
        ("source: [with 625 million Dollars exports]", "source: [[x]]", "kb.yaml:33:"),
        ("source: [with 625 million Dollars exports]", "source: []", "needs its `source`"),
        ("id: trade.volume", "id: [trade.volume]", "bad id"),
        ("values:\n", "values: [1, 2]\nunused:\n", "`values` must be a mapping"),
        ("topics:\n", "topics: 2016\nunused:\n", "`topics` must be a mapping"),
        ("  economy: {en: Trade, tr: Ticaret}", "  economy: [Trade]", "must map each language"),
        ("intents:\n", "intents: {}\nunused:\n", "`intents` must be a list"),
        ("  - id: trade.volume\n", "  - [trade.volume]\n  - id: x\n", "kb.yaml:12: an intent"),
        ("values:\n", "? [a, b]\n: 1\nvalues:\n", "keys must be text"),
        ("values:\n", "2016: 1\nvalues:\n", "keys must be text"),
        ("values:\n", "values: " + "[" * 30 + "]" * 30 + "\nunused:\n", "nesting is too deep"),
    ],
)
def test_wrong_types_end_in_the_loaders_own_error(
    kb: Path, old: str, new: str, expected: str
) -> None:
    edit(kb / "kb.yaml", old, new)
    found = problems(kb)
    assert any(expected in p for p in found), found
    assert all(p.startswith("kb.yaml:") for p in found), found


def test_lexicon_wrong_types_end_in_the_loaders_own_error(kb: Path) -> None:
    lexicon = kb / "lexicon.yaml"
    text = lexicon.read_text(encoding="utf-8")
    lines = text.count("\n")
    lexicon.write_text(
        text + "roles: [[a]]\nchatter: [trade, tarde]\nkinds:\n  person: [{a: 1}]\n"
        "questions:\n  trade: [money, [date]]\ncapitals: [ankara]\ndemonyms: [yes]\n",
        encoding="utf-8",
    )
    found = problems(kb)
    for line, message in [
        (lines + 1, "`roles`: a list where a concept is wanted"),
        (lines + 2, "`chatter`: 'tarde' is not a concept (did you mean 'trade'?)"),
        (lines + 4, "kind 'person': a mapping"),
        (lines + 6, "question 'trade': a list where a kind is wanted"),
        (lines + 7, "`capitals` must map each of `roles`"),
        (lines + 8, "`demonyms`: yes/no (true)"),
    ]:
        assert any(p.startswith(f"lexicon.yaml:{line}: {message}") for p in found), (message, found)


def test_an_answer_cannot_make_a_huge_string(kb: Path) -> None:
    edit(kb / "kb.yaml", "Trade reached {volume}.", "Trade reached {volume:>999999999}.")
    (problem,) = problems(kb)
    assert problem == (
        "kb.yaml:19: trade.volume answer (en): {volume:>999999999} has a format; "
        "insert a value as {volume} alone (values are written out per language)"
    )


def test_an_overlong_answer_is_refused(kb: Path) -> None:
    edit(kb / "kb.yaml", "Trade reached {volume}.", "Trade reached {volume}. " + "x" * 2100)
    assert any("is longer than 2,000 characters" in p for p in problems(kb))


# -- errors point at the very line, in plain words ------------------------------------


def test_a_bad_phrase_is_reported_at_its_own_line(kb: Path) -> None:
    edit(
        kb / "kb.yaml",
        "      tr: [ihracat ne kadar, türkiye ne kadar ihracat yaptı]\n",
        "      tr:\n        - ihracat ne kadar\n        - ticaret hacmi ne kadar\n"
        "        - [a list]\n",
    )
    found = problems(kb)
    assert "kb.yaml:32: trade.exports phrases (tr): an entry must be text, not a list" in found
    assert (
        "kb.yaml:31: trade.exports: phrase 'ticaret hacmi ne kadar' is also in trade.volume "
        "(kb.yaml:17)" in found
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "en: Trade reached {volume}.",
            "en: Trade reached: {volume}.",
            "kb.yaml:19: invalid YAML: quote text that contains ': '",
        ),
        ("    topic: economy\n", "\ttopic: economy\n", "kb.yaml:13: invalid YAML: a tab"),
        (
            "    related: [trade.exports]\n",
            "    related: [trade.exports]\n    source: 'unclosed\n",
            "kb.yaml:23: invalid YAML: a quote is not closed",
        ),
        (
            "    related: [trade.exports]\n",
            "    related: [trade.exports]\n    topic: economy\n",
            "kb.yaml:23: duplicate key 'topic' (first at line 13)",
        ),
        ("    topic: economy\n", "    topic: @economy\n", "text cannot start with '@'"),
        ("    topic: economy\n", "    topic: economy\n  topic: x\n", "kb.yaml:14: invalid YAML:"),
        ("  students: {number: 8000}\n", "  students: {number: 8000}\n---\n", "one document"),
        ("values:\n", "values: &a\n", "anchors and aliases are not allowed"),
        ("    topic: economy\n", "    topic: econ\x01omy\n", "kb.yaml:13: the file holds a con"),
        ("en: Trade reached", 'en: "Trade \\q reached', "a backslash in double quotes"),
    ],
)
def test_yaml_errors_read_as_advice(kb: Path, old: str, new: str, expected: str) -> None:
    edit(kb / "kb.yaml", old, new)
    found = problems(kb)
    assert any(expected in p for p in found), found
    assert not any("mapping values are not allowed" in p for p in found), found


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "    topic: economy\n",
            "    topik: economy\n    topic: economy\n",
            "did you mean 'topic'?",
        ),
        (
            "topic: education",
            "topic: educaton",
            "unknown topic 'educaton' (did you mean 'education'?)",
        ),
        ("related: [trade.exports]", "related: [trade.export]", "(did you mean 'trade.exports'?)"),
        ("related: [trade.exports]", "follows: trade.export", "(did you mean 'trade.exports'?)"),
        ("Trade reached {volume}.", "Trade reached {volme}.", "{volme} (did you mean {volume}?)"),
        (
            "values:\n",
            "valeus:\n  x: {number: 1}\nvalues:\n",
            "unknown key 'valeus' in a file (did",
        ),
        ("title: {en:", "title: {eng: x, en:", "unknown language 'eng' (did you mean 'en'?)"),
    ],
)
def test_a_misspelt_name_gets_a_did_you_mean(kb: Path, old: str, new: str, expected: str) -> None:
    edit(kb / "kb.yaml", old, new)
    found = problems(kb)
    assert any(expected in p for p in found), found


def test_the_retired_context_key_is_refused_with_a_hint(kb: Path) -> None:
    edit(kb / "kb.yaml", FIRST, FIRST + "    context:\n      en: [trade]\n")
    assert problems(kb) == [
        "kb.yaml:14: unknown key 'context' in an intent: nothing reads it, so delete it"
    ]


def test_no_bundled_intent_carries_a_context_key() -> None:
    for path in sorted(bundled_dir().glob("*.yaml")):
        assert "\n    context:" not in path.read_text(encoding="utf-8"), path.name


def test_check_prints_paths_relative_to_the_folder(kb: Path) -> None:
    edit(kb / "kb.yaml", "topic: education", "topic: educaton")
    result = run_check("--intents", str(kb))
    assert result.returncode == 1
    assert result.stderr.startswith("kb.yaml:37: education.students: unknown topic"), result.stderr
    assert str(kb) not in result.stderr
