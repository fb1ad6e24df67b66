"""Deduplicate on a Dask cluster: the same decisions as :func:`newsingest.pipeline.dedup`.

``pip install "newsingest[dask]"``, start (or connect to) a cluster the usual
way — ``distributed.Client``, ``dask_jobqueue.SLURMCluster``, a Kubernetes
operator — and call :func:`dedup_dask`. It never creates a cluster: it runs on
whatever client is active (or dask's local scheduler when there is none).

How each stage is distributed:

* per-document stages (read → decode → extract → repair → line keys, then
  strip → fingerprint) run per partition, on the workers;
* boilerplate: line-key document frequencies are counted with a dataframe
  groupby; only the documents holding a frequent key travel to the client,
  as integers, for the one-story-or-many decision (:mod:`newsingest.boilerplate`);
* LSH: one row per (band, key, document), grouped with dask's shuffle; each
  bucket emits the pairs the local index would;
* verification: pairs are joined with both signatures (two shuffle joins);
* connected components: alternating large-star / small-star rounds over the
  edge frame (Kiveris et al., 2014), never collecting the edges in one place;
* canonical copies and the decisions: a shuffle by component.

Document ids are compared as strings, which orders them exactly as the local
pipeline's sorted indices, so every tie is broken the same way.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the env

from . import read as _read
from .config import DedupConfig, IngestConfig
from .fingerprint import fingerprint_batch
from .index import (
    _BIG_BUCKET_ANCHORS,
    DEFAULT_MAX_BUCKET,
    _hash_columns,
    _pairs_in_small_runs,
    bands_for_config,
)
from .pipeline import (
    ParagraphKeys,
    _ingest_or_reject,
    model_from_keys,
    paragraph_keys,
    strip_by_keys,
)
from .records import Article, Decision, RawDocument, Rejection
from .verify import score_pair, verify_pairs

if TYPE_CHECKING:
    import dask.bag as db
    import dask.dataframe as dd

__all__ = ["DECISION_COLUMNS", "dedup_dask", "to_decisions"]

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
_MAX_ROUNDS = 64

_Part = tuple[list[Article], list[ParagraphKeys], list[Rejection]]


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
            take(_ingest_or_reject(item, config))
        else:
            # Ids as the local pipeline gives them for several arguments.
            arg = os.fsdecode(item)  # type: ignore[arg-type]
            for doc in _read._iter_argument(arg, several=True, config=config.read):
                take(doc if isinstance(doc, Rejection) else _ingest_or_reject(doc, config))
    return articles, keys, rejections


def _keys_frame(part: _Part) -> pd.DataFrame:
    """One row per (document, distinct line key): what boilerplate statistics count."""
    articles, keys, _ = part
    ids: list[str] = []
    key_parts: list[npt.NDArray[np.int64]] = []
    word_parts: list[npt.NDArray[np.int64]] = []
    for article, k in zip(articles, keys, strict=True):
        _, first = np.unique(k[0], return_index=True)
        ids.extend([article.id] * first.size)
        key_parts.append(k[0, first])
        word_parts.append(k[1, first])
    return pd.DataFrame(
        {
            "doc": pd.Series(ids, dtype=object),
            "key": np.concatenate(key_parts) if key_parts else np.empty(0, np.int64),
            "words": np.concatenate(word_parts) if word_parts else np.empty(0, np.int64),
        }
    )


def _sig_columns(num_perm: int) -> list[str]:
    return [f"s{i}" for i in range(num_perm)]


def _fingerprint_frame(
    part: _Part, boilerplate: frozenset[int], config: DedupConfig
) -> pd.DataFrame:
    """Strip and fingerprint one partition: one row per article, signature as columns."""
    articles, keys, _ = part
    stripped = [strip_by_keys(a, k, boilerplate) for a, k in zip(articles, keys, strict=True)]
    sigs, sizes, digests = fingerprint_batch([a.text for a in stripped], config.fingerprint)
    frame = pd.DataFrame(sigs, columns=_sig_columns(config.fingerprint.num_perm))
    frame.insert(0, "id", pd.Series([a.id for a in stripped], dtype=object))
    frame.insert(1, "path", pd.Series([a.path for a in stripped], dtype=object))
    frame.insert(2, "digest", pd.Series([d.hex() for d in digests], dtype=object))
    frame.insert(3, "size", sizes.astype(np.int64))
    frame.insert(4, "undated", np.array([a.date is None for a in stripped], dtype=bool))
    frame.insert(5, "day", np.array([_day(a.date) for a in stripped], dtype=np.int64))
    frame.insert(6, "length", np.array([len(a.text) for a in stripped], dtype=np.int64))
    frame.insert(7, "repairs", np.array([len(a.fixes) for a in stripped], dtype=np.int64))
    return frame


def _day(date: dt.date | None) -> int:
    return date.toordinal() if date is not None else 0


def _rejection_frame(part: _Part) -> pd.DataFrame:
    rows = part[2]
    return pd.DataFrame(
        {
            "id": pd.Series([r.id for r in rows], dtype=object),
            "path": pd.Series([r.path for r in rows], dtype=object),
            "reason": pd.Series([f"{r.stage}: {r.reason}" for r in rows], dtype=object),
        }
    )


def _band_rows(frame: pd.DataFrame, bands: int, rows: int, num_perm: int) -> pd.DataFrame:
    """One row per (band, band key, document) for non-empty representatives."""
    frame = frame[frame["size"] > 0]
    sigs = np.ascontiguousarray(frame[_sig_columns(num_perm)].to_numpy(dtype=np.uint32))
    content = _hash_columns(sigs, 0, num_perm).view(np.int64)
    ids = frame["id"].to_numpy(dtype=object)
    parts = [
        pd.DataFrame(
            {
                "band": np.full(len(ids), b, dtype=np.int64),
                "bkey": _hash_columns(sigs, b * rows, (b + 1) * rows).view(np.int64),
                "id": pd.Series(ids, dtype=object),
                "content": content,
            }
        )
        for b in range(bands)
    ]
    if not parts:
        return _empty({"band": np.int64, "bkey": np.int64, "id": object, "content": np.int64})
    return pd.concat(parts, ignore_index=True)


def _bucket_pairs(frame: pd.DataFrame) -> pd.DataFrame:
    """The candidate pairs of every bucket in this partition, as the local index emits them."""
    frame = frame.sort_values(["band", "bkey", "id"], kind="stable")
    band = frame["band"].to_numpy()
    bkey = frame["bkey"].to_numpy()
    ids = frame["id"].to_numpy(dtype=object)
    content = frame["content"].to_numpy().view(np.uint64)
    n = len(frame)
    if n < 2:
        return _empty({"a": object, "b": object})
    change = np.flatnonzero((band[1:] != band[:-1]) | (bkey[1:] != bkey[:-1])) + 1
    starts = np.concatenate([[0], change]).astype(np.int64)
    lengths = np.diff(np.concatenate([starts, [n]])).astype(np.int64)
    shared = lengths >= 2
    small = shared & (lengths <= DEFAULT_MAX_BUCKET)
    pos = _pairs_in_small_runs(starts[small], lengths[small])
    left: list[object] = list(ids[pos[:, 0]])
    right: list[object] = list(ids[pos[:, 1]])
    for start, length in zip(starts[shared & ~small], lengths[shared & ~small], strict=True):
        members = np.arange(start, start + length)
        # The local index orders a big bucket by content hash, then by index (= id order).
        ordered = members[np.lexsort((members, content[members]))]
        chain = list(itertools.pairwise(ordered.tolist()))
        heads = ordered[:_BIG_BUCKET_ANCHORS].tolist()
        star = [(h, r) for h in heads for r in ordered[_BIG_BUCKET_ANCHORS:].tolist()]
        for p, q in chain + star:
            lo, hi = sorted((ids[p], ids[q]))
            left.append(lo)
            right.append(hi)
    return pd.DataFrame({"a": pd.Series(left, dtype=object), "b": pd.Series(right, dtype=object)})


def _verify_frame(frame: pd.DataFrame, config: DedupConfig, num_perm: int) -> pd.DataFrame:
    """Keep the candidate pairs that pass the duplicate rule (``verify_pairs``)."""
    m = len(frame)
    if m == 0:
        return _empty({"a": object, "b": object})
    cols = _sig_columns(num_perm)
    sig_a = frame[[f"{c}_a" for c in cols]].to_numpy(dtype=np.uint32)
    sig_b = frame[[f"{c}_b" for c in cols]].to_numpy(dtype=np.uint32)
    sigs = np.concatenate([sig_a, sig_b])
    sizes = np.concatenate([frame["size_a"].to_numpy(), frame["size_b"].to_numpy()])
    idx = np.stack([np.arange(m), np.arange(m, 2 * m)], axis=1)
    _, _, ok = verify_pairs(sigs, sizes, idx, config)
    return frame.loc[ok, ["a", "b"]].reset_index(drop=True)


def _empty(dtypes: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame({k: pd.Series(dtype=v) for k, v in dtypes.items()})


# ---------------------------------------------------------------- connected components


def _large_star(frame: pd.DataFrame) -> pd.DataFrame:
    """Edges ``u``-``v``, both directions present: each ``v > u`` joins ``u``'s minimum."""
    if frame.empty:
        return _empty({"big": object, "small": object})
    u = frame["u"].to_numpy(dtype=object)
    v = frame["v"].to_numpy(dtype=object)
    low = pd.Series(v).groupby(u, sort=False).min()
    m = low.reindex(u).to_numpy(dtype=object)
    m = np.where(m < u, m, u)
    keep = v > u
    return pd.DataFrame({"big": v[keep], "small": m[keep]}, dtype=object)


