from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsingest.config import DedupConfig
from newsingest.matching.fingerprint import fingerprint_batch
from newsingest.matching.verify import (
    MIN_SIZE_RATIO,
    NEAR_IDENTICAL_JACCARD,
    accept_pairs,
    estimate_containment,
    estimate_jaccard,
    jaccard_from_containment,
    score_against,
    score_pair,
    verify_pairs,
)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 64), st.data())
def test_estimate_jaccard_is_fraction_of_equal_values(num_perm: int, data: st.DataObject) -> None:
    equal = data.draw(st.integers(0, num_perm))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    a = rng.integers(0, 2**31, size=num_perm, dtype=np.uint32)
    b = a + np.uint32(1)
    same = rng.permutation(num_perm)[:equal]
    b[same] = a[same]
    sigs = np.stack([a, b, a])
    got = estimate_jaccard(sigs, np.array([[0, 1], [0, 2], [1, 2]]))
    assert got[0] == pytest.approx(equal / num_perm)
    assert got[1] == 1.0
    assert got[2] == pytest.approx(equal / num_perm)


def test_estimate_jaccard_chunks_and_empty() -> None:
    rng = np.random.default_rng(0)
    sigs = rng.integers(0, 4, size=(100, 16), dtype=np.uint32)
    pairs = rng.integers(0, 100, size=(70_000, 2))
    got = estimate_jaccard(sigs, pairs)
    expected = (sigs[pairs[:, 0]] == sigs[pairs[:, 1]]).mean(axis=1)
    np.testing.assert_array_equal(got, expected)
    assert estimate_jaccard(sigs, np.empty((0, 2), dtype=np.int64)).shape == (0,)


@settings(max_examples=100, deadline=None)
@given(
    st.frozensets(st.integers(0, 200), min_size=1, max_size=120),
    st.frozensets(st.integers(0, 200), min_size=1, max_size=120),
)
def test_containment_formula_on_exact_sets(a: frozenset[int], b: frozenset[int]) -> None:
    jaccard = len(a & b) / len(a | b)
    got = estimate_containment(jaccard, len(a), len(b))
    assert float(got) == pytest.approx(len(a & b) / min(len(a), len(b)))


def test_containment_of_truncated_copy() -> None:
    whole = set(range(1000))
    prefix = set(range(600))
    jaccard = len(whole & prefix) / len(whole | prefix)
    assert jaccard == pytest.approx(0.6)
    assert float(estimate_containment(jaccard, 600, 1000)) == pytest.approx(1.0)
    assert jaccard_from_containment(1.0, 0.6) == pytest.approx(0.6)


def test_containment_clipped_and_empty() -> None:
    got = estimate_containment([1.0, 0.9, 0.5], [10, 0, 10], [10, 10, 1000])
    assert got[0] == 1.0
    assert got[1] == 0.0
    assert got[2] == 1.0  # noisy estimate above 1 is clipped


def test_accept_rules() -> None:
    config = DedupConfig(threshold=0.7, containment=0.8, min_shingles=40, min_size_ratio=0.5)
    cases = [
        # jaccard, containment, size_a, size_b, expected
        (0.7, 0.0, 100, 100, True),  # at the Jaccard threshold
        (0.69, 0.79, 100, 100, False),
        (0.6, 1.0, 600, 1000, True),  # truncated copy
        (0.6, 1.0, 39, 60, False),  # too short for containment
        (0.6, 1.0, 40, 60, True),
        (0.1, 1.0, 40, 5000, False),  # brief inside a digest: size ratio guard
        (0.3, 0.9, 499, 1000, False),  # just below the ratio
        (0.3, 0.9, 500, 1000, True),
        (1.0, 1.0, 0, 0, False),  # empty documents never match
        (1.0, 1.0, 0, 50, False),
        (1.0, 1.0, 3, 3, True),  # tiny but identical: a copy by Jaccard
        # a short side (< min_shingles) needs a near-identical Jaccard
        (0.89, 0.9, 30, 30, False),
        (0.9, 0.9, 30, 30, True),
        (0.7, 0.8, 39, 500, False),
        (0.7, 0.8, 40, 55, True),  # long texts: the threshold alone, as before
        (0.95, 1.0, 20, 20, True),
    ]
    j, c, a, b, expected = (np.array(col) for col in zip(*cases, strict=True))
    got = accept_pairs(j, c, a, b, config)
    assert got.dtype == np.bool_
    assert got.tolist() == expected.tolist()
    assert DedupConfig().min_size_ratio == MIN_SIZE_RATIO


# One-line teaser shared by items with different headlines: ~20 shingles each,
# most of them in the teaser, so the Jaccard reaches the default threshold.
_TEASER = (
    "Watch the full video of this remarkable exchange between the two guests "
    "on our channel tonight and share it with your friends"
)


