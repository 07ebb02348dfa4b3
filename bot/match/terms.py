"""Terms: what a text is reduced to before scoring.

A term is a lexicon concept (``sold`` and ``ihracat`` are both the concept
``export``), a stem, a name the knowledge base does not know (another
country, a foreign name, an unknown year), or an unknown word. A country can
carry its side of a relation (``Term("concept", "turkey", "src")``).
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from bot.lang import Role

__all__ = ["Found", "Term", "TermKind"]

#: ``word``: a stem; ``concept``: a lexicon concept; ``foreign``: a name or
#: number the knowledge base does not know; ``unknown``: a word it never uses.
TermKind = Literal["word", "concept", "foreign", "unknown"]


class Term(NamedTuple):
    """One term; ``role`` is set on a country's side of a relation."""

    kind: TermKind
    text: str
    role: Role | None = None

    @property
    def base(self) -> Term:
        """The term without its role."""
        return Term(self.kind, self.text) if self.role is not None else self

    def with_role(self, role: Role) -> Term:
        return Term(self.kind, self.text, role)

    @property
    def opposite(self) -> Term | None:
        """The same country on the other side of the relation."""
        if self.role is None:
            return None
        return Term(self.kind, self.text, "dst" if self.role == "src" else "src")

    @property
    def is_number(self) -> bool:
        return self.kind == "word" and self.text[:1].isdigit()


class Found(NamedTuple):
    """A term found in a text: its role there, the word it came from, whether it was a name."""

    term: Term
    role: Role | None
    word: str
    named: bool = False  # written as a proper noun: Oxford, Oxford'da