def _small_star(frame: pd.DataFrame) -> pd.DataFrame:
    """Edges ``big``-``small``: every node of ``{big}`` and its smalls joins the smallest."""
    if frame.empty:
        return _empty({"big": object, "small": object})
    big = frame["big"].to_numpy(dtype=object)
    small = frame["small"].to_numpy(dtype=object)
    low = pd.Series(small).groupby(big, sort=False).min()
    m = low.reindex(big).to_numpy(dtype=object)
    others = small != m
    return pd.DataFrame(
        {
            "big": np.concatenate([low.index.to_numpy(dtype=object), small[others]]),
            "small": np.concatenate([low.to_numpy(dtype=object), m[others]]),
        },
        dtype=object,
    )


def _symmetric(frame: pd.DataFrame) -> pd.DataFrame:
    forward = pd.DataFrame({"u": frame["big"].to_numpy(), "v": frame["small"].to_numpy()})
    backward = pd.DataFrame({"u": frame["small"].to_numpy(), "v": frame["big"].to_numpy()})
    return pd.concat([forward, backward], ignore_index=True).astype(object)


def _roles(frame: pd.DataFrame) -> pd.DataFrame:
    """Each edge end as a row saying whether it is the big or the small end."""
    n = len(frame)
    return pd.DataFrame(
        {
            "node": np.concatenate(
                [frame["big"].to_numpy(dtype=object), frame["small"].to_numpy(dtype=object)]
            ),
            "big": np.r_[np.ones(n, np.int64), np.zeros(n, np.int64)],
            "small": np.r_[np.zeros(n, np.int64), np.ones(n, np.int64)],
        }
    )


