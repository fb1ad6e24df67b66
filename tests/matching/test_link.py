from __future__ import annotations

import datetime as dt
import random
from collections import deque

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsingest.matching.link import (
    WHY_INCUMBENT,
    CanonicalKey,
    build_clusters,
    choose_canonicals,
    choose_canonicals_from_arrays,
    connected_components,
    explain_canonicals,
    explain_wins,
)


@st.composite
def graphs(draw: st.DrawFn) -> tuple[int, np.ndarray]:
    n = draw(st.integers(0, 40))
    if n == 0:
        return 0, np.empty((0, 2), dtype=np.int64)
    edges = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=60))
    return n, np.array(edges, dtype=np.int64).reshape(-1, 2)


def bfs_labels(n: int, edges: np.ndarray) -> list[int]:
    adjacency: list[list[int]] = [[] for _ in range(n)]
    for a, b in edges.tolist():
        adjacency[a].append(b)
        adjacency[b].append(a)
    labels = [-1] * n
    for start in range(n):
        if labels[start] >= 0:
            continue
        labels[start] = start
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for other in adjacency[node]:
                if labels[other] < 0:
                    labels[other] = start
                    queue.append(other)
    return labels


def partition(labels: np.ndarray | list[int]) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for i, label in enumerate(np.asarray(labels).tolist()):
        groups.setdefault(label, set()).add(i)
    return {frozenset(g) for g in groups.values()}


@settings(max_examples=100, deadline=None)
@given(graphs())
def test_union_find_matches_bfs(graph: tuple[int, np.ndarray]) -> None:
    n, edges = graph
    labels = connected_components(n, edges)
    assert labels.dtype == np.int64
    assert labels.tolist() == bfs_labels(n, edges)
    # a partition of 0..n-1, each labelled by its smallest member
    for group in partition(labels):
        assert {int(labels[i]) for i in group} == {min(group)}


@settings(max_examples=60, deadline=None)
@given(graphs(), st.randoms(use_true_random=False))
def test_labels_independent_of_edge_and_node_order(
    graph: tuple[int, np.ndarray], rnd: random.Random
) -> None:
    n, edges = graph
    labels = connected_components(n, edges)
    shuffled = edges[rnd.sample(range(len(edges)), len(edges))][:, ::-1]
    assert connected_components(n, shuffled).tolist() == labels.tolist()
    perm = np.array(rnd.sample(range(n), n), dtype=np.int64)  # node i becomes perm[i]
    relabelled = connected_components(n, perm[edges]) if n else labels
    moved = {frozenset(int(perm[i]) for i in g) for g in partition(labels)} if n else set()
    assert (partition(relabelled) if n else set()) == moved


def test_long_chain_and_bad_input() -> None:
    n = 200_000
    chain = np.stack([np.arange(n - 1), np.arange(1, n)], axis=1)[::-1]
    assert set(connected_components(n, chain).tolist()) == {0}
    assert connected_components(3, np.empty((0, 2))).tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="indices"):
        connected_components(2, np.array([[0, 2]]))
    with pytest.raises(ValueError, match="shape"):
        connected_components(2, np.array([0, 1, 1]))


def key(
    id_: str,
    date: dt.date | None = None,
    shingles: int = 100,
    length: int = 1000,
    repairs: int = 0,
    *,
    incumbent: bool = False,
) -> CanonicalKey:
    return CanonicalKey(
        id=id_, date=date, shingles=shingles, length=length, repairs=repairs, incumbent=incumbent
    )


