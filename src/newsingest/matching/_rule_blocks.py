"""The boilerplate decision's rows, expanded in bounded blocks.

Judging a group of frequent lines looks at every key of every document of the
group: a *triple* (group, document, key), many times the corpus's keys. The
rounds of the decision need only a few numbers per (group, document) *pair*:
the words in the group's block, the own words outside the candidates, and the
candidate keys outside the block. :func:`pair_terms` expands the triples about
``limit`` at a time, for whole groups (a group's keys are counted over all its
documents), a group larger than that in runs, and keeps those numbers. The
result does not depend on ``limit``
(:func:`newsingest.matching.boilerplate.boilerplate_keys` holds the rule).
"""

from __future__ import annotations

import attrs
import numpy as np
import numpy.typing as npt

from newsingest._arrays import equal_runs, expand_ranges

__all__ = ["Pairs", "pair_terms"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@attrs.frozen
class Pairs:
    """The (group, document) pairs of the boilerplate decision, grouped by group, and what the
    triples of a run of them need: every key of the pair's document."""

    group: IntArray  # per pair, non-decreasing
    doc: IntArray  # per pair
    group_size: IntArray  # per group: its documents
    kid: IntArray  # every document's keys (indices into the distinct keys)
    offsets: IntArray  # where each document's keys start in ``kid``
    lengths: IntArray  # how many keys each document has
    df: IntArray  # per key: how many documents hold it

    def triples(self, lo: int, hi: int) -> tuple[IntArray, IntArray]:
        """Pairs ``lo:hi``'s triples: the pair (``lo`` is 0) and the key of each."""
        docs = self.doc[lo:hi]
        trip_pair, trip_pos = expand_ranges(self.offsets[docs], self.lengths[docs])
        return trip_pair, self.kid[trip_pos]

    def countable(
        self, trip_group: IntArray, trip_key: IntArray, block_fraction: float
    ) -> npt.NDArray[np.bool_]:
        """Which triples' keys might be in their group's block, so need counting.

        A key's count in a group is at most its document frequency: a key that
        no other document holds is held once, and a key held by fewer documents
        than the block needs is out of the block whatever its count.
        """
        df = self.df[trip_key]
        return (df >= 2) & (df >= block_fraction * self.group_size[trip_group])


def _block_ends(pairs: Pairs, limit: int) -> list[int]:
    """Where the blocks of pairs end: each block whole groups of about ``limit`` triples
    (at most twice that), or one group of more than ``limit`` on its own."""
    per_pair = pairs.lengths[pairs.doc]
    group_starts, _ = equal_runs(pairs.group)
    group_triples = np.add.reduceat(per_pair, group_starts) if per_pair.size else per_pair
    begin = np.cumsum(group_triples) - group_triples
    window = begin // max(1, limit)
    big = group_triples > limit
    # A block starts at a group whose window differs from the previous one's, and
    # around every big group.
    new = np.ones(group_starts.size, dtype=bool)
    new[1:] = (window[1:] != window[:-1]) | big[1:] | big[:-1]
    return [*group_starts[new][1:].tolist(), int(pairs.group.size)]


def _chunk_ends(per_pair: IntArray, lo: int, hi: int, limit: int) -> list[int]:
    """Pairs ``lo:hi`` cut into runs of at most ``limit`` triples (at least one pair each)."""
    ends: list[int] = []
    cum = np.cumsum(per_pair[lo:hi])
    at, done = 0, 0
    while at < hi - lo:
        nxt = max(at + 1, int(np.searchsorted(cum, done + limit, side="right")))
        ends.append(lo + nxt)
        done = int(cum[nxt - 1])
        at = nxt
    return ends


def _block_terms(
    pairs: Pairs,
    lo: int,
    hi: int,
    *,
    key_words: IntArray,
    is_cand: npt.NDArray[np.bool_],
    block_fraction: float,
    limit: int,
) -> tuple[FloatArray, FloatArray, IntArray, IntArray]:
    """For pairs ``lo:hi`` (whole groups): each pair's block words (``shared``) and own
    words outside the candidates (``fixed``), and its candidate keys outside the block
    (pair, key), whose words count as own text while the key is not boilerplate.

    The triples are expanded ``limit`` at a time: twice when the block takes more
    than one run of them (once to count each key in each group, once to judge).
    """
    n_keys = np.int64(len(key_words))
    g0 = int(pairs.group[lo])
    chunks = _chunk_ends(pairs.lengths[pairs.doc], lo, hi, limit)

    def counted(a: int, b: int) -> tuple[IntArray, IntArray, IntArray, npt.NDArray[np.bool_]]:
        trip_pair, trip_key = pairs.triples(a, b)
        trip_group = pairs.group[a:b][trip_pair]
        need = pairs.countable(trip_group, trip_key, block_fraction)
        code = (trip_group[need] - g0) * n_keys + trip_key[need]
        return trip_pair, trip_key, code, need

    codes: list[IntArray] = []
    tallies: list[IntArray] = []
    reused = None
    start = lo
    for end in chunks:
        got = counted(start, end)
        found, tally = np.unique(got[2], return_counts=True)
        codes.append(found)
        tallies.append(tally.astype(np.int64))
        reused = got if len(chunks) == 1 else None
        start = end
    if len(codes) > 1:
        found, where = np.unique(np.concatenate(codes), return_inverse=True)
        tally = np.bincount(where.reshape(-1), weights=np.concatenate(tallies)).astype(np.int64)
    codes.clear()
    tallies.clear()

    shared = np.zeros(hi - lo, dtype=np.float64)
    fixed = np.zeros(hi - lo, dtype=np.float64)
    var_pairs: list[IntArray] = []
    var_keys: list[IntArray] = []
    start = lo
    for end in chunks:
        trip_pair, trip_key, code, need = reused if reused is not None else counted(start, end)
        size = pairs.group_size[pairs.group[start:end][trip_pair]]
        in_group = np.ones(trip_key.size, dtype=np.int64)
        in_group[need] = tally[np.searchsorted(found, code)]
        in_block = in_group >= block_fraction * size
        words = key_words[trip_key].astype(np.float64)
        at = slice(start - lo, end - lo)
        shared[at] = np.bincount(trip_pair, weights=words * in_block, minlength=end - start)
        cand = is_cand[trip_key]
        fixed[at] = np.bincount(
            trip_pair, weights=words * (~in_block & ~cand), minlength=end - start
        )
        var = ~in_block & cand
        var_pairs.append(trip_pair[var] + (start - lo))
        var_keys.append(trip_key[var])
        start = end
    return shared, fixed, np.concatenate(var_pairs), np.concatenate(var_keys)


def pair_terms(
    pairs: Pairs,
    *,
    key_words: IntArray,
    is_cand: npt.NDArray[np.bool_],
    block_fraction: float,
    limit: int,
) -> tuple[FloatArray, FloatArray, IntArray, IntArray]:
    """Per pair, its block words (``shared``) and own words outside the candidates
    (``fixed``); and the (pair, key) of its candidate keys outside the block, whose
    words count as own text while the key is not boilerplate. Blocks of whole groups
    of about ``limit`` triples at a time."""
    n_pairs = len(pairs.group)
    shared = np.empty(n_pairs, dtype=np.float64)
    fixed = np.empty(n_pairs, dtype=np.float64)
    var_pairs: list[IntArray] = [np.empty(0, dtype=np.int64)]
    var_keys: list[IntArray] = [np.empty(0, dtype=np.int64)]
    lo = 0
    for hi in _block_ends(pairs, limit) if n_pairs else []:
        got = _block_terms(
            pairs,
            lo,
            hi,
            key_words=key_words,
            is_cand=is_cand,
            block_fraction=block_fraction,
            limit=limit,
        )
        shared[lo:hi], fixed[lo:hi] = got[0], got[1]
        var_pairs.append(got[2] + lo)
        var_keys.append(got[3])
        lo = hi
    return shared, fixed, np.concatenate(var_pairs), np.concatenate(var_keys)
