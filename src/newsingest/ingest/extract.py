"""Parse an article (title, date, byline, body paragraphs) out of decoded text.

:func:`extract_article` dispatches on ``DecodedText.format``:

* ``text`` — the scraped-news layout: optional promo lines, a title line, an
  optional date line and byline, then the body. Blocks are separated by blank
  lines; inside a block, hard-wrapped lines are re-joined (see
  :func:`split_paragraphs`), otherwise each line is a paragraph.
* ``html`` — trafilatura's main-content extraction, with a plain ``<p>`` dump
  as the fallback.
* ``jsonl`` — one JSON object; which fields hold title, text and date is set by
  :class:`~newsingest.config.ExtractConfig`.

Text is not repaired here (the repair stage runs ftfy); line ends are
normalised to LF and trailing whitespace is stripped. Every decision is
written to ``Article.notes`` and every line taken out to ``Article.dropped``.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import json
import logging
import re
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from newsingest.config import ExtractConfig
from newsingest.errors import ExtractError
from newsingest.ingest.dates import DateMatch, match_date_line, search_date
from newsingest.records import Article, DecodedText, DroppedLine, Fix

__all__ = ["extract_article", "extract_repaired_text", "parse_byline", "split_paragraphs"]

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
_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>")

_logger = logging.getLogger(__name__)


class _Para(NamedTuple):
    text: str
    lines: int
    """Source lines it was made of: a title is always a single line."""


_new_para: Callable[[tuple[str, int]], _Para] = functools.partial(tuple.__new__, _Para)
"""``_Para(text, lines)`` from a pair, without NamedTuple's Python-level ``__new__``."""


class _Head(NamedTuple):
    title: str | None
    date: DateMatch | None
    byline: str | None
    start: int
    dropped: list[DroppedLine]
    notes: list[str]


# ---------------------------------------------------------------------------
# lines and paragraphs


