"""The plain-text layout: promo lines, a title, a date line and byline, then the body.

Blocks are separated by blank lines; inside a block, hard-wrapped lines are
re-joined (see :func:`split_paragraphs`), otherwise each line is a paragraph.
The first blocks are the head: up to ``ExtractConfig.max_promo_lines`` promo
lines, the title line, an optional date line and byline. JSON Lines text
fields are laid out the same way, so :mod:`.jsonl` splits them with
:func:`split_lines` and :func:`parse_byline` from here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from typing import NamedTuple

from newsingest.config import ExtractConfig
from newsingest.errors import ExtractError
from newsingest.ingest.dates import DateMatch, match_date_line, search_date
from newsingest.ingest.extract._common import build_article, normalize_lines
from newsingest.records import Article, DecodedText, DroppedLine, Fix

__all__ = [
    "MAX_TITLE_CHARS",
    "TYPICAL_WRAP_WIDTH",
    "WRAP_MAX_WIDTH",
    "Para",
    "extract_text",
    "parse_byline",
    "split_lines",
    "split_paragraphs",
]

MAX_TITLE_CHARS = 300
"""A longer first line is a paragraph, not a headline."""
WRAP_MAX_WIDTH = 120
"""Text whose longest line in a multi-line block exceeds this is never taken as hard-wrapped."""
TYPICAL_WRAP_WIDTH = 80
"""Up to this width one wrapped line is evidence enough; above it, two are needed."""
_MAX_PROMO_CHARS = 200
_MAX_BYLINE_CHARS = 150
_HEAD_EXTRA = 3
"""Blocks looked at after the promo lines: title, byline, date."""

_PROMO_RE = re.compile(
    r"\b(?:join\s+(?:our|us\s+(?:on|at|for|today|now))|subscribe|follow\s+us|click\s+here|sign\s+up|telegram"
    r"|newsletter|share\s+this|advertisement|like\s+us\s+on|download\s+(?:our|the)\s+app"
    r"|sponsored)\b",
    re.IGNORECASE,
)
# Each alternative of _PROMO_RE: its first word, and the phrase that must follow
# it (in lower case), if any. The word is a fast substring test; the phrase
# regex, with a literal prefix, runs only when the word is there.
_PROMO_HINTS: tuple[tuple[str, re.Pattern[str] | None], ...] = (
    ("join", re.compile(r"join\s+(?:our|us)")),
    ("subscribe", None),
    ("follow", re.compile(r"follow\s+us")),
    ("click", re.compile(r"click\s+here")),
    ("sign", re.compile(r"sign\s+up")),
    ("telegram", None),
    ("newsletter", None),
    ("share", re.compile(r"share\s+this")),
    ("advertisement", None),
    ("like", re.compile(r"like\s+us\s+on")),
    ("download", re.compile(r"download\s+(?:our|the)\s+app")),
    ("sponsored", None),
)
# The only non-ASCII characters re.IGNORECASE matches to ASCII letters (İ ı ſ K).
_FOLDS_TO_ASCII_RE = re.compile("[\u0130\u0131\u017f\u212a]")
_LIST_ITEM_RE = re.compile(r"\s*(?:[-*•·–—]\s|\d{1,3}[.)]\s|\(?[a-zA-Z]\)\s)")
_SENTENCE_ENDS = (".", "!", "?")
_PARA_ENDS = (".", "!", "?", ":", ";", "…")
_SENTENCE_CLOSERS = "\"'”’)"
_PARA_CLOSERS = "\"'”’)]"
_NAME_WORD = r"(?:[A-ZÀ-ÖØ-Þ][\w'’.-]*|de|da|van|von|der|den|del|la|le|di|bin|al|el)"
_NAME = rf"[A-ZÀ-ÖØ-Þ][\w'’.-]*(?:\s+{_NAME_WORD}){{0,4}}"
_NAMES_RE = re.compile(rf"{_NAME}(?:(?:\s*,\s*|\s+and\s+|\s*&\s*){_NAME})*")
_BY_RE = re.compile(r"by[:\s]\s*", re.IGNORECASE)
_BYLINE_SEP_RE = re.compile(r"\s*[|•·]\s*|\s+[–—-]\s+")


class Para(NamedTuple):
    """A paragraph of plain text, as :func:`split_lines` makes it."""

    text: str
    lines: int
    """Source lines it was made of: a title is always a single line."""


_new_para: Callable[[tuple[str, int]], Para] = functools.partial(tuple.__new__, Para)
"""``Para(text, lines)`` from a pair, without NamedTuple's Python-level ``__new__``."""


