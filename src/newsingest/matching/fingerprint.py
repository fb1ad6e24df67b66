"""MinHash fingerprints of articles, bit-for-bit equal to datasketch's "affine32" MinHash.

A fingerprint is made from the shingle set of :mod:`newsingest.matching.shingle`. Each
shingle (tokens joined by one space, UTF-8) is hashed to 32 bits by
:func:`hash_shingle`, and the signature is exactly what
``datasketch.MinHash(num_perm, seed=seed, scheme="affine32", hashfunc=hash_shingle)``
holds after ``update_batch`` with those shingles: each hash is pre-mixed with
the murmur3 finalizer, permuted by ``a * h + b mod 2**32`` with parameters drawn
from ``numpy.random.RandomState(seed)``, and the minimum kept per permutation
(``2**32 - 1`` for an empty text). The fast path (:func:`fingerprint_batch`)
runs a fused numba kernel; the tests check it against datasketch.

Fingerprints are versioned: :class:`FingerprintParams` travels with each one,
and comparing fingerprints made differently raises
:class:`~newsingest.errors.FingerprintError`.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt

from newsingest.config import FingerprintConfig
from newsingest.errors import FingerprintError
from newsingest.matching import _kernels
from newsingest.matching.shingle import DEFAULT_CONFIG, SEA_FACTOR, SIMPLIFIER_VERSION, char_classes
from newsingest.records import Article

if TYPE_CHECKING:
    from datasketch import MinHash

__all__ = [
    "FORMAT_VERSION",
    "SCHEME",
    "TOKEN_HASH",
    "Fingerprint",
    "FingerprintParams",
    "fingerprint_article",
    "fingerprint_batch",
    "fingerprint_text",
    "hash_shingle",
    "permutations",
    "to_datasketch",
    "warm_up",
]

SCHEME = "affine32"
TOKEN_HASH = "murmur3_32(le32 murmur3_32 of each token)"
FORMAT_VERSION = 1
_MAX_HASH = (1 << 32) - 1
_CHUNK_BYTES = 8 << 20
"""Documents go to the kernel in chunks of about this many bytes, bounding scratch memory."""
_LONG_BYTES = 8 << 20
"""A text longer than this (normalised UTF-8) is fingerprinted in pieces: the kernel's
scratch memory grows with the longest text of a call, many times its size."""
_PIECE_BYTES = 1 << 20
"""About how many bytes of a long text go to the kernel at a time."""
_MERGE_PIECES = 64
"""A long text's distinct shingle hashes are merged after this many pieces."""


@attrs.frozen(kw_only=True)
class FingerprintParams:
    """Everything that decides a fingerprint's values; two fingerprints compare only if equal."""

    scheme: str = SCHEME
    token_hash: str = TOKEN_HASH
    num_perm: int
    seed: int
    shingle_size: int
    cjk_shingle_size: int
    simplifier: str = SIMPLIFIER_VERSION
    format_version: int = FORMAT_VERSION

    @classmethod
    def from_config(cls, config: FingerprintConfig) -> FingerprintParams:
        return cls(
            num_perm=config.num_perm,
            seed=config.seed,
            shingle_size=config.shingle_size,
            cjk_shingle_size=config.cjk_shingle_size,
        )

    def check_compatible(self, other: FingerprintParams) -> None:
        """Raise :class:`FingerprintError` naming every field where ``other`` differs."""
        diffs = [
            f"{field.name}: {getattr(self, field.name)!r} != {getattr(other, field.name)!r}"
            for field in attrs.fields(FingerprintParams)
            if getattr(self, field.name) != getattr(other, field.name)
        ]
        if diffs:
            raise FingerprintError(
                "fingerprints were made with different parameters ("
                + "; ".join(diffs)
                + "); fingerprint all articles again with one configuration"
            )


def _readonly_signature(value: object) -> npt.NDArray[np.uint32]:
    array = np.array(value, dtype=np.uint32)
    if array.ndim != 1:
        raise ValueError(f"a signature is one-dimensional, got shape {array.shape}")
    array.setflags(write=False)
    return array