def component_labels(edges: Any, *, max_rounds: int = _MAX_ROUNDS) -> Any:
    """``(node, label)`` for every node of ``edges`` (columns ``a``, ``b``): the smallest id
    of its connected component, by alternating large-star / small-star rounds.

    Each round is two shuffles; the loop stops when the edges form a star forest
    (no ``small`` end is itself a ``big`` end, and each ``big`` has one edge),
    which takes O(log n) rounds on the graphs seen here.
    """
    _dask, _dd, _ = _import_dask()
    star = edges.map_partitions(
        lambda f: pd.DataFrame(
            {
                "big": np.where(f["a"] > f["b"], f["a"], f["b"]),
                "small": np.where(f["a"] > f["b"], f["b"], f["a"]),
            }
        ).astype(object),
        meta=_empty({"big": object, "small": object}),
    )
    star = star[star["big"] != star["small"]]
    meta = _empty({"big": object, "small": object})
    for _ in range(max_rounds):
        sym = star.map_partitions(_symmetric, meta=_empty({"u": object, "v": object}))
        large = sym.shuffle(on="u").map_partitions(_large_star, meta=meta).drop_duplicates()
        small = large.shuffle(on="big").map_partitions(_small_star, meta=meta).drop_duplicates()
        star = small.persist()
        roles = star.map_partitions(
            _roles, meta=_empty({"node": object, "big": np.int64, "small": np.int64})
        )
        per_node = roles.groupby("node").sum()
        bad = (per_node["big"] > 1) | ((per_node["big"] > 0) & (per_node["small"] > 0))
        if int(bad.sum().compute()) == 0:
            break
    else:  # pragma: no cover - would need a pathological graph
        raise RuntimeError(f"connected components did not converge in {max_rounds} rounds")
    roots = star[["small"]].drop_duplicates()
    roots = roots.assign(node=roots["small"])[["node", "small"]]
    leaves = star.rename(columns={"big": "node"})[["node", "small"]]
    return _dd.concat([leaves, roots]).rename(columns={"small": "label"})


# ---------------------------------------------------------------- canonical copies


def _choose_canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """Per component: the member with the smallest :meth:`CanonicalKey.rank`."""
    if frame.empty:
        return _empty({"label": object, "canonical": object})
    ranked = frame.assign(neg_size=-frame["size"], neg_length=-frame["length"]).sort_values(
        ["label", "undated", "day", "neg_size", "repairs", "neg_length", "id"], kind="stable"
    )
    first = ranked.drop_duplicates("label")
    return pd.DataFrame(
        {"label": first["label"].to_numpy(), "canonical": first["id"].to_numpy()}
    ).astype(object)


