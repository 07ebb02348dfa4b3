"""The answer engine on the bundled knowledge base: matching, languages, declines."""

from __future__ import annotations

import sys
from dataclasses import replace

import pytest

from bot import Answer, Engine, Policy


def test_import_does_not_pull_in_telegram() -> None:
    import subprocess

    code = "import sys, bot; bot.Engine.load(); print('telegram' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "False", result.stderr


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        # Turkish typed without Turkish letters
        ("ogrenciler hangi sehirde okuyor", "education.yesevi"),
        # inflected forms and apostrophes, straight and typographic
        ("yatırımlarımız ne kadar", "investment.turkish"),
        ("Kazakistan'ın Türkiye'deki yatırımları", "investment.kazakh"),
        ("Kazakistan’ın Türkiye’deki yatırımları", "investment.kazakh"),
        ("Türkiye’nin Kazakistan’a ihracatı", "trade.exports"),
        # Turkish capitals: İ and I
        ("KAZAKİSTAN'IN TÜRKİYE'DEKİ YATIRIMI", "investment.kazakh"),
        ("DIŞ TİCARET HACMİ NE KADAR", "trade.volume"),
        # paraphrases through the lexicon
        ("what is the value of Turkish goods sold in Kazakhstan", "trade.exports"),
        ("do Turkish construction companies work there", "business.contracting"),
        ("Kazakistan'ın bize sattıklarının toplamı", "trade.imports"),
        # typos
        ("how much did turkey exprot to kazakstan", "trade.exports"),
        ("ydsk ne zman kuruldu", "ydsk.established"),
        # terse
        ("trade target", "trade.target"),
        ("turkpa", "turkic.turkpa"),
        ("hi", "smalltalk.greeting"),
        ("teşekkürler", "smalltalk.thanks"),
    ],
)
def test_answers_however_it_is_typed(engine: Engine, question: str, intent: str) -> None:
    answer = engine.answer(question)
    assert answer.intent == intent, (answer.kind, answer.score, answer.ranking[:3])


@pytest.mark.parametrize(
    "question",
    [
        "trade between Turkey and Brazil",
        "the area of Kazakhstan",
        "students at Oxford",
        "Almanya ile ticaret hacmi ne kadar",
        "what is the weather in Almaty tomorrow",
        "bitcoin fiyatı",
        "Turkey Kazakhstan trade volume in 2021",
        "Привет, как дела?",
    ],
)
def test_declines_what_the_document_does_not_cover(engine: Engine, question: str) -> None:
    answer = engine.answer(question)
    assert answer.intent is None
    assert answer.kind == "decline"
    assert answer.suggestions, "a decline offers what the bot can answer"


@pytest.mark.parametrize("question", ["", "   ", "🙂🙂🙂", "?!", "\x00\x07"])
def test_no_words_gets_a_prompt(engine: Engine, question: str) -> None:
    answer = engine.answer(question)
    assert (answer.intent, answer.kind) == (None, "empty")
    assert answer.text


def test_answer_speaks_the_language_of_the_question(engine: Engine) -> None:
    english = engine.answer("How much did Turkey export to Kazakhstan?")
    turkish = engine.answer("Türkiye Kazakistan'a ne kadar ihracat yaptı?")
    assert english.intent == turkish.intent == "trade.exports"
    assert (english.lang, turkish.lang) == ("en", "tr")
    assert "625 million US dollars" in english.text
    assert "625 milyon ABD doları" in turkish.text


def test_lang_argument_forces_the_language(engine: Engine) -> None:
    answer = engine.answer("How much did Turkey export to Kazakhstan?", lang="tr")
    assert answer.lang == "tr"
    assert answer.text == engine.intent("trade.exports").answer["tr"]


def test_ambiguous_text_falls_back_to_the_default_language() -> None:
    engine = Engine.load(default_lang="tr")
    assert engine.detect_language("YDSK") is None
    assert engine.answer("YDSK").lang == "tr"


def test_answer_object_contract(engine: Engine) -> None:
    answer = engine.answer("When was the YDSK established?")
    assert isinstance(answer, Answer)
    assert answer.intent == "ydsk.established"
    assert 0 <= answer.score <= 100
    assert answer.source and all(
        q in engine.catalog.source_text.replace("\n", " ") for q in answer.source
    )
    assert {s.intent for s in answer.suggestions} <= {i.id for i in engine.intents}
    data = answer.to_dict()
    assert {"question", "intent", "lang", "score", "text", "suggestions"} <= set(data)


def test_values_agree_between_languages(engine: Engine) -> None:
    for intent_id, english, turkish in [
        ("trade.volume", "1.96 billion US dollars", "1,96 milyar ABD doları"),
        ("ydsk.first_meeting", "11–12 October 2012", "11-12 Ekim 2012"),
        ("education.yesevi", "8,000", "8.000"),
    ]:
        intent = engine.intent(intent_id)
        assert english in intent.answer["en"]
        assert turkish in intent.answer["tr"]


def test_close_intents_ask_which_was_meant() -> None:
    # A margin wider than any gap makes every two answerable intents "close".
    engine = Engine.load(margin=100.0)
    answer = engine.answer("ydsk toplantısı")
    assert answer.kind == "clarify"
    assert answer.intent is None
    assert len(answer.choices) >= 2
    # The choices are data, not text: each front end shows them its way.
    assert all(choice.text not in answer.text for choice in answer.choices)


def test_threshold_is_respected() -> None:
    # Nothing is answered under the threshold minus the verified band, ...
    strict = Engine.load(threshold=101.0 + Policy().verified_slack)
    assert strict.answer("When was the YDSK established?").kind == "decline"
    # ... and with no band, nothing under the threshold itself.
    strict = Engine.load(policy=Policy(threshold=101.0, verified_slack=0.0))
    assert strict.answer("When was the YDSK established?").kind == "decline"


def test_just_under_the_threshold_only_a_verified_unrivalled_answer(engine: Engine) -> None:
    question = "Kazakistan bölgede Türkiye için ne kadar önemli bir ortak"
    ranking = engine.rank(question)
    policy = engine.policy
    assert policy.threshold - policy.verified_slack <= ranking[0].score < policy.threshold
    assert engine.answer(question).intent == "relations.partner"
    # The same question with a word the knowledge base does not know is not trusted.
    assert engine.answer(question + " hotelleri").intent is None
    without = Engine.load(policy=replace(policy, verified_slack=0.0))
    assert without.answer(question).intent is None


def test_every_phrase_finds_its_own_intent(engine: Engine) -> None:
    from bot.tools.check import check_self_match

    assert check_self_match(engine) == []


def test_deterministic(engine: Engine) -> None:
    questions = ["trade volume", "kazak yatırımı", "hello", "something else entirely"]
    first = [engine.answer(q) for q in questions]
    second = [engine.answer(q) for q in questions]
    assert first == second


def test_topics_group_every_fact_intent(engine: Engine) -> None:
    grouped = engine.topics("tr")
    listed = {c.intent for group in grouped for c in group.choices}
    facts = {i.id for i in engine.intents if not i.is_smalltalk}
    assert listed == facts


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("hey, what was the trade volume between turkey and kazakhstan?", "trade.volume"),
        ("merhaba, YDSK ne zaman kuruldu?", "ydsk.established"),
        ("thanks! how much did turkey export?", "trade.exports"),
        ("hello", "smalltalk.greeting"),
        ("thank you so much", "smalltalk.thanks"),
    ],
)
def test_politeness_around_a_question_does_not_hide_it(
    engine: Engine, question: str, intent: str
) -> None:
    assert engine.answer(question).intent == intent
