"""Tests for HTML extraction: trafilatura, its <p> fallback, and errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsingest.errors import ExtractError
from newsingest.ingest.extract import extract_article
from newsingest.ingest.extract import html as html_extract
from newsingest.records import Format
from tests.ingest.extract_helpers import (
    GOLDEN,
    check_golden,
    golden_inputs,
    make_doc,
    outcome,
)


@pytest.mark.parametrize("path", golden_inputs(".html"), ids=lambda p: p.name)
def test_golden(path: Path) -> None:
    check_golden(path)


def test_html_golden_notes_fast_path() -> None:
    html = (GOLDEN / "html_article.html").read_text(encoding="utf-8")
    article = extract_article(make_doc(html, "html"))
    assert article.notes[0] == "html: fast"


ERROR_CASES: list[tuple[str, Format, str]] = [
    ("", "html", "empty"),
    ("   ", "html", "empty"),
    ("<html><head><title>x</title></head><body></body></html>", "html", "no article body"),
]


@pytest.mark.parametrize(("text", "fmt", "reason"), ERROR_CASES)
def test_no_article_raises_extract_error(text: str, fmt: Format, reason: str) -> None:
    with pytest.raises(ExtractError, match=reason) as info:
        extract_article(make_doc(text, fmt))
    assert "doc-1" in str(info.value)


def test_html_fallback_to_paragraphs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(html_extract, "_run_trafilatura", lambda html, notes: None)
    html = (
        "<?xml version='1.0' encoding='utf-8'?><html><head><title>T</title></head><body>"
        "<h1>Headline here</h1><p>First  para\n text.</p><p> </p><p>Second.</p></body></html>"
    )
    article = extract_article(make_doc(html, "html"))
    assert article.title == "Headline here"
    assert article.paragraphs == ("First para text.", "Second.")
    assert "html: trafilatura found no body, <p> fallback" in article.notes


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(max_size=300)
    | st.lists(st.sampled_from(["<p>", "</p>", "<div>", "<h1>", "text words", "&amp;", "<"])).map(
        "".join
    )
)
def test_html_never_raises_other_errors(html: str) -> None:
    outcome(make_doc(html, "html"))
