"""Score candidate pairs from their MinHash signatures and decide which are copies.

LSH candidates are only "maybe": each is verified here from the signatures
(the fraction of equal values estimates the Jaccard similarity of the
shingle sets) and the shingle counts (which turn Jaccard into containment).

The duplicate rule (see ``docs/similarity.md``): a pair is a copy when

* its estimated Jaccard reaches ``DedupConfig.threshold`` and, when the shorter
  text has fewer than ``DedupConfig.min_shingles`` shingles, also
  :data:`NEAR_IDENTICAL_JACCARD` (a one-line teaser shared by items with different
  headlines reaches the threshold on the teaser alone; the fingerprinted text holds
  the title, so a near-identical short pair has the same title too), or
* the shorter text is contained in the longer at least ``DedupConfig.containment``,
  the shorter has at least ``DedupConfig.min_shingles`` shingles (short texts are
  contained by chance), and the shorter is at least ``DedupConfig.min_size_ratio``
  of the longer (a brief contained in a digest of many stories is not a copy of the digest;
  a copy truncated to 60 % has a ratio of about 0.6).

An empty document (no shingles) never matches anything.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from newsingest.config import DedupConfig

__all__ = [
    "MIN_SIZE_RATIO",
    "NEAR_IDENTICAL_JACCARD",
    "accept_pairs",
    "estimate_containment",
    "estimate_jaccard",
    "jaccard_from_containment",
    "score_against",
    "score_pair",
    "verify_pairs",
]

MIN_SIZE_RATIO = DedupConfig().min_size_ratio
"""The default smallest ``min(|A|, |B|) / max(|A|, |B|)`` for a containment match.

It also bounds the Jaccard down to which LSH must find candidates: a pair at
containment ``c`` and size ratio ``ρ`` has Jaccard ``cρ / (1 + ρ - cρ)``
(:func:`jaccard_from_containment`): ≈ 0.18 with the defaults (0.65, 0.3),
which :func:`newsingest.matching.lsh.design_threshold` raises to its floor of 0.3.
Without the guard LSH could not find containment matches reliably.
"""

NEAR_IDENTICAL_JACCARD = 0.9
"""The Jaccard a pair needs when its shorter text has fewer than ``min_shingles`` shingles.

