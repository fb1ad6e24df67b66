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
import importlib
import itertools
import json
import logging
import re
from collections.abc import Sequence
from typing import Any, NamedTuple

from .config import ExtractConfig
from .dates import DateMatch, match_date_line, search_date
from .errors import ExtractError
from .records import Article, DecodedText, DroppedLine

__all__ = ["extract_article", "parse_byline", "split_paragraphs"]

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
_LIST_ITEM_RE = re.compile(r"\s*(?:[-*•·–—]\s|\d{1,3}[.)]\s|\(?[a-zA-Z]\)\s)")
_SENTENCE_END_RE = re.compile(r"[.!?][\"'”’)]*$")
_PARA_END_RE = re.compile(r"[.!?:;…][\"'”’)\]]*$")
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
    return [line.rstrip() for line in text.split("\n")]


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


def _is_head_line(line: str) -> bool:
    return (
        match_date_line(line) is not None
        or parse_byline(line) is not None
        or (len(line) <= _MAX_PROMO_CHARS and _PROMO_RE.search(line) is not None)
    )


def _first_word(line: str) -> str:
    return line.lstrip().partition(" ")[0]


def _wrap_width(blocks: Sequence[list[str]]) -> int | None:
    """The width the text was hard-wrapped at, or ``None`` if it was not.

    Hard-wrapped text is what a greedy wrapper makes: most lines end where the
    next line's first word would not have fitted within the width (estimated
    as the longest line). The longest line always passes that test, so one
    passing line proves nothing unless the width is a typical wrap width.
    """
    multi = [b for b in blocks if len(b) > 1]
    if not multi:
        return None
    width = max(len(line) for b in multi for line in b)
    if width > WRAP_MAX_WIDTH:
        return None
    soft = total = 0
    for block in multi:
        for cur, nxt in itertools.pairwise(block):
            if _LIST_ITEM_RE.match(cur) or _LIST_ITEM_RE.match(nxt):
                continue
            total += 1
            soft += len(cur) + 1 + len(_first_word(nxt)) > width
    if total and 2 * soft >= total and (soft >= 2 or width <= TYPICAL_WRAP_WIDTH):
        return width
    return None


def _join_block(block: list[str], width: int, head_lines: int, strict: int) -> list[_Para]:
    """Re-join the hard-wrapped lines of one block into paragraphs.

    A line continues into the next when the next line's first word would not
    have fitted on it, when the next starts in lower case, or when the line
    does not end like a paragraph (a wrapper cuts anywhere; an author ends a
    paragraph with punctuation). It does not when the next line starts a list
    item or is indented deeper than the block, nor next to a date line, byline
    or promo line among the first ``head_lines`` lines; the first ``strict``
    lines (a title) are joined only by the first two rules.
    """
    indent = min(len(line) - len(line.lstrip()) for line in block)
    head = [i < head_lines and _is_head_line(line) for i, line in enumerate(block)]
    paras: list[_Para] = []
    parts = [block[0].strip()]
    count = 1
    for i in range(len(block) - 1):
        line = block[i]
        nxt = block[i + 1]
        stripped = nxt.strip()
        lower = stripped[:1].islower()
        if _LIST_ITEM_RE.match(nxt) or head[i] or head[i + 1]:
            continues = False
        elif _LIST_ITEM_RE.match(line):
            continues = lower
        elif len(nxt) - len(nxt.lstrip()) > indent:
            continues = False
        else:
            continues = (
                len(line) + 1 + len(_first_word(nxt)) > width
                or (lower and _SENTENCE_END_RE.search(line) is None)
                or (i >= strict and _PARA_END_RE.search(line) is None)
            )
        if not continues:
            paras.append(_Para(" ".join(parts), count))
            parts = [stripped]
            count = 1
            continue
        count += 1
        prev = parts[-1]
        if len(prev) > 1 and prev[-1] == "-" and prev[-2].isalpha():
            # A word broken at its hyphen: glue the halves back, keep the hyphen.
            parts[-1] = prev + stripped
        else:
            parts.append(stripped)
    paras.append(_Para(" ".join(parts), count))
    return paras


def _split_lines(
    lines: Sequence[str], head_lines: int, keep_head: bool = False
) -> tuple[list[_Para], list[str]]:
    """Paragraphs of a text: blank-line blocks, then hard wraps or one per line.

    The first ``head_lines`` lines of the first blocks get the head-line
    protections of :func:`_join_block`; with ``keep_head`` the first block's
    first lines are joined only by the width rule (they may be a title).
    """
    blocks = _iter_blocks(lines)
    width = _wrap_width(blocks)
    paras: list[_Para] = []
    notes: list[str] = []
    split_any = False
    for n, block in enumerate(blocks):
        if len(block) == 1:
            paras.append(_Para(block[0].strip(), 1))
        elif width is None:
            paras.extend(_Para(line.strip(), 1) for line in block)
            split_any = True
        elif n < head_lines:
            strict = head_lines if keep_head and n == 0 else 0
            paras.extend(_join_block(block, width, head_lines, strict))
        else:
            paras.extend(_join_block(block, width, 0, 0))
    if width is not None:
        notes.append("hard wraps re-joined")
    elif split_any:
        notes.append("one paragraph per line")
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
    by = _BY_RE.match(line)
    rest = line[by.end() :] if by else line
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
    return not (len(text) > 150 and _SENTENCE_END_RE.search(text))


def _classify(para: _Para) -> str:
    if para.lines == 1:
        if match_date_line(para.text) is not None:
            return "date"
        if parse_byline(para.text) is not None:
            return "byline"
        if len(para.text) <= _MAX_PROMO_CHARS and _PROMO_RE.search(para.text):
            return "promo"
    return "title" if _looks_like_title(para) else "long"


def _read_head(paras: Sequence[_Para], max_promo: int) -> _Head:
    """Find promo lines, title, date line and byline among the first blocks."""
    limit = min(len(paras), max_promo + _HEAD_EXTRA)
    kinds = [_classify(p) for p in paras[: limit + 1]]
    dropped: list[DroppedLine] = []
    notes: list[str] = []
    title: str | None = None
    date: DateMatch | None = None
    byline: str | None = None
    start = 0

    date_at = next((i for i in range(limit) if kinds[i] == "date"), None)
    title_at: int | None = None
    if date_at is not None:
        # The title is the nearest block before the date that is not a byline.
        j = date_at - 1
        while j >= 0 and kinds[j] == "byline":
            j -= 1
        if j > max_promo or (j >= 0 and "long" in kinds[: j + 1]):
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
        if i < len(kinds) and kinds[i] == "byline":
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
        paragraphs=paragraphs,
        decoding=doc.decoding,
        dropped=tuple(dropped),
        notes=notes,
    )


def _extract_text(doc: DecodedText, config: ExtractConfig) -> Article:
    lines = _normalize_lines(doc.text)
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
    )


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
    return _article(
        doc,
        title=title,
        date=date,
        byline=byline,
        paragraphs=[p.text for p in paras[start:]],
        dropped=dropped,
        notes=notes + layout,
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
