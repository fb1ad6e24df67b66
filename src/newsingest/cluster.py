"""Group verified pairs into clusters and choose each cluster's canonical copy by content.

Keeping "the first one seen" would make the result depend on input order, so
the copy kept is the best by :class:`CanonicalKey`: the earliest parsed date
(undated last), then the most complete body (most shingles), then the fewest
repairs, then the longest text, then the smallest id. Each cluster records why
its canonical won against the runner-up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import attrs
import numpy as np
import numpy.typing as npt

from ._unionfind import connected_components
from .records import Cluster, Fix

__all__ = [
    "CanonicalKey",
    "build_clusters",
    "choose_canonicals",
    "choose_canonicals_from_arrays",
    "connected_components",
    "count_repairs",
    "explain_canonicals",
    "explain_wins",
]

_Int64Array = npt.NDArray[np.int64]


def day_number(date: dt.date | None) -> int:
    """A date as its ordinal, 0 for none: how the arrays of the corpus stages hold dates."""
    return date.toordinal() if date is not None else 0


def count_repairs(fixes: Sequence[Fix]) -> int:
    """How many distinct repairs an article needed, whatever its format.

    A text file is repaired whole (one fix per kind), HTML and JSON Lines field
    by field (one per paragraph): counting kinds, not fields, keeps the choice
    of the canonical copy independent of the format a copy arrived in.
    """
    return len({(f.action, f.parameter) for f in fixes})


@attrs.frozen(kw_only=True)
class CanonicalKey:
    """What decides which copy of a story is kept; smaller :meth:`rank` wins."""

    id: str
    date: dt.date | None = None
    shingles: int = 0
    length: int = 0
    repairs: int = 0

    def rank(self) -> tuple[bool, int, int, int, int, str]:
        """Sort key: dated before undated, earlier, more shingles, fewer repairs, longer, id.

        Repairs come before length: of two equally complete copies, the one
        that needed no mojibake or entity repair is the more faithful.
        """
        return (
            self.date is None,
            day_number(self.date),
            -self.shingles,
            self.repairs,
            -self.length,
            self.id,
        )


def _groups(labels: _Int64Array) -> list[_Int64Array]:
    """Member indices of every component with at least two members, in label order."""
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    cuts = np.flatnonzero(sorted_labels[1:] != sorted_labels[:-1]) + 1
    return [g for g in np.split(order, cuts) if g.size >= 2]


def choose_canonicals(labels: npt.ArrayLike, keys: Sequence[CanonicalKey]) -> _Int64Array:
    """Index of the canonical copy of each document's component (itself for a singleton)."""
    lab = np.asarray(labels, dtype=np.int64)
    if lab.shape != (len(keys),):
        raise ValueError(f"labels has shape {lab.shape}, expected ({len(keys)},)")
    canonical = np.arange(lab.size, dtype=np.int64)
    for members in _groups(lab):
        best = min(members.tolist(), key=lambda i: keys[i].rank())
        canonical[members] = best
    return canonical


def choose_canonicals_from_arrays(
    labels: npt.ArrayLike,
    *,
    days: npt.ArrayLike,
    shingles: npt.ArrayLike,
    repairs: npt.ArrayLike,
    lengths: npt.ArrayLike,
    id_rank: npt.ArrayLike | None = None,
) -> tuple[_Int64Array, _Int64Array]:
    """:func:`choose_canonicals` from one array per :class:`CanonicalKey` field, without objects.

    ``days`` holds date ordinals (``date.toordinal()``, 0 when undated) and
    ``id_rank`` each id's position in id order (default: the documents are
    sorted by id). Returns ``(canonical, runner_up)``: per document the index
    of its component's canonical copy (itself when alone) and of the
    component's second-best copy (-1 when alone), for :func:`explain_canonicals`.
    Only members of multi-member components are compared, so the singletons'
    values may be anything.
    """
    lab = np.asarray(labels, dtype=np.int64).reshape(-1)
    n = lab.size
    if n == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    day = np.asarray(days, dtype=np.int64)
    columns = [
        np.asarray(id_rank, dtype=np.int64) if id_rank is not None else np.arange(n),
        -np.asarray(lengths, dtype=np.int64),
        np.asarray(repairs, dtype=np.int64),
        -np.asarray(shingles, dtype=np.int64),
        day,
        day <= 0,
        lab,
    ]
    if any(column.shape != (n,) for column in columns):
        raise ValueError(f"every array must have shape ({n},) like labels")
    # lexsort's last key is the primary one: label, then CanonicalKey.rank order.
    order = np.lexsort(columns)
    sorted_labels = lab[order]
    starts = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])
    counts = np.diff(np.r_[starts, n])
    canonical = np.empty(n, dtype=np.int64)
    canonical[order] = np.repeat(order[starts], counts)
    runner_up = np.full(n, -1, dtype=np.int64)
    multi = counts >= 2
    runner_up[order] = np.repeat(np.where(multi, order[np.minimum(starts + 1, n - 1)], -1), counts)
    return canonical, runner_up


