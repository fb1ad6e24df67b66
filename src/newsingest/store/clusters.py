"""Stored clusters: recomputed from their edges with the linking core, and read back.

Clusters affected by an update (those of new, changed or newly linked
documents, and of removed ones) are recomputed as connected components of
their stored edges and digest groups (:func:`~newsingest.matching.link.exact_groups`),
their canonicals chosen and explained by
:func:`~newsingest.matching.link.resolve_components`, as in the batch run —
except that a document already stored as a canonical is an incumbent: a copy
that only ties with it on content does not replace it.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from newsingest._arrays import sorted_unique
from newsingest.matching.link import (
    connected_components,
    day_number,
    decision,
    exact_groups,
    resolve_components,
)
from newsingest.matching.verify import score_against
from newsingest.records import ChangeReason, Cluster, ClusterChange, Decision
from newsingest.store.schema import SQL_BATCH, id_list, stored_signatures, text_list

__all__ = [
    "DECISION_SQL",
    "Reclustered",
    "all_clusters",
    "clusters_of",
    "decisions_of",
    "recluster",
]

_I64 = npt.NDArray[np.int64]

# The columns recluster reads of each member of the clusters it recomputes.
_DOC, _ID, _PATH, _DIGEST, _SIG, _SHINGLES, _DATE, _LENGTH, _REPAIRS = range(9)
_CLUSTER, _SIMILARITY, _CONTAINMENT = 9, 10, 11
_MEMBER_SQL = (
    "SELECT doc, id, path, digest, signature, shingles, date, length, repairs, cluster, "
    "similarity, containment FROM documents "
    "WHERE cluster IN (SELECT value FROM json_each(?)) ORDER BY doc"
)

DECISION_SQL = (
    "SELECT d.id, d.path, c.id, d.similarity, d.containment "
    "FROM documents d JOIN documents c ON c.doc = d.cluster"
)
"""A stored document's report row, for :func:`decision`."""


@attrs.frozen(kw_only=True)
class Reclustered:
    """What recomputing some clusters changed, for the update's report."""

    changes: tuple[ClusterChange, ...] = ()
    """Stored documents (not new ones) whose cluster changed."""
    joined: int = 0
    """New documents in a cluster with stored ones."""
    canonical_changes: int = 0
    """Clusters whose canonical changed or was removed."""
    promoted: frozenset[int] = frozenset()
    """Stored documents that became canonicals here without being incumbents."""


