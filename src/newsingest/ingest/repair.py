"""Repair stage: conservative, meaning-preserving text repair with ftfy, behind a proven fast path.

ftfy runs at a few MB/s per core; nearly all news text needs nothing but (at most) Unicode
normalisation. :func:`needs_repair` is a screen built from C-speed checks that returns False
only when ftfy, run with our configuration, would provably return the text unchanged except for
normalisation. :func:`repair_text` then normalises the text itself and skips ftfy; otherwise it
runs ftfy on exactly the segments (lines) ``ftfy.fix_text`` would, so its output is always
identical to ``ftfy.fix_text(text, config=ftfy_config(config))`` — a property the tests check.

Why the screen is sound, fixer by fixer (ftfy 6.x, ``fix_and_explain``):

* ``unescape_html`` substitutes matches of ``ftfy.chardata.HTML_ENTITY_RE``: we search that regex.
* ``fix_encoding`` (with its sub-steps ``restore_byte_a0``, ``replace_lossy_sequences``,
  ``decode_inconsistent_utf8`` and the in-step C1 fix) returns the text untouched unless
  ``ftfy.badness.is_bad`` is true. ``is_bad`` is a regex search; we read ftfy's own regex at
  import time and, for each of its alternatives, pick one required character class (the rarest
  in clean text: never curly apostrophes, dashes or lowercase accented letters). Every match
  contains a character of the union of those classes, so a text with none of them is not bad;
  when one occurs we run ftfy's regex (made ``MULTILINE``, a superset that also covers per-line
  segments) on a window around it, as wide as the longest possible match. If the regex ever
  holds a construct this analysis does not understand, the screen falls back to a full search.
* ``fix_c1_controls``, ``fix_line_breaks``, ``fix_surrogates``, ``remove_terminal_escapes``,
  ``remove_control_chars`` act only on the characters listed in :data:`_HARD_TRIGGERS`, which is
  built from ftfy's tables (``CONTROL_CHARS``, ``C1_CONTROL_RE``) plus the line breaks and
  surrogates that ftfy's functions name literally.
* ftfy repeats its fixers until nothing changes, and normalisation can create characters (NFC
  composes ``A`` + U+0302 into ``Â``; U+037E becomes ``;``). So the normalised text is screened
  too: when both pass, ftfy's first round yields the normalised text and its second changes
  nothing.

Configuration decisions (see :func:`ftfy_config`): ``unescape_html`` is ``True``, not ftfy's
``"auto"``, because extracted news text holds entity residue next to literal ``<`` (Reuters
``&lt;``); the Reuters end marker ``&#3;`` is unescaped to U+0003, which is not a character
ftfy keeps, so it disappears. ``uncurl_quotes``, ``fix_latin_ligatures`` and
``fix_character_width`` are off: they change how stored text looks (curly quotes, the Dutch
``ĳ``, fullwidth CJK punctuation) rather than repair it; fingerprinting folds them anyway.
"""

from __future__ import annotations

import functools
import importlib
import re
import unicodedata
from collections.abc import Iterator
from typing import Any, Literal, cast

import attrs
import ftfy
import ftfy.badness
import ftfy.chardata
import ftfy.fixes

from newsingest.config import RepairConfig
from newsingest.records import Article, Fix

__all__ = ["ftfy_config", "needs_repair", "repair_article", "repair_text"]

# The regex parser behind ``re``: how ftfy's badness regex is read, without stubs for mypy.
sre_parse: Any = importlib.import_module("re._parser")
sre_constants: Any = importlib.import_module("re._constants")
_DEFAULT = RepairConfig()

NormalForm = Literal["NFC", "NFD", "NFKC", "NFKD"]

# ftfy's fixers that change single characters, and the characters they act on. Control
# characters come from ftfy's own table; the rest are named literally in ftfy.fixes.
_LINE_BREAKS = "\r\u2028\u2029\x85"
_SURROGATES = "\ud800-\udfff"
_C1 = "\x80-\x9f"
_ESCAPE = "\x1b"  # starts every terminal escape sequence


def _class_of(chars: set[str]) -> str:
    """A regex character class body matching exactly ``chars``."""
    return "".join(re.escape(c) for c in sorted(chars))


