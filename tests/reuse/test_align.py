"""The word-sequence alignment: an LCS, as runs of words adjacent in both texts."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from newsingest.reuse.align import Aligner, _lcs, _lcs_bits, align_tokens, runs

tokens = st.lists(st.integers(0, 6), max_size=40)


def _lcs_length(a: list[int], b: list[int]) -> int:
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[-1]))
        prev = cur
    return prev[-1]


@settings(max_examples=200, deadline=None)
@given(a=tokens, b=tokens)
def test_alignment_is_a_longest_common_subsequence(a: list[int], b: list[int]) -> None:
    ta, tb = np.array(a, dtype=np.int32), np.array(b, dtype=np.int32)
    pos_a, pos_b, cut = align_tokens(ta, tb)
    assert not cut
    assert len(pos_a) == len(pos_b) == _lcs_length(a, b)
    assert (ta[pos_a] == tb[pos_b]).all()
    assert (np.diff(pos_a) > 0).all()
    assert (np.diff(pos_b) > 0).all()


@settings(max_examples=200, deadline=None)
@given(a=tokens, b=tokens)
def test_runs_cover_every_aligned_word_once(a: list[int], b: list[int]) -> None:
    ta, tb = np.array(a, dtype=np.int32), np.array(b, dtype=np.int32)
    pos_a, pos_b, _ = align_tokens(ta, tb)
    found = runs(pos_a, pos_b)
    assert sum(n for _, _, n in found) == len(pos_a)
    for start_a, start_b, n in found:
        assert a[start_a : start_a + n] == b[start_b : start_b + n]


def test_a_copy_is_one_run_and_an_edit_splits_it() -> None:
    a = np.arange(10, dtype=np.int32)
    assert runs(*align_tokens(a, a)[:2]) == [(0, 0, 10)]
    edited = a.copy()
    edited[4] = 99
    assert runs(*align_tokens(edited, a)[:2]) == [(0, 0, 4), (5, 5, 5)]


def test_long_texts_are_cut_and_say_so() -> None:
    a = np.arange(50, dtype=np.int32)
    pos_a, _, cut = align_tokens(a, a, max_tokens=20)
    assert cut
    assert len(pos_a) == 20


@settings(max_examples=200, deadline=None)
@given(head=tokens, a=tokens, b=tokens, tail=tokens)
def test_shared_head_and_tail_keep_the_alignment_longest(
    head: list[int], a: list[int], b: list[int], tail: list[int]
) -> None:
    left, right = head + a + tail, head + b + tail
    pos_a, pos_b, _ = align_tokens(np.array(left, dtype=np.int32), np.array(right, dtype=np.int32))
    assert len(pos_a) == _lcs_length(left, right)
    assert [left[i] for i in pos_a] == [right[j] for j in pos_b]


def test_a_truncated_copy_is_aligned_whole() -> None:
    source = np.arange(1000, dtype=np.int32)
    pos_t, pos_s, _ = align_tokens(source[:600], source)
    assert pos_t.tolist() == pos_s.tolist() == list(range(600))


@settings(max_examples=100, deadline=None)
@given(
    texts=st.lists(st.lists(st.integers(0, 12), max_size=30), min_size=2, max_size=6),
    share=st.floats(0.0, 1.0),
)
def test_a_pair_below_the_share_is_skipped_and_only_such_pairs(
    texts: list[list[int]], share: float
) -> None:
    ids = np.array([x for t in texts for x in t], dtype=np.int32)
    lengths = [len(t) for t in texts]
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    pairs = [(t, s) for t in range(len(texts)) for s in range(len(texts)) if t != s]
    pair_t = np.array([p[0] for p in pairs], dtype=np.int64)
    pair_s = np.array([p[1] for p in pairs], dtype=np.int64)
    full = Aligner(13).align_batch(ids, offsets, pair_t, pair_s, 2)
    fast = Aligner(13).align_batch(ids, offsets, pair_t, pair_s, 2, min_share=share)
    for p, (t, _) in enumerate(pairs):
        words = lengths[t]
        runs_full = [x[full[2][p] : full[2][p + 1]].tolist() for x in full[3:]]
        runs_fast = [x[fast[2][p] : fast[2][p + 1]].tolist() for x in fast[3:]]
        if words and fast[0][p] == 0 and full[0][p] > 0:
            assert full[0][p] / words < share
            assert runs_fast == [[], [], []]
        else:
            assert fast[0][p] == full[0][p]
            assert runs_fast == runs_full


@settings(max_examples=500, deadline=None)
@given(
    a=st.lists(st.integers(0, 8), max_size=150) | st.lists(st.integers(0, 1), max_size=200),
    b=st.lists(st.integers(0, 8), max_size=150) | st.lists(st.integers(0, 1), max_size=200),
    head=st.lists(st.integers(0, 8), max_size=5),
)
def test_the_bit_table_gives_the_plain_tables_alignment(
    a: list[int], b: list[int], head: list[int]
) -> None:
    ta = np.array(head + a, dtype=np.int32)
    tb = np.array(head + b, dtype=np.int32)
    room = min(len(ta), len(tb))
    plain = np.empty(room, dtype=np.int64), np.empty(room, dtype=np.int64)
    fast = np.empty(room, dtype=np.int64), np.empty(room, dtype=np.int64)
    k = _lcs(ta, tb, *plain)
    assert _lcs_bits(ta, tb, *fast, np.full(9, 7, dtype=np.int64)) == k
    assert fast[0][:k].tolist() == plain[0][:k].tolist()
    assert fast[1][:k].tolist() == plain[1][:k].tolist()