@attrs.frozen(kw_only=True)
class Fingerprint:
    """One text's fingerprint.

    ``digest`` is the 16-byte blake2b of the simplified text (equal digests:
    exact duplicates after simplification; a text that simplifies to nothing is
    digested as it is, so two different such texts are not copies); ``signature`` the MinHash
    (read-only uint32 array, kept out of equality and repr); ``shingles`` the
    size of the shingle set, needed to estimate containment.
    """

    id: str
    digest: bytes
    signature: npt.NDArray[np.uint32] = attrs.field(
        converter=_readonly_signature, eq=False, repr=False
    )
    shingles: int
    params: FingerprintParams

    @signature.validator
    def _check_length(self, _attr: attrs.Attribute[Any], value: npt.NDArray[np.uint32]) -> None:
        if value.shape[0] != self.params.num_perm:
            raise FingerprintError(
                f"signature has {value.shape[0]} values, params say num_perm={self.params.num_perm}"
            )


def _fmix32(h: int) -> int:
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _MAX_HASH
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _MAX_HASH
    return h ^ (h >> 16)


def _scramble(k: int) -> int:
    k = (k * 0xCC9E2D51) & _MAX_HASH
    k = ((k << 15) | (k >> 17)) & _MAX_HASH
    return (k * 0x1B873593) & _MAX_HASH


def _murmur3_32(data: bytes) -> int:
    """Plain-Python murmur3_x86_32, seed 0: the reference for the kernel's version."""
    h = 0
    n = len(data)
    end4 = n - n % 4
    for p in range(0, end4, 4):
        h ^= _scramble(int.from_bytes(data[p : p + 4], "little"))
        h = ((h << 13) | (h >> 19)) & _MAX_HASH
        h = (h * 5 + 0xE6546B64) & _MAX_HASH
    if n > end4:
        h ^= _scramble(int.from_bytes(data[end4:], "little"))
    return _fmix32(h ^ (n & _MAX_HASH))


def hash_shingle(shingle: bytes) -> int:
    """The 32-bit hash of one shingle (its tokens joined by one space, UTF-8).

    Two-level so the kernel hashes each token once: murmur3_x86_32 (seed 0) of
    the concatenated little-endian 32-bit murmur3_x86_32 (seed 0) hashes of the
    space-separated tokens. Usable as a datasketch ``hashfunc``.
    """
    words = b"".join(_murmur3_32(token).to_bytes(4, "little") for token in shingle.split(b" "))
    return _murmur3_32(words)


