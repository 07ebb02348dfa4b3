"""The command-line contract that scripts outside the project rely on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

KEYS = {"question", "intent", "lang", "score", "text", "suggestions"}


def bot(
    *args: str, stdin: bytes | str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input=data, capture_output=True, timeout=timeout
    )


def json_lines(result: subprocess.CompletedProcess[bytes]) -> list[dict[str, object]]:
    assert result.returncode == 0, result.stderr.decode()
    return [json.loads(line) for line in result.stdout.decode().splitlines()]


def test_ask_one_question_as_json() -> None:
    (answer,) = json_lines(bot("ask", "--json", "When", "was", "the", "YDSK", "established?"))
    assert set(answer) >= KEYS
    assert answer["intent"] == "ydsk.established"
    assert answer["lang"] == "en"
    assert answer["question"] == "When was the YDSK established?"
    assert "May 2012" in str(answer["text"])


def test_ask_plain_text() -> None:
    result = bot("ask", "Türkiye Kazakistan'a ne kadar ihracat yaptı?")
    assert result.returncode == 0
    assert "625 milyon ABD doları" in result.stdout.decode()


def test_ask_lang_option_forces_the_language() -> None:
    (answer,) = json_lines(bot("ask", "--json", "--lang", "tr", "trade volume"))
    assert (answer["intent"], answer["lang"]) == ("trade.volume", "tr")


def test_ask_reads_independent_questions_from_stdin() -> None:
    questions = [
        "What was the trade volume in 2016?",
        "how much of that was exports?",  # independent: no context from the line above
        "",
        "what is the capital of brazil",
        "merhaba",
    ]
    answers = json_lines(bot("ask", "--json", stdin="\n".join(questions) + "\n"))
    assert len(answers) == len(questions)
    assert [a["question"] for a in answers] == questions
    assert answers[0]["intent"] == "trade.volume"
    assert answers[3]["intent"] is None
    assert answers[4]["intent"] == "smalltalk.greeting"


def test_ask_plain_batch_prints_one_line_per_question() -> None:
    result = bot("ask", stdin="what is the capital of brazil\nhello\n")
    assert result.returncode == 0
    assert len(result.stdout.decode().splitlines()) == 2


def test_console_is_one_conversation() -> None:
    turns = "What was the trade volume in 2016?\nhow much of that was exports?\n/quit\nnever read\n"
    answers = json_lines(bot("console", "--json", stdin=turns))
    assert [a["intent"] for a in answers] == ["trade.volume", "trade.exports"]


def test_plain_python_m_bot_is_the_console() -> None:
    result = bot(stdin="hello\nbunu Türkçe söyler misin?\n")
    lines = result.stdout.decode().splitlines()
    assert len(lines) == 2
    assert "Merhaba" in lines[1]


def test_intents_json_catalogue() -> None:
    result = bot("intents", "--json")
    catalogue = json.loads(result.stdout)
    assert len(catalogue) >= 30
    first = catalogue[0]
    assert {"id", "phrases", "answer"} <= set(first)
    assert set(first["phrases"]) == {"en", "tr"} == set(first["answer"])
    volume = next(i for i in catalogue if i["id"] == "trade.volume")
    assert "1,96 milyar ABD doları" in volume["answer"]["tr"]


def test_broken_knowledge_base_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "kb.yaml").write_text("intents: [\n", encoding="utf-8")
    result = bot("--intents", str(tmp_path), "ask", "hello")
    assert result.returncode == 2
    assert b"kb.yaml:" in result.stderr
    assert b"Traceback" not in result.stderr


@pytest.mark.parametrize(
    "line",
    [
        b"",
        b"   \t ",
        b"x" * 1_000_000,
        b"\x00\x01\x02\x1b[31mred",
        "🙂🎉🚀".encode(),
        "مرحبا كيف حالك".encode(),
        "Қазақстан мен Түркия".encode(),
        b"<b>bold</b> <script>alert(1)</script> *markdown* _x_",
        b"\xff\xfe\xfa invalid utf-8 \xc3\x28",
        b"\r",
    ],
)
def test_bad_input_gets_exactly_one_polite_answer(line: bytes) -> None:
    for command in (["ask", "--json"], ["console", "--json"]):
        result = bot(*command, stdin=line + b"\nhello\n")
        answers = json_lines(result)
        assert len(answers) == 2, result.stdout[:500]
        assert answers[0]["intent"] is None
        assert answers[0]["text"]
        assert len(str(answers[0]["question"])) <= 4096
        assert answers[1]["intent"] == "smalltalk.greeting"
        assert b"Traceback" not in result.stderr


def test_huge_batch_is_fast_enough_and_complete() -> None:
    lines = ["trade volume", "ydsk ne zaman kuruldu", "🙂", "x" * 5000] * 50
    answers = json_lines(bot("ask", "--json", stdin="\n".join(lines) + "\n"))
    assert len(answers) == len(lines)
