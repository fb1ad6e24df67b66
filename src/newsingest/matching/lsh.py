"""Candidate pairs from MinHash signatures by LSH banding, chosen for recall.

A signature of ``num_perm`` values is cut into ``bands`` bands of ``rows``
values; two documents become a candidate pair when all the values of at least
one band agree. For Jaccard similarity ``s`` that happens with probability
``1 - (1 - s**rows)**bands`` (:func:`candidate_probability`, the "S-curve").

Unlike datasketch's ``MinHashLSH``, which balances false positives against
false negatives (and so finds a pair exactly at the threshold only ~40 % of
the time), :func:`choose_bands` picks the steepest S-curve that still finds a
pair at the design threshold with probability ``min_recall``: false
candidates only cost a verification, a missed copy is lost. See
``docs/similarity.md`` for the numbers.

Everything here is array-based and depends on the signatures only, never on
the order of the documents.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from newsingest._arrays import equal_runs, sorted_unique
from newsingest.config import DedupConfig
from newsingest.matching.verify import jaccard_from_containment

__all__ = [
    "BIG_BUCKET_ANCHORS",
    "DEFAULT_MAX_BUCKET",
    "EMPTY_VALUE",
    "MIN_DESIGN_JACCARD",
    "bands_for_config",
    "candidate_probability",
    "choose_bands",
    "design_threshold",
    "find_candidate_pairs",
    "hash_columns",
    "ordered_bucket_pairs",
]

EMPTY_VALUE = np.uint32(0xFFFFFFFF)
"""Every value of an empty document's signature (datasketch's maximum hash)."""

DEFAULT_MAX_BUCKET = 100
"""Buckets (documents sharing a band) larger than this get a linear set of pairs, not all pairs."""

BIG_BUCKET_ANCHORS = 3
_MIX = np.uint64(0x9E3779B97F4A7C15)
_SEED = np.uint64(0x243F6A8885A308D3)
_Int64Array = npt.NDArray[np.int64]
_UInt64Array = npt.NDArray[np.uint64]


def candidate_probability(
    s: float | npt.NDArray[np.float64], bands: int, rows: int
) -> float | npt.NDArray[np.float64]:
    """Probability that a pair at Jaccard ``s`` shares at least one band: ``1 - (1 - s^r)^b``."""
    if isinstance(s, np.ndarray):
        return np.asarray(1.0 - (1.0 - s**rows) ** bands, dtype=np.float64)
    return float(1.0 - (1.0 - float(s) ** rows) ** bands)


def _bands_for_recall(threshold: float, rows: int, min_recall: float) -> int | None:
    """Fewest bands of ``rows`` rows that find a pair at ``threshold`` with ``min_recall``."""
    per_band = threshold**rows
    if per_band >= 1.0:
        return 1
    if per_band <= 0.0:
        return None
    return max(1, math.ceil(math.log1p(-min_recall) / math.log1p(-per_band)))


def choose_bands(
    num_perm: int,
    threshold: float,
    *,
    min_recall: float = 0.99,
    false_at: float | None = None,
) -> tuple[int, int]:
    """Choose ``(bands, rows)`` with ``bands * rows <= num_perm`` for recall at ``threshold``.

    Among the layouts that find a pair exactly at ``threshold`` with probability
    at least ``min_recall``, take the one that makes the fewest false candidates
    at ``false_at`` (default ``threshold / 2``); for each row count the fewest
    bands that reach the recall are used, since more bands only add false
    candidates. Ties go to fewer hashed values, then more rows. When no layout
    reaches ``min_recall`` the one with the highest recall is returned.
    """
    if num_perm < 1:
        raise ValueError(f"num_perm must be at least 1, got {num_perm}")
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    if not 0.0 < min_recall < 1.0:
        raise ValueError(f"min_recall must be in (0, 1), got {min_recall}")
    low = threshold / 2.0 if false_at is None else false_at
    best: tuple[float, int, int] | None = None
    best_layout = (num_perm, 1)
    for rows in range(1, num_perm + 1):
        bands = _bands_for_recall(threshold, rows, min_recall)
        if bands is None or bands * rows > num_perm:
            continue
        key = (float(candidate_probability(low, bands, rows)), bands * rows, -rows)
        if best is None or key < best:
            best = key
            best_layout = (bands, rows)
    if best is not None:
        return best_layout
    # Infeasible: maximise recall at the threshold instead.
    layouts = [(num_perm // r, r) for r in range(1, num_perm + 1)]
    return max(layouts, key=lambda br: (float(candidate_probability(threshold, *br)), -br[1]))


MIN_DESIGN_JACCARD = 0.3
"""Candidate generation is never tuned below this Jaccard for containment matches.

