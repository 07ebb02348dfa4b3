"""The decision: from a ranking to answer, clarify or decline. One rule, used everywhere.

The engine decides with it (then verifies what it would answer), and the
evaluation's threshold x margin sweep replays it on the same rankings: the
sweep shows what the rule alone does, before verification.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.match import Match

__all__ = ["Decision", "Policy", "decide"]


@dataclass(frozen=True, slots=True)
class Policy:
    """When to answer, when to ask which, when to decline.

    >>> decide([Match("a", 80.0, "en"), Match("b", 79.0, "en")], Policy()).verdict
    'clarify'
    """

    #: Below this score (0-100) the engine declines rather than guess.
    threshold: float = 50.0
    #: When the runner-up is this close to the best, the engine asks which was meant.
    margin: float = 2.0
    #: A declined question whose best guess scores at least this is offered as "did you mean".
    guess_floor: float = 35.0
    #: At most this many intents are offered in a clarification.
    max_choices: int = 3
    #: A runner-up this far under a proposed intent the verifier refuses may answer instead.
    alternative_window: float = 15.0
    #: A question of this many words or fewer ("investment")...
    bare_topic_words: int = 2
    #: ...that several intents fit within this many points gets a clarification.
    bare_topic_margin: float = 8.0
    #: A question cut out of a long message may score this far under the threshold.
    clause_slack: float = 3.0
    #: A question this far under the threshold is still answered when the verifier finds
    #: its best intent gives what it asks and no other intent comes within ``verified_lead``:
    #: a paraphrase sharing few words ("how far have Turkish contractors got?").
    verified_slack: float = 8.0
    verified_lead: float = 10.0
    #: A second question in a message is answered only this far above the threshold.
    second_question_margin: float = 10.0
    #: In a short follow-up, an intent related to the last one may score this far under a
    #: stranger and still win ("and the total?" after the imports).
    related_margin: float = 10.0


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Literal["answer", "clarify", "decline"]
    #: The intent answered, the clarification's choices (best first), or the guess behind a decline.
    intents: tuple[str, ...]
    score: float


def decide(ranking: Sequence[Match], policy: Policy) -> Decision:
    """Answer the top intent, ask between close ones, or decline under the threshold."""
    top = ranking[0] if ranking else None
    score = top.score if top is not None else 0.0
    if top is None or score < policy.threshold:
        guess = (top.intent,) if top is not None and score >= policy.guess_floor else ()
        return Decision("decline", guess, score)
    close = [
        m.intent
        for m in ranking[1:]
        if m.score >= policy.threshold and top.score - m.score < policy.margin
    ]
    if close:
        return Decision("clarify", (top.intent, *close[: policy.max_choices - 1]), score)
    return Decision("answer", (top.intent,), score)
