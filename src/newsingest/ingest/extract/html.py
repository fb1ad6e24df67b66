"""HTML: trafilatura's main-content extraction, with a plain ``<p>`` dump as the fallback.

Entities and markup are the parser's business, so HTML is extracted before it
is repaired. trafilatura is imported on the first HTML document only.
"""

from __future__ import annotations

import importlib
import logging
import re
from typing import Any

from newsingest.config import ExtractConfig
from newsingest.errors import ExtractError
from newsingest.ingest.dates import DateMatch
from newsingest.ingest.extract._common import build_article, date_from_field, normalize_lines
from newsingest.records import Article, DecodedText

__all__ = ["extract_html"]

_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>")

_logger = logging.getLogger(__name__)


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


def extract_html(doc: DecodedText, config: ExtractConfig) -> Article:
    """The article in HTML document ``doc``: trafilatura's, else every ``<p>``."""
    html = doc.text
    if not html.strip():
        raise ExtractError(f"{doc.id}: the HTML is empty; no article in it")
    notes: list[str] = []
    data = _run_trafilatura(html, notes)
    body = data.get("text") if data is not None else None
    if data is not None and isinstance(body, str) and body.strip():
        notes.append("html: trafilatura")
        title = data.get("title") or None
        paragraphs = [p.strip() for p in normalize_lines(body) if p.strip()]
        if title and paragraphs and paragraphs[0] == title:
            paragraphs = paragraphs[1:]
        author = data.get("author") or None
        date: DateMatch | None = None
        raw_date = data.get("date")
        if isinstance(raw_date, str) and raw_date:
            date = date_from_field(raw_date, "date", notes)
        notes.append("html: byline from author" if author else "no byline")
        if date is None:
            notes.append("no date")
        return build_article(
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
    return build_article(
        doc,
        title=title,
        date=None,
        byline=None,
        paragraphs=paragraphs,
        dropped=(),
        notes=notes,
    )