_HARD_TRIGGERS = (
    _class_of({chr(c) for c in ftfy.chardata.CONTROL_CHARS} | set(_LINE_BREAKS) | {_ESCAPE})
    + _C1
    + _SURROGATES
)


# --- the is_bad screen, derived from ftfy's badness regex ---------------------------------

_COMMON_PUNCTUATION = set(
    "\u2018\u2019\u201c\u201d\u2013\u2014\u2026\u00a3\u20ac\u00ab\u00bb\u00a0\u00b0\u00b7"
)


def _char_cost(char: str) -> int:
    """How costly it is to screen on ``char``: very for ASCII, more for letters and quotes."""
    if char.isascii():
        return 10**9
    if unicodedata.category(char).startswith("L") or char in _COMMON_PUNCTUATION:
        return 1000
    return 1


def _charset(op: Any, av: Any) -> set[str] | None:
    """The finite set of characters one regex item matches, or None if not a plain set."""
    if op is sre_constants.LITERAL:
        return {chr(av)}
    if op is sre_constants.IN:
        chars: set[str] = set()
        for item_op, item_av in av:
            if item_op is sre_constants.LITERAL:
                chars.add(chr(item_av))
            elif item_op is sre_constants.RANGE:
                chars.update(map(chr, range(item_av[0], item_av[1] + 1)))
            else:  # NEGATE, CATEGORY (\s, \w): not a finite set we can screen on
                return None
        return chars
    return None


_CATEGORY_TEXT = {
    sre_constants.CATEGORY_SPACE: r"\s",
    sre_constants.CATEGORY_NOT_SPACE: r"\S",
    sre_constants.CATEGORY_WORD: r"\w",
    sre_constants.CATEGORY_NOT_WORD: r"\W",
    sre_constants.CATEGORY_DIGIT: r"\d",
    sre_constants.CATEGORY_NOT_DIGIT: r"\D",
}


def _item_text(op: Any, av: Any) -> str:
    """Regex text for one parsed single-character item (KeyError/ValueError if not one)."""
    if op is sre_constants.LITERAL:
        return re.escape(chr(av))
    if op is sre_constants.NOT_LITERAL:
        return f"[^{re.escape(chr(av))}]"
    if op is sre_constants.ANY:
        return "."
    if op is sre_constants.AT and av is sre_constants.AT_BEGINNING:
        return "^"
    if op is sre_constants.AT and av is sre_constants.AT_END:
        return "$"
    if op is not sre_constants.IN:
        raise ValueError(op)
    parts = []
    for item_op, item_av in av:
        if item_op is sre_constants.NEGATE:
            parts.append("^")
        elif item_op is sre_constants.LITERAL:
            parts.append(re.escape(chr(item_av)))
        elif item_op is sre_constants.RANGE:
            parts.append(f"{re.escape(chr(item_av[0]))}-{re.escape(chr(item_av[1]))}")
        else:
            parts.append(_CATEGORY_TEXT[item_av])
    return f"[{''.join(parts)}]"


def _expand_alternative(alternative: Any) -> list[list[tuple[Any, Any]]]:
    """The alternative as plain sequences of single-character items ('x?' gives two)."""
    sequences: list[list[tuple[Any, Any]]] = [[]]
    for op, av in alternative.data:
        if op is sre_constants.MAX_REPEAT and len(av[2].data) == 1 and av[1] <= 4:
            item = av[2].data[0]
            counts = range(av[0], av[1] + 1)
            sequences = [seq + [item] * n for seq in sequences for n in counts]
        else:
            sequences = [[*seq, (op, av)] for seq in sequences]
    return sequences


def _rotate(sequence: list[tuple[Any, Any]]) -> tuple[set[str], str]:
    """(anchor characters, regex text that matches just after an anchor character).

    A match ``P a S`` of the sequence, ``a`` its rarest required character, is found as
    ``a(?<=P a)S``: a regex that starts with a character class, which Python's regex engine
    scans for in C before trying anything else.
    """
    costs = [
        (sum(map(_char_cost, chars)), i)
        for i, (op, av) in enumerate(sequence)
        if (chars := _charset(op, av))
    ]
    if not costs:
        raise ValueError("no anchor")
    _, index = min(costs)
    anchor = cast(set[str], _charset(*sequence[index]))
    if any(c.isascii() for c in anchor):
        raise ValueError("ASCII anchor")
    prefix = "".join(_item_text(*item) for item in sequence[: index + 1])
    suffix = "".join(_item_text(*item) for item in sequence[index + 1 :])
    return anchor, f"(?<={prefix}){suffix}"


