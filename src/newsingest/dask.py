"""Deduplicate on a Dask cluster: the same decisions as :func:`newsingest.pipeline.dedup`.

``pip install "newsingest[dask]"``, start (or connect to) a cluster the usual
way — ``distributed.Client``, ``dask_jobqueue.SLURMCluster``, a Kubernetes
operator — and call :func:`dedup_dask`. It never creates a cluster: it runs on
whatever client is active (or dask's local scheduler when there is none).

The work is a graph of dask tasks over numpy arrays, not dataframe
operations: every document gets an integer node id (its partition in the high
32 bits), the partitions are gathered into ``G`` groups (at most
:data:`MAX_GROUPS`), and each exchange between stages is one all-to-all step
of ``G × G`` pieces, with no synchronisation in between:

* per partition: read → decode → extract → repair → line keys; then, per
  group, strip → fingerprint (signatures stay a ``(n, num_perm)`` uint32 array);
* boilerplate: key document-frequencies by a tree reduction; only the
  documents holding a frequent key travel to the client, as integers, for the
  one-story-or-many decision (:mod:`newsingest.boilerplate`);
* one exchange keyed by (band, band key) — with one extra "band" keyed by the
  exact digest — finds the exact copies and the LSH candidate pairs at once:
  every copy of a text lands in the same bucket of every band, so a bucket
  keeps the smallest id of each digest, as the local index keeps one
  representative per digest;
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

import os
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the env

from ._arrays import sorted_unique
from ._unionfind import connected_components
from .boilerplate import learn_boilerplate_from_keys, stripped_text
from .cluster import count_repairs
from .config import DedupConfig, IngestConfig
from .fingerprint import fingerprint_batch
from .index import BIG_BUCKET_ANCHORS, DEFAULT_MAX_BUCKET, bands_for_config, hash_columns
from .pipeline import ParagraphKeys, ingest_or_reject, paragraph_keys
from .read import iter_documents
from .records import Article, Decision, RawDocument, Rejection
from .verify import score_against, verify_pairs

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
_Part = tuple[list[Article], list[ParagraphKeys], list[Rejection]]
_NO_PAIRS = np.empty((0, 2), dtype=np.int64)
_DIGEST_BAND = -1


def _import_dask() -> tuple[Any, Any, Any]:
    try:
        import dask  # noqa: PLC0415 - optional dependency
        import dask.dataframe  # noqa: PLC0415
        from dask.delayed import delayed  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError('newsingest.dask needs dask: pip install "newsingest[dask]"') from exc
    return dask, dask.dataframe, delayed


# ---------------------------------------------------------------- per partition


def _ingest_partition(items: Iterable[object], config: IngestConfig) -> _Part:
    """Read (for path items), ingest and key every document of one partition."""
    # Each item is one argument of the local pipeline's several: prefix its ids.
    read_config = config.read
    if read_config.prefix_ids is None:
        read_config = attrs.evolve(read_config, prefix_ids=True)
    articles: list[Article] = []
    keys: list[ParagraphKeys] = []
    rejections: list[Rejection] = []

    def take(item: Article | Rejection) -> None:
        if isinstance(item, Rejection):
            rejections.append(item)
        else:
            articles.append(item)
            keys.append(paragraph_keys(item))

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
    return articles, keys, rejections


def _distinct_rows(part: _Part) -> ParagraphKeys:
    """Rows (document index, key, word count), each key once per document, for a partition."""
    keys = part[1]
    if not keys:
        return np.empty((3, 0), dtype=np.int64)
    lengths = np.fromiter((k.shape[1] for k in keys), dtype=np.int64, count=len(keys))
    flat = np.concatenate(keys, axis=1)
    doc = np.repeat(np.arange(len(keys), dtype=np.int64), lengths)
    order = np.lexsort((flat[0], doc))
    flat, doc = flat[:, order], doc[order]
    first = np.r_[True, (doc[1:] != doc[:-1]) | (flat[0, 1:] != flat[0, :-1])]
    return np.stack([doc[first], flat[0, first], flat[1, first]])


def _key_stats(part: _Part) -> ParagraphKeys:
    """Rows (key, documents holding it, its word count) of one partition."""
    return _sum_stats(_distinct_rows(part)[1:], None)


def _sum_stats(keys: ParagraphKeys, counts: _Int | None) -> ParagraphKeys:
    if keys.shape[1] == 0:
        return np.empty((3, 0), dtype=np.int64)
    uniq, first, inverse = np.unique(keys[0], return_index=True, return_inverse=True)
    weights = np.ones(keys.shape[1], np.int64) if counts is None else counts
    df = np.bincount(inverse.reshape(-1), weights=weights, minlength=uniq.size).astype(np.int64)
    return np.stack([uniq, df, keys[1, first]])


def _merge_stats(parts: list[ParagraphKeys]) -> ParagraphKeys:
    both = np.concatenate(parts, axis=1)
    return _sum_stats(both[[0, 2]], both[1])


def _frequent_rows(part: _Part, frequent: _Int) -> tuple[list[str], ParagraphKeys, _Int]:
    """The distinct keys of the documents holding a frequent key: (ids, keys, lengths)."""
    rows = _distinct_rows(part)
    docs = sorted_unique(rows[0, np.isin(rows[1], frequent)])
    rows = rows[:, np.isin(rows[0], docs)]  # still grouped by document, in document order
    lengths = np.bincount(rows[0], minlength=len(part[0]))[docs].astype(np.int64)
    return [part[0][d].id for d in docs.tolist()], rows[1:], lengths


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


def _partition_table(
    part: _Part, number: int, boilerplate: frozenset[int], config: DedupConfig
) -> _Table:
    """Strip and fingerprint one partition."""
    articles, keys, rejections = part
    # Only the stripped texts are needed (and id, path, date, fixes, which stripping
    # keeps): no stripped Article is built.
    texts = [
        stripped_text(a, [key in boilerplate for key in line_keys[0].tolist()])
        if boilerplate and line_keys.shape[1]
        else a.text
        for a, line_keys in zip(articles, keys, strict=True)
    ]
    sigs, sizes, digests = fingerprint_batch(texts, config.fingerprint)
    n = len(articles)
    return _Table(
        node=(np.int64(number) << 32) + np.arange(n, dtype=np.int64),
        ids=np.array([a.id for a in articles], dtype=object).reshape(n),
        paths=np.array([a.path for a in articles], dtype=object).reshape(n),
        sigs=sigs,
        sizes=sizes.astype(np.int64),
        digests=np.array(digests, dtype="S16").reshape(n),
        day=np.fromiter((_day(a) for a in articles), dtype=np.int64, count=n),
        repairs=np.fromiter((count_repairs(a.fixes) for a in articles), dtype=np.int64, count=n),
        lengths=np.fromiter(map(len, texts), dtype=np.int64, count=n),
        rejections=rejections,
    )


def _day(article: Article) -> int:
    return article.date.toordinal() if article.date is not None else 0


def _concat_tables(tables: list[_Table]) -> _Table:
    """The tables of one group's partitions (given in partition order) as one."""
    fields = [f.name for f in attrs.fields(_Table) if f.name != "rejections"]
    joined = {name: np.concatenate([getattr(t, name) for t in tables]) for name in fields}
    return _Table(**joined, rejections=[r for t in tables for r in t.rejections])


