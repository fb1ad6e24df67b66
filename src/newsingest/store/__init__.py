"""A persistent, incremental dedup index in one SQLite file.

A media monitor dedups today's folder against everything seen before without
reading the old articles again: :meth:`Index.add` ingests a batch, links it
to the stored documents and updates the clusters, in one transaction.
Adding corpus A then corpus B gives the same clusters and canonicals as
adding A ∪ B at once, and as the batch :func:`newsingest.pipeline.dedup`
(tested on generated corpora). Everything is plain data: signatures are
``uint32`` BLOBs, articles zstd-compressed JSON, configs JSON text; nothing
is ever pickled.

How it stays equal to the batch run (see ``docs/index.md``):

* **Boilerplate** is corpus-level. Each document's paragraph keys and every
  key's document frequency are stored. A batch touches some candidate keys;
  the boilerplate verdicts are recomputed with the detector's own rule on the
  connected component (keys ↔ documents) of those keys, which holds every
  document that can influence them, so the verdicts equal the batch ones.
  Stored documents whose verdicts flipped are stripped again from their stored
  article and, if their text changed, fingerprinted and linked again.
* **Exact copies** (equal digests) are joined without LSH: only the first
  document of a digest group (its *representative*) carries band keys and
  edges, as in the batch run; the others join it through the digest.
* **Near copies**: a representative's candidates are all stored documents
  sharing a band key (buckets larger than ``bucket_cap`` contribute only their
  ``bucket_cap`` oldest members), verified with the batch rule; accepted pairs
  are stored as edges, so a cluster can be recomputed when a member goes.
  New band keys go to sorted arrays in BLOBs (*runs*), merged into the
  ``bands`` B-tree in one sorted pass now and then, so a day does not rewrite
  the big B-tree; a sorted array of 32-bit fingerprints of ``bands``'s keys
  (``band_filter``) lets most of a day's keys skip their B-tree search.
* **Clusters** affected by a batch (those of new, changed or newly linked
  documents) are recomputed as connected components of their stored edges,
  and their canonicals chosen by :class:`~newsingest.matching.link.CanonicalKey`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import logging
import os
import sqlite3
import threading
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import zstandard

from newsingest._arrays import expand_ranges, sorted_unique
from newsingest.config import BoilerplateConfig, DedupConfig, FingerprintConfig
from newsingest.errors import StoreError
from newsingest.ingest.run import iter_articles
from newsingest.matching.boilerplate import (
    BOILERPLATE_DEFAULTS,
    KEY_SCHEME,
    BoilerplateModel,
    boilerplate_keys,
    candidate_sql,
    distinct_keys,
    key_paragraph_groups,
    key_paragraphs,
    strip_boilerplate,
)
from newsingest.matching.fingerprint import FingerprintParams, fingerprint_batch
from newsingest.matching.link import (
    CanonicalKey,
    choose_canonicals,
    connected_components,
    count_repairs,
    explain_canonicals,
)
from newsingest.matching.lsh import bands_for_config, hash_columns
from newsingest.matching.verify import score_pair, verify_pairs
from newsingest.records import (
    Article,
    ChangeReason,
    Cluster,
    ClusterChange,
    Decision,
    DedupResult,
    IndexUpdate,
    Rejection,
    RunParams,
)
from newsingest.serialize import from_dict, to_dict

__all__ = [
    "APPLICATION_ID",
    "DEFAULT_BUCKET_CAP",
    "FORMAT_VERSION",
    "ClusterChange",
    "Index",
    "Match",
    "StoreError",
    "format_index_summary",
]

log = logging.getLogger(__name__)

FORMAT_VERSION = 4
"""Version of the schema below; an index of another version is refused (1 to 3 are upgraded).

