"""Tests for article extraction: golden layouts, errors, and properties."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsingest.config import ExtractConfig
from newsingest.errors import ExtractError
from newsingest.ingest import extract
from newsingest.ingest.dates import match_date_line
from newsingest.ingest.extract import extract_article, parse_byline, split_paragraphs
from newsingest.records import Article, DecodedText, Decoding, Fix, Format

GOLDEN = Path(__file__).parent / "golden" / "extract"
FORMATS: dict[str, Format] = {".txt": "text", ".html": "html", ".jsonl": "jsonl"}
UTF8 = Decoding(encoding="utf-8", method="utf-8", confidence=1.0)


def make_doc(text: str, fmt: Format = "text") -> DecodedText:
    return DecodedText(id="doc-1", path="doc-1.txt", format=fmt, text=text, decoding=UTF8)


def trafilatura_works() -> bool:
    try:
        import trafilatura  # noqa: F401, PLC0415
    except ImportError:
        return False
    return True


def golden_inputs() -> list[Path]:
    return sorted(p for p in GOLDEN.iterdir() if p.suffix in FORMATS)


def as_golden(article: Article) -> dict[str, Any]:
    return {
        "title": article.title,
        "date": article.date.isoformat() if article.date else None,
        "date_raw": article.date_raw,
        "byline": article.byline,
        "paragraphs": list(article.paragraphs),
        "dropped": [{"text": d.text, "reason": d.reason} for d in article.dropped],
        "notes": list(article.notes),
    }


# ---------------------------------------------------------------------------
# golden cases


def test_golden_cases_exist() -> None:
    inputs = golden_inputs()
    assert len(inputs) >= 15
    assert {p.suffix for p in inputs} == set(FORMATS)
    for path in inputs:
        assert path.with_suffix(".json").exists(), path.name


@pytest.mark.parametrize("path", golden_inputs(), ids=lambda p: p.name)
def test_golden(path: Path) -> None:
    fmt = FORMATS[path.suffix]
    if fmt == "html" and not trafilatura_works():
        pytest.skip("trafilatura cannot be imported here")
    text = path.read_bytes().decode("utf-8")
    if fmt == "jsonl":
        text = text.rstrip("\n")
    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    article = extract_article(make_doc(text, fmt))
    got = as_golden(article)
    if "notes" not in expected:
        del got["notes"]
    else:
        assert "html: trafilatura" not in got["notes"]
    assert got == expected
    assert article.decoding == UTF8
    assert article.format == fmt


def test_html_golden_notes_trafilatura() -> None:
    if not trafilatura_works():
        pytest.skip("trafilatura cannot be imported here")
    html = (GOLDEN / "html_article.html").read_text(encoding="utf-8")
    article = extract_article(make_doc(html, "html"))
    assert "html: trafilatura" in article.notes


# ---------------------------------------------------------------------------
# errors and edge cases

ERROR_CASES: list[tuple[str, Format, str]] = [
    ("", "text", "empty"),
    (" \n\t\r\n  ", "text", "empty"),
    ("", "html", "empty"),
    ("   ", "html", "empty"),
    ("<html><head><title>x</title></head><body></body></html>", "html", "no article body"),
    ("{not json", "jsonl", "not a valid JSON line"),
    ("[1, 2]", "jsonl", "not an object"),
    ('"a string"', "jsonl", "not an object"),
    ('{"id": 1}', "jsonl", "no 'text' field"),
    ('{"text": 5}', "jsonl", "not a string"),
    ('{"text": "  \\n  "}', "jsonl", "empty"),
    ("[" * 100_000, "jsonl", "not a valid JSON line"),
]


@pytest.mark.parametrize(("text", "fmt", "reason"), ERROR_CASES)
def test_no_article_raises_extract_error(text: str, fmt: Format, reason: str) -> None:
    with pytest.raises(ExtractError, match=reason) as info:
        extract_article(make_doc(text, fmt))
    assert "doc-1" in str(info.value)


def test_html_fallback_to_paragraphs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extract, "_run_trafilatura", lambda html, notes: None)
    html = (
        "<?xml version='1.0' encoding='utf-8'?><html><head><title>T</title></head><body>"
        "<h1>Headline here</h1><p>First  para\n text.</p><p> </p><p>Second.</p></body></html>"
    )
    article = extract_article(make_doc(html, "html"))
    assert article.title == "Headline here"
    assert article.paragraphs == ("First para text.", "Second.")
    assert "html: trafilatura found no body, <p> fallback" in article.notes


def test_jsonl_fields_from_config() -> None:
    config = ExtractConfig(
        jsonl_title_field="headline", jsonl_text_field="body", jsonl_date_field="when"
    )
    line = json.dumps({"headline": "A headline", "body": "Para one.\n\nPara two.", "when": "x"})
    article = extract_article(make_doc(line, "jsonl"), config)
    assert article.title == "A headline"
    assert article.paragraphs == ("Para one.", "Para two.")
    assert article.date is None
    assert "jsonl: date field 'when' not understood" in article.notes


def test_jsonl_title_from_first_line_can_be_disabled() -> None:
    line = json.dumps({"text": "First line\n\nBody line."})
    article = extract_article(make_doc(line, "jsonl"), ExtractConfig(title_from_first_line=False))
    assert article.title is None
    assert article.paragraphs == ("First line", "Body line.")


def test_jsonl_date_line_and_byline_after_title() -> None:
    text = "Big story\n\nAugust 3, 2016\n\nBy Ann Lee\n\nThe body."
    article = extract_article(make_doc(json.dumps({"text": text}), "jsonl"))
    assert (article.title, article.date, article.byline) == (
        "Big story",
        dt.date(2016, 8, 3),
        "Ann Lee",
    )
    assert article.paragraphs == ("The body.",)


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


# ---------------------------------------------------------------------------
# properties

WORDS = [
    "the", "council", "said", "road", "budget", "library", "mayor", "vote", "city", "river",
    "station", "week", "month", "market", "price", "report", "well-known", "long-term",
    "people", "water", "school", "officials", "police", "north", "bridge", "train", "storm",
    "minister", "plan", "workers", "union", "talks", "court", "appeal", "judge", "year",
]  # fmt: skip

word = st.sampled_from(WORDS)


@st.composite
def sentences(draw: st.DrawFn, min_words: int, max_words: int) -> str:
    words = draw(st.lists(word, min_size=min_words, max_size=max_words))
    commas = draw(st.lists(st.booleans(), min_size=len(words), max_size=len(words)))
    words = [
        w + "," if c and i < len(words) - 1 else w
        for i, (w, c) in enumerate(zip(words, commas, strict=True))
    ]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


titles = st.lists(word, min_size=2, max_size=10).map(lambda ws: " ".join(ws).capitalize())
paragraphs = st.lists(sentences(35, 60), min_size=2, max_size=5)
date_formats = ["%B %d, %Y", "%d %B %Y", "%A, %B %d, %Y", "%Y-%m-%d", "Published: %d %b %Y"]
dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))


def assemble(title: str, date_line: str | None, paras: list[str], sep: str = "\n\n") -> str:
    head = title + "\n\n" + (date_line + "\n\n" if date_line else "")
    return head + sep.join(paras) + "\n"


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
@given(titles, dates, paragraphs, st.integers(20, extract.WRAP_MAX_WIDTH))
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


@settings(max_examples=60, deadline=None)
@given(titles, paragraphs, st.sampled_from(["\n", "\n\n"]))
def test_generated_jsonl_is_recovered(title: str, paras: list[str], sep: str) -> None:
    line = json.dumps({"id": "x", "text": title + "\n" + sep.join(paras)})
    article = extract_article(make_doc(line, "jsonl"))
    assert article.title == title
    assert article.paragraphs == tuple(paras)


def outcome(doc: DecodedText) -> Article | str:
    try:
        return extract_article(doc)
    except ExtractError as exc:
        return str(exc)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_text_never_raises_other_errors(text: str) -> None:
    result = outcome(make_doc(text))
    if isinstance(result, Article):
        assert all(p and p == p.strip() for p in result.paragraphs)
        assert all("\r" not in p for p in result.paragraphs)
    if "\r" not in text:
        assert outcome(make_doc(text.replace("\n", "\r\n"))) == result


@settings(max_examples=200, deadline=None)
@given(
    st.text()
    | st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    ).map(json.dumps)
    | st.dictionaries(
        st.sampled_from(["text", "title", "date", "id"]), st.text() | st.integers()
    ).map(json.dumps)
)
def test_jsonl_never_raises_other_errors(line: str) -> None:
    outcome(make_doc(line, "jsonl"))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(max_size=300)
    | st.lists(st.sampled_from(["<p>", "</p>", "<div>", "<h1>", "text words", "&amp;", "<"])).map(
        "".join
    )
)
def test_html_never_raises_other_errors(html: str) -> None:
    outcome(make_doc(html, "html"))


# ---------------------------------------------------------------------------
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
    if extract._PROMO_RE.search(text) is not None:
        assert extract._may_be_promo(text)
        for line in text.split("\n"):
            assert extract._is_promo(line) == (
                len(line) <= extract._MAX_PROMO_CHARS and extract._PROMO_RE.search(line) is not None
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
        or (len(line) <= extract._MAX_PROMO_CHARS and extract._PROMO_RE.search(line) is not None)
    )
    assert extract._is_head_line(line) == expected


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


@pytest.mark.parametrize(
    ("record", "field", "expected"),
    [
        ({"id": "wire-17", "text": "Body."}, "id", "wire-17"),
        ({"id": 17, "text": "Body."}, "id", "17"),
        ({"id": True, "text": "Body."}, "id", None),
        ({"id": ["x"], "text": "Body."}, "id", None),
        ({"uid": "u-1", "id": "other", "text": "Body."}, "uid", "u-1"),
        ({"text": "Body."}, "id", None),
    ],
)
def test_jsonl_source_id_is_kept(
    record: dict[str, object], field: str, expected: str | None
) -> None:
    doc = DecodedText(
        id="f.jsonl#1",
        path="f.jsonl",
        format="jsonl",
        line=1,
        text=json.dumps(record),
        decoding=Decoding(encoding="utf-8", method="utf-8", confidence=1.0),
    )
    article = extract_article(doc, ExtractConfig(jsonl_id_field=field))
    assert article.source_id == expected
    assert article.id == "f.jsonl#1"


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                ["", "Join our channel today!", "August 03, 2016", "By Jane Doe | Reuters"]
            ),
            st.text(alphabet=st.sampled_from(list("abc XYZ.,-\n’é")), min_size=1, max_size=90),
        ),
        min_size=1,
        max_size=12,
    ),
    st.booleans(),
)
def test_extract_repaired_text_is_extract_of_the_repaired_doc(
    lines: list[str], fixed: bool
) -> None:
    doc = make_doc("unrepaired\n\ntext")
    text = "\n".join(lines)
    fixes = (Fix(field="text", action="apply", parameter="unescape_html"),) if fixed else ()
    try:
        want = attrs.evolve(extract_article(attrs.evolve(doc, text=text)), fixes=fixes)
    except ExtractError as exc:
        with pytest.raises(ExtractError, match=str(exc).split(":")[0]):
            extract.extract_repaired_text(doc, text, fixes)
        return
    assert extract.extract_repaired_text(doc, text, fixes) == want


def test_extract_repaired_text_takes_plain_text_only() -> None:
    with pytest.raises(ValueError, match="plain text"):
        extract.extract_repaired_text(make_doc("{}", "jsonl"), "{}", ())
