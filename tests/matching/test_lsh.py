from __future__ import annotations

import numpy as np
import pytest
from datasketch import MinHash
from datasketch.lsh import _optimal_param
from hypothesis import given, settings
from hypothesis import strategies as st

from newsingest.config import DedupConfig
from newsingest.matching.link import connected_components
from newsingest.matching.lsh import (
    EMPTY_VALUE,
    MIN_DESIGN_JACCARD,
    bands_for_config,
    candidate_probability,
    choose_bands,
    design_threshold,
    find_candidate_pairs,
)
from newsingest.matching.verify import verify_pairs


def random_sigs(rng: np.random.Generator, n: int, num_perm: int = 128) -> np.ndarray:
    return rng.integers(0, 2**32 - 1, size=(n, num_perm), dtype=np.uint32)


def as_set(pairs: np.ndarray) -> set[tuple[int, int]]:
    return {(int(a), int(b)) for a, b in pairs}


def test_candidate_probability_formula() -> None:
    assert candidate_probability(0.5, 4, 2) == pytest.approx(1 - (1 - 0.25) ** 4)
    assert candidate_probability(1.0, 3, 5) == 1.0
    assert candidate_probability(0.0, 3, 5) == 0.0
    arr = candidate_probability(np.array([0.0, 0.5, 1.0]), 4, 2)
    assert isinstance(arr, np.ndarray)
    np.testing.assert_allclose(arr, [0.0, 1 - 0.75**4, 1.0])


