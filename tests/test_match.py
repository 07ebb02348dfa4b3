"""Rankers on the small fixture knowledge base: terms, roles, typos, foreign names, weights."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.kb import Catalog, Lexicon, load_catalog
from bot.lang import get, tokenize
from bot.match import FuzzyRanker, Term, TermRanker, Weights
from bot.match.analyzer import Analyzer, Cues

SMALL = Path(__file__).parent / "fixtures" / "kb"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(SMALL)


@pytest.fixture(scope="module")
def ranker(catalog: Catalog) -> TermRanker:
    return TermRanker(catalog)


def top(ranker: TermRanker | FuzzyRanker, text: str, **kwargs: str) -> tuple[str, float]:
    ranking = ranker.rank(text, limit=3, **kwargs)
    assert ranking, text
    return ranking[0].intent, ranking[0].score


def test_every_phrase_ranks_its_own_intent_first(catalog: Catalog, ranker: TermRanker) -> None:
    for intent in catalog.intents:
        for lang in catalog.codes:
            for phrase in intent.phrases[lang]:
                assert top(ranker, phrase) == (intent.id, 100.0), phrase


def test_one_entry_per_intent_best_first(ranker: TermRanker) -> None:
    ranking = ranker.rank("trade exports students", limit=10)
    assert len({m.intent for m in ranking}) == len(ranking)
    assert [m.score for m in ranking] == sorted((m.score for m in ranking), reverse=True)


def test_concepts_meet_across_words_and_languages(ranker: TermRanker) -> None:
    assert top(ranker, "how much did turkey sell")[0] == "trade.exports"
    assert top(ranker, "türkiye ne kadar sattı")[0] == "trade.exports"


def test_a_typo_is_corrected_against_the_vocabulary(ranker: TermRanker) -> None:
    intent, score = top(ranker, "how much did turkey exprot")
    assert intent == "trade.exports" and score >= 90


def test_words_it_never_saw_count_against(ranker: TermRanker) -> None:
    _, plain = top(ranker, "what was the trade volume")
    _, padded = top(ranker, "what was the trade volume of bananas in peru")
    assert padded < plain


def test_another_country_cuts_the_score(catalog: Catalog, ranker: TermRanker) -> None:
    _, plain = top(ranker, "what was the trade volume")
    _, foreign = top(ranker, "what was the trade volume with Brazil")
    assert foreign < 0.8 * plain
    lenient = TermRanker(catalog, Weights(foreign_factor=1.0, foreign_weight=0.0))
    assert top(lenient, "what was the trade volume with Brazil")[1] > foreign


def test_the_previous_question_helps_a_follow_up(ranker: TermRanker) -> None:
    alone = ranker.rank("ne kadar")
    followed = ranker.rank("ne kadar", context="ihracat")
    assert followed[0].intent == "trade.exports"
    assert not alone or alone[0].score <= followed[0].score


def test_nothing_to_match_ranks_nothing(ranker: TermRanker) -> None:
    assert ranker.rank("") == [] and ranker.rank("?!") == []


def test_a_tiny_candidate_cap_still_ranks(catalog: Catalog) -> None:
    capped = TermRanker(catalog, Weights(max_candidates=1))
    assert top(capped, "what was the trade volume")[0] == "trade.volume"


def test_leave_one_out_per_language(ranker: TermRanker) -> None:
    shares = ranker.leave_one_out(50.0)
    assert set(shares) == {"en", "tr"}
    assert all(0.0 <= v <= 1.0 for v in shares.values())


def test_the_fuzzy_ranker(catalog: Catalog) -> None:
    fuzzy = FuzzyRanker(catalog)
    assert top(fuzzy, "how big is bilateral trade") == ("trade.volume", 100.0)
    assert fuzzy.rank("") == []


def test_terms_are_typed() -> None:
    turkey = Term("concept", "turkey")
    assert turkey.with_role("src").opposite == Term("concept", "turkey", "dst")
    assert turkey.with_role("dst").base == turkey and turkey.opposite is None
    assert Term("word", "2016").is_number and not Term("foreign", "2016").is_number


# -- roles: which side of a relation a country is on ------------------------------


def analyzer(lang: str) -> Analyzer:
    lexicon = Lexicon.build(
        {"en": ["how", "much", "have", "the"], "tr": []},
        {
            "turkey": {"en": ["turkey"], "tr": ["türkiye*"]},
            "kazakhstan": {"en": ["kazakhstan"], "tr": ["kazakistan*"]},
            "invest": {"en": ["invest*", "put"], "tr": ["yatırım*"]},
        },
        roles=frozenset({"turkey", "kazakhstan"}),
        demonyms=["kazakhs", "turkish"],
    )
    languages = [get("en"), get("tr")]
    return Analyzer(get(lang), lexicon, {}, Cues.of(languages), max_terms=30)


def roles(lang: str, text: str) -> dict[str, str | None]:
    return {
        f.term.text: f.role
        for f in analyzer(lang).terms(tokenize(text))
        if f.term.text in ("turkey", "kazakhstan")
    }


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("tr", "Kazakistan'ın Türkiye'deki yatırımları", {"kazakhstan": "src", "turkey": "dst"}),
        ("tr", "Türkiye'den Kazakistan'a yatırım", {"turkey": "src", "kazakhstan": "dst"}),
        ("tr", "kazakistanin turkiyedeki yatirimlari", {"kazakhstan": "src", "turkey": "dst"}),
        ("en", "investment from Turkey in Kazakhstan", {"turkey": "src", "kazakhstan": "dst"}),
        ("en", "Kazakhstan's investment in Turkey", {"kazakhstan": "src", "turkey": "dst"}),
        # One side given, the other is the other side.
        ("en", "how much have Kazakhstan put into Turkey", {"kazakhstan": "src", "turkey": "dst"}),
    ],
)
def test_case_endings_and_prepositions_give_the_side(
    lang: str, text: str, expected: dict[str, str]
) -> None:
    assert roles(lang, text) == expected
