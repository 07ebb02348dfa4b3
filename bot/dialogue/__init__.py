"""The dialogue: the engine (one question), the decision policy, sessions (a conversation).

Data flows one way: text -> :class:`Engine` (find the question, rank with a
ranker, decide with the :class:`Policy`, check with the verifier) ->
:class:`Answer`; a :class:`Session` adds what a conversation remembers
(language, last answer, what was offered).
"""

from bot.dialogue.answer import Answer, Choice, Kind, TopicGroup
from bot.dialogue.engine import Engine, RankerFactory
from bot.dialogue.policy import Decision, Policy, decide
from bot.dialogue.session import MissRecorder, Session

__all__ = [
    "Answer",
    "Choice",
    "Decision",
    "Engine",
    "Kind",
    "MissRecorder",
    "Policy",
    "RankerFactory",
    "Session",
    "TopicGroup",
    "decide",
]
