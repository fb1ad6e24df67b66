"""Canonical copies, decision rows and clusters: the core's rules, applied on Dask.

The canonical order, the ``why`` and the report rows are those of
:mod:`newsingest.matching.link`: :func:`canonical_pairs` hands the ranking
fields of the clustered documents to ``link.resolve_components`` and
:func:`decision_frame` makes each row with ``link.decision`` /
``link.rejected_decision``. The frame is those records, column by column, plus
``why``; :func:`to_decisions` and :func:`to_clusters` read it back.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the env

from newsingest._arrays import sorted_unique
from newsingest.dask._exchange import concat_columns, id_ranks, split_to_owners
from newsingest.dask._partition import GroupTable
from newsingest.matching.link import build_clusters, decision, rejected_decision, resolve_components
from newsingest.matching.verify import score_against
from newsingest.records import Cluster, Decision
from newsingest.serialize import from_dict

_Int = npt.NDArray[np.int64]
_RECORD_COLUMNS = tuple(field.name for field in attrs.fields(Decision))
_FLOAT_COLUMNS = ("similarity", "containment")

DECISION_COLUMNS = (*_RECORD_COLUMNS, "why")
"""The columns of :func:`~newsingest.dask.dedup_dask`'s frame: the fields of
:class:`~newsingest.records.Decision`, then ``why`` — why the canonical copy of a
cluster won, on that copy's row (None on every other row)."""


# ---------------------------------------------------------------- canonical copies


def ranking_fields(labelled: dict[str, Any], table: GroupTable) -> dict[str, Any]:
    """A group's clustered nodes with their component label and what the canonical
    order reads (:func:`~newsingest.matching.link.rank_terms`)."""
    node = labelled["node"]
    at = table.row_of(node)
    return {
        "node": node,
        "label": labelled["label"],
        "day": table.day[at],
        "shingles": table.sizes[at],
        "repairs": table.repairs[at],
        "length": table.lengths[at],
        "id": table.ids[at],
    }


def canonical_pairs(ranked: Sequence[dict[str, Any]], group_of: _Int) -> tuple[dict[str, Any], ...]:
    """Per clustered node, its component's canonical copy, with the component's ``why``.

    The one task where the ranking fields of every clustered document meet: the
    batch run's ``resolve_components`` picks each canonical and says why it won.
    Rows (member, canonical) go to the canonical's group; ``why`` is set on the
    canonical's own row.
    """
    rows = concat_columns(ranked)
    node = rows["node"]
    ids = rows["id"]
    labels = np.searchsorted(sorted_unique(rows["label"]), rows["label"])

    def member_ranks(members: _Int) -> tuple[_Int, _Int, _Int]:
        return rows["day"][members], rows["repairs"][members], rows["length"][members]

    resolved = resolve_components(
        ids.tolist(),
        labels,
        rows["shingles"],
        member_ranks,
        id_rank=id_ranks(np.arange(node.size, dtype=np.int64), ids),
    )
    own = resolved.canonical == np.arange(node.size)
    why = np.full(node.size, None, dtype=object)
    why[own] = [resolved.whys.get(label) for label in labels[own].tolist()]
    canonical = node[resolved.canonical]
    pairs = np.stack([node, canonical], axis=1).reshape(-1, 2)
    return split_to_owners({"pair": pairs, "why": why}, canonical, group_of)


# ---------------------------------------------------------------- decision rows


