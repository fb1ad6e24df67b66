"""Corpus-level boilerplate: lines an outlet repeats around many different stories.

A paragraph repeated in many documents is either outlet boilerplate (a promo,
a disclaimer, a footer) or part of one story that was syndicated: frequency
alone cannot tell them apart. The rule used here looks at what *else* the
documents sharing a line contain:

1. Every paragraph becomes a key (:func:`line_key`, a signed 64-bit hash of
   the casefolded, NFKC, punctuation/whitespace-collapsed text; digits kept).
2. A key in at least ``min_docs`` documents (and of at most ``max_line_words``
   words) is a *candidate*. Its documents ``D(L)`` define its *block*: the
   keys found in at least ``block_fraction`` of ``D(L)`` (the rest of a
   disclaimer, or the rest of a syndicated story).
3. A document's *own text* w.r.t. ``L`` is the words of its keys outside the
   block that are not themselves boilerplate. It is *substantial* when it
   reaches ``min_own_words`` and ``min_own_ratio`` times the document's
   block words.
4. ``L`` is boilerplate when at least ``many_fraction`` of ``D(L)`` carry
   substantial own text: many different stories share it. Ten copies of one
   story carry only their outlets' headers, which are short or are
   boilerplate themselves, so the story stays.

Step 3 depends on step 4 for other keys; the decisions are iterated from
"every candidate is boilerplate" until they repeat, and where they alternate
the smaller set is kept (keeping text is the safer error). Every decision
depends on sets of documents only, so the result does not depend on input
order. Keys sharing one exact document set are decided once, together.

See ``docs/boilerplate.md`` for the known limits.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from array import array
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from newsingest._arrays import equal_runs, expand_ranges
from newsingest.config import BoilerplateConfig
from newsingest.matching import _kernels
from newsingest.matching._rule_blocks import Pairs, pair_terms
from newsingest.records import Article, DroppedLine

__all__ = [
    "BLOCK_TRIPLES",
    "BOILERPLATE_DEFAULTS",
    "KEY_SCHEME",
    "BoilerplateModel",
    "BoilerplateRule",
    "ParagraphKeys",
    "boilerplate_keys",
    "candidate_sql",
    "distinct_keys",
    "drop_paragraphs",
    "is_candidate",
    "key_paragraph_groups",
    "key_paragraphs",
    "learn_boilerplate",
    "learn_boilerplate_from_keys",
    "line_key",
    "paragraph_hits",
    "strip_boilerplate",
    "strip_by_keys",
    "stripped_text",
    "stripped_texts",
]

KEY_SCHEME = "line-key-v2:nfkc-casefold-punct-xxh64"
"""Names the normalisation and hash of :func:`line_key`; stored with every model."""

DROP_REASON = "boilerplate"
ALL_BOILERPLATE_NOTE = "boilerplate: every paragraph is repeated boilerplate; body kept"

_NON_WORD = re.compile(r"[\W_]+")

IntArray = npt.NDArray[np.int64]


@attrs.frozen(kw_only=True)
class BoilerplateRule:
    """The thresholds of the one-story-or-many decision (see ``docs/boilerplate.md``).

    Stored with every model; the defaults are what the tests and benchmarks use.
    """

    block_fraction: float = 0.5
    """A key is in ``L``'s block when at least this fraction of ``D(L)`` holds it."""
    min_own_words: int = 20
    """Own text shorter than this never counts as a different story (a one-line header)."""
    min_own_ratio: float = 0.15
    """Own text must also be this fraction of the document's shared block."""
    many_fraction: float = 0.6
    """``L`` is boilerplate when this fraction of ``D(L)`` carries substantial own text."""
    max_rounds: int = 8

    def substantial(self, own: npt.NDArray[Any], shared: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
        """Which documents' own text (words, as float64 sums) is a story of its own next
        to their ``shared`` block: the one comparison every backend makes."""
        result: npt.NDArray[np.bool_] = (own >= self.min_own_words) & (
            own >= self.min_own_ratio * shared
        )
        return result


BOILERPLATE_DEFAULTS = BoilerplateRule()

BLOCK_TRIPLES = 1 << 20
"""How many (document, key) rows the decision expands at once: its temporary arrays
are about 100 bytes per row. The decisions do not depend on it (see ``_decide``)."""

ParagraphKeys = npt.NDArray[np.int64]
"""Shape ``(2, paragraphs)``: each paragraph's line key, and its word count."""

# Candidacy: a line is judged only when at least ``min_docs`` documents hold it and it
# has at most ``max_line_words`` words. The one definition, as (column, comparison,
# BoilerplateConfig field); is_candidate evaluates it, candidate_sql writes it as SQL.
_CANDIDACY = (("df", ">=", "min_docs"), ("words", "<=", "max_line_words"))


def is_candidate(
    df: npt.ArrayLike, words: npt.ArrayLike, config: BoilerplateConfig
) -> npt.NDArray[np.bool_]:
    """Which lines, given their document frequency and word count, the rule judges."""
    columns = {"df": np.asarray(df), "words": np.asarray(words)}
    out = np.ones(np.shape(columns["df"]), dtype=bool)
    for column, op, field in _CANDIDACY:
        limit = getattr(config, field)
        values = columns[column]
        out &= values >= limit if op == ">=" else values <= limit
    return out


def candidate_sql(config: BoilerplateConfig) -> str:
    """:func:`is_candidate` as an SQL condition on columns ``df`` and ``words``, with the
    settings as literals (SQLite uses a partial index only for a query with the same terms)."""
    return " AND ".join(
        f"{column} {op} {int(getattr(config, field))}" for column, op, field in _CANDIDACY
    )


def _is_plain_separator(ch: str) -> bool:
    """Whether ``ch`` may be turned into a space before NFKC without changing the result.

    True for punctuation, symbols, spaces and format/control characters whose
    NFKC casefolded form is all separators and either ASCII or ``ch`` itself,
    so they neither compose with neighbours nor bring combining marks along.
    """
    if unicodedata.category(ch)[0] not in "PSZC" or unicodedata.category(ch) in ("Cn", "Co", "Cs"):
        return False
    if unicodedata.combining(ch):
        return False
    normal = unicodedata.normalize("NFKC", ch).casefold()
    return bool(_NON_WORD.fullmatch(normal)) and (normal.isascii() or normal == ch)


def _plain_separators() -> str:
    """Up to 128 common non-ASCII separators, most frequent in news text first."""
    candidates = (
        *range(0xA0, 0xC0),
        0xD7,
        0xF7,
        *range(0x2010, 0x2028),
        0x20AC,
        0x25CF,
        0x25A0,
        0x25AA,
        0x3000,
        0xFEFF,
        0xFFFD,
        *range(0x2000, 0x2010),
        *range(0x2028, 0x2070),
        *range(0x20A0, 0x20C1),
        *range(0x80, 0xA0),
    )
    found = [chr(cp) for cp in candidates if _is_plain_separator(chr(cp))]
    return "".join(dict.fromkeys(found))[:128]


_PLAIN_SEPARATORS = _plain_separators()
# Encodes ASCII as itself and each plain separator as one byte >= 0x80; any other
# character fails, and the text takes the Unicode path.
_FAST_MAP = codecs.charmap_build(
    "".join(map(chr, range(128))) + _PLAIN_SEPARATORS.ljust(128, "\ufffe")  # U+FFFE: unmapped
)
# Letters lowered, digits kept, everything else (bytes >= 0x80 included) -> space.
_ASCII_TABLE = bytes((c if chr(c).isalnum() else 32) for c in range(128)).lower() + bytes(
    [32] * 128
)
# The same, but NUL (the paragraph separator of the batch path) is kept.
_BATCH_TABLE = b"\0" + _ASCII_TABLE[1:]


_SPACE_RUN = re.compile(b"  +")


def _fast_bytes(text: str) -> bytes | None:
    """``text`` as ASCII, plain separators as bytes >= 0x80; None if it has other characters."""
    if text.isascii():
        return text.encode("ascii")
    try:
        return codecs.charmap_encode(text, "strict", _FAST_MAP)[0]
    except UnicodeEncodeError:
        return None


def _normal_bytes(text: str) -> bytes:
    fast = _fast_bytes(text)
    if fast is not None:
        return _SPACE_RUN.sub(b" ", fast.translate(_ASCII_TABLE)).strip()
    text = unicodedata.normalize("NFKC", text).casefold()
    return _NON_WORD.sub(" ", text).strip().encode("utf-8")


def normalize_line(text: str) -> str:
    """The aggressive simplification keys are made from (never stored)."""
    return _normal_bytes(text).decode("utf-8")


# The kernel's byte maps: the ASCII fast form through the letters/digits table, and
# already-normal UTF-8 (the Unicode path) through as is. NUL ends a paragraph in both.
# (Both writable arrays: one array type, so the kernel is compiled or loaded once.)
_FAST_TABLE = np.frombuffer(_BATCH_TABLE, dtype=np.uint8).copy()
_RAW_TABLE = np.arange(256, dtype=np.uint8)


def _keys_of_joined(data: bytes, table: npt.NDArray[np.uint8], count: int) -> IntArray:
    """Shape ``(2, count)``: key and word count of each NUL-separated paragraph of ``data``."""
    out = np.empty((2, count), dtype=np.int64)
    scratch = np.empty(len(data) + 1, dtype=np.uint8)
    found = _kernels.line_keys(np.frombuffer(data, dtype=np.uint8), table, scratch, out[0], out[1])
    if found != count:  # pragma: no cover - a NUL inside a paragraph is sent the slow way
        raise AssertionError(f"{found} paragraphs keyed, {count} expected")
    return out


def _key_flat(paragraphs: Sequence[str]) -> IntArray:
    """:func:`key_paragraphs` of one flat list of paragraphs."""
    n = len(paragraphs)
    joined = "\0".join(paragraphs)
    fast = _fast_bytes(joined) if joined.count("\0") == n - 1 else None
    if fast is not None:
        return _keys_of_joined(fast, _FAST_TABLE, n)
    # Some paragraph needs the Unicode path (or holds a NUL): those are normalised
    # here and keyed in a second call; the rest go through the fast form as before.
    parts: list[bytes] = []
    slow: list[int] = []
    normals: list[bytes] = []
    for i, paragraph in enumerate(paragraphs):
        part = None if "\0" in paragraph else _fast_bytes(paragraph)
        if part is None:
            slow.append(i)
            normals.append(_normal_bytes(paragraph))
            part = b""
        parts.append(part)
    out = _keys_of_joined(b"\0".join(parts), _FAST_TABLE, n)
    out[:, slow] = _keys_of_joined(b"\0".join(normals), _RAW_TABLE, len(slow))
    return out


def line_key(text: str) -> int:
    """A stable signed 64-bit key of a paragraph (fits an SQLite INTEGER).

    Case, Unicode compatibility forms, punctuation and spacing are ignored;
    digits are kept, so templated reports that differ by figures stay apart.
    The key is the XXH64 (seed 0) of :func:`normalize_line`'s UTF-8.
    """
    return int(_key_flat([text])[0, 0])


def key_paragraphs(paragraphs: Sequence[str]) -> IntArray:
    """Shape ``(2, len(paragraphs))``: the :func:`line_key` and the word count of each paragraph.

    The batch form of :func:`line_key` for a whole article: one kernel call.
    """
    if not paragraphs:
        return np.empty((2, 0), dtype=np.int64)
    return _key_flat(paragraphs)


def key_paragraph_groups(groups: Sequence[Sequence[str]]) -> tuple[IntArray, IntArray]:
    """:func:`key_paragraphs` of many articles at once: ``(keys (2, total), lengths)``.

    The keys of group ``i`` are the ``lengths[i]`` columns after those of the
    groups before it. One kernel call for a whole chunk of articles.
    """
    lengths = np.fromiter(map(len, groups), dtype=np.int64, count=len(groups))
    flat = [p for group in groups for p in group]
    if not flat:
        return np.empty((2, 0), dtype=np.int64), lengths
    return _key_flat(flat), lengths


def _frozenset_of_int(value: Iterable[int]) -> frozenset[int]:
    return frozenset(int(v) for v in value)


@attrs.frozen(kw_only=True)
class BoilerplateModel:
    """What :func:`learn_boilerplate` learned from a corpus, as plain data.

    ``boilerplate`` holds the keys to strip; ``df`` the document frequency of
    every candidate key (boilerplate or kept as a syndicated story), which
    explains a decision and lets a persistent index merge statistics later.
    """

    boilerplate: frozenset[int] = attrs.field(converter=_frozenset_of_int)
    df: Mapping[int, int] = attrs.field(factory=dict, hash=False, repr=False)
    documents: int = 0
    min_docs: int = 3
    max_line_words: int = 120
    rule: BoilerplateRule = BOILERPLATE_DEFAULTS
    scheme: str = KEY_SCHEME

    def is_boilerplate(self, text: str) -> bool:
        """Whether this paragraph would be stripped."""
        return line_key(text) in self.boilerplate

    def explain(self, text: str) -> str:
        """One sentence saying what the model decided about a paragraph, and why."""
        key = line_key(text)
        count = self.df.get(key)
        if count is None:
            return f"not boilerplate: in fewer than {self.min_docs} documents (or too long)"
        if key in self.boilerplate:
            return f"boilerplate: in {count} documents that otherwise tell different stories"
        return f"kept: in {count} documents that share the rest of one story (syndicated)"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible data; keys are signed 64-bit integers."""
        return {
            "scheme": self.scheme,
            "documents": self.documents,
            "min_docs": self.min_docs,
            "max_line_words": self.max_line_words,
            "rule": attrs.asdict(self.rule),
            "boilerplate": sorted(self.boilerplate),
            "df": sorted([k, v] for k, v in self.df.items()),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BoilerplateModel:
        """Rebuild a model from :meth:`to_dict` output; another key scheme is an error."""
        scheme = str(data["scheme"])
        if scheme != KEY_SCHEME:
            raise ValueError(
                f"boilerplate model made with key scheme {scheme!r}, this version uses "
                f"{KEY_SCHEME!r}: learn the model again"
            )
        return cls(
            boilerplate=frozenset(int(k) for k in data["boilerplate"]),
            df={int(k): int(v) for k, v in data["df"]},
            documents=int(data["documents"]),
            min_docs=int(data["min_docs"]),
            max_line_words=int(data["max_line_words"]),
            rule=BoilerplateRule(**data["rule"]),
            scheme=scheme,
        )


def _mix64(x: npt.NDArray[np.uint64], seed: int) -> npt.NDArray[np.uint64]:
    """splitmix64 finaliser, vectorised (uint64 arithmetic wraps)."""
    z = x + np.uint64((0x9E3779B97F4A7C15 * seed) & 0xFFFFFFFFFFFFFFFF)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def distinct_keys(flat: IntArray, lengths: IntArray) -> tuple[IntArray, IntArray]:
    """Each document's distinct keys, ascending, with the word count of the first paragraph
    that has the key; and how many each document has.

    Documents follow one another, ``lengths[d]`` keys each, in ``flat`` (2, total), as
    :func:`key_paragraph_groups` makes them. A document counts a key once, as the
    learner's per-document ``seen`` set does.
    """
    doc = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    order = np.lexsort((flat[0], doc))  # stable: the first paragraph of a key comes first
    flat, doc = flat[:, order], doc[order]
    first = np.ones(doc.size, dtype=bool)
    first[1:] = (doc[1:] != doc[:-1]) | (flat[0, 1:] != flat[0, :-1])
    return flat[:, first], np.bincount(doc[first], minlength=len(lengths)).astype(np.int64)


def paragraph_hits(
    keys: IntArray, lengths: IntArray, boilerplate: IntArray
) -> dict[int, list[bool]]:
    """Which paragraphs are boilerplate, for the documents that have any.

    Documents follow one another, ``lengths[d]`` paragraph keys each, in ``keys``;
    ``boilerplate`` holds the keys to strip. Document ``d`` maps to one flag per
    paragraph, as :func:`stripped_text` and :func:`drop_paragraphs` take them.
    """
    if not boilerplate.size or not keys.size:
        return {}
    hit = np.isin(keys, boilerplate)
    doc = np.repeat(np.arange(lengths.size), lengths)
    # Python lists: slicing them costs a tenth of slicing small arrays.
    flags, ends = hit.tolist(), np.cumsum(lengths).tolist()
    return {
        d: flags[ends[d] - int(lengths[d]) : ends[d]]
        for d in np.flatnonzero(np.bincount(doc[hit], minlength=lengths.size)).tolist()
    }


def learn_boilerplate(
    articles: Iterable[Article],
    config: BoilerplateConfig = BoilerplateConfig(),
    rule: BoilerplateRule = BOILERPLATE_DEFAULTS,
) -> BoilerplateModel:
    """Learn which paragraphs are outlet boilerplate in a corpus (one pass over it).

    Titles are neither counted nor stripped. Only keys and word counts are
    kept per document, never texts.
    """
    keys_buf = array("q")
    words_buf = array("q")
    lengths_buf = array("q")
    for article in articles:
        keyed = key_paragraphs(article.paragraphs)
        # One key, one normal form, one word count: repeats collapse harmlessly.
        seen = dict(zip(keyed[0].tolist(), keyed[1].tolist(), strict=True))
        keys_buf.extend(seen)
        words_buf.extend(seen.values())
        lengths_buf.append(len(seen))
    return learn_boilerplate_from_keys(
        np.frombuffer(keys_buf, dtype=np.int64),
        np.frombuffer(words_buf, dtype=np.int64),
        np.frombuffer(lengths_buf, dtype=np.int64),
        config,
        rule,
    )


def learn_boilerplate_from_keys(
    flat_keys: npt.ArrayLike,
    flat_words: npt.ArrayLike,
    lengths: npt.ArrayLike,
    config: BoilerplateConfig = BoilerplateConfig(),
    rule: BoilerplateRule = BOILERPLATE_DEFAULTS,
) -> BoilerplateModel:
    """:func:`learn_boilerplate` for keys computed elsewhere (worker processes, Dask partitions).

    Document ``d``'s ``lengths[d]`` *distinct* paragraph keys follow one
    another in ``flat_keys`` (as :func:`key_paragraphs` makes them);
    ``flat_words`` holds their word counts.
    """
    uniq, df, is_cand, chosen = _judge(flat_keys, flat_words, lengths, config, rule)
    cand = np.flatnonzero(is_cand)
    return BoilerplateModel(
        boilerplate=frozenset(uniq[chosen].tolist()),
        df=dict(zip(uniq[cand].tolist(), df[cand].tolist(), strict=True)),
        documents=len(np.asarray(lengths)),
        min_docs=config.min_docs,
        max_line_words=config.max_line_words,
        rule=rule,
    )


def boilerplate_keys(
    flat_keys: npt.ArrayLike,
    flat_words: npt.ArrayLike,
    lengths: npt.ArrayLike,
    config: BoilerplateConfig = BoilerplateConfig(),
    rule: BoilerplateRule = BOILERPLATE_DEFAULTS,
    *,
    block_triples: int = BLOCK_TRIPLES,
) -> IntArray:
    """The boilerplate rule: the keys judged boilerplate among these documents, sorted.

    Document ``d``'s ``lengths[d]`` distinct paragraph keys follow one another
    in ``flat_keys``, ``flat_words`` their word counts; a key's document
    frequency is counted among these documents. Every backend decides with
    this function: the batch run on the corpus, the index on the closed
    component of the keys a batch touches, Dask on the documents that hold a
    candidate key. ``block_triples`` bounds the decision's temporary arrays
    (:data:`BLOCK_TRIPLES`); the keys returned do not depend on it.
    """
    uniq, _, _, chosen = _judge(
        flat_keys, flat_words, lengths, config, rule, block_triples=block_triples
    )
    return uniq[chosen]


def _judge(
    flat_keys: npt.ArrayLike,
    flat_words: npt.ArrayLike,
    lengths: npt.ArrayLike,
    config: BoilerplateConfig,
    rule: BoilerplateRule,
    *,
    block_triples: int = BLOCK_TRIPLES,
) -> tuple[IntArray, IntArray, npt.NDArray[np.bool_], IntArray]:
    """The distinct keys, their document frequencies, which are candidates, and the
    indices of those judged boilerplate."""
    keys = np.ascontiguousarray(flat_keys, dtype=np.int64)
    words = np.ascontiguousarray(flat_words, dtype=np.int64)
    sizes = np.ascontiguousarray(lengths, dtype=np.int64)
    none = np.empty(0, dtype=np.int64)
    if not config.enabled or keys.size == 0:
        return none, none, np.empty(0, dtype=bool), none
    uniq, first_at, kid, df = np.unique(
        keys, return_index=True, return_inverse=True, return_counts=True
    )
    key_words = words[first_at]
    is_cand = is_candidate(df, key_words, config)
    if not is_cand.any():
        return uniq, df, is_cand, none
    chosen = _decide(
        kid=kid.reshape(-1).astype(np.int64, copy=False),
        df=df,
        key_words=key_words,
        lengths=sizes,
        offsets=np.cumsum(sizes) - sizes,
        is_cand=is_cand,
        rule=rule,
        block_triples=block_triples,
    )
    return uniq, df, is_cand, chosen


def _decide(
    *,
    kid: IntArray,
    df: IntArray,
    key_words: IntArray,
    lengths: IntArray,
    offsets: IntArray,
    is_cand: npt.NDArray[np.bool_],
    rule: BoilerplateRule,
    block_triples: int = BLOCK_TRIPLES,
) -> IntArray:
    """Indices (into the unique keys) of the candidate keys judged boilerplate.

    A document's keys are distinct (one row per key it holds), so a key's count
    ``df`` is the number of documents holding it.

    The rows the rule looks at (every key of every document of a group) are
    reduced to a few numbers per (group, document) pair ``block_triples`` rows at
    a time (:mod:`newsingest.matching._rule_blocks`). The rounds then work on the
    terms of every pair at once, as decisions in one group depend on those in
    others. The result does not depend on ``block_triples``.
    """
    n_keys = len(key_words)
    ends = np.cumsum(lengths)

    # Candidate (key, doc) pairs, grouped by key; doc order inside a key is kept.
    c_pos = np.flatnonzero(is_cand[kid])
    c_key = kid[c_pos]
    c_doc = np.searchsorted(ends, c_pos, side="right").astype(np.int64)
    del c_pos
    order = np.argsort(c_key, kind="stable")
    c_key, c_doc = c_key[order], c_doc[order]
    del order

    # Keys with one exact document set form one group, decided once: the set is
    # identified by two independent 64-bit sums of mixed doc ids (plus its size).
    starts, run_len = equal_runs(c_key)
    run_key = c_key[starts]
    del c_key
    udoc = c_doc.astype(np.uint64)
    h1 = np.add.reduceat(_mix64(udoc, 1), starts)
    h2 = np.add.reduceat(_mix64(udoc, 2), starts)
    del udoc
    sig = np.stack([h1, h2, run_len.astype(np.uint64)], axis=1)
    del h1, h2
    _, rep_run, group_of_run = np.unique(sig, axis=0, return_index=True, return_inverse=True)
    del sig
    group_of_run = group_of_run.reshape(-1)
    group_size = run_len[rep_run]

    # (group, doc) pairs from each group's representative key, grouped by group.
    pair_group, pair_pos = expand_ranges(starts[rep_run], group_size)
    pairs = Pairs(
        group=pair_group,
        doc=c_doc[pair_pos],
        group_size=group_size,
        kid=kid,
        offsets=offsets,
        lengths=lengths,
        df=df,
    )
    del c_doc, pair_pos, starts, run_len, rep_run

    n_pairs = len(pair_group)
    shared, fixed_own, var_pair, var_key = pair_terms(
        pairs,
        key_words=key_words,
        is_cand=is_cand,
        block_fraction=rule.block_fraction,
        limit=block_triples,
    )
    del pairs
    var_words = key_words[var_key].astype(np.float64)

    def judge(bp: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
        own = fixed_own + np.bincount(var_pair, weights=var_words * ~bp[var_key], minlength=n_pairs)
        substantial = rule.substantial(own, shared)
        hits = np.bincount(pair_group, weights=substantial, minlength=len(group_size))
        bp_group = hits >= rule.many_fraction * group_size
        out = np.zeros(n_keys, dtype=bool)
        out[run_key] = bp_group[group_of_run]
        return out

    # Starting from "all candidates", the even rounds shrink and the odd rounds
    # grow; at a fixpoint or a two-cycle the smaller of the last two sets wins.
    previous = is_cand.copy()
    current = judge(previous)
    for _ in range(rule.max_rounds):
        following = judge(current)
        if np.array_equal(following, current) or np.array_equal(following, previous):
            previous = following
            break
        previous, current = current, following
    return np.flatnonzero(previous & current).astype(np.int64)


def strip_boilerplate(article: Article, model: BoilerplateModel) -> Article:
    """The article without its boilerplate paragraphs, each recorded in ``dropped``.

    The title is never stripped. When every paragraph is boilerplate the body is
    kept and a note says so: a document made only of repeated text stays a document.
    """
    if not model.boilerplate or not article.paragraphs:
        return article
    return strip_by_keys(article, key_paragraphs(article.paragraphs), model.boilerplate)


def strip_by_keys(article: Article, keys: IntArray, boilerplate: frozenset[int]) -> Article:
    """:func:`strip_boilerplate` with the paragraph keys already computed (``key_paragraphs``)."""
    if not boilerplate or not article.paragraphs:
        return article
    return drop_paragraphs(article, [k in boilerplate for k in keys[0].tolist()])


def stripped_text(article: Article, hits: Sequence[bool]) -> str:
    """``drop_paragraphs(article, hits).text``, without building the stripped article."""
    if not any(hits) or all(hits):
        return article.text
    body = "\n\n".join(p for p, hit in zip(article.paragraphs, hits, strict=True) if not hit)
    return f"{article.title}\n\n{body}" if article.title else body


def stripped_texts(
    articles: Sequence[Article], keys: IntArray, lengths: IntArray, boilerplate: IntArray
) -> list[str]:
    """Each article's text without its boilerplate paragraphs, no stripped article built.

    ``keys`` holds the articles' paragraph keys one article after another,
    ``lengths[d]`` each, as :func:`paragraph_hits` takes them.
    """
    hits = paragraph_hits(keys, lengths, boilerplate)
    return [stripped_text(a, hits[d]) if d in hits else a.text for d, a in enumerate(articles)]


def drop_paragraphs(article: Article, hits: Sequence[bool]) -> Article:
    """The article without the paragraphs marked in ``hits``, each recorded in ``dropped``.

    If every paragraph is marked, the body is kept and a note says so.
    """
    if not any(hits):
        return article
    if all(hits):
        if ALL_BOILERPLATE_NOTE in article.notes:
            return article
        return attrs.evolve(article, notes=(*article.notes, ALL_BOILERPLATE_NOTE))
    pairs = list(zip(article.paragraphs, hits, strict=True))
    kept = tuple(p for p, hit in pairs if not hit)
    dropped = tuple(DroppedLine(text=p, reason=DROP_REASON) for p, hit in pairs if hit)
    return attrs.evolve(article, paragraphs=kept, dropped=(*article.dropped, *dropped))
