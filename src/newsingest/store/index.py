"""The public :class:`Index`: open an index file, add to it, remove from it, read it."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from newsingest.config import DedupConfig
from newsingest.errors import StoreError
from newsingest.ingest.run import iter_articles
from newsingest.matching.fingerprint import FingerprintParams, fingerprint_batch
from newsingest.matching.link import decision, rejected_decision, run_params
from newsingest.matching.lsh import bands_for_config
from newsingest.matching.verify import verify_pairs
from newsingest.records import (
    Article,
    Cluster,
    ClusterChange,
    Decision,
    DedupResult,
    IndexUpdate,
    Rejection,
    RunParams,
)
from newsingest.store import clusters, schema
from newsingest.store.bands import BandStore
from newsingest.store.migrate import upgrade
from newsingest.store.schema import (
    FORMAT_VERSION,
    SQL_BATCH,
    Transaction,
    article_bytes,
    article_json,
    id_list,
    pack_article,
    text_list,
)
from newsingest.store.update import Update, UpdateCounts
from newsingest.store.verdicts import strip_with_stored

__all__ = ["DEFAULT_BUCKET_CAP", "Index", "Match", "PathLike", "format_index_summary"]

log = logging.getLogger(__name__)

DEFAULT_BUCKET_CAP = 1000
"""A band bucket larger than this gives a new document only its oldest members as candidates."""

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
        self._band_store = BandStore(conn, bands=self.bands, rows=self.rows, bucket_cap=bucket_cap)

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
            schema.check_header(file)
        try:
            conn = schema.connect(file, readonly=readonly)
        except sqlite3.Error as exc:
            raise StoreError(f"{file}: cannot open the index: {exc}") from exc
        try:
            if exists:
                stored = schema.read_meta(conn, file)
                # Settings first: a file refused for them is not upgraded either.
                cfg = schema.check_config(file, stored, config)
                if stored["format_version"] != str(FORMAT_VERSION):
                    upgrade(conn, file, int(stored["format_version"]), readonly=readonly)
            else:
                cfg = config or DedupConfig()
                schema.create_schema(conn, cfg)
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
            q = self._one
            documents = q("SELECT COUNT(*) FROM documents")
            duplicates = q("SELECT COUNT(*) FROM documents WHERE cluster != doc")
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
                "clusters": q("SELECT COUNT(*) FROM clusters"),
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
            for row in self._conn.execute(clusters.DECISION_SQL + " ORDER BY d.id"):
                yield decision(*row)

    def iter_clusters(self) -> Iterator[Cluster]:
        """Every cluster with at least two members, largest first, then by id."""
        return clusters.all_clusters(self._conn)

    def query(self, article_or_path: Article | PathLike) -> list[Match]:
        """The stored documents this article is a copy of, most similar first; changes nothing.

        The article is stripped with the stored boilerplate verdicts (its own
        lines do not count), fingerprinted and verified against the stored
        documents sharing a band or its digest. A stored article matches itself.
        """
        article = self._one_article(article_or_path)
        with self._reading(), self._snapshot():
            stripped = strip_with_stored(self._conn, self.config.boilerplate, article)
            sigs, sizes, digests = fingerprint_batch([stripped.text], self.config.fingerprint)
            return self._query_fingerprint(sigs[0], int(sizes[0]), digests[0])

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
            return self._query_fingerprint(sig[0], int(shingles), digest)

    def _query_fingerprint(self, sig: _U32, size: int, digest: bytes) -> list[Match]:
        cands: set[int] = set()
        if size > 0:
            cands |= self._band_store.docs_sharing(self._band_store.keys_of(sig[None, :])[0])
        cands.update(
            r[0]
            for r in self._conn.execute(
                "SELECT doc FROM documents WHERE digest = ? AND rep = 1", (digest,)
            )
        )
        if not cands:
            return []
        rows = self._conn.execute(
            "SELECT d.doc, d.signature, d.shingles, d.digest FROM documents d "
            "WHERE d.doc IN (SELECT value FROM json_each(?))",
            (id_list(cands),),
        ).fetchall()
        all_sigs = np.vstack([sig] + [np.frombuffer(r[1], dtype=np.uint32) for r in rows])
        all_sizes = np.array([size] + [r[2] for r in rows], dtype=np.int64)
        pairs = np.stack([np.zeros(len(rows), np.int64), np.arange(1, len(rows) + 1)], axis=1)
        jac, cont, ok = verify_pairs(all_sigs, all_sizes, pairs, self.config)
        scores: dict[int, tuple[float, float]] = {}
        for k in np.flatnonzero(ok):
            doc, copy_digest = rows[k][0], rows[k][3]
            score = (float(jac[k]), float(cont[k]))
            for (twin,) in self._conn.execute(
                "SELECT doc FROM documents WHERE digest = ? LIMIT ?",
                (copy_digest, self.bucket_cap),
            ):
                scores[twin] = score
            scores[doc] = score
        info = self._conn.execute(
            "SELECT d.doc, d.id, c.id FROM documents d JOIN documents c ON c.doc = d.cluster "
            "WHERE d.doc IN (SELECT value FROM json_each(?))",
            (id_list(scores),),
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
        counts = UpdateCounts()
        with counts.timed("ingest"):
            articles, rejections = self._collect(inputs)
        transaction = self._transaction()
        with transaction:
            update = self._update(counts)
            with counts.timed("store articles"):
                known = self._known(a.id for a in articles)
                fresh: list[tuple[Article, bytes]] = []
                replaced: list[int] = []
                for a in articles:
                    text = article_json(a)
                    old = known.get(a.id)
                    # Compared uncompressed: the compression level may differ between versions.
                    if old is not None and old[1] is not None and article_bytes(old[1]) == text:
                        continue
                    if old is not None:
                        replaced.append(old[0])
                    fresh.append((a, pack_article(text)))
            if replaced:
                with counts.timed("remove replaced"):
                    update.remove_docs(replaced)
            with counts.timed("store articles"):
                seeds = update.insert_articles(fresh)
            update.refresh(seeds)
            if fresh:  # a no-op add writes nothing, not even the timestamp
                self._touch()
        counts.seconds["write lock"] += transaction.begin_seconds
        counts.seconds["commit"] += transaction.commit_seconds
        with counts.timed("report"):
            decisions = clusters.decisions_of(self._conn, (a.id for a in articles))
            decisions += [rejected_decision(r) for r in rejections]
            decisions.sort(key=lambda d: d.id)
            found = tuple(clusters.clusters_of(self._conn, (a.id for a in articles)))
            params = self._params(
                counts,
                new=len(fresh) - len(replaced),
                replaced=len(replaced),
                unchanged=len(articles) - len(fresh),
            )
        return DedupResult(
            decisions=tuple(decisions),
            clusters=found,
            rejections=tuple(rejections),
            params=params,
            timings={**counts.seconds, "total": time.perf_counter() - start},
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
        counts = UpdateCounts()
        with self._transaction():
            update = self._update(counts)
            known = self._known(ids)
            rows = []
            for i, doc_id in enumerate(ids):
                if doc_id in known:
                    continue
                day = dates[i] if dates is not None else None
                rows.append(
                    (
                        doc_id,
                        digests[i],
                        sig_arr[i].tobytes(),
                        int(size_arr[i]),
                        day.isoformat() if day else None,
                        int(len_arr[i]),
                    )
                )
            update.refresh(update.insert_fingerprints(rows))
            self._touch()
        params = self._params(counts, new=len(rows)).index
        assert params is not None
        return params

    def remove(self, ids: Iterable[str]) -> int:
        """Remove documents by id; returns how many were stored.

        Their clusters are recomputed from the stored edges: a removed canonical
        hands over to the next best member, a cluster that falls apart splits.
        Boilerplate verdicts that depended on them are recomputed too.
        """
        wanted = list(dict.fromkeys(ids))
        counts = UpdateCounts()
        with self._transaction():
            docs = [v[0] for v in self._known(wanted).values()]
            if docs:
                self._update(counts).remove_docs(docs)
                self._touch()
        self.last_changes = tuple(counts.changes)
        return len(docs)

    # ------------------------------------------------------------ internals

    def _update(self, counts: UpdateCounts) -> Update:
        return Update(self._conn, self.config, self._band_store, counts)

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

    def _transaction(self) -> Transaction:
        if self.readonly:
            raise StoreError(f"{self.path}: the index was opened read-only")
        return Transaction(self._conn, self.path)

    def _touch(self) -> None:
        self._conn.execute("UPDATE meta SET value = ? WHERE name = 'updated'", (schema.now(),))

    def _params(self, counts: UpdateCounts, **sizes: int) -> RunParams:
        return run_params(
            self.config,
            candidate_pairs=counts.candidate_pairs,
            accepted_pairs=counts.accepted_pairs,
            index=IndexUpdate(
                index=str(self.path),
                documents=self._one("SELECT COUNT(*) FROM documents"),
                joined_existing=counts.joined,
                canonical_changes=counts.canonical_changes,
                refingerprinted=counts.refingerprinted,
                boilerplate_flips=counts.verdict_flips,
                merged_band_keys=counts.merged_band_keys,
                changes=tuple(counts.changes),
                **sizes,
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
        """``id -> (doc, stored article)`` of the ids already stored."""
        out: dict[str, tuple[int, bytes | None]] = {}
        wanted = list(ids)
        for lo in range(0, len(wanted), SQL_BATCH):
            cur = self._conn.execute(
                "SELECT id, doc, article FROM documents "
                "WHERE id IN (SELECT value FROM json_each(?))",
                (text_list(wanted[lo : lo + SQL_BATCH]),),
            )
            for doc_id, doc, stored in cur:
                out[doc_id] = (doc, stored)
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
