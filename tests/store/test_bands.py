"""Band keys of the index: bucket cap, runs and their merge, the fingerprint filter."""

from __future__ import annotations

import random
import sqlite3
import tempfile
from pathlib import Path
from unittest import mock

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from newsingest.config import DedupConfig
from newsingest.matching.lsh import hash_columns
from newsingest.pipeline import dedup
from newsingest.store import Index, schema
from newsingest.store import bands as store_bands
from tests.store.helpers import (
    SETTINGS,
    assert_filter_covers_bands,
    assert_same_but_stored_ties,
    build,
    content_terms,
    doc_spec,
    kept_ids,
    old_fingerprints,
    run_rows,
)


@pytest.mark.parametrize(("cap", "edges"), [(1, 2), (1000, 3)])
def test_bucket_cap_gives_only_the_oldest_members(tmp_path: Path, cap: int, edges: int) -> None:
    sig = np.arange(128, dtype=np.uint32).reshape(1, -1)
    with (
        mock.patch.object(store_bands, "_MERGE_MIN_DOCS", 0),
        mock.patch.object(store_bands, "_MERGE_SHARE", 10**9),
        Index.open(tmp_path / "cap.db", bucket_cap=cap) as index,
    ):
        first = index.add_fingerprints(["a", "b"], np.vstack([sig, sig]), [100, 100], [b"a", b"b"])
        assert first.merged_band_keys == 2 * index.bands  # a and b are now in bands
        index.add_fingerprints(["c"], sig, [100], [b"c"])
        # c's buckets hold a and b; with a cap of 1 only a (the oldest) is a candidate.
        assert index.stats()["edges"] == edges
        assert len(next(index.iter_clusters()).members) == 3


@SETTINGS
@given(st.lists(doc_spec, min_size=1, max_size=14), st.randoms(use_true_random=False))
def test_merging_recent_band_keys_changes_nothing(
    specs: list[tuple[int, int | None, int, int | None, int]], rng: random.Random
) -> None:
    # Every add merges the runs into bands: adds and removals still equal batch.
    docs = build(specs)
    everything = [a for a, _ in docs]
    gone = {a.id for a in everything if rng.random() < 0.3}
    rest = [a for a in everything if a.id not in gone]
    with (
        mock.patch.object(store_bands, "_MERGE_MIN_DOCS", 0),
        mock.patch.object(store_bands, "_MERGE_SHARE", 10**9),
        tempfile.TemporaryDirectory() as tmp,
    ):
        db = Path(tmp) / "m.db"
        with Index.open(db) as index:
            published: set[str] = set()
            for part in range(3):
                published = kept_ids(index)
                index.add([a for a, p in docs if p == part])
            expected = dedup(everything)
            # Equal to the batch run but for ties kept by the copy already published.
            assert_same_but_stored_ties(
                (tuple(index.export_clusters()), list(index.iter_clusters())),
                (expected.decisions, expected.clusters),
                terms=content_terms(db),
                published=published,
            )
            published = kept_ids(index)
            index.remove(sorted(gone))
            after = dedup(rest) if rest else None
            assert_same_but_stored_ties(
                (tuple(index.export_clusters()), list(index.iter_clusters())),
                (after.decisions, after.clusters) if after else ((), ()),
                terms=content_terms(db),  # a removal can re-strip, so read them after it
                published=published,
            )
        conn = sqlite3.connect(db)
        # Removals after the last merge left the runs (a removal merges nothing).
        assert conn.execute("SELECT COUNT(*) FROM band_runs").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM bands").fetchone()[0] > 0 or not rest
        assert_filter_covers_bands(conn)
        conn.close()


def test_runs_stay_few_and_removals_reach_them(tmp_path: Path) -> None:
    # Runs merge four at a time like a counter in base 4, so equal batches leave at
    # most three runs of each size: O(log batches) runs.
    sigs = np.random.default_rng(3).integers(0, 2**32 - 1, (40, 128), dtype=np.uint32)
    with (
        mock.patch.object(store_bands, "_MERGE_MIN_DOCS", 10**9),
        Index.open(tmp_path / "runs.db") as index,
    ):
        for k in range(16):
            ids = [f"d{k:02d}{i}" for i in range(2)]
            index.add_fingerprints(
                ids, sigs[2 * k : 2 * k + 2], [100, 100], [i.encode() for i in ids]
            )
            conn = sqlite3.connect(tmp_path / "runs.db")
            runs = conn.execute("SELECT COUNT(*) FROM band_runs").fetchone()[0]
            assert runs == sum(map(int, np.base_repr(k + 1, 4)))
            assert len(run_rows(conn)) == 2 * (k + 1) * index.bands
            conn.close()
        # A near copy of d000 (one value changed) is found, and no longer once d000 is gone.
        near = sigs[0].copy()
        near[5] += 1
        assert [m.id for m in index.query_fingerprint(near, 100, b"q")] == ["d000"]
        index.remove(["d000"])
        assert index.query_fingerprint(near, 100, b"q") == []
        conn = sqlite3.connect(tmp_path / "runs.db")
        assert len(run_rows(conn)) == 31 * index.bands
        conn.close()


