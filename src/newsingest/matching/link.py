"""The linking core: from fingerprints to edges, from edges to clusters and report rows.

Every backend — the batch run (:mod:`newsingest.pipeline`), the on-disk index
(:mod:`newsingest.store`), Dask (:mod:`newsingest.dask`) and ``explain`` —
decides its output with the rules defined here and nowhere else:

* :func:`exact_groups`: copies with equal digests join one representative
  (the first by position) without LSH;
* :func:`link_documents`: representatives' LSH candidates verified into edges;
* :func:`rank_terms`: the canonical order — dated before undated, earlier, more
  shingles, fewer repairs, already published, longer text, smaller id — on scalars
  (:meth:`CanonicalKey.rank`) and on arrays (:func:`choose_canonicals`);
* :func:`describe_win`: the sentence that says why a canonical won, read off
  the same terms;
* :func:`resolve_clusters`: components of the edges → canonical, runner-up,
  ``why`` and :class:`~newsingest.records.Cluster` records;
* :func:`decision` and :func:`decision_rows`: one report row per document.

Keeping "the first one seen" would make results depend on input order, so the
copy kept is chosen by content and ties are broken by id. The one exception is
the index: a canonical it already published keeps its place against copies that
only tie with it on content (the "incumbent" term), or re-adding the same
stories under other names would re-publish them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import attrs
import numpy as np
import numpy.typing as npt

from newsingest._arrays import equal_runs, sorted_unique
from newsingest.config import DedupConfig
from newsingest.matching._unionfind import connected_components
from newsingest.matching.lsh import bands_for_config, find_candidate_pairs
from newsingest.matching.verify import score_against, verify_pairs
from newsingest.records import Cluster, Decision, Fix, IndexUpdate, Rejection, RunParams

__all__ = [
    "WHY_INCUMBENT",
    "CanonicalKey",
    "Links",
    "Resolved",
    "build_clusters",
    "choose_canonicals",
    "choose_canonicals_from_arrays",
    "connected_components",
    "count_repairs",
    "day_number",
    "decision",
    "decision_rows",
    "describe_win",
    "exact_groups",
    "explain_canonicals",
    "explain_wins",
    "link_documents",
    "rank_terms",
    "rejected_decision",
    "resolve_clusters",
    "resolve_components",
    "run_params",
]

_Int64Array = npt.NDArray[np.int64]
_T = TypeVar("_T")


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


# ---------------------------------------------------------------- the canonical order

_TERM_NAMES = ("date", "date", "shingles", "repairs", "incumbent", "length", "id")
_INCUMBENT_TERM = _TERM_NAMES.index("incumbent")

WHY_INCUMBENT = "already published"
"""The ``why`` of an index canonical kept against copies that tie with it on content."""


def rank_terms(
    day: _T, shingles: _T, repairs: _T, *, newcomer: _T, length: _T, id_rank: Any
) -> tuple[Any, ...]:
    """The canonical order, most significant term first; the smallest tuple wins.

    ``day`` is a date ordinal (0 when undated). Written with plain arithmetic so
    that it serves scalars (one :class:`CanonicalKey`) and numpy arrays (a whole
    corpus, :func:`choose_canonicals_from_arrays`) alike. Repairs come before
    length: of two equally complete copies, the one that needed no mojibake or
    entity repair is the more faithful. ``newcomer`` is 0 for a copy the index
    already holds as its cluster's canonical and 1 otherwise (always 1 in a batch
    run): it comes after every content term, so a stored canonical gives way only
    to a copy strictly better on content, and before length and id, which would
    otherwise let a tie re-publish a story under a new name.
    """
    return (day <= 0, day, -shingles, repairs, newcomer, -length, id_rank)  # type: ignore[operator]


@attrs.frozen(kw_only=True)
class CanonicalKey:
    """What decides which copy of a story is kept; smaller :meth:`rank` wins."""

    id: str
    date: dt.date | None = None
    shingles: int = 0
    length: int = 0
    repairs: int = 0
    incumbent: bool = False
    """Already stored as its cluster's canonical (the index only)."""

    def rank(self) -> tuple[Any, ...]:
        """Sort key: :func:`rank_terms` of this copy."""
        return rank_terms(
            day_number(self.date),
            self.shingles,
            self.repairs,
            newcomer=0 if self.incumbent else 1,
            length=self.length,
            id_rank=self.id,
        )


