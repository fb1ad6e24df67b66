"""The scale benchmark's memory rows: goals met and not met, growth past 1M, stages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from benchmarks import scale
from benchmarks.report import scale_goals
from benchmarks.scale import StageMemory, growth_lines, memory_verdict, stage_table


def _row(size: int, mode: str, wall: float, peak: float) -> dict[str, Any]:
    stage = {
        "stage": "link",
        "main_peak_mb": peak - 100.0,
        "main_rss_mb": 50.0,
        "workers": 1,
        "workers_peak_mb": 100.0,
        "largest_worker_peak_mb": 100.0,
        "workers_rss_mb": 90.0,
        "all_peak_mb": peak,
    }
    return {
        "size": size,
        "mode": mode,
        "wall_s": wall,
        "all_peak_rss_mb": peak,
        "stage_memory": [stage],
    }


def test_memory_goal_rows_say_met_and_not_met() -> None:
    rows = [
        _row(1_000_000, "local-1", 50.0, 1900.0),
        _row(1_000_000, "local-2", 30.0, 2100.0),
        _row(10_000_000, "local-1", 700.0, 3000.0),
    ]
    goals = {label: (value, met) for _, label, value, met in scale_goals(rows)}
    assert goals["1,000,000 articles, local-1: peak RSS of all processes <= 2,000 MB"] == (
        "1,900 MB",
        "met",
    )
    assert goals["1,000,000 articles, local-2: peak RSS of all processes <= 2,000 MB"][1] == (
        "**not met**"
    )
    # 10x the articles in 14x the time: 1.4x of linear.
    assert goals["local-1 from 1,000,000 to 10,000,000 articles within 1.3x of linear"] == (
        "1.40x",
        "**not met**",
    )
    assert growth_lines(rows) == [
        "local-1: 1,000,000 -> 10,000,000 articles at 1.40x of linear time (goal <= 1.3x: not met)"
    ]
    assert [memory_verdict(r) for r in rows] == ["met", "not met", "not met"]
    assert memory_verdict(_row(100_000, "local-1", 5.0, 9999.0)) == "-"  # below the goal's size


def test_stage_rows_show_each_stage() -> None:
    table = stage_table([_row(1_000_000, "local-2", 30.0, 1500.0)])
    assert table == [["1,000,000", "local-2", "link", "1400", "50", "100", "90", "1500"]]


def test_stage_memory_reads_this_process() -> None:
    stages = StageMemory()
    stages("ingest")
    summary = stages.summary()
    (only,) = summary["stage_memory"]
    assert only["stage"] == "ingest"
    assert only["main_peak_mb"] >= only["main_rss_mb"] > 0
    assert summary["all_peak_rss_mb"] >= only["main_peak_mb"]


def test_growth_in_cpu_time_is_reported_when_measured() -> None:
    rows = [_row(1_000_000, "local-1", 50.0, 1900.0), _row(10_000_000, "local-1", 700.0, 3000.0)]
    rows[0]["cpu_s"], rows[1]["cpu_s"] = 100.0, 1200.0
    assert growth_lines(rows)[1] == (
        "local-1: 1,000,000 -> 10,000,000 articles at 1.20x of linear CPU time (goal <= 1.3x: met)"
    )


def test_fast_corpus_is_seeded_in_parts_with_distinct_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scale, "PART", 2 * scale.SHARD)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    paths = scale.generate_fast(tmp_path / "a", 4500, jobs=1)
    again = scale.generate_fast(tmp_path / "b", 4500, jobs=1)
    rows = [json.loads(line) for p in paths for line in Path(p).read_text("utf-8").splitlines()]
    assert [r["id"] for r in rows] == [f"a{i}" for i in range(4500)]
    assert [Path(p).read_bytes() for p in paths] == [Path(p).read_bytes() for p in again]
    # Every article has its outlet's lines around it; a fifth or so are copies.
    assert all(r["text"].startswith(scale.OUTLETS[i % 4][0]) for i, r in enumerate(rows))
    titles = [r["title"].lower() for r in rows]
    assert 0.1 < 1 - len(set(titles)) / len(titles) < 0.3
