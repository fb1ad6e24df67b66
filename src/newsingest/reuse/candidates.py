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
from newsingest.matching.shingle import DROP, WORD, char_classes, simplify_tokens
from newsingest.reuse.records import ReuseConfig

__all__ = ["Tokenized", "Vocabulary", "ascii_tokens", "find_candidates", "sort_postings"]

_MASK64 = (1 << 64) - 1


def _ascii_tables() -> tuple[bytes, bytes]:
    classes = char_classes()[:128]
    table = bytes(c if c < 128 and classes[c] == WORD else 0x20 for c in range(256))
    dropped = bytes(c for c in range(128) if classes[c] == DROP)
    return table, dropped


_ASCII_TABLE, _ASCII_DROPPED = _ascii_tables()


def ascii_tokens(text: str) -> list[str]:
    """:func:`~newsingest.matching.shingle.simplify_tokens` for an ASCII ``text``.

    On ASCII, NFKC changes nothing and casefolding is lowercasing, so the
    simplification is one byte-table pass: what most news text needs, without
    the per-code-point work the general path does.
    """
    raw = text.encode("ascii").lower().translate(_ASCII_TABLE, _ASCII_DROPPED)
    return raw.decode("ascii").split()


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
        tokens = ascii_tokens(text) if text.isascii() else simplify_tokens(text)
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
    if lengths.sum() == 0:
        return np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    ids = np.concatenate([t.ids for t in texts])
    found: tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]] = _window_keys(
        ids, offsets, hashes, config.candidate_ngram, config.candidate_sample
    )
    return found


@jit
def _window_keys(ids: Any, offsets: Any, hashes: Any, n: Any, sample: Any) -> Any:
    """:func:`_keys` over the texts' concatenated ids: each window of ``n`` words
    inside one text, its word hashes mixed, kept when the sample takes it."""
    texts = offsets.shape[0] - 1
    room = 0
    for t in range(texts):
        room += max(offsets[t + 1] - offsets[t] - n + 1, 0)
    keys = np.empty(room, dtype=np.uint64)
    docs = np.empty(room, dtype=np.int64)
    found = 0
    for t in range(texts):
        for start in range(offsets[t], offsets[t + 1] - n + 1):
            key = np.uint64(0)
            for k in range(n):
                key = key * np.uint64(0x9E3779B97F4A7C15) + hashes[ids[start + k]]
            key ^= key >> np.uint64(29)
            key *= np.uint64(0xBF58476D1CE4E5B9)
            key ^= key >> np.uint64(32)
            if sample > 1 and key % np.uint64(sample) != np.uint64(0):
                continue
            keys[found] = key
            docs[found] = t
            found += 1
    return keys[:found], docs[:found]


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
    keys, docs = sort_postings(keys, docs)
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
    by_doc = _stable_order(group_docs, len(texts))
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
def sort_postings(
    keys: npt.NDArray[np.uint64], docs: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """The postings ordered by key, in their given order within a key (``docs`` come
    in text order, so within a key by text): ``np.lexsort((docs, keys))``'s order.

    A stable least-significant-digit radix sort, a byte per pass: linear in the
    postings, where a comparison sort of two columns is not. The given arrays are
    used as scratch (their contents are overwritten): postings are the largest
    arrays of a run, and no copy of them is kept.
    """
    n = keys.shape[0]
    counts = np.zeros((8, 257), dtype=np.int64)
    for i in range(n):
        x = keys[i]
        for d in range(8):
            counts[d, ((x >> np.uint64(8 * d)) & np.uint64(255)) + np.uint64(1)] += 1
    keys_out = np.empty_like(keys)
    docs_out = np.empty_like(docs)
    for d in range(8):
        if counts[d].max() == n:  # one byte value throughout: the pass keeps the order
            continue
        for b in range(256):
            counts[d, b + 1] += counts[d, b]
        shift = np.uint64(8 * d)
        for i in range(n):
            digit = (keys[i] >> shift) & np.uint64(255)
            at = counts[d, digit]
            keys_out[at] = keys[i]
            docs_out[at] = docs[i]
            counts[d, digit] = at + 1
        keys, keys_out = keys_out, keys
        docs, docs_out = docs_out, docs
    return keys, docs


@jit
def _stable_order(values: Any, size: Any) -> Any:
    """``np.argsort(values, kind="stable")`` for values in ``range(size)``, by counting."""
    starts = np.zeros(size + 1, dtype=np.int64)
    for i in range(values.shape[0]):
        starts[values[i] + 1] += 1
    for v in range(size):
        starts[v + 1] += starts[v]
    order = np.empty(values.shape[0], dtype=np.int64)
    for i in range(values.shape[0]):
        order[starts[values[i]]] = i
        starts[values[i]] += 1
    return order


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
