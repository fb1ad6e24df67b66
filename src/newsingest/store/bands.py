"""Band keys of the index: the ``bands`` B-tree, the runs beside it, the filter, candidates.

New band keys go to sorted arrays in BLOBs (*runs*), merged into the ``bands``
B-tree in one sorted pass now and then, so a day does not rewrite the big
B-tree; per band, a sorted array of 32-bit fingerprints of ``bands``'s keys
(``band_filter``) lets most of a day's keys skip their B-tree search. A
bucket (band, key) larger than the bucket cap gives a new document only its
oldest members as candidates.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable, Sequence

import attrs
import numpy as np
import numpy.typing as npt

from newsingest._arrays import equal_runs, expand_ranges, sorted_unique
from newsingest.matching.lsh import hash_columns
from newsingest.store.schema import (
    DamagedValueError,
    blob,
    document_count,
    id_list,
    new_token,
    read_blob,
    stored_array,
    stored_signatures,
)

__all__ = [
    "FP_SQL",
    "BandStore",
    "Run",
    "add_to_filter",
    "band_keys",
    "filter_contains",
    "filter_parts",
    "fingerprints",
    "merge_runs",
    "read_filter",
    "rebuild_filter",
    "run_members",
]

_U32 = npt.NDArray[np.uint32]
_I64 = npt.NDArray[np.int64]

# New band keys go to runs and are merged into ``bands`` in one sorted pass once
# the runs hold more than this share of the documents (and at least
# _MERGE_MIN_DOCS documents' keys): inserting a day's keys straight into a
# 1M-document ``bands`` would rewrite most of its pages.
_MERGE_SHARE = 8
_MERGE_MIN_DOCS = 50_000
# Runs merge _RUN_FANIN at a time, like a counter in that base (see BandStore.compact_runs).
_RUN_FANIN = 4
# Rows inserted into ``bands`` per statement by a merge: Python ints for millions of
# rows at once would take a large share of memory.
_MERGE_SLICE = 1 << 19

# ``band_filter`` has one row (part) per band: each band's fingerprints have a
# 32-bit space of their own, so a band holding n keys passes n / 2^32 of the
# keys it is asked about falsely, not (bands * n) / 2^32 as in one shared space.
# A part stores a fingerprint's top 16 bits as bucket counts and only its low
# 16 bits per key: half the bytes to read each day, and a day holds one part
# (one band) at a time.
_FILTER_BUCKETS = 1 << 16
_FILTER_SHIFT = 16  # fingerprint >> _FILTER_SHIFT is its bucket in its band's part
# The fingerprint of (band, key) within its band: the key's high 32 bits.
# Written so SQLite's integer arithmetic computes the same value, which the
# format upgrades use.
_FP_MASK = 0xFFFFFFFF
FP_SQL = f"(key >> 32) & {_FP_MASK}"
"""SQL of :func:`fingerprints` over the ``key`` column (the part is the ``band`` column)."""

_EMPTY_FPS = np.empty(0, dtype=np.uint32)


def band_keys(sigs: _U32, bands: int, rows: int) -> _I64:
    """``(n, bands)`` signed 64-bit band keys, the same mixing as the batch LSH.

    Every band of every signature is one row of ``rows`` values: one call of the
    batch LSH's mixing for all of them, not one per band (a query has one signature,
    and 49 calls on one value each cost more than the rest of the lookup).
    """
    n = sigs.shape[0]
    flat = np.ascontiguousarray(sigs[:, : bands * rows]).reshape(n * bands, rows)
    return hash_columns(flat, 0, rows).view(np.int64).reshape(n, bands)


def fingerprints(keys: _I64) -> npt.NDArray[np.uint32]:
    """The ``band_filter`` fingerprint of each key in its band, as :data:`FP_SQL` computes it."""
    return ((keys >> 32) & _FP_MASK).astype(np.uint32)


# ---------------------------------------------------------------- runs


@attrs.frozen(eq=False)
class Run:
    """One run of band keys, read into memory (see ``schema.RUNS_DDL``)."""

    run: int
    token: int
    bounds: _I64
    keys: _I64
    docs: _I64


def merge_runs(runs: Sequence[Run], bands: int) -> tuple[_I64, _I64, _I64]:
    """``(bounds, keys, docs)`` of the runs' rows together, in run order."""
    keys: list[_I64] = []
    docs: list[_I64] = []
    for b in range(bands):
        k = np.concatenate([r.keys[r.bounds[b] : r.bounds[b + 1]] for r in runs])
        d = np.concatenate([r.docs[r.bounds[b] : r.bounds[b + 1]] for r in runs])
        # Sorted stretches: a stable sort (timsort) merges them in about linear time.
        order = np.argsort(k, kind="stable")
        keys.append(k[order])
        docs.append(d[order])
    bounds = np.sum([r.bounds for r in runs], axis=0).astype(np.int64)
    return bounds, np.concatenate(keys), np.concatenate(docs)


