"""The console chat: readline editing and history in a terminal, one turn per
line when standard input is a pipe."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import TextIO

from bot._engine import Answer, Choice, Engine
from bot._i18n import N_
from bot._reload import Reloader
from bot._session import MissRecorder, Session

__all__ = ["Console", "run_console"]

WELCOME = N_(
    "Hello! Ask me about the relations between Turkey and Kazakhstan, in English or Turkish. "
    "Type /help for help, /quit to leave."
)
RELATED = N_("Related questions (type a number):")
_QUIT = frozenset({"/quit", "/exit", "/q", "/bye"})
_HISTORY = Path("~/.kzbot_history").expanduser()


class Console:
    """The console's turn logic, separate from terminal I/O so tests drive it directly."""

    def __init__(
        self,
        engine: Engine,
        misses: MissRecorder | None = None,
        session: Session | None = None,
        reloader: Reloader | None = None,
    ) -> None:
        self.engine = engine
        self.misses = misses
        self.reloader = reloader
        self.session = session or engine.session(misses=misses)
        self.offered: tuple[Choice, ...] = ()

    def turn(self, line: str) -> Answer | None:
        """Answer one line; ``None`` means the user asked to quit."""
        if self.reloader is not None and self.reloader.poll():
            # A new knowledge base: carry the conversation over to it.
            self.engine = self.reloader.current
            self.session = self.engine.session(self.session.state, misses=self.misses)
            self.offered = ()
        text = line.strip()
        if text.lower() in _QUIT:
            return None
        if text.isdigit() and self.offered and not self.session.state.get("choices"):
            number = int(text)
            if 1 <= number <= len(self.offered):
                answer = self.session.choose(self.offered[number - 1].intent)
                self.offered = answer.choices or answer.suggestions
                return answer
        answer = self.session.ask(text)
        self.offered = answer.choices or answer.suggestions
        return answer

    def render(self, answer: Answer) -> str:
        """The answer as shown in a terminal: text, then numbered related questions."""
        if answer.kind != "answer" or not answer.suggestions:
            return answer.text
        lines = [answer.text, "", self.engine.gettext(RELATED, answer.lang)]
        lines += [f"  {n}. {c.text}" for n, c in enumerate(answer.suggestions, 1)]
        return "\n".join(lines)


def run_console(
    engine: Engine,
    *,
    as_json: bool = False,
    misses: MissRecorder | None = None,
    reloader: Reloader | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    console = Console(engine, misses, reloader=reloader)
    if stdin.isatty() and stdout.isatty() and not as_json:
        return _interactive(console, stdout)
    from bot.cli import _stdin_lines

    stream = stdin.buffer if hasattr(stdin, "buffer") else None
    lines = _stdin_lines(stream) if stream is not None else (raw.rstrip("\n") for raw in stdin)
    for line in lines:
        answer = console.turn(line)
        if answer is None:
            break
        if as_json:
            stdout.write(json.dumps(answer.to_dict(), ensure_ascii=False) + "\n")
        else:
            stdout.write(" ".join(p.strip() for p in answer.text.splitlines() if p.strip()) + "\n")
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
    stdout.write(console.engine.gettext(WELCOME, console.session.lang) + "\n")
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
            answer = console.turn(line)
            if answer is None:
                break
            stdout.write(console.render(answer) + "\n\n")
    finally:
        if readline is not None:
            with contextlib.suppress(OSError):
                readline.write_history_file(_HISTORY)
    return 0
