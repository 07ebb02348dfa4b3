"""Invariants over generated text (hypothesis): the engine cannot be broken by input."""

from __future__ import annotations

import os
import shutil
import string
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kb_mutations import KEYS, SUFFIXES, SWAPS, KnowledgeBase, Mutation

from bot import CatalogError, Engine, Session
from bot.kb.catalog import bundled_dir, load_catalog
from bot.lang.text import fold, tokenize

ENGINE = Engine.load()
PHRASES = sorted(
    {(i.id, p) for i in ENGINE.intents for lang in ("en", "tr") for p in i.phrases[lang]}
)
# Phrases whose intent is clear-cut (top score well above the runner-up), so a
# harmless rewrite must not change it.
CLEAR = [
    (intent, phrase)
    for intent, phrase in PHRASES
    if (ranking := ENGINE.rank(phrase, limit=2))
    and ranking[0].intent == intent
    and (len(ranking) == 1 or ranking[0].score - ranking[1].score >= 10)
]

TURKISH_TO_ASCII = str.maketrans("çğıöşüÇĞİÖŞÜâîû", "cgiosuCGIOSUaiu")
# About 10,000 examples per `make test`; `make properties` runs ten times more.
SCALE = int(os.environ.get("KZBOT_PROPERTY_SCALE", "1"))
many = settings(
    max_examples=2000 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
some = settings(
    max_examples=500 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def turkish_upper(text: str) -> str:
    return text.replace("i", "İ").replace("ı", "I").upper()


def turkish_lower(text: str) -> str:
    return text.replace("I", "ı").replace("İ", "i").lower()


@many
@given(st.text(max_size=400))
def test_engine_never_raises_and_is_deterministic(text: str) -> None:
    first = ENGINE.answer(text)
    assert first.lang in ("en", "tr")
    assert 0 <= first.score <= 100
    assert first.text
    assert first == ENGINE.answer(text)


@some
@given(st.text(max_size=50), st.integers(min_value=100, max_value=5000))
def test_long_input_is_bounded(piece: str, times: int) -> None:
    text = (piece or "x") * times
    answer = ENGINE.answer(text)
    assert len(answer.question) <= 4096
    assert len(tokenize(text)) <= 300


@many
@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@many
@given(st.text())
def test_session_never_raises(text: str) -> None:
    session = Session(ENGINE)
    session.ask(text)
    session.ask("/" + text)
    assert session.state["lang"] in ("en", "tr")


def transforms() -> st.SearchStrategy[object]:
    return st.sampled_from(
        [
            turkish_upper,
            turkish_lower,
            lambda t: t.translate(TURKISH_TO_ASCII),
            lambda t: t.replace("'", "’"),
            lambda t: f"  {t}?! ",
            lambda t: f"...{t}...",
            lambda t: t.translate(TURKISH_TO_ASCII).upper(),
        ]
    )


@many
@given(st.sampled_from(CLEAR), transforms())
def test_matching_is_invariant_under_harmless_rewrites(
    item: tuple[str, str], transform: object
) -> None:
    intent, phrase = item
    rewritten = transform(phrase)  # type: ignore[operator]
    assert ENGINE.answer(rewritten).intent == ENGINE.answer(phrase).intent == intent, rewritten


def test_enough_clear_cut_phrases_to_test() -> None:
    assert len(CLEAR) > len(PHRASES) / 2


# -- the catalogue loader on arbitrary YAML --------------------------------

yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def loads_cleanly_or_refuses(directory: Path) -> None:
    try:
        load_catalog(directory)
    except CatalogError as exc:
        assert exc.problems
        assert all(p.message for p in exc.problems)


@some
@given(yaml_values)
def test_loader_refuses_arbitrary_structures_cleanly(
    tmp_path_factory: pytest.TempPathFactory, data: object
) -> None:
    directory = tmp_path_factory.mktemp("kb")
    (directory / "kb.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    loads_cleanly_or_refuses(directory)


@some
@given(
    st.dictionaries(
        st.sampled_from(["values", "topics", "intents", "extra"]),
        yaml_values,
        max_size=3,
    )
)
def test_loader_refuses_wrong_types_at_the_top(
    tmp_path_factory: pytest.TempPathFactory, data: dict[str, object]
) -> None:
    directory = tmp_path_factory.mktemp("kb")
    (directory / "kb.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    (directory / "lexicon.yaml").write_text(yaml.safe_dump({"concepts": data}), encoding="utf-8")
    loads_cleanly_or_refuses(directory)


@some
@given(st.text(alphabet=string.printable + "çğışöüİ:-[]{}&*!|>'\"%@`", max_size=300))
def test_loader_refuses_arbitrary_text_cleanly(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    directory = tmp_path_factory.mktemp("kb")
    (directory / "kb.yaml").write_text(text, encoding="utf-8")
    loads_cleanly_or_refuses(directory)


def test_loader_refuses_a_billion_laughs(tmp_path: Path) -> None:
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for n in range(1, 12):
        bomb.append(
            f"{chr(97 + n)}: &{chr(97 + n)} [*{chr(96 + n)}, *{chr(96 + n)}, *{chr(96 + n)}]"
        )
    (tmp_path / "kb.yaml").write_text("\n".join(bomb), encoding="utf-8")
    with pytest.raises(CatalogError, match="anchors and aliases are not allowed"):
        load_catalog(tmp_path)


def test_loader_refuses_deep_nesting_and_huge_files(tmp_path: Path) -> None:
    (tmp_path / "deep.yaml").write_text("a: " + "[" * 5000 + "]" * 5000, encoding="utf-8")
    (tmp_path / "huge.yaml").write_text("# x\n" * 1_000_000, encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog(tmp_path)
    messages = " ".join(str(p) for p in caught.value.problems)
    assert "deep.yaml" in messages and "huge.yaml" in messages


# -- the loader on type mutations of the real knowledge base ----------------

BUNDLED = KnowledgeBase.read(bundled_dir())


def mutations() -> st.SearchStrategy[Mutation]:
    """One value of one bundled file swapped, one text edited or one key renamed."""
    name = st.sampled_from(BUNDLED.names)
    path = st.integers(min_value=0, max_value=1 << 20)
    return st.one_of(
        st.builds(Mutation, name, path, st.just("swap"), st.sampled_from(SWAPS)),
        st.builds(Mutation, name, path, st.just("suffix"), st.sampled_from(SUFFIXES)),
        st.builds(Mutation, name, path, st.just("key"), st.sampled_from(KEYS)),
    )


@pytest.fixture(scope="module")
def bundled_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("bundled") / "intents"
    shutil.copytree(bundled_dir(), directory)
    return directory


@settings(max_examples=25 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations())
def test_loader_survives_type_mutations_of_the_real_knowledge_base(
    bundled_copy: Path, mutation: Mutation
) -> None:
    """Loaded, and then an engine that answers; or refused with the loader's own error.

    Its cost is bounded by construction (file and item caps, no formats in
    answers, bounded numbers), so nothing here measures time or memory.
    """
    path = bundled_copy / mutation.file
    path.write_text(BUNDLED.mutate(mutation), encoding="utf-8")
    try:
        catalog = load_catalog(bundled_copy)
    except CatalogError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.message, problem
            assert not Path(problem.file).is_absolute(), problem
        return
    finally:
        path.write_text(BUNDLED.texts[mutation.file], encoding="utf-8")
    assert Engine(catalog).answer("what was the trade volume in 2016?").text


def test_every_mutation_kind_is_tried_on_every_file() -> None:
    for name in BUNDLED.names:
        assert BUNDLED.paths[name], name
        for swap in SWAPS:
            assert swap in BUNDLED.mutate(Mutation(name, 0, "swap", swap))


def test_markup_does_not_get_in_the_way(engine: Engine) -> None:
    assert engine.answer("<b>trade</b> <i>volume</i>").intent == "trade.volume"
