"""Tasks of the exchanges: band rows to buckets, pairs to the groups that verify them,
edges to a spanning forest.

Rows travel as dicts of equal-length arrays, cut by :func:`split_to_owners` into
one piece per group; a document is named by its node id (partition in the high
32 bits), and :class:`~newsingest.dask._partition.GroupTable` finds its row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from newsingest._arrays import equal_runs, sorted_unique
from newsingest._gc import pausing
from newsingest.config import DedupConfig
from newsingest.dask._partition import GroupTable, IngestedPart, group_table
from newsingest.matching._unionfind import connected_components
from newsingest.matching.lsh import (
    BIG_BUCKET_ANCHORS,
    DEFAULT_MAX_BUCKET,
    hash_columns,
    ordered_bucket_pairs,
)
from newsingest.matching.verify import verify_pairs

_Int = npt.NDArray[np.int64]
NO_PAIRS = np.empty((0, 2), dtype=np.int64)


def split_to_owners(
    rows: dict[str, Any], nodes: _Int, group_of: _Int
) -> tuple[dict[str, Any], ...]:
    """``rows`` (equal-length arrays) cut into one piece per group: row ``i`` goes to the
    group holding the document of ``nodes[i]`` (``group_of`` maps partition to group)."""
    groups = int(group_of.max()) + 1
    dest = group_of[nodes >> 32]
    order = np.argsort(dest, kind="stable")
    cuts = np.searchsorted(dest[order], np.arange(1, groups))
    pieces = [{} for _ in range(groups)]  # type: list[dict[str, Any]]
    for name, values in rows.items():
        for g, chunk in enumerate(np.split(values[order], cuts)):
            pieces[g][name] = chunk
    return tuple(pieces)


def concat_columns(pieces: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The pieces of :func:`split_to_owners` (same columns each) as one set of rows."""
    return {name: np.concatenate([p[name] for p in pieces]) for name in pieces[0]}


def route_pairs(pairs: _Int, group_of: _Int, side: int) -> tuple[dict[str, Any], ...]:
    """Node pairs, each to the group holding its document in column ``side``."""
    return split_to_owners({"pair": pairs}, pairs[:, side], group_of)


# ---------------------------------------------------------------- band rows and buckets


@attrs.frozen
class Bucketed:
    """Band rows bound for one group, and the sending group's documents (see :func:`band_split`)."""

    bounds: _Int  # slot s is rows bounds[s]:bounds[s + 1]
    key: npt.NDArray[np.uint64]
    doc: npt.NDArray[np.int32]  # row in the document columns below
    node: _Int
    id: npt.NDArray[np.object_]
    d0: npt.NDArray[np.uint64]
    d1: npt.NDArray[np.uint64]
    content: npt.NDArray[np.uint64]


def table_and_bands(
    numbers: Sequence[int],
    boilerplate: _Int,
    config: DedupConfig,
    banding: tuple[int, int, int],
    *parts: IngestedPart,
) -> tuple[Any, ...]:
    """:func:`group_table`, then its band rows split by destination group (:func:`band_split`)."""
    table = group_table(numbers, boilerplate, config, *parts)
    return (table, *band_split(table, *banding))


@pausing
def band_split(table: GroupTable, bands: int, rows: int, groups: int) -> tuple[Bucketed, ...]:
    """Per destination group: its band rows (band, key, document) and the documents.

    Besides the bands, one row per document is keyed by its digest (slot 0;
    band ``b`` is slot ``b + 1``). A row names its document by its row in the
    table; the table's columns that the buckets compare (node, id, digest,
    content hash) travel once per piece, not with each of a document's fifty
    rows.
    """
    n = len(table.node)
    digest = table.digests.view(np.uint64).reshape(n, 2)
    valid = table.sizes > 0
    keys = np.empty((bands + 1, n), dtype=np.uint64)
    keys[0] = digest[:, 0]
    for b in range(bands):
        keys[b + 1] = hash_columns(table.sigs, b * rows, (b + 1) * rows)
    salt = np.arange(-1, bands, dtype=np.int64).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    dest = ((keys ^ salt[:, None]) % np.uint64(groups)).astype(np.int16)
    dest[1:, ~valid] = groups  # an empty text has no band keys: past the last group
    content = np.where(valid, hash_columns(table.sigs, 0, table.sigs.shape[1]), np.uint64(0))
    d0, d1 = digest[:, 0].copy(), digest[:, 1].copy()
    # Stable, so each piece stays slot by slot with documents ascending (a radix sort).
    order = np.argsort(dest.reshape(-1), kind="stable")
    slots = bands + 1
    counts = np.bincount(
        (dest.astype(np.int64) * slots + np.arange(slots)[:, None]).reshape(-1),
        minlength=(groups + 1) * slots,
    ).reshape(groups + 1, slots)
    cuts = np.r_[0, np.cumsum(counts.sum(axis=1))]
    flat_keys = keys.reshape(-1)
    out = []
    for g in range(groups):
        mine = order[cuts[g] : cuts[g + 1]]
        out.append(
            Bucketed(
                bounds=np.r_[0, np.cumsum(counts[g])].astype(np.int64),
                key=flat_keys[mine],
                doc=(mine % n).astype(np.int32),
                node=table.node,
                id=table.ids,
                d0=d0,
                d1=d1,
                content=content,
            )
        )
    return tuple(out)