def run_members(runs: Sequence[Run], bands: _I64, keys: _I64, nbands: int) -> tuple[_I64, _I64]:
    """``(i, doc)`` for every run row whose (band, key) is ``(bands[i], keys[i])``.

    ``bands`` must be sorted and ``keys`` sorted within each band.
    """
    found_i: list[_I64] = []
    found_doc: list[_I64] = []
    if len(keys) <= _FEW_QUERIES:
        for run in runs:
            i, pos = _few_members(run, bands, keys)
            found_i.append(i)
            found_doc.append(run.docs[pos])
        return _joined(found_i, found_doc)
    edges = np.searchsorted(bands, np.arange(nbands + 1))
    for run in runs:
        for b in range(nbands):
            q_lo, q_hi = int(edges[b]), int(edges[b + 1])
            r_lo, r_hi = int(run.bounds[b]), int(run.bounds[b + 1])
            if q_lo == q_hi or r_lo == r_hi:
                continue
            col = run.keys[r_lo:r_hi]
            wanted = keys[q_lo:q_hi]
            lo = np.searchsorted(col, wanted, side="left")
            hi = np.searchsorted(col, wanted, side="right")
            count = hi - lo
            hit = np.flatnonzero(count)
            if hit.size == 0:
                continue
            owner, pos = expand_ranges(lo[hit], count[hit])
            found_i.append(hit[owner] + q_lo)
            found_doc.append(run.docs[r_lo:r_hi][pos])
    return _joined(found_i, found_doc)


# Up to this many (band, key) queries, a run is searched for all of them at once
# (:func:`_few_members`) rather than band by band: a query has one key per band.
_FEW_QUERIES = 256


def _joined(found_i: list[_I64], found_doc: list[_I64]) -> tuple[_I64, _I64]:
    if not found_i:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(found_i), np.concatenate(found_doc)


def _few_members(run: Run, bands: _I64, keys: _I64) -> tuple[_I64, _I64]:
    """``(i, row)``: the rows of ``run`` holding ``(bands[i], keys[i])``, for a few queries.

    One ``searchsorted`` per query on its band's stretch, with no array work per
    band beyond it: for a query's 49 keys that is what costs least.
    """
    left = run.bounds[bands]
    right = run.bounds[bands + 1].copy()
    col = run.keys
    for q, (lo, hi, key) in enumerate(
        zip(left.tolist(), right.tolist(), keys.tolist(), strict=True)
    ):
        stretch = col[lo:hi]
        first = int(stretch.searchsorted(key, "left"))
        left[q] = lo + first
        right[q] = lo + first + int(stretch[first:].searchsorted(key, "right"))
    count = right - left
    hit = np.flatnonzero(count)
    owner, pos = expand_ranges(left[hit], count[hit])
    return hit[owner], pos


# ---------------------------------------------------------------- the filter


@attrs.frozen(eq=False)
class FilterPart:
    """One ``band_filter`` row: bucket offsets (cumulated counts) and sorted low 16 bits."""

    offsets: _I64
    low: npt.NDArray[np.uint16]


def add_to_filter(
    conn: sqlite3.Connection, nbands: int, fps_of: Callable[[int], npt.NDArray[np.uint32]]
) -> None:
    """Add each band's fingerprints ``fps_of(band)`` (any order, repeats allowed) to the filter.

    Each array ``fps_of`` returns is sorted in place: return a fresh one.

    Part by part: ``fps_of`` is called for one band at a time and each stored
    part is read only when it is rewritten, so a merge or an upgrade at 10M
    documents holds one band's part of the filter at a time, not all of it.
    """
    had = _listed_parts(conn, nbands)
    for part in range(nbands):
        merged = sorted_unique(np.asarray(fps_of(part), dtype=np.uint32), overwrite=True)
        if had:
            merged = sorted_unique(
                np.concatenate([_part_fingerprints(_read_part(conn, part)), merged]),
                overwrite=True,
            )
            conn.execute("DELETE FROM band_filter WHERE part = ?", (part,))
        counts = np.bincount(merged >> _FILTER_SHIFT, minlength=_FILTER_BUCKETS)
        conn.execute(
            "INSERT INTO band_filter(part, token, counts, low) VALUES (?, ?, ?, ?)",
            (part, new_token(), blob(counts, "<u4"), blob(merged & 0xFFFF, "<u2")),
        )


