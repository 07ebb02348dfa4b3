"""The console chat: readline editing and history in a terminal, one turn per
line when standard input is a pipe."""

from __future__ import annotations

import contextlib
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from bot.dialogue import Answer, Engine, MissRecorder
from bot.dialogue.explain import Explanation
from bot.lang import N_
from bot.serve import render
from bot.serve.conversations import Conversations
from bot.serve.lines import read_lines
from bot.serve.reload import Reloader
from bot.serve.stores import MemoryStore

__all__ = ["Console", "read_lines", "run_console"]

WELCOME = N_(
    "Hello! Ask me about the relations between Turkey and Kazakhstan, in English or Turkish. "
    "Type /help for help, /quit to leave."
)
_QUIT = frozenset({"/quit", "/exit", "/q", "/bye"})
_WHY = "/why"
_NOTHING_YET = "Nothing asked yet: /why explains the last question's answer."
_HISTORY = Path("~/.kzbot_history").expanduser()
_CHAT = "console"


class Console:
    """The console's turn logic, separate from terminal I/O so tests drive it directly."""

    def __init__(
        self,
        engine: Engine | Reloader,
        misses: MissRecorder | None = None,
        *,
        lang: str | None = None,
    ) -> None:
        self.conversations = Conversations(engine, MemoryStore(), misses=misses)
        self.lang = lang
        #: The two last lines asked: ``/why`` explains the last one, read after the other...
        self._asked = ("", "")
        #: ...and what the conversation answered to it.
        self._answered: Answer | None = None

    @property
    def engine(self) -> Engine:
        return self.conversations.engine

    def turn(self, line: str) -> Answer | None:
        """Answer one line; ``None`` means the user asked to quit."""
        text = line.strip()
        if text.lower() in _QUIT:
            return None
        self._asked = (self._asked[-1], text)
        turn = self.conversations.turn_now(_CHAT, lambda session: session.ask(text), lang=self.lang)
        assert turn is not None  # no update ids here, so never a repeat
        self._answered = turn.answer
        return turn.answer

    def why(self) -> Explanation | None:
        """How the last question was read and decided (``/why``); ``None`` before any."""
        before, last = self._asked
        if not last:
            return None
        why = self.engine.explain(last, self.language, context=before)
        given = self._answered
        if given is not None and (given.kind, given.intent) != (why.answer_kind, why.answer_intent):
            # The conversation decided otherwise ("who founded *it*?"): say what it gave.
            why = replace(why, followed=before, answer_kind=given.kind, answer_intent=given.intent)
        return why

    @property
    def language(self) -> str:
        """The conversation's language now."""
        return self.conversations.session(self.conversations.state_now(_CHAT)).lang

    def render(self, answer: Answer, *, related: bool = True) -> str:
        """The answer as shown in a terminal: text, then numbered questions to pick from."""
        return render.for_console(answer, self.engine.gettext, related=related)


def run_console(
    engine: Engine | Reloader,
    *,
    as_json: bool = False,
    misses: MissRecorder | None = None,
    lang: str | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    console = Console(engine, misses, lang=lang)
    if stdin.isatty() and stdout.isatty() and not as_json:
        return _interactive(console, stdout)
    stream = stdin.buffer if hasattr(stdin, "buffer") else None
    lines = read_lines(stream) if stream is not None else (raw.rstrip("\n") for raw in stdin)
    for line in lines:
        if line.strip().lower() == _WHY:
            why = console.why()
            if as_json:
                shown = json.dumps(why.to_dict() if why else None, ensure_ascii=False)
            else:
                shown = render.one_line(why.format()) if why else _NOTHING_YET
            stdout.write(shown + "\n")
            stdout.flush()
            continue
        answer = console.turn(line)
        if answer is None:
            break
        if as_json:
            stdout.write(json.dumps(answer.to_dict(), ensure_ascii=False) + "\n")
        else:
            stdout.write(render.one_line(console.render(answer, related=False)) + "\n")
        stdout.flush()
    return 0


def _interactive(console: Console, stdout: TextIO) -> int:
    try:
        import readline
    except ImportError:  # pragma: no cover - not on every platform
        readline = None  # type: ignore[assignment]
    if readline is not None:
        with contextlib.suppress(OSError):
            readline.read_history_file(_HISTORY)
        readline.set_history_length(1000)
    stdout.write(console.engine.gettext(WELCOME, console.language) + "\n")
    try:
        while True:
            try:
                line = input("> ")
            except EOFError:
                stdout.write("\n")
                break
            except KeyboardInterrupt:
                stdout.write("\n")
                continue
            if not line.strip():
                continue
            if line.strip().lower() == _WHY:
                why = console.why()
                stdout.write((why.format() if why else _NOTHING_YET) + "\n\n")
                continue
            answer = console.turn(line)
            if answer is None:
                break
            stdout.write(console.render(answer) + "\n\n")
    finally:
        if readline is not None:
            with contextlib.suppress(OSError):
                readline.write_history_file(_HISTORY)
    return 0
