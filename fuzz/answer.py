"""Coverage-guided fuzz target (atheris): normalisation, language detection, matching, sessions.

    make fuzz                      # both targets, a minute each
    python fuzz/answer.py fuzz/corpus/answer -max_total_time=60

Any input that crashes becomes a file in fuzz/corpus/answer/, which
tests/test_fuzz_targets.py replays on every ``make test``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import Engine, Session
from bot.lang.text import fold, tokenize

ENGINE = Engine.load()


def test_one_input(data: bytes) -> None:
    text = data.decode("utf-8", errors="replace")
    folded = fold(text)
    assert fold(folded) == folded
    tokenize(text)
    answer = ENGINE.answer(text)
    assert 0 <= answer.score <= 100 and answer.text
    session = Session(ENGINE)
    session.ask(text)
    session.ask(text[:1] + "?")
    Session(ENGINE, session.state)


def main() -> None:
    import atheris

    atheris.instrument_all()
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