Banding that finds pairs at J = 0.2 with 99 % recall needs single-value bands,
which make a sizeable share of *all* pairs candidates; containment matches
below this bound are still found with the S-curve's probability (≈ 0.96 at
J = 0.25 with the default layout), just not guaranteed.
"""


def design_threshold(config: DedupConfig, *, min_size_ratio: float | None = None) -> float:
    """The lowest Jaccard an accepted pair can have: what candidate generation must reach.

    A pair accepted by containment ``c`` with size ratio ``ρ >= min_size_ratio``
    has Jaccard at least ``cρ / (1 + ρ - cρ)`` (≈ 0.23 for c = 0.65, ρ = 0.4),
    which is below the Jaccard threshold; LSH is tuned for the lower of the two,
    but for containment no lower than :data:`MIN_DESIGN_JACCARD`.
    """
    if min_size_ratio is None:
        min_size_ratio = config.min_size_ratio
    implied = max(jaccard_from_containment(config.containment, min_size_ratio), MIN_DESIGN_JACCARD)
    return min(config.threshold, implied)


def bands_for_config(config: DedupConfig, num_perm: int) -> tuple[int, int]:
    """``(bands, rows)`` for a run: ``config.bands`` if given, else :func:`choose_bands`."""
    if config.bands is not None:
        if not 1 <= config.bands <= num_perm:
            raise ValueError(f"bands must be in [1, {num_perm}], got {config.bands}")
        return config.bands, num_perm // config.bands
    return choose_bands(num_perm, design_threshold(config))


def hash_columns(sigs: npt.NDArray[np.uint32], start: int, stop: int) -> _UInt64Array:
    """One 64-bit key per row for the values in columns ``start:stop`` (multiply-xor mixing)."""
    key = np.full(sigs.shape[0], _SEED, dtype=np.uint64)
    for col in range(start, stop):
        key ^= sigs[:, col].astype(np.uint64)
        key *= _MIX
        key ^= key >> np.uint64(29)
    return key


def _pairs_in_small_runs(starts: _Int64Array, lengths: _Int64Array) -> _Int64Array:
    """All pairs of positions ``(p, q)``, ``p < q``, inside each run ``[start, start + length)``."""
    if starts.size == 0:
        return np.empty((0, 2), dtype=np.int64)
    run_of = np.repeat(np.arange(starts.size), lengths)
    first_slot = np.cumsum(lengths) - lengths
    pos = starts[run_of] + (np.arange(run_of.size) - first_slot[run_of])
    partners = starts[run_of] + lengths[run_of] - pos - 1
    left = np.repeat(pos, partners)
    block_start = np.cumsum(partners) - partners
    right = left + 1 + (np.arange(left.size) - np.repeat(block_start, partners))
    return np.stack([left, right], axis=1)


def _pairs_in_big_bucket(
    members: _Int64Array, sigs: npt.NDArray[np.uint32], anchors: int
) -> _Int64Array:
    """A linear set of pairs that keeps a bucket of copies connected.

    Members are ordered by a hash of their whole signature (then by index), so
    identical signatures sit side by side; each is paired with its successor
    (a chain) and with the first ``anchors`` members. Every member of a bucket
    made of true copies is thus joined to the others once the pairs verify;
    buckets that mix stories lose some pairs here, but their members meet again
    in the other bands, where their buckets are small.
    """
    rows = sigs[members]
    content = hash_columns(rows, 0, rows.shape[1])
    return ordered_bucket_pairs(members[np.lexsort((members, content))], anchors)


def ordered_bucket_pairs(ordered: _Int64Array, anchors: int) -> _Int64Array:
    """The pairs of a big bucket whose members are in order: each member with its
    successor (a chain) and with the first ``anchors`` members (a star)."""
    chain = np.stack([ordered[:-1], ordered[1:]], axis=1)
    heads, rest = ordered[:anchors], ordered[anchors:]
    star = np.stack([np.repeat(heads, rest.size), np.tile(rest, heads.size)], axis=1)
    return np.concatenate([chain, star])


def find_candidate_pairs(
    sigs: npt.NDArray[np.uint32],
    bands: int,
    rows: int,
    *,
    sizes: npt.ArrayLike | None = None,
    max_bucket: int = DEFAULT_MAX_BUCKET,
    anchors: int = BIG_BUCKET_ANCHORS,
) -> _Int64Array:
    """Unique candidate pairs ``(i, j)``, ``i < j``, sorted, of rows sharing at least one band.

    Rows with ``sizes == 0`` (or, without ``sizes``, whose signature is all
    :data:`EMPTY_VALUE`) never pair. Each band's ``rows`` values are mixed into
    one 64-bit key; rows with equal keys form a bucket. A bucket of at most
    ``max_bucket`` rows emits all its pairs, so for such buckets the result is
    the same set of document pairs whatever the row order. A larger bucket
    (hundreds of copies of one story) emits only a chain and a few anchors per
    member (see :func:`_pairs_in_big_bucket`), keeping the work linear; its pairs
    then depend on row order only among identical signatures, and the clusters
    they yield do not.
    """
    if sigs.ndim != 2:
        raise ValueError(f"sigs must be 2-D, got shape {sigs.shape}")
    n, num_perm = sigs.shape
    if bands < 1 or rows < 1 or bands * rows > num_perm:
        raise ValueError(f"{bands} bands of {rows} rows do not fit {num_perm} permutations")
    if max_bucket < 2:
        raise ValueError(f"max_bucket must be at least 2, got {max_bucket}")
    if sizes is not None:
        size_arr = np.asarray(sizes, dtype=np.int64)
        if size_arr.shape != (n,):
            raise ValueError(f"sizes must have shape ({n},), got {size_arr.shape}")
        valid = np.flatnonzero(size_arr > 0)
    else:
        valid = np.flatnonzero(~np.all(sigs == EMPTY_VALUE, axis=1))
    if valid.size < 2:
        return np.empty((0, 2), dtype=np.int64)

    codes: list[_Int64Array] = []
    for band in range(bands):
        keys = hash_columns(sigs, band * rows, (band + 1) * rows)[valid]
        # Any order of equal keys gives the same pairs, so the fast unstable sort will do.
        order = np.argsort(keys)
        starts, lengths = equal_runs(keys[order])
        shared = lengths >= 2
        small = shared & (lengths <= max_bucket)
        pos_pairs = _pairs_in_small_runs(starts[small], lengths[small])
        band_pairs = [valid[order[pos_pairs]]]
        for start, length in zip(starts[shared & ~small], lengths[shared & ~small], strict=True):
            members = valid[order[start : start + length]]
            band_pairs.append(_pairs_in_big_bucket(members, sigs, anchors))
        pairs = np.concatenate(band_pairs)
        lo = np.minimum(pairs[:, 0], pairs[:, 1])
        hi = np.maximum(pairs[:, 0], pairs[:, 1])
        codes.append(sorted_unique(lo * n + hi))
    unique = sorted_unique(np.concatenate(codes))
    return np.stack([unique // n, unique % n], axis=1).astype(np.int64)