def describe_win(winner: CanonicalKey, runner_up: CanonicalKey) -> str:
    """Why ``winner`` ranks before ``runner_up``: the first term of the rank they differ on.

    An incumbent that would have won on the later terms anyway is explained by
    them, as a batch run would: "already published" only where it kept the
    stored copy against a copy the batch run would have chosen.
    """
    mine_all, theirs_all = winner.rank(), runner_up.rank()
    for k, (name, mine, theirs) in enumerate(zip(_TERM_NAMES, mine_all, theirs_all, strict=True)):
        if mine == theirs:
            continue
        if name == "incumbent" and mine_all[k + 1 :] < theirs_all[k + 1 :]:
            continue
        if name == "date" and winner.date is not None:
            return f"earliest date {winner.date.isoformat()}"
        if name == "shingles":
            return f"longest body ({winner.shingles} shingles)"
        if name == "repairs":
            return f"fewest repairs ({winner.repairs})"
        if name == "incumbent":
            return WHY_INCUMBENT
        if name == "length":
            return f"longest text ({winner.length} characters)"
        break
    return "smallest id"


def choose_canonicals_from_arrays(
    labels: npt.ArrayLike,
    *,
    days: npt.ArrayLike,
    shingles: npt.ArrayLike,
    repairs: npt.ArrayLike,
    lengths: npt.ArrayLike,
    id_rank: npt.ArrayLike | None = None,
    incumbent: npt.ArrayLike | None = None,
) -> tuple[_Int64Array, _Int64Array]:
    """The canonical copy of each document's component, by :func:`rank_terms` on arrays.

    ``days`` holds date ordinals (0 when undated) and ``id_rank`` each id's
    position in id order (default: the documents are sorted by id).
    ``incumbent`` marks the copies the index already holds as canonicals
    (default: none, as in a batch run). Returns
    ``(canonical, runner_up)``: per document the index of its component's
    canonical copy (itself when alone) and of the component's second-best copy
    (-1 when alone), for :func:`explain_wins`. Only members of multi-member
    components are compared, so the singletons' values may be anything.
    """
    lab = np.asarray(labels, dtype=np.int64).reshape(-1)
    n = lab.size
    if n == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    newcomer = (
        np.ones(n, dtype=np.int64)
        if incumbent is None
        else 1 - np.asarray(incumbent, dtype=np.int64)
    )
    terms = list(
        rank_terms(
            np.asarray(days, dtype=np.int64),
            np.asarray(shingles, dtype=np.int64),
            np.asarray(repairs, dtype=np.int64),
            newcomer=newcomer,
            length=np.asarray(lengths, dtype=np.int64),
            id_rank=np.asarray(id_rank, dtype=np.int64) if id_rank is not None else np.arange(n),
        )
    )
    if any(np.shape(term) != (n,) for term in terms):
        raise ValueError(f"every array must have shape ({n},) like labels")
    if incumbent is None:  # a constant key cannot change the order: spare lexsort a pass
        del terms[_INCUMBENT_TERM]
    # lexsort's last key is the primary one: the label, then the rank terms in order.
    order = np.lexsort((*reversed(terms), lab))
    starts, counts = equal_runs(lab[order])
    canonical = np.empty(n, dtype=np.int64)
    canonical[order] = np.repeat(order[starts], counts)
    runner_up = np.full(n, -1, dtype=np.int64)
    multi = counts >= 2
    runner_up[order] = np.repeat(np.where(multi, order[np.minimum(starts + 1, n - 1)], -1), counts)
    return canonical, runner_up


