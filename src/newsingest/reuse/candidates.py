"""Candidate pairs for the reuse relation: an inverted index over short word n-grams.

A derived story keeps few long runs of its source (rewritten, not copied), so
dedup's 5-word shingles and its Jaccard-tuned LSH miss most of them. Here each
text's words are tokenised exactly as dedup tokenises them
(:func:`newsingest.matching.shingle.simplify_tokens`: Latin, Arabic-script and
CJK alike; here in one compiled pass, :class:`Vocabulary`), keys are
``candidate_ngram``-word runs, and a source is a candidate for a target when it
holds at least ``min_candidate_containment`` of the target's keys. The join is a
sort over (key, text) postings, not a loop over pairs; keys found in more than
``max_key_documents`` texts are stock phrases and are not used.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from newsingest.matching._kernels import jit
from newsingest.matching.shingle import (
    CJK,
    DROP,
    MARK,
    SEP,
    WORD,
    char_classes,
    normalize_text,
)
from newsingest.reuse.records import ReuseConfig

__all__ = [
    "Tokenized",
    "Vocabulary",
    "candidate_pairs",
    "sort_postings",
]

_MASK64 = (1 << 64) - 1


_CLASSES = char_classes()
_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3


def _crc_table() -> npt.NDArray[np.int64]:
    table = np.empty(256, dtype=np.int64)
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
        table[i] = c
    return table


_CRC_TABLE = _crc_table()


@jit
def _rehash(hashes: Any, size: Any, slots: Any) -> Any:
    """A table of ``slots`` slots holding ids ``0..size - 1`` by their hashes."""
    table = np.zeros(slots, dtype=np.int32)
    mask = np.uint64(slots - 1)
    for i in range(size):
        h = hashes[i]
        slot = np.int64((h ^ (h >> np.uint64(29))) & mask)
        while table[slot] != 0:
            slot = (slot + 1) & (slots - 1)
        table[slot] = i + 1
    return table


@jit
def _next_token(codes: Any, p: Any, hi: Any, classes: Any, token: Any) -> Any:
    """The first token of ``codes[p:hi]`` (normalised code points; ASCII capitals are
    lowered here) as ``(where it ends, its length, its hash)``, its code points written
    to ``token``; length 0 when there is none.

    A token is what :func:`~newsingest.matching.shingle.simplify_tokens` makes: word
    characters and the marks after them, or a CJK or SEA character with the marks after
    it; separators end a token and dropped characters are skipped.
    """
    cur: Any = -1  # the class of the open token, -1 for none
    n = 0
    h = np.uint64(_FNV_OFFSET)
    while p < hi:
        cp = np.int64(codes[p])
        if 65 <= cp <= 90:
            cp += 32
        k = np.int64(classes[cp])
        if k != DROP:
            if cur != -1 and (k == SEP or k >= CJK or (k == WORD and cur != WORD)):
                return p, n, h
            if k != SEP:
                if cur == -1:
                    cur = WORD if k == MARK else k
                token[n] = cp
                n += 1
                h = (h ^ np.uint64(cp)) * np.uint64(_FNV_PRIME)
        p += 1
    return p, n, h


@jit
def _intern(  # noqa: PLR0917 - numba calls are positional
    codes: Any,
    bounds: Any,
    classes: Any,
    first: Any,
    ids: Any,
    found: Any,
    counts: Any,
    table: Any,
    starts: Any,
    hashes: Any,
    arena: Any,
    size: Any,
) -> Any:
    """Append the token ids of texts ``first``, ``first + 1``, ... to ``ids[:found]``
    (``counts[t]``: how many text ``t`` has), adding new tokens to the table; stop
    before a text the arrays might not have room for (a text of ``n`` code points
    has at most ``n`` tokens). Returns the text stopped at, ``found`` and the table's
    size.

    The arrays are never replaced here: numba compiles a loop over arrays that may be
    reassigned into a much slower one, so the caller grows them between calls.
    """
    texts = bounds.shape[0] - 1
    longest = 1
    for t in range(texts):
        longest = max(longest, bounds[t + 1] - bounds[t])
    token = np.empty(longest, dtype=np.uint32)
    slots = table.shape[0]
    mask = np.uint64(slots - 1)
    for t in range(first, texts):
        most = bounds[t + 1] - bounds[t]
        if (
            found + most > ids.shape[0]
            or 2 * (size + most) > slots
            or size + most + 1 > starts.shape[0]
            or size + most > hashes.shape[0]
            or starts[size] + most > arena.shape[0]
        ):
            return t, found, size
        p = bounds[t]
        before = found
        while True:
            p, n, h = _next_token(codes, p, bounds[t + 1], classes, token)
            if n == 0:
                break
            slot = np.int64((h ^ (h >> np.uint64(29))) & mask)
            while True:
                entry = table[slot]
                if entry == 0:
                    a = starts[size]
                    arena[a : a + n] = token[:n]
                    starts[size + 1] = a + n
                    hashes[size] = h
                    size += 1
                    table[slot] = size
                    entry = size
                    break
                i = entry - 1
                if hashes[i] == h and starts[i + 1] - starts[i] == n:
                    a = starts[i]
                    same = True
                    for x in range(n):
                        if arena[a + x] != token[x]:
                            same = False
                            break
                    if same:
                        break
                slot = (slot + 1) & (slots - 1)
            ids[found] = entry - 1
            found += 1
        counts[t] = found - before
    return texts, found, size


@jit
def _crc32_tokens(arena: Any, starts: Any, table: Any) -> Any:
    """``zlib.crc32`` of each token's UTF-8 (lone surrogates as ``surrogatepass`` writes them)."""
    n = starts.shape[0] - 1
    out = np.empty(n, dtype=np.uint64)
    utf8 = np.empty(4, dtype=np.int64)
    for i in range(n):
        c = np.int64(0xFFFFFFFF)
        for p in range(starts[i], starts[i + 1]):
            cp = np.int64(arena[p])
            if cp < 0x80:
                utf8[0] = cp
                width = 1
            elif cp < 0x800:
                utf8[0] = 0xC0 | (cp >> 6)
                utf8[1] = 0x80 | (cp & 0x3F)
                width = 2
            elif cp < 0x10000:
                utf8[0] = 0xE0 | (cp >> 12)
                utf8[1] = 0x80 | ((cp >> 6) & 0x3F)
                utf8[2] = 0x80 | (cp & 0x3F)
                width = 3
            else:
                utf8[0] = 0xF0 | (cp >> 18)
                utf8[1] = 0x80 | ((cp >> 12) & 0x3F)
                utf8[2] = 0x80 | ((cp >> 6) & 0x3F)
                utf8[3] = 0x80 | (cp & 0x3F)
                width = 4
            for x in range(width):
                c = table[(c ^ utf8[x]) & 0xFF] ^ (c >> 8)
        out[i] = np.uint64(c ^ 0xFFFFFFFF)
    return out