class _Head(NamedTuple):
    title: str | None
    date: DateMatch | None
    byline: str | None
    start: int
    dropped: list[DroppedLine]
    notes: list[str]


# ---------------------------------------------------------------------------
# lines and paragraphs


def _iter_blocks(lines: Sequence[str]) -> list[list[str]]:
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        if line:
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _may_be_promo(text: str) -> bool:
    """A cheap necessary condition for ``_PROMO_RE.search(text)``.

    Only four non-ASCII characters match ASCII letters under re.IGNORECASE;
    without them, ``str.lower()`` holds any match in lower case.
    """
    if not text.isascii() and _FOLDS_TO_ASCII_RE.search(text) is not None:
        return True
    low = text.lower()
    for word, phrase in _PROMO_HINTS:
        if word in low and (phrase is None or phrase.search(low) is not None):
            return True
    return False


def _is_promo(line: str) -> bool:
    return (
        len(line) <= _MAX_PROMO_CHARS and _may_be_promo(line) and _PROMO_RE.search(line) is not None
    )


def _is_head_line(line: str, promo: bool = True) -> bool:
    """A date line, byline or (unless ``promo`` rules it out) promo line."""
    # Every year starts with 1 or 2; a byline starts with "By" or holds a
    # separator. Substring tests are much cheaper than either parser.
    maybe = (
        "1" in line or "2" in line or _has_separator(line) or line.lstrip().startswith(("b", "B"))
    )
    if maybe and (match_date_line(line) is not None or parse_byline(line) is not None):
        return True
    return promo and _is_promo(line)


def _has_separator(line: str) -> bool:
    """Whether ``line`` holds a character of ``_BYLINE_SEP_RE``'s separators."""
    return "-" in line or "|" in line or "–" in line or "—" in line or "•" in line or "·" in line


def _ends_sentence(line: str) -> bool:
    return line.rstrip(_SENTENCE_CLOSERS).endswith(_SENTENCE_ENDS)


def _ends_paragraph(line: str) -> bool:
    return line.rstrip(_PARA_CLOSERS).endswith(_PARA_ENDS)


class _Block(NamedTuple):
    """A multi-line block, measured once for wrap detection and re-joining."""

    lines: list[str]
    sizes: list[int]
    stripped: list[str]
    """The lines without their indent (they have no trailing whitespace)."""
    words: list[int]
    """Length of each line's first word."""
    items: list[bool]
    """Whether each line starts a list item."""
    has_items: bool
    wide: list[bool]
    """For each line but the last: the next one's first word would not have fitted on it."""


def _measure_block(lines: list[str], sizes: list[int], room: int) -> _Block:
    stripped = list(map(str.lstrip, lines))
    words = [len(s) if (space := s.find(" ")) < 0 else space for s in stripped]
    match = _LIST_ITEM_RE.match
    items = [match(line) is not None for line in lines]
    wide = [size + word > room for size, word in zip(sizes, words[1:], strict=False)]
    return _Block(lines, sizes, stripped, words, items, True in items, wide)


def _wrap_width(blocks: Sequence[list[str]]) -> tuple[int, dict[int, _Block]] | None:
    """The width the text was hard-wrapped at, or ``None`` if it was not.

    Hard-wrapped text is what a greedy wrapper makes: most lines end where the
    next line's first word would not have fitted within the width (estimated
    as the longest line). The longest line always passes that test, so one
    passing line proves nothing unless the width is a typical wrap width.
    With the width come the measured multi-line blocks, by block number.
    """
    sizes = {n: list(map(len, b)) for n, b in enumerate(blocks) if len(b) > 1}
    if not sizes:
        return None
    width = max(map(max, sizes.values()))
    if width > WRAP_MAX_WIDTH:
        return None
    room = width - 1
    soft = total = 0
    measured: dict[int, _Block] = {}
    for n, block_sizes in sizes.items():
        block = measured[n] = _measure_block(blocks[n], block_sizes, room)
        if block.has_items:
            items = block.items
            for k in range(1, len(items)):
                if not (items[k - 1] or items[k]):
                    total += 1
                    soft += block.wide[k - 1]
        else:
            total += len(block_sizes) - 1
            soft += sum(block.wide)
    if total and 2 * soft >= total and (soft >= 2 or width <= TYPICAL_WRAP_WIDTH):
        return width, measured
    return None