def _build_bad_screen() -> re.Pattern[str] | None:
    """ftfy's badness regex, rewritten to scan for rare characters first (None: cannot)."""
    pattern = ftfy.badness.BADNESS_RE
    tree = sre_parse.parse(pattern.pattern, pattern.flags)
    data = tree.data
    alternatives = (
        data[0][1][1] if len(data) == 1 and data[0][0] is sre_constants.BRANCH else [tree]
    )
    anchors: set[str] = set()
    rotated = []
    try:
        for alternative in alternatives:
            for sequence in _expand_alternative(alternative):
                chars, text = _rotate(sequence)
                anchors |= chars
                rotated.append(text)
        return re.compile(f"[{_class_of(anchors)}](?:{'|'.join(rotated)})", re.MULTILINE)
    except (KeyError, ValueError, re.error):
        return None


# MULTILINE only adds matches ('^' after a newline), so a text that passes is also clean line by
# line, which is how ftfy.fix_text sees it.
_BAD_RE = re.compile(ftfy.badness.BADNESS_RE.pattern, ftfy.badness.BADNESS_RE.flags | re.MULTILINE)
_BAD_SCREEN_RE = _build_bad_screen() or _BAD_RE


def _maybe_bad(text: str) -> bool:
    """False only if ``ftfy.badness.is_bad`` is false for the text and for each of its lines."""
    return _BAD_SCREEN_RE.search(text) is not None


# --- configuration -------------------------------------------------------------------------


@functools.cache
def ftfy_config(config: RepairConfig = _DEFAULT) -> ftfy.TextFixerConfig:
    """The explicit ftfy configuration a :class:`RepairConfig` stands for."""
    return ftfy.TextFixerConfig(
        unescape_html=config.unescape_html,
        remove_terminal_escapes=True,
        fix_encoding=config.fix_encoding,
        restore_byte_a0=True,
        replace_lossy_sequences=True,
        decode_inconsistent_utf8=True,
        fix_c1_controls=True,
        fix_latin_ligatures=False,
        fix_character_width=False,
        uncurl_quotes=False,
        fix_line_breaks=config.fix_line_breaks,
        fix_surrogates=True,
        remove_control_chars=config.remove_control_chars,
        normalization=cast("NormalForm | None", config.normalization),
        explain=True,
    )


@functools.cache
def _screens(
    config: RepairConfig,
) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str] | None]:
    """(ASCII character screen, non-ASCII character screen, HTML entity screen or None).

    Entities get their own pattern: an alternation next to a character class
    stops the regex engine's fast scan for the class and costs twice as much.
    """
    entity = re.compile(ftfy.chardata.HTML_ENTITY_RE.pattern) if config.unescape_html else None
    ascii_hard = "".join(c for c in _class_of({chr(c) for c in ftfy.chardata.CONTROL_CHARS}))
    ascii_re = re.compile(f"[{ascii_hard}\r{re.escape(_ESCAPE)}]")
    return ascii_re, re.compile(f"[{_HARD_TRIGGERS}]"), entity


def _screen_hits(text: str, config: RepairConfig) -> bool:
    _, hard_re, entity_re = _screens(config)
    if entity_re is not None and "&" in text and entity_re.search(text):
        return True
    if text.isascii():
        # The ASCII screen as a byte deletion: five times faster than its regex
        # (tested equal), and most news text is ASCII.
        data = text.encode("ascii")
        return len(data.translate(None, _ASCII_HARD_BYTES)) != len(data)
    if hard_re.search(text):
        return True
    return config.fix_encoding and _maybe_bad(text)


_ASCII_HARD_BYTES = bytes(
    sorted(c for c in {*ftfy.chardata.CONTROL_CHARS, ord("\r"), ord(_ESCAPE)} if c < 0x80)
)
"""The ASCII characters the ASCII screen (``_screens()[0]``) matches, as bytes."""


