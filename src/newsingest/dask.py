"""Deduplicate on a Dask cluster: the same decisions as :func:`newsingest.pipeline.dedup`.

``pip install "newsingest[dask]"``, start (or connect to) a cluster the usual
way — ``distributed.Client``, ``dask_jobqueue.SLURMCluster``, a Kubernetes
operator — and call :func:`dedup_dask`. It never creates a cluster: it runs on
whatever client is active (or dask's local scheduler when there is none).

The work is a graph of dask tasks over numpy arrays, not dataframe
operations: every document gets an integer node id (its partition in the high
32 bits), the partitions are gathered into ``G`` groups, one per task thread
and each on the worker that ingested its partitions (at most
:data:`MAX_GROUPS`), and each exchange between stages is one all-to-all step
of ``G × G`` pieces, with no synchronisation in between:

* per partition: read → decode → extract → repair → line keys (the articles
  stay on their worker); then, per group, strip → fingerprint (signatures stay
  a ``(n, num_perm)`` uint32 array);
* boilerplate: key document-frequencies by a tree reduction; only the
  documents holding a frequent key travel, as integers, to the one task that
  makes the one-story-or-many decision (:mod:`newsingest.matching.boilerplate`);
* one exchange keyed by (band, band key) — with one extra "band" keyed by the
  exact digest — finds the exact copies and the LSH candidate pairs at once:
  every copy of a text lands in the same bucket of every band, so a bucket
  keeps the smallest id of each digest, as the local index keeps one
  representative per digest. A band row is 14 bytes; the document columns
  the buckets compare travel once per piece, not once per row;
* verification: two exchanges bring ``b``'s signature to the pair, then the
  pair to ``a``'s group, where it is verified;
* connected components: a spanning forest per piece (union-find), merged by a
  tree reduction; the forest has fewer edges than there are clustered
  documents;
* canonical copies: the ranking fields of the clustered documents meet in one
  task; the (member, canonical) pairs are scored by the same two exchanges.

Document ids are compared as strings, which orders them exactly as the local
pipeline's sorted indices, so every tie is broken the same way.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the env

from newsingest._arrays import expand_ranges, sorted_unique
from newsingest._gc import pausing
from newsingest.config import BoilerplateConfig, DedupConfig, IngestConfig
from newsingest.ingest.read import iter_documents
from newsingest.ingest.run import ingest_or_reject
from newsingest.matching._unionfind import connected_components
from newsingest.matching.boilerplate import (
    ParagraphKeys,
    boilerplate_keys,
    distinct_keys,
    is_candidate,
    key_paragraph_groups,
    stripped_texts,
)
from newsingest.matching.fingerprint import fingerprint_batch
from newsingest.matching.link import count_repairs, day_number
from newsingest.matching.lsh import (
    BIG_BUCKET_ANCHORS,
    DEFAULT_MAX_BUCKET,
    bands_for_config,
    hash_columns,
    ordered_bucket_pairs,
)
from newsingest.matching.verify import score_against, verify_pairs
from newsingest.records import Article, Decision, RawDocument, Rejection

if TYPE_CHECKING:
    import dask.bag as db
    import dask.dataframe as dd

__all__ = ["DECISION_COLUMNS", "MAX_GROUPS", "dedup_dask", "to_decisions"]

DECISION_COLUMNS = (
    "id",
    "path",
    "status",
    "cluster",
    "duplicate_of",
    "similarity",
    "containment",
    "reason",
)
MAX_GROUPS = 16
"""Partitions are gathered into at most this many groups: an exchange is ``G × G`` pieces."""

_Int = npt.NDArray[np.int64]
_NO_PAIRS = np.empty((0, 2), dtype=np.int64)
_NO_ROWS = np.empty((3, 0), dtype=np.int64)
_FAN = 8  # inputs per task of a tree reduction


def _import_dask() -> tuple[Any, Any, Any]:
    try:
        import dask  # noqa: PLC0415 - optional dependency
        import dask.dataframe  # noqa: PLC0415
        from dask.delayed import delayed  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError('newsingest.dask needs dask: pip install "newsingest[dask]"') from exc
    return dask, dask.dataframe, delayed


# ---------------------------------------------------------------- per partition


@attrs.frozen(eq=False)
class _Part:
    """One partition, ingested: it stays on the worker that made it."""

    articles: list[Article]
    flat: ParagraphKeys  # the articles' paragraph keys (2, total) ...
    lengths: _Int  # ... and how many each article has
    distinct: ParagraphKeys  # each article's distinct (key, words), when learning ...
    counts: _Int  # ... and how many each article has (see boilerplate.distinct_keys)
    rejections: list[Rejection]
    text_bytes: int

    def __sizeof__(self) -> int:
        # What dask weighs before moving the partition to another worker: the
        # default would count the list, not the articles in it (a thousandth).
        return 2 * self.text_bytes + self.flat.nbytes + self.distinct.nbytes + 1000


@pausing
def _ingest_partition(items: Iterable[object], config: IngestConfig, boilerplate: bool) -> _Part:
    """Read (for path items), ingest and key every document of one partition."""
    # Each item is one argument of the local pipeline's several: prefix its ids.
    read_config = config.read
    if read_config.prefix_ids is None:
        read_config = attrs.evolve(read_config, prefix_ids=True)
    articles: list[Article] = []
    rejections: list[Rejection] = []

    def take(item: Article | Rejection) -> None:
        if isinstance(item, Rejection):
            rejections.append(item)
        else:
            articles.append(item)

    for item in items:
        if isinstance(item, Article | Rejection):
            take(item)
        elif isinstance(item, RawDocument):
            take(ingest_or_reject(item, config))
        else:
            # Ids as the local pipeline gives them for several arguments.
            arg = os.fsdecode(item)  # type: ignore[arg-type]
            for doc in iter_documents([arg], read_config):
                take(doc if isinstance(doc, Rejection) else ingest_or_reject(doc, config))
    flat, lengths = key_paragraph_groups([a.paragraphs for a in articles])  # one kernel call
    size = sum(len(p) for a in articles for p in a.paragraphs)
    if not boilerplate:
        none = np.empty((2, 0), dtype=np.int64)
        empty = np.zeros_like(lengths)
        return _Part(articles, flat, lengths, none, empty, rejections, size)
    distinct, counts = distinct_keys(flat, lengths)
    return _Part(articles, flat, lengths, distinct, counts, rejections, size)


def _key_stats(*parts: _Part) -> ParagraphKeys:
    """Rows (key, documents holding it, its word count) of a group's partitions."""
    return _sum_stats(np.concatenate([part.distinct for part in parts], axis=1), None)