# ---------------------------------------------------------------- exchanges


def _owner(nodes: _Int, groups: int) -> _Int:
    """The group holding each node's document."""
    return (nodes >> 32) % groups


def _split(rows: dict[str, Any], dest: _Int, groups: int) -> tuple[dict[str, Any], ...]:
    """``rows`` (equal-length arrays) cut into one piece per destination group."""
    order = np.argsort(dest, kind="stable")
    cuts = np.searchsorted(dest[order], np.arange(1, groups))
    pieces = [{} for _ in range(groups)]  # type: list[dict[str, Any]]
    for name, values in rows.items():
        for g, chunk in enumerate(np.split(values[order], cuts)):
            pieces[g][name] = chunk
    return tuple(pieces)


def _concat(pieces: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {name: np.concatenate([p[name] for p in pieces]) for name in pieces[0]}


def _band_split(table: _Table, bands: int, rows: int, groups: int) -> tuple[dict[str, Any], ...]:
    """One row per (band, band key, document), plus a row keyed by the digest, per group."""
    n = len(table.node)
    digest = table.digests.view(np.uint64).reshape(n, 2)
    valid = np.flatnonzero(table.sizes > 0)
    sigs = table.sigs[valid]
    content = hash_columns(sigs, 0, sigs.shape[1])
    keys = [digest[:, 0]] + [hash_columns(sigs, b * rows, (b + 1) * rows) for b in range(bands)]
    band = np.concatenate(
        [np.full(n, _DIGEST_BAND, np.int64)]
        + [np.full(valid.size, b, np.int64) for b in range(bands)]
    )
    key = np.concatenate(keys)
    which = np.concatenate([np.arange(n)] + [valid] * bands)
    out = {
        "band": band,
        "key": key,
        "node": table.node[which],
        "id": table.ids[which],
        "d0": digest[which, 0],
        "d1": digest[which, 1],
        "content": np.concatenate([np.zeros(n, np.uint64)] + [content] * bands),
    }
    mixed = key ^ (band.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
    return _split(out, (mixed % np.uint64(groups)).astype(np.int64), groups)


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


def _lsh_reduce(pieces: Sequence[dict[str, Any]]) -> tuple[_Int, _Int]:
    """(candidate pairs, exact-copy edges) of the buckets in this piece, as node pairs.

    Sorting is over integers; ids are compared only where the local pipeline's
    id order decides something: which copy of a text represents it, and the
    order of a bucket too big for all pairs.
    """
    rows = _concat(pieces)
    node, ids = rows["node"], rows["id"]
    band, key, d0, d1 = rows["band"], rows["key"], rows["d0"], rows["d1"]
    exact = band == _DIGEST_BAND
    rank = _id_ranks(node, ids)

    # Exact copies: each joins the smallest id with its digest.
    e = np.flatnonzero(exact)
    e = e[np.lexsort((rank[e], d1[e], d0[e]))]
    starts, lengths = _runs(d0[e], d1[e])
    first = np.repeat(e[starts], lengths)
    copy = np.ones(e.size, dtype=bool)  # every row but the first of its digest
    copy[starts] = False
    exact_edges = np.stack([node[first[copy]], node[e[copy]]], axis=1).astype(np.int64)

    # LSH buckets over representatives: a bucket holds every copy of a text, so
    # keeping its smallest id per digest keeps the representative.
    b = np.flatnonzero(~exact)
    mixed = key[b] ^ (band[b].astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
    b = b[np.argsort(mixed)]
    starts, lengths = _runs(band[b], key[b])
    # Most buckets hold one document: drop them before the finer sort.
    b = b[np.repeat(lengths >= 2, lengths)]
    b = b[np.lexsort((rank[b], d1[b], d0[b], key[b], band[b]))]
    starts, _ = _runs(band[b], key[b], d0[b], d1[b])
    b = b[starts]  # the first of each (bucket, digest) run has the smallest id
    starts, lengths = _runs(band[b], key[b])
    shared = lengths >= 2
    small = shared & (lengths <= DEFAULT_MAX_BUCKET)
    pairs = [b[_small_run_pairs(starts[small], lengths[small])]]
    for start, length in zip(starts[shared & ~small], lengths[shared & ~small], strict=True):
        # The local index orders a big bucket by content hash, then by index (= id order).
        members = b[start : start + length].tolist()
        ordered = np.array(sorted(members, key=lambda m: (rows["content"][m], ids[m])))
        chain = np.stack([ordered[:-1], ordered[1:]], axis=1)
        heads, rest = ordered[:BIG_BUCKET_ANCHORS], ordered[BIG_BUCKET_ANCHORS:]
        star = np.stack([np.repeat(heads, rest.size), np.tile(rest, heads.size)], axis=1)
        pairs += [chain, star]
    found = node[np.concatenate(pairs)]
    if found.shape[0] == 0:
        return _NO_PAIRS, exact_edges
    found = np.sort(found, axis=1)
    found = found[np.lexsort((found[:, 1], found[:, 0]))]
    starts, _ = _runs(found[:, 0], found[:, 1])
    return found[starts], exact_edges


def _id_ranks(node: _Int, ids: npt.NDArray[Any]) -> _Int:
    """For each row, the rank of its document's id among the documents present.

    Rows of one document share its node and id; ranking the distinct nodes'
    ids once avoids comparing strings row by row.
    """
    uniq, first, inverse = np.unique(node, return_index=True, return_inverse=True)
    order = np.argsort(ids[first], kind="stable")
    rank_of = np.empty(uniq.size, dtype=np.int64)
    rank_of[order] = np.arange(uniq.size, dtype=np.int64)
    ranks: _Int = rank_of[inverse.reshape(-1)]
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


def _route_pairs(pairs: _Int, groups: int, side: int) -> tuple[dict[str, Any], ...]:
    return _split({"pair": pairs}, _owner(pairs[:, side], groups), groups)


def _attach(
    pieces: Sequence[dict[str, Any]], table: _Table, groups: int
) -> tuple[dict[str, Any], ...]:
    """At ``b``'s group: add ``b``'s signature, size and id; send on to ``a``'s group."""
    pairs = _concat(pieces)["pair"] if pieces else _NO_PAIRS
    at = table.rows(pairs[:, 1])
    rows = {"pair": pairs, "sig": table.sigs[at], "size": table.sizes[at], "id": table.ids[at]}
    return _split(rows, _owner(pairs[:, 0], groups), groups)


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


def _split_forest(forest: _Int, groups: int) -> tuple[dict[str, Any], ...]:
    """Every clustered node with its component label, split by owner group."""
    roots = sorted_unique(forest[:, 1])
    node = np.r_[forest[:, 0], roots]
    label = np.r_[forest[:, 1], roots]
    return _split({"node": node, "label": label}, _owner(node, groups), groups)


def _rank_rows(pieces: Sequence[dict[str, Any]], table: _Table) -> dict[str, Any]:
    """Each clustered node's :meth:`CanonicalKey.rank`: dated first, earlier, more
    shingles, fewer repairs, longer, id."""
    rows = _concat(pieces)
    at = table.rows(rows["node"])
    rank = np.empty(at.size, dtype=object)
    for i, key in enumerate(
        zip(
            (table.day[at] == 0).tolist(),
            table.day[at].tolist(),
            (-table.sizes[at]).tolist(),
            table.repairs[at].tolist(),
            (-table.lengths[at]).tolist(),
            table.ids[at].tolist(),
            strict=True,
        )
    ):
        rank[i] = key
    return {"node": rows["node"], "label": rows["label"], "rank": rank}


def _choose(ranked: Sequence[dict[str, Any]], groups: int) -> tuple[dict[str, Any], ...]:
    """Per component, the member of smallest rank: (member, canonical), to canonical's group."""
    rows = _concat(ranked)
    if rows["node"].size == 0:
        return _route_pairs(_NO_PAIRS, groups, 1)
    label, node, rank = rows["label"].tolist(), rows["node"], rows["rank"]
    best: dict[int, int] = {}
    for i in sorted(range(len(label)), key=lambda i: (label[i], rank[i])):
        best.setdefault(label[i], i)
    canon = node[[best[x] for x in label]]
    return _route_pairs(np.stack([node, canon], axis=1), groups, 1)


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


def _worker_threads() -> int:
    """Task threads of the active distributed client's workers, else this machine's cores.

    Groups beyond twice the threads only add pieces: an exchange costs ``G × G``
    tiny tasks, ~1 ms of scheduling each (with 16 groups on two workers, most of
    the linking stage's time).
    """
    try:
        from distributed import get_client  # noqa: PLC0415 - optional

        threads: dict[str, int] = get_client().nthreads()  # type: ignore[no-untyped-call]
        return max(1, sum(threads.values()))
    except (ImportError, ValueError):  # no distributed, or no client: the local scheduler
        return os.cpu_count() or 1


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


def _tree(delayed: Any, fn: Callable[[list[Any]], Any], items: list[Any], fan: int = 8) -> Any:
    """Reduce ``items`` with ``fn`` over lists of at most ``fan``, as a tree of tasks."""
    while len(items) > 1:
        items = [delayed(fn)(items[i : i + fan]) for i in range(0, len(items), fan)]
    return items[0]


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

    The documents are ingested and fingerprinted, and the boilerplate model
    learned, while this function runs (on the active client); the linking and
    the decisions are left lazy, one graph without synchronisation.
    """
    dask, dd_mod, delayed = _import_dask()
    bands, rows = bands_for_config(config, config.fingerprint.num_perm)
    parts = [delayed(_ingest_partition)(p, config.ingest) for p in _partitions(documents)]
    (parts,) = dask.persist(parts)
    groups = max(1, min(MAX_GROUPS, len(parts), 2 * _worker_threads()))
    members = [list(range(g, len(parts), groups)) for g in range(groups)]

    boilerplate: frozenset[int] = frozenset()
    if config.boilerplate.enabled and parts:
        boilerplate = _learn_boilerplate(dask, delayed, parts, config)
    bp = delayed(boilerplate)
    own = [delayed(_partition_table)(part, p, bp, config) for p, part in enumerate(parts)]
    tables = [delayed(_concat_tables)([own[p] for p in ps]) for ps in members]
    (tables,) = dask.persist(tables)
    del parts, own  # the articles are no longer needed: the tables hold what follows

    def exchange(outs: list[Any]) -> list[list[Any]]:
        """Split outputs (tuples of ``groups`` pieces) to the list of pieces per group."""
        return [[out[g] for out in outs] for g in range(groups)]

    split = [delayed(_band_split, nout=groups)(t, bands, rows, groups) for t in tables]
    lsh = [delayed(_lsh_reduce, nout=2)(pieces) for pieces in exchange(split)]
    to_b = [delayed(_route_pairs, nout=groups)(pairs, groups, 1) for pairs, _ in lsh]
    to_a = [
        delayed(_attach, nout=groups)(pieces, tables[g], groups)
        for g, pieces in enumerate(exchange(to_b))
    ]
    accepted = [
        delayed(_verify_at)(pieces, tables[g], config) for g, pieces in enumerate(exchange(to_a))
    ]
    forests = [
        delayed(_forest)([edges, exact]) for edges, (_, exact) in zip(accepted, lsh, strict=True)
    ]
    forest = _tree(delayed, _forest, forests)
    labelled = delayed(_split_forest, nout=groups)(forest, groups)
    ranked = [delayed(_rank_rows)([labelled[g]], tables[g]) for g in range(groups)]
    to_c = delayed(_choose, nout=groups)(ranked, groups)
    scored = [delayed(_attach, nout=groups)([to_c[g]], tables[g], groups) for g in range(groups)]
    decided = [
        delayed(_decide_group)(pieces, tables[g]) for g, pieces in enumerate(exchange(scored))
    ]
    result: dd.DataFrame = dd_mod.from_delayed(decided, meta=_decision_meta(), verify_meta=False)
    return result


def _learn_boilerplate(
    dask: Any, delayed: Any, parts: list[Any], config: DedupConfig
) -> frozenset[int]:
    """Document frequency per key by a tree reduction; the decision from the documents that matter.

    A document without a frequent key cannot change the decision (it joins no
    candidate's document set), so only the keys of documents holding one are
    gathered, as integers; for those keys the subset's counts equal the corpus's.
    """
    bp = config.boilerplate
    stats = _tree(delayed, _merge_stats, [delayed(_key_stats)(p) for p in parts])
    (total,) = dask.compute(stats)
    keep = (total[1] >= bp.min_docs) & (total[2] <= bp.max_line_words)
    frequent = np.sort(total[0, keep])
    if frequent.size == 0:
        return frozenset()
    gathered = dask.compute(*[delayed(_frequent_rows)(p, frequent) for p in parts])
    ids = [i for got in gathered for i in got[0]]
    if not ids:
        return frozenset()
    lengths = np.concatenate([got[2] for got in gathered])
    flat = np.concatenate([got[1] for got in gathered], axis=1)
    # Documents in id order, as the local pipeline lays them out.
    order = sorted(range(len(ids)), key=ids.__getitem__)
    offsets = np.r_[0, np.cumsum(lengths)]
    take = np.concatenate([np.arange(offsets[i], offsets[i + 1]) for i in order])
    model = learn_boilerplate_from_keys(flat[0, take], flat[1, take], lengths[order], bp)
    return model.boilerplate


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
