"""Boilerplate verdicts of the index, kept equal to the batch run's.

Boilerplate is corpus-level. Each document's paragraph keys (``doc_lines``,
and ``doc_keys`` with one row per document) and every key's document frequency
(``lines``) are stored. A batch touches some candidate keys; the verdicts are
recomputed with the detector's own rule (:func:`boilerplate_keys`) on the
connected component (keys ↔ documents) of those keys, which holds every
document that can influence them, so the verdicts equal the batch ones.
Candidacy is :func:`candidate_sql`, the detector's definition in SQL.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from newsingest._arrays import equal_runs, expand_ranges, sorted_unique
from newsingest.config import BoilerplateConfig
from newsingest.matching.boilerplate import (
    BoilerplateModel,
    boilerplate_keys,
    candidate_sql,
    distinct_keys,
    key_paragraph_groups,
    key_paragraphs,
    strip_boilerplate,
)
from newsingest.records import Article
from newsingest.store.schema import (
    SQL_BATCH,
    DamagedValueError,
    blob,
    id_list,
    verdict_key_queries,
)

__all__ = [
    "boilerplate_among",
    "docs_holding",
    "fill_doc_keys",
    "forget_lines",
    "store_lines",
    "strip_with_stored",
    "update_verdicts",
]

_I64 = npt.NDArray[np.int64]


def strip_with_stored(conn: sqlite3.Connection, bp: BoilerplateConfig, article: Article) -> Article:
    """The article without its paragraphs whose stored verdict is boilerplate."""
    if not bp.enabled:
        return article
    keys, _ = key_paragraphs(article.paragraphs).tolist()
    found = {
        r[0]
        for r in conn.execute(
            "SELECT key FROM lines WHERE boilerplate = 1 AND key IN "
            "(SELECT value FROM json_each(?))",
            (id_list(dict.fromkeys(keys)),),
        )
    }
    return strip_boilerplate(article, BoilerplateModel(boilerplate=found))


def boilerplate_among(conn: sqlite3.Connection, keys: _I64) -> _I64:
    """Those of the sorted ``keys`` whose stored verdict is boilerplate, sorted.

    Looked up key by key in ``lines``: what a batch brings, not every stored key.
    """
    found: list[int] = []
    for lo in range(0, len(keys), SQL_BATCH):
        found += (
            r[0]
            for r in conn.execute(
                "SELECT key FROM lines WHERE boilerplate = 1 AND key IN "
                "(SELECT value FROM json_each(?))",
                (id_list(keys[lo : lo + SQL_BATCH].tolist()),),
            )
        )
    return np.array(sorted(found), dtype=np.int64)


def docs_holding(conn: sqlite3.Connection, keys: Iterable[int]) -> list[int]:
    """The stored documents with an article that hold one of ``keys``: to be stripped again."""
    return [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT dl.doc FROM doc_lines dl JOIN documents d ON d.doc = dl.doc "
            "WHERE d.article IS NOT NULL AND dl.key IN (SELECT value FROM json_each(?))",
            (id_list(keys),),
        )
    ]


# ---------------------------------------------------------------- upkeep of lines


def _doc_key_rows(
    docs: _I64, counts: _I64, keys: _I64, words: _I64
) -> Iterator[tuple[int, bytes, bytes]]:
    """``doc_keys`` rows: each document's distinct keys (ascending) and their word counts.

    A document without paragraphs gets no row, as it has none in ``doc_lines``.
    """
    ends = np.cumsum(counts)
    key_blob = blob(keys, "<i8")
    word_blob = blob(words, "<i4")
    for doc, end, count in zip(docs.tolist(), ends.tolist(), counts.tolist(), strict=True):
        if count:
            start = end - count
            yield doc, key_blob[8 * start : 8 * end], word_blob[4 * start : 4 * end]


def fill_doc_keys(conn: sqlite3.Connection, docs: Sequence[int] | None) -> None:
    """Write the ``doc_keys`` rows of ``docs`` (None: every document) from ``doc_lines``."""
    where = "" if docs is None else "WHERE dl.doc IN (SELECT value FROM json_each(?)) "
    cur = conn.execute(
        "SELECT dl.doc, dl.key, l.words FROM doc_lines dl JOIN lines l ON l.key = dl.key "
        f"{where}ORDER BY dl.doc, dl.key",
        () if docs is None else (id_list(docs),),
    )
    parts = []
    while rows := cur.fetchmany(1 << 20):
        parts.append(np.array(rows, dtype=np.int64))
    if not parts:
        return
    table = np.concatenate(parts)
    starts, counts = equal_runs(table[:, 0])  # sorted by document: each one's rows a stretch
    conn.executemany(
        "INSERT OR REPLACE INTO doc_keys(doc, keys, words) VALUES (?, ?, ?)",
        _doc_key_rows(table[starts, 0], counts, table[:, 1], table[:, 2]),
    )


def _candidates_among(
    conn: sqlite3.Connection, bp: BoilerplateConfig, keys: Iterable[int]
) -> set[int]:
    return {
        r[0]
        for r in conn.execute(
            f"SELECT key FROM lines WHERE {candidate_sql(bp)} AND key IN "
            "(SELECT value FROM json_each(?))",
            (id_list(keys),),
        )
    }


def store_lines(
    conn: sqlite3.Connection,
    bp: BoilerplateConfig,
    docs: Sequence[int],
    paragraphs: Sequence[Sequence[str]],
) -> set[int]:
    """Store new documents' paragraph keys and count them; the candidate keys among them."""
    # Each document's distinct keys (words of the first paragraph with the key),
    # then per key: the number of documents and the first document's words.
    (keys, words), counts = distinct_keys(*key_paragraph_groups(paragraphs))
    doc_arr = np.array(docs, dtype=np.int64)
    conn.executemany(
        "INSERT INTO doc_lines(doc, key) VALUES (?, ?)",
        zip(np.repeat(doc_arr, counts).tolist(), keys.tolist(), strict=True),
    )
    conn.executemany(
        "INSERT INTO doc_keys(doc, keys, words) VALUES (?, ?, ?)",
        _doc_key_rows(doc_arr, counts, keys, words),
    )
    uniq, at, df = np.unique(keys, return_index=True, return_counts=True)
    conn.executemany(
        "INSERT INTO lines(key, words, df) VALUES (?, ?, ?) "
        "ON CONFLICT(key) DO UPDATE SET df = df + excluded.df",
        zip(uniq.tolist(), words[at].tolist(), df.tolist(), strict=True),
    )
    return _candidates_among(conn, bp, uniq.tolist())