def _key_arrays(keys: Sequence[CanonicalKey]) -> dict[str, _Int64Array]:
    ids = [k.id for k in keys]
    id_rank = np.empty(len(keys), dtype=np.int64)
    id_rank[sorted(range(len(ids)), key=ids.__getitem__)] = np.arange(len(ids))
    arrays = {
        "days": np.asarray([day_number(k.date) for k in keys], dtype=np.int64),
        "shingles": np.asarray([k.shingles for k in keys], dtype=np.int64),
        "repairs": np.asarray([k.repairs for k in keys], dtype=np.int64),
        "lengths": np.asarray([k.length for k in keys], dtype=np.int64),
        "id_rank": id_rank,
    }
    if any(k.incumbent for k in keys):
        arrays["incumbent"] = np.asarray([k.incumbent for k in keys], dtype=np.int64)
    return arrays


def choose_canonicals(labels: npt.ArrayLike, keys: Sequence[CanonicalKey]) -> _Int64Array:
    """Index of the canonical copy of each document's component (itself for a singleton)."""
    lab = np.asarray(labels, dtype=np.int64)
    if lab.shape != (len(keys),):
        raise ValueError(f"labels has shape {lab.shape}, expected ({len(keys)},)")
    canonical, _ = choose_canonicals_from_arrays(lab, **_key_arrays(keys))
    return canonical


def explain_wins(
    labels: npt.ArrayLike,
    canonical_idx: npt.ArrayLike,
    runner_up: npt.ArrayLike,
    keys: Mapping[int, CanonicalKey],
) -> dict[int, str]:
    """Why each multi-member component's canonical won, keyed by component label.

    ``keys`` needs entries only for the canonical and runner-up indices.
    """
    lab = np.asarray(labels, dtype=np.int64)
    canon = np.asarray(canonical_idx, dtype=np.int64)
    second = np.asarray(runner_up, dtype=np.int64)
    firsts = np.flatnonzero(second >= 0)
    _, at = np.unique(lab[firsts], return_index=True)
    return {
        int(lab[i]): describe_win(keys[int(canon[i])], keys[int(second[i])])
        for i in firsts[at].tolist()
    }


def explain_canonicals(
    labels: npt.ArrayLike, canonical_idx: npt.ArrayLike, keys: Sequence[CanonicalKey]
) -> dict[int, str]:
    """:func:`explain_wins` for a full list of keys: the runner-up is found here."""
    lab = np.asarray(labels, dtype=np.int64)
    canonical, runner_up = choose_canonicals_from_arrays(lab, **_key_arrays(keys))
    if not np.array_equal(canonical, np.asarray(canonical_idx, dtype=np.int64)):
        raise ValueError("canonical_idx is not the canonical choice of these keys")
    return explain_wins(lab, canonical, runner_up, dict(enumerate(keys)))


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
    order = np.argsort(lab, kind="stable")
    starts, counts = equal_runs(lab[order])
    members_all = order.tolist()
    clusters = []
    for start, count in zip(starts.tolist(), counts.tolist(), strict=True):
        if count < 2:
            continue
        first = members_all[start]
        canonical = ids[int(canon[first])]
        clusters.append(
            Cluster(
                id=canonical,
                canonical=canonical,
                members=tuple(sorted(ids[i] for i in members_all[start : start + count])),
                why=whys.get(int(lab[first]), ""),
            )
        )
    clusters.sort(key=lambda c: (-len(c.members), c.id))
    return tuple(clusters)


# ---------------------------------------------------------------- edges


def exact_groups(digests: Sequence[bytes]) -> tuple[_Int64Array, _Int64Array]:
    """Representatives (first index of each distinct digest) and edges joining copies to them.

    A story re-posted 500 times would otherwise fill one LSH bucket per band.
    """
    first: dict[bytes, int] = {}
    edges: list[tuple[int, int]] = []
    for i, d in enumerate(digests):
        j = first.setdefault(d, i)
        if j != i:
            edges.append((j, i))
    reps = np.fromiter(first.values(), dtype=np.int64, count=len(first))
    return reps, np.asarray(edges, dtype=np.int64).reshape(-1, 2)