def test_a_second_reader_sees_new_runs(tmp_path: Path) -> None:
    # Runs are cached per Index; another connection's update must not be missed.
    sig = np.arange(128, dtype=np.uint32).reshape(1, -1)
    db = tmp_path / "two.db"
    with Index.open(db) as writer, Index.open(db, readonly=True) as reader:
        writer.add_fingerprints(["a"], sig, [100], [b"a"])
        assert [m.id for m in reader.query_fingerprint(sig[0], 100, b"q")] == ["a"]
        writer.add_fingerprints(["b"], sig + 1, [100], [b"b"])
        assert [m.id for m in reader.query_fingerprint(sig[0] + 1, 100, b"q")] == ["b"]
        writer.remove(["a"])
        assert reader.query_fingerprint(sig[0], 100, b"q") == []


@pytest.mark.parametrize("count", [0, 1, 5000, 200_000])
def test_filter_finds_exactly_its_fingerprints(tmp_path: Path, count: int) -> None:
    rng = np.random.default_rng(count)
    stored: list[npt.NDArray[np.int64]] = []
    for band in range(_NBANDS):
        drawn = rng.integers(0, 2**32, count, dtype=np.int64)
        # Crowd one bucket and use both ends of the range, where the searches turn.
        crowd = 0x12340000 + band + np.arange(3000, dtype=np.int64)
        stored.append(np.unique(np.concatenate([drawn, [0, 2**32 - 1], crowd])))
    conn = sqlite3.connect(tmp_path / "f.db")
    conn.execute("CREATE TABLE band_filter(part, token, counts, low)")
    # Added in two steps, as merges do; repeats are dropped.
    store_bands.add_to_filter(conn, _NBANDS, lambda b: stored[b][::2].astype(np.uint32))
    store_bands.add_to_filter(conn, _NBANDS, lambda b: stored[b][::-1].astype(np.uint32))
    per_band = store_bands.read_filter(conn, _NBANDS)
    assert [p.tolist() for p in per_band] == [s.tolist() for s in stored]
    q_bands, q_fps = [], []
    for band in range(_NBANDS):
        # Other bands' fingerprints are asked too: each band has a space of its own.
        near = np.concatenate([*stored, rng.integers(0, 2**32, 5000, dtype=np.int64)])
        asked = np.unique(np.concatenate([near, near + 1, near - 1]) % 2**32)
        q_bands.append(np.full(len(asked), band, dtype=np.int64))
        q_fps.append(asked.astype(np.uint32))
    found = store_bands.filter_contains(
        store_bands.filter_parts(conn, _NBANDS), np.concatenate(q_bands), np.concatenate(q_fps)
    )
    expected = np.concatenate([np.isin(q, s) for q, s in zip(q_fps, stored, strict=True)])
    assert np.array_equal(found, expected)
    conn.close()


def test_a_filter_of_other_bands_is_refused(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "f.db")
    conn.execute("CREATE TABLE band_filter(part, token, counts, low)")
    store_bands.add_to_filter(conn, _NBANDS, lambda b: np.arange(b + 1, dtype=np.uint32))
    with pytest.raises(schema.DamagedValueError, match="not one per band of 4"):
        store_bands.filter_parts(conn, _NBANDS + 1)
    conn.close()


def memory_index() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    schema.create_schema(conn, DedupConfig())
    conn.execute("CREATE TEMP TABLE probe(i INTEGER, band INTEGER, key INTEGER)")
    return conn


_NBANDS = 3
keys_of_docs = st.lists(st.lists(st.integers(0, 3), min_size=_NBANDS, max_size=_NBANDS), max_size=6)


