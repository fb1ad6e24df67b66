"""Format upgrades: formats 1 to 4 brought to the current one, once."""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path
from unittest import mock

import pytest

from newsingest import store
from newsingest.pipeline import dedup
from newsingest.store import Index, StoreError, schema
from newsingest.store import bands as store_bands
from tests.store.helpers import (
    assert_filter_covers_bands,
    doc_key_rows,
    drop_format_4,
    make_article,
    make_format_3,
    make_format_4,
    make_format_5,
    run_rows,
    stored_bands,
)


@pytest.mark.parametrize("version", [1, 2])
def test_older_formats_are_upgraded(tmp_path: Path, version: int) -> None:
    db = tmp_path / "old.db"
    first = [make_article("a", 1), make_article("b", 2)]
    with Index.open(db) as index:
        index.add(first)
    # Make it an old file. Format 1: every band key in bands; format 2: new ones
    # in a bands_recent table, counted in meta; neither had runs nor filter.
    conn = sqlite3.connect(db, isolation_level=None)
    rows = run_rows(conn)
    assert rows
    if version == 2:
        conn.execute(
            "CREATE TABLE bands_recent(band INTEGER NOT NULL, key INTEGER NOT NULL, "
            "doc INTEGER NOT NULL, PRIMARY KEY(band, key, doc)) WITHOUT ROWID"
        )
        conn.executemany("INSERT INTO bands_recent VALUES (?, ?, ?)", rows)
        conn.execute(f"INSERT INTO meta VALUES ('recent_band_rows', '{len(rows)}')")
    else:
        conn.executemany("INSERT INTO bands VALUES (?, ?, ?)", rows)
    conn.execute("DROP TABLE band_runs")
    conn.execute("DROP TABLE band_filter")
    doc_keys = doc_key_rows(conn)
    assert doc_keys
    drop_format_4(conn)
    conn.execute(f"UPDATE meta SET value = '{version}' WHERE name = 'format_version'")
    conn.close()
    with pytest.raises(StoreError, match="open it once for writing"):
        Index.open(db, readonly=True)
    with Index.open(db) as index:
        assert index.stats()["format_version"] == store.FORMAT_VERSION
        assert index.check() == "ok"
        later = [make_article("c", 1, keep=5), make_article("d", 3)]
        index.add(later)
        assert tuple(index.export_clusters()) == dedup(first + later).decisions
        # "a" is found through bands (the old file's), "c" through a run.
        assert {m.id for m in index.query(make_article("q", 1, keep=4))} == {"a", "c"}
    conn = sqlite3.connect(db)
    assert set(doc_key_rows(conn)) >= set(doc_keys)  # rebuilt for a and b, then c and d added
    assert conn.execute("SELECT COUNT(*) FROM bands").fetchone()[0] == len(rows)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "bands_recent" not in tables
    assert (
        conn.execute("SELECT COUNT(*) FROM meta WHERE name = 'recent_band_rows'").fetchone()[0] == 0
    )
    assert_filter_covers_bands(conn)
    conn.close()


def test_format_3_is_read_as_it_is_and_upgraded_on_first_write(tmp_path: Path) -> None:
    db = tmp_path / "v3.db"
    # Two copies of an outlet's promo: not boilerplate until the third arrives.
    first = [make_article("a", 1, outlet=0), make_article("b", 2, outlet=0)]
    with Index.open(db) as index:
        index.add(first)
    # Format 3 stored articles as zlib; format 4 writes zstd.
    conn = sqlite3.connect(db, isolation_level=None)
    blobs = conn.execute("SELECT doc, article FROM documents").fetchall()
    assert all(blob.startswith(b"\x28\xb5\x2f\xfd") for _, blob in blobs)
    conn.executemany(
        "UPDATE documents SET article = ? WHERE doc = ?",
        [(zlib.compress(schema.article_bytes(blob)), doc) for doc, blob in blobs],
    )
    doc_keys = doc_key_rows(conn)
    conn.close()
    make_format_3(db)  # format 3 had only doc_lines
    with Index.open(db, readonly=True) as index:  # read as it is, not changed
        assert index.stats()["format_version"] == 3
        assert {m.id for m in index.query(make_article("q", 1, outlet=0))} == {"a"}
    later = [make_article("c", 3, outlet=0), make_article("e", 1, outlet=1, keep=5)]
    with Index.open(db) as index:
        assert index.stats()["format_version"] == store.FORMAT_VERSION == 6
        assert doc_key_rows(index._conn) == doc_keys  # rebuilt from doc_lines and lines
        assert index.add(first[:1]).params.index.unchanged == 1  # compared with a zlib article
        # The promo turns boilerplate: a and b are stripped again from their zlib articles.
        assert index.add(later).params.index.refingerprinted == 2
        assert tuple(index.export_clusters()) == dedup(first + later).decisions
        assert index.check() == "ok"