Short texts share a large fraction of their shingles by chance or through a common
teaser line, and one edited word changes up to ``shingle_size`` of them, so between
"the same text" and "different items" there is no room for a looser bar: a short pair
is a copy only when it is (near) identical, title included. ``min_shingles`` already
sets which pairs count as short; see ``docs/similarity.md`` for the figures behind 0.9.
"""

_PAIR_CHUNK = 32_768
"""Pairs compared per step: bounds the temporary memory to ~2 × chunk × num_perm × 4 bytes."""

_FloatArray = npt.NDArray[np.float64]
_BoolArray = npt.NDArray[np.bool_]


def estimate_jaccard(sigs: npt.NDArray[np.uint32], pairs: npt.ArrayLike) -> _FloatArray:
    """Estimated Jaccard similarity of each pair: the fraction of equal signature values.

    ``pairs`` is an ``(m, 2)`` index array into the rows of ``sigs``. Two empty
    documents have equal (all-maximum) signatures and score 1 here: callers
    must reject empty documents by size, as :func:`accept_pairs` does.
    """
    idx = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    out = np.empty(idx.shape[0], dtype=np.float64)
    num_perm = sigs.shape[1]
    if num_perm == 0:
        out.fill(0.0)
        return out
    for start in range(0, idx.shape[0], _PAIR_CHUNK):
        chunk = idx[start : start + _PAIR_CHUNK]
        equal = sigs[chunk[:, 0]] == sigs[chunk[:, 1]]
        out[start : start + chunk.shape[0]] = np.count_nonzero(equal, axis=1) / num_perm
    return out


def estimate_containment(
    jaccard: npt.ArrayLike, size_a: npt.ArrayLike, size_b: npt.ArrayLike
) -> _FloatArray:
    """Containment of the smaller shingle set in the larger, from Jaccard and the set sizes.

    ``|A ∩ B| = J (|A| + |B|) / (1 + J)``; the result is ``|A ∩ B| / min(|A|, |B|)``
    clipped to [0, 1] (the Jaccard estimate is noisy), and 0 when either set is empty.
    """
    j = np.asarray(jaccard, dtype=np.float64)
    a = np.asarray(size_a, dtype=np.float64)
    b = np.asarray(size_b, dtype=np.float64)
    inter = j * (a + b) / (1.0 + j)
    smaller = np.minimum(a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        contained = np.where(smaller > 0, inter / np.where(smaller > 0, smaller, 1.0), 0.0)
    return np.asarray(np.clip(contained, 0.0, 1.0), dtype=np.float64)


def jaccard_from_containment(containment: float, size_ratio: float) -> float:
    """Jaccard of a pair whose smaller set (``size_ratio`` of the larger) is ``containment`` inside.

    With ``|A| = ρ|B|`` and ``|A ∩ B| = c|A|``: ``J = cρ / (1 + ρ - cρ)``. A copy
    truncated to 60 % (c = 1, ρ = 0.6) has J = 0.6.
    """
    if not (0.0 <= containment <= 1.0 and 0.0 <= size_ratio <= 1.0):
        raise ValueError("containment and size_ratio must lie in [0, 1]")
    inter = containment * size_ratio
    return inter / (1.0 + size_ratio - inter)


def accept_pairs(
    jaccard: npt.ArrayLike,
    containment: npt.ArrayLike,
    sizes_a: npt.ArrayLike,
    sizes_b: npt.ArrayLike,
    config: DedupConfig,
    *,
    min_size_ratio: float | None = None,
) -> _BoolArray:
    """Which pairs are copies under the duplicate rule (module docstring)."""
    if min_size_ratio is None:
        min_size_ratio = config.min_size_ratio
    j = np.asarray(jaccard, dtype=np.float64)
    c = np.asarray(containment, dtype=np.float64)
    a = np.asarray(sizes_a, dtype=np.int64)
    b = np.asarray(sizes_b, dtype=np.int64)
    smaller = np.minimum(a, b)
    larger = np.maximum(a, b)
    nonempty = smaller > 0
    by_jaccard = (j >= config.threshold) & (
        (smaller >= config.min_shingles) | (j >= NEAR_IDENTICAL_JACCARD)
    )
    # ratio test without division: smaller >= ratio * larger
    by_containment = (
        (c >= config.containment)
        & (smaller >= config.min_shingles)
        & (smaller >= min_size_ratio * larger)
    )
    return np.asarray(nonempty & (by_jaccard | by_containment), dtype=np.bool_)


def verify_pairs(
    sigs: npt.NDArray[np.uint32],
    sizes: npt.ArrayLike,
    pairs: npt.ArrayLike,
    config: DedupConfig,
    *,
    min_size_ratio: float | None = None,
) -> tuple[_FloatArray, _FloatArray, _BoolArray]:
    """Score and judge candidate pairs: ``(jaccard, containment, accepted)``, one entry per pair."""
    idx = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    n = np.asarray(sizes, dtype=np.int64)
    size_a = n[idx[:, 0]]
    size_b = n[idx[:, 1]]
    jac = estimate_jaccard(sigs, idx)
    cont = estimate_containment(jac, size_a, size_b)
    ok = accept_pairs(jac, cont, size_a, size_b, config, min_size_ratio=min_size_ratio)
    return jac, cont, ok


def score_pair(
    sig_a: npt.ArrayLike, sig_b: npt.ArrayLike, size_a: int, size_b: int
) -> tuple[float, float]:
    """``(jaccard, containment)`` of one pair; ``(0.0, 0.0)`` when either document is empty."""
    a = np.asarray(sig_a)
    b = np.asarray(sig_b)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"signatures must be 1-D and alike, got {a.shape} and {b.shape}")
    if size_a <= 0 or size_b <= 0 or a.size == 0:
        return 0.0, 0.0
    jac = float(np.count_nonzero(a == b)) / a.size
    cont = float(estimate_containment(jac, size_a, size_b))
    return jac, cont


def score_against(
    sigs: npt.NDArray[np.uint32],
    sizes: npt.ArrayLike,
    idx: npt.ArrayLike,
    canonical_idx: npt.ArrayLike,
) -> tuple[_FloatArray, _FloatArray]:
    """:func:`score_pair` of rows ``idx[k]`` and ``canonical_idx[k]`` for every ``k``, vectorised.

    Returns ``(jaccard, containment)`` arrays equal value for value to calling
    :func:`score_pair` per pair (0 for both when either document is empty).
    """
    a = np.asarray(idx, dtype=np.int64).reshape(-1)
    b = np.asarray(canonical_idx, dtype=np.int64).reshape(-1)
    if a.shape != b.shape:
        raise ValueError(f"idx and canonical_idx differ in shape: {a.shape} != {b.shape}")
    n = np.asarray(sizes, dtype=np.int64)
    size_a, size_b = n[a], n[b]
    jac = estimate_jaccard(sigs, np.stack([a, b], axis=1))
    cont = estimate_containment(jac, size_a, size_b)
    empty = (size_a <= 0) | (size_b <= 0) | (sigs.shape[1] == 0)
    jac[empty] = 0.0
    cont[empty] = 0.0
    return jac, cont
