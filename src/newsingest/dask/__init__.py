"""Deduplicate on a Dask cluster: the same decisions as :func:`newsingest.pipeline.dedup`.

``pip install ".[dask]"`` from the checkout, start (or connect to) a cluster the usual
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
  task, where the batch run's ``link.resolve_components`` picks each
  component's canonical copy and says why it won; the (member, canonical)
  pairs are scored by the same two exchanges, and each group makes its rows
  with ``link.decision``.

Document ids are compared as strings, which orders them exactly as the local
pipeline's sorted indices, so every tie is broken the same way.

The tasks live in ``_partition`` (on the articles: ingest, boilerplate counts,
fingerprints), ``_exchange`` (band rows, pairs, the forest) and ``_results``
(canonical copies, the frame, and reading it back); this module builds the graph.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the env

from newsingest.config import DedupConfig
from newsingest.dask._exchange import (
    attach_partner,
    component_labels,
    route_candidates,
    spanning_forest,
    table_and_bands,
    verified_forest,
)
from newsingest.dask._partition import (
    decide_boilerplate,
    frequent_keys,
    frequent_rows,
    ingest_partition,
    key_stats,
    merge_key_stats,
)
from newsingest.dask._results import (
    DECISION_COLUMNS,
    canonical_pairs,
    decision_frame,
    empty_frame,
    ranking_fields,
    to_clusters,
    to_decisions,
)
from newsingest.matching.lsh import bands_for_config

if TYPE_CHECKING:
    import dask.bag as db
    import dask.dataframe as dd

__all__ = ["DECISION_COLUMNS", "MAX_GROUPS", "dedup_dask", "to_clusters", "to_decisions"]

MAX_GROUPS = 16
"""Partitions are gathered into at most this many groups: an exchange is ``G × G`` pieces."""

_FAN = 8  # inputs per task of a tree reduction


def _import_dask() -> tuple[Any, Any, Any]:
    try:
        import dask  # noqa: PLC0415 - optional dependency
        import dask.dataframe  # noqa: PLC0415
        from dask.delayed import delayed  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(
            'newsingest.dask needs dask: pip install ".[dask]" from the newsingest checkout'
        ) from exc
    return dask, dask.dataframe, delayed


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
    articles, to an idle worker; and an exchange costs ``G × G`` tiny tasks. The groups only
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
    :data:`DECISION_COLUMNS`: computed, :func:`to_decisions` gives ``dedup``'s
    decisions and :func:`to_clusters` its clusters, ``why`` included.

    The documents are read and ingested while this function runs (on the
    active client), and stay on the workers that ingested them; everything
    after — the boilerplate model, fingerprints, linking and decisions — is
    left lazy, one graph without synchronisation, so each ``compute`` of the
    result runs it again (``persist`` the result to use it more than once).
    """
    dask, dd_mod, delayed = _import_dask()
    bands, rows = bands_for_config(config, config.fingerprint.num_perm)
    learn = config.boilerplate.enabled
    parts = [delayed(ingest_partition)(p, config.ingest, learn) for p in _partitions(documents)]
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
    # tasks costs a round trip through the scheduler.
    made = []
    for mine, ps, place in zip(own, members, near, strict=True):
        with place():
            made.append(
                delayed(table_and_bands, nout=1 + groups)(
                    ps, boilerplate, config, (bands, rows, groups), *mine
                )
            )
    if not made:  # no partition: one empty group
        groups = 1
        made = [delayed(table_and_bands, nout=2)([], boilerplate, config, (bands, rows, 1))]
    tables = [out[0] for out in made]

    def exchange(outs: list[Any]) -> list[list[Any]]:
        """Split outputs (tuples of ``groups`` pieces) to the list of pieces per group."""
        return [[out[g] for out in outs] for g in range(groups)]

    lsh = [
        delayed(route_candidates, nout=groups + 1)(pieces, group_of)
        for pieces in exchange([out[1:] for out in made])
    ]
    to_a = [
        delayed(attach_partner, nout=groups)(pieces, tables[g], group_of)
        for g, pieces in enumerate(exchange([out[:groups] for out in lsh]))
    ]
    forests = [
        delayed(verified_forest)(pieces, tables[g], lsh[g][groups], config)
        for g, pieces in enumerate(exchange(to_a))
    ]
    labelled = delayed(component_labels, nout=groups)(
        _narrow(delayed, spanning_forest, forests), group_of
    )
    ranked = [delayed(ranking_fields)(labelled[g], tables[g]) for g in range(groups)]
    to_c = delayed(canonical_pairs, nout=groups)(ranked, group_of)
    scored = [
        delayed(attach_partner, nout=groups)([to_c[g]], tables[g], group_of) for g in range(groups)
    ]
    decided = [
        delayed(decision_frame)(pieces, tables[g]) for g, pieces in enumerate(exchange(scored))
    ]
    result: dd.DataFrame = dd_mod.from_delayed(decided, meta=empty_frame(), verify_meta=False)
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
            per_group.append(delayed(key_stats)(*parts))
    frequent = delayed(frequent_keys)(
        config.boilerplate, *_narrow(delayed, merge_key_stats, per_group)
    )
    gathered = []
    for parts, place in zip(groups, near, strict=True):
        with place():
            gathered.append(delayed(frequent_rows)(frequent, *parts))
    return delayed(decide_boilerplate)(gathered, config.boilerplate)
