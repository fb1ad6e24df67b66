"""Scores a predicted clustering against the generator's ground truth.

Pair counts come from the contingency table (sum of C(n_ij, 2) over cells), never by
enumerating pairs, so scoring stays linear in the corpus. A document the method rejected
or did not report is its own singleton cluster.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

__all__ = [
    "HARD_NEGATIVE_KINDS",
    "PairScores",
    "Score",
    "adjusted_rand_index",
    "false_merges_by_kind",
    "pair_counts",
    "pair_scores",
    "recall_by_transform",
    "score_clustering",
]

HARD_NEGATIVE_KINDS = (
    "brief",
    "template",
    "same-event",
    "shared-captions",
    "shared-teaser",
    "update",
)
"""Kinds whose documents must never share a cluster with another story (the generator's)."""


def choose2(n: int) -> int:
    return n * (n - 1) // 2


@dataclass(frozen=True)
class PairScores:
    """Pairwise precision/recall/F1: a pair is positive when both are in one cluster."""

    true_positive: int
    predicted_pairs: int
    true_pairs: int

    @property
    def precision(self) -> float:
        return self.true_positive / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.true_positive / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def pair_counts(predicted: Sequence[Hashable], truth: Sequence[Hashable]) -> PairScores:
    """Same-cluster pair counts of two labelings of the same items, from the contingency table."""
    if len(predicted) != len(truth):
        raise ValueError("labelings must have the same length")
    cells = Counter(zip(predicted, truth, strict=True))
    return PairScores(
        true_positive=sum(choose2(n) for n in cells.values()),
        predicted_pairs=sum(choose2(n) for n in Counter(predicted).values()),
        true_pairs=sum(choose2(n) for n in Counter(truth).values()),
    )


def pair_scores(predicted: Sequence[Hashable], truth: Sequence[Hashable]) -> PairScores:
    return pair_counts(predicted, truth)


def adjusted_rand_index(predicted: Sequence[Hashable], truth: Sequence[Hashable]) -> float:
    """Hubert & Arabie's ARI; 1.0 when both labelings are trivially identical (sklearn's rule)."""
    counts = pair_counts(predicted, truth)
    total = choose2(len(predicted))
    if total == 0:
        return 1.0
    expected = counts.predicted_pairs * counts.true_pairs / total
    maximum = (counts.predicted_pairs + counts.true_pairs) / 2
    if maximum == expected:
        return 1.0
    return (counts.true_positive - expected) / (maximum - expected)


def singleton_labels(
    ids: Sequence[str], clusters: Mapping[str, str | None]
) -> tuple[list[Hashable], int, int]:
    """Predicted label per id; rejected (None) and missing ids become singletons."""
    labels: list[Hashable] = []
    rejected = missing = 0
    for doc_id in ids:
        if doc_id not in clusters:
            missing += 1
            labels.append(("missing", doc_id))
        elif clusters[doc_id] is None:
            rejected += 1
            labels.append(("rejected", doc_id))
        else:
            labels.append(("cluster", clusters[doc_id]))
    return labels, rejected, missing


def recall_by_transform(
    truth: Sequence[Mapping[str, object]], labels: Mapping[str, Hashable]
) -> dict[str, tuple[int, int]]:
    """For each transformation label: (copies found with their original, copies with it).

    A copy counts as found when it shares a predicted cluster with its story's original.
    """
    original: dict[object, str] = {}
    for row in truth:
        if "original" in row["transform"]:  # type: ignore[operator]
            original[row["story"]] = str(row["id"])
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in truth:
        transforms = list(row["transform"])  # type: ignore[call-overload]
        if "original" in transforms or row["story"] not in original:
            continue
        hit = labels[str(row["id"])] == labels[original[row["story"]]]
        for label in transforms:
            found[str(label)][0] += int(hit)
            found[str(label)][1] += 1
    return {label: (v[0], v[1]) for label, v in sorted(found.items())}


def false_merges_by_kind(
    truth: Sequence[Mapping[str, object]], labels: Mapping[str, Hashable]
) -> dict[str, int]:
    """Pairs in one predicted cluster but of different true stories, keyed "kindA|kindB"."""
    members: dict[Hashable, list[Mapping[str, object]]] = defaultdict(list)
    for row in truth:
        members[labels[str(row["id"])]].append(row)
    merges: Counter[str] = Counter()
    for rows in members.values():
        if len(rows) < 2:
            continue
        per_kind = Counter(str(r["kind"]) for r in rows)
        per_story = Counter((str(r["kind"]), str(r["story"])) for r in rows)
        kinds = sorted(per_kind)
        for i, a in enumerate(kinds):
            same = choose2(per_kind[a]) - sum(
                choose2(n) for (kind, _), n in per_story.items() if kind == a
            )
            if same:
                merges[f"{a}|{a}"] += same
            for b in kinds[i + 1 :]:
                merges[f"{a}|{b}"] += per_kind[a] * per_kind[b]
    return dict(sorted(merges.items()))


@dataclass
class Score:
    """Everything the benchmark reports for one method on one corpus."""

    precision: float
    recall: float
    f1: float
    ari: float
    false_merges: int
    false_merges_by_kind: dict[str, int]
    hard_negative_merges: dict[str, int]
    recall_by_transform: dict[str, float]
    min_transform_recall: float
    rejected: int
    missing: int
    documents: int
    seconds: float = 0.0
    extra: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def score_clustering(
    truth: Sequence[Mapping[str, object]], clusters: Mapping[str, str | None]
) -> Score:
    """Score ``clusters`` (id -> predicted cluster, None if rejected) against ``truth`` rows."""
    ids = [str(row["id"]) for row in truth]
    predicted, rejected, missing = singleton_labels(ids, clusters)
    true_labels = [str(row["story"]) for row in truth]
    counts = pair_counts(predicted, true_labels)
    labels = dict(zip(ids, predicted, strict=True))
    merges = false_merges_by_kind(truth, labels)
    hard = {
        kind: sum(n for pair, n in merges.items() if kind in pair.split("|"))
        for kind in HARD_NEGATIVE_KINDS
    }
    per_transform = {
        label: found / total for label, (found, total) in recall_by_transform(truth, labels).items()
    }
    return Score(
        precision=counts.precision,
        recall=counts.recall,
        f1=counts.f1,
        ari=adjusted_rand_index(predicted, true_labels),
        false_merges=sum(merges.values()),
        false_merges_by_kind=merges,
        hard_negative_merges=hard,
        recall_by_transform=per_transform,
        min_transform_recall=min(per_transform.values(), default=1.0),
        rejected=rejected,
        missing=missing,
        documents=len(ids),
    )


def merged_pairs(pairs: Iterable[tuple[str, str]], clusters: Mapping[str, str | None]) -> int:
    """How many of ``pairs`` (must-not-merge controls) ended up in one cluster."""
    return sum(
        1 for a, b in pairs if clusters.get(a) is not None and clusters.get(a) == clusters.get(b)
    )