def needs_repair(text: str, config: RepairConfig = _DEFAULT) -> bool:
    """False only when ftfy with ``config`` would return ``text`` merely normalised.

    Cheap: ``str.isascii``, a character-class search, and ftfy's badness regex on a few short
    windows around rare characters. Also False means the same for every line of ``text``.
    """
    if _screen_hits(text, config):
        return True
    form = cast("NormalForm | None", config.normalization)
    if form is None or text.isascii() or unicodedata.is_normalized(form, text):
        return False
    return _screen_hits(unicodedata.normalize(form, text), config)


# --- repair ---------------------------------------------------------------------------------


def _iter_segments(text: str, max_length: int) -> Iterator[str]:
    """The pieces ``ftfy.fix_text`` fixes independently: lines, cut at ``max_length``."""
    pos = 0
    while pos < len(text):
        end = text.find("\n", pos) + 1 or len(text)
        end = min(end, pos + max_length)
        yield text[pos:end]
        pos = end


def _normalize(text: str, config: RepairConfig) -> tuple[str, list[tuple[str, str]]]:
    form = cast("NormalForm | None", config.normalization)
    if form is None or text.isascii() or unicodedata.is_normalized(form, text):
        return text, []
    fixed = unicodedata.normalize(form, text)
    return fixed, ([("normalize", form)] if fixed != text else [])


# ftfy 6's fixer order after unescape_html and fix_encoding (ftfy.fix_and_explain), each with
# a C-speed test that is false only when the fixer cannot change the text.
_CONTROL_RE = re.compile(f"[{_class_of({chr(c) for c in ftfy.chardata.CONTROL_CHARS})}]")
_SURROGATE_RE = re.compile(f"[{_SURROGATES}]")
_FIXER_GUARDS: tuple[tuple[str, Any], ...] = (
    ("fix_c1_controls", lambda t: not t.isascii() and ftfy.chardata.C1_CONTROL_RE.search(t)),
    ("fix_latin_ligatures", lambda _t: True),  # disabled by ftfy_config; kept for the order
    ("fix_character_width", lambda _t: True),
    ("uncurl_quotes", lambda _t: True),
    ("fix_line_breaks", lambda t: any(c in t for c in _LINE_BREAKS)),
    ("fix_surrogates", lambda t: not t.isascii() and _SURROGATE_RE.search(t)),
    ("remove_terminal_escapes", lambda t: _ESCAPE in t),
    ("remove_control_chars", _CONTROL_RE.search),
)
_EMULATE_LOOP = ftfy.__version__.startswith("6.")


def _repair_cheaply(text: str, config: RepairConfig) -> tuple[str, list[tuple[str, str]]] | None:
    """ftfy's result for ``text`` (and for each of its lines), or None if ftfy must run.

    Text that passes :func:`needs_repair` is only normalised. Otherwise ftfy's fixing loop
    is replayed with ftfy's own fixer functions, as long as ``fix_encoding`` provably does
    nothing in every round (the mojibake screen stays quiet); ftfy runs only when it might.
    Every fixer here acts within a line, so a whole text gives the same result as ftfy's
    line-by-line ``fix_text``.
    """
    if not needs_repair(text, config):
        return _normalize(text, config)
    if not _EMULATE_LOOP:
        return None
    fixer_config = ftfy_config(config)
    steps: list[tuple[str, str]] = []
    while True:
        before = text
        if config.unescape_html and "&" in text:
            fixed = ftfy.fixes.unescape_html(text)
            if fixed != text:
                steps.append(("apply", "unescape_html"))
                text = fixed
        unescaped = text
        if config.fix_encoding and not text.isascii() and _maybe_bad(text):
            return None
        for name, guard in _FIXER_GUARDS:
            if getattr(fixer_config, name) and guard(text):
                fixed = ftfy.FIXERS[name](text)
                if fixed != text:
                    steps.append(("apply", name))
                    text = fixed
        text, normalize_steps = _normalize(text, config)
        steps.extend(normalize_steps)
        # Another round would skip the entities (none left) and repeat every later
        # step on the text they just left unchanged: ftfy's loop would stop there.
        if text == before or (text == unescaped and "&" not in text):
            return text, steps


