"""Values are stored once and rendered per language with Babel."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.kb.values import parse_value
from bot.lang import get


@pytest.mark.parametrize(
    ("raw", "english", "turkish"),
    [
        (
            {"money": "1.96e9", "currency": "USD"},
            "1.96 billion US dollars",
            "1,96 milyar ABD doları",
        ),
        (
            {"money": 625_000_000, "currency": "USD"},
            "625 million US dollars",
            "625 milyon ABD doları",
        ),
        ({"money": 10e9, "currency": "USD"}, "10 billion US dollars", "10 milyar ABD doları"),
        ({"number": 8000}, "8,000", "8.000"),
        ({"ordinal": 17}, "17th", "17."),
        ({"ordinal": 4}, "4th", "4."),
        ({"ordinal": 22}, "22nd", "22."),
        ({"ordinal": 11}, "11th", "11."),
        ({"year": 2018}, "2018", "2018"),
        ({"month": "2009-10"}, "October 2009", "Ekim 2009"),
        ({"date": dt.date(2016, 2, 5)}, "5 February 2016", "5 Şubat 2016"),
        ({"date": "2012-10-11", "until": "2012-10-12"}, "11–12 October 2012", "11-12 Ekim 2012"),
        (
            {"date": "2015-04-30", "until": "2015-05-02"},
            "30 April 2015–2 May 2015",
            "30 Nisan 2015-2 Mayıs 2015",
        ),
    ],
)
def test_rendering_per_language(raw: dict[str, object], english: str, turkish: str) -> None:
    value = parse_value(raw)
    assert value.render(get("en")) == english
    assert value.render(get("tr")) == turkish


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"money": 5}, "currency"),
        ({"money": "lots", "currency": "USD"}, "not a number"),
        ({"date": "2012-13-40"}, "not a date"),
        ({"date": "2012-10-12", "until": "2012-10-11"}, "before"),
        ({"colour": "red"}, "unknown value kind"),
        ({"number": 3, "unit": "kg"}, "unknown keys"),
        ("1.96 billion", "mapping"),
    ],
)
def test_bad_values_say_what_is_wrong(raw: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_value(raw)