def _part_fingerprints(stored: FilterPart) -> npt.NDArray[np.uint32]:
    """The sorted fingerprints of one stored part."""
    fps = np.repeat(np.arange(_FILTER_BUCKETS, dtype=np.uint32), np.diff(stored.offsets))
    fps <<= _FILTER_SHIFT
    fps |= stored.low
    return fps


def _listed_parts(conn: sqlite3.Connection, nbands: int) -> list[tuple[int, int, int]]:
    """``(part, token, rowid)`` of the stored parts: none, or one per band."""
    rows = conn.execute("SELECT part, token, rowid FROM band_filter ORDER BY part").fetchall()
    # Written all at once by add_to_filter: none, or every part.
    if rows and [r[0] for r in rows] != list(range(nbands)):
        raise DamagedValueError(
            f"the band filter has parts {[r[0] for r in rows]}, not one per band of {nbands}"
        )
    return rows


def _offsets(counts: object, part: int) -> _I64:
    """A part's bucket offsets (its counts cumulated), from its stored ``counts``."""
    offsets = np.zeros(_FILTER_BUCKETS + 1, dtype=np.int64)
    what = f"band filter part {part}: counts"
    np.cumsum(stored_array(counts, "<u4", what, count=_FILTER_BUCKETS), out=offsets[1:])
    return offsets


def _read_part(conn: sqlite3.Connection, part: int) -> FilterPart:
    counts, rowid = conn.execute(
        "SELECT counts, rowid FROM band_filter WHERE part = ?", (part,)
    ).fetchone()
    offsets = _offsets(counts, part)
    low = read_blob(conn, "band_filter", "low", rowid)
    what = f"band filter part {part}: keys"
    return FilterPart(offsets=offsets, low=stored_array(low, "<u2", what, count=int(offsets[-1])))


def filter_parts(conn: sqlite3.Connection, nbands: int) -> list[FilterPart]:
    """The stored filter as it is searched: per band, bucket offsets and low 16 bits."""
    return [_read_part(conn, part) for part, _, _ in _listed_parts(conn, nbands)]


def read_filter(conn: sqlite3.Connection, nbands: int) -> list[npt.NDArray[np.uint32]]:
    """Per band, the sorted fingerprints stored by :func:`add_to_filter` (none: no filter)."""
    return [_part_fingerprints(part) for part in filter_parts(conn, nbands)]


def filter_contains(
    parts: list[FilterPart], bands: _I64, fps: npt.NDArray[np.uint32]
) -> npt.NDArray[np.bool_]:
    """Which ``(bands[i], fps[i])`` are in the filter (its parts read whole).

    ``bands`` must be sorted and ``fps`` sorted within each band.
    """
    out = np.zeros(len(fps), dtype=bool)
    if not parts:
        return out
    edges = np.searchsorted(bands, np.arange(len(parts) + 1))
    for part, stored in enumerate(parts):
        lo_q, hi_q = int(edges[part]), int(edges[part + 1])
        if lo_q < hi_q:
            out[lo_q:hi_q] = _part_contains(stored, fps[lo_q:hi_q])
    return out


def _part_contains(stored: FilterPart, wanted: npt.NDArray[np.uint32]) -> npt.NDArray[np.bool_]:
    """Which of the sorted ``wanted`` (all of this part's band) are in it.

    A binary search inside each fingerprint's bucket, all queries at once:
    no full array of fingerprints is rebuilt (that allocation cost more than the search).
    """
    if not len(stored.low):
        return np.zeros(len(wanted), dtype=bool)
    bucket = (wanted >> _FILTER_SHIFT).astype(np.int64)
    low_q = (wanted & 0xFFFF).astype(np.uint16)
    lo, end = stored.offsets[bucket], stored.offsets[bucket + 1]
    hi = end.copy()
    last = len(stored.low) - 1
    for _ in range(int(np.diff(stored.offsets).max()).bit_length()):
        mid = (lo + hi) >> 1
        less = stored.low[np.minimum(mid, last)] < low_q
        open_ = lo < hi
        lo = np.where(open_ & less, mid + 1, lo)
        hi = np.where(open_ & ~less, mid, hi)
    found: npt.NDArray[np.bool_] = (lo < end) & (stored.low[np.minimum(lo, last)] == low_q)
    return found


