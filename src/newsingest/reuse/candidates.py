"""Candidate pairs for the reuse relation: an inverted index over short word n-grams.

A derived story keeps few long runs of its source (rewritten, not copied), so
dedup's 5-word shingles and its Jaccard-tuned LSH miss most of them. Here each
text's words are tokenised exactly as dedup tokenises them
(:func:`newsingest.matching.shingle.simplify_tokens`: Latin, Arabic-script and
CJK alike), keys are ``candidate_ngram``-word runs, and a source is a candidate
for a target when it holds at least ``min_candidate_containment`` of the
target's keys. The join is a sort over (key, text) postings, not a loop over
pairs; keys found in more than ``max_key_documents`` texts are stock phrases and
are not used.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from newsingest.matching._kernels import jit
from newsingest.matching.shingle import simplify_tokens
from newsingest.reuse.records import ReuseConfig

__all__ = ["Tokenized", "Vocabulary", "find_candidates"]

_MASK64 = (1 << 64) - 1


class Vocabulary:
    """Token strings to integer ids for alignment, and to content hashes for the index.

    Ids depend on the order texts arrive and are only compared with each other;
    index keys come from the hashes, so which pairs are candidates does not
    depend on input order.
    """

    def __init__(self) -> None:
        # A missing token gets the next id as it is looked up, in C: no Python loop per token.
        self._ids: defaultdict[str, int] = defaultdict()
        self._ids.default_factory = self._ids.__len__

    def tokenize(self, text: str) -> Tokenized:
        tokens = simplify_tokens(text)
        ids = np.fromiter(map(self._ids.__getitem__, tokens), dtype=np.int32, count=len(tokens))
        return Tokenized(ids=ids)

    @property
    def size(self) -> int:
        """How many distinct tokens so far: one more than the largest id."""
        return len(self._ids)

    def hashes(self) -> npt.NDArray[np.uint64]:
        """A content hash of each token, by id."""
        return np.fromiter(
            (zlib.crc32(t.encode("utf-8", "surrogatepass")) for t in self._ids),
            dtype=np.uint64,
            count=len(self._ids),
        )


@attrs.frozen
class Tokenized:
    """One text's tokens as vocabulary ids."""

    ids: npt.NDArray[np.int32] = attrs.field(eq=False)

    def __len__(self) -> int:
        return int(self.ids.shape[0])


def _keys(
    texts: Sequence[Tokenized], hashes: npt.NDArray[np.uint64], config: ReuseConfig
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """Every text's index keys as ``(keys, texts)`` postings, with repeats.

    A key mixes the content hashes of ``candidate_ngram`` consecutive words of
    one text; a text with fewer words has none (it is never a candidate).
    """
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    n = config.candidate_ngram
    if lengths.sum() == 0:
        return np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64)
    h = hashes[np.concatenate([t.ids for t in texts])]
    doc = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    count = h.shape[0] - n + 1
    if count <= 0:
        return np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64)
    with np.errstate(over="ignore"):
        key = np.zeros(count, dtype=np.uint64)
        for k in range(n):
            key = key * np.uint64(0x9E3779B97F4A7C15) + h[k : k + count]
        key ^= key >> np.uint64(29)
        key *= np.uint64(0xBF58476D1CE4E5B9)
        key ^= key >> np.uint64(32)
    # A window is a key only when its n words lie in one text.
    keep = doc[:count] == doc[n - 1 :]
    if config.candidate_sample > 1:
        keep &= key % np.uint64(config.candidate_sample) == 0
    return key[keep], doc[:count][keep]


