"""The term ranker's tuning constants, in one place (the evaluation can vary any of them)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Weights"]


@dataclass(frozen=True, slots=True)
class Weights:
    """How :class:`bot.match.TermRanker` weighs the evidence.

    >>> Weights(contradiction=2.0).foreign_factor
    0.7
    """

    #: Recall (how much of the question a phrase explains) weighs this many
    #: times more than precision in the F-measure (beta).
    recall_beta: float = 1.5
    #: Share of a score that comes from how close the spelling is, character by character.
    spelling_share: float = 0.1
    #: Only intents within this of the leader get the spelling bonus computed.
    spelling_window: float = 0.15
    #: Within an intent, phrases this close to its best are compared by spelling.
    spelling_phrases: float = 0.1
    #: A word the knowledge base has never seen weighs this, relative to the rarest known term...
    unknown_weight: float = 0.75
    #: ...and each further unknown word weighs less (1/n ** decay): chatty questions.
    unknown_decay: float = 0.5
    #: Names of other countries and numbers the knowledge base does not know...
    foreign_weight: float = 2.0
    #: ...and the factor each one cuts the score by.
    foreign_factor: float = 0.7
    #: A question word whose kind of answer the intent cannot give ("when" without a date).
    question_mismatch: float = 0.7
    #: A country on the wrong side of the relation costs this many times its weight.
    contradiction: float = 3.0
    #: How much a country's side of a relation weighs beside the country itself.
    role_weight: float = 0.5
    #: How much the previous question's topic weighs in a follow-up.
    context_weight: float = 0.5
    #: At most this many phrases are scored per question.
    max_candidates: int = 400
    #: A phrase explaining less than this share of the question is not scored.
    min_recall: float = 0.2
    #: At most this many terms are read from a text.
    max_terms: int = 30
