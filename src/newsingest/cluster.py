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
from .records import Cluster

__all__ = [
    "CanonicalKey",
    "build_clusters",
    "choose_canonicals",
    "connected_components",
    "explain_canonicals",
]

_Int64Array = npt.NDArray[np.int64]


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
        day = self.date.toordinal() if self.date is not None else 0
        return (self.date is None, day, -self.shingles, self.repairs, -self.length, self.id)


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
    for members in _groups(lab):
        canonical = ids[int(canon[members[0]])]
        clusters.append(
            Cluster(
                id=canonical,
                canonical=canonical,
                members=tuple(sorted(ids[int(i)] for i in members)),
                why=whys.get(int(lab[members[0]]), ""),
            )
        )
    clusters.sort(key=lambda c: (-len(c.members), c.id))
    return tuple(clusters)
