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
from newsingest.errors import NewsIngestError, StoreError
from newsingest.ingest.run import check_inputs, iter_articles
from newsingest.matching.fingerprint import FingerprintParams, fingerprint_batch
from newsingest.matching.link import decision, rejected_decision, run_params
from newsingest.matching.lsh import bands_for_config
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
from newsingest.store import clusters, schema, settings
from newsingest.store.bands import BandStore
from newsingest.store.migrate import upgrade
from newsingest.store.query import Match, find_matches
from newsingest.store.schema import (
    DAMAGE_ERRORS,
    FORMAT_VERSION,
    SQL_BATCH,
    DamagedValueError,
    Transaction,
    article_bytes,
    article_json,
    damage_message,
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
        self.last_unknown: tuple[str, ...] = ()
        """The ids the last :meth:`remove` was given that were not stored."""
        self._release_wal = False
        self._band_store = BandStore(
            conn,
            bands=self.bands,
            rows=self.rows,
            bucket_cap=bucket_cap,
            num_perm=self.params.num_perm,
        )

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
        if config is not None and not isinstance(config, DedupConfig):
            raise TypeError(f"config must be a DedupConfig or None, got {type(config).__name__}")
        file = Path(path)
        exists = file.exists() and file.stat().st_size > 0
        if not exists and (readonly or not create):
            raise StoreError(f"{file}: no index there (create it by adding documents)")
        if exists:
            schema.check_header(file)
        # A reader that finds no -wal makes one (and a -shm) it cannot delete:
        # close() lets SQLite remove them if no one else has the file open.
        leaves_wal = readonly and not Path(f"{file}-wal").exists()
        try:
            conn = schema.connect(file, readonly=readonly)
        except sqlite3.Error as exc:
            raise StoreError(f"{file}: cannot open the index: {exc}{_open_hint(file)}") from exc
        old_filter = False
        try:
            if exists:
                stored = schema.read_meta(conn, file)
                # Settings first: a file refused for them is not upgraded either.
                cfg = settings.check_config(file, stored, config)
                version = int(stored["format_version"])
                # Read as it is (format 3 to 5): its filter has an older layout.
                old_filter = readonly and version != FORMAT_VERSION
                if version != FORMAT_VERSION:
                    bands, _ = bands_for_config(cfg, cfg.fingerprint.num_perm)
                    upgrade(conn, file, version, readonly=readonly, bands=bands)
            else:
                cfg = config or DedupConfig()
                schema.create_schema(conn, cfg)
            # Stored settings no band layout fits (a crafted num_perm) fail here.
            index = cls(conn, file, cfg, readonly=readonly, bucket_cap=bucket_cap)
            index._band_store.use_filter = not old_filter
        except sqlite3.DatabaseError as exc:
            _close(conn, file, leaves_wal)
            raise StoreError(
                f"{file}: the index is damaged or not a newsingest index ({exc}); "
                "restore it from a backup or build it again"
            ) from exc
        except NewsIngestError:
            _close(conn, file, leaves_wal)
            raise
        except DAMAGE_ERRORS as exc:
            _close(conn, file, leaves_wal)
            raise StoreError(damage_message(file, exc)) from exc
        except BaseException:
            _close(conn, file, leaves_wal)
            raise
        index._release_wal = leaves_wal
        return index

    def close(self) -> None:
        """Close the file; a reader removes the ``-wal``/``-shm`` it made if it was alone."""
        _close(self._conn, self.path, self._release_wal)

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
        with self._guard():
            q = self._one
            documents = schema.document_count(self._conn)
            duplicates = q("SELECT COUNT(*) FROM documents WHERE cluster != doc")
            size = self.path.stat().st_size
            wal = Path(str(self.path) + "-wal")
            if wal.exists():
                size += wal.stat().st_size
            meta = dict(self._conn.execute("SELECT name, value FROM meta").fetchall())
            return {  # the settings were checked on opening
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
                "created": meta.get("created"),
                "updated": meta.get("updated"),
            }

    def export_clusters(self) -> Iterator[Decision]:
        """One :class:`Decision` per stored document, sorted by id: the batch report's rows."""
        with self._guard():
            for row in self._conn.execute(clusters.DECISION_SQL + " ORDER BY d.id"):
                yield decision(*row)

    def iter_clusters(self) -> Iterator[Cluster]:
        """Every cluster with at least two members, largest first, then by id."""
        with self._guard():
            yield from clusters.all_clusters(self._conn)

    def query(self, article_or_path: Article | PathLike) -> list[Match]:
        """The stored documents this article is a copy of, most similar first; changes nothing.

        The article is stripped with the stored boilerplate verdicts (its own
        lines do not count), fingerprinted and verified against the stored
        documents sharing a band or its digest. A stored article matches itself.
        """
        article = self._one_article(article_or_path)
        with self._guard(), self._snapshot():
            stripped = strip_with_stored(self._conn, self.config.boilerplate, article)
            sigs, sizes, digests = fingerprint_batch([stripped.text], self.config.fingerprint)
            return self._matches(sigs[0], int(sizes[0]), digests[0])

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
        size = int(shingles)
        if not isinstance(digest, bytes):
            raise TypeError(f"digest must be bytes, got {type(digest).__name__}")
        with self._guard(), self._snapshot():
            return self._matches(sig[0], size, digest)

    def check(self) -> str:
        """``PRAGMA integrity_check``: ``"ok"`` or SQLite's list of problems (reads the file)."""
        with self._guard():
            rows = self._conn.execute("PRAGMA integrity_check").fetchall()
        return "\n".join(str(r[0]) for r in rows)

    # ------------------------------------------------------------ writing

    def add(self, inputs: Iterable[PathLike | Article] | PathLike | Article) -> DedupResult:
        """Ingest a batch, link it to the stored documents and update the clusters.

        One transaction: either the whole batch is in the index or none of it.
        The result has one decision per document of the batch (its cluster in
        the updated index) and rejected rows; stored documents whose cluster
        changed are listed in ``params.index.changes`` (:class:`ClusterChange`),
        with the counts ``params.index.joined_existing`` (batch documents now in
        a cluster with older documents) and ``params.index.canonical_changes``.
        Adding a document already stored with the same content changes
        nothing; with other content it replaces the stored one. A single path
        or article is a batch of one, as in :func:`newsingest.pipeline.dedup`.
        """
        start = time.perf_counter()
        batch = check_inputs(inputs, "Index.add")
        counts = UpdateCounts()
        with counts.timed("ingest"):
            articles, rejections = self._collect(batch)
        transaction = self._transaction()
        with self._guard(), transaction:
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
        with counts.timed("report"), self._guard():
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
        given = {"sizes": len(size_arr), "digests": len(digests), "lengths": len(len_arr)}
        if dates is not None:
            given["dates"] = len(dates)
        if any(n != len(ids) for n in (len(sig_arr), *given.values())):
            raise ValueError(
                f"add_fingerprints takes one value per id: {len(ids)} ids, "
                f"{len(sig_arr)} signatures, "
                + ", ".join(f"{n} {name}" for name, n in given.items())
            )
        counts = UpdateCounts()
        transaction = self._transaction()
        with self._guard(), transaction:
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

    def remove(self, ids: Iterable[str] | str) -> int:
        """Remove documents by id; returns how many were stored.

        Their clusters are recomputed from the stored edges: a removed canonical
        hands over to the next best member, a cluster that falls apart splits.
        Boilerplate verdicts that depended on them are recomputed too. The ids
        given that were not stored are left in :attr:`last_unknown`, the
        cluster changes in :attr:`last_changes`. A single id is a list of one.
        """
        wanted = list(dict.fromkeys([ids] if isinstance(ids, str) else ids))
        strays = [i for i in wanted if not isinstance(i, str)]
        if strays:
            raise TypeError(f"remove takes document ids (str), got {strays[0]!r}")
        counts = UpdateCounts()
        transaction = self._transaction()
        with self._guard(), transaction:
            known = self._known(wanted)
            docs = [v[0] for v in known.values()]
            if docs:
                self._update(counts).remove_docs(docs)
                self._touch()
        self.last_changes = tuple(counts.changes)
        self.last_unknown = tuple(i for i in wanted if i not in known)
        return len(docs)

    # ------------------------------------------------------------ internals

    def _matches(self, sig: _U32, size: int, digest: bytes) -> list[Match]:
        return find_matches(
            self._conn,
            self._band_store,
            self.config,
            sig=sig,
            size=size,
            digest=digest,
            cap=self.bucket_cap,
        )

    def _update(self, counts: UpdateCounts) -> Update:
        return Update(self._conn, self.config, self._band_store, counts)

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """A damaged or crafted file gives a :class:`StoreError` naming it, whatever broke."""
        try:
            yield
        except NewsIngestError as exc:
            if isinstance(exc, DamagedValueError):
                raise StoreError(damage_message(self.path, exc)) from exc
            raise
        except DAMAGE_ERRORS as exc:
            raise StoreError(damage_message(self.path, exc)) from exc

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
                documents=schema.document_count(self._conn),
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


def _open_hint(file: Path) -> str:
    """What to do when SQLite cannot open a file that exists."""
    if Path(f"{file}-wal").exists() and not os.access(file.parent, os.W_OK):
        return (
            f"; {file.name}-wal holds batches not yet in the file and the folder cannot be "
            "written: open it once where it can be written (or copy the folder)"
        )
    return ""


def _close(conn: sqlite3.Connection, file: Path, release_wal: bool) -> None:
    conn.close()
    if release_wal:
        schema.release_wal(file)


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
