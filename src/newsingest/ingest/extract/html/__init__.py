"""HTML: a fast one-pass extractor on Lexbor, trafilatura when it is unsure, ``<p>`` last.

Entities and markup are the parser's business, so HTML is extracted before it is
repaired. The page is parsed once by Lexbor (selectolax); metadata (:mod:`._meta`)
and the body (:mod:`._fast`, given the page's summary and headline as anchors) are
read from that tree. When the fast path is unsure of the body (too little text, no
clear main block) trafilatura extracts it (:mod:`._trafilatura`), and when that finds
nothing either, every ``<p>`` is the body. The notes say which of the three produced the
article and where each field came from.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from selectolax.lexbor import LexborHTMLParser

from newsingest.config import ExtractConfig
from newsingest.errors import ExtractError
from newsingest.ingest.dates import DateMatch, match_date_line
from newsingest.ingest.extract._common import build_article, normalize_lines
from newsingest.ingest.extract.html._fast import find_body
from newsingest.ingest.extract.html._meta import (
    TEXT_DATE_SOURCES,
    Metadata,
    labelled_date,
    read_metadata,
)
from newsingest.ingest.extract.html._trafilatura import paragraph_dump, run_trafilatura
from newsingest.records import Article, DecodedText, DroppedLine

__all__ = ["MAX_HTML_CHARS", "MAX_NESTING", "extract_html"]

MAX_HTML_CHARS = 16 * 1024 * 1024
"""A longer page is refused: the reader's default per-document limit, in characters."""
MAX_NESTING = 5000
"""Pages nested deeper are refused: an HTML5 parser's tree building slows down with depth."""

_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>")
# Start and end tags, with their names; void elements and elements whose end tag is
# often left out (and which a parser closes by itself) are not counted.
_TAG_RE = re.compile(
    r"<(/?)((?!(?:area|base|br|col|embed|hr|img|input|link|meta|param|source|track|wbr|p|li"
    r"|option|td|th|tr|dt|dd)\b)[a-zA-Z][^\s/>]*)"
)
_HEAD_PARAGRAPHS = 3
"""Paragraphs at the top of the body where a date line is looked for."""

# The name the fallback is called by, so a test can replace it.
_run_trafilatura = run_trafilatura


def _nesting_bound(html: str) -> int:
    """How deep ``html`` nests, at most: open elements, counted per name.

    An end tag closes something only when an element of its name is open; a stray one
    (``<div></span>`` repeated) is ignored, as the parser ignores it. Elements a parser
    closes by itself (``<p>``, ``<li>``, table cells) are not counted: lists and tables
    nest through ``<ul>`` and ``<table>``, which are.
    """
    open_by_name: dict[str, int] = {}
    depth = deepest = 0
    for slash, raw_name in _TAG_RE.findall(html):
        name = raw_name.lower()
        if slash:
            count = open_by_name.get(name, 0)
            if count:
                open_by_name[name] = count - 1
                depth -= 1
        else:
            open_by_name[name] = open_by_name.get(name, 0) + 1
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def _check_limits(doc: DecodedText, html: str) -> None:
    if len(html) > MAX_HTML_CHARS:
        raise ExtractError(
            f"{doc.id}: the HTML page has {len(html):,} characters, more than the "
            f"{MAX_HTML_CHARS:,} one page may have; split it or raise the read limit"
        )
    # Every element starts with "<": fewer of them than the limit settles it cheaply. So
    # do fewer start tags: a "<" that opens an end tag ("</") opens no start tag.
    lts = html.count("<")
    if (
        lts > MAX_NESTING
        and lts - html.count("</") > MAX_NESTING
        and _nesting_bound(html) > MAX_NESTING
    ):
        raise ExtractError(
            f"{doc.id}: the HTML nests elements more than {MAX_NESTING:,} deep; "
            "no real page does, so it is refused"
        )


