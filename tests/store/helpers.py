"""What the index tests share: generated articles and corpora, and readers of the file."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from newsingest.matching.link import WHY_INCUMBENT, decision
from newsingest.pipeline import dedup
from newsingest.records import Article, Cluster, Decision, Decoding
from newsingest.store import Index
from newsingest.store import bands as store_bands
from tests.factories import story

OUTLETS = [
    ("Subscribe to the Daily Planet for just one dollar a week!", "Daily Planet, all rights kept."),
    (
        "WIRE SERVICE news as it happens around the clock",
        "Reporting by our desk; editing by staff.",
    ),
    ("Follow the Evening Post on every social network today", "Evening Post, since 1901"),
]
UTF8 = Decoding(encoding="utf-8", method="utf-8", confidence=1.0)


def make_article(
    doc_id: str,
    seed: int,
    *,
    outlet: int | None = None,
    keep: int = 6,
    day: int | None = 3,
) -> Article:
    """A copy of story ``seed``: its first ``keep`` paragraphs, wrapped by an outlet's lines."""
    title, paras = story(seed)
    body = paras[:keep]
    if outlet is not None:
        promo, footer = OUTLETS[outlet]
        body = [promo, *body, footer]
    return Article(
        id=doc_id,
        path=doc_id + ".txt",
        format="text",
        title=title,
        date=dt.date(2024, 3, day) if day else None,
        paragraphs=tuple(body),
        decoding=UTF8,
    )


doc_spec = st.tuples(
    st.integers(0, 5),  # story
    st.one_of(st.none(), st.integers(0, 2)),  # outlet
    st.integers(2, 6),  # paragraphs kept
    st.one_of(st.none(), st.integers(1, 9)),  # day
    st.integers(0, 2),  # which part (A, B or C) it is added in
)


def build(specs: list[tuple[int, int | None, int, int | None, int]]) -> list[tuple[Article, int]]:
    return [
        (make_article(f"d{i:02d}", s, outlet=o, keep=k, day=d), part)
        for i, (s, o, k, d, part) in enumerate(specs)
    ]


def clusters_of(index: Index) -> set[tuple[str, tuple[str, ...], str]]:
    return {(c.canonical, c.members, c.why) for c in index.iter_clusters()}


def batch_clusters(articles: list[Article]) -> set[tuple[str, tuple[str, ...], str]]:
    return {(c.canonical, c.members, c.why) for c in dedup(articles).clusters}


