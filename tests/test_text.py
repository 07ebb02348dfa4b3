"""Normalisation: Turkish casing and letters, apostrophes, tokens."""

from __future__ import annotations

import pytest

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
