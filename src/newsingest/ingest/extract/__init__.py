"""Parse an article (title, date, byline, body paragraphs) out of decoded text.

:func:`extract_article` dispatches on ``DecodedText.format``:

* ``text`` — the scraped-news layout (:mod:`.text`): optional promo lines, a
  title line, an optional date line and byline, then the body. Blocks are
  separated by blank lines; inside a block, hard-wrapped lines are re-joined
  (see :func:`split_paragraphs`), otherwise each line is a paragraph.
* ``html`` — a fast one-pass extractor on Lexbor with metadata from JSON-LD,
  OpenGraph and meta tags; trafilatura when it is unsure, a ``<p>`` dump last
  (:mod:`.html`, docs/extraction.md).
* ``jsonl`` — one JSON object; which fields hold title, text and date is set by
  :class:`~newsingest.config.ExtractConfig` (:mod:`.jsonl`).

Text is not repaired here (the repair stage runs ftfy); line ends are
normalised to LF and trailing whitespace is stripped. Every decision is
written to ``Article.notes`` and every line taken out to ``Article.dropped``.
"""

from __future__ import annotations

from newsingest.config import ExtractConfig
from newsingest.errors import ExtractError
from newsingest.ingest.extract.html import extract_html
from newsingest.ingest.extract.jsonl import extract_jsonl
from newsingest.ingest.extract.text import (
    MAX_TITLE_CHARS,
    TYPICAL_WRAP_WIDTH,
    WRAP_MAX_WIDTH,
    extract_text,
    parse_byline,
    split_paragraphs,
)
from newsingest.records import Article, DecodedText, Fix

__all__ = [
    "MAX_TITLE_CHARS",
    "TYPICAL_WRAP_WIDTH",
    "WRAP_MAX_WIDTH",
    "extract_article",
    "extract_repaired_text",
    "parse_byline",
    "split_paragraphs",
]


def extract_article(doc: DecodedText, config: ExtractConfig | None = None) -> Article:
    """Parse the article in ``doc`` according to its format.

    Raises :class:`~newsingest.errors.ExtractError` when there is no article:
    empty text, a line that is not a JSON object or lacks its text field, or
    HTML with no body.
    """
    config = config if config is not None else ExtractConfig()
    if doc.format == "text":
        return extract_text(doc, config)
    if doc.format == "jsonl":
        return extract_jsonl(doc, config)
    if doc.format == "html":
        return extract_html(doc, config)
    raise ExtractError(f"{doc.id}: unknown format {doc.format!r}")


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
    return extract_text(doc, config if config is not None else ExtractConfig(), text, fixes)
