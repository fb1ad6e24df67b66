"""Stored clusters: recomputed with the linking core, read back as the batch report's rows."""

from __future__ import annotations

from pathlib import Path

from newsingest.pipeline import dedup
from newsingest.store import Index, clusters
from tests.store.helpers import make_article


def test_reclustering_unchanged_clusters_changes_nothing(tmp_path: Path) -> None:
    arts = [
        make_article("a", 1, day=2),
        make_article("b", 1, keep=5, day=4),
        make_article("c", 1, keep=5, day=4),  # an exact copy of b: joined by digest
        make_article("d", 2, outlet=0),
        make_article("e", 2, keep=4, outlet=1, day=None),
        make_article("f", 3),
    ]
    with Index.open(tmp_path / "c.db") as index:
        index.add(arts)
        conn = index._conn
        before = tuple(index.export_clusters())
        assert before == dedup(arts).decisions
        every = {r[0] for r in conn.execute("SELECT doc FROM documents")}
        conn.execute("BEGIN IMMEDIATE")
        try:
            done = clusters.recluster(conn, every, seed_clusters=set(), new_set=set(), gone={})
            assert done == clusters.Reclustered()
            assert tuple(index.export_clusters()) == before
            assert list(index.iter_clusters()) == list(dedup(arts).clusters)
        finally:
            conn.execute("ROLLBACK")
        ids = [a.id for a in arts]
        assert sorted(clusters.decisions_of(conn, ids), key=lambda d: d.id) == list(before)
        assert clusters.clusters_of(conn, ["f"]) == []
        assert [c.members for c in clusters.clusters_of(conn, ["b"])] == [("a", "b", "c")]
