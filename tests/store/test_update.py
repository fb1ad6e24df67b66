"""One update of the index: all or nothing, its stages timed, its steps explicit."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsingest.store import Index
from newsingest.store.update import Seeds, Update, UpdateCounts
from tests.store.helpers import make_article


def test_failed_batch_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "x.db"
    with Index.open(db) as index:
        index.add([make_article("a", 1)])

        def boom(*_args: object, **_kw: object) -> None:
            raise RuntimeError("boom")

        monkeypatch.setattr(Update, "recluster", boom)
        with pytest.raises(RuntimeError):
            index.add([make_article("b", 1), make_article("c", 2)])
        assert [d.id for d in index.export_clusters()] == ["a"]


def test_add_reports_its_stages(tmp_path: Path) -> None:
    with Index.open(tmp_path / "t.db") as index:
        index.add([make_article("a", 1, outlet=0), make_article("b", 2, outlet=0)])
        timings = index.add(
            [make_article("c", 3, outlet=0), make_article("d", 1, outlet=1, keep=5)]
        ).timings
    stages = {"ingest", "store articles", "boilerplate verdicts", "fingerprint", "link"}
    assert stages | {"verify", "band runs", "clusters", "commit", "report", "total"} <= set(timings)


def test_nested_stage_times_are_not_counted_twice() -> None:
    # A given sequence of clock readings, so the arithmetic is checked without timing
    # anything: the outer stage starts at 0, the inner one runs from 1 to 3, the outer ends
    # at 10.
    readings = iter([0.0, 1.0, 3.0, 10.0])
    report = UpdateCounts(clock=lambda: next(readings))
    with report.timed("outer"), report.timed("inner"):
        pass
    assert dict(report.seconds) == {"outer": 8.0, "inner": 2.0}


def test_fingerprint_step_reads_and_the_representatives_step_writes(tmp_path: Path) -> None:
    # The steps hand their results on: fingerprint() returns the old and the new
    # fingerprint without writing them, so representatives() can still undo the old one.
    with Index.open(tmp_path / "s.db") as index:
        index.add([make_article("a", 1), make_article("b", 2)])
        conn = index._conn
        table = "SELECT doc, digest, signature, shingles, rep FROM documents ORDER BY doc"
        before = conn.execute(table).fetchall()
        conn.execute("BEGIN IMMEDIATE")
        try:
            update = Update(conn, index.config, index._band_store)
            prints = update.fingerprint([1, 2], {1}, {})
            assert prints.changed == [1]  # new to this update; 2 is unchanged
            assert prints.old[1] == (before[0][1], 1, before[0][2], before[0][3])
            assert prints.new[1][:3] == before[0][1:4]  # same text, same fingerprint
            assert conn.execute(table).fetchall() == before
            link, joined = update.representatives([1], prints, {1}, set())
            assert (link, joined) == ([1], set())
            assert conn.execute(table).fetchall() == before  # rep is 1 again
        finally:
            conn.execute("ROLLBACK")


def test_an_update_that_starts_from_nothing_changes_nothing(tmp_path: Path) -> None:
    with Index.open(tmp_path / "n.db") as index:
        index.add([make_article("a", 1), make_article("b", 1, keep=5)])
        before = tuple(index.export_clusters())
        counts = UpdateCounts()
        with index._transaction():
            Update(index._conn, index.config, index._band_store, counts).refresh(Seeds())
        assert tuple(index.export_clusters()) == before
        assert counts.changes == []
        assert (counts.joined, counts.verdict_flips, counts.candidate_pairs) == (0, 0, 0)
