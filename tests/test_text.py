"""Normalisation: Turkish casing and letters, apostrophes, tokens."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import CatalogError, Engine
from bot.lang.text import MAX_MATCH_CHARS, clean_input, fold, tokenize, turkish_lower


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("DIŞİŞLERİ", "disisleri"),
        ("dışişleri", "disisleri"),
        ("KAZAKİSTAN", "kazakistan"),
        ("Iğdır", "igdir"),
        ("ÖĞRENCİLER", "ogrenciler"),
        ("Türkiye’nin", "turkiye'nin"),
        ("Türkiye‘nin", "turkiye'nin"),
        ("Türkiye`nin", "turkiye'nin"),
        ("ＫＡＺＡＫＨＳＴＡＮ", "kazakhstan"),  # full-width letters
        ("ﬁnance", "finance"),  # ligature
    ],
)
def test_fold_is_turkish_aware_and_diacritic_free(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_fold_never_leaves_combining_dot() -> None:
    # str.lower() turns İ into i + U+0307; fold must not.
    assert "\u0307" not in fold("İSTANBUL İZMİR")
    assert fold("İSTANBUL") == fold("istanbul") == fold("ISTANBUL")


def test_turkish_lower_maps_dotted_and_dotless_i() -> None:
    assert turkish_lower("DIŞİŞLERİ") == "dışişleri"
    assert turkish_lower("ISPARTA") == "ısparta"


def test_tokenize_cuts_apostrophe_suffixes() -> None:
    tokens = tokenize("Kazakistan’ın Türkiye'deki yatırımları")
    assert [t.word for t in tokens] == ["kazakistan", "turkiye", "yatirimlari"]
    assert [t.suffix for t in tokens] == ["in", "deki", ""]


def test_tokenize_numbers_and_dollar_sign() -> None:
    words = [t.word for t in tokenize("$10 billion, 1,96 or 1.33?")]
    assert words == ["dollar", "10", "billion", "1.96", "or", "1.33"]


def test_tokenize_is_bounded() -> None:
    tokens = tokenize("kazakhstan " * 100_000)
    assert len(tokens) <= MAX_MATCH_CHARS // 2


def test_clean_input_removes_control_characters() -> None:
    assert clean_input("hello\x00\x1b[31m  world\u200b\n") == "hello [31m world"


def test_other_scripts_survive() -> None:
    assert [t.word for t in tokenize("Қазақстан Привет مرحبا")] == ["қазақстан", "привет", "مرحبا"]


@pytest.mark.parametrize("invisible", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"])
def test_invisible_characters_vanish_inside_words(invisible: str) -> None:
    word = f"ti{invisible}caret"
    assert fold(word) == "ticaret"
    assert [t.word for t in tokenize(f"{word} hac{invisible}mi")] == ["ticaret", "hacmi"]
    assert clean_input(f"{word} hacmi") == "ticaret hacmi"


def test_a_question_with_invisible_characters_is_answered_like_one_without(engine: Engine) -> None:
    plain = engine.answer("ticaret hacmi ne kadar")
    hidden = engine.answer("ti\u200bcaret hac\u00admi ne ka\u2060dar\ufeff")
    assert hidden.intent == plain.intent == "trade.volume"
    assert hidden.score == plain.score


def test_invisible_characters_in_the_knowledge_base_vanish_too(kb: Path) -> None:
    path = kb / "kb.yaml"
    text = path.read_text(encoding="utf-8")
    hidden = text.replace("[ihracat ne kadar,", "[ih\u200bra\u00adcat ne kadar,")
    path.write_text(hidden, encoding="utf-8")
    phrase = Engine.load(kb).intent("trade.exports").phrases["tr"][0]
    assert [t.word for t in tokenize(phrase)] == ["ihracat", "ne", "kadar"]
    # ... so a phrase that differs from another only by them is the same phrase.
    path.write_text(hidden.replace("[ticaret hacmi ne kadar,", "[ihracat ne kadar,"), "utf-8")
    with pytest.raises(CatalogError, match=r"is also in trade\.volume"):
        Engine.load(kb)
