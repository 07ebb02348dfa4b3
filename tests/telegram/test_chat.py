"""End to end: conversations through python-telegram-bot and the fake Bot API server."""

from __future__ import annotations

import json
import logging
import sqlite3
import stat
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fakeserver import BOT_USERNAME, FakeBotApi
from tgsupport import Starter, settle, shown

from bot import Answer, Engine, Session
from bot.dialogue.session import HELP
from bot.serve.telegram.app import COMMANDS, GREETING, SLOW_DOWN, TEXT_ONLY

TRADE_EN = "What was the trade volume in 2016?"
TRADE_TR = "2016'da Türkiye ile Kazakistan arasındaki ticaret hacmi ne kadardı?"


def buttons(markup: dict[str, Any] | None) -> list[str]:
    """The callback data of an inline keyboard, row by row."""
    if not markup:
        return []
    return [b["callback_data"] for row in markup["inline_keyboard"] for b in row]


def methods(api: FakeBotApi, chat_id: int) -> list[str]:
    return [c.method for c in api.calls if c.ok and c.params.get("chat_id") == chat_id]


async def test_start_greets_in_the_users_language(
    api: FakeBotApi, start_bot: Starter, engine: Engine
) -> None:
    await start_bot()
    api.message(11, "/start", language_code="tr")
    api.message(12, "/start", language_code="en-GB")
    tr = await api.wait_sent(11, 1)
    en = await api.wait_sent(12, 1)
    for text, lang in ((tr[0], "tr"), (en[0], "en")):
        help_answer = Session(engine, {"lang": lang}).ask("/start")
        assert text == f"{engine.gettext(GREETING, lang)} {help_answer.text}"
    assert tr[0].startswith("Merhaba!")
    assert engine.gettext(HELP, "tr") in tr[0]
    # No "typing..." before an answer that takes milliseconds; the starters as buttons.
    assert methods(api, 11) == ["sendMessage"]
    start_tr = api.sent(11)[0]
    assert buttons(start_tr.params.get("reply_markup")) == [
        f"ask:{c.intent}" for c in Session(engine, {"lang": "tr"}).ask("/start").suggestions
    ]
    # The command menu in English (default) and Turkish.
    menus = {
        c.params.get("language_code"): c.params["commands"]
        for c in api.sent(method="setMyCommands")
    }
    assert set(menus) == {None, "tr"}
    assert [c["command"] for c in menus[None]] == [name for name, _ in COMMANDS]
    assert [c["description"] for c in menus["tr"]] == [engine.gettext(d, "tr") for _, d in COMMANDS]
    assert menus["tr"] != menus[None]


async def test_questions_in_both_languages(
    api: FakeBotApi, start_bot: Starter, engine: Engine
) -> None:
    await start_bot()
    api.message(21, TRADE_EN, language_code="en")
    api.message(22, TRADE_TR, language_code="tr")
    api.message(23, TRADE_TR, language_code="en")  # the question's language wins
    for chat, question, lang in ((21, TRADE_EN, "en"), (22, TRADE_TR, "tr"), (23, TRADE_TR, "en")):
        texts = await api.wait_sent(chat, 1)
        expected = Session(engine, {"lang": lang}).ask(question)
        assert texts == [shown(expected)]
        assert expected.intent == "trade.volume"
        sent = api.sent(chat)[0]
        assert "parse_mode" not in sent.params
        assert buttons(sent.params.get("reply_markup")) == [
            f"ask:{c.intent}" for c in expected.suggestions
        ]
        assert methods(api, chat) == ["sendMessage"]
    assert Session(engine).ask(TRADE_TR).lang == "tr"


async def test_follow_ups_in_one_chat(api: FakeBotApi, start_bot: Starter, engine: Engine) -> None:
    await start_bot()
    mirror = Session(engine, {"lang": "en"})
    questions = [TRADE_EN, "how much of that was exports?", "and imports?", "/source", "/lang tr"]
    for number, question in enumerate(questions, 1):
        api.message(31, question)
        texts = await api.wait_sent(31, number)
        assert texts[-1] == shown(mirror.ask(question))
    assert mirror.lang == "tr"
    await settle()
    assert len(api.sent(31)) == len(questions)