def recluster(
    conn: sqlite3.Connection,
    seeds: set[int],
    *,
    seed_clusters: set[int],
    new_set: set[int],
    gone: Mapping[int, str],
    num_perm: int | None = None,
    promoted: AbstractSet[int] = frozenset(),
    kept_ids: AbstractSet[str] = frozenset(),
) -> Reclustered:
    """Recompute the clusters holding ``seeds`` (and the old ``seed_clusters``).

    ``new_set`` are the documents new in this update (they join, they are not
    changes), ``gone`` names removed documents. ``num_perm`` is the length of
    every stored signature (``None``: that of the first one read).

    The incumbents (:func:`~newsingest.matching.link.rank_terms`) are the
    stored documents that are their cluster's canonical, except those
    ``promoted`` by an earlier step of the same update (a removal), and the new
    documents whose id is in ``kept_ids``: canonicals the same update removed
    to store a new version of them.
    """
    clusters = set(seed_clusters)
    ordered = sorted(seeds)
    for lo in range(0, len(ordered), SQL_BATCH):
        clusters.update(
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT cluster FROM documents "
                "WHERE doc IN (SELECT value FROM json_each(?))",
                (id_list(ordered[lo : lo + SQL_BATCH]),),
            )
        )
    if not clusters:
        return Reclustered()
    rows = conn.execute(_MEMBER_SQL, (id_list(clusters),)).fetchall()
    if not rows:
        conn.execute(
            "DELETE FROM clusters WHERE canonical IN (SELECT value FROM json_each(?))",
            (id_list(clusters),),
        )
        return Reclustered()
    n = len(rows)
    docs = np.array([r[_DOC] for r in rows], dtype=np.int64)
    stored = np.array(
        conn.execute(
            "SELECT a, b FROM edges WHERE a IN (SELECT value FROM json_each(?))", (id_list(docs),)
        ).fetchall(),
        dtype=np.int64,
    ).reshape(-1, 2)
    _, copies = exact_groups([r[_DIGEST] for r in rows])
    labels = connected_components(n, np.concatenate([np.searchsorted(docs, stored), copies]))
    ids = [r[_ID] for r in rows]
    id_rank = np.empty(n, dtype=np.int64)
    id_rank[sorted(range(n), key=ids.__getitem__)] = np.arange(n)
    shingles = np.array([r[_SHINGLES] for r in rows], dtype=np.int64)
    is_old = np.array([r[_DOC] not in new_set for r in rows], dtype=bool)
    incumbent = _incumbents(rows, docs, is_old, promoted, kept_ids)

    def ranks(members: _I64) -> tuple[_I64, _I64, _I64]:
        picked = [rows[i] for i in members.tolist()]
        return (
            np.array([day_number(_date(r[_DATE])) for r in picked], dtype=np.int64),
            np.array([r[_REPAIRS] for r in picked], dtype=np.int64),
            np.array([r[_LENGTH] for r in picked], dtype=np.int64),
        )

    resolved = resolve_components(
        ids, labels, shingles, ranks, id_rank=id_rank, incumbent=incumbent
    )
    canonical = resolved.canonical
    scores = _scores_to_canonical(rows, shingles, canonical, num_perm)
    sizes = np.bincount(labels, minlength=n)
    comp_has_old = np.zeros(n, dtype=bool)
    comp_has_old[labels[is_old]] = True
    id_of = {int(docs[i]): r[_ID] for i, r in enumerate(rows)}
    id_of_old = {**gone, **id_of}
    updates = []
    changes: list[ClusterChange] = []
    joined = 0
    changed_clusters: set[int] = set()
    for i, r in enumerate(rows):
        new_cluster = int(docs[canonical[i]])
        sim, cont = scores.get(i, (None, None))
        if (new_cluster, sim, cont) != (r[_CLUSTER], r[_SIMILARITY], r[_CONTAINMENT]):
            updates.append((new_cluster, sim, cont, r[_DOC]))
        if r[_DOC] in new_set:
            if comp_has_old[labels[i]]:
                joined += 1
            continue
        old_cluster = int(r[_CLUSTER])
        if old_cluster == new_cluster:
            continue
        reason = _change_reason(
            r[_DOC], old_cluster=old_cluster, label=labels[i], docs=docs, labels=labels, id_of=id_of
        )
        if reason.startswith("canonical"):
            changed_clusters.add(old_cluster)
        changes.append(
            ClusterChange(
                id=r[_ID],
                path=r[_PATH],
                old_cluster=id_of_old.get(old_cluster, str(old_cluster)),
                new_cluster=id_of[new_cluster],
                reason=reason,
            )
        )
    conn.executemany(
        "UPDATE documents SET cluster = ?, similarity = ?, containment = ? WHERE doc = ?",
        updates,
    )
    conn.execute(
        "DELETE FROM clusters WHERE canonical IN (SELECT value FROM json_each(?))",
        (id_list(clusters | {int(docs[c]) for c in canonical}),),
    )
    conn.executemany(
        "INSERT INTO clusters(canonical, size, why) VALUES (?, ?, ?)",
        [
            (int(docs[i]), int(sizes[labels[i]]), resolved.whys.get(int(labels[i]), ""))
            for i in range(n)
            if canonical[i] == i and sizes[labels[i]] >= 2
        ],
    )
    heads = np.flatnonzero(canonical == np.arange(n))
    return Reclustered(
        changes=tuple(changes),
        joined=joined,
        canonical_changes=len(changed_clusters),
        promoted=frozenset(docs[heads[is_old[heads] & ~incumbent[heads]]].tolist()),
    )


def _incumbents(
    rows: Sequence[tuple[Any, ...]],
    docs: _I64,
    is_old: npt.NDArray[np.bool_],
    promoted: AbstractSet[int],
    kept_ids: AbstractSet[str],
) -> npt.NDArray[np.bool_]:
    """Which of ``rows`` are incumbent canonicals (see :func:`recluster`)."""
    stored_cluster = np.array([r[_CLUSTER] for r in rows], dtype=np.int64)
    incumbent: npt.NDArray[np.bool_] = is_old & (stored_cluster == docs)
    if promoted:
        incumbent &= ~np.isin(docs, np.fromiter(promoted, dtype=np.int64, count=len(promoted)))
    if kept_ids:
        incumbent |= ~is_old & np.array([r[_ID] in kept_ids for r in rows], dtype=bool)
    return incumbent