def _repair_segment(text: str, config: RepairConfig) -> tuple[str, list[tuple[str, str]]]:
    if config.fast_path:
        cheap = _repair_cheaply(text, config)
        if cheap is not None:
            return cheap
    fixed, explanation = ftfy.fix_and_explain(text, ftfy_config(config))
    return fixed, [(step[0], step[1]) for step in explanation or ()]


def repair_text(
    text: str, config: RepairConfig = _DEFAULT, *, field: str = "text"
) -> tuple[str, tuple[Fix, ...]]:
    """Repair ``text`` exactly as ``ftfy.fix_text`` with :func:`ftfy_config` would.

    Returns the text and the distinct fixes that ran, in ftfy's explanation vocabulary
    (``("apply", "unescape_html")``, ``("encode", "sloppy-windows-1252")``,
    ``("normalize", "NFC")``...), each tagged with ``field``. ftfy fixes line by line and the
    fast path may fix a whole text at once, so the steps are merged and listed in pipeline
    order (entities, mojibake steps as first seen, other fixers, normalisation): the same
    list whichever path ran.

    >>> repair_text("It\u00e2\u20ac\u2122s")[0]
    'It’s'
    """
    if config.fast_path and text.isascii() and not _screen_hits(text, config):
        return text, ()  # the common case, in short: clean ASCII, which NFC leaves alone
    max_length = ftfy_config(config).max_decode_length
    result = None
    if config.fast_path and len(text) <= max_length:
        result = _repair_cheaply(text, config)
    if result is None:
        pieces = []
        steps: list[tuple[str, str]] = []
        for segment in _iter_segments(text, max_length):
            piece, segment_steps = _repair_segment(segment, config)
            pieces.append(piece)
            steps.extend(segment_steps)
        result = "".join(pieces), steps
    fixed, all_steps = result
    unique = sorted(dict.fromkeys(all_steps), key=_step_rank)
    return fixed, tuple(Fix(field=field, action=a, parameter=p) for a, p in unique)


_FIXER_RANK = {name: rank for rank, (name, _) in enumerate(_FIXER_GUARDS, start=2)}


def _step_rank(step: tuple[str, str]) -> int:
    """Where a step sits in ftfy's pipeline: entities, encoding, fixers, normalisation."""
    action, parameter = step
    if action == "apply" and parameter == "unescape_html":
        return 0
    if action == "apply" and parameter in _FIXER_RANK:
        return _FIXER_RANK[parameter]
    if action == "normalize":
        return 100
    return 1  # encode / transcode / decode / decode_inconsistent_utf8: the mojibake fix


def repair_article(article: Article, config: RepairConfig = _DEFAULT) -> Article:
    """Repair title, byline and each paragraph; record the fixes per field.

    Fields are named ``"title"``, ``"byline"`` and ``"paragraphs[i]"``, ``i`` counting the
    paragraphs of the article given (0-based). Paragraphs are repaired one by one, never
    merged; a paragraph repair leaves blank (Reuters' lone ``&#3;``) or splits with a blank
    line is then handled by :class:`Article`'s own paragraph invariant.
    """
    if config.fast_path:
        # One screen over the whole article: most articles need nothing, and a
        # clean joined text means every line of it is clean (the screen is per line).
        parts = [p for p in (article.title, article.byline) if p]
        joined = "\n".join([*parts, *article.paragraphs])
        form = cast("NormalForm | None", config.normalization)
        if not needs_repair(joined, config) and (
            form is None or joined.isascii() or unicodedata.is_normalized(form, joined)
        ):
            return article
    fixes: list[Fix] = []

    def repair_field(value: str | None, field: str) -> str | None:
        if value is None:
            return None
        fixed, field_fixes = repair_text(value, config, field=field)
        fixes.extend(field_fixes)
        return fixed

    title = repair_field(article.title, "title")
    byline = repair_field(article.byline, "byline")
    paragraphs = tuple(
        cast(str, repair_field(p, f"paragraphs[{i}]")) for i, p in enumerate(article.paragraphs)
    )
    return attrs.evolve(
        article,
        title=title,
        byline=byline,
        paragraphs=paragraphs,
        fixes=article.fixes + tuple(fixes),
    )