def _join_block(
    block: _Block,
    *,
    head_lines: int,
    strict: int,
) -> list[Para]:
    """Re-join the hard-wrapped lines of one block into paragraphs.

    A line continues into the next when the next line's first word would not
    have fitted on it, when the next starts in lower case, or when the line
    does not end like a paragraph (a wrapper cuts anywhere; an author ends a
    paragraph with punctuation). It does not when the next line starts a list
    item or is indented deeper than the block, nor next to a date line, byline
    or promo line among the first ``head_lines`` lines; the first ``strict``
    lines (a title) are joined only by the first two rules.
    """
    lines, sizes, stripped_lines, _, items, has_items, wide = block
    indents = [size - len(s) for size, s in zip(sizes, stripped_lines, strict=True)]
    indent = min(indents)
    deeper = [depth > indent for depth in indents]
    # breaks[i]: lines i and i + 1 are not joined, by every rule but the head lines'.
    if has_items:
        breaks = [
            items[j] or not stripped_lines[j][:1].islower()
            if items[j] or items[j - 1]
            else deeper[j] or (not wide[j - 1] and _ends_para_at(lines, stripped_lines, j, strict))
            for j in range(1, len(lines))
        ]
    else:
        breaks = [
            deeper[j] or (not wide[j - 1] and _ends_para_at(lines, stripped_lines, j, strict))
            for j in range(1, len(lines))
        ]
    head_pairs = min(head_lines, len(breaks))
    if head_pairs and False in breaks[:head_pairs]:
        # Head lines are tested only where they would change the answer.
        promo = _may_be_promo("\n".join(lines[: head_pairs + 1]))
        head: list[bool | None] = [None] * min(head_lines, len(lines))
        for i in range(head_pairs):
            if breaks[i]:
                continue
            for k in (i, i + 1):
                if k < len(head) and head[k] is None:
                    head[k] = _is_head_line(lines[k], promo)
            breaks[i] = bool(head[i]) or (i + 1 < len(head) and bool(head[i + 1]))
    # A line ending in "-" may be a word broken at its hyphen: rare, and slow to join.
    hyphens = "-\n" in "\n".join(lines)
    paras: list[Para] = []
    start = 0
    for end in [j for j, broken in enumerate(breaks, 1) if broken] + [len(lines)]:
        group = stripped_lines[start:end]
        text = _join_hyphenated(group) if hyphens else " ".join(group)
        paras.append(_new_para((text, end - start)))
        start = end
    return paras


def _ends_para_at(lines: list[str], stripped_lines: list[str], j: int, strict: int) -> bool:
    """Whether line ``j - 1`` ends a paragraph, when the width rule did not join it to ``j``."""
    line = lines[j - 1]
    return not (
        (stripped_lines[j][:1].islower() and not _ends_sentence(line))
        or (j - 1 >= strict and not _ends_paragraph(line))
    )


def _join_hyphenated(parts: list[str]) -> str:
    """Join lines with spaces, but a word broken at its hyphen is glued back (hyphen kept)."""
    out = [parts[0]]
    for part in parts[1:]:
        prev = out[-1]
        if len(prev) > 1 and prev[-1] == "-" and prev[-2].isalpha():
            out[-1] = prev + part
        else:
            out.append(part)
    return " ".join(out)


def split_lines(
    lines: Sequence[str], head_lines: int, keep_head: bool = False
) -> tuple[list[Para], list[str]]:
    """Paragraphs of a text: blank-line blocks, then hard wraps or one per line.

    The first ``head_lines`` lines of the first blocks get the head-line
    protections of :func:`_join_block`; with ``keep_head`` the first block's
    first lines are joined only by the width rule (they may be a title).
    """
    blocks = _iter_blocks(lines)
    wrap = _wrap_width(blocks)
    paras: list[Para] = []
    notes: list[str] = []
    if wrap is None:
        split_any = False
        for block in blocks:
            if len(block) == 1:
                paras.append(_new_para((block[0].strip(), 1)))
            else:
                paras.extend([_new_para((line.strip(), 1)) for line in block])
                split_any = True
        if split_any:
            notes.append("one paragraph per line")
        return paras, notes
    _, measured = wrap
    for n, block in enumerate(blocks):
        if len(block) == 1:
            paras.append(_new_para((block[0].strip(), 1)))
        elif n < head_lines:
            strict = head_lines if keep_head and n == 0 else 0
            paras.extend(_join_block(measured[n], head_lines=head_lines, strict=strict))
        else:
            paras.extend(_join_block(measured[n], head_lines=0, strict=0))
    notes.append("hard wraps re-joined")
    return paras, notes


