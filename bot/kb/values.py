"""Facts stored once and rendered per language with Babel.

``{money: 1.96e9, currency: USD}`` becomes "1.96 billion US dollars" in English
and "1,96 milyar ABD doları" in Turkish, so the two answers cannot disagree.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

from babel.dates import format_date
from babel.numbers import (
    format_compact_decimal,
    format_decimal,
    get_currency_name,
    list_currencies,
)

from bot.lang import Language

__all__ = ["MAX_NUMBER", "MAX_ORDINAL", "VALUE_KINDS", "Value", "parse_value"]

#: Numbers and amounts stay below this: Babel writes them out exactly (1e30 it cannot).
MAX_NUMBER = 10**15
#: The largest rank ("the 17th largest investor").
MAX_ORDINAL = 1_000_000
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")

#: The keys a value may have, by kind (the first key names the kind).
VALUE_KINDS: dict[str, frozenset[str]] = {
    "money": frozenset({"money", "currency"}),
    "number": frozenset({"number"}),
    "ordinal": frozenset({"ordinal"}),
    "year": frozenset({"year"}),
    "month": frozenset({"month"}),
    "date": frozenset({"date", "until"}),
}


@dataclass(frozen=True, slots=True)
class Value:
    """One fact: a kind and its data, rendered on demand."""

    kind: str
    data: tuple[tuple[str, Any], ...]

    def render(self, language: Language) -> str:
        """The value written out in ``language``: CLDR numbers and dates, its ordinals."""
        lang = language.locale
        data = dict(self.data)
        if self.kind == "money":
            amount = float(data["money"])
            number = (
                format_compact_decimal(amount, format_type="long", locale=lang, fraction_digits=2)
                if amount >= 1_000_000
                else format_decimal(amount, locale=lang)
            )
            return f"{number} {get_currency_name(data['currency'], 2, locale=lang)}"
        if self.kind == "number":
            return format_decimal(data["number"], locale=lang)
        if self.kind == "ordinal":
            return language.ordinal(int(data["ordinal"]))
        if self.kind == "year":
            return str(int(data["year"]))
        if self.kind == "month":
            return format_date(data["month"], "MMMM y", locale=lang)
        return _date_range(data["date"], data.get("until"), language)


def _date_range(start: dt.date, end: dt.date | None, language: Language) -> str:
    full = format_date(end or start, "d MMMM y", locale=language.locale)
    if end is None or end == start:
        return full
    dash = language.range_dash
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}{dash}{full}"
    return f"{format_date(start, 'd MMMM y', locale=language.locale)}{dash}{full}"


def parse_value(raw: object) -> Value:
    """Build a :class:`Value` from its YAML mapping; raise ``ValueError`` saying what is wrong."""
    if not isinstance(raw, dict) or not raw:
        raise ValueError("a value must be a mapping such as {money: 1.96e9, currency: USD}")
    kind = next((k for k in VALUE_KINDS if k in raw), None)
    if kind is None:
        raise ValueError(f"unknown value kind; use one of: {', '.join(VALUE_KINDS)}")
    extra = set(raw) - VALUE_KINDS[kind]
    if extra:
        raise ValueError(f"unknown keys for a {kind} value: {', '.join(sorted(map(str, extra)))}")
    data = dict(raw)
    if kind == "money":
        currency = data.get("currency")
        if not isinstance(currency, str) or currency not in _currencies():
            raise ValueError("a money value needs a three-letter currency code such as USD")
        data["money"] = _number(data["money"])
    elif kind == "number":
        data[kind] = _number(data[kind])
    elif kind == "ordinal":
        data[kind] = _whole(data[kind], "an ordinal", 1, MAX_ORDINAL)
    elif kind == "year":
        data[kind] = _whole(data[kind], "a year", 1, 9999)
    elif kind == "month":
        data["month"] = _month(data["month"])
    else:
        data["date"] = _date(data["date"])
        if "until" in data:
            data["until"] = _date(data["until"])
            if data["until"] < data["date"]:
                raise ValueError("`until` is before `date`")
    return Value(kind, tuple(sorted(data.items())))


def _currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def _number(raw: object) -> float | int:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ValueError(f"not a number: {_short(raw)}")
    if isinstance(raw, int) and abs(raw) >= MAX_NUMBER:  # float() of a long one overflows
        raise ValueError(f"too large a number: {_short(raw)} (the limit is 10^15)")
    try:
        number = float(raw)
    except ValueError:
        raise ValueError(f"not a number: {_short(raw)}") from None
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {_short(raw)}")
    if abs(number) >= MAX_NUMBER:
        raise ValueError(f"too large a number: {_short(raw)} (the limit is 10^15)")
    return int(number) if number.is_integer() else number


def _whole(raw: object, what: str, low: int, high: int) -> int:
    number = _number(raw)
    if not float(number).is_integer() or not low <= number <= high:
        raise ValueError(f"{what} must be a whole number from {low} to {high}: {_short(raw)}")
    return int(number)


def _date(raw: object) -> dt.date:
    if isinstance(raw, dt.datetime):  # a subclass of date, with a time nothing here shows
        raise ValueError(f"a date has no time of day (YYYY-MM-DD): {_short(raw)}")
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, str) and _DATE.match(raw):
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            pass
    raise ValueError(f"not a date (YYYY-MM-DD): {_short(raw)}")


def _month(raw: object) -> dt.date:
    if isinstance(raw, str) and _MONTH.match(raw):
        try:
            return dt.date.fromisoformat(f"{raw}-01")
        except ValueError:
            pass
    raise ValueError(f"not a month (YYYY-MM): {_short(raw)}")


def _short(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."