@pausing
def lsh_reduce(pieces: Sequence[Bucketed]) -> tuple[_Int, _Int]:
    """(candidate pairs, exact-copy edges) of the buckets in this piece, as node pairs.

    Band by band, as :func:`~newsingest.matching.lsh.find_candidate_pairs` does: most
    buckets hold one document and are dropped after a sort of integers. Ids
    are compared only where the local pipeline's id order decides something:
    which copy of a text represents it, and the order of a bucket too big for
    all pairs.
    """
    offsets = np.cumsum([0] + [p.node.size for p in pieces])[:-1]
    node = np.concatenate([p.node for p in pieces])
    ids = np.concatenate([p.id for p in pieces])
    d0 = np.concatenate([p.d0 for p in pieces])
    d1 = np.concatenate([p.d1 for p in pieces])

    def slot(s: int) -> tuple[npt.NDArray[np.uint64], _Int]:
        """Keys and documents (rows of the columns above) of slot ``s`` from every piece."""
        cut = [slice(p.bounds[s], p.bounds[s + 1]) for p in pieces]
        keys = np.concatenate([p.key[c] for p, c in zip(pieces, cut, strict=True)])
        docs = [p.doc[c].astype(np.int64) + o for p, c, o in zip(pieces, cut, offsets, strict=True)]
        return keys, np.concatenate(docs)

    def digest_runs(docs: _Int) -> tuple[_Int, _Int]:
        """:func:`equal_runs` of the digests of ``docs`` (sorted by digest)."""
        return equal_runs(np.stack([d0[docs], d1[docs]], axis=1))

    # Exact copies: each joins the smallest id with its digest.
    _, docs = slot(0)
    docs = docs[np.lexsort((d1[docs], d0[docs]))]
    starts, lengths = digest_runs(docs)
    docs = docs[np.repeat(lengths >= 2, lengths)]  # digests with copies only
    starts, lengths = digest_runs(docs)
    docs = docs[np.lexsort((id_ranks(docs, ids), np.repeat(starts, lengths)))]
    copy = np.ones(docs.size, dtype=bool)  # every row but the first of its digest
    copy[starts] = False
    first = np.repeat(docs[starts], lengths)
    exact_edges = np.stack([node[first[copy]], node[docs[copy]]], axis=1).astype(np.int64)

    # Shared buckets of every band: (band, key, document) rows.
    band_parts: list[npt.NDArray[np.uint64]] = []
    key_parts: list[npt.NDArray[np.uint64]] = []
    doc_parts: list[_Int] = []
    for s in range(1, pieces[0].bounds.size - 1):
        keys, docs = slot(s)
        order = np.argsort(keys)
        keys, docs = keys[order], docs[order]
        _, lengths = equal_runs(keys)
        shared = np.repeat(lengths >= 2, lengths)
        key_parts.append(keys[shared])
        doc_parts.append(docs[shared])
        band_parts.append(np.full(int(shared.sum()), s, dtype=np.uint64))
    band = np.concatenate(band_parts)
    key = np.concatenate(key_parts)
    doc = np.concatenate(doc_parts)
    # A bucket holds every copy of a text (same text, same band keys), so keeping
    # the copy of smallest id of each digest keeps, in every bucket, the
    # representative the local index keeps.
    distinct = sorted_unique(doc)
    rank_of = id_ranks(distinct, ids)
    by_digest = np.lexsort((rank_of, d1[distinct], d0[distinct]))
    starts, _ = digest_runs(distinct[by_digest])
    representative = np.zeros(distinct.size, dtype=bool)
    representative[by_digest[starts]] = True
    at = np.searchsorted(distinct, doc)
    keep = representative[at]
    band, key, doc, rank = band[keep], key[keep], doc[keep], rank_of[at[keep]]
    starts, lengths = equal_runs(np.stack([band, key], axis=1))  # still in (band, key) order
    shared = lengths >= 2
    small = shared & (lengths <= DEFAULT_MAX_BUCKET)
    pairs = [doc[small_run_pairs(starts[small], lengths[small])]]
    if np.any(shared & ~small):
        content = np.concatenate([p.content for p in pieces])
        for start, length in zip(starts[shared & ~small], lengths[shared & ~small], strict=True):
            # The local index orders a big bucket by content hash, then by index (= id order).
            span = slice(start, start + length)
            ordered = doc[span][np.lexsort((rank[span], content[doc[span]]))]
            pairs.append(ordered_bucket_pairs(ordered, BIG_BUCKET_ANCHORS))
    found = node[np.concatenate(pairs)]
    if found.shape[0] == 0:
        return NO_PAIRS, exact_edges
    found = np.sort(found, axis=1)
    found = found[np.lexsort((found[:, 1], found[:, 0]))]
    starts, _ = equal_runs(found)
    return found[starts], exact_edges