def _sum_stats(keys: ParagraphKeys, counts: _Int | None) -> ParagraphKeys:
    """Rows (key, documents holding it, its word count) from rows (key, word count)
    weighted by ``counts`` (one document each when None)."""
    if keys.shape[1] == 0:
        return _NO_ROWS
    order = np.argsort(keys[0], kind="stable")
    key = keys[0, order]
    starts = np.r_[0, np.flatnonzero(key[1:] != key[:-1]) + 1]
    weights = np.ones(key.size, np.int64) if counts is None else counts[order]
    return np.stack([key[starts], np.add.reduceat(weights, starts), keys[1, order[starts]]])


def _merge_stats(parts: list[ParagraphKeys]) -> ParagraphKeys:
    both = np.concatenate(parts, axis=1)
    return _sum_stats(both[[0, 2]], both[1])


def _frequent_rows(frequent: _Int, *parts: _Part) -> tuple[list[str], ParagraphKeys, _Int]:
    """The distinct keys of a group's documents holding a frequent key: (ids, keys, lengths)."""
    ids: list[str] = []
    keys: list[ParagraphKeys] = []
    lengths: list[_Int] = []
    for part in parts:
        doc = np.repeat(np.arange(part.counts.size, dtype=np.int64), part.counts)
        docs = sorted_unique(doc[np.isin(part.distinct[0], frequent)])
        keys.append(part.distinct[:, np.isin(doc, docs)])  # grouped by document, in order
        lengths.append(part.counts[docs])
        ids += [part.articles[d].id for d in docs.tolist()]
    return ids, np.concatenate(keys, axis=1), np.concatenate(lengths)


