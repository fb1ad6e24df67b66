"""Dedup reports: one row per decision, columns in order, nulls kept null, files replaced whole."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsingest.errors import ConfigError
from newsingest.output import report as report_module
from newsingest.output.report import REPORT_COLUMNS, format_summary, iter_report_rows, write_report
from newsingest.records import Cluster, Decision, DedupResult, Rejection


def make_result(clusters: int = 1) -> DedupResult:
    decisions = [
        Decision(id="a.txt", path="/in/a.txt", status="kept", cluster="a.txt"),
        Decision(
            id="b.txt",
            path="/in/b.txt",
            status="duplicate",
            cluster="a.txt",
            duplicate_of="a.txt",
            similarity=0.812345678,
            containment=1.0,
        ),
        Decision(id='c, "quoted".txt', path="/in/c.txt", status="kept", cluster="c.txt"),
        Decision(
            id="feed.jsonl#4",
            path="/in/feed.jsonl",
            status="rejected",
            reason="extract: invalid JSON\nat line 4",
        ),
    ]
    made = tuple(
        Cluster(id=f"x{i}.txt", canonical=f"x{i}.txt", members=(f"x{i}.txt", "y"), why="longest")
        for i in range(clusters)
    )
    return DedupResult(
        decisions=tuple(decisions),
        clusters=made,
        rejections=(
            Rejection(id="feed.jsonl#4", path="/in/feed.jsonl", stage="extract", reason="bad"),
        ),
        timings={"ingest": 0.5, "link": 0.25, "total": 1.0},
    )


def test_jsonl_report_has_one_row_per_decision_in_column_order(tmp_path: Path) -> None:
    result = make_result()
    out = tmp_path / "report.jsonl"
    write_report(result, out, "jsonl")
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [d.id for d in result.decisions]
    assert all(list(r) == list(REPORT_COLUMNS) for r in rows)
    kept, dup, _, rejected = rows
    assert kept["duplicate_of"] is None
    assert kept["similarity"] is None
    assert rejected["cluster"] is None
    assert rejected["reason"] == "extract: invalid JSON\nat line 4"
    assert dup["similarity"] == pytest.approx(0.8123, abs=1e-4)
    assert dup["status"] == "duplicate"
    assert dup["path"] == "/in/b.txt"


def test_csv_report_has_header_one_row_per_decision_and_empty_nulls(tmp_path: Path) -> None:
    result = make_result()
    out = tmp_path / "report.csv"
    write_report(result, out, "csv")
    text = out.read_text(encoding="utf-8")
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    assert header == list(REPORT_COLUMNS)
    rows = [dict(zip(header, row, strict=True)) for row in reader]
    assert [r["id"] for r in rows] == [d.id for d in result.decisions]
    kept, dup, quoted, rejected = rows
    assert kept["duplicate_of"] == ""
    assert kept["similarity"] == ""
    assert rejected["cluster"] == ""
    assert rejected["reason"] == "extract: invalid JSON\nat line 4"
    assert quoted["id"] == 'c, "quoted".txt'
    assert float(dup["similarity"]) == pytest.approx(0.8123, abs=1e-4)
    assert float(dup["containment"]) == 1.0


def test_rows_match_the_decisions() -> None:
    result = make_result()
    rows = list(iter_report_rows(result))
    assert len(rows) == len(result.decisions)
    for row, d in zip(rows, result.decisions, strict=True):
        assert (row["id"], row["status"], row["cluster"], row["duplicate_of"], row["path"]) == (
            d.id,
            d.status,
            d.cluster,
            d.duplicate_of,
            d.path,
        )


def test_report_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    write_report(make_result(), "-", "jsonl")
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 4
    assert json.loads(out.splitlines()[0])["id"] == "a.txt"


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_failed_write_leaves_the_old_report_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: Any
) -> None:
    out = tmp_path / f"report.{fmt}"
    out.write_text("the old report\n", encoding="utf-8")

    def failing_rows(result: DedupResult) -> Iterator[dict[str, Any]]:
        yield from list(iter_report_rows(result))[:2]
        raise OSError("disk full")

    real_json_row = report_module._json_row
    written: list[Decision] = []

    def failing_json_row(decision: Decision) -> str:
        written.append(decision)
        if len(written) > 2:
            raise OSError("disk full")
        return real_json_row(decision)

    # Each format fails after two rows, wherever it builds them.
    monkeypatch.setattr(report_module, "iter_report_rows", failing_rows)
    monkeypatch.setattr(report_module, "_json_row", failing_json_row)
    with pytest.raises(OSError, match="disk full"):
        write_report(make_result(), out, fmt)
    assert out.read_text(encoding="utf-8") == "the old report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


def test_a_successful_write_replaces_the_old_report(tmp_path: Path) -> None:
    out = tmp_path / "report.jsonl"
    out.write_text("x\n" * 100, encoding="utf-8")
    write_report(make_result(), out)
    assert len(out.read_text(encoding="utf-8").splitlines()) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


def test_summary_counts() -> None:
    summary = format_summary(make_result())
    first = summary.splitlines()[0]
    assert first == "4 documents: 2 kept, 1 duplicate in 1 cluster, 1 rejected"
    (cluster_line,) = [line for line in summary.splitlines() if "x0.txt" in line]
    assert re.search(r"\b2\b", cluster_line)
    assert "longest" in cluster_line
    assert "time: 1.00s (ingest 0.50s, link 0.25s)" in summary


def test_summary_lists_five_clusters_then_how_many_more() -> None:
    summary = format_summary(make_result(clusters=8))
    shown = [i for i in range(8) if f"x{i}.txt" in summary]
    assert shown == [0, 1, 2, 3, 4]
    assert "... and 3 more clusters" in summary


def test_summary_of_an_empty_result() -> None:
    empty = DedupResult(decisions=(), clusters=(), rejections=())
    assert format_summary(empty) == "0 documents: 0 kept, 0 duplicates in 0 clusters, 0 rejected"


_maybe_text = st.none() | st.text(max_size=12)
_maybe_score = st.none() | st.floats(allow_nan=True, allow_infinity=True) | st.integers(0, 1)


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=12),
    st.text(max_size=12),
    st.sampled_from(["kept", "duplicate", "rejected"]),
    _maybe_text,
    _maybe_text,
    _maybe_score,
    _maybe_score,
    _maybe_text,
)
def test_report_lines_are_json_dumps_of_the_rows(  # noqa: PLR0917
    id_: str,
    path: str,
    status: str,
    cluster: str | None,
    duplicate_of: str | None,
    similarity: float | None,
    containment: float | None,
    reason: str | None,
) -> None:
    decision = Decision(
        id=id_,
        path=path,
        status=status,  # type: ignore[arg-type]
        cluster=cluster,
        duplicate_of=duplicate_of,
        similarity=similarity,
        containment=containment,
        reason=reason,
    )
    result = DedupResult(decisions=(decision,), clusters=(), rejections=(), params={}, timings={})
    (row,) = iter_report_rows(result)
    assert report_module._json_row(decision) == json.dumps(row, ensure_ascii=False)


# ------------------------------------------------------------ spreadsheets, formats, terminals


def test_csv_cells_a_spreadsheet_would_run_are_neutralised(tmp_path: Path) -> None:
    attacks = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
    plain = Decision(
        id="ok.txt",
        path="/in/ok.txt",
        status="duplicate",
        cluster="=c.txt",
        duplicate_of="=c.txt",
        similarity=0.5,
        containment=1.0,
    )
    decisions = (
        *(
            Decision(id=f"{a}.txt", path=f"{a}.txt", status="kept", cluster=f"{a}.txt")
            for a in attacks
        ),
        plain,
    )
    result = DedupResult(decisions=decisions, clusters=(), rejections=())
    out = tmp_path / "report.csv"
    write_report(result, out, "csv")
    with out.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row, attack in zip(rows, attacks, strict=False):
        for column in ("id", "cluster", "path"):
            assert row[column] == f"'{attack}.txt"
    assert rows[-1]["id"] == "ok.txt"
    assert rows[-1]["duplicate_of"] == "'=c.txt"
    assert rows[-1]["similarity"] == "0.5"
    # JSON Lines is data for programs: the values stay as they are.
    write_report(result, tmp_path / "report.jsonl", "jsonl")
    lines = (tmp_path / "report.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == [d.id for d in decisions]


@pytest.mark.parametrize("fmt", ["CSV", "Jsonl", "xml", ""])
def test_an_unknown_report_format_is_refused_naming_it(tmp_path: Path, fmt: Any) -> None:
    out = tmp_path / "report.csv"
    with pytest.raises(ConfigError, match=repr(fmt)):
        write_report(make_result(), out, fmt)
    assert not out.exists()


def test_summary_counts_rejections_by_stage_then_reason() -> None:
    reasons = ["read: empty file"] * 3 + ["decode: binary data"] * 2 + ["read: too large"]
    decisions = tuple(
        Decision(id=f"{i}.txt", path=f"{i}.txt", status="rejected", reason=r)
        for i, r in enumerate(reasons)
    )
    summary = format_summary(DedupResult(decisions=decisions, clusters=(), rejections=()))
    lines = summary.splitlines()
    assert lines[0].endswith("6 rejected")
    assert lines[1] == "rejected by stage: read 4, decode 2"
    assert lines[2:] == [
        "     3 read: empty file",
        "     2 decode: binary data",
        "     1 read: too large",
    ]


def test_summary_escapes_terminal_controls_from_file_names() -> None:
    evil = "\x1b]0;PWNED\x07\x1b[2J\x9b31m.txt"
    result = DedupResult(
        decisions=(
            Decision(id=evil, path=evil, status="kept", cluster=evil),
            Decision(id="r.txt", path="r.txt", status="rejected", reason=f"read: {evil}"),
        ),
        clusters=(Cluster(id=evil, canonical=evil, members=(evil, "b"), why="longest\x1b[2J"),),
        rejections=(),
    )
    summary = format_summary(result)
    assert not any(ch in summary for ch in "\x1b\x07\x9b\r")
    assert "\\x1b]0;PWNED\\x07\\x1b[2J\\x9b31m.txt" in summary