@functools.cache
def permutations(num_perm: int, seed: int) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
    """The affine32 parameters ``(a, b)``, drawn as datasketch draws them."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    a.setflags(write=False)
    b.setflags(write=False)
    return a, b


_UNSIMPLIFIED = b"ns-unsimplified"


def _normalize_encode(text: str) -> bytes:
    if text.isascii():
        # NFKC leaves ASCII as it is, and casefolds it to lower case.
        return text.lower().encode("ascii")
    # surrogatepass: lone surrogates are separators, the kernel must not choke on them.
    return unicodedata.normalize("NFKC", text).casefold().encode("utf-8", "surrogatepass")


def _run_chunk(
    encoded: list[bytes], config: FingerprintConfig
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64], list[bytes]]:
    n = len(encoded)
    data = np.frombuffer(b"".join(encoded) or b"\0", dtype=np.uint8)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    out = np.empty(2 * int(offsets[-1]) + 16, dtype=np.uint8)
    out_offsets = np.empty(n + 1, dtype=np.int64)
    sigs = np.empty((n, config.num_perm), dtype=np.uint32)
    sizes = np.empty(n, dtype=np.int64)
    a, b = permutations(config.num_perm, config.seed)
    _kernels.fingerprint_docs(
        data,
        offsets,
        char_classes(),
        a,
        b,
        config.shingle_size,
        config.cjk_shingle_size,
        SEA_FACTOR * config.cjk_shingle_size,
        sigs,
        sizes,
        out,
        out_offsets,
    )
    view = memoryview(out)  # type: ignore[arg-type]
    bounds = out_offsets.tolist()
    digests = [
        hashlib.blake2b(view[lo:hi], digest_size=16).digest()
        if hi > lo or not raw
        # Nothing left after simplification (only symbols or emoji): digest the
        # text itself, or every such document would be an "exact copy" of the others.
        else hashlib.blake2b(raw, digest_size=16, person=_UNSIMPLIFIED).digest()
        for (lo, hi), raw in zip(itertools.pairwise(bounds), encoded, strict=True)
    ]
    return sigs, sizes, digests


def _run_long(
    encoded: bytes, config: FingerprintConfig
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64], list[bytes]]:
    """:func:`_run_chunk` of one long text, in pieces of about ``_PIECE_BYTES``: the same
    signature, size and digest in scratch memory bounded by the piece, not the text.

    Pieces are cut where a token must start afresh (:func:`_kernels.next_cut`), so they
    hold the whole text's tokens; the last tokens of each piece are carried into the next,
    so that the shingles across a cut are made. The signature is the minimum over the
    pieces; the shingle-set size comes from the pieces' distinct hashes, merged.
    """
    data = np.frombuffer(encoded, dtype=np.uint8)
    classes = char_classes()
    a, b = permutations(config.num_perm, config.seed)
    sea = SEA_FACTOR * config.cjk_shingle_size
    carry = max(config.shingle_size, config.cjk_shingle_size, sea) - 1
    # A piece longer than _PIECE_BYTES has no place to cut inside it: at most two tokens.
    capacity = _PIECE_BYTES + carry + 2
    tok_hash = np.empty(capacity, np.uint32)
    tok_kind = np.empty(capacity, np.int64)
    shingles = np.empty(capacity, np.uint32)
    slots = 16
    while slots < 2 * capacity:
        slots *= 2
    slot_hash = np.empty(slots, np.uint32)
    slot_doc = np.zeros(slots, np.int64)
    sig = np.full(config.num_perm, _MAX_HASH, dtype=np.uint32)
    piece_mins = np.empty(config.num_perm, dtype=np.uint32)
    out = np.empty(0, dtype=np.uint8)
    simplified = hashlib.blake2b(digest_size=16)
    wrote = False
    seen: list[npt.NDArray[np.uint32]] = []
    ncarry = tokens = pieces = start = 0
    while start < data.size:
        stop = int(_kernels.next_cut(data, start, _PIECE_BYTES, classes))
        length = stop - start
        if out.size < length + min(length, capacity) + 16:
            out = np.empty(length + min(length, capacity) + 16, dtype=np.uint8)
        pieces += 1
        unique, total, end = _kernels.fingerprint_piece(
            data,
            start,
            stop,
            classes,
            a,
            b,
            config.shingle_size,
            config.cjk_shingle_size,
            sea,
            tok_hash,
            tok_kind,
            ncarry,
            shingles,
            slot_hash,
            slot_doc,
            pieces,
            piece_mins,
            out,
        )
        np.minimum(sig, piece_mins, out=sig)
        seen.append(shingles[:unique].copy())
        if len(seen) >= _MERGE_PIECES:
            seen = [_distinct(seen)]
        if end:
            # The whole text's simplified form puts one space between any two tokens.
            if wrote:
                simplified.update(b" ")
            simplified.update(memoryview(out[:end]))  # type: ignore[arg-type]
            wrote = True
        tokens += total - ncarry
        ncarry = min(carry, total)
        tok_hash[:ncarry] = tok_hash[total - ncarry : total]
        tok_kind[:ncarry] = tok_kind[total - ncarry : total]
        start = stop
    size = _distinct(seen).size if seen else 0
    if size == 0 and tokens:
        # Fewer tokens than any shingle: the one shingle is all of them (all carried).
        whole = np.array([_kernels.murmur3_words(tok_hash, 0, ncarry)], dtype=np.uint32)
        _kernels.min_permuted(whole, 1, a, b, sig)
        size = 1
    digest = (
        simplified.digest()
        if wrote or not encoded
        else hashlib.blake2b(encoded, digest_size=16, person=_UNSIMPLIFIED).digest()
    )
    return sig.reshape(1, -1), np.array([size], dtype=np.int64), [digest]


def _distinct(parts: list[npt.NDArray[np.uint32]]) -> npt.NDArray[np.uint32]:
    """The distinct values of ``parts``, sorted (a sort: numpy's hashed unique is slower)."""
    values = np.concatenate(parts)
    values.sort()
    if values.size < 2:
        return values
    keep = np.empty(values.size, dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    distinct: npt.NDArray[np.uint32] = values[keep]
    return distinct


def fingerprint_batch(
    texts: Sequence[str], config: FingerprintConfig = DEFAULT_CONFIG
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64], list[bytes]]:
    """Fingerprint many texts at once: ``(signatures (n, num_perm) uint32, set sizes, digests)``.

    The fast path: one kernel call per chunk of documents, no per-shingle
    Python objects. Row ``i`` equals ``fingerprint_text(texts[i], config)``.
    A text longer than ``_LONG_BYTES`` goes to the kernel in pieces (same values).
    """
    sig_parts: list[npt.NDArray[np.uint32]] = []
    size_parts: list[npt.NDArray[np.int64]] = []
    digests: list[bytes] = []
    chunk: list[bytes] = []
    chunk_bytes = 0
    for text in texts:
        encoded = _normalize_encode(text)
        if len(encoded) > _LONG_BYTES:
            for part in ((_run_chunk(chunk, config),) if chunk else ()) + (
                _run_long(encoded, config),
            ):
                sig_parts.append(part[0])
                size_parts.append(part[1])
                digests.extend(part[2])
            chunk, chunk_bytes = [], 0
            continue
        chunk.append(encoded)
        chunk_bytes += len(encoded)
        if chunk_bytes >= _CHUNK_BYTES:
            sigs, sizes, digs = _run_chunk(chunk, config)
            sig_parts.append(sigs)
            size_parts.append(sizes)
            digests.extend(digs)
            chunk, chunk_bytes = [], 0
    if chunk or not sig_parts:
        sigs, sizes, digs = _run_chunk(chunk, config)
        sig_parts.append(sigs)
        size_parts.append(sizes)
        digests.extend(digs)
    if len(sig_parts) == 1:
        return sig_parts[0], size_parts[0], digests
    return np.concatenate(sig_parts), np.concatenate(size_parts), digests


def fingerprint_text(
    text: str, config: FingerprintConfig = DEFAULT_CONFIG, *, id: str = ""
) -> Fingerprint:
    """Fingerprint one text (see the module docstring for what the values are)."""
    sigs, sizes, digests = fingerprint_batch([text], config)
    return Fingerprint(
        id=id,
        digest=digests[0],
        signature=sigs[0],
        shingles=int(sizes[0]),
        params=FingerprintParams.from_config(config),
    )


def fingerprint_article(
    article: Article, config: FingerprintConfig = DEFAULT_CONFIG
) -> Fingerprint:
    """Fingerprint an article's title and body, under the article's id."""
    return fingerprint_text(article.text, config, id=article.id)


def to_datasketch(fp: Fingerprint) -> MinHash:
    """The fingerprint as a ``datasketch.MinHash`` (for datasketch's LSH and estimators)."""
    from datasketch import MinHash  # noqa: PLC0415 - optional at run time

    if fp.params.scheme != SCHEME:
        raise FingerprintError(f"cannot convert scheme {fp.params.scheme!r} to datasketch")
    return MinHash(
        seed=fp.params.seed,
        hashfunc=hash_shingle,
        hashvalues=fp.signature.copy(),
        scheme=SCHEME,
    )


def warm_up() -> float:
    """Compile (or load from cache) the kernels now; returns the seconds it took.

    Both per-document kernels: the fingerprint's and the paragraph keys' (boilerplate),
    so that forked workers inherit them compiled.
    """
    import time  # noqa: PLC0415

    from newsingest.matching.boilerplate import line_key  # noqa: PLC0415 - boilerplate is not needed to fingerprint

    start = time.perf_counter()
    fingerprint_batch(["warm up", "中文"], DEFAULT_CONFIG)
    line_key("warm up")
    return time.perf_counter() - start