def forget_lines(conn: sqlite3.Connection, bp: BoilerplateConfig, docs: Sequence[int]) -> set[int]:
    """Uncount documents' paragraph keys before they go; the candidate keys among them.

    The keys are candidates as counted before: a key that stops being one must
    have its verdict reset too.
    """
    per_key: dict[int, int] = defaultdict(int)
    for (key,) in conn.execute(
        "SELECT key FROM doc_lines WHERE doc IN (SELECT value FROM json_each(?))",
        (id_list(docs),),
    ):
        per_key[key] += 1
    seed_keys = _candidates_among(conn, bp, per_key)
    conn.executemany(
        "UPDATE lines SET df = df - ? WHERE key = ?", [(n, k) for k, n in per_key.items()]
    )
    conn.execute(
        "DELETE FROM lines WHERE df <= 0 AND key IN (SELECT value FROM json_each(?))",
        (id_list(per_key),),
    )
    conn.execute(
        "DELETE FROM doc_lines WHERE doc IN (SELECT value FROM json_each(?))", (id_list(docs),)
    )
    return seed_keys


# ---------------------------------------------------------------- the verdicts


def update_verdicts(
    conn: sqlite3.Connection, bp: BoilerplateConfig, seed_keys: set[int]
) -> set[int]:
    """Recompute boilerplate verdicts on the component of ``seed_keys``; return the flips.

    The component is closed: every candidate key of one of its documents has all
    its documents in it. So a key's count among the component's documents is its
    document frequency wherever that decides candidacy, and the rule needs no
    ``lines`` row beyond the candidate keys and the stored verdicts. Documents'
    keys come from ``doc_keys``, one row per document.
    """
    if not (bp.enabled and seed_keys):
        return set()
    candidates, stored_bp = _verdict_keys(conn, bp)
    docs_sql = "SELECT DISTINCT doc FROM doc_lines WHERE key IN (SELECT value FROM json_each(?))"
    comp_docs: set[int] = set()
    comp_keys = np.array(sorted(seed_keys), dtype=np.int64)
    frontier = comp_keys
    parts: list[tuple[_I64, _I64, _I64, _I64]] = []
    # The seeds may have stopped being candidates (a removal): their
    # documents still belong to the component, their verdicts are reset below.
    while frontier.size:
        new_docs = {r[0] for r in conn.execute(docs_sql, (id_list(frontier.tolist()),))} - comp_docs
        if not new_docs:
            break
        comp_docs |= new_docs
        part = _doc_keys(conn, sorted(new_docs))
        parts.append(part)
        reached = sorted_unique(part[2][np.isin(part[2], candidates)])
        frontier = np.setdiff1d(reached, comp_keys, assume_unique=True)
        comp_keys = sorted_unique(np.concatenate((comp_keys, frontier)))
    if not comp_docs:
        stale = {int(k) for k in np.intersect1d(comp_keys, stored_bp, assume_unique=True)}
        _set_verdicts(conn, stale, 0)
        return stale
    doc_ids = np.concatenate([p[0] for p in parts])
    lengths = np.concatenate([p[1] for p in parts])
    keys = np.concatenate([p[2] for p in parts])
    words = np.concatenate([p[3] for p in parts])
    # In document order, as the rule's batch form sees them.
    order = np.argsort(doc_ids, kind="stable")
    offsets = np.cumsum(lengths) - lengths
    _, pos = expand_ranges(offsets[order], lengths[order])
    keys, words, lengths = keys[pos], words[pos], lengths[order]
    # Counted among the component's documents, a key's frequency is its document
    # frequency wherever that decides candidacy (see above).
    uniq = sorted_unique(keys)
    verdict = np.isin(uniq, boilerplate_keys(keys, words, lengths, bp), assume_unique=True)
    stored = np.isin(uniq, stored_bp)
    flips = {int(k) for k in uniq[verdict != stored]}
    _set_verdicts(conn, {int(k) for k in uniq[verdict & ~stored]}, 1)
    _set_verdicts(conn, {int(k) for k in uniq[~verdict & stored]}, 0)
    return flips