def _describe_win(winner: CanonicalKey, runner_up: CanonicalKey) -> str:
    if winner.date is not None and (runner_up.date is None or winner.date < runner_up.date):
        return f"earliest date {winner.date.isoformat()}"
    if winner.shingles != runner_up.shingles:
        return f"longest body ({winner.shingles} shingles)"
    if winner.repairs != runner_up.repairs:
        return f"fewest repairs ({winner.repairs})"
    if winner.length != runner_up.length:
        return f"longest text ({winner.length} characters)"
    return "smallest id"


def explain_canonicals(
    labels: npt.ArrayLike, canonical_idx: npt.ArrayLike, keys: Sequence[CanonicalKey]
) -> dict[int, str]:
    """Why each multi-member component's canonical won, keyed by component label.

    The reason names the first criterion of :meth:`CanonicalKey.rank` on which
    the canonical beats the best of the other members.
    """
    lab = np.asarray(labels, dtype=np.int64)
    canon = np.asarray(canonical_idx, dtype=np.int64)
    whys: dict[int, str] = {}
    for members in _groups(lab):
        winner = int(canon[members[0]])
        others = [int(i) for i in members if i != winner]
        runner_up = min(others, key=lambda i: keys[i].rank())
        whys[int(lab[members[0]])] = _describe_win(keys[winner], keys[runner_up])
    return whys


def explain_wins(
    labels: npt.ArrayLike,
    canonical_idx: npt.ArrayLike,
    runner_up: npt.ArrayLike,
    keys: Mapping[int, CanonicalKey],
) -> dict[int, str]:
    """:func:`explain_canonicals` from the output of :func:`choose_canonicals_from_arrays`.

    ``keys`` needs entries only for the canonical and runner-up indices.
    """
    lab = np.asarray(labels, dtype=np.int64)
    canon = np.asarray(canonical_idx, dtype=np.int64)
    second = np.asarray(runner_up, dtype=np.int64)
    firsts = np.flatnonzero(second >= 0)
    _, at = np.unique(lab[firsts], return_index=True)
    return {
        int(lab[i]): _describe_win(keys[int(canon[i])], keys[int(second[i])])
        for i in firsts[at].tolist()
    }


def build_clusters(
    ids: Sequence[str],
    labels: npt.ArrayLike,
    canonical_idx: npt.ArrayLike,
    whys: Mapping[int, str],
) -> tuple[Cluster, ...]:
    """The clusters with at least two members, largest first, then by id.

    A cluster's id is its canonical copy's id; members are sorted by id.
    """
    lab = np.asarray(labels, dtype=np.int64)
    canon = np.asarray(canonical_idx, dtype=np.int64)
    if lab.shape != (len(ids),) or canon.shape != (len(ids),):
        raise ValueError("ids, labels and canonical_idx must have the same length")
    clusters = []
    order = np.argsort(lab, kind="stable")
    sorted_labels = lab[order]
    cuts = np.flatnonzero(sorted_labels[1:] != sorted_labels[:-1]) + 1
    starts = np.r_[0, cuts].tolist() if lab.size else []
    stops = [*starts[1:], lab.size] if lab.size else []
    members_all = order.tolist()
    canon_of = canon[order].tolist()
    label_of = sorted_labels.tolist()
    for start, stop in zip(starts, stops, strict=True):
        if stop - start < 2:
            continue
        canonical = ids[canon_of[start]]
        clusters.append(
            Cluster(
                id=canonical,
                canonical=canonical,
                members=tuple(sorted([ids[i] for i in members_all[start:stop]])),
                why=whys.get(label_of[start], ""),
            )
        )
    clusters.sort(key=lambda c: (-len(c.members), c.id))
    return tuple(clusters)