def split_paragraphs(text: str) -> tuple[str, ...]:
    """The paragraphs of a body text: blank-line blocks, hard wraps re-joined.

    >>> split_paragraphs("One line\\nwrapped.\\n\\nSecond.")
    ('One line wrapped.', 'Second.')
    """
    paras, _ = split_lines(normalize_lines(text), head_lines=0)
    return tuple(p.text for p in paras)


# ---------------------------------------------------------------------------
# title, date, byline


def parse_byline(line: str) -> tuple[str, DateMatch | None] | None:
    """``(byline, date or None)`` if ``line`` is a byline, else ``None``.

    Accepted: ``By John Smith``, ``By John Smith, Reuters``, ``BY JANE DOE``,
    ``By Jane Doe | March 3, 2019`` (the date is returned apart), and without
    "By" only ``John Smith | Reuters`` / ``John Smith - Reuters``.
    """
    line = line.strip()
    if not 3 < len(line) <= _MAX_BYLINE_CHARS:
        return None
    by = _BY_RE.match(line) if line[0] in "bB" else None
    if by is None:
        # Without "By", a separator must follow the names; no separator
        # character anywhere settles it before any date parsing.
        if not _has_separator(line):
            return None
        rest = line
    else:
        rest = line[by.end() :]
    date = search_date(rest)
    if date is not None:
        rest = rest.replace(date.raw, " ", 1)
        rest = _BYLINE_SEP_RE.sub(" | ", rest).strip(" ,|")
        rest = re.sub(r"(?:\s*\|\s*)+", " | ", rest)
    names = _NAMES_RE.match(rest)
    if names is None or not rest:
        return None
    tail = rest[names.end() :]
    if by is None:
        sep = _BYLINE_SEP_RE.match(tail)
        if sep is None or len(tail) - sep.end() > 60 or len(names.group(0).split()) < 2:
            return None
    elif tail and not (tail[0] in ",|;" or _BYLINE_SEP_RE.match(tail)):
        return None
    return rest, date


def _looks_like_title(para: Para) -> bool:
    text = para.text
    if para.lines != 1 or len(text) > MAX_TITLE_CHARS:
        return False
    # A long line ending like a sentence is the lead paragraph, not a headline.
    return not (len(text) > 150 and _ends_sentence(text))


def _classify(para: Para, maybe_date: bool = True) -> str:
    """The paragraph's kind; ``maybe_date=False`` when it is known not to be a date line."""
    if para.lines == 1:
        text = para.text
        if maybe_date and match_date_line(text) is not None:
            return "date"
        if parse_byline(text) is not None:
            return "byline"
        if _is_promo(text):
            return "promo"
    return "title" if _looks_like_title(para) else "long"


class _Kinds:
    """The :func:`_classify` kind of each head paragraph, classified on first use.

    Most texts have no date line; finding that out needs only the cheap date
    test on each, and the full classification of the first one or two.
    """

    def __init__(self, paras: Sequence[Para]) -> None:
        self._paras = paras
        self._kinds: list[str | None] = [None] * len(paras)
        self._no_date = 0
        """The paragraphs before this one are known not to be date lines."""

    def __len__(self) -> int:
        return len(self._kinds)

    def __getitem__(self, i: int) -> str:
        kind = self._kinds[i]
        if kind is None:
            kind = self._kinds[i] = _classify(self._paras[i], i >= self._no_date)
        return kind

    def first_date(self, limit: int) -> int | None:
        """The first date line among the first ``limit`` paragraphs; call before the others."""
        for i in range(limit):
            para = self._paras[i]
            if para.lines == 1 and match_date_line(para.text) is not None:
                self._kinds[i] = "date"
                self._no_date = i
                return i
        self._no_date = limit
        return None

    def is_byline(self, i: int) -> bool:
        """``self[i] == "byline"``, without the promo test when it is not yet known."""
        kind = self._kinds[i]
        if kind is not None:
            return kind == "byline"
        para = self._paras[i]
        if para.lines != 1:
            return False
        if i >= self._no_date and match_date_line(para.text) is not None:
            self._kinds[i] = "date"
            return False
        if parse_byline(para.text) is None:
            return False
        self._kinds[i] = "byline"
        return True


