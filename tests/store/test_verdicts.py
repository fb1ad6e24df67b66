"""Boilerplate verdicts of the index: read through partial indexes, from ``doc_keys``."""

from __future__ import annotations

from pathlib import Path

from newsingest.pipeline import dedup
from newsingest.store import Index, schema
from tests.store.helpers import (
    doc_key_rows,
    make_article,
)


def test_verdict_update_reads_lines_through_partial_indexes(tmp_path: Path) -> None:
    # The daily verdict update must not scan every paragraph key ever stored.
    with Index.open(tmp_path / "p.db") as index:
        index.add([make_article("a", 1, outlet=0)])
        plans = [
            " ".join(str(row[-1]) for row in index._conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
            for sql in schema.verdict_key_queries(index.config.boilerplate)
        ]
    assert "lines_candidates" in plans[0]
    assert "lines_boilerplate" in plans[1]


def test_documents_an_older_writer_added_get_their_doc_keys(tmp_path: Path) -> None:
    # An older newsingest whose session began before the upgrade writes doc_lines but
    # not doc_keys; the verdict update makes the missing rows instead of reading none.
    first = [make_article("a", 1, outlet=0), make_article("b", 2, outlet=0)]
    later = [make_article("c", 3, outlet=0)]
    with Index.open(tmp_path / "mixed.db") as index:
        index.add(first)
        rows = doc_key_rows(index._conn)
        index._conn.execute("DELETE FROM doc_keys")
        assert index.add(later).params.index.refingerprinted == 2  # the promo turns boilerplate
        assert doc_key_rows(index._conn)[:2] == rows
        assert tuple(index.export_clusters()) == dedup(first + later).decisions
        index.remove(["a"])  # doc_keys follows doc_lines, whoever deletes
        assert [r[0] for r in doc_key_rows(index._conn)] == [2, 3]
