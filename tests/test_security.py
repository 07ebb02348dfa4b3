"""Small security guards: no unsafe deserialisation, bounded input everywhere, no log unless asked.

Where input enters, and where its size limit is tested:

* console and ``ask`` lines: here (a 1 MB line) and ``test_cli.py``;
* :meth:`Engine.answer` and :meth:`Session.ask`: here;
* Telegram messages (cut to 4,096 characters): ``tests/telegram/test_chat.py::
  test_long_messages_are_cut_and_long_replies_split``;
* webhook request bodies (refused above 1 MB): ``tests/telegram/test_ops.py::
  test_webhook_rejects_requests_without_the_secret``;
* knowledge-base YAML files and chat state files: here.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from bot import Engine, Session
from bot.kb.yaml import MAX_FILE_BYTES, YamlError, read_yaml
from bot.lang.text import MAX_INPUT_CHARS

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "bot").rglob("*.py"))
MEGABYTE = 1 << 20

#: Modules that deserialise (and so can run) arbitrary code.
UNSAFE_MODULES = frozenset(
    {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "jsonpickle"}
)
#: Builtins that run code given as text.
UNSAFE_BUILTINS = frozenset({"eval", "exec"})
#: PyYAML names that can build arbitrary Python objects (or default to a loader that can).
UNSAFE_YAML = frozenset(
    {
        "load", "load_all", "unsafe_load", "unsafe_load_all", "full_load", "full_load_all",
        "Loader", "UnsafeLoader", "FullLoader", "CLoader", "CUnsafeLoader", "CFullLoader",
        "Unpickler", "UnsafeConstructor", "FullConstructor", "Constructor",
    }
)  # fmt: skip
SAFE_YAML_BASES = frozenset({"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"})


def _trees() -> list[tuple[Path, ast.Module]]:
    assert SOURCES, "no sources found under bot/"
    return [(path, ast.parse(path.read_text(encoding="utf-8"), str(path))) for path in SOURCES]


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"


def test_no_pickle_marshal_eval_or_exec_in_the_sources() -> None:
    found = []
    for path, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [(node.module or "").split(".")[0]]
            elif isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else None
                if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                    name = func.attr if func.value.id in ("builtins", "__builtins__") else None
                if name in UNSAFE_BUILTINS or name == "__import__":
                    found.append(f"{_where(path, node)} calls {name}()")
                continue
            else:
                continue
            found += [f"{_where(path, node)} imports {n}" for n in names if n in UNSAFE_MODULES]
    assert not found, found
    # and, as plain text, in case of a dynamic import: no module name in code (comments aside)
    for path in SOURCES:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            for word in ("import pickle", "import marshal", "pickle.load", "marshal.load"):
                assert word not in code, f"{path.relative_to(ROOT)}:{number}: {line.strip()}"


def test_yaml_is_only_read_with_a_safe_loader() -> None:
    found = []
    users = []
    for path, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "yaml":
                bad = [a.name for a in node.names if a.name in UNSAFE_YAML or a.name == "*"]
                found += [f"{_where(path, node)} imports yaml.{name}" for name in bad]
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "yaml"
            ):
                users.append(path)
                if node.attr in UNSAFE_YAML:
                    found.append(f"{_where(path, node)} uses yaml.{node.attr}")
            elif isinstance(node, ast.ClassDef):
                for base in node.bases:
                    if (
                        isinstance(base, ast.Attribute)
                        and isinstance(base.value, ast.Name)
                        and base.value.id == "yaml"
                        and base.attr.endswith("Loader")
                        and base.attr not in SAFE_YAML_BASES
                    ):
                        found.append(f"{_where(path, node)}: {node.name} extends yaml.{base.attr}")
    assert not found, found
    # one reader for every YAML file: bot/kb/yaml.py
    assert {p.relative_to(ROOT).as_posix() for p in users} == {"bot/kb/yaml.py"}


def _plain(value: object) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, str | int | float | bool | date)


@pytest.mark.parametrize(
    "tagged",
    [
        "!!python/object/apply:os.mkdir [{marker}]",
        "!!python/object/apply:os.mkdir {{args: [{marker}]}}",
        "!!python/object/new:pathlib.Path [{marker}]",
        "!!python/name:os.system",
        "!!python/object:argparse.Namespace {{x: 1}}",
    ],
)
def test_a_yaml_python_tag_never_builds_an_object(tmp_path: Path, tagged: str) -> None:
    marker = tmp_path / "created-by-yaml"
    evil = tmp_path / "evil.yaml"
    value = tagged.format(marker=json.dumps(str(marker)))
    evil.write_text(f"intents:\n  - id: {value}\n", encoding="utf-8")
    try:
        data = read_yaml(evil)
    except YamlError:
        pass  # refused
    else:  # or read as plain data, the tag ignored
        assert _plain(data), repr(data)
    assert not marker.exists()


def test_an_oversized_yaml_file_is_refused_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("values:\n" + "  # padding\n" * (MAX_FILE_BYTES // 10), encoding="utf-8")
    assert big.stat().st_size > MAX_FILE_BYTES
    with pytest.raises(YamlError, match="larger"):
        read_yaml(big)


def test_an_oversized_saved_state_is_not_read(tmp_path: Path) -> None:
    import asyncio
    import sqlite3

    from bot.serve.stores import Saved, SQLiteStore

    async def main() -> Saved:
        store = SQLiteStore(tmp_path / "state.db")
        await store.commit("5", {"lang": "en"}, version=0)
        with sqlite3.connect(tmp_path / "state.db") as db:
            huge = json.dumps({"lang": "en", "pad": "x" * MEGABYTE})
            db.execute("UPDATE chats SET state = ? WHERE chat = '5'", (huge,))
        try:
            return await store.load("5")
        finally:
            await store.close()

    assert asyncio.run(main()) == Saved(None, 1)  # the chat starts afresh


def test_engine_answer_bounds_a_megabyte_question(engine: Engine) -> None:
    text = "What was the trade volume in 2016? " + "x" * MEGABYTE
    started = time.perf_counter()
    answer = engine.answer(text)
    assert time.perf_counter() - started < 2.0
    assert len(answer.question) <= MAX_INPUT_CHARS
    assert answer.text
    session = Session(engine)
    asked = session.ask("ş" * MEGABYTE)
    assert len(asked.question) <= MAX_INPUT_CHARS
    assert len(json.dumps(session.state)) < 64 * 1024, "the saved state grows with the input"


def _run(
    args: list[str], stdin: bytes, home: Path, **env: str
) -> subprocess.CompletedProcess[bytes]:
    environ = {k: v for k, v in os.environ.items() if k != "KZBOT_MISSES_LOG"}
    environ.update(HOME=str(home), PYTHONDONTWRITEBYTECODE="1", **env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        cwd=home,
        env=environ,
        timeout=60,
    )


def test_a_megabyte_console_line_gets_one_bounded_answer(tmp_path: Path) -> None:
    line = b"What was the trade volume in 2016? " + b"y" * MEGABYTE
    result = _run(["console", "--json", "--no-reload"], line + b"\n", tmp_path)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    answers = [json.loads(raw) for raw in result.stdout.decode().splitlines()]
    assert len(answers) == 1, [a.get("question", "")[:80] for a in answers]
    assert len(answers[0]["question"]) <= MAX_INPUT_CHARS
    assert answers[0]["text"]


def test_the_misses_log_is_off_unless_configured(tmp_path: Path) -> None:
    declined = b"what is the capital of brazil\nqwertyuiop asdfgh\n/quit\n"
    result = _run(["console", "--json", "--no-reload"], declined, tmp_path)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    answers = [json.loads(raw) for raw in result.stdout.decode().splitlines()]
    assert answers and answers[0]["intent"] is None  # a miss that could have been logged
    assert sorted(p.name for p in tmp_path.rglob("*")) == [], "files were written"
    # ... and it is on when asked: the same run with KZBOT_MISSES_LOG writes there
    log = tmp_path / "misses.jsonl"
    result = _run(
        ["console", "--json", "--no-reload"], declined, tmp_path, KZBOT_MISSES_LOG=str(log)
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert log.exists() and "brazil" in log.read_text(encoding="utf-8")