@hyp_settings(deadline=None, max_examples=60)
@given(keys_of_docs, keys_of_docs, keys_of_docs.filter(bool), st.integers(1, 4))
def test_candidates_are_the_oldest_mates_in_each_bucket(
    in_bands: list[list[int]], in_runs: list[list[int]], batch: list[list[int]], cap: int
) -> None:
    # Stored documents 1.., then run documents, then the batch's: each batch document
    # is paired with the cap lowest other documents of each of its buckets.
    docs = [*in_bands, *in_runs, *batch]
    first_run, first_batch = len(in_bands) + 1, len(in_bands) + len(in_runs) + 1
    conn = memory_index()
    store = store_bands.BandStore(conn, bands=_NBANDS, rows=1, bucket_cap=cap)
    band_rows = [(b, k, doc) for doc, keys in enumerate(in_bands, 1) for b, k in enumerate(keys)]
    conn.executemany("INSERT INTO bands(band, key, doc) VALUES (?, ?, ?)", band_rows)
    store_bands.add_to_filter(
        conn,
        _NBANDS,
        lambda b: store_bands.fingerprints(
            np.array([k for band, k, _ in band_rows if band == b], np.int64)
        ),
    )
    if in_runs:
        ids = np.arange(first_run, first_batch, dtype=np.int64)
        store.write_run(*store.run_order(ids, np.array(in_runs, dtype=np.int64)))
    batch_ids = np.arange(first_batch, first_batch + len(batch), dtype=np.int64)
    found = store.candidates(*store.run_order(batch_ids, np.array(batch, dtype=np.int64)))
    bucket: dict[tuple[int, int], set[int]] = {}
    for doc, keys in enumerate(docs, 1):
        for b, k in enumerate(keys):
            bucket.setdefault((b, k), set()).add(doc)
    expected = set()
    for doc in batch_ids.tolist():
        for b, k in enumerate(docs[doc - 1]):
            for other in sorted(bucket[(b, k)] - {doc})[:cap]:
                expected.add((min(doc, other), max(doc, other)))
    assert [tuple(p) for p in found.tolist()] == sorted(expected)
    conn.close()


@hyp_settings(deadline=None, max_examples=40)
@given(st.integers(0, 30), st.sampled_from([(1, 1), (3, 2), (49, 2), (4, 5)]), st.integers(0, 99))
def test_band_keys_are_the_batch_lsh_keys_band_by_band(
    n: int, layout: tuple[int, int], seed: int
) -> None:
    bands, rows = layout
    sigs = np.random.default_rng(seed).integers(
        0, 2**32, size=(n, bands * rows + 3), dtype=np.uint32
    )
    keys = store_bands.band_keys(sigs, bands, rows)
    assert keys.shape == (n, bands)
    for b in range(bands):
        expected = hash_columns(sigs, b * rows, (b + 1) * rows).view(np.int64)
        assert np.array_equal(keys[:, b], expected)


@hyp_settings(deadline=None, max_examples=60)
@given(
    st.lists(st.lists(st.integers(0, 5), min_size=_NBANDS, max_size=_NBANDS), max_size=8),
    st.lists(st.tuples(st.integers(0, _NBANDS - 1), st.integers(0, 6)), max_size=12),
)
def test_few_and_many_queries_find_the_same_run_members(
    docs: list[list[int]], queries: list[tuple[int, int]]
) -> None:
    # A query's few keys are searched all at once; a day's many keys band by band.
    conn = memory_index()
    store = store_bands.BandStore(conn, bands=_NBANDS, rows=1, bucket_cap=10)
    if docs:
        ids = np.arange(1, len(docs) + 1, dtype=np.int64)
        store.write_run(*store.run_order(ids, np.array(docs, dtype=np.int64)))
    ordered = sorted(queries)
    q_bands = np.array([b for b, _ in ordered], dtype=np.int64)
    q_keys = np.array([k for _, k in ordered], dtype=np.int64)
    few = store_bands.run_members(store.runs(), q_bands, q_keys, _NBANDS)
    with mock.patch.object(store_bands, "_FEW_QUERIES", -1):
        many = store_bands.run_members(store.runs(), q_bands, q_keys, _NBANDS)
    expected = sorted(
        (i, doc)
        for i, (b, k) in enumerate(ordered)
        for doc, keys in enumerate(docs, 1)
        if keys[b] == k
    )
    assert sorted(zip(*(a.tolist() for a in few), strict=True)) == expected
    assert sorted(zip(*(a.tolist() for a in many), strict=True)) == expected
    conn.close()