@attrs.frozen(kw_only=True)
class Links:
    """The verified pairs of a corpus: edges between documents that are copies.

    ``edges`` holds index pairs into the fingerprint arrays; the counts are
    kept for the report's parameters.
    """

    edges: _Int64Array = attrs.field(eq=False, repr=False)
    bands: int
    rows: int
    candidate_pairs: int
    accepted_pairs: int
    exact_duplicates: int


def link_documents(
    sigs: npt.NDArray[np.uint32],
    sizes: _Int64Array,
    digests: Sequence[bytes],
    config: DedupConfig,
) -> Links:
    """Exact copies by digest, near copies by LSH candidates verified from signatures."""
    bands, rows = bands_for_config(config, config.fingerprint.num_perm)
    reps, exact_edges = exact_groups(digests)
    # Only representatives take part: the others get size 0, which never pairs. The
    # pairs are those of the representatives' rows alone (their order is kept), and
    # no copy of the signatures is made.
    rep_sizes = np.zeros_like(sizes)
    rep_sizes[reps] = sizes[reps]
    candidates = find_candidate_pairs(sigs, bands, rows, sizes=rep_sizes)
    _, _, accepted = verify_pairs(sigs, sizes, candidates, config)
    return Links(
        edges=np.concatenate([candidates[accepted], exact_edges]),
        bands=bands,
        rows=rows,
        candidate_pairs=int(candidates.shape[0]),
        accepted_pairs=int(accepted.sum()),
        exact_duplicates=int(exact_edges.shape[0]),
    )


def run_params(
    config: DedupConfig,
    *,
    candidate_pairs: int,
    accepted_pairs: int,
    exact_duplicates: int = 0,
    index: IndexUpdate | None = None,
) -> RunParams:
    """The parameters a run decided with, as every backend reports them."""
    bands, rows = bands_for_config(config, config.fingerprint.num_perm)
    return RunParams(
        threshold=config.threshold,
        containment=config.containment,
        min_shingles=config.min_shingles,
        min_size_ratio=config.min_size_ratio,
        bands=bands,
        rows=rows,
        boilerplate=config.boilerplate.enabled,
        fingerprint=config.fingerprint,
        candidate_pairs=candidate_pairs,
        accepted_pairs=accepted_pairs,
        exact_duplicates=exact_duplicates,
        index=index,
    )


# ---------------------------------------------------------------- clusters and rows

Ranks = Callable[[_Int64Array], tuple[_Int64Array, _Int64Array, _Int64Array]]
"""``ranks(members)``: the date ordinals (0 for none), repair counts and text lengths of
those documents; asked only for members of multi-member components."""


@attrs.frozen(kw_only=True)
class Resolved:
    """Components resolved: per document its label, canonical and runner-up index, and
    the ``why`` of each multi-member component (by label)."""

    labels: _Int64Array = attrs.field(eq=False, repr=False)
    canonical: _Int64Array = attrs.field(eq=False, repr=False)
    runner_up: _Int64Array = attrs.field(eq=False, repr=False)
    whys: Mapping[int, str]