@pytest.mark.parametrize("num_perm", [64, 128, 256])
@pytest.mark.parametrize("threshold", [0.36, 0.5, 0.6, 0.7, 0.8, 0.9])
def test_choose_bands_reaches_recall(num_perm: int, threshold: float) -> None:
    bands, rows = choose_bands(num_perm, threshold, min_recall=0.99)
    assert bands * rows <= num_perm
    assert candidate_probability(threshold, bands, rows) >= 0.99
    # no layout with the same recall makes fewer false candidates at threshold / 2
    best_false = candidate_probability(threshold / 2, bands, rows)
    for r in range(1, num_perm + 1):
        for b in range(1, num_perm // r + 1):
            if candidate_probability(threshold, b, r) >= 0.99:
                assert candidate_probability(threshold / 2, b, r) >= best_false - 1e-12
                break


def test_choose_bands_beats_datasketch_recall() -> None:
    ds_bands, ds_rows = _optimal_param(0.8, 128, 0.5, 0.5)
    assert candidate_probability(0.8, ds_bands, ds_rows) < 0.5
    assert candidate_probability(0.8, *choose_bands(128, 0.8)) >= 0.99


def test_choose_bands_infeasible_maximises_recall() -> None:
    bands, rows = choose_bands(2, 0.05, min_recall=0.99)
    assert (bands, rows) == (2, 1)


def test_design_threshold_covers_containment() -> None:
    config = DedupConfig(threshold=0.7, containment=0.8, min_size_ratio=0.5)
    t = design_threshold(config)
    assert t < config.threshold
    assert 0.3 < t < 0.5
    assert design_threshold(DedupConfig(threshold=0.3)) == 0.3
    # containment bounds far below the floor do not drag banding into all-pairs territory
    low = DedupConfig(threshold=0.7, containment=0.5, min_size_ratio=0.2)
    assert design_threshold(low) == MIN_DESIGN_JACCARD
    assert design_threshold(DedupConfig(threshold=0.2, containment=0.5, min_size_ratio=0.2)) == 0.2
    assert bands_for_config(DedupConfig(bands=16), 128) == (16, 8)
    with pytest.raises(ValueError, match="bands"):
        bands_for_config(DedupConfig(bands=200), 128)


def test_identical_signatures_always_found() -> None:
    rng = np.random.default_rng(1)
    sigs = random_sigs(rng, 50)
    sigs[10] = sigs[3]
    sigs[40] = sigs[3]
    sigs[7] = sigs[22]
    pairs = find_candidate_pairs(sigs, 16, 8)
    assert as_set(pairs) == {(3, 10), (3, 40), (10, 40), (7, 22)}


def test_random_signatures_almost_never_pair() -> None:
    rng = np.random.default_rng(2)
    sigs = random_sigs(rng, 5000)
    assert find_candidate_pairs(sigs, 33, 2).shape == (0, 2)


def test_empty_documents_never_pair() -> None:
    sigs = np.full((4, 16), EMPTY_VALUE, dtype=np.uint32)
    assert find_candidate_pairs(sigs, 4, 4).size == 0
    assert find_candidate_pairs(sigs, 4, 4, sizes=[0, 0, 0, 0]).size == 0
    sigs[0] = sigs[1] = np.arange(16, dtype=np.uint32)
    assert as_set(find_candidate_pairs(sigs, 4, 4, sizes=[5, 5, 0, 0])) == {(0, 1)}
    assert as_set(find_candidate_pairs(sigs, 4, 4, sizes=[5, 0, 0, 0])) == set()


def test_output_is_sorted_unique_and_ordered() -> None:
    rng = np.random.default_rng(3)
    base = random_sigs(rng, 5, 32)
    sigs = np.concatenate([base, base, base])
    pairs = find_candidate_pairs(sigs, 8, 4)
    assert pairs.dtype == np.int64
    assert np.all(pairs[:, 0] < pairs[:, 1])
    keys = [tuple(p) for p in pairs.tolist()]
    assert keys == sorted(set(keys))


@st.composite
def noisy_copies(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Signatures with planted partial copies, and a permutation of the rows."""
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(2, 60))
    rng = np.random.default_rng(seed)
    sigs = random_sigs(rng, n, 32)
    for i in range(1, n):
        if rng.random() < 0.3:
            sigs[i] = sigs[int(rng.integers(0, min(i, 3)))]  # exact copies of a few stories
        elif rng.random() < 0.5:
            src = int(rng.integers(0, i))
            keep = rng.random(32) < rng.uniform(0.3, 1.0)
            sigs[i, keep] = sigs[src, keep]
    return sigs, rng.permutation(n)


@settings(max_examples=40, deadline=None)
@given(noisy_copies())
def test_pairs_independent_of_row_order(case: tuple[np.ndarray, np.ndarray]) -> None:
    sigs, perm = case
    original = as_set(find_candidate_pairs(sigs, 8, 4))
    permuted = find_candidate_pairs(sigs[perm], 8, 4)
    mapped = {tuple(sorted((int(perm[a]), int(perm[b])))) for a, b in permuted}
    assert mapped == original


@settings(max_examples=20, deadline=None)
@given(noisy_copies())
def test_big_buckets_keep_copies_connected(case: tuple[np.ndarray, np.ndarray]) -> None:
    """With a tiny max_bucket, groups of identical signatures still form one component."""
    sigs, _ = case
    pairs = find_candidate_pairs(sigs, 8, 4, max_bucket=2, anchors=1)
    labels = connected_components(sigs.shape[0], pairs)
    _, first, inverse = np.unique(sigs, axis=0, return_index=True, return_inverse=True)
    for group in range(first.size):
        members = np.flatnonzero(inverse.ravel() == group)
        assert len(set(labels[members].tolist())) == 1


def test_five_thousand_copies_form_one_cluster() -> None:
    rng = np.random.default_rng(4)
    num_perm = 128
    story = random_sigs(rng, 1, num_perm)[0]
    copies = np.tile(story, (5000, 1))
    # near copies: each differs from the story in ~10 % of its values
    noise = rng.random(copies.shape) < 0.1
    copies[noise] = rng.integers(0, 2**32 - 1, size=int(noise.sum()), dtype=np.uint32)
    sigs = np.concatenate([copies, random_sigs(rng, 3000, num_perm)])
    order = rng.permutation(sigs.shape[0])
    sigs = sigs[order]
    sizes = np.full(sigs.shape[0], 500)
    bands, rows = bands_for_config(DedupConfig(), num_perm)
    pairs = find_candidate_pairs(sigs, bands, rows, sizes=sizes)
    assert pairs.shape[0] < 5000 * 200  # linear, not quadratic
    _, _, ok = verify_pairs(sigs, sizes, pairs, DedupConfig())
    labels = connected_components(sigs.shape[0], pairs[ok])
    is_copy = order < 5000
    assert len(set(labels[is_copy].tolist())) == 1
    assert len(set(labels[~is_copy].tolist())) == 3000


def minhash_of(items: range, num_perm: int) -> np.ndarray:
    m = MinHash(num_perm=num_perm, seed=1)
    m.update_batch([str(i).encode() for i in items])
    return np.asarray(m.hashvalues, dtype=np.uint32)


@pytest.mark.parametrize("threshold", [0.5, 0.8])
def test_monte_carlo_recall_at_threshold(threshold: float) -> None:
    """datasketch signatures of set pairs exactly at ``threshold`` are found ~99 % of the time."""
    num_perm, trials = 128, 200
    bands, rows = choose_bands(num_perm, threshold)
    # |A ∩ B| = k, |A| = |B| = k + d, J = k / (k + 2d)
    shared, distinct = (40, 20) if threshold == 0.5 else (80, 10)
    assert shared / (shared + 2 * distinct) == pytest.approx(threshold)
    found = 0
    for t in range(trials):
        base = t * 1000
        a = minhash_of(range(base, base + shared + distinct), num_perm)
        b_items = [*range(base, base + shared), *range(base + 500, base + 500 + distinct)]
        b = MinHash(num_perm=num_perm, seed=1)
        b.update_batch([str(i).encode() for i in b_items])
        sigs = np.stack([a, np.asarray(b.hashvalues, dtype=np.uint32)])
        found += find_candidate_pairs(sigs, bands, rows).shape[0]
    # promised 0.99; 200 trials put 0.95 more than 4 standard deviations below
    assert found / trials >= 0.95


def test_rejects_bad_layout() -> None:
    sigs = np.zeros((3, 16), dtype=np.uint32)
    with pytest.raises(ValueError, match="do not fit"):
        find_candidate_pairs(sigs, 5, 4)
    with pytest.raises(ValueError, match="sizes"):
        find_candidate_pairs(sigs, 4, 4, sizes=[1, 2])