def _verdict_keys(conn: sqlite3.Connection, bp: BoilerplateConfig) -> tuple[_I64, _I64]:
    """The candidate keys and the keys whose stored verdict is boilerplate, sorted.

    Candidacy is by global document frequency and length; each list is read
    through its partial index, not by scanning every key.
    """
    columns = []
    for sql in verdict_key_queries(bp):
        rows = conn.execute(sql).fetchall()
        columns.append(np.fromiter(itertools.chain.from_iterable(rows), np.int64, len(rows)))
    return columns[0], columns[1]


def _doc_keys(conn: sqlite3.Connection, docs: Sequence[int]) -> tuple[_I64, _I64, _I64, _I64]:
    """``(docs, lengths, keys, words)``: each document's distinct keys, from ``doc_keys``."""
    rows = _doc_key_blobs(conn, docs)
    if len(rows) < len(docs):
        # Documents an older newsingest added after the upgrade, through a session it
        # had opened before: it writes doc_lines only. Their rows are made now.
        missing = sorted(set(docs) - {row[0] for row in rows})
        fill_doc_keys(conn, missing)
        rows += _doc_key_blobs(conn, missing)
    if not rows:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, empty, empty
    # Columns at C speed: a component can hold every stored article of an outlet.
    doc_col, key_col, word_col, length_col = zip(*rows, strict=True)
    keys = np.frombuffer(b"".join(key_col), dtype="<i8").astype(np.int64)
    words = np.frombuffer(b"".join(word_col), dtype="<i4").astype(np.int64)
    lengths = np.array(length_col, dtype=np.int64)
    return np.array(doc_col, dtype=np.int64), lengths, keys, words


# The checks a doc_keys row must pass, done by SQLite: 8 bytes of key per 4 bytes of
# word count, both BLOBs. Rows read in bulk are checked without a Python test per row.
_DOC_KEYS_SQL = (
    "SELECT doc, keys, words, length(keys) / 8, "
    "typeof(keys) = 'blob' AND typeof(words) = 'blob' "
    "AND length(keys) % 8 = 0 AND 2 * length(words) = length(keys) "
    "FROM doc_keys WHERE doc IN (SELECT value FROM json_each(?))"
)


def _doc_key_blobs(conn: sqlite3.Connection, docs: Sequence[int]) -> list[tuple[Any, ...]]:
    """``(doc, keys, words, count)`` rows of ``doc_keys`` for ``docs``, checked."""
    rows: list[tuple[Any, ...]] = []
    for lo in range(0, len(docs), SQL_BATCH):
        part = conn.execute(_DOC_KEYS_SQL, (id_list(docs[lo : lo + SQL_BATCH]),)).fetchall()
        if not all(r[4] for r in part):
            doc = next(r[0] for r in part if not r[4])
            raise DamagedValueError(f"the paragraph keys of document {doc} are truncated")
        rows += (r[:4] for r in part)
    return rows


def _set_verdicts(conn: sqlite3.Connection, keys: set[int], value: int) -> None:
    if keys:
        conn.execute(
            "UPDATE lines SET boilerplate = ? WHERE key IN (SELECT value FROM json_each(?))",
            (value, id_list(keys)),
        )
