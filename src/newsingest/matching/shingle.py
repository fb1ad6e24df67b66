"""Text simplification and shingling: the plain-Python reference for fingerprints.

Simplification is aggressive and only ever used for hashing, never stored:
NFKC, casefold, then every character is put in one class (see
:func:`char_classes`):

* separators — whitespace, punctuation, symbols, controls: end the current token;
* dropped — format characters (soft hyphen, zero-width space/joiners, BOM, bidi
  marks): removed as if absent, so ``con\\u00adtent`` is ``content``;
* word characters — letters and digits (digits are kept: templated earnings and
  sports reports differ mostly in their numbers), Hangul included (written with
  spaces), unassigned and private-use code points;
* marks — combining marks continue the current token (or start a word);
* CJK — Han, Hiragana, Katakana, Bopomofo: each character is its own token;
* SEA — Thai, Lao, Khmer, Myanmar letters: each letter with its combining marks
  (vowel signs, tone marks) is its own token.

The simplified text is the tokens joined by single spaces. A shingle is a run of
tokens joined by single spaces; its length is chosen by its *first* token:
``shingle_size`` for words, ``cjk_shingle_size`` for CJK characters and
``2 * cjk_shingle_size`` for SEA clusters (a Thai letter carries far less than a
Han character: three of them would make unrelated Thai articles look alike).
There is one shingle per token position whose window fits in the text, so
mixed-script text needs no special case. A text where no window fits (e.g.
fewer words than ``shingle_size``) has one shingle made of all its tokens; an
empty text has none.

:mod:`newsingest.matching._kernels` implements the same definition on UTF-8 bytes; the
tests check that both agree.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator

import attrs
import numpy as np
import numpy.typing as npt

from newsingest.config import FingerprintConfig

__all__ = [
    "DEFAULT_CONFIG",
    "SIMPLIFIER_VERSION",
    "ShingledText",
    "char_classes",
    "find_shared_passages",
    "find_shared_spans",
    "iter_shingle_ranges",
    "iter_shingles",
    "shingle_set",
    "shingle_text",
    "simplify_text",
    "simplify_tokens",
    "token_spans",
]

DEFAULT_CONFIG = FingerprintConfig()

SIMPLIFIER_VERSION = "nfkc-casefold-1"
"""Bump whenever the simplification or the tokenisation changes."""

SEP, DROP, WORD, MARK, CJK, SEA = 0, 1, 2, 3, 4, 5
SEA_FACTOR = 2
"""SEA clusters per shingle = ``SEA_FACTOR * cjk_shingle_size``."""

_CJK_RANGES = (
    (0x3005, 0x3007),  # iteration mark, closing mark, ideographic zero
    (0x3021, 0x3029),  # Hangzhou numerals
    (0x3031, 0x3035),  # kana repeat marks
    (0x3038, 0x303C),
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3100, 0x312F),  # Bopomofo
    (0x31A0, 0x31BF),
    (0x31F0, 0x31FF),  # Katakana phonetic extensions
    (0x3400, 0x4DBF),  # Han extension A
    (0x4E00, 0x9FFF),  # Han
    (0xF900, 0xFAFF),  # compatibility ideographs
    (0xFF66, 0xFF9F),  # halfwidth Katakana
    (0x1B000, 0x1B16F),  # kana supplement / extended
    (0x20000, 0x323AF),  # Han extensions B..H
)
_SEA_RANGES = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x19E0, 0x19FF),  # Khmer symbols
    (0xA9E0, 0xA9FF),  # Myanmar extended B
    (0xAA60, 0xAA7F),  # Myanmar extended A
)


_CLASSIFIED_PLANES = ((0, 0x32400), (0xE0000, 0xE0200))


def _in_ranges(cp: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(lo <= cp <= hi for lo, hi in ranges)


def _classify(cp: int) -> int:
    ch = chr(cp)
    if ch.isspace():
        return SEP
    cat = unicodedata.category(ch)
    if cat == "Cf":
        return DROP
    if cat[0] in "PSZ" or cat in ("Cc", "Cs"):
        return SEP
    if cat[0] == "M":
        return MARK
    if (cat[0] == "L" or cat == "Nl") and _in_ranges(cp, _CJK_RANGES):
        return CJK
    if cat in ("Lo", "Lm") and _in_ranges(cp, _SEA_RANGES):
        return SEA
    return WORD


_CATEGORIES = (
    *("Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps", "Pe"),
    *("Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn"),
)
_CATEGORY_CODE = {cat: code for code, cat in enumerate(_CATEGORIES)}


def _category_masks(cats: tuple[str, ...]) -> npt.NDArray[np.bool_]:
    return np.array([cat in cats for cat in _CATEGORIES])


def _mask_ranges(
    cps: npt.NDArray[np.int64], ranges: tuple[tuple[int, int], ...]
) -> npt.NDArray[np.bool_]:
    mask = np.zeros(cps.shape, dtype=bool)
    for lo, hi in ranges:
        mask |= (cps >= lo) & (cps <= hi)
    return mask


def _classify_block(lo: int, hi: int) -> npt.NDArray[np.uint8]:
    """:func:`_classify` of every code point in ``[lo, hi)``, with C-level loops only."""
    chars = "".join(map(chr, range(lo, hi)))
    codes = np.fromiter(
        map(_CATEGORY_CODE.__getitem__, map(unicodedata.category, chars)),
        dtype=np.uint8,
        count=hi - lo,
    )
    cps = np.arange(lo, hi, dtype=np.int64)
    classes = np.full(hi - lo, WORD, dtype=np.uint8)
    classes[_category_masks(("Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po"))[codes]] = SEP
    classes[_category_masks(("Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cs"))[codes]] = SEP
    classes[_category_masks(("Mn", "Mc", "Me"))[codes]] = MARK
    sea = _category_masks(("Lo", "Lm"))[codes] & _mask_ranges(cps, _SEA_RANGES)
    classes[sea] = SEA
    cjk_cats = _category_masks(("Lu", "Ll", "Lt", "Lm", "Lo", "Nl"))[codes]
    classes[cjk_cats & _mask_ranges(cps, _CJK_RANGES)] = CJK
    classes[_category_masks(("Cf",))[codes]] = DROP
    classes[np.fromiter(map(str.isspace, chars), dtype=bool, count=hi - lo)] = SEP
    return classes


@functools.cache
def char_classes() -> npt.NDArray[np.uint8]:
    """The class of every code point (``SEP`` .. ``SEA``), read-only, shared with the kernel."""
    table = np.full(0x110000, WORD, dtype=np.uint8)
    # Beyond these planes only unassigned and private-use code points (WORD) remain.
    for lo, hi in _CLASSIFIED_PLANES:
        table[lo:hi] = _classify_block(lo, hi)
    table.setflags(write=False)
    return table


def _class_ranges(table: npt.NDArray[np.uint8], classes: tuple[int, ...]) -> str:
    """A regex character-class body matching every code point in ``classes``."""
    mask = np.isin(table, classes).astype(np.int8)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask, [0]))))
    return "".join(
        f"{re.escape(chr(lo))}-{re.escape(chr(hi - 1))}"
        for lo, hi in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True)
    )


@functools.cache
def _tables() -> tuple[dict[int, str | None], re.Pattern[str]]:
    table = char_classes()
    translation: dict[int, str | None] = dict.fromkeys(np.flatnonzero(table == SEP).tolist(), " ")
    translation.update(dict.fromkeys(np.flatnonzero(table == DROP).tolist()))
    clusters = re.compile(f"[{_class_ranges(table, (CJK, SEA))}][{_class_ranges(table, (MARK,))}]*")
    return translation, clusters


def normalize_text(text: str) -> str:
    """NFKC then casefold: the code-point level part of simplification."""
    return unicodedata.normalize("NFKC", text).casefold()


def simplify_tokens(text: str) -> list[str]:
    """The tokens of ``text`` after simplification (see the module docstring)."""
    translation, clusters = _tables()
    simple = normalize_text(text).translate(translation)
    if simple and max(simple) >= "\u0e00":
        simple = clusters.sub(r" \g<0> ", simple)
    return simple.split()


def simplify_text(text: str) -> str:
    """The text as hashed: tokens joined by single spaces.

    >>> simplify_text("“Don’t” — he said…\\nTwice!")
    'don t he said twice'
    """
    return " ".join(simplify_tokens(text))


def _window(first_token: str, config: FingerprintConfig) -> int:
    kind = int(char_classes()[ord(first_token[0])])
    if kind == CJK:
        return config.cjk_shingle_size
    if kind == SEA:
        return SEA_FACTOR * config.cjk_shingle_size
    return config.shingle_size


def iter_shingle_ranges(tokens: list[str], config: FingerprintConfig) -> Iterator[tuple[int, int]]:
    """Yield ``(start, stop)`` token index ranges of the shingles, in text order (repeats kept)."""
    n = len(tokens)
    # Every CJK and SEA character lies above U+0E00: below it each window is
    # shingle_size tokens, with no per-token lookup.
    if not tokens or max(t[0] for t in tokens) < "\u0e00":
        k = config.shingle_size
        if 0 < n < k:
            yield 0, n
        for start in range(n - k + 1):
            yield start, start + k
        return
    found = False
    for start, token in enumerate(tokens):
        stop = start + _window(token, config)
        if stop <= n:
            found = True
            yield start, stop
    if not found:
        yield 0, n


def iter_shingles(text: str, config: FingerprintConfig = DEFAULT_CONFIG) -> Iterator[str]:
    """Yield the shingles of ``text`` in text order, repeats included."""
    tokens = simplify_tokens(text)
    for start, stop in iter_shingle_ranges(tokens, config):
        yield " ".join(tokens[start:stop])


def shingle_set(text: str, config: FingerprintConfig = DEFAULT_CONFIG) -> set[str]:
    """The set of shingles of ``text``: what a MinHash signature summarises."""
    return set(iter_shingles(text, config))


# token_spans' fast path: one class letter per character (str.translate keeps
# the offsets), then one regex finds the tokens.
_WORD_CH, _SEP_CH, _DROP_CH, _ALONE_CH, _SLOW_CH = "w", " ", "d", "c", "x"
_TOKEN = re.compile(r"c|w(?:d*w)*")
# Filled in as texts bring new code points, so each is classified once.
_span_classes: dict[int, str] = {
    cp: _WORD_CH if chr(cp).isalnum() else _SEP_CH for cp in range(128)
}


def _span_class(ch: str) -> str:
    """How one character tokenises on its own, or ``x`` when it needs the slow path.

    Combining marks attach to their neighbours and compatibility characters such
    as ``½`` normalise to several classes; both take the character-by-character
    path.
    """
    if unicodedata.category(ch)[0] == "M":
        return _SLOW_CH
    table = char_classes()
    kinds = [int(table[ord(c)]) for c in normalize_text(ch)]
    if not kinds or all(k == DROP for k in kinds):
        return _DROP_CH
    if all(k == SEP for k in kinds):
        return _SEP_CH
    if kinds[0] == WORD and all(k in (WORD, MARK) for k in kinds):
        return _WORD_CH
    if len(kinds) == 1 and kinds[0] in (CJK, SEA):
        return _ALONE_CH
    return _SLOW_CH


def token_spans(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` character span in ``text`` of each token of :func:`simplify_tokens`.

    Each base character and its combining marks are normalised on their own, so
    the count matches the tokens except when normalisation joins characters
    across such clusters (conjoining Hangul jamo); callers should check.
    """
    for cp in set(map(ord, text)).difference(_span_classes):
        _span_classes[cp] = _span_class(chr(cp))
    kinds = text.translate(_span_classes)
    if _SLOW_CH in kinds:
        return _token_spans_by_character(text)
    return [m.span() for m in _TOKEN.finditer(kinds)]


