"""Learning from the misses log: reading it, grouping, suggesting, exporting, applying."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot import Engine
from bot.kb import bundled_dir
from bot.serve.misses import MissLog
from bot.tools.eval import load_cases
from bot.tools.misses import (
    MissesError,
    group_misses,
    question_key,
    read_misses,
    suggest,
    yaml_scalar,
)
from bot.tools.phrases import ApplyError, apply_plan, plan_phrases

#: Questions people might ask that the knowledge base declines, as they typed them.
RECOGNITION = [  # the first to recognise Kazakhstan, in words no phrase uses
    "did turkey accept kazakh sovereignty early",
    "Did Turkey accept Kazakh sovereignty early?",
    "did turkey acept kazakh soveregnty early",
    "did  turkey accept kazakh sovereignty early ?",
]
RECOGNITION_TR = ["kazak egemenliğini türkiye erken mi kabul etti"]
POPULATION = [  # nothing in the document
    "What is the population of Almaty?",
    "what is the population of almaty",
    "whats the population of almaty",
    "almaty populaton",
]
UNRELATED = ["population of astana", "bitcoin price", "exports to china"]


def _log(path: Path, engine: Engine, questions: list[str]) -> Path:
    """A misses log written by the bot's own logger, from the engine's answers."""
    log = MissLog(path)
    for question in questions:
        answer = engine.answer(question)
        assert not answer.answered, question  # only what the bot declines is logged
        log.record(answer)
    return path


def _misses(*arguments: str) -> subprocess.CompletedProcess[str]:
    """``python -m bot misses ...`` as a curator runs it (no log named by the environment)."""
    env = {k: v for k, v in os.environ.items() if k != "KZBOT_MISSES_LOG"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


@pytest.mark.parametrize("mode", [[], ["--suggest"], ["--export", "phrases"], ["--export", "eval"]])
def test_a_missing_log_is_an_error_not_an_empty_one(tmp_path: Path, mode: list[str]) -> None:
    result = _misses("misses", str(tmp_path / "nope.jsonl"), *mode)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "nope.jsonl" in result.stderr and "No such file" in result.stderr


def test_a_directory_is_not_a_log(tmp_path: Path) -> None:
    with pytest.raises(MissesError, match="cannot read"):
        list(read_misses(tmp_path))
    result = _misses("misses", str(tmp_path))
    assert result.returncode == 2 and result.stderr.startswith("error: ")


@pytest.mark.parametrize("mode", [[], ["--suggest"]])
def test_an_empty_log_has_nothing_to_say(tmp_path: Path, mode: list[str]) -> None:
    log = tmp_path / "misses.jsonl"
    log.write_text("", encoding="utf-8")
    result = _misses("misses", str(log), *mode)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "no missed questions logged"


def test_near_duplicates_fall_into_one_group(engine: Engine) -> None:
    entries = [{"question": q, "lang": "en"} for q in [*POPULATION, *UNRELATED, *RECOGNITION]]
    groups = group_misses(entries, engine)
    by_key = {question_key(q): g for g in groups for q, _ in g.questions}
    assert len({id(by_key[question_key(q)]) for q in POPULATION}) == 1
    assert len({id(by_key[question_key(q)]) for q in RECOGNITION}) == 1
    population = by_key[question_key(POPULATION[0])]
    assert population.count == len(POPULATION)
    # Casings and spacings of one question are one variant, as it was most often typed.
    assert population.question.lower().startswith("what is the population of almaty")
    assert set(population.variants) == {"whats the population of almaty", "almaty populaton"}
    for question in UNRELATED:
        assert by_key[question_key(question)].questions == ((question, 1),)
    assert [g.count for g in groups] == sorted((g.count for g in groups), reverse=True)
    assert groups[0] in (population, by_key[question_key(RECOGNITION[0])])


def test_languages_are_grouped_apart(engine: Engine) -> None:
    entries = [
        {"question": "kazakistan nüfusu ne kadar", "lang": "tr"},
        {"question": "Kazakistan nufusu ne kadar?", "lang": "tr"},
        {"question": "kazakistan nüfusu ne kadar", "lang": "en"},
        {"question": "not json's idea of a language", "lang": 7},
    ]
    groups = group_misses(entries, engine)
    assert sorted((g.lang, g.count) for g in groups) == [("en", 1), ("en", 1), ("tr", 2)]


def test_a_paraphrase_is_suggested_its_intent_and_nonsense_a_new_one(engine: Engine) -> None:
    entries = [
        {"question": q, "lang": lang}
        for q, lang in [
            *((q, "en") for q in RECOGNITION),
            *((q, "tr") for q in RECOGNITION_TR),
            ("qwertyuiop asdfgh", "en"),
        ]
    ]
    found = {s.group.question: s for s in suggest(engine, group_misses(entries, engine))}
    assert found[RECOGNITION[0]].intent == "relations.recognition"
    assert found[RECOGNITION[0]].kind == "decline"
    assert found[RECOGNITION_TR[0]].intent == "relations.recognition"
    assert found["qwertyuiop asdfgh"].intent is None


def test_the_suggest_command_lists_groups_with_their_intent(tmp_path: Path, engine: Engine) -> None:
    questions = [*POPULATION, POPULATION[2], *RECOGNITION, "qwertyuiop asdfgh"]
    log = _log(tmp_path / "misses.jsonl", engine, questions)
    result = _misses("misses", "--suggest", str(log))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["5", "[en]"] and "population of almaty" in lines[0].lower()
    assert lines[0].endswith("new intent?")
    assert lines[1].split(":", 1)[0].strip() == "also"
    assert "almaty populaton" in lines[1] and "whats the population of almaty" in lines[1]
    (recognition,) = [line for line in lines if "sovereignty" in line and "->" in line]
    assert recognition.split()[0] == "4"
    assert "-> relations.recognition (" in recognition
    assert sum("->" in line for line in lines) == 3
    limited = _misses("misses", "--suggest", "--limit", "1", str(log))
    assert sum("->" in line for line in limited.stdout.splitlines()) == 1


def test_export_phrases_is_yaml_per_intent_and_language(tmp_path: Path, engine: Engine) -> None:
    questions = [*RECOGNITION, *RECOGNITION_TR, *POPULATION, "qwertyuiop asdfgh"]
    log = _log(tmp_path / "misses.jsonl", engine, questions)
    result = _misses("misses", "--export", "phrases", str(log))
    assert result.returncode == 0, result.stderr
    document = yaml.safe_load(result.stdout)
    assert document == {
        "relations.recognition": {"en": [RECOGNITION[0]], "tr": [RECOGNITION_TR[0]]}
    }
    (line,) = [x for x in result.stdout.splitlines() if x.strip().startswith(f"- {RECOGNITION[0]}")]
    assert "asked 4, score " in line
    # What has no intent is named for the curator, in comments.
    assert "a new intent?" in result.stdout and "population of almaty" in result.stdout.lower()
    assert result.stdout.startswith("# ")


def test_export_eval_is_an_evaluation_file(tmp_path: Path, engine: Engine) -> None:
    log = _log(tmp_path / "misses.jsonl", engine, [*RECOGNITION, *RECOGNITION_TR, *POPULATION])
    out = tmp_path / "misses-eval.yaml"
    result = _misses("misses", "--export", "eval", "-o", str(out), str(log))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    text = out.read_text(encoding="utf-8")
    assert "REVIEW THE LABELS" in text.splitlines()[1]
    cases = load_cases([out], known={i.id for i in engine.intents}, languages=engine.codes)
    assert {(c.question, c.expected, c.lang) for c in cases} == {
        (RECOGNITION[0], "relations.recognition", "en"),
        (RECOGNITION_TR[0], "relations.recognition", "tr"),
        (POPULATION[0], "decline", "en"),
    }
    evaluated = _misses("eval", "--no-loo", str(out))
    assert evaluated.returncode == 0, evaluated.stderr


@pytest.mark.parametrize(("mode", "empty"), [("phrases", {}), ("eval", [])])
def test_exporting_an_empty_log_is_still_yaml(tmp_path: Path, mode: str, empty: object) -> None:
    log = tmp_path / "misses.jsonl"
    log.write_text("", encoding="utf-8")  # no entry yet
    result = _misses("misses", "--export", mode, str(log))
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout) == empty


@pytest.mark.parametrize(
    "text",
    [
        "plain words",
        "what: a colon",
        "#1 rank?",
        "yes",
        "2016",
        "it's 'quoted'",
        'say "hi"',
        "-x",
        "ü \\ z",
        "how much trade " * 20 + "in a long question?",
    ],
)
def test_scalars_read_back_as_themselves(text: str) -> None:
    document = f"x:\n    - {yaml_scalar(text, 4)}  # a comment\n    - next\n"
    assert yaml.safe_load(document) == {"x": [text, "next"]}


@pytest.fixture
def bundled_copy(tmp_path: Path) -> Path:
    """A private copy of the bundled knowledge base, to apply phrases to."""
    return Path(shutil.copytree(bundled_dir(), tmp_path / "intents"))


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_apply_adds_each_phrase_under_its_intent_and_language_and_nothing_else(
    tmp_path: Path, engine: Engine, bundled_copy: Path
) -> None:
    before = _files(bundled_copy)
    log = _log(tmp_path / "misses.jsonl", engine, [*RECOGNITION, *RECOGNITION_TR, *POPULATION])
    result = _misses(
        "--intents", str(bundled_copy), "misses", "--export", "phrases", "--apply", str(log)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: ")  # what `check` says of the edited files
    added = [line for line in result.stdout.splitlines() if line.startswith("added ")]
    assert len(added) == 2 and "relations.recognition (en) at relations.yaml:" in added[0]
    after = _files(bundled_copy)
    assert {n for n in after if after[n] != before[n]} == {"relations.yaml"}
    new_lines = after["relations.yaml"].decode().splitlines(keepends=True)
    numbers = [int(line.split(":")[1]) for line in added]
    inserted = [new_lines[n - 1] for n in numbers]
    assert inserted == [f"        - {RECOGNITION[0]}\n", f"        - {RECOGNITION_TR[0]}\n"]
    # Every other byte, comments and all, is where it was.
    kept = [line for n, line in enumerate(new_lines, start=1) if n not in numbers]
    assert "".join(kept).encode() == before["relations.yaml"]
    learnt = Engine.load(bundled_copy)
    intent = learnt.intent("relations.recognition")
    assert intent.phrases["en"][-1] == RECOGNITION[0]
    assert intent.phrases["tr"][-1] == RECOGNITION_TR[0]
    for question in [*RECOGNITION, *RECOGNITION_TR]:
        assert learnt.answer(question).intent == "relations.recognition", question
    assert not list(bundled_copy.glob(".*")), "a temporary file was left behind"


def test_a_question_its_intent_cannot_answer_is_never_applied(
    tmp_path: Path, engine: Engine, bundled_copy: Path
) -> None:
    # The engine knows what these are about, but the intents' answers do not say it: as
    # phrases they would teach the bot to answer what the document does not.
    asked = ["which branches do turkish entrepreneurs work in", "Kazakistan'ın nüfusu ne kadar?"]
    assert engine.answer(asked[0]).kind == "partial"
    before = _files(bundled_copy)
    log = _log(tmp_path / "misses.jsonl", engine, asked)
    suggested = _misses("misses", "--suggest", str(log)).stdout
    assert suggested.count("new intent? (not ") == 2, suggested
    result = _misses(
        "--intents", str(bundled_copy), "misses", "--export", "phrases", "--apply", str(log)
    )
    assert result.returncode == 0 and "no phrases to add" in result.stdout
    assert _files(bundled_copy) == before


def test_apply_puts_the_files_back_whenever_the_check_fails(bundled_copy: Path) -> None:
    before = _files(bundled_copy)
    plan = plan_phrases(bundled_copy, {"trade.volume": {"en": ["how large is our commerce"]}})
    seen: list[dict[str, bytes]] = []

    def check() -> bool:
        seen.append(_files(bundled_copy))
        return False

    assert apply_plan(plan, check=check) is False
    assert seen[0] != before  # the check saw the phrase ...
    assert _files(bundled_copy) == before  # ... and it is gone


def test_phrases_already_there_are_skipped(bundled_copy: Path) -> None:
    wanted = {
        "trade.volume": {
            "en": ["TRADE VOLUME 2016?", "Exports", "how large is our commerce"],
            "tr": ["Ticaret hacmi  2016"],
        }
    }
    plan = plan_phrases(bundled_copy, wanted)
    assert [(a.intent, a.lang, a.phrase) for a in plan.added] == [
        ("trade.volume", "en", "how large is our commerce")
    ]
    assert [(s.phrase, s.reason) for s in plan.skipped] == [
        ("TRADE VOLUME 2016?", "a phrase already there"),
        ("Exports", "a phrase in trade.exports"),
        ("Ticaret hacmi 2016", "a phrase already there"),
    ]


def test_a_list_is_edited_as_written(tmp_path: Path) -> None:
    """Windows line ends, a comment after the list, an item over two lines, no final newline."""
    kb = tmp_path / "kb"
    kb.mkdir()
    lines = [
        "intents:  # the one intent",
        "- id: a.b",
        "  phrases:",
        "    en:",
        "    -   first  # spaced",
        "    -   a phrase written",
        "        over two lines",
        "    # - a phrase left out",
        "    tr:",
        "      - 'birinci'",
    ]
    (kb / "a.yaml").write_bytes("\r\n".join(lines).encode())
    plan = plan_phrases(kb, {"a.b": {"en": ["yes", "second: one"], "tr": ["ikinci"]}})
    assert apply_plan(plan, check=lambda: True)
    new = ["    -   'yes'", "    -   'second: one'"]
    expected = [*lines[:7], *new, *lines[7:], "      - ikinci"]
    assert (kb / "a.yaml").read_bytes().decode() == "\r\n".join(expected) + "\r\n"
    assert [(a.lang, a.line) for a in plan.added] == [("en", 8), ("en", 9), ("tr", 13)]


def test_a_long_phrase_goes_on_over_lines(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    original = (
        "intents:\n  - id: a.b\n    phrases:\n      en:\n        - one\n      tr:\n        - bir\n"
    )
    (kb / "a.yaml").write_text(original, encoding="utf-8")
    long = "how much did the two countries trade " * 8 + "in the end?"
    plan = plan_phrases(kb, {"a.b": {"en": [long], "tr": ["iki"]}})
    assert apply_plan(plan, check=lambda: True)
    text = (kb / "a.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(text)["intents"][0]["phrases"] == {
        "en": ["one", long],
        "tr": ["bir", "iki"],
    }
    lines = text.splitlines(keepends=True)
    en, tr = plan.added
    assert (
        lines[en.line - 1].startswith("        - how much")
        and lines[tr.line - 1] == "        - iki\n"
    )
    # The long phrase's lines run up to the two lines of the `tr` list before its new one.
    inserted = {*range(en.line, tr.line - 2), tr.line}
    assert len(inserted) > 2
    assert "".join(x for n, x in enumerate(lines, start=1) if n not in inserted) == original


def test_a_flow_list_is_left_to_the_curator(kb: Path) -> None:
    with pytest.raises(ApplyError, match=r"kb\.yaml:\d+: .*trade\.volume.*by hand"):
        plan_phrases(kb, {"trade.volume": {"en": ["how large is our commerce"]}})


@pytest.mark.parametrize(
    "mode", [["--apply"], ["--export", "eval", "--apply"], ["-o", "OUT"], ["--limit", "0"]]
)
def test_options_that_cannot_be_used_are_refused(tmp_path: Path, mode: list[str]) -> None:
    log = tmp_path / "misses.jsonl"
    log.write_text("", encoding="utf-8")
    mode = [str(tmp_path / "x.yaml") if m == "OUT" else m for m in mode]
    result = _misses("misses", str(log), *mode)
    assert result.returncode == 2 and result.stderr.startswith("error: ")
    assert not (tmp_path / "x.yaml").exists()


def test_apply_only_one_intents_phrases(tmp_path: Path, engine: Engine, bundled_copy: Path) -> None:
    log = _log(tmp_path / "misses.jsonl", engine, RECOGNITION)
    before = _files(bundled_copy)
    other = _misses(
        "--intents", str(bundled_copy), "misses", "--export", "phrases", "--apply",
        "--only", "trade.volume", str(log),
    )  # fmt: skip
    assert other.returncode == 0 and "no phrases to add" in other.stdout
    assert _files(bundled_copy) == before
    result = _misses(
        "--intents", str(bundled_copy), "misses", "--export", "phrases", "--apply",
        "--only", "relations.recognition", str(log),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    added = [line for line in result.stdout.splitlines() if line.startswith("added ")]
    assert added and all("relations.recognition" in line for line in added)
    assert "--only goes with --apply" in _misses("misses", "--only", "x", str(log)).stderr


def test_a_file_of_no_entries_is_not_a_log(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text('garbage\n{"x": 1}\n', encoding="utf-8")
    for extra in ([], ["--suggest"]):
        result = _misses("misses", *extra, str(path))
        assert result.returncode == 2 and "is not a misses log" in result.stderr


def test_apply_never_edits_a_hidden_copy(
    tmp_path: Path, engine: Engine, bundled_copy: Path
) -> None:
    hidden = bundled_copy / ".economy.yaml"  # an editor's backup, not part of the base
    hidden.write_bytes((bundled_copy / "relations.yaml").read_bytes())
    (bundled_copy / ".#relations.yaml").symlink_to("nowhere")  # an editor's lock
    before = hidden.read_bytes()
    log = _log(tmp_path / "misses.jsonl", engine, RECOGNITION)
    result = _misses(
        "--intents", str(bundled_copy), "misses", "--export", "phrases", "--apply", str(log)
    )
    assert result.returncode == 0, result.stderr
    assert "relations.yaml" in result.stdout and ".economy.yaml" not in result.stdout
    assert hidden.read_bytes() == before
