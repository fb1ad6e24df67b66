"""Real article pages turned into outlet wrappers for other stories.

A wrapper is one real page (``data/html/wcxb-articles``: gzipped HTML beside a ground-truth
JSON whose ``main_content`` is the page's article text) with its article taken out: every
block element whose text belongs to the article is removed, and a marker stands where the
first of them was. Everything else stays as the site served it: navigation, scripts,
styles, comments, share buttons, related links, footers. The headline is marked in
``<title>`` (site-name part kept), ``og:title``/``twitter:title``, the JSON-LD
``headline`` and the ``<h1>``, and the meta descriptions are marked too, so that
:func:`fill_page` can put a different story in every place a publisher prints one.

A page whose article cannot be found (less than :data:`MIN_COVERAGE` of its ground-truth
text in removable blocks, e.g. text in bare ``<div>`` lines) is not used.
"""

from __future__ import annotations

import gzip
import html
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lxml.etree
import lxml.html

__all__ = [
    "PageTemplate",
    "fill_page",
    "load_templates",
    "make_template",
]

BODY_MARK = "<!--newsingest-bench-story-->"
HEADLINE_MARK = "NewsingestBenchHeadline"
JSON_HEADLINE_MARK = "NewsingestBenchJsonHeadline"
DESCRIPTION_MARK = "NewsingestBenchDescription"
MARKS = (BODY_MARK, HEADLINE_MARK, JSON_HEADLINE_MARK, DESCRIPTION_MARK)

MIN_COVERAGE = 0.85
"""Share of the ground-truth article text that must be found in removable blocks."""
MIN_BLOCK_CHARS = 12
"""Shorter texts (a date, "Share") also occur outside the article and are left alone."""

BLOCKS = frozenset(
    {"p", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "blockquote", "pre", "figcaption"}
    | {"dl", "dt", "dd", "table", "section", "div", "article"}
)
LEAF_BLOCKS = frozenset({"p", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "dt", "dd"})
"""Blocks removed when their text is in the article; the container tags above are removed
only when *all* their text is, so that a wrapper keeps its side columns."""

TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:·•»]\s+")
DESCRIPTION_META = frozenset({"description", "og:description", "twitter:description"})
TITLE_META = frozenset({"og:title", "twitter:title"})
JSONLD_TYPE = "application/ld+json"


@dataclass(frozen=True)
class PageTemplate:
    """One outlet's page with its article cut out; ``text`` holds the marks."""

    name: str
    text: str
    removed_chars: int
    """Characters of the original article removed (how much of the page was the story)."""


# The ground truth was typed with straight quotes and hyphens where pages print curly ones.
FOLD = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})


def _norm(text: str) -> str:
    return " ".join(text.split())


def _folded(text: str) -> str:
    return " ".join(text.translate(FOLD).split())


def _text(element: Any) -> str:
    return _folded(element.text_content())


def _outermost(elements: Iterable[Any]) -> list[Any]:
    """``elements`` without those inside another one of them (document order kept)."""
    chosen: list[Any] = []
    ids: set[int] = set()
    for element in elements:
        if any(id(a) in ids for a in element.iterancestors()):
            continue
        chosen.append(element)
        ids.add(id(element))
    return chosen


def _article_blocks(root: Any, article: str) -> list[Any]:
    """The outermost block elements whose whole text is part of ``article`` (normalised)."""
    found = []
    for element in root.iter(*BLOCKS):
        text = _text(element)
        if len(text) < MIN_BLOCK_CHARS or text not in article:
            continue
        if element.tag not in LEAF_BLOCKS and not any(
            child.tag in LEAF_BLOCKS for child in element.iter()
        ):
            continue  # a bare <div> of text: removed with its parent or not at all
        found.append(element)
    return _outermost(found)


def _replace_title(root: Any, headline: str, site: str) -> None:
    title = next(root.iter("title"), None)
    if title is None:
        head = next(root.iter("head"), None)
        if head is None:
            return
        title = lxml.etree.SubElement(head, "title")
    original = _norm(title.text_content())
    if headline and headline in original:
        new = original.replace(headline, HEADLINE_MARK, 1)
    else:
        parts = TITLE_SEPARATORS.split(original)
        new = f"{HEADLINE_MARK} | {parts[-1] if len(parts) > 1 else site}"
    for child in list(title):
        title.remove(child)
    title.text = new


def _replace_meta(root: Any) -> None:
    for meta in root.iter("meta"):
        key = (meta.get("property") or meta.get("name") or "").lower()
        if key in TITLE_META:
            meta.set("content", HEADLINE_MARK)
        elif key in DESCRIPTION_META:
            meta.set("content", DESCRIPTION_MARK)