@pytest.mark.parametrize(
    ("keys", "winner", "why"),
    [
        (
            [key("b", dt.date(2016, 8, 3)), key("a", dt.date(2016, 8, 4)), key("c")],
            0,
            "earliest date 2016-08-03",
        ),
        ([key("b"), key("a", shingles=99)], 0, "longest body (100 shingles)"),
        ([key("a", length=10), key("b", length=20)], 1, "longest text (20 characters)"),
        ([key("a", repairs=2), key("b", repairs=1)], 1, "fewest repairs (1)"),
        ([key("b"), key("a")], 1, "smallest id"),
        ([key("b"), key("a", date=dt.date(2020, 1, 1), shingles=1)], 1, "earliest date 2020-01-01"),
        # A stored canonical keeps its place against copies that only tie on content...
        ([key("a"), key("b", incumbent=True)], 1, WHY_INCUMBENT),
        ([key("a", length=2000), key("b", incumbent=True)], 1, WHY_INCUMBENT),
        # ...and is explained as a batch run would when it wins on length or id anyway,
        ([key("b"), key("a", incumbent=True)], 1, "smallest id"),
        (
            [key("a", length=10), key("b", incumbent=True, length=20)],
            1,
            "longest text (20 characters)",
        ),
        # and gives way to a copy strictly better on content.
        ([key("b", incumbent=True), key("a", dt.date(2016, 8, 3))], 1, "earliest date 2016-08-03"),
        ([key("a", incumbent=True), key("b", shingles=101)], 1, "longest body (101 shingles)"),
        ([key("a", incumbent=True, repairs=1), key("b")], 1, "fewest repairs (0)"),
        # Two incumbents (two stored clusters merged): the rank decides as before.
        ([key("b", incumbent=True), key("a", incumbent=True), key("0")], 1, "smallest id"),
    ],
)
def test_canonical_choice_and_why(keys: list[CanonicalKey], winner: int, why: str) -> None:
    labels = np.zeros(len(keys), dtype=np.int64)
    canonical = choose_canonicals(labels, keys)
    assert canonical.tolist() == [winner] * len(keys)
    assert explain_canonicals(labels, canonical, keys) == {0: why}


@st.composite
def keyed_clusters(draw: st.DrawFn) -> tuple[list[CanonicalKey], np.ndarray, list[int]]:
    n = draw(st.integers(1, 25))
    dates = st.none() | st.dates(dt.date(2016, 1, 1), dt.date(2016, 1, 5))
    keys = [
        CanonicalKey(
            id=f"doc{i:02d}",
            date=draw(dates),
            shingles=draw(st.integers(0, 3)),
            length=draw(st.integers(0, 3)),
            repairs=draw(st.integers(0, 2)),
        )
        for i in range(n)
    ]
    edges = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=30))
    perm = draw(st.permutations(range(n)))
    return keys, np.array(edges, dtype=np.int64).reshape(-1, 2), perm


@settings(max_examples=60, deadline=None)
@given(keyed_clusters())
def test_clusters_independent_of_input_order(
    case: tuple[list[CanonicalKey], np.ndarray, list[int]],
) -> None:
    keys, edges, perm = case
    n = len(keys)

    def run(order: list[int]) -> tuple[object, ...]:
        # document at new position p is the old document order[p]
        where = np.empty(n, dtype=np.int64)
        where[np.array(order, dtype=np.int64)] = np.arange(n)
        ks = [keys[i] for i in order]
        labels = connected_components(n, where[edges] if edges.size else edges)
        canonical = choose_canonicals(labels, ks)
        whys = explain_canonicals(labels, canonical, ks)
        return build_clusters([k.id for k in ks], labels, canonical, whys)

    clusters = run(list(range(n)))
    assert clusters == run(perm)
    members = [m for c in clusters for m in c.members]  # type: ignore[attr-defined]
    assert len(members) == len(set(members))
    for c in clusters:
        assert len(c.members) >= 2  # type: ignore[attr-defined]
        assert c.canonical in c.members  # type: ignore[attr-defined]


def test_build_clusters_order_and_fields() -> None:
    ids = ["e", "d", "c", "b", "a"]
    labels = connected_components(5, np.array([[0, 1], [2, 3], [3, 4]]))
    keys = [key(i) for i in ids]
    canonical = choose_canonicals(labels, keys)
    clusters = build_clusters(ids, labels, canonical, explain_canonicals(labels, canonical, keys))
    assert [c.id for c in clusters] == ["a", "d"]
    assert clusters[0].members == ("a", "b", "c")
    assert clusters[0].canonical == "a"
    assert clusters[0].why == "smallest id"
    assert clusters[1].members == ("d", "e")