@attrs.frozen
class _Table:
    """Fingerprinted documents as arrays, sorted by node id: all the linking needs.

    Made where the partition's articles are, so only these arrays (about
    600 bytes a document) ever move between workers, never the articles.
    """

    node: _Int
    ids: npt.NDArray[np.object_]
    paths: npt.NDArray[np.object_]
    sigs: npt.NDArray[np.uint32]
    sizes: _Int
    digests: npt.NDArray[np.bytes_]
    day: _Int  # date ordinal, 0 when undated
    repairs: _Int
    lengths: _Int
    rejections: list[Rejection]

    def rows(self, nodes: _Int) -> _Int:
        return np.searchsorted(self.node, nodes)


@pausing
def _group_table(
    numbers: Sequence[int], boilerplate: _Int, config: DedupConfig, *parts: _Part
) -> _Table:
    """Strip and fingerprint a group's partitions (``numbers`` are their partition numbers)."""
    articles = [a for part in parts for a in part.articles]
    # Only the stripped texts are needed (and id, path, date, fixes, which
    # stripping keeps): no stripped Article is built.
    none = np.empty(0, dtype=np.int64)
    keys = np.concatenate([part.flat[0] for part in parts] or [none])
    lengths = np.concatenate([part.lengths for part in parts] or [none])
    texts = stripped_texts(articles, keys, lengths, boilerplate)
    sigs, sizes, digests = fingerprint_batch(texts, config.fingerprint)
    n = len(articles)
    node = [
        (np.int64(p) << 32) + np.arange(len(part.articles), dtype=np.int64)
        for p, part in zip(numbers, parts, strict=True)
    ]
    return _Table(
        node=np.concatenate(node) if node else np.empty(0, np.int64),
        ids=np.array([a.id for a in articles], dtype=object).reshape(n),
        paths=np.array([a.path for a in articles], dtype=object).reshape(n),
        sigs=sigs,
        sizes=sizes.astype(np.int64),
        digests=np.array(digests, dtype="S16").reshape(n),
        day=np.fromiter((day_number(a.date) for a in articles), dtype=np.int64, count=n),
        repairs=np.fromiter((count_repairs(a.fixes) for a in articles), dtype=np.int64, count=n),
        lengths=np.fromiter(map(len, texts), dtype=np.int64, count=n),
        rejections=[r for part in parts for r in part.rejections],
    )


def _table_and_bands(
    numbers: Sequence[int],
    boilerplate: _Int,
    config: DedupConfig,
    banding: tuple[int, int, int],
    *parts: _Part,
) -> tuple[Any, ...]:
    """:func:`_group_table`, then its band rows split by destination group (``_band_split``)."""
    table = _group_table(numbers, boilerplate, config, *parts)
    return (table, *_band_split(table, *banding))


# ---------------------------------------------------------------- exchanges


