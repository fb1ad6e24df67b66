"""Records round-trip through dicts and JSON, and rows are read back by their type."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsingest.records import Article, Decision, Decoding, DroppedLine, Fix, Rejection
from newsingest.serialize import from_dict, read_row, to_dict

text = st.text(max_size=40)
optional_text = st.none() | text
ids = st.text(min_size=1, max_size=30)
lines = st.none() | st.integers(min_value=1, max_value=10**9)
scores = st.none() | st.floats(min_value=0.0, max_value=1.0, allow_nan=False)

# Paragraph text exercises the line-break shapes the body encoding must survive
# (single newlines, blank lines made of spaces and tabs, CR), not only plain words.
paragraph_text = st.text(alphabet=st.sampled_from("ab é\t\r\n-—“”"), min_size=1, max_size=30) | (
    st.text(min_size=1, max_size=30)
)

decodings = st.builds(
    Decoding,
    encoding=st.sampled_from(["utf-8", "cp1252", "utf-16", "ascii", "windows-1250"]),
    method=st.sampled_from(
        ["bom", "utf-8", "utf-8+cp1252", "utf-16/32", "detected", "fallback", "json"]
    ),
    confidence=st.floats(min_value=0.0, max_value=1.0, allow_nan=False),
    lossy=st.booleans(),
    replaced=st.integers(min_value=0, max_value=10**6),
)
fixes = st.builds(
    Fix,
    field=st.sampled_from(["title", "body", "text", "byline"]),
    action=st.sampled_from(["encode", "decode", "apply", "normalize"]),
    parameter=text,
)
dropped_lines = st.builds(
    DroppedLine, text=text, reason=st.sampled_from(["promo", "boilerplate", "footer"])
)
articles = st.builds(
    Article,
    id=ids,
    path=ids,
    format=st.sampled_from(["text", "html", "jsonl"]),
    line=lines,
    title=optional_text,
    date=st.none() | st.dates(min_value=dt.date(1, 1, 1)),
    date_raw=optional_text,
    byline=optional_text,
    paragraphs=st.lists(paragraph_text, max_size=6),
    decoding=decodings,
    fixes=st.lists(fixes, max_size=3).map(tuple),
    dropped=st.lists(dropped_lines, max_size=3).map(tuple),
    notes=st.lists(text, max_size=3),
    url=optional_text,
)
rejections = st.builds(
    Rejection,
    id=ids,
    path=ids,
    stage=st.sampled_from(["read", "decode", "extract", "repair", "boilerplate", "fingerprint"]),
    reason=text,
    line=lines,
)
decisions = st.builds(
    Decision,
    id=ids,
    path=ids,
    status=st.sampled_from(["kept", "duplicate", "rejected"]),
    cluster=st.none() | ids,
    duplicate_of=st.none() | ids,
    similarity=scores,
    containment=scores,
    reason=optional_text,
)
records = articles | rejections | decisions


def _through_json(row: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(json.dumps(row, ensure_ascii=False))
    return loaded


@settings(max_examples=150, deadline=None)
@given(records)
def test_every_record_round_trips_through_a_dict(record: Article | Rejection | Decision) -> None:
    assert from_dict(type(record), to_dict(record)) == record


@settings(max_examples=150, deadline=None)
@given(records)
def test_every_record_round_trips_through_json(record: Article | Rejection | Decision) -> None:
    row = _through_json(to_dict(record))
    assert from_dict(type(record), row) == record
    assert read_row(row) == record


@settings(max_examples=60, deadline=None)
@given(articles)
def test_article_fields_that_equality_ignores_survive_too(article: Article) -> None:
    back = read_row(_through_json(to_dict(article)))
    assert isinstance(back, Article)
    assert back.paragraphs == article.paragraphs
    assert back.body == article.body
    assert back.decoding == article.decoding


def test_paragraphs_with_newlines_at_their_edges_round_trip() -> None:
    # A paragraph ending in "\n" next to one starting with "\n" joins into "\n\n\n\n":
    # the body string must still split back into the same paragraphs.
    article = Article(
        id="a.txt",
        path="a.txt",
        format="text",
        paragraphs=["one\n", "\ntwo", "three"],
        decoding=Decoding(encoding="utf-8", method="utf-8", confidence=1.0),
    )
    assert from_dict(Article, to_dict(article)) == article


def test_rows_are_json_ready_and_typed() -> None:
    article = Article(
        id="feed.jsonl#2",
        path="/data/feed.jsonl",
        format="jsonl",
        line=2,
        title="Title",
        date=dt.date(2016, 8, 3),
        date_raw="August 03, 2016",
        paragraphs=["First.", "Second."],
        decoding=Decoding(encoding="utf-8", method="json", confidence=0.7),
        fixes=(Fix(field="title", action="apply", parameter="unescape_html"),),
        dropped=(DroppedLine(text="Subscribe!", reason="promo"),),
        notes=["no byline"],
    )
    row = to_dict(article)
    assert row["type"] == "article"
    assert row["date"] == "2016-08-03"
    assert row["body"] == "First.\n\nSecond."
    assert row["fixes"] == [{"field": "title", "action": "apply", "parameter": "unescape_html"}]
    assert json.loads(json.dumps(row)) == row
    assert to_dict(Rejection(id="x", path="x", stage="read", reason="empty file"))["type"] == (
        "rejection"
    )
    assert to_dict(Decision(id="x", path="x", status="kept"))["type"] == "decision"


def test_decoding_confidence_is_kept_exactly() -> None:
    decoding = Decoding(encoding="cp1252", method="detected", confidence=0.73125)
    article = Article(id="a", path="a", format="text", paragraphs=["x"], decoding=decoding)
    back = from_dict(Article, to_dict(article))
    assert back.decoding.confidence == 0.73125


@settings(max_examples=40, deadline=None)
@given(records)
def test_read_row_dispatches_on_type(record: Article | Rejection | Decision) -> None:
    back = read_row(to_dict(record))
    assert type(back) is type(record)


@pytest.mark.parametrize(
    ("cls", "other"),
    [
        (Article, Rejection(id="x", path="x", stage="read", reason="r")),
        (Rejection, Decision(id="x", path="x", status="kept")),
        (Decision, Rejection(id="x", path="x", stage="read", reason="r")),
    ],
)
def test_a_row_of_another_type_is_refused(
    cls: type[Article | Rejection | Decision], other: Rejection | Decision
) -> None:
    with pytest.raises(ValueError, match="expected"):
        from_dict(cls, to_dict(other))  # type: ignore[type-var]


@pytest.mark.parametrize(
    "row",
    [{}, {"type": "cluster", "id": "x"}, {"type": None}, {"id": "x", "status": "kept"}],
)
def test_read_row_refuses_rows_that_are_not_ours(row: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="not a newsingest row"):
        read_row(row)


@pytest.mark.parametrize(
    "row",
    [
        {"type": "decision", "id": "x", "path": "x"},
        {"type": "rejection", "id": "x", "path": "x", "stage": "read", "reason": "r", "extra": 1},
        {"type": "article", "id": "x", "path": "x", "format": "text"},
    ],
)
def test_malformed_rows_raise_value_error(row: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"malformed|missing|unexpected"):
        read_row(row)