def _date(iso: str | None) -> dt.date | None:
    return dt.date.fromisoformat(iso) if iso else None


def _scores_to_canonical(
    rows: Sequence[tuple[Any, ...]], shingles: _I64, canonical: _I64, num_perm: int | None
) -> dict[int, tuple[float, float]]:
    """``(similarity, containment)`` of each duplicate (by row) to its canonical."""
    dup = np.flatnonzero(canonical != np.arange(len(rows)))
    if not dup.size:
        return {}
    involved = sorted_unique(np.concatenate([dup, canonical[dup]]))
    blobs = [rows[i][_SIG] for i in involved.tolist()]
    if num_perm is None:
        num_perm = max(1, len(blobs[0]) // 4) if isinstance(blobs[0], bytes) else 1
    sigs = stored_signatures(blobs, num_perm)
    sim, cont = score_against(
        sigs,
        shingles[involved],
        np.searchsorted(involved, dup),
        np.searchsorted(involved, canonical[dup]),
    )
    return dict(zip(dup.tolist(), zip(sim.tolist(), cont.tolist(), strict=True), strict=True))


def _change_reason(
    doc: int,
    *,
    old_cluster: int,
    label: int,
    docs: _I64,
    labels: _I64,
    id_of: Mapping[int, str],
) -> ChangeReason:
    """Why a stored document moved from ``old_cluster`` (a document) to another cluster."""
    if old_cluster not in id_of:
        return "canonical removed"
    old_pos = int(np.searchsorted(docs, old_cluster))
    if labels[old_pos] == label:  # the old canonical is still a member: it lost the rank
        return "canonical changed"
    if old_cluster == doc:
        return "joined"
    return "split"


# ---------------------------------------------------------------- reading


def decisions_of(conn: sqlite3.Connection, ids: Iterable[str]) -> list[Decision]:
    """The report rows of the stored documents among ``ids``."""
    out: list[Decision] = []
    wanted = list(ids)
    for lo in range(0, len(wanted), SQL_BATCH):
        cur = conn.execute(
            DECISION_SQL + " WHERE d.id IN (SELECT value FROM json_each(?))",
            (text_list(wanted[lo : lo + SQL_BATCH]),),
        )
        out.extend(decision(*row) for row in cur)
    return out


def clusters_of(conn: sqlite3.Connection, ids: Iterable[str]) -> list[Cluster]:
    """The multi-member clusters holding any of ``ids``, largest first, then by id."""
    canon = {
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT cluster FROM documents WHERE id IN (SELECT value FROM json_each(?))",
            (text_list(ids),),
        )
    }
    out = [
        _cluster(conn, canonical, cid, why)
        for canonical, cid, why in conn.execute(
            "SELECT c.canonical, d.id, c.why FROM clusters c "
            "JOIN documents d ON d.doc = c.canonical "
            "WHERE c.canonical IN (SELECT value FROM json_each(?))",
            (id_list(canon),),
        ).fetchall()
    ]
    out.sort(key=lambda c: (-len(c.members), c.id))
    return out


def all_clusters(conn: sqlite3.Connection) -> Iterator[Cluster]:
    """Every multi-member cluster, largest first, then by id."""
    rows = conn.execute(
        "SELECT c.canonical, d.id, c.why FROM clusters c "
        "JOIN documents d ON d.doc = c.canonical "
        "ORDER BY c.size DESC, d.id"
    ).fetchall()
    for canonical, cid, why in rows:
        yield _cluster(conn, canonical, cid, why)


def _cluster(conn: sqlite3.Connection, canonical: int, cid: str, why: str) -> Cluster:
    members = tuple(
        r[0]
        for r in conn.execute(
            "SELECT id FROM documents WHERE cluster = ? ORDER BY id", (canonical,)
        )
    )
    return Cluster(id=cid, canonical=cid, members=members, why=why)
