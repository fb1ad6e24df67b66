"""``newsingest reuse`` run in-process."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from newsingest.cli import main
from tests.reuse.fixtures import write_pairs


def test_reuse_writes_a_csv_report_and_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    papers, wire = write_pairs(tmp_path / "in")
    report = tmp_path / "reuse.csv"
    code = main(["reuse", str(papers), "--sources", str(wire), "--report", str(report)])
    assert code == 0
    with report.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    labels = {r["target"]: r["label"] for r in rows}
    assert labels == {
        "latin-derived.txt": "wholly",
        "urdu-derived.txt": "wholly",
        "latin-independent.txt": "none",
        "urdu-independent.txt": "none",
    }
    derived = next(r for r in rows if r["target"] == "urdu-derived.txt")
    assert derived["source"] == "urdu.txt"
    assert int(derived["passages"]) > 0
    assert 0 < float(derived["share"]) <= 1
    out = capsys.readouterr().out
    assert "4 targets, 2 sources (given): 2 derive from at least one source (2 wholly)" in out


def test_reuse_jsonl_holds_passage_offsets_and_explain_quotes_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    papers, wire = write_pairs(tmp_path / "in")
    report = tmp_path / "reuse.jsonl"
    code = main(
        ["reuse", str(papers), "--sources", str(wire), "--report", str(report), "--explain"]
    )
    assert code == 0
    rows = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    derived = [r for r in rows if r["label"] == "wholly"]
    assert len(derived) == 2
    for row in derived:
        assert len(row["passage_offsets"]) == row["passages"] > 0
    out = capsys.readouterr().out
    assert "latin-derived.txt derives wholly from latin.txt" in out
    assert "'The city council on Monday approved a new budget of 120 million" in out


def test_reuse_refuses_a_missing_input(tmp_path: Path) -> None:
    assert main(["reuse", str(tmp_path / "nowhere"), "--report", str(tmp_path / "r.csv")]) == 1
    assert not (tmp_path / "r.csv").exists()


def test_reuse_refuses_a_report_inside_an_input(tmp_path: Path) -> None:
    papers, wire = write_pairs(tmp_path / "in")
    assert main(["reuse", str(papers), "--sources", str(wire), "--report", str(papers)]) == 2
