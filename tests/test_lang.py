"""Languages: the registry, English and Turkish as data, the generic CLDR language, detection."""

from __future__ import annotations

import pytest

from bot.lang import Language, LanguageDetector, get
from bot.lang.tr import LANGUAGE as TURKISH


def test_modules_are_found_by_code() -> None:
    assert get("en").code == "en" and type(get("en")).__name__ == "English"
    assert get("tr") is TURKISH


def test_any_language_babel_knows_gets_a_generic_one() -> None:
    german = get("de")
    assert type(german) is Language
    assert german.snowball == "german" and german.stem("handelsvolumen") == "handelsvolum"
    assert {"deutsch", "german", "de"} <= german.names
    assert german.name == "Deutsch"


def test_a_language_without_a_snowball_stemmer_keeps_its_words() -> None:
    kazakh = get("kk")
    assert kazakh.snowball is None
    assert kazakh.stem("саудасы") == "саудасы"


@pytest.mark.parametrize("code", ["xx", "EN", "english", "", "../en"])
def test_unknown_codes_are_refused(code: str) -> None:
    with pytest.raises(ValueError):
        get(code)


def test_turkish_stems_are_prefixes_and_numbers_stay() -> None:
    assert TURKISH.stem("yatirimlarimizin") == "yatir"
    assert TURKISH.stem("2016") == "2016"
    assert TURKISH.ordinal(4) == "4."
    assert TURKISH.name == "Türkçe"


def test_turkish_case_endings_mark_sides() -> None:
    assert "den" in TURKISH.source_endings and "deki" in TURKISH.target_endings
    assert TURKISH.glues_case_endings and not get("en").glues_case_endings


def detector(*codes: str) -> LanguageDetector:
    words = {
        "en": ["trade", "volume", "how", "much", "what"],
        "tr": ["ticaret", "hacmi", "ne", "kadar", "nedir"],
        "de": ["handel", "wie", "viel"],
    }
    return LanguageDetector([get(c) for c in codes], words)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("how much trade", "en"),
        ("ticaret hacmi ne kadar", "tr"),
        ("Türkiye", "tr"),  # a Turkish letter
        ("Kazakistan'ın", "tr"),  # an apostrophe case ending
        ("Turkey's exports", "en"),  # an English clitic
        ("Nazarbayev", None),  # a name says nothing
        ("2016", None),
    ],
)
def test_detection_between_english_and_turkish(text: str, lang: str | None) -> None:
    assert detector("en", "tr").detect(text) == lang


def test_detection_among_three_languages() -> None:
    three = detector("en", "tr", "de")
    assert three.detect("wie viel handel") == "de"
    assert three.detect("what trade volume") == "en"


def test_one_language_is_always_detected() -> None:
    assert detector("de").detect("anything") == "de"
