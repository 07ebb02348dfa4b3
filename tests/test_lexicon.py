"""The lexicon: concepts by word, root and phrase; stop-words folded; roots per language."""

from __future__ import annotations

from bot.kb import Lexicon
from bot.kb.lexicon import parse_form
from bot.lang import get, tokenize


def lexicon() -> Lexicon:
    return Lexicon.build(
        {"en": ["The", "what"], "tr": ["NE", "mı"]},
        {
            "export": {"en": ["export*", "sold"], "tr": ["ihracat*"]},
            "increase": {"en": ["increase*"]},
            "contracting": {"en": ["construction firm*"], "tr": ["müteahhit*"]},
            "firm": {"en": ["firm*"]},
        },
        languages={"en": get("en"), "tr": get("tr")},
    )


def concept(text: str, start: int = 0) -> str | None:
    form = lexicon().match(tokenize(text), start)
    return form.concept if form is not None else None


def test_whole_words_and_roots() -> None:
    assert concept("sold") == "export"
    assert concept("exporting") == "export"
    assert concept("ihracatımızın") == "export"  # a Turkish root takes any suffix
    assert concept("solder") is None  # a whole word is not a root


def test_the_longest_form_wins() -> None:
    assert concept("construction firms") == "contracting"
    assert concept("firms") == "firm"
    assert concept("the construction firms", 1) == "contracting"


def test_english_roots_match_without_their_final_e() -> None:
    assert concept("increasing") == "increase"
    assert concept("increased") == "increase"


def test_without_a_language_a_root_is_taken_as_written() -> None:
    plain = Lexicon.build({}, {"increase": {"en": ["increase*"]}})
    assert plain.match(tokenize("increasing"), 0) is None


def test_stopwords_are_folded_per_language() -> None:
    stop = lexicon().stopwords
    assert stop["en"] == {"the", "what"}
    assert stop["tr"] == {"ne", "mi"}
    assert lexicon().all_stopwords == {"the", "what", "ne", "mi"}


def test_parse_form() -> None:
    form = parse_form("contracting", "Construction Firm*")
    assert form is not None
    assert (form.words, form.prefix) == (("construction", "firm"), (False, True))
    assert parse_form("x", "  ") is None