def _decide_frame(frame: pd.DataFrame, num_perm: int) -> pd.DataFrame:
    """Decision rows for the members of multi-member components (``score_pair`` each)."""
    cols = _sig_columns(num_perm)
    if frame.empty:
        return _decision_meta()
    sig = frame[cols].to_numpy(dtype=np.uint32)
    sig_c = frame[[f"{c}_c" for c in cols]].to_numpy(dtype=np.uint32)
    sizes = frame["size"].to_numpy()
    sizes_c = frame["size_c"].to_numpy()
    ids = frame["id"].to_numpy(dtype=object)
    canon = frame["canonical"].to_numpy(dtype=object)
    sims: list[float | None] = []
    conts: list[float | None] = []
    for i in range(len(frame)):
        if ids[i] == canon[i]:
            sims.append(None)
            conts.append(None)
            continue
        sim, cont = score_pair(sig[i], sig_c[i], int(sizes[i]), int(sizes_c[i]))
        sims.append(sim)
        conts.append(cont)
    duplicate = ids != canon
    return pd.DataFrame(
        {
            "id": pd.Series(ids, dtype=object),
            "path": pd.Series(frame["path"].to_numpy(dtype=object), dtype=object),
            "status": pd.Series(np.where(duplicate, "duplicate", "kept"), dtype=object),
            "cluster": pd.Series(canon, dtype=object),
            "duplicate_of": pd.Series(np.where(duplicate, canon, None), dtype=object),
            "similarity": pd.Series(sims, dtype="float64"),
            "containment": pd.Series(conts, dtype="float64"),
            "reason": pd.Series([None] * len(frame), dtype=object),
        }
    )


def _decision_meta() -> pd.DataFrame:
    return _empty(
        {
            "id": object,
            "path": object,
            "status": object,
            "cluster": object,
            "duplicate_of": object,
            "similarity": "float64",
            "containment": "float64",
            "reason": object,
        }
    )


def _singleton_rows(frame: pd.DataFrame) -> pd.DataFrame:
    n = len(frame)
    return pd.DataFrame(
        {
            "id": pd.Series(frame["id"].to_numpy(dtype=object), dtype=object),
            "path": pd.Series(frame["path"].to_numpy(dtype=object), dtype=object),
            "status": pd.Series(["kept"] * n, dtype=object),
            "cluster": pd.Series(frame["id"].to_numpy(dtype=object), dtype=object),
            "duplicate_of": pd.Series([None] * n, dtype=object),
            "similarity": pd.Series([np.nan] * n, dtype="float64"),
            "containment": pd.Series([np.nan] * n, dtype="float64"),
            "reason": pd.Series([None] * n, dtype=object),
        }
    )


def _rejected_rows(frame: pd.DataFrame) -> pd.DataFrame:
    n = len(frame)
    return pd.DataFrame(
        {
            "id": pd.Series(frame["id"].to_numpy(dtype=object), dtype=object),
            "path": pd.Series(frame["path"].to_numpy(dtype=object), dtype=object),
            "status": pd.Series(["rejected"] * n, dtype=object),
            "cluster": pd.Series([None] * n, dtype=object),
            "duplicate_of": pd.Series([None] * n, dtype=object),
            "similarity": pd.Series([np.nan] * n, dtype="float64"),
            "containment": pd.Series([np.nan] * n, dtype="float64"),
            "reason": pd.Series(frame["reason"].to_numpy(dtype=object), dtype=object),
        }
    )