async def test_two_chats_interleaved(api: FakeBotApi, start_bot: Starter, engine: Engine) -> None:
    await start_bot()
    first = [TRADE_EN, "how much of that was exports?", "and the one before?"]
    second = [TRADE_TR, "ya ihracat?", "teşekkürler"]
    for a, b in zip(first, second, strict=True):
        api.message(41, a)
        api.message(42, b, language_code="tr")
    got_a = await api.wait_sent(41, 3)
    got_b = await api.wait_sent(42, 3)
    mirror_a, mirror_b = Session(engine, {"lang": "en"}), Session(engine, {"lang": "tr"})
    assert got_a == [shown(mirror_a.ask(q)) for q in first]
    assert got_b == [shown(mirror_b.ask(q)) for q in second]
    await settle()
    assert len(api.sent(41)) == 3 and len(api.sent(42)) == 3


async def test_buttons_answer_and_callback_queries_are_always_answered(
    api: FakeBotApi, start_bot: Starter, engine: Engine
) -> None:
    await start_bot()
    mirror = Session(engine, {"lang": "en"})
    api.message(51, TRADE_EN)
    await api.wait_sent(51, 1)
    mirror.ask(TRADE_EN)
    data = buttons(api.sent(51)[0].params.get("reply_markup"))
    assert data and all(len(d.encode()) <= 64 for d in data)
    pressed = [
        api.callback(51, data[0]),
        api.callback(51, "ask:no.such.intent"),
        api.callback(51, "garbage"),
    ]
    await api.wait_for(lambda: len(api.sent(method="answerCallbackQuery")) == len(pressed))
    texts = await api.wait_sent(51, 3)
    assert texts[1] == shown(mirror.choose(data[0].removeprefix("ask:")))
    assert texts[2] == shown(mirror.choose("no.such.intent"))
    await settle()
    assert len(api.sent(51)) == 3  # the garbage button gets no message, only a query answer
    answered = [c.params["callback_query_id"] for c in api.sent(method="answerCallbackQuery")]
    assert len(answered) == len(set(answered)) == 3


async def test_topics_are_buttons(api: FakeBotApi, start_bot: Starter, engine: Engine) -> None:
    await start_bot()
    api.message(61, "/topics", language_code="tr")
    texts = await api.wait_sent(61, 1)
    expected = Session(engine, {"lang": "tr"}).ask("/topics")
    assert texts == [shown(expected)]
    every = [f"ask:{c.intent}" for group in engine.topics("tr") for c in group.choices]
    assert buttons(api.sent(61)[0].params.get("reply_markup")) == every
    assert len(every) >= 10


async def test_inline_queries(api: FakeBotApi, start_bot: Starter, engine: Engine) -> None:
    await start_bot()
    api.inline("trade volume 2016")
    api.inline("", language_code="tr")
    await api.wait_for(lambda: len(api.sent(method="answerInlineQuery")) == 2)
    first, empty = (c.params for c in api.sent(method="answerInlineQuery"))
    ranked = [m.intent for m in engine.rank("trade volume 2016") if m.score >= engine.threshold]
    assert [r["id"] for r in first["results"]] == ranked
    assert ranked[0] == "trade.volume"
    top = first["results"][0]
    assert top["type"] == "article"
    assert top["input_message_content"]["message_text"] == shown(
        engine.reply("trade.volume", "", "en")
    )
    assert "parse_mode" not in top["input_message_content"]
    assert [r["id"] for r in empty["results"]] == [c.intent for c in engine.starters("tr")]
    tr_text = empty["results"][0]["input_message_content"]["message_text"]
    assert tr_text == shown(engine.reply(empty["results"][0]["id"], "", "tr"))


async def test_group_answers_mentions_and_replies_only(
    api: FakeBotApi, start_bot: Starter, engine: Engine
) -> None:
    await start_bot()
    group = -1001
    kind = "supergroup"
    api.message(group, "hello everyone, trade volume in 2016?", user_id=71, chat_type=kind)
    api.message(group, "/help@some_other_bot", user_id=71, chat_type=kind)
    api.message(group, None, user_id=71, chat_type=kind, extra={"sticker": _sticker()})
    mention = api.message(group, f"@{BOT_USERNAME} {TRADE_EN}", user_id=71, chat_type=kind)
    await api.wait_sent(group, 1)
    reply = api.message(
        group, "how much of that was exports?", user_id=72, chat_type=kind, reply_to_bot=True
    )
    await api.wait_sent(group, 2)
    api.message(group, f"/help@{BOT_USERNAME}", user_id=73, chat_type=kind)
    api.message(group, "/topics", user_id=73, chat_type=kind)
    texts = await api.wait_sent(group, 4)
    await settle()
    mirror = Session(engine, {"lang": "en"})
    assert texts == [
        shown(mirror.ask(TRADE_EN)),
        shown(mirror.ask("how much of that was exports?")),
        shown(mirror.ask("/help")),
        shown(mirror.ask("/topics")),
    ]
    # Replies in groups quote the message they answer.
    quoted = [c.params.get("reply_parameters", {}).get("message_id") for c in api.sent(group)[:2]]
    assert quoted == [
        api.pushed[mention]["message"]["message_id"],
        api.pushed[reply]["message"]["message_id"],
    ]


