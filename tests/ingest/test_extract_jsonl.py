"""Tests for JSON Lines extraction: fields, the head inside the text field, and errors."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsingest.config import ExtractConfig
from newsingest.errors import ExtractError
from newsingest.ingest.extract import extract_article
from newsingest.records import DecodedText, Decoding, Format
from tests.ingest.extract_helpers import (
    check_golden,
    golden_inputs,
    make_doc,
    outcome,
    paragraphs,
    titles,
)


@pytest.mark.parametrize("path", golden_inputs(".jsonl"), ids=lambda p: p.name)
def test_golden(path: Path) -> None:
    check_golden(path)


ERROR_CASES: list[tuple[str, Format, str]] = [
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


@settings(max_examples=60, deadline=None)
@given(titles, paragraphs, st.sampled_from(["\n", "\n\n"]))
def test_generated_jsonl_is_recovered(title: str, paras: list[str], sep: str) -> None:
    line = json.dumps({"id": "x", "text": title + "\n" + sep.join(paras)})
    article = extract_article(make_doc(line, "jsonl"))
    assert article.title == title
    assert article.paragraphs == tuple(paras)


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


# --- issue 17 ------------------------------------------------------------------------------


@pytest.mark.parametrize("line", ['{"id": 1}', '{"text": 5}'])
def test_field_errors_name_the_command_line_option(line: str) -> None:
    with pytest.raises(ExtractError, match="--jsonl-text-field") as info:
        extract_article(make_doc(line, "jsonl"))
    assert "ExtractConfig.jsonl_text_field" in str(info.value)


def test_an_ingest_article_record_is_read_as_one() -> None:
    line = json.dumps(
        {
            "type": "article",
            "id": "sport/1.txt",
            "title": "Title",
            "date": "2016-08-03",
            "date_raw": "August 3, 2016",
            "byline": "By Jane Doe",
            "body": "First paragraph.\n\nSecond paragraph.",
            "fixes": [{"field": "title", "action": "apply", "parameter": "unescape_html"}],
        }
    )
    article = extract_article(make_doc(line, "jsonl"))
    assert (article.title, article.byline, article.source_id) == (
        "Title",
        "By Jane Doe",
        "sport/1.txt",
    )
    assert article.paragraphs == ("First paragraph.", "Second paragraph.")
    assert (article.date, article.date_raw) == (dt.date(2016, 8, 3), "August 3, 2016")
    assert [f.parameter for f in article.fixes] == ["unescape_html"]


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"type": "rejection", "id": "x.pdf", "reason": "unsupported"}, "rejection row"),
        ({"type": "article", "body": 5}, "field 'body' is a int"),
        ({"type": "article", "body": "x", "date": "soon"}, "not an ISO date"),
        ({"type": "article", "body": "x", "fixes": ["bad"]}, "field 'fixes'"),
        ({"type": "article", "body": " "}, "no title and no body"),
    ],
)
def test_a_bad_ingest_record_is_an_extract_error(record: dict[str, object], reason: str) -> None:
    with pytest.raises(ExtractError, match=reason):
        extract_article(make_doc(json.dumps(record), "jsonl"))


def test_lone_surrogates_in_date_and_id_are_replaced_and_recorded() -> None:
    line = '{"id": "a\\ud800", "date": "2016-08-03\\udfff", "text": "Title\\n\\nBody."}'
    article = extract_article(make_doc(line, "jsonl"))
    assert article.source_id == "a\ufffd"
    assert article.date_raw == "2016-08-03\ufffd"
    assert [(f.field, f.parameter) for f in article.fixes] == [
        ("date_raw", "fix_surrogates"),
        ("source_id", "fix_surrogates"),
    ]