def _token_spans_by_character(text: str) -> list[tuple[int, int]]:
    """:func:`token_spans` one character cluster at a time: the definition, for any text."""
    table = char_classes()
    spans: list[tuple[int, int]] = []
    current = -1  # class of the open token, -1 when none
    starts = [i for i, ch in enumerate(text) if i == 0 or unicodedata.category(ch)[0] != "M"]
    for seg_start, seg_end in zip(starts, [*starts[1:], len(text)][: len(starts)], strict=True):
        for ch in normalize_text(text[seg_start:seg_end]):
            kind = int(table[ord(ch)])
            if kind == SEP:
                current = -1
            elif kind == DROP:
                continue
            elif (kind == WORD and current != WORD) or kind in (CJK, SEA) or current == -1:
                spans.append((seg_start, seg_end))
                current = WORD if kind == MARK else kind
            else:
                spans[-1] = (spans[-1][0], seg_end)
    return spans


@attrs.frozen(kw_only=True)
class ShingledText:
    """One text's shingles, each with the token window it covers, and each token's span.

    Made once per text by :func:`shingle_text`, so that comparing one text with
    many others (a review page) tokenises each text only once.
    """

    windows: tuple[tuple[str, int, int], ...]
    """Each shingle with the token window ``[start, stop)`` it covers, in text order;
    empty when the token spans cannot be mapped back (see :func:`token_spans`)."""
    spans: tuple[tuple[int, int], ...]
    """Each token's character span (empty when ``windows`` is)."""
    shingles: frozenset[str]
    """The shingle set: :func:`shingle_set` of the text."""


