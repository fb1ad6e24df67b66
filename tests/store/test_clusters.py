"""Stored clusters: recomputed with the linking core, read back as the batch report's rows."""

from __future__ import annotations

from pathlib import Path

from newsingest.config import DedupConfig, IngestConfig, ReadConfig
from newsingest.matching.link import WHY_INCUMBENT
from newsingest.pipeline import dedup
from newsingest.store import Index, clusters
from tests.factories import article_text, story, write
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


# Every argument's folder in the ids, as for a daily pipeline that keeps each day's folder.
PREFIXED = DedupConfig(ingest=IngestConfig(read=ReadConfig(prefix_ids=True)))


def test_re_added_stories_are_duplicates_of_the_stored_copies(tmp_path: Path) -> None:
    # Day A's folder sorts after day B's: on a tie of content the smallest id would win.
    for day in ("raw", "a_news"):
        for i in range(4):
            title, paras = story(40 + i)
            write(tmp_path / day / f"s{i}.txt", article_text(title, paras))
        write(tmp_path / day / "copy.txt", article_text(*story(40)))  # a copy within the day
    with Index.open(tmp_path / "news.db", PREFIXED) as index:
        day_a = index.add([tmp_path / "raw"])
        kept_a = {d.id for d in day_a.decisions if d.status == "kept"}
        day_b = index.add([tmp_path / "a_news"])
        stored = list(index.iter_clusters())
    assert len(kept_a) == 4
    rows = {d.id: d for d in day_b.decisions}
    assert len(rows) == 5
    for row in rows.values():
        assert row.status == "duplicate"
        assert row.duplicate_of in kept_a
        name = Path(row.id).name
        same = "copy.txt" if name == "s0.txt" else name  # day A kept the smaller id of s0, copy
        assert row.duplicate_of == str(tmp_path / "raw" / same)
    assert day_b.params.index is not None
    assert day_b.params.index.canonical_changes == 0
    assert day_b.params.index.changes == ()
    assert {c.canonical for c in stored} == kept_a
    assert {c.why for c in stored} == {WHY_INCUMBENT}


def test_a_stored_canonical_gives_way_to_a_strictly_better_copy(tmp_path: Path) -> None:
    with Index.open(tmp_path / "x.db") as index:
        index.add([make_article("m", 1, day=5), make_article("n", 1, day=5)])
        tie = index.add([make_article("a", 1, day=5)])  # sorts first, ties on content
        assert {d.id: d.duplicate_of for d in tie.decisions} == {"a": "m"}
        assert tie.params.index is not None
        assert tie.params.index.canonical_changes == 0
        better = index.add([make_article("z", 1, day=4)])  # earlier: strictly better
        assert better.params.index is not None
        assert better.params.index.canonical_changes == 1
        assert [(c.canonical, c.why) for c in index.iter_clusters()] == [
            ("z", "earliest date 2024-03-04")
        ]
        # Removing the canonical hands over by the rank alone: nothing else is stored as one.
        index.remove("z")
        assert [(c.canonical, c.why) for c in index.iter_clusters()] == [("a", "smallest id")]


def test_a_replaced_canonical_keeps_its_place(tmp_path: Path) -> None:
    with Index.open(tmp_path / "x.db") as index:
        index.add([make_article("m", 1)])
        index.add([make_article("a", 1)])
        assert [c.canonical for c in index.iter_clusters()] == ["m"]
        # A new version of m (another outlet's wrapping): still a copy, still published.
        index.add([make_article("m", 1, outlet=2)])
        assert [(c.canonical, c.members) for c in index.iter_clusters()] == [("m", ("a", "m"))]