def test_short_items_sharing_a_teaser_are_not_copies() -> None:
    texts = [
        f"Warren Buffett checks taxes\n{_TEASER}",
        f"Daily UFO headlines today\n{_TEASER}",
        f"President Trump speaks\n{_TEASER}",
    ]
    config = DedupConfig()
    sigs, sizes, _ = fingerprint_batch(texts, config.fingerprint)
    assert sizes.min() >= 15
    assert sizes.max() < config.min_shingles
    pairs = np.array([[0, 1], [0, 2], [1, 2]])
    jac, _, ok = verify_pairs(sigs, sizes, pairs, config)
    assert (jac >= config.threshold).all()  # the old rule took these as copies
    assert not ok.any()


def test_short_texts_differing_only_in_typography_are_copies() -> None:
    plain = 'Buffett - "taxes"\nHe said it\'s time to publish the returns, not later.'
    curly = (
        "Buffett \u2013 \u201ctaxes\u201d\n"
        "He said it\u2019s time to publish the returns, not later."
    )
    config = DedupConfig()
    sigs, sizes, _ = fingerprint_batch([plain, curly], config.fingerprint)
    assert 0 < sizes.min() < config.min_shingles
    jac, _, ok = verify_pairs(sigs, sizes, np.array([[0, 1]]), config)
    assert jac[0] >= NEAR_IDENTICAL_JACCARD
    assert ok.tolist() == [True]


def test_long_texts_keep_the_jaccard_threshold() -> None:
    words = [f"w{k}" for k in range(120)]
    edited = words.copy()
    for k in range(0, 120, 24):  # five edited words: Jaccard well below near-identical
        edited[k] = f"x{k}"
    config = DedupConfig()
    sigs, sizes, _ = fingerprint_batch([" ".join(words), " ".join(edited)], config.fingerprint)
    assert sizes.min() >= config.min_shingles
    jac, _, ok = verify_pairs(sigs, sizes, np.array([[0, 1]]), config)
    assert config.threshold <= jac[0] < NEAR_IDENTICAL_JACCARD
    assert ok.tolist() == [True]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0, 1),
            st.floats(0, 1),
            st.integers(0, 200),
            st.integers(0, 200),
        ),
        min_size=1,
        max_size=20,
    ),
    st.floats(0.01, 1),
    st.floats(0.01, 1),
    st.integers(1, 100),
    st.floats(0.01, 1),
)
def test_accept_pairs_is_symmetric(
    rows: list[tuple[float, float, int, int]],
    threshold: float,
    containment: float,
    min_shingles: int,
    ratio: float,
) -> None:
    config = DedupConfig(
        threshold=threshold,
        containment=containment,
        min_shingles=min_shingles,
        min_size_ratio=ratio,
    )
    j, c, a, b = (np.array(col) for col in zip(*rows, strict=True))
    forward = accept_pairs(j, c, a, b, config)
    assert forward.tolist() == accept_pairs(j, c, b, a, config).tolist()
    short = np.minimum(a, b) < min_shingles
    # a short pair is accepted only when (near) identical
    assert not (forward & short & (j < NEAR_IDENTICAL_JACCARD)).any()


def test_verify_pairs_and_score_pair_agree() -> None:
    rng = np.random.default_rng(5)
    sigs = rng.integers(0, 2**32 - 1, size=(4, 128), dtype=np.uint32)
    sigs[1, :100] = sigs[0, :100]
    sigs[3] = np.uint32(0xFFFFFFFF)
    sigs[2] = sigs[3]
    sizes = np.array([500, 450, 0, 0])
    pairs = np.array([[0, 1], [2, 3], [0, 2]])
    jac, cont, ok = verify_pairs(sigs, sizes, pairs, DedupConfig())
    assert ok.tolist() == [True, False, False]
    assert jac[0] == pytest.approx(100 / 128)
    assert score_pair(sigs[0], sigs[1], 500, 450) == (pytest.approx(jac[0]), pytest.approx(cont[0]))
    assert score_pair(sigs[2], sigs[3], 0, 0) == (0.0, 0.0)
    with pytest.raises(ValueError, match="1-D"):
        score_pair(sigs[0], sigs[1, :5], 1, 1)


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 16), st.integers(1, 12), st.data())
def test_score_against_equals_score_pair(num_perm: int, n: int, data: st.DataObject) -> None:
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    sigs = rng.integers(0, 4, size=(n, num_perm), dtype=np.uint32)  # many equal values
    sizes = rng.integers(0, 5, size=n)
    idx = rng.integers(0, n, size=20)
    canon = rng.integers(0, n, size=20)
    jac, cont = score_against(sigs, sizes, idx, canon)
    for k in range(20):
        i, c = int(idx[k]), int(canon[k])
        assert (jac[k], cont[k]) == score_pair(sigs[i], sigs[c], int(sizes[i]), int(sizes[c]))


def test_score_against_rejects_misaligned_indices() -> None:
    with pytest.raises(ValueError, match="shape"):
        score_against(np.zeros((2, 4), dtype=np.uint32), [1, 1], [0, 1], [0])
