"""Tests for the per-document run: which stage a failure is charged to, and units of work."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsingest.config import IngestConfig
from newsingest.ingest import run
from newsingest.ingest.run import ingest_document, ingest_or_reject, ingest_unit
from newsingest.records import RawDocument, Rejection, Stage

TEXT = RawDocument(
    id="a.txt", path="a.txt", format="text", data=b"A title\n\nThe body of the article."
)
LINE = RawDocument(
    id="f.jsonl#2",
    path="f.jsonl",
    format="jsonl",
    line=2,
    data=b'{"title": "A title", "text": "The body of the article."}',
)


def fail(*args: object, **kwargs: object) -> None:
    raise RuntimeError("boom")


@pytest.mark.parametrize(
    ("raw", "patched", "stage"),
    [
        (TEXT, "decode_document", "decode"),
        (TEXT, "repair_text", "repair"),
        (TEXT, "extract_repaired_text", "extract"),
        (LINE, "extract_article", "extract"),
        (LINE, "repair_article", "repair"),
    ],
)
def test_an_unexpected_error_is_a_rejection_at_its_stage(
    monkeypatch: pytest.MonkeyPatch, raw: RawDocument, patched: str, stage: Stage
) -> None:
    # Plain text is repaired before it is extracted; the other formats after.
    monkeypatch.setattr(run, patched, fail)
    rejection = ingest_or_reject(raw)
    assert isinstance(rejection, Rejection)
    assert (rejection.id, rejection.path, rejection.line) == (raw.id, raw.path, raw.line)
    assert rejection.stage == stage
    assert rejection.reason == "internal error (RuntimeError: boom); please report it"
    with pytest.raises(RuntimeError, match="boom"):
        ingest_document(raw)


def test_an_input_error_is_a_rejection_with_its_message() -> None:
    raw = RawDocument(id="b.txt", path="b.txt", format="text", data=b" \n\t\n ")
    rejection = ingest_or_reject(raw)
    assert isinstance(rejection, Rejection)
    assert rejection.stage == "extract"
    assert "b.txt" in rejection.reason
    assert "empty" in rejection.reason


def test_a_unit_keeps_given_articles_and_rejections_in_place() -> None:
    config = IngestConfig()
    article = ingest_document(LINE, config)
    rejected = Rejection(id="x.pdf", path="x.pdf", stage="read", reason="not a format")
    assert ingest_unit([rejected, TEXT, article, LINE], config) == [
        rejected,
        ingest_document(TEXT, config),
        article,
        article,
    ]


def test_a_file_that_cannot_be_stat_ed_weighs_nothing(tmp_path: Path) -> None:
    assert run._file_size(str(tmp_path / "missing.jsonl")) == 0
    (tmp_path / "three.jsonl").write_bytes(b"{}\n")
    assert run._file_size(str(tmp_path / "three.jsonl")) == 3
