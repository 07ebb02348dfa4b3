"""Finding the question in a long message.

People bury their question: "hi, I'm writing a report for school and my
teacher wants to know how much Turkey exports to Kazakhstan, thanks!". The
message is split into sentences and clauses; what follows a lead such as "I'd
like to know" or "merak ediyorum" is cut out; clauses about the writer
(self-introductions, reasons) are context, not content. What is left are the
candidates a question may be, each scored on its own by the engine.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.lang.base import Language
from bot.lang.text import fold, tokenize

__all__ = ["Clause", "clauses"]

#: A sentence ends after . ! ? ; and a space, at a line break, or straight after ! or ? where
#: a word follows ("hi!how much"); a run of marks ("really?!") stays with its sentence.
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+|(?<=[!?])(?=[^\s!?.…;,:)\"'»”])")
_ORDINAL_END = re.compile(r"(?<![\d.])\d{1,3}\.$")
_CLAUSE = re.compile(r"\s*[,:()\u2013\u2014]\s*|\s+-\s+")
#: Shorter messages are read whole.
MIN_WORDS = 6
#: A message is read this far for its question, into at most this many clauses: the cost of
#: a message stays bounded whatever arrives.
MAX_MESSAGE_CHARS = 1200
MAX_CLAUSES = 16
#: A question inside a sentence ("...about how important X is") has at least this many words.
_EMBEDDED_WORDS = 4
#: A question of at most this many words that points back ("about that?") is read with
#: the sentence before it.
_BACK_WORDS = 8


@dataclass(frozen=True, slots=True)
class Clause:
    """A part of a message that may be its question."""

    text: str
    #: Whether it ends with a question mark or followed a question lead.
    asked: bool
    #: Where it starts in the message (two questions are answered in this order).
    start: int


def clauses(text: str, languages: Sequence[Language]) -> list[Clause]:
    """The parts of a long message that may be its question, in order ([] for a short one).

    Each sentence and each of its clauses is a candidate, and the two of
    them around every comma ("how much did Turkey invest, and where?"),
    with leads cut off and clauses about the writer dropped.
    """
    text = text[:MAX_MESSAGE_CHARS]
    sentences = _sentences(text)
    if len(tokenize(text)) < MIN_WORDS and len(sentences) < 2:
        return []  # short and one sentence: read whole
    leads = sorted(
        {lead for lang in languages for lead in lang.question_leads}, key=len, reverse=True
    )
    context = tuple(lead for lang in languages for lead in lang.context_leads)
    asking = frozenset().union(*(lang.question_words for lang in languages))
    endings = tuple(ending for lang in languages for ending in lang.context_endings)
    found: dict[str, Clause] = {}
    joined = _joined_questions(languages)
    embedded = _embedded_questions(languages)
    embedding = frozenset().union(*(lang.embeds_after for lang in languages))
    pointers = frozenset().union(*(lang.pronouns | lang.demonstratives for lang in languages))
    for n, sentence in enumerate(sentences):
        if n and _points_back(sentence, pointers):
            # "...how important Kazakhstan is as a partner. What does the ministry say
            # about that?": the question is asked of the sentence before.
            joined_pair = f"{sentences[n - 1]} {sentence}"
            found.setdefault(joined_pair, Clause(joined_pair, True, text.find(sentences[n - 1])))
        parts = [p for p in _CLAUSE.split(sentence) if p and p.strip()]
        if joined is not None:
            parts = [q for p in parts for q in joined.split(p) if q and q.strip()]
        pieces = [*parts, *(f"{a} {b}" for a, b in itertools.pairwise(parts))]
        if embedded is not None:
            # "...need a line about *how important Kazakhstan is* as a partner": a question
            # word inside a sentence opens the question it carries.
            # (Not in a question of its own: "what did he sign *when* he came" asks "what".)
            pieces += [
                part[match.start() :]
                for part in parts
                if not embedded.match(part.lstrip())
                for match in embedded.finditer(part)
                if match.start() > 0
                and len(tokenize(part[match.start() :])) >= _EMBEDDED_WORDS
                and _embeds(part[: match.start()], embedding)
            ]
        if len(parts) > 1:
            pieces.append(sentence)
        # A sentence's question mark makes it, and its last clause, a question.
        asked_pieces = {sentence, parts[-1]} if sentence.rstrip().endswith("?") else set()
        for piece in pieces:
            body, led = _after_lead(piece, leads)
            if not body:
                continue
            words = [t.word for t in tokenize(body)]
            content = sum(w not in asking for w in words)
            # "YDSK nedir?", "what is TURKPA?": one word and a question word, asked, is a
            # question; "hey, where" is too little to be one of its own.
            short_question = content == 1 and len(words) >= 2 and body.rstrip().endswith("?")
            if (content < 2 and not short_question) or _about_the_writer(body, context, endings):
                continue
            asked = (
                led
                or piece in asked_pieces
                or body.rstrip().endswith("?")
                or any(t.word in asking for t in tokenize(body))
            )
            start = text.find(body.split()[0]) if body.split() else -1
            found.setdefault(body, Clause(body, asked, start))
            if len(found) >= MAX_CLAUSES:
                return list(found.values())
    return list(found.values())


def _points_back(sentence: str, pointers: frozenset[str]) -> bool:
    """Whether a sentence is a short question about what was just said ("what does the
    ministry say about *that*?", "bu konuda ne biliyorsun?"): one of ``pointers`` in it."""
    if not sentence.rstrip().endswith("?"):
        return False
    words = [t.word for t in tokenize(sentence)]
    return len(words) <= _BACK_WORDS and any(w in pointers for w in words)


def _sentences(text: str) -> list[str]:
    """The sentences of ``text``; "2. toplantı" (an ordinal, a lower-case word) ends none,
    and marks with no word ("?! !") belong to the sentence before them."""
    sentences: list[str] = []
    for piece in (p.strip() for p in _SENTENCE.split(text)):
        if not piece:
            continue
        wordless = not any(char.isalnum() for char in piece)
        if sentences and (wordless or (_ORDINAL_END.search(sentences[-1]) and piece[0].islower())):
            sentences[-1] = f"{sentences[-1]} {piece}"
        else:
            sentences.append(piece)
    return sentences


def _joined_questions(languages: Sequence[Language]) -> re.Pattern[str] | None:
    """Where one question ends and another begins: "...invest *and where* does..."."""
    conjunctions = {c for lang in languages for c in lang.conjunctions}
    asking = {w for lang in languages for w in lang.question_words if len(w) > 2}
    if not conjunctions or not asking:
        return None
    ors = "|".join(sorted(map(re.escape, conjunctions)))
    words = "|".join(sorted(map(re.escape, asking)))
    return re.compile(rf"\s+(?:{ors})\s+(?=(?:{words})\b)", re.IGNORECASE)


def _embeds(before: str, embedding: frozenset[str]) -> bool:
    """Whether the words before a question word make what follows a question ("a line
    *about* how...", "I want to *know* how much"), not a clause ("when I have time")."""
    words = [t.word for t in tokenize(before)]
    return bool(words) and words[-1] in embedding


def _embedded_questions(languages: Sequence[Language]) -> re.Pattern[str] | None:
    """Question words that open a question inside a sentence, in languages that put them
    first ("I need to know *how much* Turkey invested")."""
    words = {w for lang in languages if lang.fronts_questions for w in lang.question_words}
    if not words:
        return None
    return re.compile(rf"(?<![\w'’])(?:{'|'.join(sorted(map(re.escape, words)))})\b", re.IGNORECASE)


def _after_lead(text: str, leads: Sequence[str]) -> tuple[str, bool]:
    """The part after "I'd like to know", "merak ediyorum"... (and whether there was one).

    A lead with nothing around it ("Can you tell me?") comes back empty: it
    points at the rest of the message and is no question of its own.
    """
    quick = fold(text)
    present = [lead for lead in leads if lead.strip() in quick]  # most pieces have none
    if not present:
        return text, False
    folded, origin = _folded_with_origin(text)
    for lead in present:
        match = re.search(rf"(?<!\w){re.escape(lead.strip())}(?!\w)", folded)
        if match is None:
            continue
        # Positions in the folded text, mapped back to the message as written.
        start, end = origin[match.start()], origin[match.end() - 1] + 1
        rest = text[end:].strip(" ,:;-")
        if len(tokenize(rest)) >= 2:
            return rest, True
        before = text[:start].strip(" ,:;-")  # Turkish puts it last: "..., merak ediyorum"
        if len(tokenize(before)) >= 2:
            return before, True
        if not any(t.word for t in tokenize(rest)) and len(tokenize(before)) <= 1:
            return "", True
    return text, False


def _folded_with_origin(text: str) -> tuple[str, list[int]]:
    """:func:`fold` of ``text`` and, for each folded character, where it came from."""
    folded: list[str] = []
    origin: list[int] = []
    for at, char in enumerate(text):
        piece = fold(char)
        folded.append(piece)
        origin.extend([at] * len(piece))
    return "".join(folded), origin


def _about_the_writer(text: str, leads: Sequence[str], endings: tuple[str, ...]) -> bool:
    folded = fold(text).strip()
    if any(folded.startswith(lead) for lead in leads):
        return True
    words = [t.word for t in tokenize(text)]
    # "Öğrenciyim", "araştırma yapıyorum": a clause ending on the writer.
    return bool(endings) and len(words) <= 4 and words[-1].endswith(endings) and "?" not in text
