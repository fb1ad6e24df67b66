"""How far can WD-vs-rest go on COUNTER with the features an alignment gives? Cross-validated.

:mod:`benchmarks.reuse_eval` scores newsingest's label rule. This module asks
the question behind a missed goal: is there *any* rule over the per-pair
features we compute that does better, when its thresholds are chosen on
some pairs and scored on others? It gives:

* :func:`cross_validate`: stratified k-fold, the rule fitted on k-1 folds and
  scored on the held-out fold, the held-out predictions pooled into one F1,
  repeated over several shuffles;
* the rules: one threshold on one feature (:class:`Threshold`), two thresholds
  joined by AND (:class:`TwoThresholds`, newsingest's rule is one such),
  logistic regression (:class:`Logistic`) and a depth-2 decision tree
  (:class:`Tree`), all in numpy;
* :func:`monotone_ceiling`: an upper bound on the WD F1 that *any* rule that is
  monotone in the features (more reuse never makes a pair less wholly derived)
  can reach even in-sample, from the pairs that such a rule cannot tell apart.

Every feature is oriented so that larger means "more wholly derived" before
a rule sees it (:data:`ORIENTATION`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]


def f1(pred: Mask, gold: Mask) -> float:
    tp = int((pred & gold).sum())
    return 2 * tp / int(pred.sum() + gold.sum()) if tp else 0.0


class Rule(Protocol):
    name: str

    def fit(self, x: Matrix, y: Mask) -> Rule: ...

    def predict(self, x: Matrix) -> Mask: ...


def _grid(values: npt.NDArray[np.float64], size: int = 40) -> npt.NDArray[np.float64]:
    """Candidate thresholds: quantiles, so that every rule gets the same resolution."""
    return np.unique(np.quantile(values, np.linspace(0, 1, size + 1)))


class Threshold:
    """``x[:, j] >= t`` for the one feature and threshold with the best training F1."""

    def __init__(self, columns: Sequence[int] | None = None, name: str = "one threshold") -> None:
        self.columns = columns
        self.name = name
        self.j, self.t = 0, 0.0

    def fit(self, x: Matrix, y: Mask) -> Threshold:
        columns = range(x.shape[1]) if self.columns is None else self.columns
        best = (-1.0, 0, 0.0)
        for j in columns:
            for t in _grid(x[:, j], 100):
                s = f1(x[:, j] >= t, y)
                if s > best[0]:
                    best = (s, j, float(t))
        _, self.j, self.t = best
        return self

    def predict(self, x: Matrix) -> Mask:
        return np.asarray(x[:, self.j] >= self.t)


class TwoThresholds:
    """``x[:, a] >= s and x[:, b] >= t``: the best pair of features and thresholds."""

    def __init__(self, pairs: Sequence[tuple[int, int]] | None = None, name: str = "") -> None:
        self.pairs = pairs
        self.name = name or "two thresholds (AND), any two features"
        self.rule = (0, 0, 0.0, 0.0)

    def fit(self, x: Matrix, y: Mask) -> TwoThresholds:
        pairs = self.pairs or list(itertools.combinations(range(x.shape[1]), 2))
        best = (-1.0, (0, 0, 0.0, 0.0))
        for a, b in pairs:
            ga, gb = _grid(x[:, a]), _grid(x[:, b])
            above_a = x[:, a][None, :] >= ga[:, None]  # (thresholds, pairs)
            above_b = x[:, b][None, :] >= gb[:, None]
            both = above_a[:, None, :] & above_b[None, :, :]
            tp = (both & y).sum(axis=2)
            scores = 2 * tp / (both.sum(axis=2) + y.sum())
            i, k = np.unravel_index(int(np.argmax(scores)), scores.shape)
            if scores[i, k] > best[0]:
                best = (float(scores[i, k]), (a, b, float(ga[i]), float(gb[k])))
        self.rule = best[1]
        return self

    def predict(self, x: Matrix) -> Mask:
        a, b, s, t = self.rule
        return np.asarray((x[:, a] >= s) & (x[:, b] >= t))


def _standardise(x: Matrix, mean: Matrix, sd: Matrix) -> Matrix:
    return np.asarray((x - mean) / sd)


class Logistic:
    """L2-regularised logistic regression (Newton steps), cut at the training-F1-best
    probability."""

    name = "logistic regression, all features"

    def __init__(self, l2: float = 1.0) -> None:
        self.l2 = l2
        self.w = np.zeros(1)
        self.mean = np.zeros(1)
        self.sd = np.ones(1)
        self.cut = 0.5

    def _design(self, x: Matrix) -> Matrix:
        z = _standardise(x, self.mean, self.sd)
        return np.hstack([np.ones((z.shape[0], 1)), z])

    def _proba(self, x: Matrix) -> Matrix:
        return np.asarray(1 / (1 + np.exp(-self._design(x) @ self.w)))

    def fit(self, x: Matrix, y: Mask) -> Logistic:
        self.mean, self.sd = x.mean(axis=0), x.std(axis=0) + 1e-9
        d = self._design(x)
        w = np.zeros(d.shape[1])
        penalty = self.l2 * np.eye(d.shape[1])
        penalty[0, 0] = 0.0
        for _ in range(50):
            p = 1 / (1 + np.exp(-d @ w))
            grad = d.T @ (p - y) + penalty @ w
            hess = (d * (p * (1 - p))[:, None]).T @ d + penalty
            step = np.linalg.solve(hess, grad)
            w -= step
            if np.abs(step).max() < 1e-8:
                break
        self.w = w
        p = self._proba(x)
        self.cut = max(_grid(p, 100), key=lambda c: (f1(p >= c, y), -c))
        return self

    def predict(self, x: Matrix) -> Mask:
        return np.asarray(self._proba(x) >= self.cut)


class Tree:
    """A depth-2 decision tree: Gini splits, each leaf votes by the training F1-best
    share of WD pairs in it (a leaf is WD when its share is at least the cut)."""

    name = "depth-2 decision tree, all features"

    def __init__(self, depth: int = 2, min_leaf: int = 5) -> None:
        self.depth = depth
        self.min_leaf = min_leaf
        self.nodes: dict[tuple[int, ...], tuple[int, float]] = {}
        self.leaf_share: dict[tuple[int, ...], float] = {}
        self.cut = 0.5

    @staticmethod
    def _gini(y: Mask) -> float:
        if y.size == 0:
            return 0.0
        p = float(y.mean())
        return 2 * p * (1 - p) * y.size

    def _split(self, x: Matrix, y: Mask) -> tuple[int, float] | None:
        best: tuple[float, int, float] | None = None
        for j in range(x.shape[1]):
            for t in _grid(x[:, j])[1:]:
                right = x[:, j] >= t
                if min(right.sum(), (~right).sum()) < self.min_leaf:
                    continue
                g = self._gini(y[right]) + self._gini(y[~right])
                if best is None or g < best[0]:
                    best = (g, j, float(t))
        return None if best is None else (best[1], best[2])

    def _grow(self, x: Matrix, y: Mask, path: tuple[int, ...]) -> None:
        split = self._split(x, y) if len(path) < self.depth and 0 < y.sum() < y.size else None
        if split is None:
            self.leaf_share[path] = float(y.mean()) if y.size else 0.0
            return
        self.nodes[path] = split
        j, t = split
        right = x[:, j] >= t
        self._grow(x[~right], y[~right], (*path, 0))
        self._grow(x[right], y[right], (*path, 1))

    def _shares(self, x: Matrix) -> npt.NDArray[np.float64]:
        out = np.empty(x.shape[0])
        for i, row in enumerate(x):
            path: tuple[int, ...] = ()
            while path in self.nodes:
                j, t = self.nodes[path]
                path = (*path, int(row[j] >= t))
            out[i] = self.leaf_share[path]
        return out

    def fit(self, x: Matrix, y: Mask) -> Tree:
        self.nodes, self.leaf_share = {}, {}
        self._grow(x, y, ())
        shares = self._shares(x)
        self.cut = max(np.unique(shares), key=lambda c: (f1(shares >= c, y), -c))
        return self

    def predict(self, x: Matrix) -> Mask:
        return np.asarray(self._shares(x) >= self.cut)


def folds(y: Mask, k: int, seed: int) -> npt.NDArray[np.int64]:
    """A stratified fold number per pair: each class spread evenly over the ``k`` folds."""
    rng = np.random.default_rng(seed)
    out = np.empty(y.shape[0], dtype=np.int64)
    for cls in (True, False):
        where = np.flatnonzero(y == cls)
        out[rng.permutation(where)] = np.arange(where.size) % k
    return out


def cross_validate(
    make: Callable[[], Rule], x: Matrix, y: Mask, *, k: int = 5, repeats: int = 5
) -> dict[str, float]:
    """Held-out WD F1 (pooled over the folds of one shuffle; mean and spread over
    ``repeats`` shuffles) and the in-sample F1 of the rule fitted on all pairs."""
    held: list[float] = []
    for seed in range(repeats):
        fold = folds(y, k, seed)
        pred = np.zeros_like(y)
        for f in range(k):
            test = fold == f
            pred[test] = make().fit(x[~test], y[~test]).predict(x[test])
        held.append(f1(pred, y))
    return {
        "cv_f1": float(np.mean(held)),
        "cv_f1_sd": float(np.std(held)),
        "in_sample_f1": f1(make().fit(x, y).predict(x), y),
    }


def _dominates(x: Matrix) -> npt.NDArray[np.bool_]:
    """``out[i, j]``: pair ``i`` is at least as large as pair ``j`` on every feature."""
    return np.asarray((x[:, None, :] >= x[None, :, :]).all(axis=2))


def _max_matching(edges: npt.NDArray[np.bool_]) -> int:
    """Size of a maximum matching of a bipartite graph given as a (left, right) matrix."""
    match_right = np.full(edges.shape[1], -1, dtype=np.int64)

    def augment(u: int, seen: npt.NDArray[np.bool_]) -> bool:
        for v in np.flatnonzero(edges[u] & ~seen):
            seen[v] = True
            if match_right[v] < 0 or augment(int(match_right[v]), seen):
                match_right[v] = u
                return True
        return False

    return sum(augment(u, np.zeros(edges.shape[1], dtype=bool)) for u in range(edges.shape[0]))


def monotone_ceiling(x: Matrix, y: Mask) -> dict[str, Any]:
    """The best WD F1 any monotone rule over ``x`` can reach on these very pairs.

    A rule is monotone when a pair at least as large on every feature as a pair
    labelled WD is labelled WD too. A non-WD pair that dominates a WD pair then
    forces an error: either the WD pair is missed or the other is labelled WD.
    Such conflicts form a bipartite graph (WD pairs, non-WD pairs); the fewest
    errors any monotone rule makes is its smallest vertex cover, which equals
    its largest matching (König). With ``e`` errors and all of them false
    positives (the most F1 can keep), F1 is at most ``2 * WD / (2 * WD + e)``.
    """
    dom = _dominates(x)
    pos, neg = np.flatnonzero(y), np.flatnonzero(~y)
    conflict = dom[np.ix_(neg, pos)].T  # WD pair p, non-WD pair n with n >= p everywhere
    errors = _max_matching(conflict)
    wd = int(y.sum())
    return {
        "wd_pairs_dominated": int(conflict.any(axis=1).sum()),
        "non_wd_pairs_dominating": int(conflict.any(axis=0).sum()),
        "min_errors": errors,
        "f1_ceiling": 2 * wd / (2 * wd + errors) if wd else 0.0,
    }


# The features, from one alignment (newsingest's Derivation with its passages) and the
# classic measures; name -> +1 if more means more wholly derived, -1 if less does.
ORIENTATION = {
    "share": 1,
    "length ratio": -1,
    "source coverage": 1,
    "longest passage / target words": 1,
    "longest passage (words)": 1,
    "share in passages >= 3 words": 1,
    "share in passages >= 5 words": 1,
    "passages per 100 target words": -1,
    "target words": -1,
}


def alignment_features(
    share: float,
    target_words: int,
    source_words: int,
    aligned_words: int,
    passage_words: Sequence[int],
) -> dict[str, float]:
    """The features of :data:`ORIENTATION`, unoriented, from one aligned pair."""
    n = max(target_words, 1)
    runs = np.asarray(passage_words, dtype=np.float64)
    longest = float(runs.max()) if runs.size else 0.0
    return {
        "share": share,
        "length ratio": target_words / max(source_words, 1),
        "source coverage": aligned_words / max(source_words, 1),
        "longest passage / target words": longest / n,
        "longest passage (words)": longest,
        "share in passages >= 3 words": float(runs[runs >= 3].sum()) / n,
        "share in passages >= 5 words": float(runs[runs >= 5].sum()) / n,
        "passages per 100 target words": 100 * runs.size / n,
        "target words": float(target_words),
    }


def ceiling_table(
    features: dict[str, npt.NDArray[np.float64]],
    orientation: dict[str, int],
    gold_wd: Mask,
    *,
    repeats: int = 5,
) -> list[dict[str, Any]]:
    """Cross-validated and in-sample WD F1 of each rule, then the monotone ceilings."""
    names = list(features)
    x = np.column_stack([orientation[n] * features[n] for n in names])
    share, ratio = names.index("share"), names.index("length ratio")
    rules: list[tuple[str, Callable[[], Rule]]] = [
        ("one threshold on the share", lambda: Threshold([share], "share")),
        ("one threshold, best of all features", Threshold),
        (
            "share AND length ratio, quantile grid",
            lambda: TwoThresholds([(share, ratio)]),
        ),
        ("two thresholds (AND), best of all feature pairs", TwoThresholds),
        ("logistic regression, all features", Logistic),
        ("depth-2 decision tree, all features", Tree),
    ]
    out: list[dict[str, Any]] = []
    for name, make in rules:
        out.append({"rule": name, **cross_validate(make, x, gold_wd, repeats=repeats)})
    alignment = [names.index(n) for n in ORIENTATION if n in names]
    for label, columns in (
        ("share and length ratio", [share, ratio]),
        ("the alignment features", alignment),
        ("every feature", list(range(len(names)))),
    ):
        out.append(
            {"rule": f"any monotone rule on {label}", **monotone_ceiling(x[:, columns], gold_wd)}
        )
    return out