def id_ranks(docs: _Int, ids: npt.NDArray[np.object_]) -> _Int:
    """For each of ``docs`` (rows of ``ids``, repeats allowed), its rank in their id order."""
    distinct = sorted_unique(docs)
    rank_of = np.empty(distinct.size, dtype=np.int64)
    rank_of[np.argsort(ids[distinct], kind="stable")] = np.arange(distinct.size)
    ranks: _Int = rank_of[np.searchsorted(distinct, docs)]
    return ranks


def small_run_pairs(starts: _Int, lengths: _Int) -> _Int:
    """Every pair of positions within each run ``[starts[i], starts[i] + lengths[i])``."""
    if starts.size == 0:
        return NO_PAIRS
    left: list[_Int] = []
    right: list[_Int] = []
    for length in sorted_unique(lengths).tolist():
        base = starts[lengths == length]
        i, j = np.triu_indices(length, k=1)
        left.append((base[:, None] + i[None, :]).reshape(-1))
        right.append((base[:, None] + j[None, :]).reshape(-1))
    return np.stack([np.concatenate(left), np.concatenate(right)], axis=1)


def route_candidates(pieces: Sequence[Bucketed], group_of: _Int) -> tuple[Any, ...]:
    """:func:`lsh_reduce`, its candidate pairs routed to ``b``'s group; its exact edges last."""
    pairs, exact = lsh_reduce(pieces)
    return (*route_pairs(pairs, group_of, 1), exact)


# ---------------------------------------------------------------- pairs


def attach_partner(
    pieces: Sequence[dict[str, Any]], table: GroupTable, group_of: _Int
) -> tuple[dict[str, Any], ...]:
    """At ``b``'s group: add ``b``'s signature, size and id to each pair ``(a, b)`` (other
    columns ride along); send on to ``a``'s group."""
    rows: dict[str, Any] = concat_columns(pieces) if pieces else {"pair": NO_PAIRS}
    pairs = rows["pair"]
    at = table.row_of(pairs[:, 1])
    rows.update(sig=table.sigs[at], size=table.sizes[at], id=table.ids[at])
    return split_to_owners(rows, pairs[:, 0], group_of)


def verified_pairs(
    pieces: Sequence[dict[str, Any]], table: GroupTable, config: DedupConfig
) -> _Int:
    """At ``a``'s group: the pairs that pass the duplicate rule (``verify_pairs``)."""
    rows = concat_columns(pieces)
    pairs = rows["pair"]
    if pairs.shape[0] == 0:
        return NO_PAIRS
    at = table.row_of(pairs[:, 0])
    m = pairs.shape[0]
    sigs = np.concatenate([table.sigs[at], rows["sig"]])
    sizes = np.concatenate([table.sizes[at], rows["size"]])
    _, _, ok = verify_pairs(sigs, sizes, np.stack([np.arange(m), np.arange(m, 2 * m)], 1), config)
    return pairs[ok]  # type: ignore[no-any-return]


# ---------------------------------------------------------------- components


def spanning_forest(edge_sets: Sequence[_Int]) -> _Int:
    """A spanning forest of the union of ``edge_sets``: (node, root) per non-root node."""
    edges = np.concatenate([e.reshape(-1, 2) for e in edge_sets])
    if edges.shape[0] == 0:
        return NO_PAIRS
    nodes, inverse = np.unique(edges, return_inverse=True)
    labels = connected_components(nodes.size, inverse.reshape(-1, 2))
    child = np.flatnonzero(labels != np.arange(nodes.size))
    return np.stack([nodes[child], nodes[labels[child]]], axis=1)


def verified_forest(
    pieces: Sequence[dict[str, Any]], table: GroupTable, exact: _Int, config: DedupConfig
) -> _Int:
    """The spanning forest of the pairs verified here and of ``exact`` (copy edges)."""
    return spanning_forest([verified_pairs(pieces, table, config), exact])


def component_labels(edge_sets: Sequence[_Int], group_of: _Int) -> tuple[dict[str, Any], ...]:
    """The root of the forest reduction: every clustered node with its component label,
    split by owner group."""
    forest = spanning_forest(edge_sets)
    roots = sorted_unique(forest[:, 1])
    node = np.r_[forest[:, 0], roots]
    label = np.r_[forest[:, 1], roots]
    return split_to_owners({"node": node, "label": label}, node, group_of)