def resolve_components(
    ids: Sequence[str],
    labels: npt.ArrayLike,
    shingles: _Int64Array,
    ranks: Ranks,
    *,
    id_rank: _Int64Array | None = None,
    incumbent: npt.NDArray[np.bool_] | None = None,
) -> Resolved:
    """Canonical, runner-up and ``why`` of every component of ``labels``.

    ``ids`` are sorted unless ``id_rank`` gives each id's position in id order.
    ``incumbent`` marks the documents the index already holds as canonicals
    (:func:`rank_terms`); the batch run and Dask have none.
    """
    lab = np.asarray(labels, dtype=np.int64)
    n = len(ids)
    counts = np.bincount(lab, minlength=n) if n else np.empty(0, np.int64)
    multi = np.flatnonzero(counts[lab] >= 2) if n else np.empty(0, np.int64)
    days = np.zeros(n, dtype=np.int64)
    repairs = np.zeros(n, dtype=np.int64)
    lengths = np.zeros(n, dtype=np.int64)
    if multi.size:  # a singleton is its own canonical: it needs no key
        days[multi], repairs[multi], lengths[multi] = ranks(multi)
    canonical, runner_up = choose_canonicals_from_arrays(
        lab,
        days=days,
        shingles=shingles,
        repairs=repairs,
        lengths=lengths,
        id_rank=id_rank,
        incumbent=incumbent,
    )
    keys = {
        i: CanonicalKey(
            id=ids[i],
            date=dt.date.fromordinal(int(days[i])) if days[i] else None,
            shingles=int(shingles[i]),
            length=int(lengths[i]),
            repairs=int(repairs[i]),
            incumbent=incumbent is not None and bool(incumbent[i]),
        )
        for i in sorted_unique(np.r_[canonical[multi], runner_up[multi]]).tolist()
    }
    return Resolved(
        labels=lab,
        canonical=canonical,
        runner_up=runner_up,
        whys=explain_wins(lab, canonical, runner_up, keys),
    )


def decision(
    id_: str,
    path: str,
    canonical_id: str,
    similarity: float | None = None,
    containment: float | None = None,
) -> Decision:
    """The report row of a document whose cluster's canonical copy is ``canonical_id``."""
    if canonical_id == id_:
        return Decision(id=id_, path=path, status="kept", cluster=id_)
    return Decision(
        id=id_,
        path=path,
        status="duplicate",
        cluster=canonical_id,
        duplicate_of=canonical_id,
        similarity=similarity,
        containment=containment,
    )


def rejected_decision(rejection: Rejection) -> Decision:
    """The report row of a document that could not be used."""
    return Decision(
        id=rejection.id, path=rejection.path, status="rejected", reason=rejection.summary
    )


def decision_rows(
    ids: Sequence[str],
    paths: Sequence[str],
    rejections: Iterable[Rejection],
    *,
    sigs: npt.NDArray[np.uint32],
    sizes: _Int64Array,
    canonical: _Int64Array,
) -> tuple[Decision, ...]:
    """One row per document, sorted by id; a duplicate is scored against its canonical."""
    dup = np.flatnonzero(canonical != np.arange(len(ids)))
    sim, cont = score_against(sigs, sizes, dup, canonical[dup])
    scores = dict(zip(dup.tolist(), zip(sim.tolist(), cont.tolist(), strict=True), strict=True))
    rows = [
        decision(id_, path, ids[c], *scores.get(i, (None, None)))
        for i, (id_, path, c) in enumerate(zip(ids, paths, canonical.tolist(), strict=True))
    ]
    rows.extend(rejected_decision(r) for r in rejections)
    rows.sort(key=lambda d: d.id)
    return tuple(rows)


def resolve_clusters(
    ids: Sequence[str],
    paths: Sequence[str],
    rejections: Sequence[Rejection],
    sigs: npt.NDArray[np.uint32],
    sizes: _Int64Array,
    *,
    edges: _Int64Array,
    ranks: Ranks,
) -> tuple[tuple[Decision, ...], tuple[Cluster, ...]]:
    """Connected components of ``edges``, a canonical copy each, and one row per document.

    ``ids`` must be sorted and aligned with ``sigs``/``sizes``.
    """
    labels = connected_components(len(ids), edges)
    resolved = resolve_components(ids, labels, sizes, ranks)
    rows = decision_rows(
        ids, paths, rejections, sigs=sigs, sizes=sizes, canonical=resolved.canonical
    )
    return rows, build_clusters(ids, labels, resolved.canonical, resolved.whys)
