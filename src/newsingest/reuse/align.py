"""Word-sequence alignment of a target with a source: which target words it reuses, in order.

The alignment is a longest common subsequence over word tokens: the most target
words that can be matched to source words with both kept in their order. A
rewrite keeps its source's words and their order while it trims, splits
sentences and changes a word here and there; the LCS follows it through those
edits where fixed-length shingles break at every change. Words that occur in
only one of the texts can never be matched, so they are dropped before the
quadratic step: the alignment is the same, the table much smaller. The table is
kept 64 cells to a machine word (:func:`_lcs_bits`) and gives the same matched
positions as the plain one (:func:`_lcs`, the definition the tests compare it with).

Consecutive matched words (adjacent in both texts) form one :class:`Passage`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from newsingest.matching._kernels import jit

__all__ = ["Aligner", "Alignment", "Batch", "align_tokens", "runs"]

Alignment = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], bool]
"""Matched target positions, matched source positions (both increasing), and
whether the texts had to be cut to ``max_tokens`` shared-vocabulary words."""


@jit
def _match_ends(a: Any, b: Any, out_a: Any, out_b: Any) -> Any:
    """The lengths ``(head, tail)`` of the common prefix and suffix of ``a`` and ``b`` (some
    LCS always matches them); the suffix's matched positions are written first, last first."""
    n = a.shape[0]
    m = b.shape[0]
    head = 0
    while head < n and head < m and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < n - head and tail < m - head and a[n - 1 - tail] == b[m - 1 - tail]:
        tail += 1
    for x in range(tail):
        out_a[x] = n - 1 - x
        out_b[x] = m - 1 - x
    return head, tail


@jit
def _match_head(head: Any, out_a: Any, out_b: Any, k: Any) -> Any:
    """Append the common prefix's positions (last first) after ``k`` matches; the total."""
    for x in range(head - 1, -1, -1):
        out_a[k] = x
        out_b[k] = x
        k += 1
    return k


@jit
def _lcs(a: Any, b: Any, out_a: Any, out_b: Any) -> Any:
    """Fill ``out_a``/``out_b`` with the matched positions of an LCS of ``a`` and ``b``.

    Returns how many; the positions come out last first. A common prefix and
    suffix are matched outright (some LCS always matches them), so a copy or a
    truncated copy needs no table. In the table a match is taken whenever the
    words are equal and that is optimal; ties prefer dropping a source word.
    """
    head, tail = _match_ends(a, b, out_a, out_b)
    k = tail
    rows = a.shape[0] - head - tail
    cols = b.shape[0] - head - tail
    if rows > 0 and cols > 0:
        moves = np.empty((rows, cols), dtype=np.uint8)  # every cell is written
        prev = np.zeros(cols + 1, dtype=np.int32)
        cur = np.zeros(cols + 1, dtype=np.int32)
        for i in range(rows):
            cur[0] = 0
            ai = a[head + i]
            for j in range(cols):
                if ai == b[head + j]:
                    cur[j + 1] = prev[j] + 1
                    moves[i, j] = 0
                elif prev[j + 1] >= cur[j]:
                    cur[j + 1] = prev[j + 1]
                    moves[i, j] = 1
                else:
                    cur[j + 1] = cur[j]
                    moves[i, j] = 2
            prev, cur = cur, prev
        i = rows - 1
        j = cols - 1
        while i >= 0 and j >= 0:
            move = moves[i, j]
            if move == 0:
                out_a[k] = head + i
                out_b[k] = head + j
                k += 1
                i -= 1
                j -= 1
            elif move == 1:
                i -= 1
            else:
                j -= 1
    return _match_head(head, out_a, out_b, k)