def _normalize_lines(text: str) -> list[str]:
    """LF line ends, no BOM, no trailing whitespace."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    return list(map(str.rstrip, text.split("\n")))


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
) -> list[_Para]:
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
    paras: list[_Para] = []
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


def _split_lines(
    lines: Sequence[str], head_lines: int, keep_head: bool = False
) -> tuple[list[_Para], list[str]]:
    """Paragraphs of a text: blank-line blocks, then hard wraps or one per line.

    The first ``head_lines`` lines of the first blocks get the head-line
    protections of :func:`_join_block`; with ``keep_head`` the first block's
    first lines are joined only by the width rule (they may be a title).
    """
    blocks = _iter_blocks(lines)
    wrap = _wrap_width(blocks)
    paras: list[_Para] = []
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
    paras, _ = _split_lines(_normalize_lines(text), head_lines=0)
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


def _looks_like_title(para: _Para) -> bool:
    text = para.text
    if para.lines != 1 or len(text) > MAX_TITLE_CHARS:
        return False
    # A long line ending like a sentence is the lead paragraph, not a headline.
    return not (len(text) > 150 and _ends_sentence(text))


def _classify(para: _Para, maybe_date: bool = True) -> str:
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

    def __init__(self, paras: Sequence[_Para]) -> None:
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


def _read_head(paras: Sequence[_Para], max_promo: int) -> _Head:
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


def _date_notes(date: DateMatch | None, notes: list[str]) -> None:
    if date is not None and date.ambiguous:
        notes.append("date ambiguous: numeric date read by convention")


# ---------------------------------------------------------------------------
# formats


def _article(
    doc: DecodedText,
    *,
    title: str | None,
    date: DateMatch | None,
    byline: str | None,
    paragraphs: Sequence[str],
    dropped: Sequence[DroppedLine],
    notes: list[str],
    source_id: str | None = None,
    fixes: tuple[Fix, ...] = (),
) -> Article:
    _date_notes(date, notes)
    if not paragraphs:
        notes.append("no body")
    return Article(
        id=doc.id,
        path=doc.path,
        format=doc.format,
        line=doc.line,
        title=title,
        date=date.date if date is not None else None,
        date_raw=date.raw if date is not None else None,
        byline=byline,
        paragraphs=tuple(paragraphs),
        decoding=doc.decoding,
        dropped=tuple(dropped),
        notes=tuple(notes),
        source_id=source_id,
        fixes=fixes,
    )


def _extract_text(
    doc: DecodedText,
    config: ExtractConfig,
    text: str | None = None,
    fixes: tuple[Fix, ...] = (),
) -> Article:
    lines = _normalize_lines(doc.text if text is None else text)
    paras, layout = _split_lines(
        lines, head_lines=config.max_promo_lines + _HEAD_EXTRA, keep_head=True
    )
    if not paras:
        raise ExtractError(f"{doc.id}: the text is empty or only whitespace; no article in it")
    head = _read_head(paras, config.max_promo_lines)
    return _article(
        doc,
        title=head.title,
        date=head.date,
        byline=head.byline,
        paragraphs=[p.text for p in paras[head.start :]],
        dropped=head.dropped,
        notes=head.notes + layout,
        fixes=fixes,
    )


def extract_repaired_text(
    doc: DecodedText, text: str, fixes: tuple[Fix, ...], config: ExtractConfig | None = None
) -> Article:
    """The article of plain text ``doc`` after its text was repaired to ``text`` by ``fixes``.

    Equal to ``attrs.evolve(extract_article(attrs.evolve(doc, text=text)), fixes=fixes)``,
    without building the two intermediate records: the pipeline repairs plain text whole
    before parsing it, and this is most of the documents it reads.
    """
    if doc.format != "text":
        raise ValueError(f"{doc.id}: extract_repaired_text takes plain text, not {doc.format!r}")
    return _extract_text(doc, config if config is not None else ExtractConfig(), text, fixes)


def _date_from_field(value: object, field: str, notes: list[str]) -> DateMatch | None:
    if not isinstance(value, str) or not value.strip():
        notes.append(f"jsonl: date field {field!r} empty or not a string")
        return None
    raw = value.strip()
    try:
        return DateMatch(date=dt.datetime.fromisoformat(raw).date(), raw=raw)
    except ValueError:
        pass
    found = match_date_line(raw) or search_date(raw)
    if found is None:
        notes.append(f"jsonl: date field {field!r} not understood")
        return None
    return DateMatch(date=found.date, raw=raw, ambiguous=found.ambiguous)


def _extract_jsonl(doc: DecodedText, config: ExtractConfig) -> Article:
    try:
        record = json.loads(doc.text)
    except (ValueError, RecursionError) as exc:
        raise ExtractError(f"{doc.id}: not a valid JSON line ({exc}); expected one object") from exc
    if not isinstance(record, dict):
        raise ExtractError(
            f"{doc.id}: the JSON line is a {type(record).__name__}, not an object; "
            "expected one article object per line"
        )
    text_field = config.jsonl_text_field
    text = record.get(text_field)
    if text is None:
        raise ExtractError(
            f"{doc.id}: the JSON object has no {text_field!r} field; "
            "set ExtractConfig.jsonl_text_field to the field holding the article text"
        )
    if not isinstance(text, str):
        raise ExtractError(f"{doc.id}: field {text_field!r} is not a string")
    lines = _normalize_lines(text)
    notes: list[str] = []
    title: str | None = None
    title_field = config.jsonl_title_field
    raw_title = record.get(title_field)
    has_title = isinstance(raw_title, str) and bool(raw_title.strip())
    if not any(lines):
        if not has_title:
            raise ExtractError(f"{doc.id}: field {text_field!r} is empty and there is no title")
        # A title-only record (a wire "stub") is kept as such, as the same stub
        # saved as a text file would be.
        notes.append(f"jsonl: field {text_field!r} is empty, title only")
        lines = []
    if has_title:
        assert isinstance(raw_title, str)
        title = " ".join(t for t in (s.strip() for s in _normalize_lines(raw_title)) if t)
        notes.append(f"jsonl: title from field {title_field!r}")
        first = next((i for i, line in enumerate(lines) if line), None)
        if first is not None and lines[first].strip() == title:
            lines = lines[first + 1 :]
            notes.append("jsonl: title line repeated in text removed")
    elif config.title_from_first_line:
        first_line = lines[0].strip()
        if not first_line:
            notes.append("jsonl: first line empty, no title")
        elif len(first_line) > MAX_TITLE_CHARS:
            notes.append("jsonl: first line too long for a title, no title")
        elif len(lines) > 1 and lines[1].lstrip()[:1].islower():
            notes.append("jsonl: first line runs on into the next, no title")
        else:
            title = first_line
            lines = lines[1:]
            notes.append("jsonl: title from first line")
    else:
        notes.append(f"jsonl: no title field {title_field!r}")

    date: DateMatch | None = None
    date_field = config.jsonl_date_field
    if record.get(date_field) is not None:
        date = _date_from_field(record[date_field], date_field, notes)
        if date is not None:
            notes.append(f"jsonl: date from field {date_field!r}")

    paras, layout = _split_lines(lines, head_lines=2)
    byline: str | None = None
    start = 0
    # A date line or byline may follow the title inside the text.
    while start < min(2, len(paras)) and paras[start].lines == 1:
        line = paras[start].text
        found = match_date_line(line)
        if found is not None:
            if date is None:
                date = found
                notes.append("date line found")
            else:
                notes.append("date line dropped, date from field kept")
            start += 1
            continue
        parsed = parse_byline(line) if byline is None else None
        if parsed is None:
            break
        byline = parsed[0]
        notes.append("byline found")
        if date is None and parsed[1] is not None:
            date = parsed[1]
            notes.append("date from byline")
        start += 1
    dropped = [
        DroppedLine(text=p.text, reason="date line")
        for p in paras[:start]
        if match_date_line(p.text) is not None
    ]
    if date is None:
        notes.append("no date")
    raw_id = record.get(config.jsonl_id_field)
    # The export's own id, so report rows can be joined back to the source system
    # (the document id stays FILE#N: export ids are neither unique nor always present).
    source_id = (
        str(raw_id) if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) else None
    )
    return _article(
        doc,
        title=title,
        date=date,
        byline=byline,
        paragraphs=[p.text for p in paras[start:]],
        dropped=dropped,
        notes=notes + layout,
        source_id=source_id,
    )


def _quiet_loggers() -> None:
    # trafilatura and htmldate log every page they find little in; keep that
    # out of the user's logs unless the user configured those loggers.
    for name in ("trafilatura", "htmldate", "courlan", "justext"):
        lg = logging.getLogger(name)
        if lg.level == logging.NOTSET:
            lg.setLevel(logging.CRITICAL)


def _run_trafilatura(html: str, notes: list[str]) -> dict[str, Any] | None:
    try:
        import trafilatura  # noqa: PLC0415 (heavy import, only for HTML)
    except ImportError as exc:
        notes.append(f"html: trafilatura unavailable ({exc.__class__.__name__})")
        _logger.debug("trafilatura cannot be imported: %s", exc)
        return None
    _quiet_loggers()
    try:
        result = trafilatura.bare_extraction(
            html, with_metadata=True, include_comments=False, include_tables=True
        )
    except Exception as exc:  # a third-party parser on arbitrary input: fall back
        notes.append(f"html: trafilatura failed ({exc.__class__.__name__})")
        return None
    if result is None:
        return None
    data: dict[str, Any] = result if isinstance(result, dict) else result.as_dict()
    return data


def _html_fallback(html: str) -> tuple[str | None, list[str]]:
    """Title (``<h1>`` or ``<title>``) and the text of every ``<p>``: crude but safe."""
    # lxml ships no type stubs; importing by name keeps mypy strict quiet.
    lxml_etree: Any = importlib.import_module("lxml.etree")
    lxml_html: Any = importlib.import_module("lxml.html")
    html = _XML_DECL_RE.sub("", html, count=1)
    try:
        root = lxml_html.fromstring(html)
    except (lxml_etree.ParserError, ValueError):
        return None, []
    paragraphs = [" ".join(p.text_content().split()) for p in root.iter("p")]
    title = None
    for tag in ("h1", "title"):
        element = next(root.iter(tag), None)
        if element is not None:
            text = " ".join(element.text_content().split())
            if text:
                title = text
                break
    return title, [p for p in paragraphs if p]


def _extract_html(doc: DecodedText, config: ExtractConfig) -> Article:
    html = doc.text
    if not html.strip():
        raise ExtractError(f"{doc.id}: the HTML is empty; no article in it")
    notes: list[str] = []
    data = _run_trafilatura(html, notes)
    body = data.get("text") if data is not None else None
    if data is not None and isinstance(body, str) and body.strip():
        notes.append("html: trafilatura")
        title = data.get("title") or None
        paragraphs = [p.strip() for p in _normalize_lines(body) if p.strip()]
        if title and paragraphs and paragraphs[0] == title:
            paragraphs = paragraphs[1:]
        author = data.get("author") or None
        date: DateMatch | None = None
        raw_date = data.get("date")
        if isinstance(raw_date, str) and raw_date:
            date = _date_from_field(raw_date, "date", notes)
        notes.append("html: byline from author" if author else "no byline")
        if date is None:
            notes.append("no date")
        return _article(
            doc,
            title=title,
            date=date,
            byline=author,
            paragraphs=paragraphs,
            dropped=(),
            notes=notes,
        )
    notes.append("html: trafilatura found no body, <p> fallback")
    title, paragraphs = _html_fallback(html)
    if not paragraphs:
        raise ExtractError(
            f"{doc.id}: no article body found in the HTML (trafilatura and <p> fallback)"
        )
    if title and paragraphs[0] == title:
        paragraphs = paragraphs[1:]
    notes.append("title from <h1>/<title>" if title else "no title")
    return _article(
        doc,
        title=title,
        date=None,
        byline=None,
        paragraphs=paragraphs,
        dropped=(),
        notes=notes,
    )


def extract_article(doc: DecodedText, config: ExtractConfig | None = None) -> Article:
    """Parse the article in ``doc`` according to its format.

    Raises :class:`~newsingest.errors.ExtractError` when there is no article:
    empty text, a line that is not a JSON object or lacks its text field, or
    HTML with no body.
    """
    config = config if config is not None else ExtractConfig()
    if doc.format == "text":
        return _extract_text(doc, config)
    if doc.format == "jsonl":
        return _extract_jsonl(doc, config)
    if doc.format == "html":
        return _extract_html(doc, config)
    raise ExtractError(f"{doc.id}: unknown format {doc.format!r}")
