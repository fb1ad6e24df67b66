"""Numba kernels: the per-document hot loops, with no Python object per token or paragraph.

``fingerprint_docs``: normalised UTF-8 in, MinHash signatures out, in one pass
per document. It implements exactly the definition in :mod:`newsingest.matching.shingle`
(classify, tokenise, shingle) and :func:`newsingest.matching.fingerprint.hash_shingle`
(two-level murmur3), then the datasketch "affine32" permutations.

``line_keys``: the paragraph keys of :mod:`newsingest.matching.boilerplate` (collapse,
then XXH64), for every paragraph of a chunk in one call.

Without numba the same functions run as plain Python: correct, but slow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np

_F = TypeVar("_F", bound=Callable[..., Any])

try:
    from numba import njit as _njit

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - numba is a dependency
    HAVE_NUMBA = False


def jit(func: _F) -> _F:
    """Compile with numba, cached on disk when numba finds a writable cache directory.

    numba caches next to this file, else in the user-wide cache directory
    (``NUMBA_CACHE_DIR`` overrides both); when neither is writable it refuses
    ``cache=True`` at decoration time, and the kernels then compile per process.
    """
    if not HAVE_NUMBA:
        return func  # pragma: no cover
    try:
        return cast(_F, _njit(cache=True, nogil=True)(func))
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return cast(_F, _njit(nogil=True)(func))


_M32 = 0xFFFFFFFF
_SEP, _DROP, _WORD, _MARK, _CJK, _SEA = 0, 1, 2, 3, 4, 5


@jit
def _rotl32(x: Any, r: Any) -> Any:
    return ((x << r) | (x >> (32 - r))) & _M32


@jit
def fmix32(h: Any) -> Any:
    """The murmur3 32-bit finalizer (``h`` < 2**32)."""
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _M32
    h ^= h >> 16
    return h


@jit
def _mix_block(h: Any, k: Any) -> Any:
    k = (k * 0xCC9E2D51) & _M32
    k = _rotl32(k, 15)
    k = (k * 0x1B873593) & _M32
    h ^= k
    h = _rotl32(h, 13)
    return (h * 5 + 0xE6546B64) & _M32


@jit
def murmur3_words(words: Any, start: Any, stop: Any) -> Any:
    """murmur3_x86_32 with seed 0 of ``words[start:stop]`` as little-endian 32-bit blocks."""
    h = 0
    for i in range(start, stop):
        h = _mix_block(h, np.int64(words[i]))
    return fmix32(h ^ (((stop - start) * 4) & _M32))


@jit
def _finish_token(h: Any, k: Any, n: Any) -> Any:
    """Close an incremental murmur3_x86_32: ``k`` holds the ``n % 4`` tail bytes."""
    if n & 3:
        k = (k * 0xCC9E2D51) & _M32
        k = _rotl32(k, 15)
        k = (k * 0x1B873593) & _M32
        h ^= k
    return fmix32(h ^ (n & _M32))


@jit
def _tokenize(  # noqa: PLR0917 - numba calls are positional
    data: Any,
    start: Any,
    stop: Any,
    classes: Any,
    out: Any,
    pos: Any,
    tok_hash: Any,
    tok_kind: Any,
) -> tuple[Any, Any]:
    """Write the simplified text of ``data[start:stop]`` to ``out[pos:]``.

    Hashes each token on the fly (murmur3, fed one byte at a time) into
    ``tok_hash``; returns (number of tokens, new ``pos``).
    """
    ntok = 0
    current: Any = -1
    h = 0  # murmur state of the open token
    k: Any = 0  # pending bytes of its current block
    n = 0  # its length in bytes
    p = start
    while p < stop:
        b0 = np.int64(data[p])
        if b0 < 0x80:
            cp = b0
            width = 1
        elif b0 < 0xE0:
            cp = ((b0 & 0x1F) << 6) | (np.int64(data[p + 1]) & 0x3F)
            width = 2
        elif b0 < 0xF0:
            cp = (
                ((b0 & 0x0F) << 12)
                | ((np.int64(data[p + 1]) & 0x3F) << 6)
                | (np.int64(data[p + 2]) & 0x3F)
            )
            width = 3
        else:
            cp = (
                ((b0 & 0x07) << 18)
                | ((np.int64(data[p + 1]) & 0x3F) << 12)
                | ((np.int64(data[p + 2]) & 0x3F) << 6)
                | (np.int64(data[p + 3]) & 0x3F)
            )
            width = 4
        kind = np.int64(classes[cp])
        if kind == _SEP:
            current = -1
        elif kind != _DROP:
            if (kind == _WORD and current != _WORD) or kind >= _CJK or current == -1:
                if ntok > 0:
                    tok_hash[ntok - 1] = _finish_token(h, k, n)
                    out[pos] = 32
                    pos += 1
                tok_kind[ntok] = _WORD if kind == _MARK else kind
                ntok += 1
                current = _WORD if kind == _MARK else kind
                h = 0
                k = 0
                n = 0
            if width == 1:  # ASCII, most bytes of most news: no inner loop
                out[pos] = data[p]
                k |= b0 << ((n & 3) * 8)
                n += 1
                if (n & 3) == 0:
                    h = _mix_block(h, k)
                    k = 0
            else:
                for i in range(width):
                    byte = data[p + i]
                    out[pos + i] = byte
                    k |= np.int64(byte) << ((n & 3) * 8)
                    n += 1
                    if (n & 3) == 0:
                        h = _mix_block(h, k)
                        k = 0
            pos += width
        p += width
    if ntok > 0:
        tok_hash[ntok - 1] = _finish_token(h, k, n)
    return ntok, pos


@jit
def _dedupe(hashes: Any, count: Any, slot_hash: Any, slot_doc: Any, stamp: Any) -> Any:
    """Move the distinct values of ``hashes[:count]`` to its front; return how many.

    An open-addressing set whose slots belong to this document when
    ``slot_doc == stamp``, so it is never cleared between documents. Cheaper
    than numba's sort; the hashes are murmur outputs, so low bits index well.
    """
    mask = 15
    while mask + 1 < 2 * count:
        mask = mask * 2 + 1
    unique = 0
    for j in range(count):
        value = hashes[j]
        slot = np.int64(value) & mask
        while True:
            if slot_doc[slot] != stamp:
                slot_doc[slot] = stamp
                slot_hash[slot] = value
                hashes[unique] = value
                unique += 1
                break
            if slot_hash[slot] == value:
                break
            slot = (slot + 1) & mask
    return unique


@jit
def min_permuted(hashes: Any, count: Any, perm_a: Any, perm_b: Any, mins: Any) -> None:
    """Set ``mins[k]`` to the least ``a[k] * fmix32(h) + b[k] mod 2**32`` over the hashes."""
    mins[:] = np.uint32(_M32)
    for j in range(count):
        mixed = np.uint32(fmix32(np.int64(hashes[j])))
        for k in range(perm_a.shape[0]):
            value = np.uint32(perm_a[k] * mixed + perm_b[k])
            mins[k] = min(value, mins[k])


@jit
def _all_words(tok_kind: Any, ntok: Any) -> Any:
    for t in range(ntok):  # noqa: SIM110 - numba compiles loops, not all() of a generator
        if tok_kind[t] != _WORD:
            return False
    return True


@jit
def _word_shingles(tok_hash: Any, ntok: Any, size: Any, shingles: Any) -> Any:
    """The shingle hashes of a text of words only (every window ``size`` tokens long).

    The same values as :func:`murmur3_words` per window; for the usual five
    tokens the window is unrolled, which lets the compiler vectorise across windows.
    """
    count = ntok - size + 1
    if size != 5:
        for t in range(count):
            shingles[t] = murmur3_words(tok_hash, t, t + size)
        return count
    for t in range(count):
        h = _mix_block(0, np.int64(tok_hash[t]))
        h = _mix_block(h, np.int64(tok_hash[t + 1]))
        h = _mix_block(h, np.int64(tok_hash[t + 2]))
        h = _mix_block(h, np.int64(tok_hash[t + 3]))
        h = _mix_block(h, np.int64(tok_hash[t + 4]))
        shingles[t] = fmix32(h ^ 20)
    return count


@jit
def fingerprint_docs(  # noqa: PLR0917 - numba calls are positional
    data: Any,
    offsets: Any,
    classes: Any,
    perm_a: Any,
    perm_b: Any,
    shingle_size: Any,
    cjk_shingle_size: Any,
    sea_shingle_size: Any,
    sigs: Any,
    sizes: Any,
    out: Any,
    out_offsets: Any,
) -> None:
    """Fingerprint every document ``data[offsets[i]:offsets[i+1]]`` (NFKC+casefolded UTF-8).

    Fills ``sigs[i]`` (uint32 minima), ``sizes[i]`` (shingle-set size) and the
    simplified text ``out[out_offsets[i]:out_offsets[i+1]]`` (for the digest).
    """
    ndocs = offsets.shape[0] - 1
    num_perm = perm_a.shape[0]
    longest = 1
    for d in range(ndocs):
        longest = max(longest, offsets[d + 1] - offsets[d])
    tok_kind = np.empty(longest, np.int64)
    tok_hash = np.empty(longest, np.uint32)
    shingles = np.empty(longest, np.uint32)
    mins = np.empty(num_perm, np.uint32)
    capacity = 16
    while capacity < 2 * longest:
        capacity *= 2
    slot_hash = np.empty(capacity, np.uint32)
    slot_doc = np.zeros(capacity, np.int64)
    pos = 0
    out_offsets[0] = 0
    for d in range(ndocs):
        ntok, end = _tokenize(
            data, offsets[d], offsets[d + 1], classes, out, pos, tok_hash, tok_kind
        )
        count = 0
        if ntok >= shingle_size and _all_words(tok_kind, ntok):
            count = _word_shingles(tok_hash, ntok, shingle_size, shingles)
            ntok = 0  # done: the general loop below has nothing left to do
        for t in range(ntok):
            kind = tok_kind[t]
            window = shingle_size
            if kind == _CJK:
                window = cjk_shingle_size
            elif kind == _SEA:
                window = sea_shingle_size
            if t + window <= ntok:
                shingles[count] = murmur3_words(tok_hash, t, t + window)
                count += 1
        if count == 0 and ntok > 0:
            shingles[0] = murmur3_words(tok_hash, 0, ntok)
            count = 1
        unique = _dedupe(shingles, count, slot_hash, slot_doc, d + 1)
        min_permuted(shingles, unique, perm_a, perm_b, mins)
        sigs[d, :] = mins
        sizes[d] = unique
        pos = end
        out_offsets[d + 1] = pos


# --- long texts, in pieces ------------------------------------------------------------------


@jit
def _starts_token(data: Any, p: Any, classes: Any) -> Any:
    """Whether the tokenizer's state before byte ``p`` cannot matter: a separator, or a
    character that always opens its own token (CJK, SEA), starts there."""
    b0 = np.int64(data[p])
    if b0 < 0x80:
        cp = b0
    elif b0 < 0xC0:
        return False  # inside a character
    elif b0 < 0xE0:
        cp = ((b0 & 0x1F) << 6) | (np.int64(data[p + 1]) & 0x3F)
    elif b0 < 0xF0:
        cp = (
            ((b0 & 0x0F) << 12)
            | ((np.int64(data[p + 1]) & 0x3F) << 6)
            | (np.int64(data[p + 2]) & 0x3F)
        )
    else:
        cp = (
            ((b0 & 0x07) << 18)
            | ((np.int64(data[p + 1]) & 0x3F) << 12)
            | ((np.int64(data[p + 2]) & 0x3F) << 6)
            | (np.int64(data[p + 3]) & 0x3F)
        )
    kind = np.int64(classes[cp])
    return kind == _SEP or kind >= _CJK


@jit
def next_cut(data: Any, start: Any, limit: Any, classes: Any) -> Any:
    """Where the piece of ``data`` starting at ``start`` ends: the last position at most
    ``limit`` bytes on where a token must start afresh, else the first one after, else the end.

    Cutting there, the pieces tokenize to exactly the tokens of the whole text.
    """
    size = data.shape[0]
    stop = start + limit
    if stop >= size:
        return size
    for p in range(stop, start, -1):
        if _starts_token(data, p, classes):
            return p
    for p in range(stop + 1, size):
        if _starts_token(data, p, classes):
            return p
    return size


@jit
def fingerprint_piece(  # noqa: PLR0917 - numba calls are positional
    data: Any,
    start: Any,
    stop: Any,
    classes: Any,
    perm_a: Any,
    perm_b: Any,
    shingle_size: Any,
    cjk_shingle_size: Any,
    sea_shingle_size: Any,
    tok_hash: Any,
    tok_kind: Any,
    ncarry: Any,
    shingles: Any,
    slot_hash: Any,
    slot_doc: Any,
    stamp: Any,
    mins: Any,
    out: Any,
) -> tuple[Any, Any, Any]:
    """One piece of a long text, cut by :func:`next_cut`, as :func:`fingerprint_docs` reads it.

    ``tok_hash[:ncarry]``/``tok_kind[:ncarry]`` hold the last tokens of the pieces before,
    so that shingles crossing the cut are made here. Leaves the piece's distinct shingle
    hashes in ``shingles`` and their permuted minima in ``mins``, the simplified text in
    ``out``; returns (distinct shingles, tokens with the carried ones, simplified length).
    """
    ntok, end = _tokenize(data, start, stop, classes, out, 0, tok_hash[ncarry:], tok_kind[ncarry:])
    total = ncarry + ntok
    count = 0
    for t in range(total):
        kind = tok_kind[t]
        window = shingle_size
        if kind == _CJK:
            window = cjk_shingle_size
        elif kind == _SEA:
            window = sea_shingle_size
        if t + window <= total:
            shingles[count] = murmur3_words(tok_hash, t, t + window)
            count += 1
    unique = _dedupe(shingles, count, slot_hash, slot_doc, stamp)
    min_permuted(shingles, unique, perm_a, perm_b, mins)
    return unique, total, end


# --- paragraph keys (boilerplate) ---------------------------------------------------------

_P1 = np.uint64(0x9E3779B185EBCA87)
_P2 = np.uint64(0xC2B2AE3D27D4EB4F)
_P3 = np.uint64(0x165667B19E3779F9)
_P4 = np.uint64(0x85EBCA77C2B2AE63)
_P5 = np.uint64(0x27D4EB2F165667C5)


@jit
def _rotl64(x: Any, r: Any) -> Any:
    return (x << np.uint64(r)) | (x >> np.uint64(64 - r))


@jit
def _read64(data: Any, p: Any) -> Any:
    value = np.uint64(0)
    for i in range(8):
        value |= np.uint64(data[p + i]) << np.uint64(8 * i)
    return value


@jit
def _xxh64_round(acc: Any, lane: Any) -> Any:
    acc = acc + lane * _P2
    return _rotl64(acc, 31) * _P1


@jit
def _xxh64_merge(acc: Any, lane: Any) -> Any:
    acc ^= _xxh64_round(np.uint64(0), lane)
    return acc * _P1 + _P4


@jit
def xxh64(data: Any, start: Any, stop: Any) -> Any:
    """XXH64 (seed 0) of ``data[start:stop]``, as the xxHash specification defines it."""
    n = stop - start
    p = start
    if n >= 32:
        v1 = _P1 + _P2
        v2 = _P2
        v3 = np.uint64(0)
        v4 = np.uint64(0) - _P1
        while p + 32 <= stop:
            v1 = _xxh64_round(v1, _read64(data, p))
            v2 = _xxh64_round(v2, _read64(data, p + 8))
            v3 = _xxh64_round(v3, _read64(data, p + 16))
            v4 = _xxh64_round(v4, _read64(data, p + 24))
            p += 32
        h = _rotl64(v1, 1) + _rotl64(v2, 7) + _rotl64(v3, 12) + _rotl64(v4, 18)
        h = _xxh64_merge(h, v1)
        h = _xxh64_merge(h, v2)
        h = _xxh64_merge(h, v3)
        h = _xxh64_merge(h, v4)
    else:
        h = _P5
    h += np.uint64(n)
    while p + 8 <= stop:
        h ^= _xxh64_round(np.uint64(0), _read64(data, p))
        h = _rotl64(h, 27) * _P1 + _P4
        p += 8
    if p + 4 <= stop:
        word = np.uint64(0)
        for i in range(4):
            word |= np.uint64(data[p + i]) << np.uint64(8 * i)
        h ^= word * _P1
        h = _rotl64(h, 23) * _P2 + _P3
        p += 4
    while p < stop:
        h ^= np.uint64(data[p]) * _P5
        h = _rotl64(h, 11) * _P1
        p += 1
    h ^= h >> np.uint64(33)
    h *= _P2
    h ^= h >> np.uint64(29)
    h *= _P3
    h ^= h >> np.uint64(32)
    return h


@jit
def line_keys(data: Any, table: Any, out: Any, keys: Any, words: Any) -> Any:
    """Key and word count of each NUL-separated paragraph of ``data``; returns how many.

    Each byte goes through ``table`` (0 ends a paragraph, 32 is a space);
    spaces are collapsed and stripped into ``out`` (at least ``len(data)``
    bytes), and the key is the XXH64 of that normal form as a signed integer.
    """
    count = 0
    start = 0
    pos = 0
    spaces = 0
    pending = False
    size = data.shape[0]
    for p in range(size + 1):
        c = 0 if p == size else table[data[p]]
        if c == 0:
            keys[count] = np.int64(xxh64(out, start, pos))
            words[count] = spaces + 1 if pos > start else 0
            count += 1
            start = pos
            spaces = 0
            pending = False
        elif c == 32:
            pending = pos > start
        else:
            if pending:
                out[pos] = 32
                pos += 1
                spaces += 1
                pending = False
            out[pos] = c
            pos += 1
    return count