async def test_stickers_get_a_text_only_notice_and_edits_are_ignored(
    api: FakeBotApi, start_bot: Starter, engine: Engine
) -> None:
    await start_bot()
    api.message(81, None, language_code="tr", extra={"sticker": _sticker()})
    api.message(82, None, language_code="en", extra={"photo": [_photo()], "caption": "look"})
    api.message(83, TRADE_EN, edited=True)
    assert await api.wait_sent(81, 1) == [engine.gettext(TEXT_ONLY, "tr")]
    assert await api.wait_sent(82, 1) == [engine.gettext(TEXT_ONLY, "en")]
    assert engine.gettext(TEXT_ONLY, "tr") != engine.gettext(TEXT_ONLY, "en")
    await settle()
    assert api.sent(83) == []


async def test_long_messages_are_cut_and_long_replies_split(
    api: FakeBotApi, start_bot: Starter, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    await start_bot()
    question = TRADE_EN + " " + "x" * 6000
    api.message(91, question)
    texts = await api.wait_sent(91, 1)
    assert texts == [shown(Session(engine, {"lang": "en"}).ask(question[:4096]))]

    huge = ("A fairly long line of an answer, repeated many times over. " * 30 + "\n") * 6
    original = Session.ask

    def long_answer(self: Session, text: str) -> Answer:
        answer = original(self, text)
        return replace(answer, text=huge)

    monkeypatch.setattr(Session, "ask", long_answer)
    api.message(92, TRADE_EN)
    await api.wait_for(lambda: len(api.sent(92)) >= 3)
    await settle()
    parts = api.sent(92)
    assert len(parts) == 3
    assert all(len(p.params["text"]) <= 4096 for p in parts)
    assert "".join("".join(p.params["text"] for p in parts).split()) == "".join(huge.split())
    assert [bool(p.params.get("reply_markup")) for p in parts] == [False, False, True]


async def test_html_in_a_question_is_sent_back_as_plain_text(
    api: FakeBotApi, start_bot: Starter, engine: Engine
) -> None:
    await start_bot()
    question = "<b>What</b> was the <a href='x'>trade</a> volume in 2016? <script>alert(1)</script> *bold* _it_"
    api.message(95, question)
    texts = await api.wait_sent(95, 1)
    assert texts == [shown(Session(engine, {"lang": "en"}).ask(question))]
    assert all("parse_mode" not in c.params for c in api.calls)


async def test_restart_keeps_a_chats_language(
    api: FakeBotApi, start_bot: Starter, engine: Engine, tmp_path: Path
) -> None:
    bot = await start_bot()
    api.message(101, "/lang tr", language_code="en")
    await api.wait_sent(101, 1)
    await bot.stop()
    database = tmp_path / "data" / "state.db"
    with sqlite3.connect(database) as db:
        (state,) = db.execute("SELECT state FROM chats WHERE chat = 'telegram:101'").fetchone()
    assert json.loads(state)["lang"] == "tr"
    assert stat.S_IMODE(database.stat().st_mode) == 0o600

    await start_bot()
    api.message(101, "/help", language_code="en")
    texts = await api.wait_sent(101, 2)
    assert texts[1] == engine.gettext(HELP, "tr")


async def test_a_malformed_saved_state_starts_the_chat_afresh(
    api: FakeBotApi,
    start_bot: Starter,
    engine: Engine,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = await start_bot()
    api.message(111, "/lang tr")
    api.message(112, "/lang tr")
    await api.wait_sent(111, 1)
    await api.wait_sent(112, 1)
    await bot.stop()
    with sqlite3.connect(tmp_path / "data" / "state.db") as db:
        db.execute(
            "UPDATE chats SET state = '{\"lang\": \"tr\", broken' WHERE chat = 'telegram:111'"
        )
        db.execute("UPDATE chats SET state = '[1, 2, 3]' WHERE chat = 'telegram:112'")
    await start_bot()
    with caplog.at_level(logging.WARNING):
        api.message(111, TRADE_EN)
        api.message(112, TRADE_TR, language_code="tr")
        assert (await api.wait_sent(111, 2))[1] == shown(
            Session(engine, {"lang": "en"}).ask(TRADE_EN)
        )
        assert (await api.wait_sent(112, 2))[1] == shown(
            Session(engine, {"lang": "tr"}).ask(TRADE_TR)
        )
    assert sum("malformed" in r.getMessage() for r in caplog.records) == 2


async def test_flooding_user_is_slowed_down_without_delaying_others(
    api: FakeBotApi, start_bot: Starter, engine: Engine
) -> None:
    await start_bot(flood_burst=5, flood_rate=0.01)
    for _ in range(30):
        api.message(121, "hello")
    api.message(122, TRADE_EN)
    assert await api.wait_sent(122, 1) == [shown(Session(engine, {"lang": "en"}).ask(TRADE_EN))]
    texts = await api.wait_sent(121, 6)
    await settle()
    texts = api.texts(121)
    assert len(texts) == 6
    assert texts.count(engine.gettext(SLOW_DOWN, "en")) == 1
    mirror = Session(engine, {"lang": "en"})
    assert texts[:5] == [shown(mirror.ask("hello")) for _ in range(5)]


def _sticker() -> dict[str, Any]:
    return {
        "file_id": "CAACAgIAAxkBAAE", "file_unique_id": "AgADsticker", "type": "regular",
        "width": 512, "height": 512, "is_animated": False, "is_video": False,
    }  # fmt: skip


def _photo() -> dict[str, Any]:
    return {"file_id": "AgACAgIAAxkBAAE", "file_unique_id": "AQADphoto", "width": 90, "height": 90}


async def test_edited_knowledge_base_is_served_without_a_restart(
    api: FakeBotApi, tmp_path: Path
) -> None:
    """Live reload: a valid edit is answered at once; a broken one leaves the old answers."""
    import os
    import shutil

    from tgsupport import settings_for, start_running

    from bot.kb.catalog import bundled_dir
    from bot.serve.reload import Reloader

    intents = tmp_path / "intents"
    shutil.copytree(bundled_dir(), intents)
    clock = [0.0]
    # settle=0: the test's writes are whole, so one check reads them twice at once.
    reloader = Reloader(intents, clock=lambda: clock[0], settle=0)
    bot = await start_running(settings_for(api, tmp_path / "data"), reloader.current, reloader)
    try:
        api.message(31, "hello")
        (before,) = await api.wait_sent(31, 1)
        assert before == reloader.current.intent("smalltalk.greeting").answer["en"]

        path = intents / "smalltalk.yaml"
        text = path.read_text(encoding="utf-8")
        path.write_text(
            text.replace('en: "Hello! ', 'en: "Hello from the new knowledge base! ', 1),
            encoding="utf-8",
        )
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
        clock[0] += 5
        api.message(31, "hello")
        after = (await api.wait_sent(31, 2))[1]
        assert after.startswith("Hello from the new knowledge base!")

        path.write_text("intents: [\n", encoding="utf-8")  # broken
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 2 * 10**9))
        clock[0] += 5
        api.message(31, "hello")
        assert (await api.wait_sent(31, 3))[2] == after
    finally:
        await bot.stop()


async def test_a_redelivered_update_is_not_answered_twice(
    api: FakeBotApi, start_bot: Starter
) -> None:
    """After a restart Telegram may deliver updates again; each update is answered once."""
    bot = await start_bot()
    update_id = api.message(51, TRADE_EN)
    await api.wait_sent(51, 1)
    await bot.stop()
    # The same update, as Telegram would send it again to the restarted bot.
    api.push(api.update(update_id))
    api.message(51, "hello")
    await start_bot()
    texts = await api.wait_sent(51, 2)
    await settle(0.5)
    assert len(api.sent(51)) == 2
    assert (
        texts[1]
        == "Hello! Ask me anything about Turkey–Kazakhstan relations, in English or Turkish."
    )
