"""The compiled index: the same answers as the index built in memory, and never trusted blindly."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot import Engine
from bot.kb import bundled_dir
from bot.match import compiled

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    item["q"]
    for folder in ("eval", "holdout")
    for path in sorted((ROOT / "tests" / folder).glob("*.yaml"))
    for item in yaml.safe_load(path.read_text("utf-8"))
]
SAMPLE = QUESTIONS[::15]


def rankings(engine: Engine, questions: list[str]) -> list[object]:
    return [
        ([(m.intent, m.score, m.lang) for m in engine.ranker.rank(q)], engine.answer(q).intent)
        for q in questions
    ]


def opened(engine: Engine) -> bool:
    """Whether every index of the engine was opened from a file (not built)."""
    indexes = getattr(engine.ranker, "indexes", {})
    return all(isinstance(i.tables.data["post"], memoryview) for i in indexes.values())


@pytest.fixture(scope="module")
def built() -> list[object]:
    return rankings(Engine.load(cache_dir=None), QUESTIONS)


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    directory = tmp_path / "intents"
    shutil.copytree(bundled_dir(), directory)
    return directory


def index_files(cache: Path, kb: Path) -> list[Path]:
    return [compiled.index_path(cache, kb, code) for code in ("en", "tr")]


def test_round_trip_gives_the_same_rankings_on_every_eval_and_holdout_question(
    kb: Path, tmp_path: Path, built: list[object]
) -> None:
    cache = tmp_path / "cache"
    first = Engine.load(kb, cache_dir=cache)
    assert not opened(first)
    assert all(path.is_file() for path in index_files(cache, kb))
    second = Engine.load(kb, cache_dir=cache)
    assert opened(second)
    assert rankings(second, QUESTIONS) == built
    assert rankings(first, QUESTIONS) == built


def test_phrases_and_readings_are_the_same_from_a_file(kb: Path, tmp_path: Path) -> None:
    memory = Engine.load(kb, cache_dir=None).ranker
    Engine.load(kb, cache_dir=tmp_path)
    disk = Engine.load(kb, cache_dir=tmp_path).ranker
    for code, index in memory.indexes.items():  # type: ignore[attr-defined]
        other = disk.indexes[code]  # type: ignore[attr-defined]
        assert list(index.phrases) == list(other.phrases)
        assert dict(index.read) == dict(other.read)
        assert index.analyzer.vocabulary == other.analyzer.vocabulary


def damage_truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def damage_flipped_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) * 3 // 4] ^= 0x01
    path.write_bytes(bytes(data))


def damage_foreign(path: Path) -> None:
    path.write_bytes(b"not an index at all\n" * 100)


def damage_empty(path: Path) -> None:
    path.write_bytes(b"")


def damage_deep_header(path: Path) -> None:
    # A header of the right size, nested deeper than any JSON reader recurses.
    body = b"[" * 200_000
    path.write_bytes(compiled.MAGIC + len(body).to_bytes(4, "little") + body)


@pytest.mark.parametrize(
    "damage",
    [damage_truncated, damage_flipped_byte, damage_foreign, damage_empty, damage_deep_header],
)
def test_a_damaged_file_is_rebuilt_never_trusted(
    damage: object, kb: Path, tmp_path: Path, built: list[object]
) -> None:
    cache = tmp_path / "cache"
    Engine.load(kb, cache_dir=cache)
    for path in index_files(cache, kb):
        damage(path)  # type: ignore[operator]
    engine = Engine.load(kb, cache_dir=cache)
    assert not opened(engine)
    assert rankings(engine, SAMPLE) == rankings(Engine.load(kb, cache_dir=None), SAMPLE)
    assert opened(Engine.load(kb, cache_dir=cache))  # written again, sound


def test_another_knowledge_bases_index_under_the_right_name_is_not_used(
    kb: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    other = tmp_path / "other"
    shutil.copytree(kb, other)
    (other / "smalltalk.yaml").write_text(
        (other / "smalltalk.yaml").read_text("utf-8").replace("thank", "thx"), "utf-8"
    )
    Engine.load(other, cache_dir=cache)
    for mine, theirs in zip(index_files(cache, kb), index_files(cache, other), strict=True):
        shutil.copy(theirs, mine)
    assert not opened(Engine.load(kb, cache_dir=cache))


def test_an_edited_knowledge_base_makes_the_index_stale(kb: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    Engine.load(kb, cache_dir=cache)
    assert opened(Engine.load(kb, cache_dir=cache))
    path = kb / "economy.yaml"
    path.write_text(
        path.read_text("utf-8").replace("- trade volume 2016", "- trade volume in 2016"), "utf-8"
    )
    engine = Engine.load(kb, cache_dir=cache)
    assert not opened(engine)
    assert engine.ranker.rank("trade volume in 2016")[0].intent == "trade.volume"
    assert opened(Engine.load(kb, cache_dir=cache))


def test_ids_out_of_range_are_refused_even_with_a_valid_checksum(kb: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    engine = Engine.load(kb, cache_dir=cache)
    index = engine.ranker.indexes["en"]  # type: ignore[attr-defined]
    path = index_files(cache, kb)[0]
    header_key = _key(path)
    for section, value in (("post", 10**6), ("fd_term", -1), ("ph_text_start", 10**9)):
        data = dict(index.tables.data)
        values = list(data[section])
        values[len(values) // 2] = value
        data[section] = values
        tables = compiled.Tables(index.tables.intents, index.tables.indexed, data)
        assert compiled.save(path, header_key, tables)
        assert compiled.load(path, header_key) is None
        assert not opened(Engine.load(kb, cache_dir=cache))


def _key(path: Path) -> str:
    import json

    raw = path.read_bytes()
    size = int.from_bytes(raw[8:12], "little")
    key: str = json.loads(raw[12 : 12 + size])["key"]
    return key


def test_an_unwritable_cache_directory_still_works(
    kb: Path, tmp_path: Path, built: list[object]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    engine = Engine.load(kb, cache_dir=blocker / "cache")
    assert not opened(engine)
    assert rankings(engine, SAMPLE) == rankings(Engine.load(kb, cache_dir=None), SAMPLE)
    read_only = tmp_path / "read-only"
    read_only.mkdir()
    read_only.chmod(0o555)
    try:
        assert rankings(Engine.load(kb, cache_dir=read_only), SAMPLE) == rankings(
            Engine.load(kb, cache_dir=None), SAMPLE
        )
    finally:
        read_only.chmod(0o755)


def test_compile_builds_the_index_ahead_of_time(kb: Path, tmp_path: Path) -> None:
    from bot.cli import main

    cache = tmp_path / "cache"
    assert main(["--intents", str(kb), "--cache-dir", str(cache), "compile"]) == 0
    assert all(path.is_file() for path in index_files(cache, kb))
    assert opened(Engine.load(kb, cache_dir=cache))