# ---------------------------------------------------------------- the driver


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

    The per-document results and the corpus-wide statistics (boilerplate,
    connected components) are computed and persisted on the active client
    while this function runs; the assembly of the decisions is left lazy.
    """
    dask, dd_mod, delayed = _import_dask()
    fp: Any
    num_perm = config.fingerprint.num_perm
    bands, rows = bands_for_config(config, num_perm)

    ingested = [delayed(_ingest_partition)(p, config.ingest) for p in _partitions(documents)]
    (ingested,) = dask.persist(ingested)

    # Boilerplate: frequencies by groupby; the decision on documents with a frequent key.
    keys = dd_mod.from_delayed(
        [delayed(_keys_frame)(p) for p in ingested],
        meta=_empty({"doc": object, "key": np.int64, "words": np.int64}),
    )
    boilerplate: frozenset[int] = frozenset()
    if config.boilerplate.enabled:
        boilerplate = _learn_boilerplate(dask, keys, config)

    bp = delayed(boilerplate)
    fp_meta = _fingerprint_frame(([], [], []), frozenset(), config)
    fp = dd_mod.from_delayed(
        [delayed(_fingerprint_frame)(p, bp, config) for p in ingested], meta=fp_meta
    ).persist()
    rejected = dd_mod.from_delayed(
        [delayed(_rejection_frame)(p) for p in ingested],
        meta=_empty({"id": object, "path": object, "reason": object}),
    )

    # Exact copies join the smallest id with their digest; LSH runs on those representatives.
    reps = fp.groupby("digest")["id"].min().reset_index().rename(columns={"id": "rep"})
    with_rep = fp[["id", "digest"]].merge(reps, on="digest", how="inner")
    exact = with_rep[with_rep["id"] != with_rep["rep"]]
    exact_edges = exact.rename(columns={"rep": "a", "id": "b"})[["a", "b"]]
    rep_ids = reps[["rep"]].rename(columns={"rep": "id"})
    rep_fp = fp.merge(rep_ids, on="id", how="inner")

    band_meta = _empty({"band": np.int64, "bkey": np.int64, "id": object, "content": np.int64})
    band_rows = rep_fp.map_partitions(_band_rows, bands, rows, num_perm, meta=band_meta)
    pairs = (
        band_rows.shuffle(on=["band", "bkey"])
        .map_partitions(_bucket_pairs, meta=_empty({"a": object, "b": object}))
        .drop_duplicates()
    )
    sig_cols = ["id", "size", *_sig_columns(num_perm)]
    side_a = fp[sig_cols].rename(columns={c: f"{c}_a" for c in sig_cols})
    side_b = fp[sig_cols].rename(columns={c: f"{c}_b" for c in sig_cols})
    scored = pairs.merge(side_a, left_on="a", right_on="id_a").merge(
        side_b, left_on="b", right_on="id_b"
    )
    accepted = scored.map_partitions(
        _verify_frame, config, num_perm, meta=_empty({"a": object, "b": object})
    )
    edges: Any = dd_mod.concat([accepted, exact_edges[["a", "b"]]]).persist()

    labels = component_labels(edges).persist()
    members = fp.merge(labels.rename(columns={"node": "id"}), on="id", how="inner")
    canon = members.shuffle(on="label").map_partitions(
        _choose_canonical, meta=_empty({"label": object, "canonical": object})
    )
    canon_sig = fp[["id", "size", *_sig_columns(num_perm)]].rename(
        columns={c: f"{c}_c" for c in ["id", "size", *_sig_columns(num_perm)]}
    )
    grouped = (
        members.merge(canon, on="label")
        .merge(canon_sig, left_on="canonical", right_on="id_c")
        .map_partitions(_decide_frame, num_perm, meta=_decision_meta())
    )
    alone = fp[["id", "path"]].merge(
        labels[["node"]].rename(columns={"node": "id"}), on="id", how="left", indicator=True
    )
    alone = alone[alone["_merge"] == "left_only"][["id", "path"]]
    singles = alone.map_partitions(_singleton_rows, meta=_decision_meta())
    rejects = rejected.map_partitions(_rejected_rows, meta=_decision_meta())
    result: dd.DataFrame = dd_mod.concat([grouped, singles, rejects])
    return result


def _learn_boilerplate(dask: Any, keys: Any, config: DedupConfig) -> frozenset[int]:
    """Document frequency per key by groupby; the decision from the documents that matter.

    A document without a frequent key cannot change the decision (it joins no
    candidate's document set), so only the rows of documents holding one are
    gathered, as integers; for those keys the subset's counts equal the corpus's.
    """
    bp = config.boilerplate
    stats = keys.groupby("key").agg({"doc": "count", "words": "first"})
    frequent = stats[(stats["doc"] >= bp.min_docs) & (stats["words"] <= bp.max_line_words)]
    frequent = frequent.reset_index()[["key"]]
    docs = keys.merge(frequent, on="key", how="inner")[["doc"]].drop_duplicates()
    rows = keys.merge(docs, on="doc", how="inner")
    (local,) = dask.compute(rows)
    if local.empty:
        return frozenset()
    local = local.sort_values(["doc", "key"], kind="stable")
    doc = local["doc"].to_numpy(dtype=object)
    starts = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]])
    lengths = np.diff(np.r_[starts, len(doc)]).astype(np.int64)
    model = model_from_keys(
        local["key"].to_numpy(dtype=np.int64),
        local["words"].to_numpy(dtype=np.int64),
        lengths,
        bp,
    )
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