def _few_in_part(
    conn: sqlite3.Connection, rowid: int, offsets: _I64, wanted: npt.NDArray[np.uint32]
) -> npt.NDArray[np.bool_]:
    """:func:`_part_contains` for a few fingerprints: only their buckets are read.

    Incremental BLOB reads of the part's ``low`` column, a bucket per fingerprint,
    so a one-article query reads a few kilobytes, not the whole filter.
    """
    out = np.zeros(len(wanted), dtype=bool)
    total = int(offsets[-1])
    with conn.blobopen("band_filter", "low", rowid, readonly=True) as low:
        if len(low) != 2 * total:
            raise DamagedValueError(f"band filter row {rowid}: its keys do not match its counts")
        for i, fp in enumerate(wanted.tolist()):
            bucket = fp >> _FILTER_SHIFT
            start, stop = int(offsets[bucket]), int(offsets[bucket + 1])
            if start == stop:
                continue
            low.seek(2 * start)
            stretch = np.frombuffer(low.read(2 * (stop - start)), dtype="<u2")
            at = int(stretch.searchsorted(fp & 0xFFFF))
            out[i] = at < len(stretch) and int(stretch[at]) == fp & 0xFFFF
    return out


def rebuild_filter(conn: sqlite3.Connection, nbands: int) -> None:
    """Write ``band_filter`` anew from ``bands``, read band by band (a format upgrade).

    The runs' keys are not added: runs are searched directly, and their keys
    join the filter when a merge moves them into ``bands``, as after any merge.
    """
    conn.execute("DELETE FROM band_filter")
    if conn.execute("SELECT 1 FROM bands LIMIT 1").fetchone() is None:
        return  # no merge yet: no filter, as a new index has

    def fps_of(band: int) -> npt.NDArray[np.uint32]:
        parts = []
        cur = conn.execute(f"SELECT {FP_SQL} FROM bands WHERE band = ?", (band,))
        while rows := cur.fetchmany(1 << 20):
            parts.append(
                np.fromiter(itertools.chain.from_iterable(rows), dtype=np.uint32, count=len(rows))
            )
        return np.concatenate(parts) if parts else _EMPTY_FPS

    add_to_filter(conn, nbands, fps_of)


# ---------------------------------------------------------------- the store