def test_two_writers_opening_a_format_3_file_upgrade_it_once(tmp_path: Path) -> None:
    db = tmp_path / "v3.db"
    with Index.open(db) as index:
        index.add([make_article("a", 1, outlet=0), make_article("b", 2, outlet=0)])
    make_format_3(db)
    read_meta = schema.read_meta

    def another_writer_meanwhile(conn: sqlite3.Connection, file: Path) -> dict[str, str]:
        meta = read_meta(conn, file)  # this writer has seen format 3 ...
        if meta["format_version"] == "3":
            with mock.patch.object(schema, "read_meta", read_meta):
                Index.open(file).close()  # ... and another one upgrades the file now
        return meta

    with mock.patch.object(schema, "read_meta", another_writer_meanwhile):
        index = Index.open(db)
    with index:
        assert index.stats()["format_version"] == store.FORMAT_VERSION
        assert len(doc_key_rows(index._conn)) == 2
        assert index.check() == "ok"


def test_format_4_is_read_as_it_is_and_upgraded_on_first_write(tmp_path: Path) -> None:
    db = tmp_path / "v4.db"
    first = [make_article(f"a{i}", i, outlet=0) for i in range(4)]
    with Index.open(db) as index:
        index.add(first)
    make_format_4(db)  # no document counters, no line_state
    with Index.open(db, readonly=True) as index:  # read as it is, not changed
        assert index.stats()["format_version"] == 4
        assert index.stats()["documents"] == 4  # counted: format 4 keeps no count
    later = [make_article("b", 1, outlet=0, keep=5), make_article("c", 7, outlet=1)]
    with Index.open(db) as index:
        assert index.stats()["format_version"] == store.FORMAT_VERSION == 6
        meta = dict(index._conn.execute("SELECT name, value FROM meta").fetchall())
        assert (meta["documents_added"], meta["documents_removed"]) == ("4", "0")
        assert index._conn.execute("SELECT COUNT(*) FROM line_state").fetchone()[0] == 0
        index.add(later)
        index.remove(["a0"])
        assert index.stats()["documents"] == 5
        assert tuple(index.export_clusters()) == dedup(first[1:] + later).decisions
        assert index.check() == "ok"


def test_format_5_is_read_as_it_is_and_its_filter_rebuilt_on_first_write(tmp_path: Path) -> None:
    db = tmp_path / "v5.db"
    first = [make_article(f"a{i}", i, outlet=i % 2) for i in range(6)]
    later = [make_article("b", 1, outlet=0, keep=5), make_article("c", 4, keep=4)]
    later += [make_article("d", 30, outlet=1)]
    asked = [make_article("q1", 1, keep=4), make_article("q3", 3, outlet=1), *later]
    # Every batch merged into bands at once: the filter is written, and later
    # documents find their stored mates only through it.
    with (
        mock.patch.object(store_bands, "_MERGE_MIN_DOCS", 0),
        mock.patch.object(store_bands, "_MERGE_SHARE", 10**9),
    ):
        with Index.open(db) as index:
            index.add(first)
            answers = {q.id: index.query(q) for q in asked}
        assert any(answers.values())
        make_format_5(db)
        conn = sqlite3.connect(db)
        assert conn.execute("SELECT COUNT(*) FROM band_runs").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM bands").fetchone()[0] > 0
        assert conn.execute("SELECT COUNT(*) FROM band_filter").fetchone()[0] == 16  # old layout
        conn.close()
        with Index.open(db, readonly=True) as index:  # read as it is, not changed
            assert index.stats()["format_version"] == 5
            assert not index._band_store.use_filter  # its filter has the old layout
            assert {q.id: index.query(q) for q in asked} == answers
        with Index.open(db) as index:
            assert index.stats()["format_version"] == store.FORMAT_VERSION == 6
            assert index._band_store.use_filter
            parts = index._conn.execute("SELECT COUNT(*) FROM band_filter").fetchone()[0]
            assert parts == stored_bands(index._conn) == index.bands
            assert_filter_covers_bands(index._conn)
            assert {q.id: index.query(q) for q in asked} == answers
            # A then B is A and B together: later's stored mates are found through the filter.
            index.add(later)
            assert tuple(index.export_clusters()) == dedup(first + later).decisions
            assert_filter_covers_bands(index._conn)
            assert index.check() == "ok"