def _read_head(paras: Sequence[Para], max_promo: int) -> _Head:
    """Find promo lines, title, date line and byline among the first blocks."""
    limit = min(len(paras), max_promo + _HEAD_EXTRA)
    kinds = _Kinds(paras[: limit + 1])
    dropped: list[DroppedLine] = []
    notes: list[str] = []
    title: str | None = None
    date: DateMatch | None = None
    byline: str | None = None
    start = 0

    date_at = kinds.first_date(limit)
    title_at: int | None = None
    if date_at is not None:
        # The title is the nearest block before the date that is not a byline.
        j = date_at - 1
        while j >= 0 and kinds[j] == "byline":
            j -= 1
        if j > max_promo or any(kinds[k] == "long" for k in range(j + 1)):
            date_at = None  # a date inside the body, not the article's date line
        elif j >= 0:
            title_at = j
    if date_at is not None:
        first_kept = 0 if title_at is None else title_at
        for i in range(first_kept):
            dropped.append(DroppedLine(text=paras[i].text, reason="promo"))
        if title_at is not None:
            title = paras[title_at].text
            notes.append("title before date line")
        else:
            notes.append("no title before date line")
        date = match_date_line(paras[date_at].text)
        notes.append("date line found")
        start = date_at + 1
        for i in range(first_kept + 1 if title_at is not None else 0, date_at):
            if kinds[i] == "byline" and byline is None:
                byline = _take_byline(paras[i].text, notes)
            elif kinds[i] == "byline":
                dropped.append(DroppedLine(text=paras[i].text, reason="byline"))
        while start < len(kinds) and kinds[start] in ("date", "byline"):
            if kinds[start] == "byline" and byline is None:
                byline = _take_byline(paras[start].text, notes)
            else:
                dropped.append(DroppedLine(text=paras[start].text, reason=kinds[start]))
            start += 1
    else:
        i = 0
        while i < max_promo and i + 1 < len(kinds) and kinds[i] == "promo":
            dropped.append(DroppedLine(text=paras[i].text, reason="promo"))
            i += 1
        if i + 1 >= len(paras):
            notes.append("no title: single paragraph")
        elif kinds[i] in ("title", "promo"):
            title = paras[i].text
            notes.append("title from first line" if i == 0 else "title after promo lines")
            i += 1
        elif kinds[i] == "byline":
            notes.append("no title: byline first")
        else:
            notes.append("no title: first block is a long paragraph")
        if i < len(kinds) and kinds.is_byline(i):
            byline, byline_date = _take_byline_and_date(paras[i].text, notes)
            date = byline_date
            i += 1
        start = i
        if date is None:
            notes.append("no date line")
    if byline is None:
        notes.append("no byline")
    return _Head(title, date, byline, start, dropped, notes)


def _take_byline(text: str, notes: list[str]) -> str:
    return _take_byline_and_date(text, notes)[0]


def _take_byline_and_date(text: str, notes: list[str]) -> tuple[str, DateMatch | None]:
    parsed = parse_byline(text)
    assert parsed is not None  # only called on lines classified as bylines
    notes.append("byline found")
    if parsed[1] is not None:
        notes.append("date from byline")
    return parsed


# ---------------------------------------------------------------------------
# the article


def extract_text(
    doc: DecodedText,
    config: ExtractConfig,
    text: str | None = None,
    fixes: tuple[Fix, ...] = (),
) -> Article:
    """The article of plain text ``doc``, or of ``text`` (its repaired text) made by ``fixes``."""
    lines = normalize_lines(doc.text if text is None else text)
    paras, layout = split_lines(
        lines, head_lines=config.max_promo_lines + _HEAD_EXTRA, keep_head=True
    )
    if not paras:
        raise ExtractError(f"{doc.id}: the text is empty or only whitespace; no article in it")
    head = _read_head(paras, config.max_promo_lines)
    return build_article(
        doc,
        title=head.title,
        date=head.date,
        byline=head.byline,
        paragraphs=[p.text for p in paras[head.start :]],
        dropped=head.dropped,
        notes=head.notes + layout,
        fixes=fixes,
    )