@jit
def _popcount(x: Any) -> Any:
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return np.int64((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@jit
def _row_value(v: Any, r: Any, c: Any) -> Any:
    """The LCS length of the first ``r`` words of one text and the first ``c`` of the
    other, from row ``r`` of the bit table: ``c`` minus the set bits below ``c``."""
    full = c >> 6
    ones = 0
    for w in range(full):
        ones += _popcount(v[r, w])
    rem = c & 63
    if rem:
        ones += _popcount(v[r, full] & ((np.uint64(1) << np.uint64(rem)) - np.uint64(1)))
    return c - ones


@jit
def _lcs_bits(a: Any, b: Any, out_a: Any, out_b: Any, slot: Any) -> Any:
    """:func:`_lcs`, the same matched positions, with the table 64 cells to a word.

    Each table row is kept as a bit vector of where the row's value steps up
    (the bit-parallel LCS of Allison and Dix, in Hyyrö's form: one add and a few
    logical operations per word), and the path is traced back with :func:`_lcs`'s
    rule, each value it compares recounted from its row. ``slot`` is scratch with
    one entry per vocabulary id; every entry read is written first.
    """
    head, tail = _match_ends(a, b, out_a, out_b)
    k = tail
    rows = a.shape[0] - head - tail
    cols = b.shape[0] - head - tail
    if rows > 0 and cols > 0:
        words = (cols + 63) >> 6
        for i in range(rows):
            slot[a[head + i]] = -2
        for j in range(cols):
            slot[b[head + j]] = -1
        symbols = 0
        for j in range(cols):
            if slot[b[head + j]] == -1:
                slot[b[head + j]] = symbols
                symbols += 1
        masks = np.zeros((symbols, words), dtype=np.uint64)
        for j in range(cols):
            masks[slot[b[head + j]], j >> 6] |= np.uint64(1) << np.uint64(j & 63)
        # Row r, bit j clear: the LCS of a[:r] and b[:j + 1] is one more than of a[:r], b[:j].
        v = np.empty((rows + 1, words), dtype=np.uint64)
        v[0, :] = ~np.uint64(0)
        for i in range(rows):
            sym = slot[a[head + i]]
            if sym < 0:
                v[i + 1, :] = v[i, :]
                continue
            carry = np.uint64(0)
            for w in range(words):
                x = v[i, w]
                u = x & masks[sym, w]
                t = x + u
                t2 = t + carry
                carry = np.uint64(1) if (t < x or t2 < t) else np.uint64(0)
                v[i + 1, w] = t2 | (x & ~u)
        i = rows - 1
        j = cols - 1
        while i >= 0 and j >= 0:
            if a[head + i] == b[head + j]:
                out_a[k] = head + i
                out_b[k] = head + j
                k += 1
                i -= 1
                j -= 1
            elif _row_value(v, i, j + 1) >= _row_value(v, i + 1, j):
                i -= 1
            else:
                j -= 1
    return _match_head(head, out_a, out_b, k)


@jit
def _shared(a: Any, b: Any, stamp: Any, tag: Any, max_tokens: Any) -> Any:
    """Positions of ``a``'s words found in ``b`` and of ``b``'s found in those, at most
    ``max_tokens`` each; ``stamp`` (one slot per vocabulary id) marks with ``tag`` and
    ``tag + 1``, so no clearing is needed between calls."""
    for j in range(b.shape[0]):
        stamp[b[j]] = tag
    keep_a = np.empty(min(a.shape[0], max_tokens), dtype=np.int64)
    na = 0
    cut = False
    for i in range(a.shape[0]):
        if stamp[a[i]] == tag or stamp[a[i]] == tag + 1:
            if na == max_tokens:
                cut = True
                break
            keep_a[na] = i
            na += 1
            stamp[a[i]] = tag + 1
    keep_b = np.empty(min(b.shape[0], max_tokens), dtype=np.int64)
    nb = 0
    for j in range(b.shape[0]):
        if stamp[b[j]] == tag + 1:
            if nb == max_tokens:
                cut = True
                break
            keep_b[nb] = j
            nb += 1
    return keep_a[:na], keep_b[:nb], cut


@jit
def _align_batch(  # noqa: PLR0917 - numba calls are positional
    ids: Any,
    offsets: Any,
    pair_t: Any,
    pair_s: Any,
    stamp: Any,
    slot: Any,
    tag: Any,
    max_tokens: Any,
    min_run: Any,
    min_share: Any,
) -> Any:
    """:meth:`Aligner.align` for many pairs in one call, keeping only what a caller needs:
    the aligned count, the cut flag, and the runs of at least ``min_run`` words.

    A pair whose shared-vocabulary words (target's or source's, whichever are
    fewer) are under ``min_share`` of the target's words cannot align that many:
    it gets no table, an aligned count of 0 and no runs (see :meth:`Aligner.align_batch`)."""
    npairs = pair_t.shape[0]
    aligned = np.zeros(npairs, dtype=np.int64)
    cut = np.zeros(npairs, dtype=np.bool_)
    run_ptr = np.zeros(npairs + 1, dtype=np.int64)
    cap = 1024
    rt = np.empty(cap, dtype=np.int64)
    rs = np.empty(cap, dtype=np.int64)
    rn = np.empty(cap, dtype=np.int64)
    nr = 0
    for p in range(npairs):
        t = pair_t[p]
        s = pair_s[p]
        a_full = ids[offsets[t] : offsets[t + 1]]
        b_full = ids[offsets[s] : offsets[s + 1]]
        keep_t, keep_s, c = _shared(a_full, b_full, stamp, tag, max_tokens)
        tag += 2
        cut[p] = c
        words = a_full.shape[0]
        bound = min(keep_t.shape[0], keep_s.shape[0])
        if words > 0 and bound / words < min_share:
            run_ptr[p + 1] = nr
            continue
        a = a_full[keep_t]
        b = b_full[keep_s]
        room = min(a.shape[0], b.shape[0])
        out_a = np.empty(room, dtype=np.int64)
        out_b = np.empty(room, dtype=np.int64)
        k = _lcs_bits(a, b, out_a, out_b, slot)
        aligned[p] = k
        i = k - 1  # positions come out last first
        while i >= 0:
            ta = keep_t[out_a[i]]
            sb = keep_s[out_b[i]]
            n = 1
            while i - n >= 0 and keep_t[out_a[i - n]] == ta + n and keep_s[out_b[i - n]] == sb + n:
                n += 1
            if n >= min_run:
                if nr == cap:
                    cap *= 2
                    grown = np.empty(cap, dtype=np.int64)
                    grown[:nr] = rt[:nr]
                    rt = grown
                    grown = np.empty(cap, dtype=np.int64)
                    grown[:nr] = rs[:nr]
                    rs = grown
                    grown = np.empty(cap, dtype=np.int64)
                    grown[:nr] = rn[:nr]
                    rn = grown
                rt[nr] = ta
                rs[nr] = sb
                rn[nr] = n
                nr += 1
            i -= n
        run_ptr[p + 1] = nr
    return aligned, cut, run_ptr, rt[:nr], rs[:nr], rn[:nr], tag


Batch = tuple[
    npt.NDArray[np.int64],
    npt.NDArray[np.bool_],
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
]
"""Per pair: aligned words, cut flag, and ``run_ptr`` into the runs' target starts,
source starts and lengths (runs of pair ``p`` are ``run_ptr[p]:run_ptr[p + 1]``)."""


class Aligner:
    """Aligns token-id arrays of one vocabulary; reuses one scratch array for all pairs."""

    def __init__(self, vocabulary_size: int, max_tokens: int = 5000) -> None:
        self._stamp = np.zeros(max(vocabulary_size, 1), dtype=np.int64)
        self._slot = np.zeros(max(vocabulary_size, 1), dtype=np.int64)
        self._tag = 1
        self.max_tokens = max_tokens

    def align_batch(
        self,
        ids: npt.NDArray[np.int32],
        offsets: npt.NDArray[np.int64],
        pair_t: npt.NDArray[np.int64],
        pair_s: npt.NDArray[np.int64],
        min_run: int,
        *,
        min_share: float = 0.0,
    ) -> Batch:
        """Align text ``pair_t[p]`` with ``pair_s[p]`` for every ``p``, in one call.

        Text ``i`` is ``ids[offsets[i]:offsets[i + 1]]``; only runs of at least
        ``min_run`` words are returned, in target order per pair. A pair that
        cannot reach an aligned share of ``min_share`` of its target's words (too
        few of them occur in the other text) is not aligned: its count is 0 and
        it has no runs, where an alignment would give a count still under the share.
        """
        *found, tag = _align_batch(
            ids,
            offsets,
            pair_t,
            pair_s,
            self._stamp,
            self._slot,
            self._tag,
            self.max_tokens,
            min_run,
            float(min_share),
        )
        self._tag = int(tag)
        aligned, cut, run_ptr, rt, rs, rn = found
        return aligned, cut, run_ptr, rt, rs, rn

    def align(self, target: npt.NDArray[np.int32], source: npt.NDArray[np.int32]) -> Alignment:
        """The target and source positions of a longest common subsequence of the two."""
        tag = self._tag
        self._tag += 2
        keep_t, keep_s, cut = _shared(target, source, self._stamp, tag, self.max_tokens)
        a = np.ascontiguousarray(target[keep_t])
        b = np.ascontiguousarray(source[keep_s])
        room = min(a.shape[0], b.shape[0])
        out_a = np.empty(room, dtype=np.int64)
        out_b = np.empty(room, dtype=np.int64)
        if room == 0:
            return out_a, out_b, bool(cut)
        k = int(_lcs_bits(a, b, out_a, out_b, self._slot))
        return keep_t[out_a[:k][::-1]], keep_s[out_b[:k][::-1]], bool(cut)


def align_tokens(
    target: npt.NDArray[np.int32], source: npt.NDArray[np.int32], max_tokens: int = 5000
) -> Alignment:
    """The target and source positions of a longest common subsequence of the two token lists.

    For one pair; :class:`Aligner` for many pairs of one vocabulary.
    """
    size = 1 + int(max(target.max(initial=0), source.max(initial=0)))
    return Aligner(size, max_tokens).align(target, source)


def runs(pos_t: npt.NDArray[np.int64], pos_s: npt.NDArray[np.int64]) -> list[tuple[int, int, int]]:
    """The aligned words as runs ``(target_start, source_start, words)``, adjacent in both."""
    n = pos_t.shape[0]
    if n == 0:
        return []
    breaks = np.flatnonzero((pos_t[1:] - pos_t[:-1] != 1) | (pos_s[1:] - pos_s[:-1] != 1)) + 1
    starts = [0, *breaks.tolist()]
    ends = [*breaks.tolist(), n]
    t_list, s_list = pos_t.tolist(), pos_s.tolist()
    return [(t_list[a], s_list[a], b - a) for a, b in zip(starts, ends, strict=True)]
