"""Tests for the plain-text layout: golden cases, head lines, hard wraps, properties."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsingest.errors import ExtractError
from newsingest.ingest.dates import match_date_line
from newsingest.ingest.extract import extract_article, parse_byline, split_paragraphs
from newsingest.ingest.extract import text as layout
from newsingest.records import Article, Format
from tests.ingest.extract_helpers import (
    assemble,
    check_golden,
    date_formats,
    dates,
    golden_inputs,
    make_doc,
    outcome,
    paragraphs,
    titles,
)


@pytest.mark.parametrize("path", golden_inputs(".txt"), ids=lambda p: p.name)
def test_golden(path: Path) -> None:
    check_golden(path)


ERROR_CASES: list[tuple[str, Format, str]] = [
    ("", "text", "empty"),
    (" \n\t\r\n  ", "text", "empty"),
]


@pytest.mark.parametrize(("text", "fmt", "reason"), ERROR_CASES)
def test_no_article_raises_extract_error(text: str, fmt: Format, reason: str) -> None:
    with pytest.raises(ExtractError, match=reason) as info:
        extract_article(make_doc(text, fmt))
    assert "doc-1" in str(info.value)


def test_single_paragraph_text_has_no_title() -> None:
    article = extract_article(make_doc("Just one line of text."))
    assert article.title is None
    assert article.paragraphs == ("Just one line of text.",)
    assert "no title: single paragraph" in article.notes


def test_date_deep_in_body_is_not_the_date_line() -> None:
    text = "Title\n\n" + "\n\n".join(f"Paragraph {i} of the body." for i in range(6))
    text += "\n\nAugust 3, 2016\n\nEnd."
    article = extract_article(make_doc(text))
    assert article.title == "Title"
    assert article.date is None
    assert "August 3, 2016" in article.paragraphs


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("By John Smith", ("John Smith", None)),
        ("BY JANE DOE", ("JANE DOE", None)),
        ("By John Smith, Reuters", ("John Smith, Reuters", None)),
        ("By Ann Lee and Bo Chan", ("Ann Lee and Bo Chan", None)),
        ("John Smith | Reuters", ("John Smith | Reuters", None)),
        ("By Jane Doe | March 3, 2019", ("Jane Doe", dt.date(2019, 3, 3))),
        ("Sports", None),
        ("By the way, this is a sentence.", None),
        ("Bypass road opens", None),
        ("Stocks | Markets", None),
    ],
)
def test_parse_byline(line: str, expected: tuple[str, dt.date | None] | None) -> None:
    parsed = parse_byline(line)
    if expected is None:
        assert parsed is None
    else:
        assert parsed is not None
        assert (parsed[0], parsed[1].date if parsed[1] else None) == expected


def test_split_paragraphs_rejoins_wraps_and_keeps_lists() -> None:
    text = "One line\nwrapped here.\n\nSecond.\n\n- item one\n- item two"
    assert split_paragraphs(text) == (
        "One line wrapped here.",
        "Second.",
        "- item one",
        "- item two",
    )


# ------------------------------------------------------------------------------
# properties


@settings(max_examples=60, deadline=None)
@given(titles, st.none() | st.tuples(dates, st.sampled_from(date_formats)), paragraphs)
def test_generated_article_is_recovered(
    title: str, date: tuple[dt.date, str] | None, paras: list[str]
) -> None:
    date_line = date[0].strftime(date[1]) if date else None
    article = extract_article(make_doc(assemble(title, date_line, paras)))
    assert article.title == title
    assert article.paragraphs == tuple(paras)
    assert article.date == (date[0] if date else None)
    assert article.date_raw == date_line
    assert article.dropped == ()


@settings(max_examples=40, deadline=None)
@given(titles, paragraphs)
def test_one_paragraph_per_line_is_recovered(title: str, paras: list[str]) -> None:
    article = extract_article(make_doc(title + "\n" + "\n".join(paras)))
    assert article.title == title
    assert article.paragraphs == tuple(paras)


@settings(max_examples=60, deadline=None)
@given(titles, dates, paragraphs, st.integers(20, layout.WRAP_MAX_WIDTH))
def test_rewrapping_gives_the_same_paragraphs(
    title: str, date: dt.date, paras: list[str], width: int
) -> None:
    date_line = date.strftime("%B %d, %Y")
    wrapped = [textwrap.fill(p, width=width, break_long_words=False) for p in paras]
    plain = extract_article(make_doc(assemble(title, date_line, paras)))
    rewrapped = extract_article(make_doc(assemble(title, date_line, wrapped)))
    assert rewrapped.paragraphs == tuple(paras)
    assert (rewrapped.title, rewrapped.date) == (plain.title, plain.date)


@settings(max_examples=60, deadline=None)
@given(titles, st.none() | dates, paragraphs, st.sampled_from(["\r\n", "\r"]))
def test_crlf_gives_the_same_article(
    title: str, date: dt.date | None, paras: list[str], newline: str
) -> None:
    text = assemble(title, date.strftime("%d %B %Y") if date else None, paras)
    assert extract_article(make_doc(text.replace("\n", newline))) == extract_article(make_doc(text))


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_text_never_raises_other_errors(text: str) -> None:
    result = outcome(make_doc(text))
    if isinstance(result, Article):
        assert all(p and p == p.strip() for p in result.paragraphs)
        assert all("\r" not in p for p in result.paragraphs)
    if "\r" not in text:
        assert outcome(make_doc(text.replace("\n", "\r\n"))) == result


# ------------------------------------------------------------------------------
# the cheap tests that skip regexes must never skip a match

# Characters re.IGNORECASE matches to ASCII letters, besides the ASCII letters themselves.
FOLDING = {"i": ["I", "İ", "ı"], "s": ["S", "ſ"], "k": ["K", "\u212a"]}


@st.composite
def promo_like(draw: st.DrawFn) -> str:
    """Promo phrases in any case, with odd whitespace, inside other text."""
    phrase = draw(
        st.sampled_from(
            [
                "join our",
                "join us on",
                "subscribe",
                "follow us",
                "click here",
                "sign up",
                "telegram",
                "newsletter",
                "share this",
                "advertisement",
                "like us on",
                "download the app",
                "sponsored",
                "shares",
                "designs",
            ]
        )
    )
    chars = []
    for c in phrase:
        if c == " ":
            chars.append(draw(st.sampled_from([" ", "  ", "\t", "\xa0", "\u2028", "\n"])))
        else:
            chars.append(draw(st.sampled_from([c, c.upper(), *FOLDING.get(c, [])])))
    before = draw(st.sampled_from(["", "Please ", "(", "x", "Ünï "]))
    after = draw(st.sampled_from(["", " now!", "s", ".", " today"]))
    return before + "".join(chars) + after


@settings(max_examples=300, deadline=None)
@given(promo_like())
def test_promo_prefilter_keeps_every_match(text: str) -> None:
    if layout._PROMO_RE.search(text) is not None:
        assert layout._may_be_promo(text)
        for line in text.split("\n"):
            assert layout._is_promo(line) == (
                len(line) <= layout._MAX_PROMO_CHARS and layout._PROMO_RE.search(line) is not None
            )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "By John Smith",
                "by: Ann Lee",
                "John Smith – Reuters",
                "Jane Doe • AP",
                "August 3, 2016",
                "3.8.1999",
                "Published: 3 Aug 2016",
                "Follow us on Telegram",
                "The council said",
                "shares rose 5 pct",
                "  ",
                "|",
                "-",
                "1987",
            ]
        ),
        min_size=1,
        max_size=4,
    ).map(" ".join)
)
def test_head_line_prefilter_is_exact(line: str) -> None:
    expected = (
        match_date_line(line) is not None
        or parse_byline(line) is not None
        or (len(line) <= layout._MAX_PROMO_CHARS and layout._PROMO_RE.search(line) is not None)
    )
    assert layout._is_head_line(line) == expected


def test_hyphen_broken_word_is_glued_and_spaced_dash_kept() -> None:
    text = (
        "Officials in the city said on Monday that the well-\n"
        "known bridge will close - for repairs - next\n"
        "week, and the river station too.\n"
    )
    assert split_paragraphs(text) == (
        "Officials in the city said on Monday that the well-known bridge will close "
        "- for repairs - next week, and the river station too.",
    )