def _replace_jsonld(root: Any, headline: str) -> None:
    if not headline:
        return
    quoted = json.dumps(headline, ensure_ascii=False)[1:-1]
    for script in root.iter("script"):
        if (script.get("type") or "").lower() != JSONLD_TYPE or not script.text:
            continue
        script.text = script.text.replace(quoted, JSON_HEADLINE_MARK)


def _headline_element(root: Any, headline: str) -> Any | None:
    """The heading that shows the article's headline: one naming it, else the only ``<h1>``."""
    candidates = [h for tag in ("h1", "h2") for h in root.iter(tag)]
    lowered = _folded(headline).lower()
    for heading in candidates:
        text = _text(heading).lower()
        if text and lowered and (text == lowered or lowered in text):
            return heading
    h1s = list(root.iter("h1"))
    return h1s[0] if len(h1s) == 1 else None


_MENU_RE = re.compile(r"menu|nav|sidebar|dropdown|drawer")


def _in_menu(element: Any) -> bool:
    """Whether ``element`` sits in a navigation menu, side column or footer: text there that
    also occurs in the article (a menu item named like a heading) is not where the story goes."""
    for up in element.iterancestors():
        if up.tag in ("body", "html"):
            return False
        words = f"{up.get('class') or ''} {up.get('id') or ''}".lower()
        if up.tag in ("nav", "aside", "menu", "details", "footer") or _MENU_RE.search(words):
            return True
    return False


def make_template(name: str, page: str, truth: dict[str, Any], site: str = "") -> PageTemplate:
    """A wrapper from one real page and its ground truth; :class:`ValueError` if unusable."""
    content = str(truth.get("main_content") or "")
    headline = _norm(str(truth.get("title") or ""))
    article = _folded(content)
    if not article:
        raise ValueError(f"{name}: no main_content")
    try:
        root = lxml.html.document_fromstring(page)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ValueError(f"{name}: not parsed ({exc})") from exc
    blocks = [b for b in _article_blocks(root, article) if not _in_menu(b)]
    removed = sum(len(_text(b)) for b in blocks)
    if removed < MIN_COVERAGE * len(article):
        raise ValueError(f"{name}: article not found ({removed}/{len(article)} characters)")
    heading = _headline_element(root, headline)
    if heading is not None and any(heading is b or b in heading.iterancestors() for b in blocks):
        heading = None  # removed with the article; a new one goes before the body
    first = blocks[0]
    marker = lxml.etree.Comment(BODY_MARK[4:-3])
    marker.tail = first.tail
    first.addprevious(marker)
    for block in blocks:
        block.drop_tree()
    if heading is None:
        heading = lxml.etree.Element("h1")
        marker.addprevious(heading)
    for child in list(heading):
        heading.remove(child)
    heading.text = HEADLINE_MARK
    _replace_title(root, headline, site)
    _replace_meta(root)
    _replace_jsonld(root, headline)
    text = lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")
    if text.count(BODY_MARK) != 1:
        raise ValueError(f"{name}: story mark lost or repeated")
    return PageTemplate(name=name, text=text, removed_chars=removed)


def _site(url: str) -> str:
    host = url.split("//", 1)[-1].split("/", 1)[0]
    return host.removeprefix("www.")


def load_templates(folder: Path) -> list[PageTemplate]:
    """Every usable wrapper from ``folder`` (``html/NNNN.html.gz`` + ``ground-truth/NNNN.json``).

    Sorted by name, so a seed picks the same wrappers on every machine.
    """
    templates: list[PageTemplate] = []
    for path in sorted((folder / "html").glob("*.html.gz")):
        number = path.name.split(".", 1)[0]
        truth_path = folder / "ground-truth" / f"{number}.json"
        if not truth_path.is_file():
            continue
        record = json.loads(truth_path.read_text(encoding="utf-8"))
        page = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
        try:
            templates.append(
                make_template(
                    number, page, record.get("ground_truth") or {}, _site(record.get("url", ""))
                )
            )
        except ValueError:
            continue
    return templates


def _attribute(text: str) -> str:
    return html.escape(text, quote=True)


def fill_page(
    template: PageTemplate, title: str, paragraphs: Sequence[str], header: str | None = None
) -> str:
    """``template`` carrying the story: headline everywhere the page shows one, then the body.

    ``header`` (an outlet's promo line on a re-published copy) opens the body, in italics.
    """
    body = [f"<p><em>{html.escape(header)}</em></p>"] if header else []
    body += [f"<p>{html.escape(p)}</p>" for p in paragraphs]
    description = paragraphs[0][:160] if paragraphs else title
    # Inside a <script>, "</" could close it early; JSON allows the escaped slash.
    json_title = json.dumps(title, ensure_ascii=False)[1:-1].replace("</", "<\\/")
    return (
        template.text.replace(BODY_MARK, "\n".join(body))
        .replace(JSON_HEADLINE_MARK, json_title)
        .replace(HEADLINE_MARK, _attribute(title))
        .replace(DESCRIPTION_MARK, _attribute(description))
    )