@st.composite
def keyed_components(draw: st.DrawFn) -> tuple[np.ndarray, list[CanonicalKey]]:
    n = draw(st.integers(0, 30))
    with_incumbents = draw(st.booleans())
    labels = np.array(draw(st.lists(st.integers(0, 6), min_size=n, max_size=n)), dtype=np.int64)
    # Few distinct values, so every criterion (down to the id) has to break ties.
    dates = st.none() | st.sampled_from([dt.date(2024, 1, 1), dt.date(2024, 1, 2)])
    keys = [
        CanonicalKey(
            id=f"doc{i:03d}",
            date=draw(dates),
            shingles=draw(st.integers(0, 2)),
            repairs=draw(st.integers(0, 2)),
            length=draw(st.integers(0, 2)),
            incumbent=draw(st.booleans()) if with_incumbents else False,
        )
        for i in range(n)
    ]
    return labels, keys


def key_arrays(keys: list[CanonicalKey]) -> dict[str, np.ndarray]:
    arrays = {
        "days": np.array([k.date.toordinal() if k.date else 0 for k in keys], dtype=np.int64),
        "shingles": np.array([k.shingles for k in keys], dtype=np.int64),
        "repairs": np.array([k.repairs for k in keys], dtype=np.int64),
        "lengths": np.array([k.length for k in keys], dtype=np.int64),
    }
    if any(k.incumbent for k in keys):
        arrays["incumbent"] = np.array([k.incumbent for k in keys], dtype=bool)
    return arrays


@settings(max_examples=100, deadline=None)
@given(keyed_components(), st.randoms(use_true_random=False))
def test_array_canonicals_equal_the_object_ones(
    case: tuple[np.ndarray, list[CanonicalKey]], rnd: random.Random
) -> None:
    labels, keys = case
    canonical, runner_up = choose_canonicals_from_arrays(labels, **key_arrays(keys))
    assert canonical.tolist() == choose_canonicals(labels, keys).tolist()
    expected_whys = explain_canonicals(labels, canonical, keys)
    assert explain_wins(labels, canonical, runner_up, dict(enumerate(keys))) == expected_whys
    for i in range(len(keys)):
        others = [j for j in range(len(keys)) if labels[j] == labels[i] and j != canonical[i]]
        second = min(others, key=lambda j: keys[j].rank()) if others else -1
        assert runner_up[i] == second
    # Shuffled input with explicit id ranks chooses the same documents.
    order = list(range(len(keys)))
    rnd.shuffle(order)
    shuffled = [keys[i] for i in order]
    rank = np.argsort(np.argsort([k.id for k in shuffled]))
    again, _ = choose_canonicals_from_arrays(labels[order], id_rank=rank, **key_arrays(shuffled))
    assert [order[c] for c in again.tolist()] == canonical[order].tolist()


def test_array_canonicals_reject_misaligned_arrays() -> None:
    with pytest.raises(ValueError, match="shape"):
        choose_canonicals_from_arrays(
            [0, 0], days=[1], shingles=[1, 1], repairs=[0, 0], lengths=[1, 1]
        )


def test_no_documents_make_no_clusters() -> None:
    labels = connected_components(0, np.empty((0, 2), dtype=np.int64))
    assert build_clusters([], labels, labels, {}) == ()


@settings(max_examples=100, deadline=None)
@given(keyed_components())
def test_incumbents_win_only_ties_on_content(case: tuple[np.ndarray, list[CanonicalKey]]) -> None:
    labels, keys = case
    canonical = choose_canonicals(labels, keys)
    plain = [attrs.evolve(k, incumbent=False) for k in keys]
    batch = choose_canonicals(labels, plain)
    for mine, theirs in zip(canonical.tolist(), batch.tolist(), strict=True):
        if mine != theirs:  # only a stored copy that ties the batch's choice on content
            assert keys[mine].incumbent
            assert not keys[theirs].incumbent
            assert keys[mine].rank()[:4] == keys[theirs].rank()[:4]