def _at_least(values: npt.NDArray[Any], size: int) -> npt.NDArray[Any]:
    """``values`` in an array of at least ``size`` entries (doubling), the rest zero."""
    grown = values.shape[0]
    if size <= grown:
        return values
    while grown < size:
        grown *= 2
    out = np.zeros(grown, dtype=values.dtype)
    out[: values.shape[0]] = values
    return out


class Vocabulary:
    """Token strings to integer ids for alignment, and to content hashes for the index.

    Ids depend on the order texts arrive and are only compared with each other;
    index keys come from the hashes, so which pairs are candidates does not
    depend on input order.

    Texts are tokenised by one compiled pass over their code points (after
    :func:`~newsingest.matching.shingle.normalize_text`; on ASCII that is
    lowering, done in the pass) with the shingle module's class table, the
    tokens interned in a hash table whose entries keep their code points: equal
    tokens get equal ids, different ones different ids, as a dict of strings
    would give them, with no Python object per token.
    """

    def __init__(self) -> None:
        self._table = np.zeros(1 << 12, dtype=np.int32)  # id + 1 by slot, 0 for none
        self._starts = np.zeros(1 << 10, dtype=np.int64)  # token i: arena[starts[i]:starts[i+1]]
        self._hash = np.zeros(1 << 10, dtype=np.uint64)
        self._arena = np.zeros(1 << 14, dtype=np.uint32)
        self._size = 0

    def tokenize(self, text: str) -> Tokenized:
        return self.tokenize_all([text])[0]

    def tokenize_all(self, texts: Sequence[str]) -> list[Tokenized]:
        """:meth:`tokenize` of every text, in two compiled calls (ASCII texts, the others)."""
        out = [_NO_TOKENS] * len(texts)
        ascii_at = [i for i, t in enumerate(texts) if t.isascii()]
        other_at = [i for i, t in enumerate(texts) if not t.isascii()]
        if ascii_at:
            parts = [texts[i] for i in ascii_at]
            codes = np.frombuffer("".join(parts).encode("ascii"), dtype=np.uint8)
            self._scan(ascii_at, codes, np.fromiter(map(len, parts), np.int64, len(parts)), out)
        if other_at:
            blobs = [
                normalize_text(texts[i]).encode("utf-32-le", "surrogatepass") for i in other_at
            ]
            codes32 = np.frombuffer(b"".join(blobs), dtype=np.uint32)
            lengths = np.fromiter(map(len, blobs), np.int64, len(blobs)) // 4
            self._scan(other_at, codes32, lengths, out)
        return out

    def _scan(
        self,
        where: list[int],
        codes: npt.NDArray[np.uint8] | npt.NDArray[np.uint32],
        lengths: npt.NDArray[np.int64],
        out: list[Tokenized],
    ) -> None:
        bounds = np.zeros(lengths.shape[0] + 1, dtype=np.int64)
        np.cumsum(lengths, out=bounds[1:])
        counts = np.zeros(lengths.shape[0], dtype=np.int64)
        # Room for a quarter of the code points as tokens, more when a text needs it.
        ids = np.empty(max(int(bounds[-1]) // 4, int(lengths.max(initial=0)), 1), dtype=np.int32)
        t = found = 0
        while True:
            t, found, self._size = _intern(
                codes,
                bounds,
                _CLASSES,
                t,
                ids,
                found,
                counts,
                self._table,
                self._starts,
                self._hash,
                self._arena,
                self._size,
            )
            if t == len(where):
                break
            if found + int(lengths[t]) > ids.shape[0]:
                ids = _at_least(ids, found + int(lengths[t]))
            self._make_room(int(lengths[t]))
        id_ptr = np.zeros(counts.shape[0] + 1, dtype=np.int64)
        np.cumsum(counts, out=id_ptr[1:])
        ptr = id_ptr.tolist()
        for k, i in enumerate(where):
            out[i] = Tokenized(ids=ids[ptr[k] : ptr[k + 1]])

    def _make_room(self, codes: int) -> None:
        """Grow the table's arrays (doubling) for a text of ``codes`` code points."""
        need = self._size + codes
        slots = self._table.shape[0]
        while 2 * need > slots:
            slots *= 2
        if slots != self._table.shape[0]:
            self._table = _rehash(self._hash, self._size, slots)
        self._starts = _at_least(self._starts, need + 1)
        self._hash = _at_least(self._hash, need)
        self._arena = _at_least(self._arena, int(self._starts[self._size]) + codes)

    @property
    def size(self) -> int:
        """How many distinct tokens so far: one more than the largest id."""
        return self._size

    def hashes(self) -> npt.NDArray[np.uint64]:
        """A content hash of each token, by id: the CRC-32 of its UTF-8."""
        found: npt.NDArray[np.uint64] = _crc32_tokens(
            self._arena, self._starts[: self._size + 1], _CRC_TABLE
        )
        return found

    def token(self, i: int) -> str:
        """The token with id ``i``."""
        a, b = int(self._starts[i]), int(self._starts[i + 1])
        return self._arena[a:b].tobytes().decode("utf-32-le", "surrogatepass")


@attrs.frozen
class Tokenized:
    """One text's tokens as vocabulary ids."""

    ids: npt.NDArray[np.int32] = attrs.field(eq=False)

    def __len__(self) -> int:
        return int(self.ids.shape[0])


_NO_TOKENS = Tokenized(ids=np.empty(0, dtype=np.int32))


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


def candidate_pairs(
    texts: Sequence[Tokenized],
    hashes: npt.NDArray[np.uint64],
    is_target: npt.NDArray[np.bool_],
    is_source: npt.NDArray[np.bool_],
    config: ReuseConfig,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """For each target, its candidate sources, as arrays of targets, sources and candidate
    containments (the share of the target's keys the source also holds), by target then
    rank: at most ``max_candidates`` per target, highest first (ties: lower index first;
    the caller sorts texts by id so that is order-independent)."""
    empty = np.empty(0, dtype=np.int64)
    keys, docs = _keys(texts, hashes, config)
    if keys.shape[0] == 0:
        return empty, empty, np.empty(0, dtype=np.float64)
    keys, docs = sort_postings(keys, docs)
    # The postings of usable keys, by key (key -> texts) and by text (text -> keys).
    sizes, group_docs, group_ptr, group_of = _usable_groups(
        keys, docs, len(texts), config.max_key_documents
    )
    del keys, docs
    by_doc = _stable_order(group_docs, len(texts))
    doc_groups = group_of[by_doc]
    doc_ptr = np.concatenate(([0], np.cumsum(np.bincount(group_docs, minlength=len(texts)))))
    if is_target.all() and is_source.all():
        # Within one corpus every pair is wanted both ways: count each pair once.
        out_t, out_s, out_c = _pairs_once(
            doc_ptr, doc_groups, group_ptr, by_doc, group_docs, sizes, config
        )
        found = out_t.shape[0]
    else:
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
    return out_t[:found], out_s[:found], out_c[:found]


def _pairs_once(  # noqa: PLR0917 - the index's arrays
    doc_ptr: npt.NDArray[np.int64],
    doc_groups: npt.NDArray[np.int64],
    group_ptr: npt.NDArray[np.int64],
    by_doc: npt.NDArray[np.int64],
    group_docs: npt.NDArray[np.int64],
    sizes: npt.NDArray[np.int64],
    config: ReuseConfig,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """:func:`_join` when every text is a target and a source: the same candidates in the
    same order, each pair's shared keys counted once (from its lower index) for both
    directions."""
    n = sizes.shape[0]
    room = max(4 * n, 16)
    pair_t = np.empty(room, dtype=np.int64)
    pair_s = np.empty(room, dtype=np.int64)
    pair_c = np.empty(room, dtype=np.int64)
    t = found = 0
    while t < n:
        t, found = _count_pairs(
            t,
            doc_ptr,
            doc_groups,
            group_ptr,
            by_doc,
            group_docs,
            sizes,
            config.min_candidate_containment,
            pair_t,
            pair_s,
            pair_c,
            found,
        )
        if t < n:
            pair_t = _at_least(pair_t, 2 * room)
            pair_s = _at_least(pair_s, 2 * room)
            pair_c = _at_least(pair_c, 2 * room)
            room *= 2
    out_t = np.empty(n * config.max_candidates, dtype=np.int64)
    out_s = np.empty(n * config.max_candidates, dtype=np.int64)
    out_c = np.empty(n * config.max_candidates, dtype=np.float64)
    written = _top_pairs(
        pair_t[:found],
        pair_s[:found],
        pair_c[:found],
        sizes,
        config.max_candidates,
        out_t,
        out_s,
        out_c,
    )
    return out_t[:written], out_s[:written], out_c[:written]


@jit
def _count_pairs(  # noqa: PLR0917 - numba calls are positional
    first: Any,
    doc_ptr: Any,
    doc_groups: Any,
    group_ptr: Any,
    by_doc: Any,
    group_docs: Any,
    sizes: Any,
    min_containment: Any,
    pair_t: Any,
    pair_s: Any,
    pair_c: Any,
    found: Any,
) -> Any:
    """The directed pairs ``(target, source, shared keys)`` whose containment reaches
    ``min_containment``, appended from ``found`` for texts ``first, first + 1, ...``:
    each text ``t`` counts the keys it shares with every later text (a key's texts are
    in index order, so they follow ``t``'s own posting) and gives the pair's both
    directions. Stops before the text whose pairs might not fit; returns that text
    (``len(sizes)`` when all are done) and the new ``found``.
    """
    n = sizes.shape[0]
    shared = np.zeros(n, dtype=np.int64)
    touched = np.empty(n, dtype=np.int64)
    for t in range(first, n):
        nt = 0
        for p in range(doc_ptr[t], doc_ptr[t + 1]):
            for q in range(by_doc[p] + 1, group_ptr[doc_groups[p] + 1]):
                d = group_docs[q]
                if shared[d] == 0:
                    touched[nt] = d
                    nt += 1
                shared[d] += 1
        if found + 2 * nt > pair_t.shape[0]:
            for i in range(nt):
                shared[touched[i]] = 0
            return t, found
        size_t = max(sizes[t], 1)
        for i in range(nt):
            d = touched[i]
            c = shared[d]
            shared[d] = 0
            if c / size_t >= min_containment:
                pair_t[found] = t
                pair_s[found] = d
                pair_c[found] = c
                found += 1
            if c / max(sizes[d], 1) >= min_containment:
                pair_t[found] = d
                pair_s[found] = t
                pair_c[found] = c
                found += 1
    return n, found


@jit
def _top_pairs(  # noqa: PLR0917 - numba calls are positional
    pair_t: Any,
    pair_s: Any,
    pair_c: Any,
    sizes: Any,
    max_candidates: Any,
    out_t: Any,
    out_s: Any,
    out_c: Any,
) -> Any:
    """Each target's ``max_candidates`` pairs with the most shared keys (then the lower
    source index), targets in index order, as :func:`_join` writes them; how many."""
    n = sizes.shape[0]
    order = _stable_order(pair_t, n)
    written = 0
    a = 0
    while a < order.shape[0]:
        t = pair_t[order[a]]
        b = a
        while b < order.shape[0] and pair_t[order[b]] == t:
            b += 1
        size = max(sizes[t], 1)
        rank = np.empty(b - a, dtype=np.int64)
        for i in range(a, b):
            rank[i - a] = (size - pair_c[order[i]]) * n + pair_s[order[i]]
        best = np.argsort(rank)
        for i in range(min(b - a, max_candidates)):
            k = order[a + best[i]]
            out_t[written] = t
            out_s[written] = pair_s[k]
            out_c[written] = pair_c[k] / size
            written += 1
        a = b
    return written


@jit
def _usable_groups(keys: Any, docs: Any, n: Any, max_docs: Any) -> Any:
    """From the sorted postings: each text's count of distinct keys, and the texts of
    each usable key (in 2 to ``max_docs`` texts) one key after another, as
    ``(sizes, group_docs, group_ptr, group_of)`` (``group_of``: each entry's key).

    A text repeating a key holds it once. ``docs`` is overwritten (the texts are written
    behind the postings read).
    """
    sizes = np.zeros(n, dtype=np.int64)
    group_ptr = np.zeros(keys.shape[0] + 1, dtype=np.int64)
    group_of = np.empty(keys.shape[0], dtype=np.int64)
    groups = 0
    written = 0
    i = 0
    while i < keys.shape[0]:
        key = keys[i]
        found = 0
        last = -1
        while i < keys.shape[0] and keys[i] == key:
            d = docs[i]
            if d != last:  # within a key the texts come in order
                sizes[d] += 1
                docs[written + found] = d
                found += 1
                last = d
            i += 1
        if 2 <= found <= max_docs:
            group_of[written : written + found] = groups
            written += found
            groups += 1
            group_ptr[groups] = written
    return sizes, docs[:written], group_ptr[: groups + 1], group_of[:written]


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