def _split_to_owners(
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


def _concat(pieces: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {name: np.concatenate([p[name] for p in pieces]) for name in pieces[0]}


@pausing
def _band_split(table: _Table, bands: int, rows: int, groups: int) -> tuple[_Bucketed, ...]:
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
            _Bucketed(
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


@attrs.frozen
class _Bucketed:
    """Band rows bound for one group, and the sending group's documents (see ``_band_split``)."""

    bounds: _Int  # slot s is rows bounds[s]:bounds[s + 1]
    key: npt.NDArray[np.uint64]
    doc: npt.NDArray[np.int32]  # row in the document columns below
    node: _Int
    id: npt.NDArray[np.object_]
    d0: npt.NDArray[np.uint64]
    d1: npt.NDArray[np.uint64]
    content: npt.NDArray[np.uint64]


def _runs(*columns: npt.NDArray[Any]) -> tuple[_Int, _Int]:
    """(starts, lengths) of the runs of equal rows in already sorted ``columns``."""
    n = columns[0].size
    if n == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    change = np.zeros(n - 1, dtype=bool)
    for col in columns:
        change |= col[1:] != col[:-1]
    starts = np.r_[0, np.flatnonzero(change) + 1].astype(np.int64)
    return starts, np.diff(np.r_[starts, n]).astype(np.int64)


@pausing
def _lsh_reduce(pieces: Sequence[_Bucketed]) -> tuple[_Int, _Int]:
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

    # Exact copies: each joins the smallest id with its digest.
    _, docs = slot(0)
    docs = docs[np.lexsort((d1[docs], d0[docs]))]
    starts, lengths = _runs(d0[docs], d1[docs])
    docs = docs[np.repeat(lengths >= 2, lengths)]  # digests with copies only
    starts, lengths = _runs(d0[docs], d1[docs])
    docs = docs[np.lexsort((_ranks(docs, ids), np.repeat(starts, lengths)))]
    copy = np.ones(docs.size, dtype=bool)  # every row but the first of its digest
    copy[starts] = False
    first = np.repeat(docs[starts], lengths)
    exact_edges = np.stack([node[first[copy]], node[docs[copy]]], axis=1).astype(np.int64)

    # Shared buckets of every band: (band, key, document) rows.
    band_parts: list[_Int] = []
    key_parts: list[npt.NDArray[np.uint64]] = []
    doc_parts: list[_Int] = []
    for s in range(1, pieces[0].bounds.size - 1):
        keys, docs = slot(s)
        order = np.argsort(keys)
        keys, docs = keys[order], docs[order]
        _, lengths = _runs(keys)
        shared = np.repeat(lengths >= 2, lengths)
        key_parts.append(keys[shared])
        doc_parts.append(docs[shared])
        band_parts.append(np.full(int(shared.sum()), s, dtype=np.int64))
    band = np.concatenate(band_parts)
    key = np.concatenate(key_parts)
    doc = np.concatenate(doc_parts)
    # A bucket holds every copy of a text (same text, same band keys), so keeping
    # the copy of smallest id of each digest keeps, in every bucket, the
    # representative the local index keeps.
    distinct = sorted_unique(doc)
    rank_of = _ranks(distinct, ids)
    by_digest = np.lexsort((rank_of, d1[distinct], d0[distinct]))
    starts, _ = _runs(d0[distinct[by_digest]], d1[distinct[by_digest]])
    representative = np.zeros(distinct.size, dtype=bool)
    representative[by_digest[starts]] = True
    at = np.searchsorted(distinct, doc)
    keep = representative[at]
    band, key, doc, rank = band[keep], key[keep], doc[keep], rank_of[at[keep]]
    starts, lengths = _runs(band, key)  # still in (band, key) order
    shared = lengths >= 2
    small = shared & (lengths <= DEFAULT_MAX_BUCKET)
    pairs = [doc[_small_run_pairs(starts[small], lengths[small])]]
    if np.any(shared & ~small):
        content = np.concatenate([p.content for p in pieces])
        for start, length in zip(starts[shared & ~small], lengths[shared & ~small], strict=True):
            # The local index orders a big bucket by content hash, then by index (= id order).
            span = slice(start, start + length)
            ordered = doc[span][np.lexsort((rank[span], content[doc[span]]))]
            pairs.append(ordered_bucket_pairs(ordered, BIG_BUCKET_ANCHORS))
    found = node[np.concatenate(pairs)]
    if found.shape[0] == 0:
        return _NO_PAIRS, exact_edges
    found = np.sort(found, axis=1)
    found = found[np.lexsort((found[:, 1], found[:, 0]))]
    starts, _ = _runs(found[:, 0], found[:, 1])
    return found[starts], exact_edges


def _ranks(docs: _Int, ids: npt.NDArray[np.object_]) -> _Int:
    """For each of ``docs`` (rows of ``ids``, repeats allowed), its rank in their id order."""
    distinct = sorted_unique(docs)
    rank_of = np.empty(distinct.size, dtype=np.int64)
    rank_of[np.argsort(ids[distinct], kind="stable")] = np.arange(distinct.size)
    ranks: _Int = rank_of[np.searchsorted(distinct, docs)]
    return ranks


def _small_run_pairs(starts: _Int, lengths: _Int) -> _Int:
    if starts.size == 0:
        return _NO_PAIRS
    left: list[_Int] = []
    right: list[_Int] = []
    for length in sorted_unique(lengths).tolist():
        base = starts[lengths == length]
        i, j = np.triu_indices(length, k=1)
        left.append((base[:, None] + i[None, :]).reshape(-1))
        right.append((base[:, None] + j[None, :]).reshape(-1))
    return np.stack([np.concatenate(left), np.concatenate(right)], axis=1)


def _route_pairs(pairs: _Int, group_of: _Int, side: int) -> tuple[dict[str, Any], ...]:
    return _split_to_owners({"pair": pairs}, pairs[:, side], group_of)


def _attach(
    pieces: Sequence[dict[str, Any]], table: _Table, group_of: _Int
) -> tuple[dict[str, Any], ...]:
    """At ``b``'s group: add ``b``'s signature, size and id; send on to ``a``'s group."""
    pairs = _concat(pieces)["pair"] if pieces else _NO_PAIRS
    at = table.rows(pairs[:, 1])
    rows = {"pair": pairs, "sig": table.sigs[at], "size": table.sizes[at], "id": table.ids[at]}
    return _split_to_owners(rows, pairs[:, 0], group_of)


def _verify_at(pieces: Sequence[dict[str, Any]], table: _Table, config: DedupConfig) -> _Int:
    """At ``a``'s group: the pairs that pass the duplicate rule (``verify_pairs``)."""
    rows = _concat(pieces)
    pairs = rows["pair"]
    if pairs.shape[0] == 0:
        return _NO_PAIRS
    at = table.rows(pairs[:, 0])
    m = pairs.shape[0]
    sigs = np.concatenate([table.sigs[at], rows["sig"]])
    sizes = np.concatenate([table.sizes[at], rows["size"]])
    _, _, ok = verify_pairs(sigs, sizes, np.stack([np.arange(m), np.arange(m, 2 * m)], 1), config)
    return pairs[ok]  # type: ignore[no-any-return]


def _lsh_route(pieces: Sequence[_Bucketed], group_of: _Int) -> tuple[Any, ...]:
    """:func:`_lsh_reduce`, its candidate pairs routed to ``b``'s group; its exact edges last."""
    pairs, exact = _lsh_reduce(pieces)
    return (*_route_pairs(pairs, group_of, 1), exact)


def _verify_forest(
    pieces: Sequence[dict[str, Any]], table: _Table, exact: _Int, config: DedupConfig
) -> _Int:
    """The spanning forest of the pairs verified here and of ``exact`` (copy edges)."""
    return _forest([_verify_at(pieces, table, config), exact])


# ---------------------------------------------------------------- components and canonicals


def _forest(edge_sets: Sequence[_Int]) -> _Int:
    """A spanning forest of the union of ``edge_sets``: (node, root) per non-root node."""
    edges = np.concatenate([e.reshape(-1, 2) for e in edge_sets])
    if edges.shape[0] == 0:
        return _NO_PAIRS
    nodes, inverse = np.unique(edges, return_inverse=True)
    labels = connected_components(nodes.size, inverse.reshape(-1, 2))
    child = np.flatnonzero(labels != np.arange(nodes.size))
    return np.stack([nodes[child], nodes[labels[child]]], axis=1)


def _forest_split(edge_sets: Sequence[_Int], group_of: _Int) -> tuple[dict[str, Any], ...]:
    """The root of the forest reduction: every clustered node with its component label,
    split by owner group."""
    forest = _forest(edge_sets)
    roots = sorted_unique(forest[:, 1])
    node = np.r_[forest[:, 0], roots]
    label = np.r_[forest[:, 1], roots]
    return _split_to_owners({"node": node, "label": label}, node, group_of)


def _rank_rows(labelled: dict[str, Any], table: _Table) -> dict[str, Any]:
    """Clustered nodes of a group with their label and the fields of
    :meth:`CanonicalKey.rank`: dated first, earlier, more shingles, fewer repairs,
    longer, id."""
    node = labelled["node"]
    at = table.rows(node)
    day = table.day[at]
    return {
        "node": node,
        "label": labelled["label"],
        "undated": (day == 0).astype(np.int64),
        "day": day,
        "size": -table.sizes[at],
        "repairs": table.repairs[at],
        "length": -table.lengths[at],
        "id": table.ids[at],
    }


def _choose(ranked: Sequence[dict[str, Any]], group_of: _Int) -> tuple[dict[str, Any], ...]:
    """Per component, the member of smallest rank: (member, canonical), to canonical's group."""
    rows = _concat(ranked)
    node, label = rows["node"], rows["label"]
    if node.size == 0:
        return _route_pairs(_NO_PAIRS, group_of, 1)
    id_rank = _ranks(np.arange(node.size), rows["id"])
    fields = ("length", "repairs", "size", "day", "undated")
    order = np.lexsort((id_rank, *(rows[f] for f in fields), label))
    starts, lengths = _runs(label[order])
    canon = np.empty(node.size, dtype=np.int64)
    canon[order] = np.repeat(node[order[starts]], lengths)
    return _route_pairs(np.stack([node, canon], axis=1), group_of, 1)


def _decide_group(pieces: Sequence[dict[str, Any]], table: _Table) -> pd.DataFrame:
    """Decision rows for every document of the group, and its rejections."""
    rows = _concat(pieces)
    pairs = rows["pair"]
    at = table.rows(pairs[:, 0])
    m = pairs.shape[0]
    duplicate = pairs[:, 0] != pairs[:, 1]
    sigs = np.concatenate([table.sigs[at], rows["sig"]])
    sizes = np.concatenate([table.sizes[at], rows["size"]])
    sim, cont = score_against(sigs, sizes, np.arange(m), np.arange(m, 2 * m))
    n = len(table.node)
    cluster = table.ids.copy()
    cluster[at] = rows["id"]
    similarity = np.full(n, np.nan)
    containment = np.full(n, np.nan)
    similarity[at[duplicate]] = sim[duplicate]
    containment[at[duplicate]] = cont[duplicate]
    is_dup = np.zeros(n, dtype=bool)
    is_dup[at[duplicate]] = True
    rejected = table.rejections
    return pd.DataFrame(
        {
            "id": pd.Series([*table.ids.tolist(), *(r.id for r in rejected)], dtype=object),
            "path": pd.Series([*table.paths.tolist(), *(r.path for r in rejected)], dtype=object),
            "status": pd.Series(
                [*np.where(is_dup, "duplicate", "kept").tolist(), *["rejected"] * len(rejected)],
                dtype=object,
            ),
            "cluster": pd.Series([*cluster.tolist(), *[None] * len(rejected)], dtype=object),
            "duplicate_of": pd.Series(
                [c if d else None for c, d in zip(cluster.tolist(), is_dup.tolist(), strict=True)]
                + [None] * len(rejected),
                dtype=object,
            ),
            "similarity": np.r_[similarity, np.full(len(rejected), np.nan)],
            "containment": np.r_[containment, np.full(len(rejected), np.nan)],
            "reason": pd.Series([*[None] * n, *(r.summary for r in rejected)], dtype=object),
        }
    )


def _decision_meta() -> pd.DataFrame:
    objects: dict[str, Any] = dict.fromkeys(DECISION_COLUMNS, object)
    objects.update(similarity="float64", containment="float64")
    return pd.DataFrame({k: pd.Series(dtype=v) for k, v in objects.items()})


# ---------------------------------------------------------------- the driver


def _client() -> Any:
    """The distributed client that will run the graph, or None (dask's local scheduler).

    A client can exist while ``dask.config.set(scheduler=...)`` picks another
    scheduler: then its workers hold nothing of ours.
    """
    try:
        from distributed import get_client  # noqa: PLC0415 - optional

        client = get_client()
    except (ImportError, ValueError):
        return None
    from dask.base import get_scheduler  # noqa: PLC0415 - optional

    scheduler = get_scheduler()  # type: ignore[no-untyped-call]
    return client if getattr(scheduler, "__self__", None) is client else None


def _holders(client: Any, parts: list[Any]) -> list[str | None]:
    """The worker holding each persisted partition (None without a distributed client)."""
    if client is None:
        return [None] * len(parts)
    from distributed import futures_of, wait  # noqa: PLC0415 - optional

    futures = futures_of(parts)  # type: ignore[no-untyped-call]
    wait(futures)  # type: ignore[no-untyped-call]
    who = client.who_has(futures)
    return [min(who.get(p.key) or [None], key=str) for p in parts]


def _near(dask: Any, worker: str | None) -> Callable[[], AbstractContextManager[Any]]:
    """A context in which new tasks prefer ``worker`` (any worker when None)."""
    if worker is None:
        return contextlib.nullcontext
    return lambda: dask.annotate(workers=[worker], allow_other_workers=True)


def _layout(holders: Sequence[str | None], threads: int) -> list[list[int]]:
    """Partitions gathered into groups, each group's partitions on one worker.

    One group per task thread (at most :data:`MAX_GROUPS`). A group made of
    partitions that one worker holds is fingerprinted there, without moving
    its articles. More groups than threads would leave group tasks waiting in
    a worker's queue, where dask's work stealing moves them, and their
    articles, to an idle worker (measured: half a second per group, in a third
    of the runs); and an exchange costs ``G × G`` tiny tasks. The groups only
    decide where work runs, never what comes out.
    """
    if not holders:
        return []
    target = max(1, min(MAX_GROUPS, len(holders), threads))
    on: dict[str, list[int]] = {}
    for p, worker in enumerate(holders):
        on.setdefault(worker or "", []).append(p)
    layout: list[list[int]] = []
    for worker in sorted(on):
        mine = on[worker]
        share = max(1, min(len(mine), round(target * len(mine) / len(holders))))
        layout += [mine[g::share] for g in range(share)]
    return layout


def _partitions(documents: object) -> list[Any]:
    """Delayed lists of items, one per partition of a bag or of a frame's ``path`` column."""
    _dask, _dd, delayed = _import_dask()
    if isinstance(documents, _dd.DataFrame):
        if "path" not in documents.columns:
            raise ValueError("a documents DataFrame needs a 'path' column")
        to_list: Callable[[pd.Series], list[object]] = lambda s: s.tolist()  # noqa: E731
        return [delayed(to_list)(p) for p in documents["path"].to_delayed()]
    to_delayed = getattr(documents, "to_delayed", None)
    if to_delayed is None:
        kind = type(documents).__name__
        raise TypeError(f"expected a dask Bag or DataFrame of documents or paths, got {kind}")
    return list(to_delayed())


def _narrow(delayed: Any, fn: Callable[[list[Any]], Any], items: list[Any]) -> list[Any]:
    """Reduce ``items`` with ``fn`` over lists of at most ``_FAN``, as a tree of tasks,
    until at most ``_FAN`` are left (for a last task that also does something else)."""
    while len(items) > _FAN:
        items = [delayed(fn)(items[i : i + _FAN]) for i in range(0, len(items), _FAN)]
    return items


def dedup_dask(
    documents: db.Bag | dd.DataFrame,
    config: DedupConfig = DedupConfig(),
) -> dd.DataFrame:  # the dask collections are untyped: Any inside
    """Deduplicate a corpus held in a dask Bag (or a DataFrame with a ``path`` column).

    Bag items are paths (files or folders, read on the workers; ids are those
    :func:`~newsingest.pipeline.dedup` gives with several arguments),
    :class:`~newsingest.records.RawDocument` or
    :class:`~newsingest.records.Article` records; each document must appear
    once. Returns a dask DataFrame with one row per document and the columns
    :data:`DECISION_COLUMNS`, equal to ``dedup``'s decisions (see
    :func:`to_decisions`).

    The documents are read and ingested while this function runs (on the
    active client), and stay on the workers that ingested them; everything
    after — the boilerplate model, fingerprints, linking and decisions — is
    left lazy, one graph without synchronisation, so each ``compute`` of the
    result runs it again (``persist`` the result to use it more than once).
    """
    dask, dd_mod, delayed = _import_dask()
    bands, rows = bands_for_config(config, config.fingerprint.num_perm)
    learn = config.boilerplate.enabled
    parts = [delayed(_ingest_partition)(p, config.ingest, learn) for p in _partitions(documents)]
    (parts,) = dask.persist(parts)
    client = _client()
    threads = sum(client.nthreads().values()) if client is not None else os.cpu_count() or 1
    holders = _holders(client, parts)
    members = _layout(holders, threads)
    groups = len(members)
    # Tasks that read a group's articles prefer the worker holding them. Only a
    # preference: if that worker is lost, dask recomputes its partitions elsewhere.
    near = [_near(dask, holders[ps[0]]) for ps in members]
    group_of = np.zeros(max(1, len(parts)), dtype=np.int64)
    for g, ps in enumerate(members):
        group_of[ps] = g
    # Partitions go to tasks as separate arguments: the graph then keeps their
    # persisted data alive until the result is computed (in a list, dask
    # forgets them once this function returns).
    own = [[parts[p] for p in ps] for ps in members]

    boilerplate: Any = np.empty(0, np.int64)
    if learn and own:
        boilerplate = _learn_boilerplate(delayed, own, near, config)
    # Tasks that follow one another on the same data are fused: each hop between
    # tasks costs a round trip through the scheduler (~30 ms on a busy machine).
    made = []
    for mine, ps, place in zip(own, members, near, strict=True):
        with place():
            made.append(
                delayed(_table_and_bands, nout=1 + groups)(
                    ps, boilerplate, config, (bands, rows, groups), *mine
                )
            )
    if not made:  # no partition: one empty group
        groups = 1
        made = [delayed(_table_and_bands, nout=2)([], boilerplate, config, (bands, rows, 1))]
    tables = [out[0] for out in made]

    def exchange(outs: list[Any]) -> list[list[Any]]:
        """Split outputs (tuples of ``groups`` pieces) to the list of pieces per group."""
        return [[out[g] for out in outs] for g in range(groups)]

    lsh = [
        delayed(_lsh_route, nout=groups + 1)(pieces, group_of)
        for pieces in exchange([out[1:] for out in made])
    ]
    to_a = [
        delayed(_attach, nout=groups)(pieces, tables[g], group_of)
        for g, pieces in enumerate(exchange([out[:groups] for out in lsh]))
    ]
    forests = [
        delayed(_verify_forest)(pieces, tables[g], lsh[g][groups], config)
        for g, pieces in enumerate(exchange(to_a))
    ]
    labelled = delayed(_forest_split, nout=groups)(_narrow(delayed, _forest, forests), group_of)
    ranked = [delayed(_rank_rows)(labelled[g], tables[g]) for g in range(groups)]
    to_c = delayed(_choose, nout=groups)(ranked, group_of)
    scored = [delayed(_attach, nout=groups)([to_c[g]], tables[g], group_of) for g in range(groups)]
    decided = [
        delayed(_decide_group)(pieces, tables[g]) for g, pieces in enumerate(exchange(scored))
    ]
    result: dd.DataFrame = dd_mod.from_delayed(decided, meta=_decision_meta(), verify_meta=False)
    return result


def _learn_boilerplate(
    delayed: Any,
    groups: list[list[Any]],
    near: Sequence[Callable[[], AbstractContextManager[Any]]],
    config: DedupConfig,
) -> Any:
    """The boilerplate keys, sorted, as a task: document frequencies by a tree reduction,
    then the decision from the documents that matter.

    A document without a frequent key cannot change the decision (it joins no
    candidate's document set), so only the keys of documents holding one are
    gathered, as integers; for those keys the subset's counts equal the corpus's.
    """
    per_group = []
    for parts, place in zip(groups, near, strict=True):
        with place():
            per_group.append(delayed(_key_stats)(*parts))
    frequent = delayed(_frequent_keys)(
        config.boilerplate, *_narrow(delayed, _merge_stats, per_group)
    )
    gathered = []
    for parts, place in zip(groups, near, strict=True):
        with place():
            gathered.append(delayed(_frequent_rows)(frequent, *parts))
    return delayed(_decide_boilerplate)(gathered, config.boilerplate)


def _frequent_keys(bp: BoilerplateConfig, *stats: ParagraphKeys) -> _Int:
    """The keys of the merged ``stats`` that are boilerplate candidates, sorted."""
    total = _merge_stats(list(stats))
    keep = is_candidate(total[1], total[2], bp)
    return np.sort(total[0, keep])


@pausing
def _decide_boilerplate(
    gathered: Sequence[tuple[list[str], ParagraphKeys, _Int]], bp: BoilerplateConfig
) -> _Int:
    ids = np.array([i for got in gathered for i in got[0]], dtype=object)
    if not ids.size:
        return np.empty(0, np.int64)
    lengths = np.concatenate([got[2] for got in gathered])
    flat = np.concatenate([got[1] for got in gathered], axis=1)
    # Documents in id order, as the local pipeline lays them out.
    order = np.argsort(ids, kind="stable")
    _, take = expand_ranges((np.cumsum(lengths) - lengths)[order], lengths[order])
    return boilerplate_keys(flat[0, take], flat[1, take], lengths[order], bp)


def to_decisions(frame: pd.DataFrame) -> tuple[Decision, ...]:
    """The computed frame as :class:`~newsingest.records.Decision` records, sorted by id."""
    out: list[Decision] = []
    for row in frame.sort_values("id").itertuples(index=False):
        values = row._asdict()
        for name in ("similarity", "containment"):
            if values[name] is not None and np.isnan(values[name]):
                values[name] = None
            elif values[name] is not None:
                values[name] = float(values[name])
        for name in ("cluster", "duplicate_of", "reason"):
            if values[name] is not None and not isinstance(values[name], str):
                values[name] = None  # pandas missing values
        out.append(Decision(**values))
    return tuple(out)