def decision_frame(pieces: Sequence[dict[str, Any]], table: GroupTable) -> pd.DataFrame:
    """The rows of a group's documents and rejections, each a duplicate scored against its
    canonical copy (the pieces: rows of :func:`canonical_pairs` with the canonical's
    signature, size and id attached)."""
    rows = concat_columns(pieces)
    pairs = rows["pair"]
    at = table.row_of(pairs[:, 0])
    m = pairs.shape[0]
    sigs = np.concatenate([table.sigs[at], rows["sig"]])
    sizes = np.concatenate([table.sizes[at], rows["size"]])
    sim, cont = score_against(sigs, sizes, np.arange(m), np.arange(m, 2 * m))
    n = len(table.node)
    canonical = table.ids.copy()  # a document in no cluster is its own canonical
    canonical[at] = rows["id"]
    similarity = np.full(n, None, dtype=object)
    similarity[at] = sim.tolist()
    containment = np.full(n, None, dtype=object)
    containment[at] = cont.tolist()
    columns = (table.ids, table.paths, canonical, similarity, containment)
    decisions = [decision(*row) for row in zip(*(c.tolist() for c in columns), strict=True)]
    decisions += [rejected_decision(r) for r in table.rejections]
    why = np.full(len(decisions), None, dtype=object)
    why[at] = rows["why"]
    return frame_of(decisions, why)


def frame_of(decisions: Sequence[Decision], why: npt.NDArray[np.object_]) -> pd.DataFrame:
    """Decision records, column by column, and ``why`` (None, NaN for missing floats)."""
    data: dict[str, Any] = {}
    for name in _RECORD_COLUMNS:
        values = list(map(operator.attrgetter(name), decisions))
        if name in _FLOAT_COLUMNS:
            data[name] = np.array(values, dtype=np.float64)  # None becomes NaN
        else:
            data[name] = pd.Series(values, dtype=object)
    data["why"] = pd.Series(why, dtype=object)
    return pd.DataFrame(data)


def empty_frame() -> pd.DataFrame:
    """The frame's columns and dtypes, no rows: dask's ``meta``."""
    return frame_of([], np.empty(0, dtype=object))


# ---------------------------------------------------------------- reading a frame back


def to_decisions(frame: pd.DataFrame) -> tuple[Decision, ...]:
    """The computed frame as :class:`~newsingest.records.Decision` records, sorted by id.

    Equal to :func:`newsingest.pipeline.dedup`'s ``decisions`` on the same inputs.
    """
    out: list[Decision] = []
    for row in frame.sort_values("id")[list(_RECORD_COLUMNS)].itertuples(index=False):
        values = row._asdict()
        for name in _FLOAT_COLUMNS:
            value = values[name]
            values[name] = None if value is None or np.isnan(value) else float(value)
        for name in ("cluster", "duplicate_of", "reason"):
            if not isinstance(values[name], str):
                values[name] = None  # pandas missing values
        out.append(from_dict(Decision, values))
    return tuple(out)


def to_clusters(frame: pd.DataFrame) -> tuple[Cluster, ...]:
    """The computed frame's clusters of two or more copies, with ``why``.

    Equal to :func:`newsingest.pipeline.dedup`'s ``clusters`` on the same inputs:
    largest first, then by id; members sorted by id.
    """
    if "why" not in frame.columns:
        raise ValueError(
            "the frame has no 'why' column: it was not made by this version of "
            "newsingest.dask.dedup_dask; run dedup_dask again to get its clusters"
        )
    placed = frame[frame["cluster"].notna()]  # rejected rows have no cluster
    ids: list[str] = placed["id"].tolist()
    cluster = placed["cluster"].to_numpy(dtype=object)
    names = sorted_unique(cluster)
    labels = np.searchsorted(names, cluster)
    row_of = {id_: i for i, id_ in enumerate(ids)}
    missing = [name for name in names.tolist() if name not in row_of]
    if missing:
        raise ValueError(
            f"the frame names cluster {missing[0]!r} but has no row for it: "
            "pass the whole computed frame of one dedup_dask run"
        )
    canonical = np.array([row_of[name] for name in names.tolist()], dtype=np.int64)[labels]
    own = canonical == np.arange(len(ids))
    whys = {
        int(label): why
        for label, why in zip(labels[own].tolist(), placed["why"].to_numpy()[own], strict=True)
        if isinstance(why, str)
    }
    return build_clusters(ids, labels, canonical, whys)