def find_candidates(
    texts: Sequence[Tokenized],
    hashes: npt.NDArray[np.uint64],
    is_target: npt.NDArray[np.bool_],
    is_source: npt.NDArray[np.bool_],
    config: ReuseConfig,
) -> dict[int, list[tuple[int, float]]]:
    """For each target index, its candidate sources as ``(index, candidate containment)``.

    Containment is the share of the target's keys the source also holds; at most
    ``max_candidates`` per target, highest first (ties: lower index first, the
    caller sorts texts by id so that is order-independent).
    """
    out: dict[int, list[tuple[int, float]]] = {}
    keys, docs = _keys(texts, hashes, config)
    if keys.shape[0] == 0:
        return out
    order = np.lexsort((docs, keys))
    keys, docs = keys[order], docs[order]
    del order
    # Each (key, text) once: a text repeating a bigram holds it once.
    first = np.concatenate(([True], (keys[1:] != keys[:-1]) | (docs[1:] != docs[:-1])))
    keys, docs = keys[first], docs[first]
    sizes = np.bincount(docs, minlength=len(texts)).astype(np.int64)
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    counts = np.diff(np.append(starts, keys.shape[0]))
    del keys
    usable = (counts >= 2) & (counts <= config.max_key_documents)
    # The postings of usable keys, by key (key -> texts) and by text (text -> keys).
    group_docs = docs[np.repeat(usable, counts)]
    counts = counts[usable]
    group_ptr = np.concatenate(([0], np.cumsum(counts)))
    group_of = np.repeat(np.arange(counts.shape[0], dtype=np.int64), counts)
    by_doc = np.argsort(group_docs, kind="stable")
    doc_groups = group_of[by_doc]
    doc_ptr = np.concatenate(([0], np.cumsum(np.bincount(group_docs, minlength=len(texts)))))
    room = int(is_target.sum()) * config.max_candidates
    out_t = np.empty(room, dtype=np.int64)
    out_s = np.empty(room, dtype=np.int64)
    out_c = np.empty(room, dtype=np.float64)
    found = _join(
        doc_ptr,
        doc_groups,
        group_ptr,
        group_docs,
        sizes,
        is_target,
        is_source,
        config.min_candidate_containment,
        config.max_candidates,
        out_t,
        out_s,
        out_c,
    )
    for t, s_, c in zip(
        out_t[:found].tolist(), out_s[:found].tolist(), out_c[:found].tolist(), strict=True
    ):
        out.setdefault(t, []).append((s_, c))
    return out


@jit
def _join(  # noqa: PLR0917 - numba calls are positional
    doc_ptr: Any,
    doc_groups: Any,
    group_ptr: Any,
    group_docs: Any,
    sizes: Any,
    is_target: Any,
    is_source: Any,
    min_containment: Any,
    max_candidates: Any,
    out_t: Any,
    out_s: Any,
    out_c: Any,
) -> Any:
    """Count each target's shared keys with every source through the key -> texts lists.

    One counter per text, reset after each target (only the ones touched): no pair
    array, so memory stays linear in the postings whatever the corpus.
    """
    n = sizes.shape[0]
    shared = np.zeros(n, dtype=np.int64)
    touched = np.empty(n, dtype=np.int64)
    written = 0
    for t in range(n):
        if not is_target[t]:
            continue
        nt = 0
        for p in range(doc_ptr[t], doc_ptr[t + 1]):
            g = doc_groups[p]
            for q in range(group_ptr[g], group_ptr[g + 1]):
                d = group_docs[q]
                if d == t or not is_source[d]:
                    continue
                if shared[d] == 0:
                    touched[nt] = d
                    nt += 1
                shared[d] += 1
        size = max(sizes[t], 1)
        picked = np.empty(nt, dtype=np.int64)
        rank = np.empty(nt, dtype=np.int64)
        np_ = 0
        for i in range(nt):
            d = touched[i]
            if shared[d] / size >= min_containment:
                picked[np_] = d
                # Most shared first, then the lower index.
                rank[np_] = (size - shared[d]) * n + d
                np_ += 1
        for i in range(nt):
            d = touched[i]
            if shared[d] / size < min_containment:
                shared[d] = 0
        order = np.argsort(rank[:np_])
        for i in range(min(np_, max_candidates)):
            d = picked[order[i]]
            out_t[written] = t
            out_s[written] = d
            out_c[written] = shared[d] / size
            written += 1
        for i in range(np_):
            shared[picked[i]] = 0
    return written