def _drop_date_line(
    paragraphs: list[str], dropped: list[DroppedLine], notes: list[str]
) -> DateMatch | None:
    """Remove a paragraph that is only a date from the top of the body, as plain text does."""
    for i in range(min(_HEAD_PARAGRAPHS, len(paragraphs))):
        found = match_date_line(paragraphs[i])
        if found is not None:
            dropped.append(DroppedLine(text=paragraphs[i], reason="date"))
            del paragraphs[i]
            notes.append("html: date line removed from body")
            return found
    return None


def _parse(html: str) -> LexborHTMLParser:
    tree = LexborHTMLParser(html)
    # "<br>" ends a line: without a line break before it, the words on both sides join
    # in an element's text. Done in the tree: a search or a replace over the page's
    # string costs more than the parse of most pages' few <br>s.
    for br in tree.css("br"):
        br.insert_before("\n")
    return tree


def extract_html(doc: DecodedText, config: ExtractConfig, *, fallback: bool = True) -> Article:
    """The article in HTML document ``doc``; see the module docstring for how it is chosen.

    ``fallback=False`` keeps the fast path's body even when it is unsure (the
    benchmark measures the fast path alone this way).
    """
    html = doc.text
    if not html or html.isspace():
        raise ExtractError(f"{doc.id}: the HTML is empty; no article in it")
    _check_limits(doc, html)
    html = _XML_DECL_RE.sub("", html, count=1)
    tree = _parse(html)
    meta = read_metadata(tree)
    notes: list[str] = []
    body = find_body(
        tree,
        description=meta.description,
        headline=meta.title.value if meta.title is not None else None,
    )
    paragraphs: list[str] = body.paragraphs
    if body.unsure is None:
        notes.append(f"html: fast ({body.anchor})" if body.anchor else "html: fast")
    elif not fallback and paragraphs:
        notes.append(f"html: fast, unsure ({body.unsure}), no fallback asked")
    else:
        text = _run_trafilatura(html, notes)
        if text is not None:
            notes.append(f"html: trafilatura fallback ({body.unsure})")
            paragraphs = [p.strip() for p in normalize_lines(text) if p.strip()]
        elif len(paragraphs) >= 1 and sum(map(len, paragraphs)) >= 50:
            notes.append(f"html: fast (trafilatura found nothing better; {body.unsure})")
        else:
            notes.append("html: trafilatura found no body, <p> fallback")
            paragraphs = paragraph_dump(tree)
            if not paragraphs and meta.description:
                notes.append("html: no <p> either, body from the page's description")
                paragraphs = [meta.description]
    if not paragraphs:
        raise ExtractError(
            f"{doc.id}: no article body found in the HTML "
            "(fast path, trafilatura, <p> and description)"
        )
    return _assemble(doc, meta, paragraphs, notes, body.texts)


def _assemble(
    doc: DecodedText,
    meta: Metadata,
    paragraphs: list[str],
    notes: list[str],
    texts: Sequence[str],
) -> Article:
    title = meta.title.value if meta.title is not None else None
    if meta.title is not None:
        notes.append(f"html: title from {meta.title.source}")
    else:
        notes.append("no title")
    if title and paragraphs and " ".join(paragraphs[0].split()) == title:
        del paragraphs[0]
    dropped: list[DroppedLine] = []
    line_date = _drop_date_line(paragraphs, dropped, notes)
    date: DateMatch | None = None
    # A date line beats dates searched for in the page's text, and the page's last change.
    found = meta.date or labelled_date(texts)
    if line_date is not None and (found is None or found[1] in TEXT_DATE_SOURCES):
        date = line_date
        notes.append("html: date from the date line")
    elif (found := found or meta.modified) is not None:
        date, source = found
        notes.append(f"html: date from {source}")
    if date is None:
        notes.append("no date")
    byline = meta.author.value if meta.author is not None else None
    if meta.author is not None:
        notes.append(f"html: byline from {meta.author.source}")
    else:
        notes.append("no byline")
    return build_article(
        doc,
        title=title,
        date=date,
        byline=byline,
        paragraphs=paragraphs,
        dropped=dropped,
        notes=notes,
    )