def shingle_text(text: str, config: FingerprintConfig = DEFAULT_CONFIG) -> ShingledText:
    """The shingles of ``text`` with the characters each covers, for :func:`find_shared_spans`."""
    tokens = simplify_tokens(text)
    spans = token_spans(text)
    ranges = iter_shingle_ranges(tokens, config)
    if len(spans) != len(tokens):
        shingles = frozenset(" ".join(tokens[a:b]) for a, b in ranges)
        return ShingledText(windows=(), spans=(), shingles=shingles)
    windows = tuple((" ".join(tokens[a:b]), a, b) for a, b in ranges)
    return ShingledText(
        windows=windows, spans=tuple(spans), shingles=frozenset(w[0] for w in windows)
    )


def find_shared_spans(mine: ShingledText, theirs: ShingledText) -> list[tuple[int, int]]:
    """Character spans of ``mine``'s text covered by shingles that ``theirs`` also has.

    Shingles that overlap or touch at a token boundary are merged into one
    passage. Both must come from :func:`shingle_text` with the same config.
    """
    covered: list[tuple[int, int]] = []
    for shingle, start, stop in mine.windows:
        if shingle not in theirs.shingles:
            continue
        if covered and start <= covered[-1][1]:
            covered[-1] = (covered[-1][0], max(covered[-1][1], stop))
        else:
            covered.append((start, stop))
    return [(mine.spans[start][0], mine.spans[stop - 1][1]) for start, stop in covered]


def find_shared_passages(
    text: str, other: str, config: FingerprintConfig = DEFAULT_CONFIG
) -> list[tuple[int, int]]:
    """Character spans of ``text`` covered by shingles that ``other`` also has.

    Overlapping or touching shingles are merged into one passage; this is what
    an explanation of a duplicate decision shows. Returns ``[]`` if the token
    spans cannot be mapped back (see :func:`token_spans`).
    """
    return find_shared_spans(shingle_text(text, config), shingle_text(other, config))
