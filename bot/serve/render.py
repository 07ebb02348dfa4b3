"""An :class:`~bot.Answer` written out for a medium.

The engine's answers are structured (the answer's text alone; the questions
offered as data), so each medium shows them its way: the console numbers
them so a number picks one, Telegram turns them into buttons, JSON keeps
them as arrays (:meth:`bot.Answer.to_dict`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.dialogue import Answer, Choice
from bot.lang import N_

__all__ = ["RELATED", "TRY_ASKING", "for_chat", "for_console", "one_line"]

TRY_ASKING = N_("You could ask:")
RELATED = N_("Related questions (type a number):")

Gettext = Callable[[str, str], str]


def for_console(answer: Answer, gettext: Gettext, *, related: bool = True) -> str:
    """Plain text with the questions offered numbered (a number picks one).

    ``related``: list an answer's related questions too (a terminal has room;
    a script reading a pipe wants the answer alone).
    """
    lines = [answer.text, *_topics(answer, numbered=True), *_quotes(answer)]
    if answer.kind == "clarify":
        lines += _numbered(answer.choices, "")
    elif answer.kind in ("decline", "partial", "empty") or (
        answer.kind == "info" and answer.suggestions
    ):
        if answer.suggestions:
            lines += [gettext(TRY_ASKING, answer.lang), *_numbered(answer.suggestions, "  ")]
    elif answer.kind == "answer" and related and answer.suggestions:
        lines += ["", gettext(RELATED, answer.lang), *_numbered(answer.suggestions, "  ")]
    return "\n".join(lines)


def for_chat(answer: Answer, gettext: Gettext) -> str:
    """Plain text for a chat that shows the offered questions as buttons beneath it.

    The buttons carry the questions (the topics' too), so the text does not
    repeat them.
    """
    lines = [answer.text, *_quotes(answer)]
    if answer.kind == "decline" and answer.suggestions:
        lines.append(gettext(TRY_ASKING, answer.lang))
    return "\n".join(lines)


def one_line(text: str) -> str:
    """Several lines as one (for a pipe: exactly one line per answer)."""
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def _topics(answer: Answer, *, numbered: bool = False) -> list[str]:
    """The topics and their questions (numbered on through the groups, where a number picks)."""
    lines: list[str] = []
    number = 0
    for group in answer.topics:
        lines.append(f"\n{group.title}")
        for choice in group.choices:
            number += 1
            lines.append(f"  {number}. {choice.text}" if numbered else f"• {choice.text}")
    return lines


def _quotes(answer: Answer) -> list[str]:
    """The source, quoted, when it was asked for."""
    return [f"“{quote}”" for quote in answer.source] if answer.show_source else []


def _numbered(choices: Sequence[Choice], indent: str) -> list[str]:
    return [f"{indent}{n}. {c.text}" for n, c in enumerate(choices, 1)]
