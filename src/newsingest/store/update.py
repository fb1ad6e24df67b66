"""One update of the index: verdicts, fingerprints, representatives, links, clusters.

:class:`Update` is made for one :meth:`~newsingest.store.index.Index.add`,
``add_fingerprints`` or ``remove``, inside its transaction, and dropped after
it; what it did accumulates in its :class:`UpdateCounts`. Each step takes what
the step before returned:

1. :meth:`Update.refresh` recomputes the boilerplate verdicts touched
   (:func:`~newsingest.store.verdicts.update_verdicts`) and picks the documents
   to fingerprint: the new ones and the stored ones whose verdicts flipped;
2. :meth:`Update.fingerprint` strips and fingerprints them, and returns the
   old and new fingerprint of each one that changed (the old ones are still
   stored, so their band keys can be undone);
3. :meth:`Update.representatives` writes the new fingerprints and picks the
   representative of each digest group: only those carry band keys and edges;
4. :meth:`Update.link` stores the new representatives' band keys and their
   verified candidates as edges;
5. :meth:`Update.recluster` recomputes the clusters holding any document
   touched (:mod:`newsingest.store.clusters`).
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence

import attrs
import numpy as np
import numpy.typing as npt

from newsingest._arrays import sorted_unique
from newsingest.config import DedupConfig
from newsingest.matching.boilerplate import key_paragraph_groups, stripped_texts
from newsingest.matching.fingerprint import fingerprint_batch
from newsingest.matching.link import count_repairs
from newsingest.matching.verify import verify_pairs
from newsingest.records import Article, ClusterChange
from newsingest.store import clusters, verdicts
from newsingest.store.bands import BandStore
from newsingest.store.schema import SQL_BATCH, id_list, stored_signatures, unpack_article

__all__ = ["Fingerprints", "Seeds", "Update", "UpdateCounts"]

_I64 = npt.NDArray[np.int64]


@attrs.define
class UpdateCounts:
    """What one update did, for the report: counts, cluster changes and seconds per stage."""

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


@attrs.frozen(kw_only=True)
class Seeds:
    """Where the shared steps of an update start from."""

    new_docs: Sequence[int] = ()
    lines: verdicts.LineChange | None = None
    """Documents whose paragraph keys were counted or uncounted: verdicts to recompute."""
    clusters: set[int] = attrs.field(factory=set)
    """Clusters of removed documents: recomputed even if no member is touched otherwise."""
    freed: set[bytes] = attrs.field(factory=set)
    """Digests whose representative was removed: another member takes over."""
    gone: Mapping[int, str] = attrs.field(factory=dict)
    """Ids of removed documents (and of their clusters' canonicals), for the changes."""
    fingerprinted: bool = False
    """The new documents came with their fingerprints (``add_fingerprints``)."""
    in_memory: Mapping[int, Article] = attrs.field(factory=dict)
    """The batch's articles by document, so they are not unpacked again."""


@attrs.frozen(kw_only=True)
class Fingerprints:
    """Documents whose fingerprint changed: the new one, and what was stored before."""

    changed: list[int]
    new: dict[int, tuple[bytes, bytes, int, int]]
    """``(digest, signature, shingles, length)``, written by :meth:`Update.representatives`."""
    old: dict[int, tuple[bytes, int, bytes, int]]
    """``(digest, rep, signature, shingles)`` as stored before the update."""


class Update:
    """One update of the index, inside the caller's transaction (see the module doc)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        config: DedupConfig,
        bands: BandStore,
        counts: UpdateCounts | None = None,
    ) -> None:
        self.conn = conn
        self.config = config
        self.bands = bands
        self.counts = counts if counts is not None else UpdateCounts()
        # Incumbent canonicals are those stored before this update: not the ones
        # a removal promoted, and still those replaced by a new version (by id).
        self.promoted: set[int] = set()
        self.kept_ids: set[str] = set()
        if not verdicts.states_current(conn):
            # Another writer changed documents without keeping line_state: it is
            # counted again, key by key, as the keys are met.
            conn.execute("DELETE FROM line_state")

    # ------------------------------------------------------------ what starts one

    def insert_articles(self, fresh: Sequence[tuple[Article, bytes]]) -> Seeds:
        """Store new articles (fingerprints still to be made) and count their lines."""
        first = self.next_doc()
        self.conn.executemany(
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
                    packed,
                )
                for i, (a, packed) in enumerate(fresh)
            ],
        )
        new_docs = list(range(first, first + len(fresh)))
        change = None
        if self.config.boilerplate.enabled and fresh:
            change = verdicts.store_lines(
                self.conn, self.config.boilerplate, new_docs, [a.paragraphs for a, _ in fresh]
            )
        return Seeds(
            new_docs=new_docs,
            lines=change,
            in_memory={doc: a for doc, (a, _) in zip(new_docs, fresh, strict=True)},
        )

    def insert_fingerprints(
        self, rows: Sequence[tuple[str, bytes, bytes, int, str | None, int]]
    ) -> Seeds:
        """Store documents given by ``(id, digest, signature, shingles, date, length)``."""
        first = self.next_doc()
        self.conn.executemany(
            "INSERT INTO documents(id, path, digest, signature, shingles, date, length, "
            "repairs, rep, cluster) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, -1)",
            [(doc_id, doc_id, *rest) for doc_id, *rest in rows],
        )
        self.conn.execute("UPDATE documents SET cluster = doc WHERE cluster = -1")
        return Seeds(new_docs=list(range(first, first + len(rows))), fingerprinted=True)

    def remove_docs(self, docs: Sequence[int]) -> None:
        """Remove stored documents and bring everything that depended on them up to date."""
        rows = self.conn.execute(
            "SELECT doc, id, digest, rep, cluster, signature, shingles FROM documents "
            "WHERE doc IN (SELECT value FROM json_each(?))",
            (id_list(docs),),
        ).fetchall()
        gone = {r[0]: r[1] for r in rows}
        seed_clusters = {r[4] for r in rows}
        self.kept_ids.update(r[1] for r in rows if r[0] == r[4] and r[0] not in self.promoted)
        freed = {r[2] for r in rows if r[3]}
        self.bands.delete([(r[0], r[5]) for r in rows if r[3] and r[6] > 0])
        # Canonicals that are not removed still carry their old cluster ids' names.
        for doc, doc_id in self.conn.execute(
            "SELECT doc, id FROM documents WHERE doc IN (SELECT value FROM json_each(?))",
            (id_list(seed_clusters),),
        ):
            gone.setdefault(doc, doc_id)
        change = None
        if self.config.boilerplate.enabled:
            change = verdicts.forget_lines(self.conn, self.config.boilerplate, docs)
        ids = id_list(docs)
        self.conn.execute("DELETE FROM edges WHERE a IN (SELECT value FROM json_each(?))", (ids,))
        self.conn.execute("DELETE FROM edges WHERE b IN (SELECT value FROM json_each(?))", (ids,))
        self.conn.execute(
            "DELETE FROM documents WHERE doc IN (SELECT value FROM json_each(?))", (ids,)
        )
        self.refresh(
            Seeds(
                lines=change,
                clusters=seed_clusters,
                freed=freed,
                gone=gone,
                fingerprinted=True,
            )
        )

    def next_doc(self) -> int:
        return int(
            self.conn.execute("SELECT COALESCE(MAX(doc), 0) + 1 FROM documents").fetchone()[0]
        )

    # ------------------------------------------------------------ the steps

    def refresh(self, seeds: Seeds) -> None:
        """Bring verdicts, fingerprints, representatives, edges and clusters up to date."""
        counts = self.counts
        with counts.timed("boilerplate verdicts"):
            flipped = verdicts.update_verdicts(self.conn, self.config.boilerplate, seeds.lines)
            verdicts.mark_states_current(self.conn)
        counts.verdict_flips += len(flipped)
        new_set = set(seeds.new_docs)
        restrip = (
            [d for d in verdicts.docs_holding(self.conn, flipped) if d not in new_set]
            if flipped
            else []
        )
        to_print = sorted(restrip if seeds.fingerprinted else [*seeds.new_docs, *restrip])
        with counts.timed("fingerprint"):
            prints = self.fingerprint(to_print, new_set, seeds.in_memory)
        counts.refingerprinted += len([d for d in prints.changed if d not in new_set])
        changed = prints.changed
        if seeds.fingerprinted:
            changed = sorted(set(changed) | new_set)
        with counts.timed("representatives"):
            link, joined = self.representatives(changed, prints, new_set, set(seeds.freed))
        touched = set(changed) | joined | self.link(sorted(link))
        with counts.timed("clusters"):
            self.recluster(touched, seed_clusters=seeds.clusters, new_set=new_set, gone=seeds.gone)

    def fingerprint(
        self, docs: list[int], new_set: set[int], in_memory: Mapping[int, Article]
    ) -> Fingerprints:
        """Strip and fingerprint stored articles; those whose fingerprint changed.

        Nothing is written here but a changed length, so the old fingerprints can
        still be read by :meth:`representatives` to undo their band keys.
        """
        new: dict[int, tuple[bytes, bytes, int, int]] = {}
        old: dict[int, tuple[bytes, int, bytes, int]] = {}
        changed: list[int] = []
        if not docs:
            return Fingerprints(changed=changed, new=new, old=old)
        for lo in range(0, len(docs), SQL_BATCH):
            part = docs[lo : lo + SQL_BATCH]
            rows = self.conn.execute(
                "SELECT doc, CASE WHEN doc IN (SELECT value FROM json_each(?)) THEN NULL "
                "ELSE article END, digest, signature, shingles, rep, length FROM documents "
                "WHERE doc IN (SELECT value FROM json_each(?)) ORDER BY doc",
                (id_list(d for d in part if d in in_memory), id_list(part)),
            ).fetchall()
            articles = [
                in_memory[doc] if doc in in_memory else unpack_article(stored)
                for doc, stored, *_ in rows
            ]
            texts = self._stripped_texts(articles)
            sigs, sizes, digests = fingerprint_batch(texts, self.config.fingerprint)
            for k, (doc, _, digest, sig_blob, size, rep, length) in enumerate(rows):
                new_sig = sigs[k].tobytes()
                new_len = len(texts[k])
                if doc in new_set or digest != digests[k] or sig_blob != new_sig:
                    old[doc] = (digest, rep, sig_blob, size)
                    new[doc] = (digests[k], new_sig, int(sizes[k]), new_len)
                    changed.append(doc)
                elif new_len != length:
                    self.conn.execute(
                        "UPDATE documents SET length = ? WHERE doc = ?", (new_len, doc)
                    )
        return Fingerprints(changed=changed, new=new, old=old)

    def _stripped_texts(self, articles: Sequence[Article]) -> list[str]:
        """The articles' texts without their paragraphs whose stored verdict is boilerplate.

        As the batch run strips: the paragraph keys of all of them in one kernel
        call, and the verdicts of just those keys.
        """
        if not self.config.boilerplate.enabled:
            return [a.text for a in articles]
        flat, lengths = key_paragraph_groups([a.paragraphs for a in articles])
        found = verdicts.boilerplate_among(self.conn, sorted_unique(flat[0]))
        return stripped_texts(articles, flat[0], lengths, found)

    def representatives(
        self, changed: Sequence[int], prints: Fingerprints, new_set: set[int], freed: set[bytes]
    ) -> tuple[list[int], set[int]]:
        """Write the new fingerprints and choose the representatives of the digests touched.

        Old representatives whose fingerprint changed leave their digest group
        (band keys and edges go), and so do removed ones (``freed``): the group's
        first document takes over. Returns the new representatives, to be linked,
        and the representatives that changed documents joined through their digest.
        """
        leaving = [
            (doc, *prints.old[doc])
            for doc in changed
            if doc not in new_set and doc in prints.old and prints.old[doc][1]
        ]
        self.bands.delete([(doc, sig) for doc, _, _, sig, size in leaving if size > 0])
        for column in ("a", "b"):
            self.conn.execute(
                f"DELETE FROM edges WHERE {column} IN (SELECT value FROM json_each(?))",
                (id_list(doc for doc, *_ in leaving),),
            )
        freed = freed | {digest for _, digest, *_ in leaving}
        digest_of = self._write_fingerprints(changed, prints)
        link: list[int] = []
        joined: set[int] = set()
        rep_of = self._reps_of(set(digest_of.values()))
        for doc in changed:
            rep_doc = rep_of.setdefault(digest_of[doc], doc)
            if rep_doc == doc:
                link.append(doc)
            else:
                joined.add(rep_doc)
        self.conn.execute(
            "UPDATE documents SET rep = 1 WHERE doc IN (SELECT value FROM json_each(?))",
            (id_list(link),),
        )
        for digest in freed:
            has_rep = self.conn.execute(
                "SELECT 1 FROM documents WHERE digest = ? AND rep = 1 LIMIT 1", (digest,)
            ).fetchone()
            if has_rep is None:
                row = self.conn.execute(
                    "SELECT MIN(doc) FROM documents WHERE digest = ?", (digest,)
                ).fetchone()
                if row[0] is not None:
                    self.conn.execute("UPDATE documents SET rep = 1 WHERE doc = ?", (row[0],))
                    link.append(row[0])
                    joined.add(row[0])
        return link, joined

    def _write_fingerprints(self, changed: Sequence[int], prints: Fingerprints) -> dict[int, bytes]:
        """Store the new fingerprints; the digest of every changed document."""
        self.conn.executemany(
            "UPDATE documents SET digest = ?, signature = ?, shingles = ?, length = ?, rep = 0 "
            "WHERE doc = ?",
            [(*prints.new[d], d) for d in changed if d in prints.new],
        )
        digest_of = {d: prints.new[d][0] for d in changed if d in prints.new}
        elsewhere = [d for d in changed if d not in prints.new]  # add_fingerprints
        for lo in range(0, len(elsewhere), SQL_BATCH):
            digest_of.update(
                self.conn.execute(
                    "SELECT doc, digest FROM documents "
                    "WHERE doc IN (SELECT value FROM json_each(?))",
                    (id_list(elsewhere[lo : lo + SQL_BATCH]),),
                ).fetchall()
            )
        return digest_of

    def _reps_of(self, digests: set[bytes]) -> dict[bytes, int]:
        """The representative of each stored digest group among ``digests`` (one join)."""
        if not digests:
            return {}
        self.conn.execute("DELETE FROM want")
        self.conn.executemany("INSERT INTO want(digest) VALUES (?)", [(d,) for d in digests])
        rows = self.conn.execute(
            # CROSS JOIN keeps want outside: without statistics SQLite may scan documents.
            "SELECT d.digest, MIN(d.doc) FROM want w CROSS JOIN documents d ON d.digest = w.digest "
            "WHERE d.rep = 1 GROUP BY d.digest"
        ).fetchall()
        self.conn.execute("DELETE FROM want")
        return dict(rows)

    def link(self, docs: list[int]) -> set[int]:
        """Band keys for new representatives, their verified candidates as edges; the endpoints."""
        if not docs:
            return set()
        with self.counts.timed("link"):
            pairs = self._new_run_and_candidates(docs)
        with self.counts.timed("verify"):
            return self._verify_and_store(pairs)

    def _new_run_and_candidates(self, docs: list[int]) -> _I64:
        """Store the new representatives' band keys as a run; their candidate pairs."""
        found: list[tuple[_I64, _I64]] = []
        for lo in range(0, len(docs), SQL_BATCH):
            rows = self.conn.execute(
                "SELECT doc, signature FROM documents WHERE shingles > 0 "
                "AND doc IN (SELECT value FROM json_each(?)) ORDER BY doc",
                (id_list(docs[lo : lo + SQL_BATCH]),),
            ).fetchall()
            if rows:
                sigs = stored_signatures([r[1] for r in rows], self.config.fingerprint.num_perm)
                doc_ids = np.array([r[0] for r in rows], dtype=np.int64)
                found.append((doc_ids, self.bands.keys_of(sigs)))
        if not found:
            return np.empty((0, 2), dtype=np.int64)
        run = self.bands.run_order(
            np.concatenate([d for d, _ in found]), np.concatenate([k for _, k in found])
        )
        # Candidates first: the batch's own keys are members there, not from the new run.
        pairs = self.bands.candidates(*run)
        with self.counts.timed("band runs"):
            self.counts.merged_band_keys += self.bands.add_run(*run)
        return pairs

    def _verify_and_store(self, pairs: _I64) -> set[int]:
        """Verify candidate pairs with the batch rule, store the accepted ones; their ends."""
        if not len(pairs):
            return set()
        involved = sorted_unique(pairs)
        sig_of: dict[int, tuple[bytes, int]] = {}
        for lo in range(0, len(involved), SQL_BATCH):
            for doc, sig, size in self.conn.execute(
                "SELECT doc, signature, shingles FROM documents "
                "WHERE doc IN (SELECT value FROM json_each(?))",
                (id_list(involved[lo : lo + SQL_BATCH].tolist()),),
            ):
                sig_of[doc] = (sig, size)
        all_sigs = stored_signatures(
            [sig_of[int(d)][0] for d in involved], self.config.fingerprint.num_perm
        )
        all_sizes = np.array([sig_of[int(d)][1] for d in involved], dtype=np.int64)
        local = np.searchsorted(involved, pairs)
        _, _, ok = verify_pairs(all_sigs, all_sizes, local, self.config)
        accepted = pairs[ok]
        self.counts.candidate_pairs += len(pairs)
        self.counts.accepted_pairs += len(accepted)
        self.conn.executemany("INSERT OR IGNORE INTO edges(a, b) VALUES (?, ?)", accepted.tolist())
        return {int(x) for x in sorted_unique(accepted)}

    def recluster(
        self,
        seeds: set[int],
        *,
        seed_clusters: set[int],
        new_set: set[int],
        gone: Mapping[int, str],
    ) -> None:
        """Recompute the clusters holding ``seeds`` (and the old ``seed_clusters``)."""
        done = clusters.recluster(
            self.conn,
            seeds,
            seed_clusters=seed_clusters,
            new_set=new_set,
            gone=gone,
            num_perm=self.config.fingerprint.num_perm,
            promoted=self.promoted,
            kept_ids=self.kept_ids,
        )
        self.promoted |= done.promoted
        self.counts.changes.extend(done.changes)
        self.counts.joined += done.joined
        self.counts.canonical_changes += done.canonical_changes
