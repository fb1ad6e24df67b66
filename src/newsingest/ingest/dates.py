"""Date lines of scraped news: recognise them and read the date they hold.

A hand-written regex parser (no dependency) for the formats news sites print
under a headline::

    August 03, 2016            Aug. 3, 2016             3 August 2016
    Wednesday, August 3, 2016  2016-08-03               2016-08-03T10:42:00Z
    03/08/2016                 August 3, 2016 10:42 AM EST
    Published: 3 Aug 2016      Updated 10:42, 3 August 2016

Only four-digit years from 1800 to 2199 are read. Purely numeric dates are
ambiguous; the rule is: a number above 12 settles which is the day; when both
could be the month, ``/`` and ``-`` are read month/day (the US convention of
most English-language news sites) and ``.`` day.month (the European one).
:attr:`DateMatch.ambiguous` records that a convention decided.
"""

from __future__ import annotations

import datetime as dt
import re

import attrs

__all__ = ["DateMatch", "is_date_line", "match_date_line", "parse_date", "search_date"]

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}

_MON = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_WEEKDAY = (
    r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?"
    r"|fri(?:day)?|sat(?:urday)?|sun(?:day)?)\.?"
)
_YEAR = r"(?:1[89]|2[01])\d\d"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
# Time zones are matched case-sensitively so that ordinary words are not zones.
_ZONE = r"(?-i:Z|[A-Z]{2,5}(?:[+-]\d{1,2}(?::?\d\d)?)?|[+-]\d\d:?\d\d)"
_TIME = (
    r"(?:\d{1,2}[:.]\d\d(?:[:.]\d\d(?:\.\d+)?)?(?:\s*[ap]\.?m\.?)?|\d{1,2}\s*[ap]\.?m\.?)"
    rf"(?:\s*\(?{_ZONE}\)?)?"
)

_CORE = (
    rf"(?:(?P<mon_a>{_MON})\.?\s+(?P<day_a>{_DAY}),?\s+(?P<year_a>{_YEAR})"
    rf"|(?P<day_b>{_DAY})(?:-|\s+(?:of\s+)?)(?P<mon_b>{_MON})(?:-|\.?,?\s+)(?P<year_b>{_YEAR})"
    rf"|(?P<year_c>{_YEAR})(?P<sep_c>[-/.])(?P<mon_c>\d{{1,2}})(?P=sep_c)(?P<day_c>\d{{1,2}})"
    rf"(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)?"
    rf"|(?P<n1_d>\d{{1,2}})(?P<sep_d>[-/.])(?P<n2_d>\d{{1,2}})(?P=sep_d)(?P<year_d>{_YEAR}))"
)
_SEP = r"\s*(?:[,|•·–—-]|\bat\b)?\s*"
_PREFIX = (
    r"(?:(?:published|posted|updated|last\s+updated|last\s+modified|modified|date|created)"
    r"(?:\s+on)?\s*:?\s*)"
)

_SEARCH_RE = re.compile(rf"(?<![\w/.-]){_CORE}(?![\w/-])", re.IGNORECASE)
_LINE_RE = re.compile(
    rf"\s*{_PREFIX}?(?:{_TIME}{_SEP})?(?:{_WEEKDAY},?\s+)?(?:the\s+)?{_CORE}"
    rf"(?:{_SEP}{_TIME})?\s*(?:\(?{_ZONE}\)?)?\s*",
    re.IGNORECASE,
)
_MAX_LINE = 100
# Every date form holds a year, and every year read starts with one of these
# digit pairs: text without one holds no date, and the date regexes are skipped.
_YEAR_HINT = re.compile(r"1[89]|2[01]")


@attrs.frozen(kw_only=True)
class DateMatch:
    """A date read from text: the date, the exact text it came from, and whether a
    convention (month/day or day.month) had to decide an all-numeric date."""

    date: dt.date
    raw: str
    ambiguous: bool = False


def _make_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _day_number(text: str) -> int:
    return int(text[:2]) if text[:2].isdigit() else int(text[:1])


def _date_from_match(m: re.Match[str]) -> tuple[dt.date | None, bool]:
    """Read the date out of a match of ``_CORE``; second item: ambiguous numeric."""
    g = m.groupdict()
    if g["mon_a"] is not None:
        month = _MONTHS[g["mon_a"][:3].lower()]
        return _make_date(int(g["year_a"]), month, _day_number(g["day_a"])), False
    if g["mon_b"] is not None:
        month = _MONTHS[g["mon_b"][:3].lower()]
        return _make_date(int(g["year_b"]), month, _day_number(g["day_b"])), False
    if g["year_c"] is not None:
        return _make_date(int(g["year_c"]), int(g["mon_c"]), int(g["day_c"])), False
    first, second = int(g["n1_d"]), int(g["n2_d"])
    year = int(g["year_d"])
    if first > 12:
        return _make_date(year, second, first), False
    if second > 12:
        return _make_date(year, first, second), False
    ambiguous = first != second
    if g["sep_d"] == ".":
        return _make_date(year, second, first), ambiguous
    return _make_date(year, first, second), ambiguous


def search_date(text: str) -> DateMatch | None:
    """The first valid date written anywhere in ``text``, or ``None``."""
    if _YEAR_HINT.search(text) is None:
        return None
    for m in _SEARCH_RE.finditer(text):
        date, ambiguous = _date_from_match(m)
        if date is not None:
            return DateMatch(date=date, raw=m.group(0), ambiguous=ambiguous)
    return None


def match_date_line(line: str) -> DateMatch | None:
    """The date of a line that holds nothing but a date, or ``None``.

    "Nothing but" allows a ``Published:``/``Updated`` prefix, a weekday, a time
    and a time zone; ``raw`` is the whole line, stripped.
    """
    if len(line) > _MAX_LINE or _YEAR_HINT.search(line) is None:
        return None
    m = _LINE_RE.fullmatch(line)
    if m is None:
        return None
    date, ambiguous = _date_from_match(m)
    if date is None:
        return None
    return DateMatch(date=date, raw=line.strip(), ambiguous=ambiguous)


def is_date_line(line: str) -> bool:
    """Whether ``line`` is essentially only a date (see :func:`match_date_line`)."""
    return match_date_line(line) is not None


def parse_date(s: str) -> dt.date | None:
    """The date in a date line or date string, or ``None`` if there is no valid one.

    A whole date line is tried first (so a leading time such as ``10:42`` is not
    misread); otherwise the first date found in the string is returned.

    >>> parse_date("Wednesday, August 3, 2016")
    datetime.date(2016, 8, 3)
    >>> parse_date("February 30, 2016") is None
    True
    """
    found = match_date_line(s) or search_date(s)
    return found.date if found is not None else None