Format 4 is format 3 with zstd article BLOBs beside zlib ones and a ``doc_keys`` table
(each document's paragraph keys in one row). A format-3 file is read as it is and
upgraded when it is first opened for writing (``doc_keys`` built from ``doc_lines``), so
that an older newsingest, which cannot read zstd, refuses it rather than failing."""

APPLICATION_ID = 0x4E534958
"""``PRAGMA application_id`` of a newsingest index ("NSIX"): tells it from other SQLite files."""

DEFAULT_BUCKET_CAP = 1000
"""A band bucket larger than this gives a new document only its oldest members as candidates."""

_SQLITE_MAGIC = b"SQLite format 3\x00"
_EMPTY_FPS = np.empty(0, dtype=np.uint32)
_CHUNK = 20_000

# New band keys go to runs (sorted arrays in BLOBs) and are merged into
# ``bands`` in one sorted pass once the runs hold more than this share of the
# documents (and at least _MERGE_MIN_DOCS documents' keys): inserting a day's
# keys straight into a 1M-document ``bands`` would rewrite most of its pages.
_MERGE_SHARE = 8
_MERGE_MIN_DOCS = 50_000
# Runs merge _RUN_FANIN at a time, like a counter in that base (see _compact_runs).
_RUN_FANIN = 4

# ``band_filter`` stores a fingerprint's top 16 bits as bucket counts and only
# its low 16 bits per key: half the bytes to read each day. Row ``part`` holds
# the fingerprints whose top 4 bits are ``part`` (BLOBs stay under SQLite's 1e9).
_FILTER_PARTS = 16
_FILTER_SHIFT = 28  # fingerprint >> _FILTER_SHIFT is its part
_FILTER_BUCKETS = 1 << 16
_MERGE_SLICE = 1 << 19
# The fingerprint of (band, key): the key's high 32 bits shifted by a per-band
# constant. Written so SQLite's integer arithmetic computes the same value
# (no overflow, no XOR), which the format upgrade uses.
_FP_BAND = 2654435761
_FP_MASK = 0xFFFFFFFF
_FP_SQL = f"((key >> 32) + band * {_FP_BAND}) & {_FP_MASK}"

PathLike = str | os.PathLike[str]
_U32 = npt.NDArray[np.uint32]
_I64 = npt.NDArray[np.int64]


@attrs.frozen(kw_only=True)
class Match:
    """A stored document that a queried article is a copy of."""

    id: str
    jaccard: float
    containment: float
    cluster: str


_SCHEMA = """
CREATE TABLE meta(
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE documents(
    doc INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    digest BLOB NOT NULL,
    signature BLOB NOT NULL,
    shingles INTEGER NOT NULL,
    date TEXT,
    length INTEGER NOT NULL,
    repairs INTEGER NOT NULL,
    rep INTEGER NOT NULL,
    cluster INTEGER NOT NULL,
    similarity REAL,
    containment REAL,
    article BLOB
);
CREATE INDEX documents_digest ON documents(digest);
CREATE INDEX documents_cluster ON documents(cluster);
CREATE TABLE bands(
    band INTEGER NOT NULL,
    key INTEGER NOT NULL,
    doc INTEGER NOT NULL,
    PRIMARY KEY(band, key, doc)
) WITHOUT ROWID;
CREATE TABLE edges(
    a INTEGER NOT NULL,
    b INTEGER NOT NULL,
    PRIMARY KEY(a, b)
) WITHOUT ROWID;
CREATE INDEX edges_b ON edges(b);
CREATE TABLE lines(
    key INTEGER PRIMARY KEY,
    words INTEGER NOT NULL,
    df INTEGER NOT NULL,
    boilerplate INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE doc_lines(
    doc INTEGER NOT NULL,
    key INTEGER NOT NULL,
    PRIMARY KEY(doc, key)
) WITHOUT ROWID;
CREATE INDEX doc_lines_key ON doc_lines(key, doc);
CREATE TABLE clusters(
    canonical INTEGER PRIMARY KEY,
    size INTEGER NOT NULL,
    why TEXT NOT NULL
);
"""
# A document's distinct paragraph keys (int64, ascending) and their word counts (int32),
# little-endian: what the boilerplate rule reads of each document of a component.
_DOC_KEYS = """
CREATE TABLE doc_keys(
    doc INTEGER PRIMARY KEY,
    keys BLOB NOT NULL,
    words BLOB NOT NULL
);
CREATE TRIGGER doc_keys_follow AFTER DELETE ON doc_lines BEGIN
    DELETE FROM doc_keys WHERE doc = OLD.doc;
END;
"""


def _line_indexes(bp: BoilerplateConfig) -> str:
    """Partial indexes on the few ``lines`` rows the verdict update reads every day."""
    return (
        f"CREATE INDEX lines_candidates ON lines(key) WHERE {candidate_sql(bp)};\n"
        "CREATE INDEX lines_boilerplate ON lines(key) WHERE boilerplate = 1;\n"
    )


def _verdict_key_queries(bp: BoilerplateConfig) -> tuple[str, str]:
    """The candidate keys and the boilerplate keys, through ``_line_indexes``."""
    return (
        f"SELECT key FROM lines WHERE {candidate_sql(bp)} ORDER BY key",
        "SELECT key FROM lines WHERE boilerplate = 1 ORDER BY key",
    )


# A run holds band keys sorted by (band, key), little-endian int64:
# ``bounds`` (bands + 1 offsets: band b is rows bounds[b]:bounds[b+1]), ``keys``
# and ``docs``. Runs are never changed in place: a new ``token`` marks new
# content, so cached copies are recognised even across processes and rollbacks.
_RUNS = """
CREATE TABLE band_runs(
    run INTEGER PRIMARY KEY,
    token INTEGER NOT NULL,
    rows INTEGER NOT NULL,
    bounds BLOB NOT NULL,
    keys BLOB NOT NULL,
    docs BLOB NOT NULL
);
CREATE TABLE band_filter(
    part INTEGER PRIMARY KEY,
    token INTEGER NOT NULL,
    counts BLOB NOT NULL,
    low BLOB NOT NULL
);
"""


def _ids(values: Iterable[int]) -> str:
    """A JSON array for ``IN (SELECT value FROM json_each(?))``: one parameter for any count."""
    return json.dumps([int(v) for v in values])


def _texts(values: Iterable[str]) -> str:
    return json.dumps(list(values), ensure_ascii=False)


def _article_json(article: Article) -> bytes:
    return json.dumps(to_dict(article), sort_keys=True, ensure_ascii=False).encode("utf-8")


_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_zstd = threading.local()
"""A compressor and decompressor per thread: python-zstandard's are not thread-safe,
and making one costs ~10 µs, as much as compressing an article."""


def _pack_article(text: bytes) -> bytes:
    # zstd level 3: 2.5x faster than zlib level 1 on news article JSON, for the same
    # size (10k articles of 1.57 KB: 0.09 s against 0.23 s, 816 against 811 bytes each).
    try:
        compressor = _zstd.compressor
    except AttributeError:
        compressor = _zstd.compressor = zstandard.ZstdCompressor(level=3)
    packed: bytes = compressor.compress(text)
    return packed


def _article_bytes(blob: bytes) -> bytes:
    """The article JSON of a stored BLOB: zstd (format 4) or zlib (written by format 3)."""
    if not blob.startswith(_ZSTD_MAGIC):
        return zlib.decompress(blob)
    try:
        decompressor = _zstd.decompressor
    except AttributeError:
        decompressor = _zstd.decompressor = zstandard.ZstdDecompressor()
    text: bytes = decompressor.decompress(blob)
    return text


def _unpack_article(blob: bytes) -> Article:
    return from_dict(Article, json.loads(_article_bytes(blob).decode("utf-8")))


def _line_keys(article: Article) -> list[tuple[int, int]]:
    """``(key, words)`` of each distinct paragraph, as the boilerplate detector counts them."""
    keys, words = key_paragraphs(article.paragraphs).tolist()
    seen: dict[int, int] = {}
    for key, count in zip(keys, words, strict=True):
        seen.setdefault(key, count)
    return list(seen.items())


def _semantic_config(config: DedupConfig) -> dict[str, Any]:
    """The parts of the config that decide stored edges and verdicts (stored, compared)."""
    bands, rows = bands_for_config(config, config.fingerprint.num_perm)
    return {
        "threshold": config.threshold,
        "containment": config.containment,
        "min_shingles": config.min_shingles,
        "min_size_ratio": config.min_size_ratio,
        "bands_option": config.bands,
        "bands": bands,
        "rows": rows,
        "boilerplate": attrs.asdict(config.boilerplate),
        "boilerplate_rule": attrs.asdict(BOILERPLATE_DEFAULTS),
        "line_key_scheme": KEY_SCHEME,
    }


def _config_from_meta(dedup: dict[str, Any], params: dict[str, Any]) -> DedupConfig:
    return DedupConfig(
        threshold=dedup["threshold"],
        containment=dedup["containment"],
        min_shingles=dedup["min_shingles"],
        min_size_ratio=dedup["min_size_ratio"],
        bands=dedup["bands_option"],
        boilerplate=BoilerplateConfig(**dedup["boilerplate"]),
        fingerprint=FingerprintConfig(
            num_perm=params["num_perm"],
            seed=params["seed"],
            shingle_size=params["shingle_size"],
            cjk_shingle_size=params["cjk_shingle_size"],
        ),
    )


def _band_keys(sigs: _U32, bands: int, rows: int) -> _I64:
    """``(n, bands)`` signed 64-bit band keys, the same mixing as the batch LSH."""
    out = np.empty((sigs.shape[0], bands), dtype=np.int64)
    for b in range(bands):
        out[:, b] = hash_columns(sigs, b * rows, (b + 1) * rows).view(np.int64)
    return out


def _fingerprints(bands: _I64, keys: _I64) -> npt.NDArray[np.uint32]:
    """The ``band_filter`` fingerprint of each (band, key), as ``_FP_SQL`` computes it."""
    return ((keys >> 32) + bands * _FP_BAND & _FP_MASK).astype(np.uint32)


def _merge_runs(runs: Sequence[_Run], bands: int) -> tuple[_I64, _I64, _I64]:
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


def _doc_key_rows(
    docs: _I64, counts: _I64, keys: _I64, words: _I64
) -> Iterator[tuple[int, bytes, bytes]]:
    """``doc_keys`` rows: each document's distinct keys (ascending) and their word counts.

    A document without paragraphs gets no row, as it has none in ``doc_lines``.
    """
    ends = np.cumsum(counts)
    key_blob = _blob(keys, "<i8")
    word_blob = _blob(words, "<i4")
    for doc, end, count in zip(docs.tolist(), ends.tolist(), counts.tolist(), strict=True):
        if count:
            start = end - count
            yield doc, key_blob[8 * start : 8 * end], word_blob[4 * start : 4 * end]


def _token() -> int:
    return int.from_bytes(os.urandom(8), "little") >> 1


def _blob(values: npt.NDArray[Any], dtype: str) -> bytes:
    return np.ascontiguousarray(values, dtype=dtype).tobytes()


@attrs.frozen(eq=False)
class _FilterPart:
    """One ``band_filter`` row: bucket offsets (cumulated counts) and sorted low 16 bits."""

    offsets: _I64
    low: npt.NDArray[np.uint16]


@attrs.frozen(eq=False)
class _Run:
    """One run of band keys, read into memory (see ``_RUNS``)."""

    run: int
    token: int
    bounds: _I64
    keys: _I64
    docs: _I64


def _members(runs: Sequence[_Run], bands: _I64, keys: _I64, nbands: int) -> tuple[_I64, _I64]:
    """``(i, doc)`` for every run row whose (band, key) is ``(bands[i], keys[i])``.

    ``bands`` must be sorted and ``keys`` sorted within each band.
    """
    found_i: list[_I64] = []
    found_doc: list[_I64] = []
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
    if not found_i:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(found_i), np.concatenate(found_doc)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@attrs.define
class _Refresh:
    """What one update did, for the report."""

    changes: list[ClusterChange] = attrs.field(factory=list)
    joined: int = 0
    canonical_changes: int = 0
    refingerprinted: int = 0
    verdict_flips: int = 0
    candidate_pairs: int = 0
    accepted_pairs: int = 0
    merged_band_keys: int = 0
    seconds: dict[str, float] = attrs.field(factory=lambda: defaultdict(float))
    """Wall seconds per stage of the update, for ``DedupResult.timings``."""
    clock: Callable[[], float] = time.perf_counter
    _nested: list[float] = attrs.field(factory=list)

    @contextlib.contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        """Add the block's time to ``stage``, less that of stages timed inside it."""
        start = self.clock()
        self._nested.append(0.0)
        try:
            yield
        finally:
            spent = self.clock() - start
            self.seconds[stage] += spent - self._nested.pop()
            if self._nested:
                self._nested[-1] += spent


class Index:
    """A dedup index in one SQLite file; open it with :meth:`Index.open`.

    >>> with Index.open("news.db") as index:  # doctest: +SKIP
    ...     result = index.add(["today/"])
    ...     index.query("today/story.txt")
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        config: DedupConfig,
        *,
        readonly: bool,
        bucket_cap: int,
    ) -> None:
        self._conn = conn
        self.path = path
        self.config = config
        self.readonly = readonly
        self.bucket_cap = bucket_cap
        self.params = FingerprintParams.from_config(config.fingerprint)
        self.bands, self.rows = bands_for_config(config, config.fingerprint.num_perm)
        self.last_changes: tuple[ClusterChange, ...] = ()
        # Per-update scratch, filled by _fingerprint_docs.
        self._staged: dict[int, tuple[bytes, bytes, int, int]] = {}
        self._prior: dict[int, tuple[int, bytes, int, bytes, int]] = {}
        self._pending_digest: dict[int, bytes] = {}
        # Runs and filter as last read, recognised by their tokens (see _RUNS).
        self._run_cache: dict[tuple[int, int], _Run] = {}
        self._filter_cache: tuple[tuple[tuple[int, int], ...], list[_FilterPart]] = ((), [])

    # ------------------------------------------------------------ open/close

    @classmethod
    def open(
        cls,
        path: PathLike,
        config: DedupConfig | None = None,
        *,
        create: bool = True,
        readonly: bool = False,
        bucket_cap: int = DEFAULT_BUCKET_CAP,
    ) -> Index:
        """Open (or create) the index at ``path``.

        ``config`` must agree with the one the index was made with (fingerprint
        parameters: :class:`~newsingest.errors.FingerprintError`; duplicate rule,
        bands or boilerplate settings: :class:`StoreError`); ``None`` uses the
        stored one. Its ingest settings and ``jobs`` apply to this session only.
        """
        file = Path(path)
        exists = file.exists() and file.stat().st_size > 0
        if not exists and (readonly or not create):
            raise StoreError(f"{file}: no index there (create it by adding documents)")
        if exists:
            _check_header(file)
        try:
            conn = _connect(file, readonly=readonly)
        except sqlite3.Error as exc:
            raise StoreError(f"{file}: cannot open the index: {exc}") from exc
        try:
            if exists:
                stored = _read_meta(conn, file)
                # Settings first: a file refused for them is not upgraded either.
                cfg = _check_config(file, stored, config)
                if stored["format_version"] != str(FORMAT_VERSION):
                    _upgrade(conn, file, int(stored["format_version"]), readonly=readonly)
            else:
                cfg = config or DedupConfig()
                _create_schema(conn, cfg)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(
                f"{file}: the index is damaged or not a newsingest index ({exc}); "
                "restore it from a backup or build it again"
            ) from exc
        except BaseException:
            conn.close()
            raise
        return cls(conn, file, cfg, readonly=readonly, bucket_cap=bucket_cap)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------ reading

    def stats(self) -> dict[str, Any]:
        """Counts, size on disk, parameters and format version (cheap: uses indexes)."""
        with self._reading():
            return self._stats()

    def _stats(self) -> dict[str, Any]:
        q = self._one
        documents = q("SELECT COUNT(*) FROM documents")
        duplicates = q("SELECT COUNT(*) FROM documents WHERE cluster != doc")
        clusters = q("SELECT COUNT(*) FROM clusters")
        size = self.path.stat().st_size
        wal = Path(str(self.path) + "-wal")
        if wal.exists():
            size += wal.stat().st_size
        meta = dict(self._conn.execute("SELECT name, value FROM meta").fetchall())
        return {
            "path": str(self.path),
            "format_version": int(meta["format_version"]),
            "documents": documents,
            "kept": documents - duplicates,
            "duplicates": duplicates,
            "clusters": clusters,
            "boilerplate_lines": q("SELECT COUNT(*) FROM lines WHERE boilerplate = 1"),
            "edges": q("SELECT COUNT(*) FROM edges"),
            "size_bytes": size,
            "fingerprint": json.loads(meta["fingerprint"]),
            "dedup": json.loads(meta["dedup"]),
            "created": meta["created"],
            "updated": meta["updated"],
        }

    def export_clusters(self) -> Iterator[Decision]:
        """One :class:`Decision` per stored document, sorted by id: the batch report's rows."""
        with self._reading():
            cur = self._conn.execute(
                "SELECT d.id, d.path, d.doc, d.cluster, c.id, d.similarity, d.containment "
                "FROM documents d JOIN documents c ON c.doc = d.cluster ORDER BY d.id"
            )
            for row in cur:
                yield _decision(row)

    def iter_clusters(self) -> Iterator[Cluster]:
        """Every cluster with at least two members, largest first, then by id."""
        rows = self._conn.execute(
            "SELECT c.canonical, d.id, c.why FROM clusters c "
            "JOIN documents d ON d.doc = c.canonical "
            "ORDER BY c.size DESC, d.id"
        ).fetchall()
        for canonical, cid, why in rows:
            members = [
                r[0]
                for r in self._conn.execute(
                    "SELECT id FROM documents WHERE cluster = ? ORDER BY id", (canonical,)
                )
            ]
            yield Cluster(id=cid, canonical=cid, members=tuple(members), why=why)

    def query(self, article_or_path: Article | PathLike) -> list[Match]:
        """The stored documents this article is a copy of, most similar first; changes nothing.

        The article is stripped with the stored boilerplate verdicts (its own
        lines do not count), fingerprinted and verified against the stored
        documents sharing a band or its digest. A stored article matches itself.
        """
        article = self._one_article(article_or_path)
        with self._reading(), self._snapshot():
            return self._query(article)

    def _query(self, article: Article) -> list[Match]:
        stripped = self._strip_with_stored(article)
        sigs, sizes, digests = fingerprint_batch([stripped.text], self.config.fingerprint)
        return self._query_fingerprint(sigs, sizes, digests)

    def query_fingerprint(
        self, signature: npt.ArrayLike, shingles: int, digest: bytes
    ) -> list[Match]:
        """:meth:`query` for a fingerprint made elsewhere (same parameters as the index)."""
        sig = np.asarray(signature, dtype=np.uint32).reshape(1, -1)
        if sig.shape[1] != self.params.num_perm:
            raise StoreError(
                f"{self.path}: a signature of {sig.shape[1]} values, the index uses "
                f"{self.params.num_perm}"
            )
        with self._reading(), self._snapshot():
            return self._query_fingerprint(sig, np.array([shingles], np.int64), [digest])

    def _query_fingerprint(self, sigs: _U32, sizes: _I64, digests: list[bytes]) -> list[Match]:
        keys = _band_keys(sigs, self.bands, self.rows)[0]
        cands: set[int] = set()
        if sizes[0] > 0:
            cur = self._conn.execute(
                "SELECT b.doc FROM json_each(?) j "
                "JOIN bands b ON b.band = j.key AND b.key = j.value",
                (_ids(keys),),
            )
            cands.update(r[0] for r in cur)
            _, docs = _members(self._runs(), np.arange(self.bands), keys, self.bands)
            cands.update(docs.tolist())
        cands.update(
            r[0]
            for r in self._conn.execute(
                "SELECT doc FROM documents WHERE digest = ? AND rep = 1", (digests[0],)
            )
        )
        if not cands:
            return []
        rows = self._conn.execute(
            "SELECT d.doc, d.signature, d.shingles, d.digest FROM documents d "
            "WHERE d.doc IN (SELECT value FROM json_each(?))",
            (_ids(cands),),
        ).fetchall()
        all_sigs = np.vstack([sigs[0]] + [np.frombuffer(r[1], dtype=np.uint32) for r in rows])
        all_sizes = np.array([int(sizes[0])] + [r[2] for r in rows], dtype=np.int64)
        pairs = np.stack([np.zeros(len(rows), np.int64), np.arange(1, len(rows) + 1)], axis=1)
        jac, cont, ok = verify_pairs(all_sigs, all_sizes, pairs, self.config)
        scores: dict[int, tuple[float, float]] = {}
        for k in np.flatnonzero(ok):
            doc, digest = rows[k][0], rows[k][3]
            score = (float(jac[k]), float(cont[k]))
            for (twin,) in self._conn.execute(
                "SELECT doc FROM documents WHERE digest = ? LIMIT ?", (digest, self.bucket_cap)
            ):
                scores[twin] = score
            scores[doc] = score
        info = self._conn.execute(
            "SELECT d.doc, d.id, c.id FROM documents d JOIN documents c ON c.doc = d.cluster "
            "WHERE d.doc IN (SELECT value FROM json_each(?))",
            (_ids(scores),),
        ).fetchall()
        matches = [
            Match(id=i, jaccard=scores[d][0], containment=scores[d][1], cluster=c)
            for d, i, c in info
        ]
        matches.sort(key=lambda m: (-m.jaccard, -m.containment, m.id))
        return matches

    def check(self) -> str:
        """``PRAGMA integrity_check``: ``"ok"`` or SQLite's list of problems (reads the file)."""
        rows = self._conn.execute("PRAGMA integrity_check").fetchall()
        return "\n".join(str(r[0]) for r in rows)

    # ------------------------------------------------------------ writing

    def add(self, inputs: Iterable[PathLike | Article]) -> DedupResult:
        """Ingest a batch, link it to the stored documents and update the clusters.

        One transaction: either the whole batch is in the index or none of it.
        The result has one decision per document of the batch (its cluster in
        the updated index) and rejected rows; stored documents whose cluster
        changed are listed in ``params.index.changes`` (:class:`ClusterChange`),
        with the counts ``params.index.joined_existing`` (batch documents now in
        a cluster with older documents) and ``params.index.canonical_changes``.
        Adding a document already stored with the same content changes
        nothing; with other content it replaces the stored one.
        """
        start = time.perf_counter()
        report = _Refresh()
        with report.timed("ingest"):
            articles, rejections = self._collect(inputs)
        transaction = self._transaction()
        with transaction:
            with report.timed("store articles"):
                known = self._known(a.id for a in articles)
                fresh: list[tuple[Article, bytes]] = []
                replaced: list[int] = []
                for a in articles:
                    text = _article_json(a)
                    old = known.get(a.id)
                    # Compared uncompressed: the compression level may differ between versions.
                    if old is not None and old[1] is not None and _article_bytes(old[1]) == text:
                        continue
                    if old is not None:
                        replaced.append(old[0])
                    fresh.append((a, _pack_article(text)))
            if replaced:
                with report.timed("remove replaced"):
                    self._remove_docs(replaced, report)
            with report.timed("store articles"):
                new_docs, seed_keys = self._insert_articles(fresh)
            self._refresh(
                new_docs=new_docs,
                seed_keys=seed_keys,
                seed_clusters=set(),
                freed=set(),
                gone={},
                report=report,
                fingerprinted=False,
                in_memory={doc: a for doc, (a, _) in zip(new_docs, fresh, strict=True)},
            )
            if fresh:  # a no-op add writes nothing, not even the timestamp
                self._touch()
        report.seconds["write lock"] += transaction.begin_seconds
        report.seconds["commit"] += transaction.commit_seconds
        with report.timed("report"):
            decisions = self._decisions(a.id for a in articles)
            decisions += [
                Decision(id=r.id, path=r.path, status="rejected", reason=r.summary)
                for r in rejections
            ]
            decisions.sort(key=lambda d: d.id)
            clusters = tuple(self._clusters_of(a.id for a in articles))
            params = self._params(
                report,
                new=len(fresh) - len(replaced),
                replaced=len(replaced),
                unchanged=len(articles) - len(fresh),
            )
        return DedupResult(
            decisions=tuple(decisions),
            clusters=clusters,
            rejections=tuple(rejections),
            params=params,
            timings={**report.seconds, "total": time.perf_counter() - start},
        )

    def add_fingerprints(
        self,
        ids: Sequence[str],
        sigs: _U32,
        sizes: npt.ArrayLike,
        digests: Sequence[bytes],
        *,
        dates: Sequence[dt.date | None] | None = None,
        lengths: npt.ArrayLike | None = None,
    ) -> IndexUpdate:
        """Add documents by fingerprint only (no article, no boilerplate): the bulk path.

        For pipelines that fingerprint elsewhere and for the benchmarks; such
        documents are never stripped again. Ids already stored are skipped.
        Returns the update's counts (``params`` of :meth:`add`).
        """
        sig_arr = np.ascontiguousarray(sigs, dtype=np.uint32)
        if sig_arr.ndim != 2 or sig_arr.shape[1] != self.params.num_perm:
            raise StoreError(
                f"{self.path}: signatures must have shape (n, {self.params.num_perm}), "
                f"got {sig_arr.shape}"
            )
        size_arr = np.asarray(sizes, dtype=np.int64)
        len_arr = np.asarray(lengths if lengths is not None else size_arr, dtype=np.int64)
        report = _Refresh()
        with self._transaction():
            known = self._known(ids)
            rows = []
            for i, doc_id in enumerate(ids):
                if doc_id in known:
                    continue
                day = dates[i] if dates is not None else None
                rows.append(
                    (
                        doc_id,
                        doc_id,
                        digests[i],
                        sig_arr[i].tobytes(),
                        int(size_arr[i]),
                        day.isoformat() if day else None,
                        int(len_arr[i]),
                    )
                )
            first = self._next_doc()
            self._conn.executemany(
                "INSERT INTO documents(id, path, digest, signature, shingles, date, length, "
                "repairs, rep, cluster) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, -1)",
                rows,
            )
            self._conn.execute("UPDATE documents SET cluster = doc WHERE cluster = -1")
            new_docs = list(range(first, first + len(rows)))
            self._refresh(
                new_docs=new_docs,
                seed_keys=set(),
                seed_clusters=set(),
                freed=set(),
                gone={},
                report=report,
                fingerprinted=True,
            )
            self._touch()
        update = self._params(report, new=len(rows)).index
        assert update is not None
        return update

    def remove(self, ids: Iterable[str]) -> int:
        """Remove documents by id; returns how many were stored.

        Their clusters are recomputed from the stored edges: a removed canonical
        hands over to the next best member, a cluster that falls apart splits.
        Boilerplate verdicts that depended on them are recomputed too.
        """
        wanted = list(dict.fromkeys(ids))
        report = _Refresh()
        with self._transaction():
            docs = [v[0] for v in self._known(wanted).values()]
            if docs:
                self._remove_docs(docs, report)
                self._touch()
        self.last_changes = tuple(report.changes)
        return len(docs)

    # ------------------------------------------------------------ internals

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{self.path}: cannot read the index ({exc}); it may be damaged: "
                "restore it from a backup or build it again"
            ) from exc

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[None]:
        """One read transaction, unless one is open: every statement sees the same state."""
        if self._conn.in_transaction:
            yield
            return
        self._conn.execute("BEGIN")
        try:
            yield
        finally:
            self._conn.execute("COMMIT")

    def _one(self, sql: str, args: Sequence[Any] = ()) -> int:
        return int(self._conn.execute(sql, args).fetchone()[0])

    def _transaction(self) -> _Transaction:
        if self.readonly:
            raise StoreError(f"{self.path}: the index was opened read-only")
        return _Transaction(self._conn, self.path)

    def _touch(self) -> None:
        self._conn.execute("UPDATE meta SET value = ? WHERE name = 'updated'", (_now(),))

    def _next_doc(self) -> int:
        return self._one("SELECT COALESCE(MAX(doc), 0) + 1 FROM documents")

    def _params(self, report: _Refresh, **counts: int) -> RunParams:
        return RunParams(
            threshold=self.config.threshold,
            containment=self.config.containment,
            min_shingles=self.config.min_shingles,
            min_size_ratio=self.config.min_size_ratio,
            bands=self.bands,
            rows=self.rows,
            boilerplate=self.config.boilerplate.enabled,
            fingerprint=self.config.fingerprint,
            candidate_pairs=report.candidate_pairs,
            accepted_pairs=report.accepted_pairs,
            index=IndexUpdate(
                index=str(self.path),
                documents=self._one("SELECT COUNT(*) FROM documents"),
                joined_existing=report.joined,
                canonical_changes=report.canonical_changes,
                refingerprinted=report.refingerprinted,
                boilerplate_flips=report.verdict_flips,
                merged_band_keys=report.merged_band_keys,
                changes=tuple(report.changes),
                **counts,
            ),
        )

    def _collect(
        self, inputs: Iterable[PathLike | Article]
    ) -> tuple[list[Article], list[Rejection]]:
        items = list(inputs)
        paths = [x for x in items if not isinstance(x, Article)]
        stream: list[Article | Rejection] = [x for x in items if isinstance(x, Article)]
        if paths:
            ingest = self.config.ingest
            if ingest.read.prefix_ids is None:
                # An index receives a new folder every day: keep the folder in the id,
                # so that day two's story.txt does not replace day one's.
                read = attrs.evolve(ingest.read, prefix_ids=True)
                ingest = attrs.evolve(ingest, read=read)
            stream.extend(iter_articles(paths, ingest, jobs=self.config.jobs))
        articles: dict[str, Article] = {}
        rejections: dict[str, Rejection] = {}
        for item in stream:
            if item.id in articles or item.id in rejections:
                log.warning("%s was given more than once; it is counted once", item.id)
                continue
            if isinstance(item, Article):
                articles[item.id] = item
            else:
                rejections[item.id] = item
        return sorted(articles.values(), key=lambda a: a.id), sorted(
            rejections.values(), key=lambda r: r.id
        )

    def _known(self, ids: Iterable[str]) -> dict[str, tuple[int, bytes | None]]:
        out: dict[str, tuple[int, bytes | None]] = {}
        id_list = list(ids)
        for lo in range(0, len(id_list), _CHUNK):
            cur = self._conn.execute(
                "SELECT id, doc, article FROM documents "
                "WHERE id IN (SELECT value FROM json_each(?))",
                (_texts(id_list[lo : lo + _CHUNK]),),
            )
            for doc_id, doc, blob in cur:
                out[doc_id] = (doc, blob)
        return out

    def _one_article(self, item: Article | PathLike) -> Article:
        if isinstance(item, Article):
            return item
        found = list(iter_articles([item], self.config.ingest))
        if len(found) != 1:
            raise StoreError(f"{item}: query takes one article, found {len(found)} documents")
        if isinstance(found[0], Rejection):
            raise StoreError(f"{item}: cannot be used ({found[0].summary})")
        return found[0]

    def _strip_with_stored(self, article: Article) -> Article:
        if not self.config.boilerplate.enabled:
            return article
        keys = [k for k, _ in _line_keys(article)]
        bp = {
            r[0]
            for r in self._conn.execute(
                "SELECT key FROM lines WHERE boilerplate = 1 AND key IN "
                "(SELECT value FROM json_each(?))",
                (_ids(keys),),
            )
        }
        return strip_boilerplate(article, BoilerplateModel(boilerplate=bp))

    def _insert_articles(
        self, fresh: Sequence[tuple[Article, bytes]]
    ) -> tuple[list[int], set[int]]:
        """Store new articles (fingerprints still to be made) and count their lines."""
        first = self._next_doc()
        self._conn.executemany(
            "INSERT INTO documents(doc, id, path, digest, signature, shingles, date, length, "
            "repairs, rep, cluster, article) VALUES (?, ?, ?, x'', x'', 0, ?, 0, ?, 0, ?, ?)",
            [
                (
                    first + i,
                    a.id,
                    a.path,
                    a.date.isoformat() if a.date else None,
                    count_repairs(a.fixes),
                    first + i,
                    blob,
                )
                for i, (a, blob) in enumerate(fresh)
            ],
        )
        new_docs = list(range(first, first + len(fresh)))
        seed_keys: set[int] = set()
        if self.config.boilerplate.enabled and fresh:
            # Each document's distinct keys (words of the first paragraph with the key),
            # then per key: the number of documents and the first document's words.
            (keys, words), counts = distinct_keys(
                *key_paragraph_groups([a.paragraphs for a, _ in fresh])
            )
            doc_arr = np.array(new_docs, dtype=np.int64)
            self._conn.executemany(
                "INSERT INTO doc_lines(doc, key) VALUES (?, ?)",
                zip(np.repeat(doc_arr, counts).tolist(), keys.tolist(), strict=True),
            )
            self._conn.executemany(
                "INSERT INTO doc_keys(doc, keys, words) VALUES (?, ?, ?)",
                _doc_key_rows(doc_arr, counts, keys, words),
            )
            uniq, at, df = np.unique(keys, return_index=True, return_counts=True)
            self._conn.executemany(
                "INSERT INTO lines(key, words, df) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET df = df + excluded.df",
                zip(uniq.tolist(), words[at].tolist(), df.tolist(), strict=True),
            )
            seed_keys = self._candidates_among(uniq.tolist())
        return new_docs, seed_keys

    def _candidates_among(self, keys: Iterable[int]) -> set[int]:
        bp = self.config.boilerplate
        return {
            r[0]
            for r in self._conn.execute(
                f"SELECT key FROM lines WHERE {candidate_sql(bp)} AND key IN "
                "(SELECT value FROM json_each(?))",
                (_ids(keys),),
            )
        }

    def _remove_docs(self, docs: Sequence[int], report: _Refresh) -> None:
        rows = self._conn.execute(
            "SELECT doc, id, digest, rep, cluster, signature, shingles FROM documents "
            "WHERE doc IN (SELECT value FROM json_each(?))",
            (_ids(docs),),
        ).fetchall()
        gone = {r[0]: r[1] for r in rows}
        seed_clusters = {r[4] for r in rows}
        freed = {r[2] for r in rows if r[3]}
        self._delete_bands([(r[0], r[5]) for r in rows if r[3] and r[6] > 0])
        # Canonicals that are not removed still carry their old cluster ids' names.
        for doc, doc_id in self._conn.execute(
            "SELECT doc, id FROM documents WHERE doc IN (SELECT value FROM json_each(?))",
            (_ids(seed_clusters),),
        ):
            gone.setdefault(doc, doc_id)
        seed_keys: set[int] = set()
        if self.config.boilerplate.enabled:
            per_key: dict[int, int] = defaultdict(int)
            for (key,) in self._conn.execute(
                "SELECT key FROM doc_lines WHERE doc IN (SELECT value FROM json_each(?))",
                (_ids(docs),),
            ):
                per_key[key] += 1
            seed_keys = self._candidates_among(per_key)
            self._conn.executemany(
                "UPDATE lines SET df = df - ? WHERE key = ?", [(n, k) for k, n in per_key.items()]
            )
            self._conn.execute(
                "DELETE FROM lines WHERE df <= 0 AND key IN (SELECT value FROM json_each(?))",
                (_ids(per_key),),
            )
            self._conn.execute(
                "DELETE FROM doc_lines WHERE doc IN (SELECT value FROM json_each(?))", (_ids(docs),)
            )
        ids = _ids(docs)
        self._conn.execute("DELETE FROM edges WHERE a IN (SELECT value FROM json_each(?))", (ids,))
        self._conn.execute("DELETE FROM edges WHERE b IN (SELECT value FROM json_each(?))", (ids,))
        self._conn.execute(
            "DELETE FROM documents WHERE doc IN (SELECT value FROM json_each(?))", (ids,)
        )
        self._refresh(
            new_docs=[],
            seed_keys=seed_keys,
            seed_clusters=seed_clusters,
            freed=freed,
            gone=gone,
            report=report,
            fingerprinted=True,
        )

    def _delete_bands(self, docs: Sequence[tuple[int, bytes]]) -> None:
        """Remove the band keys of ``(doc, signature)`` from ``bands`` and the runs.

        Their fingerprints stay in the filter: it may hold more than ``bands``, never less.
        """
        if not docs:
            return
        sigs = np.vstack([np.frombuffer(sig, dtype=np.uint32) for _, sig in docs])
        keys = _band_keys(sigs, self.bands, self.rows).tolist()
        rows = [
            (b, k, doc) for (doc, _), row in zip(docs, keys, strict=True) for b, k in enumerate(row)
        ]
        rows.sort()
        self._conn.executemany("DELETE FROM bands WHERE band = ? AND key = ? AND doc = ?", rows)
        # A document's run rows are exactly its band keys: drop them by document.
        gone = np.array(sorted({doc for doc, _ in docs}), dtype=np.int64)
        for run in self._runs():
            drop = np.isin(run.docs, gone)
            if not drop.any():
                continue
            keep = ~drop
            if not keep.any():
                self._conn.execute("DELETE FROM band_runs WHERE run = ?", (run.run,))
                continue
            kept = np.concatenate([[0], np.cumsum(keep)])
            self._write_run(kept[run.bounds], run.keys[keep], run.docs[keep], run=run.run)

    def _runs(self) -> list[_Run]:
        """The runs, oldest first, read only when not cached."""
        listed = self._conn.execute("SELECT run, token FROM band_runs ORDER BY run").fetchall()
        cache: dict[tuple[int, int], _Run] = {}
        for run, token in listed:
            cached = self._run_cache.get((run, token))
            if cached is None:
                bounds, keys, docs = self._conn.execute(
                    "SELECT bounds, keys, docs FROM band_runs WHERE run = ?", (run,)
                ).fetchone()
                cached = _Run(
                    run=run,
                    token=token,
                    bounds=np.frombuffer(bounds, dtype="<i8").astype(np.int64, copy=False),
                    keys=np.frombuffer(keys, dtype="<i8").astype(np.int64, copy=False),
                    docs=np.frombuffer(docs, dtype="<i8").astype(np.int64, copy=False),
                )
            cache[(run, token)] = cached
        self._run_cache = cache
        return list(cache.values())

    def _write_run(self, bounds: _I64, keys: _I64, docs: _I64, *, run: int | None = None) -> None:
        """Store sorted rows (see ``_RUNS``) as a new run, or as new content for ``run``."""
        token = _token()
        values = (
            token,
            len(keys),
            _blob(bounds, "<i8"),
            _blob(keys, "<i8"),
            _blob(docs, "<i8"),
        )
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
        self._run_cache[(run, token)] = _Run(
            run=run, token=token, bounds=bounds, keys=keys, docs=docs
        )

    def _compact_runs(self) -> None:
        """Merge the newest ``_RUN_FANIN`` runs while the oldest is not 1.5 times the newest.

        A counter in base ``_RUN_FANIN`` (with room for days of unequal size): at most
        ``_RUN_FANIN - 1`` runs of each size, so O(log days) runs, and a row is rewritten
        about log4(days) times before the merge into ``bands``. Merging pairs (base 2)
        rewrote each day's keys about twice as often for fewer runs; a run costs a
        search per band, which is small beside rewriting its rows (WAL and checkpoint).
        """
        runs = self._runs()
        fan = _RUN_FANIN
        while len(runs) >= fan and 2 * len(runs[-fan].keys) < 3 * len(runs[-1].keys):
            group = runs[-fan:]
            for newer in group[1:]:
                self._conn.execute("DELETE FROM band_runs WHERE run = ?", (newer.run,))
            self._write_run(*_merge_runs(group, self.bands), run=group[0].run)
            runs = self._runs()

    def _band_filter(self) -> list[_FilterPart]:
        """The parts of the fingerprint filter of ``bands`` (cached while unchanged)."""
        listed = tuple(
            self._conn.execute("SELECT part, token FROM band_filter ORDER BY part").fetchall()
        )
        if listed != self._filter_cache[0]:
            self._filter_cache = (listed, _filter_parts(self._conn))
        return self._filter_cache[1]

    def _merge_recent(self, report: _Refresh) -> bool:
        """Move the runs into ``bands`` when they have grown (one sorted pass); whether it did."""
        recent = self._one("SELECT COALESCE(SUM(rows), 0) FROM band_runs")
        docs = self._one("SELECT COUNT(*) FROM documents")
        if recent <= self.bands * max(_MERGE_MIN_DOCS, docs // _MERGE_SHARE):
            return False
        bounds, key_col, doc_col = _merge_runs(self._runs(), self.bands)
        band_col = np.repeat(np.arange(self.bands, dtype=np.int64), np.diff(bounds))
        report.merged_band_keys += len(key_col)
        # In (band, key) order: one pass over the B-tree's pages. In slices: Python ints
        # for millions of rows at once would take ~1 GB.
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
        _add_to_filter(self._conn, _fingerprints(band_col, key_col))
        self._conn.execute("DELETE FROM band_runs")
        return True

    # ---------------------------------------------------------- the update

    def _refresh(
        self,
        *,
        new_docs: list[int],
        seed_keys: set[int],
        seed_clusters: set[int],
        freed: set[bytes],
        gone: dict[int, str],
        report: _Refresh,
        fingerprinted: bool,
        in_memory: dict[int, Article] | None = None,
    ) -> None:
        """Bring verdicts, fingerprints, representatives, edges and clusters up to date.

        ``in_memory`` holds the batch's articles, so they are not unpacked again.
        """
        with report.timed("boilerplate verdicts"):
            flipped = self._update_verdicts(seed_keys)
        report.verdict_flips += len(flipped)
        new_set = set(new_docs)
        restrip: list[int] = []
        if flipped:
            restrip = [
                r[0]
                for r in self._conn.execute(
                    "SELECT DISTINCT dl.doc FROM doc_lines dl JOIN documents d ON d.doc = dl.doc "
                    "WHERE d.article IS NOT NULL AND dl.key IN (SELECT value FROM json_each(?))",
                    (_ids(flipped),),
                )
                if r[0] not in new_set
            ]
        to_print = sorted(restrip if fingerprinted else [*new_docs, *restrip])
        with report.timed("fingerprint"):
            changed = self._fingerprint_docs(to_print, new_set, in_memory or {})
        report.refingerprinted += len([d for d in changed if d not in new_set])
        if fingerprinted:
            changed = sorted(set(changed) | new_set)
        seeds: set[int] = set(changed)
        with report.timed("representatives"):
            # Old representatives whose fingerprint changed leave their digest group.
            leaving = [old for old in self._old_state(changed, new_set) if old[2]]
            self._delete_bands(
                [(doc, sig_blob) for doc, _, _, sig_blob, size in leaving if size > 0]
            )
            for column in ("a", "b"):
                self._conn.execute(
                    f"DELETE FROM edges WHERE {column} IN (SELECT value FROM json_each(?))",
                    (_ids(old[0] for old in leaving),),
                )
            freed.update(old[1] for old in leaving)
            self._apply_fingerprints(changed)
            link: list[int] = []
            rep_of = self._reps_of({self._pending_digest[doc] for doc in changed})
            for doc in changed:
                digest = self._pending_digest[doc]
                rep_doc = rep_of.setdefault(digest, doc)
                if rep_doc == doc:
                    link.append(doc)
                else:
                    seeds.add(rep_doc)
            self._conn.execute(
                "UPDATE documents SET rep = 1 WHERE doc IN (SELECT value FROM json_each(?))",
                (_ids(link),),
            )
            for digest in freed:
                has_rep = self._conn.execute(
                    "SELECT 1 FROM documents WHERE digest = ? AND rep = 1 LIMIT 1", (digest,)
                ).fetchone()
                if has_rep is None:
                    row = self._conn.execute(
                        "SELECT MIN(doc) FROM documents WHERE digest = ?", (digest,)
                    ).fetchone()
                    if row[0] is not None:
                        self._conn.execute("UPDATE documents SET rep = 1 WHERE doc = ?", (row[0],))
                        link.append(row[0])
                        seeds.add(row[0])
        seeds.update(self._link(sorted(link), report))
        with report.timed("clusters"):
            self._recluster(seeds, seed_clusters, new_set, gone, report)

    def _old_state(
        self, changed: Sequence[int], new_set: set[int]
    ) -> list[tuple[int, bytes, int, bytes, int]]:
        old = self._prior
        return [old[d] for d in changed if d not in new_set and d in old]

    def _fingerprint_docs(
        self, docs: list[int], new_set: set[int], in_memory: dict[int, Article]
    ) -> list[int]:
        """Strip and fingerprint stored articles; the docs whose fingerprint changed.

        The new values wait in ``_staged`` until :meth:`_apply_fingerprints`, so
        the old ones can still be read to undo their band keys.
        """
        self._staged = {}
        self._prior = {}
        self._pending_digest = {}
        if not docs:
            return []
        bp_of: dict[int, set[int]] = defaultdict(set)
        if self.config.boilerplate.enabled:
            for doc, key in self._conn.execute(
                "SELECT dl.doc, dl.key FROM doc_lines dl JOIN lines l ON l.key = dl.key "
                "WHERE l.boilerplate = 1 AND dl.doc IN (SELECT value FROM json_each(?))",
                (_ids(docs),),
            ):
                bp_of[doc].add(key)
        changed: list[int] = []
        for lo in range(0, len(docs), _CHUNK):
            part = docs[lo : lo + _CHUNK]
            rows = self._conn.execute(
                "SELECT doc, CASE WHEN doc IN (SELECT value FROM json_each(?)) THEN NULL "
                "ELSE article END, digest, signature, shingles, rep, length FROM documents "
                "WHERE doc IN (SELECT value FROM json_each(?)) ORDER BY doc",
                (_ids(d for d in part if d in in_memory), _ids(part)),
            ).fetchall()
            texts = []
            for doc, blob, *_ in rows:
                article = in_memory[doc] if doc in in_memory else _unpack_article(blob)
                if bp_of.get(doc):
                    article = strip_boilerplate(article, BoilerplateModel(boilerplate=bp_of[doc]))
                texts.append(article.text)
            sigs, sizes, digests = fingerprint_batch(texts, self.config.fingerprint)
            for k, (doc, _, digest, sig_blob, size, rep, length) in enumerate(rows):
                new_sig = sigs[k].tobytes()
                new_len = len(texts[k])
                if doc in new_set or digest != digests[k] or sig_blob != new_sig:
                    self._prior[doc] = (doc, digest, rep, sig_blob, size)
                    self._staged[doc] = (digests[k], new_sig, int(sizes[k]), new_len)
                    self._pending_digest[doc] = digests[k]
                    changed.append(doc)
                elif new_len != length:
                    self._conn.execute(
                        "UPDATE documents SET length = ? WHERE doc = ?", (new_len, doc)
                    )
        return changed

    def _apply_fingerprints(self, changed: Sequence[int]) -> None:
        staged = self._staged
        self._conn.executemany(
            "UPDATE documents SET digest = ?, signature = ?, shingles = ?, length = ?, rep = 0 "
            "WHERE doc = ?",
            [(*staged[d], d) for d in changed if d in staged],
        )
        elsewhere = [d for d in changed if d not in staged]  # add_fingerprints
        for lo in range(0, len(elsewhere), _CHUNK):
            self._pending_digest.update(
                self._conn.execute(
                    "SELECT doc, digest FROM documents "
                    "WHERE doc IN (SELECT value FROM json_each(?))",
                    (_ids(elsewhere[lo : lo + _CHUNK]),),
                ).fetchall()
            )

    def _reps_of(self, digests: set[bytes]) -> dict[bytes, int]:
        """The representative of each stored digest group among ``digests`` (one join)."""
        if not digests:
            return {}
        self._conn.execute("DELETE FROM want")
        self._conn.executemany("INSERT INTO want(digest) VALUES (?)", [(d,) for d in digests])
        rows = self._conn.execute(
            # CROSS JOIN keeps want outside: without statistics SQLite may scan documents.
            "SELECT d.digest, MIN(d.doc) FROM want w CROSS JOIN documents d ON d.digest = w.digest "
            "WHERE d.rep = 1 GROUP BY d.digest"
        ).fetchall()
        self._conn.execute("DELETE FROM want")
        return dict(rows)

    def _update_verdicts(self, seed_keys: set[int]) -> set[int]:
        """Recompute boilerplate verdicts on the component of ``seed_keys``; return the flips.

        The component is closed: every candidate key of one of its documents has all
        its documents in it. So a key's count among the component's documents is its
        document frequency wherever that decides candidacy, and the rule needs no
        ``lines`` row beyond the candidate keys and the stored verdicts. Documents'
        keys come from ``doc_keys``, one row per document.
        """
        bp = self.config.boilerplate
        if not (bp.enabled and seed_keys):
            return set()
        candidates, stored_bp = self._verdict_keys()
        docs_sql = (
            "SELECT DISTINCT doc FROM doc_lines WHERE key IN (SELECT value FROM json_each(?))"
        )
        comp_docs: set[int] = set()
        comp_keys = np.array(sorted(seed_keys), dtype=np.int64)
        frontier = comp_keys
        parts: list[tuple[_I64, _I64, _I64, _I64]] = []
        # The seeds may have stopped being candidates (a removal): their
        # documents still belong to the component, their verdicts are reset below.
        while frontier.size:
            new_docs = {
                r[0] for r in self._conn.execute(docs_sql, (_ids(frontier.tolist()),))
            } - comp_docs
            if not new_docs:
                break
            comp_docs |= new_docs
            part = self._doc_keys(sorted(new_docs))
            parts.append(part)
            reached = sorted_unique(part[2][np.isin(part[2], candidates)])
            frontier = np.setdiff1d(reached, comp_keys, assume_unique=True)
            comp_keys = sorted_unique(np.concatenate((comp_keys, frontier)))
        if not comp_docs:
            stale = {int(k) for k in np.intersect1d(comp_keys, stored_bp, assume_unique=True)}
            self._set_verdicts(stale, 0)
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
        offsets = np.cumsum(lengths) - lengths
        # Counted among the component's documents, a key's frequency is its document
        # frequency wherever that decides candidacy (see above).
        uniq = sorted_unique(keys)
        verdict = np.isin(uniq, boilerplate_keys(keys, words, lengths, bp), assume_unique=True)
        stored = np.isin(uniq, stored_bp)
        flips = {int(k) for k in uniq[verdict != stored]}
        self._set_verdicts({int(k) for k in uniq[verdict & ~stored]}, 1)
        self._set_verdicts({int(k) for k in uniq[~verdict & stored]}, 0)
        return flips

    def _verdict_keys(self) -> tuple[_I64, _I64]:
        """The candidate keys and the keys whose stored verdict is boilerplate, sorted.

        Candidacy is by global document frequency and length; each list is read
        through its partial index, not by scanning every key.
        """
        columns = []
        for sql in _verdict_key_queries(self.config.boilerplate):
            rows = self._conn.execute(sql).fetchall()
            columns.append(np.fromiter(itertools.chain.from_iterable(rows), np.int64, len(rows)))
        return columns[0], columns[1]

    def _doc_keys(self, docs: Sequence[int]) -> tuple[_I64, _I64, _I64, _I64]:
        """``(docs, lengths, keys, words)``: each document's distinct keys, from ``doc_keys``."""
        rows = self._doc_key_blobs(docs)
        if len(rows) < len(docs):
            # Documents an older newsingest added after the upgrade, through a session it
            # had opened before: it writes doc_lines only. Their rows are made now.
            missing = sorted(set(docs) - {row[0] for row in rows})
            _fill_doc_keys(self._conn, missing)
            rows += self._doc_key_blobs(missing)
        keys = np.frombuffer(b"".join(r[1] for r in rows), dtype="<i8").astype(np.int64)
        words = np.frombuffer(b"".join(r[2] for r in rows), dtype="<i4").astype(np.int64)
        lengths = np.fromiter((len(r[1]) // 8 for r in rows), dtype=np.int64, count=len(rows))
        return np.array([r[0] for r in rows], dtype=np.int64), lengths, keys, words

    def _doc_key_blobs(self, docs: Sequence[int]) -> list[tuple[int, bytes, bytes]]:
        rows: list[tuple[int, bytes, bytes]] = []
        for lo in range(0, len(docs), _CHUNK):
            rows += self._conn.execute(
                "SELECT doc, keys, words FROM doc_keys "
                "WHERE doc IN (SELECT value FROM json_each(?))",
                (_ids(docs[lo : lo + _CHUNK]),),
            ).fetchall()
        return rows

    def _set_verdicts(self, keys: set[int], value: int) -> None:
        if keys:
            self._conn.execute(
                "UPDATE lines SET boilerplate = ? WHERE key IN (SELECT value FROM json_each(?))",
                (value, _ids(keys)),
            )

    def _link(self, docs: list[int], report: _Refresh) -> set[int]:
        """Band keys for new representatives, their verified candidates as edges; the endpoints."""
        if not docs:
            return set()
        with report.timed("link"):
            pair_arr = self._new_run_and_candidates(docs, report)
        with report.timed("verify"):
            return self._verify_and_store(pair_arr, report)

    def _new_run_and_candidates(self, docs: list[int], report: _Refresh) -> _I64:
        """Store the new representatives' band keys as a run; their candidate pairs."""
        found: list[tuple[_I64, _I64]] = []
        for lo in range(0, len(docs), _CHUNK):
            part = docs[lo : lo + _CHUNK]
            rows = self._conn.execute(
                "SELECT doc, signature FROM documents WHERE shingles > 0 "
                "AND doc IN (SELECT value FROM json_each(?)) ORDER BY doc",
                (_ids(part),),
            ).fetchall()
            if rows:
                sigs = np.vstack([np.frombuffer(r[1], dtype=np.uint32) for r in rows])
                doc_ids = np.array([r[0] for r in rows], dtype=np.int64)
                found.append((doc_ids, _band_keys(sigs, self.bands, self.rows)))
        if not found:
            return np.empty((0, 2), dtype=np.int64)
        doc_ids = np.concatenate([d for d, _ in found])
        keys = np.concatenate([k for _, k in found])
        # Run order, band by band: the documents come sorted, the stable sort keeps them so.
        order = np.argsort(keys, axis=0, kind="stable")
        key_col = np.take_along_axis(keys, order, axis=0).T.reshape(-1)
        doc_col = doc_ids[order].T.reshape(-1)
        bounds = np.arange(self.bands + 1, dtype=np.int64) * len(doc_ids)
        pair_arr = self._candidates(bounds, key_col, doc_col)
        # Candidates first: the batch's own keys are members above, not from the new run.
        with report.timed("band runs"):
            self._write_run(bounds, key_col, doc_col)
            # A merge empties the runs: compacting them first would only rewrite BLOBs.
            if not self._merge_recent(report):
                self._compact_runs()
        return pair_arr

    def _verify_and_store(self, pair_arr: _I64, report: _Refresh) -> set[int]:
        """Verify candidate pairs with the batch rule, store the accepted ones; their ends."""
        endpoints: set[int] = set()
        if not len(pair_arr):
            return endpoints
        involved = sorted_unique(pair_arr)
        sig_of: dict[int, tuple[bytes, int]] = {}
        for lo in range(0, len(involved), _CHUNK):
            for doc, blob, size in self._conn.execute(
                "SELECT doc, signature, shingles FROM documents "
                "WHERE doc IN (SELECT value FROM json_each(?))",
                (_ids(involved[lo : lo + _CHUNK].tolist()),),
            ):
                sig_of[doc] = (blob, size)
        all_sigs = np.vstack([np.frombuffer(sig_of[int(d)][0], dtype=np.uint32) for d in involved])
        all_sizes = np.array([sig_of[int(d)][1] for d in involved], dtype=np.int64)
        local = np.searchsorted(involved, pair_arr)
        _, _, ok = verify_pairs(all_sigs, all_sizes, local, self.config)
        accepted = pair_arr[ok]
        report.candidate_pairs += len(pair_arr)
        report.accepted_pairs += len(accepted)
        self._conn.executemany("INSERT OR IGNORE INTO edges(a, b) VALUES (?, ?)", accepted.tolist())
        endpoints.update(int(x) for x in sorted_unique(accepted))
        return endpoints

    def _candidates(self, bounds: _I64, key_s: _I64, doc_s: _I64) -> _I64:
        """Sorted distinct pairs ``(a, b)``, ``a < b``, of a batch row's document and a bucket mate.

        The batch's rows come in run order (``bounds``, keys, documents). A
        bucket (band, key) holds the stored rows (``bands`` and the runs) and the
        batch's; each batch document gets the ``bucket_cap`` oldest (lowest
        ``doc``) other members of each of its buckets, as the SQL
        ``ROW_NUMBER() OVER (PARTITION BY band, key, doc ORDER BY other)`` did.
        """
        cap = self.bucket_cap
        band_s = np.repeat(np.arange(self.bands, dtype=np.int64), np.diff(bounds))
        new_bucket = np.ones(len(key_s), dtype=bool)
        new_bucket[1:] = (band_s[1:] != band_s[:-1]) | (key_s[1:] != key_s[:-1])
        bucket_of = np.cumsum(new_bucket) - 1  # bucket of each batch row
        u_band, u_key = band_s[new_bucket], key_s[new_bucket]
        run_u, run_doc = _members(self._runs(), u_band, u_key, self.bands)
        stored_u, stored_doc = self._stored_members(u_band, u_key, cap + 1)
        # Most buckets hold one batch row and nothing stored: drop them before sorting.
        mated = np.bincount(bucket_of, minlength=len(u_band)) >= 2
        mated[run_u] = True
        mated[stored_u] = True
        mine = mated[bucket_of]
        mu = np.concatenate([bucket_of[mine], run_u, stored_u])
        md = np.concatenate([doc_s[mine], run_doc, stored_doc])
        if not len(mu):
            return np.empty((0, 2), dtype=np.int64)
        by = np.lexsort((md, mu))
        mu, md = mu[by], md[by]
        distinct = np.ones(len(mu), dtype=bool)
        distinct[1:] = (mu[1:] != mu[:-1]) | (md[1:] != md[:-1])
        mu, md = mu[distinct], md[distinct]
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
        fps = _fingerprints(u_band, u_key)
        by_fp = np.argsort(fps)  # sorted queries: searchsorted stays in cache, ~10x faster
        maybe = np.sort(by_fp[_filter_contains(self._band_filter(), fps[by_fp])])
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

    def _recluster(
        self,
        seeds: set[int],
        seed_clusters: set[int],
        new_set: set[int],
        gone: dict[int, str],
        report: _Refresh,
    ) -> None:
        """Recompute the clusters holding ``seeds`` (and the old ``seed_clusters``)."""
        clusters = set(seed_clusters)
        for lo in range(0, len(seeds), _CHUNK):
            part = sorted(seeds)[lo : lo + _CHUNK]
            clusters.update(
                r[0]
                for r in self._conn.execute(
                    "SELECT DISTINCT cluster FROM documents "
                    "WHERE doc IN (SELECT value FROM json_each(?))",
                    (_ids(part),),
                )
            )
        if not clusters:
            return
        rows = self._conn.execute(
            "SELECT doc, id, path, digest, signature, shingles, date, length, repairs, cluster, "
            "similarity, containment FROM documents "
            "WHERE cluster IN (SELECT value FROM json_each(?)) ORDER BY doc",
            (_ids(clusters),),
        ).fetchall()
        if not rows:
            self._conn.execute(
                "DELETE FROM clusters WHERE canonical IN (SELECT value FROM json_each(?))",
                (_ids(clusters),),
            )
            return
        docs = np.array([r[0] for r in rows], dtype=np.int64)
        edge_list: list[tuple[int, int]] = []
        cur = self._conn.execute(
            "SELECT a, b FROM edges WHERE a IN (SELECT value FROM json_each(?))", (_ids(docs),)
        )
        edge_list.extend(cur.fetchall())
        by_digest: dict[bytes, int] = {}
        for i, r in enumerate(rows):
            j = by_digest.setdefault(r[3], i)
            if j != i:
                edge_list.append((int(docs[j]), int(docs[i])))
        edges = np.array(edge_list, dtype=np.int64).reshape(-1, 2)
        local = np.searchsorted(docs, edges) if edges.size else edges
        labels = connected_components(len(rows), local)
        keys = [
            CanonicalKey(
                id=r[1],
                date=dt.date.fromisoformat(r[6]) if r[6] else None,
                shingles=r[5],
                length=r[7],
                repairs=r[8],
            )
            for r in rows
        ]
        canonical = choose_canonicals(labels, keys)
        whys = explain_canonicals(labels, canonical, keys)
        id_of = {int(docs[i]): r[1] for i, r in enumerate(rows)}
        id_of_old = {**gone, **id_of}
        updates = []
        sizes = np.bincount(labels, minlength=len(rows))
        comp_has_old = np.zeros(len(rows), dtype=bool)
        for i, r in enumerate(rows):
            if r[0] not in new_set:
                comp_has_old[labels[i]] = True
        changed_clusters: set[int] = set()
        for i, r in enumerate(rows):
            c = int(canonical[i])
            new_cluster = int(docs[c])
            if c == i:
                sim: float | None = None
                cont: float | None = None
            else:
                sim, cont = score_pair(
                    np.frombuffer(r[4], dtype=np.uint32),
                    np.frombuffer(rows[c][4], dtype=np.uint32),
                    r[5],
                    rows[c][5],
                )
            if (new_cluster, sim, cont) != (r[9], r[10], r[11]):
                updates.append((new_cluster, sim, cont, r[0]))
            if r[0] in new_set:
                if comp_has_old[labels[i]]:
                    report.joined += 1
                continue
            old_cluster = int(r[9])
            if old_cluster == new_cluster:
                continue
            old_pos = np.searchsorted(docs, old_cluster)
            old_here = old_pos < len(docs) and docs[old_pos] == old_cluster
            reason: ChangeReason
            if old_cluster not in id_of:
                reason = "canonical removed"
            elif old_here and labels[old_pos] == labels[i]:
                reason = "canonical changed"
            elif old_cluster == r[0]:
                reason = "joined"
            else:
                reason = "split"
            if reason.startswith("canonical"):
                changed_clusters.add(old_cluster)
            report.changes.append(
                ClusterChange(
                    id=r[1],
                    path=r[2],
                    old_cluster=id_of_old.get(old_cluster, str(old_cluster)),
                    new_cluster=id_of[new_cluster],
                    reason=reason,
                )
            )
        report.canonical_changes += len(changed_clusters)
        self._conn.executemany(
            "UPDATE documents SET cluster = ?, similarity = ?, containment = ? WHERE doc = ?",
            updates,
        )
        self._conn.execute(
            "DELETE FROM clusters WHERE canonical IN (SELECT value FROM json_each(?))",
            (_ids(clusters | {int(docs[c]) for c in canonical}),),
        )
        multi = [
            (int(docs[i]), int(sizes[labels[i]]), whys.get(int(labels[i]), ""))
            for i in range(len(rows))
            if canonical[i] == i and sizes[labels[i]] >= 2
        ]
        self._conn.executemany("INSERT INTO clusters(canonical, size, why) VALUES (?, ?, ?)", multi)

    def _decisions(self, ids: Iterable[str]) -> list[Decision]:
        out: list[Decision] = []
        id_list = list(ids)
        for lo in range(0, len(id_list), _CHUNK):
            cur = self._conn.execute(
                "SELECT d.id, d.path, d.doc, d.cluster, c.id, d.similarity, d.containment "
                "FROM documents d JOIN documents c ON c.doc = d.cluster "
                "WHERE d.id IN (SELECT value FROM json_each(?))",
                (_texts(id_list[lo : lo + _CHUNK]),),
            )
            out.extend(_decision(row) for row in cur)
        return out

    def _clusters_of(self, ids: Iterable[str]) -> list[Cluster]:
        canon = {
            r[0]
            for r in self._conn.execute(
                "SELECT DISTINCT cluster FROM documents "
                "WHERE id IN (SELECT value FROM json_each(?))",
                (_texts(ids),),
            )
        }
        out = []
        for canonical, cid, why in self._conn.execute(
            "SELECT c.canonical, d.id, c.why FROM clusters c "
            "JOIN documents d ON d.doc = c.canonical "
            "WHERE c.canonical IN (SELECT value FROM json_each(?))",
            (_ids(canon),),
        ).fetchall():
            members = tuple(
                r[0]
                for r in self._conn.execute(
                    "SELECT id FROM documents WHERE cluster = ? ORDER BY id", (canonical,)
                )
            )
            out.append(Cluster(id=cid, canonical=cid, members=members, why=why))
        out.sort(key=lambda c: (-len(c.members), c.id))
        return out


def format_index_summary(result: DedupResult) -> str:
    """One line for a person: what an :meth:`Index.add` did to the stored clusters."""
    p = result.params.index if result.params is not None else None
    if p is None:
        return "no index was updated"
    joined, changed, total = p.joined_existing, p.canonical_changes, p.documents
    return (
        f"index {p.index}: {joined:,} joined existing clusters, "
        f"{changed:,} canonical{'s' if changed != 1 else ''} changed, "
        f"{total:,} documents stored"
    )


def _decision(row: tuple[Any, ...]) -> Decision:
    """A report row from ``(id, path, doc, cluster, cluster id, similarity, containment)``."""
    doc_id, path, doc, cluster, cluster_id, similarity, containment = row
    if cluster == doc:
        return Decision(id=doc_id, path=path, status="kept", cluster=doc_id)
    return Decision(
        id=doc_id,
        path=path,
        status="duplicate",
        cluster=cluster_id,
        duplicate_of=cluster_id,
        similarity=similarity,
        containment=containment,
    )


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``; rolled back on any exception."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self._path = path
        self.begin_seconds = 0.0
        """How long BEGIN IMMEDIATE waited for the write lock."""
        self.commit_seconds = 0.0
        """How long the COMMIT took (with the WAL checkpoint it may trigger)."""

    def __enter__(self) -> None:
        start = time.perf_counter()
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            self.begin_seconds = time.perf_counter() - start
        except sqlite3.OperationalError as exc:
            raise StoreError(f"{self._path}: cannot start writing: {exc}") from exc

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            start = time.perf_counter()
            try:
                self._conn.execute("COMMIT")
                self.commit_seconds = time.perf_counter() - start
            except sqlite3.DatabaseError as failed:  # busy, disk full: the batch is not stored
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise StoreError(
                    f"{self._path}: could not commit the batch ({failed}); it was not added"
                ) from failed
        else:
            self._conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.DatabaseError):
                raise StoreError(f"{self._path}: the update failed: {exc}") from exc


def _check_header(file: Path) -> None:
    try:
        with file.open("rb") as f:
            head = f.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise StoreError(f"{file}: cannot read the index: {exc}") from exc
    if head != _SQLITE_MAGIC:
        raise StoreError(f"{file}: not a newsingest index (not an SQLite database)")


def _connect(file: Path, *, readonly: bool) -> sqlite3.Connection:
    if readonly:
        conn = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    else:
        conn = sqlite3.connect(file, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 30000")
    if not readonly:
        # WAL: readers never block the writer nor see half a batch. FULL: a
        # committed batch also survives a power loss (one fsync per batch).
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA cache_size = -262144")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS probe(i INTEGER, band INTEGER, key INTEGER)")
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS want(digest BLOB)")
    return conn


def _create_schema(conn: sqlite3.Connection, config: DedupConfig) -> None:
    params = FingerprintParams.from_config(config.fingerprint)
    now = _now()
    # executescript commits whatever is pending first, so the transaction opens inside it.
    conn.executescript(
        f"BEGIN IMMEDIATE; PRAGMA application_id = {APPLICATION_ID}; "
        f"PRAGMA user_version = {FORMAT_VERSION};"
        + _SCHEMA
        + _DOC_KEYS
        + _line_indexes(config.boilerplate)
        + _RUNS
    )
    try:
        conn.executemany(
            "INSERT INTO meta(name, value) VALUES (?, ?)",
            [
                ("format_version", str(FORMAT_VERSION)),
                ("fingerprint", json.dumps(attrs.asdict(params), sort_keys=True)),
                ("dedup", json.dumps(_semantic_config(config), sort_keys=True)),
                ("created", now),
                ("updated", now),
            ],
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _read_meta(conn: sqlite3.Connection, file: Path) -> dict[str, str]:
    app = conn.execute("PRAGMA application_id").fetchone()[0]
    if app != APPLICATION_ID:
        raise StoreError(
            f"{file}: an SQLite database, but not a newsingest index "
            f"(application_id {app:#x}); give the path of an index or a new file"
        )
    meta = dict(conn.execute("SELECT name, value FROM meta").fetchall())
    version = int(meta.get("format_version", "0"))
    if version > FORMAT_VERSION:
        raise StoreError(
            f"{file}: index format {version} was written by a newer newsingest "
            f"(this one reads format {FORMAT_VERSION}); upgrade newsingest"
        )
    if version not in (1, 2, 3, FORMAT_VERSION):
        raise StoreError(
            f"{file}: index format {version} is not supported (this version reads "
            f"{FORMAT_VERSION}); build the index again"
        )
    return meta


def _upgrade(conn: sqlite3.Connection, file: Path, version: int, *, readonly: bool) -> None:
    """Bring an older index to the current format, in one transaction.

    Format 3 is read as it is and gets ``doc_keys`` on its first write; its zlib
    articles stay as they are (still readable). Formats 1 and 2 must be upgraded
    before they are read: their band keys are all moved into ``bands`` (format 2
    kept recent ones in a ``bands_recent`` table) and the fingerprint filter is
    built from them, a read of every band key, once (24 s for a 1M-document
    format-2 index).
    """
    if readonly:
        if version == 3:
            return
        raise StoreError(
            f"{file}: index format {version} must be upgraded to {FORMAT_VERSION} first: "
            "open it once for writing (any update does it)"
        )
    with _Transaction(conn, file):
        if _stored_version(conn) != version:  # another writer upgraded it meanwhile
            return
        if version <= 2:
            if version == 2:
                conn.execute("INSERT OR IGNORE INTO bands SELECT band, key, doc FROM bands_recent")
                conn.execute("DROP TABLE bands_recent")
                conn.execute("DELETE FROM meta WHERE name = 'recent_band_rows'")
            for statement in _statements(_RUNS):
                conn.execute(statement)
            parts = []
            cur = conn.execute(f"SELECT {_FP_SQL} FROM bands")
            while rows := cur.fetchmany(1 << 20):
                parts.append(
                    np.fromiter(
                        itertools.chain.from_iterable(rows), dtype=np.uint32, count=len(rows)
                    )
                )
            _add_to_filter(conn, np.concatenate(parts) if parts else _EMPTY_FPS.copy())
        _add_doc_keys(conn)
        _set_version(conn)


def _stored_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE name = 'format_version'").fetchone()
    return int(row[0])


def _add_doc_keys(conn: sqlite3.Connection) -> None:
    """Add what format 4 adds to format 3: ``doc_keys`` and the partial indexes on ``lines``.

    ``doc_keys`` is filled from ``doc_lines`` and ``lines`` in one pass over each.
    """
    boilerplate = json.loads(
        conn.execute("SELECT value FROM meta WHERE name = 'dedup'").fetchone()[0]
    )["boilerplate"]
    ddl = _DOC_KEYS + _line_indexes(BoilerplateConfig(**boilerplate))
    for statement in _statements(ddl):
        conn.execute(statement)
    _fill_doc_keys(conn, None)


def _fill_doc_keys(conn: sqlite3.Connection, docs: Sequence[int] | None) -> None:
    """Write the ``doc_keys`` rows of ``docs`` (None: every document) from ``doc_lines``."""
    where = "" if docs is None else "WHERE dl.doc IN (SELECT value FROM json_each(?)) "
    cur = conn.execute(
        "SELECT dl.doc, dl.key, l.words FROM doc_lines dl JOIN lines l ON l.key = dl.key "
        f"{where}ORDER BY dl.doc, dl.key",
        () if docs is None else (_ids(docs),),
    )
    parts = []
    while rows := cur.fetchmany(1 << 20):
        parts.append(np.array(rows, dtype=np.int64))
    if not parts:
        return
    table = np.concatenate(parts)
    # Sorted by document: each one's rows are a stretch.
    starts = np.flatnonzero(np.r_[True, table[1:, 0] != table[:-1, 0]])
    counts = np.diff(np.r_[starts, len(table)]).astype(np.int64)
    conn.executemany(
        "INSERT OR REPLACE INTO doc_keys(doc, keys, words) VALUES (?, ?, ?)",
        _doc_key_rows(table[starts, 0], counts, table[:, 1], table[:, 2]),
    )


def _statements(script: str) -> Iterator[str]:
    """The SQL statements of ``script``, trigger bodies kept whole (not split at their ``;``)."""
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                yield pending
            pending = ""


def _set_version(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE meta SET value = ? WHERE name = 'format_version'", (FORMAT_VERSION,))
    conn.execute(f"PRAGMA user_version = {FORMAT_VERSION}")


def _add_to_filter(conn: sqlite3.Connection, fps: npt.NDArray[np.uint32]) -> None:
    """Add fingerprints (any order, repeats allowed; sorted in place) to ``band_filter``.

    Part by part, so a merge at 1M documents holds one part's fingerprints
    (~10 MB) at a time rather than all of them (~150 MB, several copies).
    """
    new = sorted_unique(fps, overwrite=True)
    old_parts = _filter_parts(conn)
    conn.execute("DELETE FROM band_filter")
    per_part = _FILTER_BUCKETS // _FILTER_PARTS
    edges = np.searchsorted(new >> _FILTER_SHIFT, np.arange(_FILTER_PARTS + 1))
    for part in range(_FILTER_PARTS):
        merged = new[edges[part] : edges[part + 1]]
        if old_parts:
            old = old_parts[part]
            top = np.arange(part * per_part, (part + 1) * per_part, dtype=np.uint32)
            stored = np.repeat(top, np.diff(old.offsets))
            stored <<= 16
            stored |= old.low
            merged = sorted_unique(np.concatenate([stored, merged]), overwrite=True)
        counts = np.bincount((merged >> 16) & (per_part - 1), minlength=per_part)
        conn.execute(
            "INSERT INTO band_filter(part, token, counts, low) VALUES (?, ?, ?, ?)",
            (part, _token(), _blob(counts, "<u4"), _blob(merged & 0xFFFF, "<u2")),
        )


def _filter_parts(conn: sqlite3.Connection) -> list[_FilterPart]:
    """The stored filter as it is searched: per part, bucket offsets and low 16 bits."""
    parts = []
    for counts, low in conn.execute("SELECT counts, low FROM band_filter ORDER BY part"):
        offsets = np.zeros(_FILTER_BUCKETS // _FILTER_PARTS + 1, dtype=np.int64)
        np.cumsum(np.frombuffer(counts, dtype="<u4"), out=offsets[1:])
        parts.append(_FilterPart(offsets=offsets, low=np.frombuffer(low, dtype="<u2")))
    return parts


def _read_filter(conn: sqlite3.Connection) -> npt.NDArray[np.uint32]:
    """The sorted fingerprints stored by :func:`_add_to_filter`."""
    parts = _filter_parts(conn)
    if not parts:
        return _EMPTY_FPS
    counts = np.concatenate([np.diff(p.offsets) for p in parts])
    fps = np.repeat(np.arange(_FILTER_BUCKETS, dtype=np.uint32), counts)
    fps <<= 16
    fps |= np.concatenate([p.low for p in parts])
    return fps


def _filter_contains(
    parts: list[_FilterPart], fps: npt.NDArray[np.uint32]
) -> npt.NDArray[np.bool_]:
    """Which of the sorted fingerprints ``fps`` are in the filter.

    A binary search inside each fingerprint's bucket, all queries at once:
    no full array of fingerprints is rebuilt (that allocation cost more than the search).
    """
    out = np.zeros(len(fps), dtype=bool)
    if not parts:
        return out
    edges = np.searchsorted(fps >> _FILTER_SHIFT, np.arange(_FILTER_PARTS + 1))
    for part, stored in enumerate(parts):
        lo_q, hi_q = int(edges[part]), int(edges[part + 1])
        if lo_q == hi_q or not len(stored.low):
            continue
        wanted = fps[lo_q:hi_q]
        bucket = (wanted >> 16).astype(np.int64) & (len(stored.offsets) - 2)
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
        out[lo_q:hi_q] = (lo < end) & (stored.low[np.minimum(lo, last)] == low_q)
    return out


def _check_code(
    file: Path, stored_dedup: dict[str, Any], stored_params: dict[str, Any], stored: DedupConfig
) -> None:
    """Refuse an index whose stored keys this version of the code would compute otherwise.

    No setting chooses these: the paragraph-key scheme, the boilerplate rule and
    the fingerprint definition. Opening such an index (even with its own settings)
    would mix two kinds of keys in one table without a word.
    """
    current = {
        "line_key_scheme": KEY_SCHEME,
        "boilerplate_rule": attrs.asdict(BOILERPLATE_DEFAULTS),
    }
    diffs = [
        f"{k}: index has {stored_dedup.get(k)!r}, this version uses {v!r}"
        for k, v in current.items()
        if stored_dedup.get(k) != v
    ]
    if diffs:
        raise StoreError(
            f"{file}: the index was built by a version of newsingest that keys or judges "
            f"paragraphs differently ({'; '.join(diffs)}); build a new index with this version"
        )
    FingerprintParams(**stored_params).check_compatible(
        FingerprintParams.from_config(stored.fingerprint)
    )


def _check_config(file: Path, meta: dict[str, str], config: DedupConfig | None) -> DedupConfig:
    stored_params = json.loads(meta["fingerprint"])
    stored_dedup = json.loads(meta["dedup"])
    stored = _config_from_meta(stored_dedup, stored_params)
    _check_code(file, stored_dedup, stored_params, stored)
    if config is None:
        return stored
    FingerprintParams(**stored_params).check_compatible(
        FingerprintParams.from_config(config.fingerprint)
    )
    wanted = _semantic_config(config)
    diffs = [
        f"{k}: index has {stored_dedup.get(k)!r}, asked for {v!r}"
        for k, v in wanted.items()
        if k != "bands_option" and stored_dedup.get(k) != v
    ]
    if diffs:
        raise StoreError(
            f"{file}: the index was built with other dedup settings ({'; '.join(diffs)}); "
            "open it without settings to use its own, or build a new index"
        )
    return config
