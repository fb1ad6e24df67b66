"""Tests for date-line recognition and parsing."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsingest.ingest.dates import is_date_line, match_date_line, parse_date, search_date

D = dt.date

DATE_LINES = [
    ("August 03, 2016", D(2016, 8, 3)),
    ("Aug. 3, 2016", D(2016, 8, 3)),
    ("Aug 3 2016", D(2016, 8, 3)),
    ("3 August 2016", D(2016, 8, 3)),
    ("3rd of August 2016", D(2016, 8, 3)),
    ("Wednesday, August 3, 2016", D(2016, 8, 3)),
    ("Wed 05 Apr 2017", D(2017, 4, 5)),
    ("2016-08-03", D(2016, 8, 3)),
    ("2016/08/03", D(2016, 8, 3)),
    ("2016-08-03T10:42:00Z", D(2016, 8, 3)),
    ("2016-08-03T10:42:00+02:00", D(2016, 8, 3)),
    ("2016-08-03 10:42", D(2016, 8, 3)),
    ("August 3, 2016 10:42 AM EST", D(2016, 8, 3)),
    ("Published: 3 Aug 2016", D(2016, 8, 3)),
    ("Updated 10:42, 3 August 2016", D(2016, 8, 3)),
    ("Posted on March 3rd, 2019 at 5:00 pm", D(2019, 3, 3)),
    ("Sat, 06 Aug 2016 10:42:00 +0000", D(2016, 8, 6)),
    ("26-FEB-1987 15:01:01.79", D(1987, 2, 26)),
    ("  Last updated on 8/3/2016 10:42 a.m. ET  ", D(2016, 8, 3)),
    # numeric: a number above 12 is the day; otherwise "/" is month/day and "." day.month
    ("13/08/2016", D(2016, 8, 13)),
    ("08/13/2016", D(2016, 8, 13)),
    ("03/08/2016", D(2016, 3, 8)),
    ("03.08.2016", D(2016, 8, 3)),
    ("29 February 2016", D(2016, 2, 29)),
]

NOT_DATE_LINES = [
    "",
    "The 2016 games",
    "March 2016",
    "August 3, 2016 was a hot day in the city",
    "Vladimir Putin said on August 3, 2016 that",
    "By John Smith",
    "10:42",
    "Sports",
    "May the force be with you",
]

INVALID_DATES = [
    "February 30, 2016",
    "29 February 2015",
    "31/04/2016",
    "2016-13-01",
    "2016-02-30T10:00:00Z",
    "August 32, 2016",
    "0/5/2016",
    "August 3, 1066",
]


@pytest.mark.parametrize(("line", "expected"), DATE_LINES)
def test_date_lines_are_recognised_and_parsed(line: str, expected: dt.date) -> None:
    assert is_date_line(line)
    assert parse_date(line) == expected
    found = match_date_line(line)
    assert found is not None
    assert found.raw == line.strip()


@pytest.mark.parametrize("line", NOT_DATE_LINES)
def test_other_lines_are_not_date_lines(line: str) -> None:
    assert not is_date_line(line)


@pytest.mark.parametrize("text", INVALID_DATES)
def test_invalid_dates_give_none(text: str) -> None:
    assert parse_date(text) is None
    assert not is_date_line(text)


def test_parse_date_finds_a_date_inside_a_sentence() -> None:
    assert parse_date("Vladimir Putin said on August 3, 2016 that") == D(2016, 8, 3)
    found = search_date("Reported on Aug 3, 2016 by staff")
    assert found is not None
    assert found.raw == "Aug 3, 2016"


def test_ambiguous_numeric_dates_are_flagged() -> None:
    ambiguous = match_date_line("03/08/2016")
    clear = match_date_line("13/08/2016")
    same = match_date_line("08/08/2016")
    assert ambiguous is not None
    assert ambiguous.ambiguous
    assert clear is not None
    assert not clear.ambiguous
    assert same is not None
    assert not same.ambiguous


@settings(max_examples=150, deadline=None)
@given(st.dates(min_value=D(1800, 1, 1), max_value=D(2199, 12, 31)), st.integers(0, 4))
def test_formatted_dates_round_trip(date: dt.date, style: int) -> None:
    formats = ["%B %d, %Y", "%d %b %Y", "%A, %B %d, %Y", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%SZ"]
    line = dt.datetime.combine(date, dt.time(10, 42)).strftime(formats[style])
    assert parse_date(line) == date
    assert is_date_line(line)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_arbitrary_text_never_raises(text: str) -> None:
    result = parse_date(text)
    assert result is None or isinstance(result, dt.date)
    is_date_line(text)


@pytest.mark.parametrize("year", [1800, 1899, 1900, 1999, 2000, 2099, 2100, 2199])
@pytest.mark.parametrize("form", ["{y}-03-04", "4 March {y}", "March 4, {y}", "04.03.{y}"])
def test_every_year_in_range_is_read(year: int, form: str) -> None:
    # Text with no year-like digits is skipped before any parsing: every
    # readable year must still get through that test.
    text = form.format(y=year)
    assert match_date_line(text) is not None
    found = search_date(f"It happened on {text}, they said.")
    assert found is not None
    assert found.date == D(year, 3, 4)


@pytest.mark.parametrize("text", ["March 4, 1799", "4 March 2200", "2200-03-04", "04/03/1700"])
def test_years_out_of_range_are_not_read(text: str) -> None:
    assert match_date_line(text) is None
    assert search_date(text) is None