@pytest.mark.parametrize("asked_count", [1, 49, 256, 257, 20_000])
def test_the_store_searches_its_filter_part_by_part(asked_count: int) -> None:
    # Few fingerprints read only their buckets; many read each part whole, one at a time.
    rng = np.random.default_rng(asked_count)
    stored = [
        np.unique(rng.integers(0, 2**32, 50_000, dtype=np.int64)).astype(np.uint32)
        for _ in range(_NBANDS)
    ]
    conn = memory_index()
    store_bands.add_to_filter(conn, _NBANDS, lambda b: stored[b].copy())
    store = store_bands.BandStore(conn, bands=_NBANDS, rows=1, bucket_cap=10)
    q_bands = np.sort(rng.integers(0, _NBANDS, asked_count))
    q_fps = rng.integers(0, 2**32, asked_count).astype(np.uint32)
    for i, band in enumerate(q_bands.tolist()):
        if i % 2:  # half of them stored in their band
            q_fps[i] = rng.choice(stored[band])
    order = np.lexsort((q_fps, q_bands))
    q_bands, q_fps = q_bands[order], q_fps[order]
    sets = [set(s.tolist()) for s in stored]
    pairs = zip(q_bands.tolist(), q_fps.tolist(), strict=True)
    expected = np.array([fp in sets[b] for b, fp in pairs], dtype=bool)
    for _ in range(2):  # the second search uses the cached bucket offsets
        assert np.array_equal(store.filter_contains(q_bands, q_fps), expected)
    store.use_filter = False  # a filter of an older layout: every key is searched
    assert store.filter_contains(q_bands, q_fps).all()
    conn.close()


@hyp_settings(deadline=None, max_examples=80)
@given(
    st.lists(
        st.tuples(
            st.integers(0, _NBANDS - 1),
            st.one_of(st.integers(0, 2**63 - 1), st.integers(-(2**63), 0), st.integers(-5, 5)),
        ),
        max_size=40,
    ),
    st.lists(st.tuples(st.integers(0, _NBANDS - 1), st.integers(-(2**63), 2**63 - 1)), max_size=20),
    st.integers(0, 3),
)
def test_filter_membership_is_a_set_of_band_and_fingerprint(
    stored: list[tuple[int, int]], other: list[tuple[int, int]], split: int
) -> None:
    # Every stored (band, key) is found (no false negative), and a key is found in
    # a band exactly when that band holds a key of the same fingerprint.
    conn = memory_index()
    store = store_bands.BandStore(conn, bands=_NBANDS, rows=1, bucket_cap=10)

    def keys_of(rows: list[tuple[int, int]], band: int) -> npt.NDArray[np.int64]:
        return np.array([k for b, k in rows if b == band], dtype=np.int64)

    # In two merges, the second also repeating some of the first's keys.
    cut = len(stored) * split // 3
    first, second = stored[:cut], stored[cut // 2 :]
    for rows in (first, second):
        store_bands.add_to_filter(
            conn, _NBANDS, lambda b, rows=rows: store_bands.fingerprints(keys_of(rows, b))
        )
    naive = {(b, (k >> 32) & 0xFFFFFFFF) for b, k in stored}
    asked = sorted({*stored, *other, *(((b + 1) % _NBANDS, k) for b, k in stored)})
    q_bands = np.array([b for b, _ in asked], dtype=np.int64)
    q_keys = np.array([k for _, k in asked], dtype=np.int64)
    q_fps = store_bands.fingerprints(q_keys)
    order = np.lexsort((q_fps, q_bands))
    found = store.filter_contains(q_bands[order], q_fps[order])
    pairs = list(zip(q_bands[order].tolist(), q_fps[order].tolist(), strict=True))
    assert found.tolist() == [pair in naive for pair in pairs]
    held = set(stored)
    in_order = [asked[i] for i in order.tolist()]
    assert all(f for pair, f in zip(in_order, found.tolist(), strict=True) if pair in held)
    conn.close()


def test_a_band_of_its_own_passes_far_fewer_keys_falsely() -> None:
    # The same fill as the old layout (every band's fingerprints in one 32-bit
    # space): each band's keys are asked about in its own space, so a key passes
    # falsely about 1/bands as often. Counts of random keys, not timings.
    nbands, per_band, asked = 49, 100_000, 200_000
    rng = np.random.default_rng(6)
    keys = rng.integers(-(2**63), 2**63 - 1, (nbands, per_band), dtype=np.int64)
    conn = memory_index()
    store_bands.add_to_filter(conn, nbands, lambda b: store_bands.fingerprints(keys[b]))
    store = store_bands.BandStore(conn, bands=nbands, rows=1, bucket_cap=10)
    q_bands = np.sort(rng.integers(0, nbands, asked))
    q_keys = rng.integers(-(2**63), 2**63 - 1, asked, dtype=np.int64)
    q_fps = store_bands.fingerprints(q_keys)
    order = np.lexsort((q_fps, q_bands))
    new_false = int(store.filter_contains(q_bands[order], q_fps[order]).sum())
    band_col = np.repeat(np.arange(nbands, dtype=np.int64), per_band)
    old_space = np.unique(old_fingerprints(band_col, keys.reshape(-1)))
    old_false = int(np.isin(old_fingerprints(q_bands, q_keys), old_space).sum())
    # Expected: 200k * 4.9M / 2^32 = 228 in the shared space, 4.7 in bands of their own.
    assert old_false > 150
    assert new_false * 10 < old_false
    conn.close()