class BandStore:
    """The band keys of one open index: ``bands``, the runs and the filter.

    Lives as long as the :class:`~newsingest.store.index.Index`: it caches the
    runs and the filter as last read, recognised by their tokens, so an update
    reads only what another connection (or a rollback) changed.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        bands: int,
        rows: int,
        bucket_cap: int,
        num_perm: int | None = None,
        use_filter: bool = True,
    ) -> None:
        self._conn = conn
        self.use_filter = use_filter
        """False for a file read as it is whose filter has an older layout: ``bands`` is
        searched for every key (correct, slower)."""
        self.bands = bands
        self.rows = rows
        self.bucket_cap = bucket_cap
        self.num_perm = num_perm or bands * rows
        """Values per stored signature (the band keys read the first ``bands * rows``)."""
        self._run_cache: dict[tuple[int, int], Run] = {}
        self._offsets_cache: dict[tuple[int, int], _I64] = {}

    def keys_of(self, sigs: _U32) -> _I64:
        """:func:`band_keys` with this index's bands and rows."""
        return band_keys(sigs, self.bands, self.rows)

    def runs(self) -> list[Run]:
        """The runs, oldest first, read only when not cached."""
        listed = self._conn.execute("SELECT run, token FROM band_runs ORDER BY run").fetchall()
        cache: dict[tuple[int, int], Run] = {}
        for run, token in listed:
            cached = self._run_cache.get((run, token))
            if cached is None:
                cached = self._read_run(run, token)
            cache[(run, token)] = cached
        self._run_cache = cache
        return list(cache.values())

    def _read_run(self, run: int, token: int) -> Run:
        """One stored run, checked: every run is read by every update and query."""
        rows, bounds = self._conn.execute(
            "SELECT rows, bounds FROM band_runs WHERE run = ?", (run,)
        ).fetchone()
        what = f"band run {run}"
        keys = read_blob(self._conn, "band_runs", "keys", run)
        docs = read_blob(self._conn, "band_runs", "docs", run)
        bound_arr = stored_array(bounds, "<i8", f"{what}: bounds", count=self.bands + 1)
        key_arr = stored_array(keys, "<i8", f"{what}: keys", count=rows)
        doc_arr = stored_array(docs, "<i8", f"{what}: documents", count=rows)
        if bound_arr[0] != 0 or bound_arr[-1] != rows or np.any(np.diff(bound_arr) < 0):
            raise DamagedValueError(f"{what}: its band bounds do not cover its {rows} rows")
        return Run(
            run=run,
            token=token,
            bounds=bound_arr.astype(np.int64, copy=False),
            keys=key_arr.astype(np.int64, copy=False),
            docs=doc_arr.astype(np.int64, copy=False),
        )

    def write_run(self, bounds: _I64, keys: _I64, docs: _I64, *, run: int | None = None) -> None:
        """Store sorted rows (see ``RUNS_DDL``) as a new run, or as new content for ``run``."""
        token = new_token()
        values = (token, len(keys), blob(bounds, "<i8"), blob(keys, "<i8"), blob(docs, "<i8"))
        if run is None:
            cur = self._conn.execute(
                "INSERT INTO band_runs(token, rows, bounds, keys, docs) VALUES (?, ?, ?, ?, ?)",
                values,
            )
            assert cur.lastrowid is not None
            run = cur.lastrowid
        else:
            self._conn.execute(
                "UPDATE band_runs SET token = ?, rows = ?, bounds = ?, keys = ?, docs = ? "
                "WHERE run = ?",
                (*values, run),
            )
        # Safe to cache before the commit: after a rollback no stored run has this token.
        self._run_cache[(run, token)] = Run(
            run=run, token=token, bounds=bounds, keys=keys, docs=docs
        )

    def compact_runs(self) -> None:
        """Merge the newest ``_RUN_FANIN`` runs while the oldest is not 1.5 times the newest.

        A counter in base ``_RUN_FANIN`` (with room for days of unequal size): at most
        ``_RUN_FANIN - 1`` runs of each size, so O(log days) runs, and a row is rewritten
        about log4(days) times before the merge into ``bands``. Merging pairs (base 2)
        rewrote each day's keys about twice as often for fewer runs; a run costs a
        search per band, which is small beside rewriting its rows (WAL and checkpoint).
        """
        runs = self.runs()
        fan = _RUN_FANIN
        while len(runs) >= fan and 2 * len(runs[-fan].keys) < 3 * len(runs[-1].keys):
            group = runs[-fan:]
            for newer in group[1:]:
                self._conn.execute("DELETE FROM band_runs WHERE run = ?", (newer.run,))
            self.write_run(*merge_runs(group, self.bands), run=group[0].run)
            runs = self.runs()

    def filter_contains(self, bands: _I64, fps: npt.NDArray[np.uint32]) -> npt.NDArray[np.bool_]:
        """Which ``(bands[i], fps[i])`` are in ``band_filter`` (sorted by band, then fingerprint).

        One part (band) at a time, and only the parts asked about: a day holds
        one band's part at a time (the whole filter is 2 bytes per band key,
        1 GB at 10M documents), a query of one article reads only its buckets.
        The parts' bucket offsets are cached by token. Without a usable filter
        (``use_filter`` false) every key may be in ``bands``.
        """
        if not self.use_filter:
            return np.ones(len(fps), dtype=bool)
        out = np.zeros(len(fps), dtype=bool)
        listed = _listed_parts(self._conn, self.bands)
        if not listed:
            return out
        edges = np.searchsorted(bands, np.arange(self.bands + 1))
        cache: dict[tuple[int, int], _I64] = {}
        for part, token, rowid in listed:
            lo_q, hi_q = int(edges[part]), int(edges[part + 1])
            if lo_q == hi_q:
                continue
            offsets = self._offsets_cache.get((part, token))
            if offsets is None:
                counts = self._conn.execute(
                    "SELECT counts FROM band_filter WHERE rowid = ?", (rowid,)
                ).fetchone()[0]
                offsets = _offsets(counts, part)
            cache[(part, token)] = offsets
            wanted = fps[lo_q:hi_q]
            if hi_q - lo_q <= _FEW_QUERIES:
                out[lo_q:hi_q] = _few_in_part(self._conn, rowid, offsets, wanted)
            else:
                low = read_blob(self._conn, "band_filter", "low", rowid)
                what = f"band filter part {part}: keys"
                stored = stored_array(low, "<u2", what, count=int(offsets[-1]))
                out[lo_q:hi_q] = _part_contains(FilterPart(offsets=offsets, low=stored), wanted)
        self._offsets_cache = cache
        return out

    def merge_if_grown(self) -> int:
        """Move the runs into ``bands`` when they have grown (one sorted pass).

        Returns how many band keys were merged: 0 when the runs stay.
        """
        one = self._conn.execute
        recent = int(one("SELECT COALESCE(SUM(rows), 0) FROM band_runs").fetchone()[0])
        docs = document_count(self._conn)
        if recent <= self.bands * max(_MERGE_MIN_DOCS, docs // _MERGE_SHARE):
            return 0
        bounds, key_col, doc_col = merge_runs(self.runs(), self.bands)
        band_col = np.repeat(np.arange(self.bands, dtype=np.int64), np.diff(bounds))
        # In (band, key) order: one pass over the B-tree's pages.
        for lo in range(0, len(key_col), _MERGE_SLICE):
            part = slice(lo, lo + _MERGE_SLICE)
            self._conn.executemany(
                "INSERT OR IGNORE INTO bands(band, key, doc) VALUES (?, ?, ?)",
                zip(
                    band_col[part].tolist(),
                    key_col[part].tolist(),
                    doc_col[part].tolist(),
                    strict=True,
                ),
            )
        add_to_filter(
            self._conn, self.bands, lambda b: fingerprints(key_col[bounds[b] : bounds[b + 1]])
        )
        self._conn.execute("DELETE FROM band_runs")
        return len(key_col)

    def run_order(self, doc_ids: _I64, keys: _I64) -> tuple[_I64, _I64, _I64]:
        """``(bounds, keys, docs)`` of documents' ``(n, bands)`` band keys, as a run holds them."""
        # Band by band: the documents come sorted, the stable sort keeps them so.
        order = np.argsort(keys, axis=0, kind="stable")
        key_col = np.take_along_axis(keys, order, axis=0).T.reshape(-1)
        doc_col = doc_ids[order].T.reshape(-1)
        bounds = np.arange(self.bands + 1, dtype=np.int64) * len(doc_ids)
        return bounds, key_col, doc_col

    def add_run(self, bounds: _I64, keys: _I64, docs: _I64) -> int:
        """Store rows in run order as a new run, then merge or compact the runs.

        Returns how many band keys went into ``bands``: 0 when the runs stay.
        """
        self.write_run(bounds, keys, docs)
        merged = self.merge_if_grown()
        # A merge empties the runs: compacting them first would only rewrite BLOBs.
        if not merged:
            self.compact_runs()
        return merged

    def delete(self, docs: Sequence[tuple[int, bytes]]) -> None:
        """Remove the band keys of ``(doc, signature)`` from ``bands`` and the runs.

        Their fingerprints stay in the filter: it may hold more than ``bands``, never less.
        """
        if not docs:
            return
        sigs = stored_signatures([sig for _, sig in docs], self.num_perm)
        keys = self.keys_of(sigs).tolist()
        rows = [
            (b, k, doc) for (doc, _), row in zip(docs, keys, strict=True) for b, k in enumerate(row)
        ]
        rows.sort()
        self._conn.executemany("DELETE FROM bands WHERE band = ? AND key = ? AND doc = ?", rows)
        # A document's run rows are exactly its band keys: drop them by document.
        gone = np.array(sorted({doc for doc, _ in docs}), dtype=np.int64)
        for run in self.runs():
            drop = np.isin(run.docs, gone)
            if not drop.any():
                continue
            keep = ~drop
            if not keep.any():
                self._conn.execute("DELETE FROM band_runs WHERE run = ?", (run.run,))
                continue
            kept = np.concatenate([[0], np.cumsum(keep)])
            self.write_run(kept[run.bounds], run.keys[keep], run.docs[keep], run=run.run)

    def docs_sharing(self, keys: _I64) -> set[int]:
        """Every stored document with one of a single document's band keys (one per band)."""
        found = {
            r[0]
            for r in self._conn.execute(
                "SELECT b.doc FROM json_each(?) j "
                "JOIN bands b ON b.band = j.key AND b.key = j.value",
                (id_list(keys),),
            )
        }
        _, docs = run_members(self.runs(), np.arange(self.bands), keys, self.bands)
        found.update(docs.tolist())
        return found

    def candidates(self, bounds: _I64, key_s: _I64, doc_s: _I64) -> _I64:
        """Sorted distinct pairs ``(a, b)``, ``a < b``, of a batch row's document and a bucket mate.

        The batch's rows come in run order (``bounds``, keys, documents). A
        bucket (band, key) holds the stored rows (``bands`` and the runs) and the
        batch's; each batch document gets the ``bucket_cap`` oldest (lowest
        ``doc``) other members of each of its buckets, as the SQL
        ``ROW_NUMBER() OVER (PARTITION BY band, key, doc ORDER BY other)`` did.
        """
        cap = self.bucket_cap
        band_s = np.repeat(np.arange(self.bands, dtype=np.int64), np.diff(bounds))
        starts, lengths = equal_runs(np.stack([band_s, key_s], axis=1))
        # bucket of each batch row
        bucket_of = np.repeat(np.arange(len(starts), dtype=np.int64), lengths)
        u_band, u_key = band_s[starts], key_s[starts]
        run_u, run_doc = run_members(self.runs(), u_band, u_key, self.bands)
        stored_u, stored_doc = self._stored_members(u_band, u_key, cap + 1)
        # Most buckets hold one batch row and nothing stored: drop them before sorting.
        mated = lengths >= 2
        mated[run_u] = True
        mated[stored_u] = True
        mine = mated[bucket_of]
        mu = np.concatenate([bucket_of[mine], run_u, stored_u])
        md = np.concatenate([doc_s[mine], run_doc, stored_doc])
        if not len(mu):
            return np.empty((0, 2), dtype=np.int64)
        by = np.lexsort((md, mu))
        distinct, _ = equal_runs(np.stack([mu[by], md[by]], axis=1))
        mu, md = mu[by][distinct], md[by][distinct]
        size = np.bincount(mu, minlength=len(u_band))
        start = np.cumsum(size) - size
        # Each batch row of a mated bucket: its bucket's first cap + 1 members.
        q_u, q_doc = bucket_of[mine], doc_s[mine]
        which, pos = expand_ranges(start[q_u], np.minimum(size[q_u], cap + 1))
        rank = pos - start[q_u][which]
        other = md[pos]
        me = q_doc[which]
        is_me = other == me
        self_rank = np.full(len(q_u), cap + 1, dtype=np.int64)
        self_rank[which[is_me]] = rank[is_me]
        # Without itself among the first cap members, the cap + 1st is the last one kept.
        keep = ~is_me & ((rank < cap) | (self_rank[which] < cap))
        pairs = np.stack([np.minimum(me, other)[keep], np.maximum(me, other)[keep]], axis=1)
        return np.unique(pairs, axis=0)

    def _stored_members(self, u_band: _I64, u_key: _I64, limit: int) -> tuple[_I64, _I64]:
        """``(i, doc)``: the ``limit`` lowest docs in ``bands`` of bucket ``(u_band[i], u_key[i])``.

        Only buckets whose fingerprint is in the filter are searched in the B-tree.
        """
        fps = fingerprints(u_key)
        by_fp = np.lexsort((fps, u_band))  # sorted queries: searchsorted stays in cache
        maybe = np.sort(by_fp[self.filter_contains(u_band[by_fp], fps[by_fp])])
        if not len(maybe):
            return np.empty(0, np.int64), np.empty(0, np.int64)
        self._conn.execute("DELETE FROM probe")
        self._conn.executemany(
            "INSERT INTO probe(i, band, key) VALUES (?, ?, ?)",
            zip(maybe.tolist(), u_band[maybe].tolist(), u_key[maybe].tolist(), strict=True),
        )
        rows = self._conn.execute(
            "SELECT i, doc FROM (SELECT p.i, b.doc, ROW_NUMBER() OVER "
            "(PARTITION BY p.i ORDER BY b.doc) AS nth "
            "FROM probe p CROSS JOIN bands b ON b.band = p.band AND b.key = p.key) "
            "WHERE nth <= ?",
            (limit,),
        ).fetchall()
        self._conn.execute("DELETE FROM probe")
        found = np.array(rows, dtype=np.int64).reshape(-1, 2)
        return found[:, 0], found[:, 1]