SETTINGS = settings(
    max_examples=int(os.environ.get("STORE_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def run_rows(conn: sqlite3.Connection) -> list[tuple[int, int, int]]:
    """Every (band, key, doc) stored in the runs."""
    out = []
    for bounds, keys, docs in conn.execute("SELECT bounds, keys, docs FROM band_runs"):
        band = np.repeat(np.arange(len(bounds) // 8 - 1), np.diff(np.frombuffer(bounds, "<i8")))
        k, d = np.frombuffer(keys, "<i8"), np.frombuffer(docs, "<i8")
        out += list(zip(band.tolist(), k.tolist(), d.tolist(), strict=True))
    return out


def doc_key_rows(conn: sqlite3.Connection) -> list[tuple[int, bytes, bytes]]:
    return conn.execute("SELECT doc, keys, words FROM doc_keys ORDER BY doc").fetchall()


def stored_bands(conn: sqlite3.Connection) -> int:
    """How many bands the index's settings give."""
    dedup = conn.execute("SELECT value FROM meta WHERE name = 'dedup'").fetchone()[0]
    return int(json.loads(dedup)["bands"])


def assert_filter_covers_bands(conn: sqlite3.Connection) -> None:
    nbands = stored_bands(conn)
    per_band = store_bands.read_filter(conn, nbands)
    assert len(per_band) == nbands or not per_band
    for band, fps in enumerate(per_band):
        assert np.all(np.diff(fps.astype(np.int64)) > 0)  # sorted, distinct
        stored = {
            r[0]
            for r in conn.execute(f"SELECT {store_bands.FP_SQL} FROM bands WHERE band = ?", (band,))
        }
        assert stored <= set(fps.tolist())
    keys = np.array([r[0] for r in conn.execute("SELECT key FROM bands")], np.int64)
    assert len(keys) == 0 or per_band  # no filter: nothing in bands
    # numpy computes the fingerprints SQLite computes
    in_sql = [r[0] for r in conn.execute(f"SELECT {store_bands.FP_SQL} FROM bands")]
    assert store_bands.fingerprints(keys).tolist() == in_sql


_OLD_FP_BAND = 2654435761


def old_fingerprints(bands: npt.NDArray[np.int64], keys: npt.NDArray[np.int64]) -> npt.NDArray[Any]:
    """Format 5's fingerprints: every band in one 32-bit space."""
    return ((keys >> 32) + bands * _OLD_FP_BAND & 0xFFFFFFFF).astype(np.uint32)


def write_format_5_filter(conn: sqlite3.Connection) -> None:
    """Replace ``band_filter`` (if there is one) by format 5's: 16 parts of one shared space."""
    if conn.execute("SELECT COUNT(*) FROM band_filter").fetchone()[0] == 0:
        return
    conn.execute("DELETE FROM band_filter")
    rows = np.array(conn.execute("SELECT band, key FROM bands").fetchall(), np.int64).reshape(-1, 2)
    fps = np.unique(old_fingerprints(rows[:, 0], rows[:, 1]))
    for part in range(16):
        mine = fps[fps >> 28 == part]
        counts = np.bincount((mine >> 16) & 4095, minlength=4096).astype("<u4")
        conn.execute(
            "INSERT INTO band_filter(part, token, counts, low) VALUES (?, ?, ?, ?)",
            (part, part + 1, counts.tobytes(), (mine & 0xFFFF).astype("<u2").tobytes()),
        )


def drop_format_5(conn: sqlite3.Connection) -> None:
    """Remove what format 5 added to format 4's schema."""
    conn.execute("DROP TRIGGER documents_added")
    conn.execute("DROP TRIGGER documents_removed")
    conn.execute("DROP TABLE line_state")
    conn.execute(
        "DELETE FROM meta WHERE name IN "
        "('documents_added', 'documents_removed', 'verdict_state_at')"
    )


def _make_format(db: Path, version: int, drop: Callable[[sqlite3.Connection], None]) -> None:
    """Turn an index of the current format into one of ``version``: the filter in the
    layout formats 3 to 5 had, ``drop`` removing what came after ``version``."""
    conn = sqlite3.connect(db, isolation_level=None)
    write_format_5_filter(conn)
    drop(conn)
    conn.execute("UPDATE meta SET value = ? WHERE name = 'format_version'", (str(version),))
    conn.execute(f"PRAGMA user_version = {version}")
    conn.close()


def make_format_5(db: Path) -> None:
    _make_format(db, 5, lambda conn: None)


def make_format_4(db: Path) -> None:
    _make_format(db, 4, drop_format_5)


def drop_format_4(conn: sqlite3.Connection) -> None:
    """Remove what formats 4 and 5 added to format 3's schema."""
    drop_format_5(conn)
    conn.execute("DROP TRIGGER doc_keys_follow")
    conn.execute("DROP TABLE doc_keys")
    conn.execute("DROP INDEX lines_candidates")
    conn.execute("DROP INDEX lines_boilerplate")


def make_format_3(db: Path) -> None:
    _make_format(db, 3, drop_format_4)


def content_terms(db: Path) -> dict[str, tuple[str | None, int, int]]:
    """Each stored document's date, shingles and repairs: the terms a tie is decided on."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {
            r[0]: (r[1], r[2], r[3])
            for r in conn.execute("SELECT id, date, shingles, repairs FROM documents")
        }
    finally:
        conn.close()


def assert_same_but_stored_ties(
    stored: tuple[Sequence[Decision], Sequence[Cluster]],
    batch: tuple[Sequence[Decision], Sequence[Cluster]],
    *,
    terms: Mapping[str, tuple[str | None, int, int]],
    published: AbstractSet[str],
) -> None:
    """The index after adding parts equals the batch run of them all, but for ties.

    The same clusters (members) always. The same canonical, ``why`` and rows,
    unless the index kept a copy it had already ``published`` (kept before its
    last update) that ties with the batch's canonical on date, shingles and
    repairs; the cluster's ``why`` then says "already published" and its rows
    name the stored copy.
    """
    (my_rows, my_clusters), (their_rows, their_clusters) = stored, batch
    assert sorted(c.members for c in my_clusters) == sorted(c.members for c in their_clusters)
    theirs = {c.members: c for c in their_clusters}
    canonical_of: dict[str, str] = {}
    for mine in my_clusters:
        other = theirs[mine.members]
        if mine.canonical == other.canonical:
            assert mine.why == other.why, (mine, other)
            continue
        assert mine.why == WHY_INCUMBENT, (mine, other)
        assert terms[mine.canonical] == terms[other.canonical], (mine, other)
        assert mine.canonical in published, (mine, other)
        canonical_of.update(dict.fromkeys(mine.members, mine.canonical))
    assert [d.id for d in my_rows] == [d.id for d in their_rows]
    for mine_row, their_row in zip(my_rows, their_rows, strict=True):
        if mine_row.id not in canonical_of:
            assert mine_row == their_row
            continue
        canonical = canonical_of[mine_row.id]
        expected = decision(
            their_row.id, their_row.path, canonical, mine_row.similarity, mine_row.containment
        )
        assert mine_row == expected


def kept_ids(index: Index) -> set[str]:
    """The ids the index holds as canonicals (singletons included): what it has published."""
    return {d.id for d in index.export_clusters() if d.status == "kept"}
