"""The benchmark's ceiling analysis: its rules, its cross-validation and its monotone bound."""

from __future__ import annotations

import numpy as np
from benchmarks.reuse_ceiling import (
    Logistic,
    Threshold,
    Tree,
    TwoThresholds,
    alignment_features,
    cross_validate,
    f1,
    folds,
    monotone_ceiling,
)
from hypothesis import assume, given, settings
from hypothesis import strategies as st


def _separable(n: int = 60) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.random((n, 3))
    y = (x[:, 0] > 0.6) & (x[:, 2] > 0.3)
    return x, y


def test_every_rule_fits_a_separable_set() -> None:
    x, y = _separable()
    # Thresholds come from a grid of quantiles: a pair next to a boundary may fall wrong.
    assert f1(TwoThresholds().fit(x, y).predict(x), y) > 0.9
    assert f1(Tree().fit(x, y).predict(x), y) > 0.9
    assert f1(Threshold([0]).fit(x, y).predict(x), y) > 0.7
    assert f1(Logistic().fit(x, y).predict(x), y) > 0.8


def test_cross_validation_scores_held_out_pairs_only() -> None:
    _, y = _separable()
    noise = np.random.default_rng(1).random((60, 1))
    # A rule on pure noise fits its training folds but cannot predict the held-out one.
    found = cross_validate(lambda: Threshold([0]), noise, y, repeats=3)
    assert found["cv_f1"] < found["in_sample_f1"]


def test_folds_spread_each_class_evenly() -> None:
    y = np.array([True] * 10 + [False] * 25)
    fold = folds(y, 5, seed=3)
    for f in range(5):
        assert (fold[y] == f).sum() == 2
        assert (fold[~y] == f).sum() == 5


def test_the_monotone_bound_counts_the_conflicts() -> None:
    # Pair 1 (WD) is dominated by pairs 2 and 3 (not WD): one of the two conflicts is
    # unavoidable, the other goes with it (both involve pair 1). Pair 0 (WD) is clear.
    x = np.array([[0.9, 0.9], [0.3, 0.3], [0.5, 0.4], [0.4, 0.5], [0.1, 0.1]])
    y = np.array([True, True, False, False, False])
    found = monotone_ceiling(x, y)
    assert found["wd_pairs_dominated"] == 1
    assert found["non_wd_pairs_dominating"] == 2
    assert found["min_errors"] == 1
    assert found["f1_ceiling"] == 4 / 5


@settings(max_examples=30, deadline=None)
@given(
    labels=st.lists(st.booleans(), min_size=4, max_size=30),
    seed=st.integers(0, 1000),
)
def test_no_threshold_rule_beats_the_monotone_bound(labels: list[bool], seed: int) -> None:
    y = np.array(labels)
    assume(y.any())
    x = np.random.default_rng(seed).integers(0, 4, size=(y.size, 2)).astype(float)
    bound = monotone_ceiling(x, y)["f1_ceiling"]
    assert f1(TwoThresholds().fit(x, y).predict(x), y) <= bound + 1e-12


def test_alignment_features_from_passages() -> None:
    found = alignment_features(0.5, 100, 200, 50, [10, 4, 2])
    assert found["length ratio"] == 0.5
    assert found["source coverage"] == 0.25
    assert found["longest passage (words)"] == 10
    assert found["share in passages >= 3 words"] == 0.14
    assert found["share in passages >= 5 words"] == 0.10
    assert found["passages per 100 target words"] == 3
