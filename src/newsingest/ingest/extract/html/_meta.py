"""Title, date and author from what publishers emit, each with the source it came from.

Sources: JSON-LD (``NewsArticle``, ``Article``, ``BlogPosting`` and kin, also inside
``@graph`` and lists), OpenGraph and ``article:*`` meta tags, other meta tags (``date``,
``pubdate``, Dublin Core, ...), ``<time datetime>``, the date in the page's URL, elements
whose class says they hold a date, the text by the ``<h1>``, a labelled date in the page's
text (:func:`labelled_date`, given the fast path's blocks), the ``<h1>`` itself, and
``<title>`` with the site-name part removed. The order each field tries them in is in
docs/extraction.md.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from selectolax.lexbor import LexborHTMLParser, LexborNode

from newsingest.ingest.dates import DateMatch, match_date_line, search_date

__all__ = [
    "TEXT_DATE_SOURCES",
    "Found",
    "Metadata",
    "clean_title",
    "labelled_date",
    "parse_date_field",
    "read_metadata",
]

_ARTICLE_TYPES = frozenset(
    {
        "article", "newsarticle", "blogposting", "reportagenewsarticle", "analysisnewsarticle",
        "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "liveblogposting",
        "techarticle", "scholarlyarticle", "report", "socialmediaposting", "posting", "review",
        "medicalwebpage", "satiricalarticle", "advertisercontentarticle",
    }
)  # fmt: skip
_PAGE_TYPES = frozenset({"webpage", "itempage", "collectionpage", "aboutpage", "faqpage"})
_SITE_TYPES = frozenset({"website", "organization", "newsmediaorganization", "corporation"})
_MAX_JSON_OBJECTS = 2000
"""JSON-LD objects looked at per page: enough for any real @graph, bounded for any input."""

_DATE_METAS = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "datepublished",
    "article.published",
    "publish-date",
    "publish_date",
    "publishdate",
    "pubdate",
    "date",
    "dc.date",
    "dc.date.issued",
    "dc.date.created",
    "dcterms.created",
    "dcterms.date",
    "dcterms.issued",
    "citation_publication_date",
    "citation_date",
    "sailthru.date",
    "parsely-pub-date",
    "article:published",
    "published",
    "published-date",
    "published_date",
    "publication_date",
    "publication-date",
)
# Site-prefixed names ("w-published-date", "cms.publish_date") say the same.
_PUBLISHED_META_RE = re.compile(r"publish(?:ed)?[-_.]?date$")
# A page's last change is its date only when nothing says when it was published.
_MODIFIED_METAS = ("og:updated_time", "article:modified_time", "datemodified", "last-modified")
# Elements that print the date for readers, by their class or id.
_DATE_ELEMENTS = (
    '[itemprop="datePublished"], [class*="date"], [class*="publish"], [class*="posted"],'
    ' [class*="byline"], [class*="time"], [id*="date"], [class*="meta"]'
)
_MAX_DATE_ELEMENTS = 12
"""Date-like elements read per page: the article's own date comes early."""
_AUTHOR_METAS = (
    "author",
    "article:author",
    "byl",
    "parsely-author",
    "sailthru.author",
    "dc.creator",
    "dcterms.creator",
    "citation_author",
    "twitter:creator",
)
_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " » ", " · ", " // ", " ~ ")
_WORD_RE = re.compile(r"\w+")
_MAX_TITLE_CHARS = 300
"""A longer ``<h1>`` is not a headline."""
_URL_RE = re.compile(r"^(?:https?:)?//|^www\.|\.(?:com|org|net)\b", re.IGNORECASE)


class Found(NamedTuple):
    """A value and where it was found (``"json-ld"``, ``"og:title"``, ``"<h1>"``...)."""

    value: str
    source: str


class Metadata(NamedTuple):
    title: Found | None
    date: tuple[DateMatch, str] | None
    modified: tuple[DateMatch, str] | None
    """The page's last change (``article:modified_time``...): its date when nothing else,
    not even a labelled date in its text (:func:`labelled_date`), says when it was published."""
    author: Found | None
    site_name: str | None
    description: str | None
    """The page's own summary (``og:description``, ``description``): a body of last resort."""


def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD_RE.findall(text.lower()))


def _squash(text: str) -> str:
    return " ".join(text.split())


def _types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type")
    if isinstance(kind, str):
        return {kind.lower()}
    if isinstance(kind, list):
        return {k.lower() for k in kind if isinstance(k, str)}
    return set()


def _iter_objects(data: object) -> Iterator[dict[str, Any]]:
    """Every JSON object in ``data``, breadth first, at most ``_MAX_JSON_OBJECTS``."""
    queue: list[object] = [data]
    seen = 0
    while queue and seen < _MAX_JSON_OBJECTS:
        item = queue.pop(0)
        if isinstance(item, list):
            queue.extend(item)
        elif isinstance(item, dict):
            seen += 1
            yield item
            for key in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement"):
                inner = item.get(key)
                if isinstance(inner, list | dict):
                    queue.append(inner)


def _names(value: object) -> list[str]:
    """Author names in a JSON-LD ``author``: a string, a Person, or a list of them."""
    out: list[str] = []
    items = value if isinstance(value, list) else [value]
    for item in items[:20]:
        if isinstance(item, str):
            name = item
        elif isinstance(item, dict):
            raw = item.get("name")
            name = raw if isinstance(raw, str) else ""
            if not name and isinstance(raw, list) and raw and isinstance(raw[0], str):
                name = raw[0]
        else:
            continue
        name = _squash(name)
        if name and not _URL_RE.search(name) and name not in out:
            out.append(name)
    return out


class _JsonLd(NamedTuple):
    headline: str | None
    date: str | None
    author: str | None
    site_name: str | None
    kind: str


def _read_json_ld(tree: LexborHTMLParser) -> _JsonLd | None:
    article: dict[str, Any] | None = None
    page: dict[str, Any] | None = None
    site_name: str | None = None
    for script in tree.css('script[type="application/ld+json"]'):
        raw = script.text()
        if not raw or raw.isspace():
            continue
        try:
            data = json.loads(raw, strict=False)
        except (ValueError, RecursionError):
            continue
        for obj in _iter_objects(data):
            kinds = _types(obj)
            if article is None and kinds & _ARTICLE_TYPES:
                article = obj
            elif page is None and kinds & _PAGE_TYPES:
                page = obj
            elif site_name is None and kinds & _SITE_TYPES:
                name = obj.get("name")
                if isinstance(name, str) and name.strip():
                    site_name = _squash(name)
    chosen = article if article is not None else page
    if chosen is None:
        return None if site_name is None else _JsonLd(None, None, None, site_name, "")
    headline = chosen.get("headline")
    if not isinstance(headline, str) or not headline.strip():
        headline = chosen.get("name") if article is not None else None
    date = chosen.get("datePublished") or chosen.get("dateCreated")
    names = _names(chosen.get("author") or chosen.get("creator"))
    publisher = chosen.get("publisher")
    if site_name is None and isinstance(publisher, dict):
        name = publisher.get("name")
        if isinstance(name, str) and name.strip():
            site_name = _squash(name)
    kinds = _types(chosen)
    return _JsonLd(
        headline=_squash(headline) if isinstance(headline, str) and headline.strip() else None,
        date=date if isinstance(date, str) else None,
        author=", ".join(names) if names else None,
        site_name=site_name,
        kind=sorted(kinds)[0] if kinds else "",
    )


def _read_metas(tree: LexborHTMLParser) -> dict[str, str]:
    """``<meta>`` contents by lower-cased property, name or itemprop; the first one wins."""
    metas: dict[str, str] = {}
    for node in tree.css("meta"):
        attrs = node.attributes
        content = attrs.get("content")
        if not content or content.isspace():
            continue
        for key in ("property", "name", "itemprop"):
            name = attrs.get(key)
            if name:
                name = name.strip().lower()
                if name not in metas:
                    metas[name] = content.strip()
    return metas


def parse_date_field(raw: str) -> DateMatch | None:
    """The date in a metadata value: ISO 8601 first, then any date form ``dates`` reads."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        return DateMatch(date=dt.datetime.fromisoformat(raw).date(), raw=raw)
    except ValueError:
        pass
    if len(raw) > 200:
        return None
    found = match_date_line(raw) or search_date(raw)
    if found is None:
        return None
    return DateMatch(date=found.date, raw=raw, ambiguous=found.ambiguous)


def clean_title(title: str, site_names: list[str]) -> str:
    """``title`` without its site-name part (``Headline | Site`` → ``Headline``).

    A part is dropped when it matches a known site name, or, failing that, when it is
    at an end and short (up to four words) while the rest is longer.
    """
    for sep in _TITLE_SEPARATORS:
        if sep not in title:
            continue
        parts = [p.strip() for p in title.split(sep)]
        parts = [p for p in parts if p]
        if len(parts) < 2:
            continue
        known = {_words(s) for s in site_names if s}
        kept = [p for p in parts if _words(p) not in known]
        if known and len(kept) < len(parts) and kept:
            return sep.join(kept)
        first, last = parts[0], parts[-1]
        if len(_words(last)) <= 4 and len(_words(sep.join(parts[:-1]))) > len(_words(last)):
            return (
                sep.join(parts[:-1])
                if len(parts) == 2
                else clean_title(sep.join(parts[:-1]), site_names)
            )
        # One leading word is as often the start of the headline ("Left - right: ...").
        lead = len(_words(first))
        if 2 <= lead <= 3 and len(_words(sep.join(parts[1:]))) > 2 * lead:
            return sep.join(parts[1:])
    return title


def _first_text(nodes: list[LexborNode]) -> str | None:
    for node in nodes:
        text = _squash(node.text())
        if text:
            return text
    return None


def _meta_date(metas: dict[str, str], names: Sequence[str]) -> tuple[DateMatch, str] | None:
    """The first of the ``names`` meta tags whose content parses as a date, and its source."""
    for name in names:
        value = metas.get(name)
        if value:
            found = parse_date_field(value)
            if found is not None:
                return found, f"meta {name}"
    return None


def _time_date(tree: LexborHTMLParser) -> tuple[DateMatch, str] | None:
    """A date from ``<time datetime>``: the one marked as published first, else the first."""
    times = tree.css("time[datetime]")
    if not times:
        return None
    ranked = sorted(
        times[:50],
        key=lambda t: (
            not (
                t.attributes.get("itemprop") == "datePublished"
                or "pubdate" in t.attributes
                or "publish" in (t.attributes.get("class") or "")
            )
        ),
    )
    for node in ranked:
        raw = node.attributes.get("datetime") or ""
        date = parse_date_field(raw)
        if date is not None:
            return date, "<time datetime>"
    return None


def _element_date(tree: LexborHTMLParser) -> tuple[DateMatch, str] | None:
    """A date printed in an element whose class says it holds dates, bylines or metadata."""
    body = tree.body
    if body is None:
        return None
    for node in body.css(_DATE_ELEMENTS)[:_MAX_DATE_ELEMENTS]:
        # Separated: "Published" and "Feb 2, 2023" in two elements must not join into
        # "PublishedFeb 2, 2023", which no date search reads.
        text = node.attributes.get("content") or node.text(separator=" ")
        if not text or len(text) > 300:
            continue
        found = search_date(text)
        if found is not None:
            return DateMatch(date=found.date, raw=found.raw, ambiguous=found.ambiguous), (
                ELEMENT_DATE
            )
    return None


ELEMENT_DATE = "a date element's text"
HEADLINE_DATE = "the text by the <h1>"
LABELLED_DATE = "a labelled date in the page's text"
TEXT_DATE_SOURCES = frozenset({ELEMENT_DATE, HEADLINE_DATE, LABELLED_DATE})
"""Dates searched for in the page's text: a date line at the top of the body beats them."""
_NEAR_HEADLINE_CHARS = 1500
"""How much text around the ``<h1>`` is searched for a printed date."""
_HEADLINE_BOXES = 6
"""Boxes around the ``<h1>`` searched, smallest first: headline, byline and date often sit in
boxes of their own a few levels apart."""


def _headline_date(node: LexborNode | None) -> tuple[DateMatch, str] | None:
    """A date printed next to the headline: in the smallest box around the ``<h1>`` (``node``)
    that has one."""
    for _ in range(_HEADLINE_BOXES):
        if node is None:
            return None
        node = node.parent
        # Above <body> is the <head>, whose scripts are no printed date.
        if node is None or node.tag in ("html", "-document"):
            return None
        text = node.text(separator=" ")
        if len(text) > _NEAR_HEADLINE_CHARS:
            # Characters of text, not of the markup's indentation.
            text = _squash(text[: 4 * _NEAR_HEADLINE_CHARS])[:_NEAR_HEADLINE_CHARS]
        found = search_date(text)
        if found is not None:
            return DateMatch(date=found.date, raw=found.raw, ambiguous=found.ambiguous), (
                HEADLINE_DATE
            )
    return None


_URL_DATE_RE = re.compile(r"/((?:19|20)\d\d)/(\d\d?)/(\d\d?)/")
URL_DATE = "the page's URL"


def _is_iso(raw: str) -> bool:
    try:
        dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        return False
    return True


def _url_date(
    tree: LexborHTMLParser, metas: dict[str, str], date: tuple[DateMatch, str] | None
) -> tuple[DateMatch, str] | None:
    """The date in the page's own URL (``/2025/12/18/``, from ``og:url`` or the canonical
    link) when the metadata gave none or one a day off it.

    A URL's date is the publisher's local date; a metadata time stamp a day off it was
    written in another time zone (``2025-12-19T02:41:41+00:00`` for an evening post of
    the 18th in New York). A date further off is another date (an update), kept.
    """
    url = metas.get("og:url")
    if not url:
        link = tree.css_first('link[rel="canonical"]')
        url = (link.attributes.get("href") or "") if link is not None else ""
    m = _URL_DATE_RE.search(url) if url else None
    if m is None:
        return date
    try:
        day = dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return date
    if date is not None and abs((date[0].date - day).days) != 1:
        return date
    return DateMatch(date=day, raw=m[0]), URL_DATE


def _headline_node(h1_nodes: list[LexborNode], title: Found | None) -> LexborNode | None:
    """The ``<h1>`` that shows the title, else the first: a page's first ``<h1>`` may be
    its logo or a menu's."""
    if title is not None and len(h1_nodes) > 1:
        want = " ".join(_words(title.value))
        for node in h1_nodes:
            got = " ".join(_words(node.text()))
            if got and (got in want or want in got):
                return node
    return h1_nodes[0] if h1_nodes else None


_DATE_LABEL_RE = re.compile(r"\b(?:published|posted|updated|written)\b", re.IGNORECASE)
_LABEL_REACH = 40
"""Characters after a label ("Posted on the", "Last updated:") where its date is looked for."""


def labelled_date(texts: Sequence[str]) -> tuple[DateMatch, str] | None:
    """The first date in the page's text blocks (``texts``) that a label introduces
    ("Posted on 15/12/2025"), wherever it is: some pages print it under the article
    rather than by the headline. The fast path's blocks are the text, without scripts."""
    text = "\n".join(texts)
    for label in _DATE_LABEL_RE.finditer(text):
        found = search_date(text[label.end() : label.end() + _LABEL_REACH])
        if found is not None:
            return DateMatch(date=found.date, raw=found.raw, ambiguous=found.ambiguous), (
                LABELLED_DATE
            )
    return None


def read_metadata(tree: LexborHTMLParser) -> Metadata:
    """Title, date and author of the page, each with its source (see the module docstring)."""
    ld = _read_json_ld(tree)
    metas = _read_metas(tree)
    site_names = [
        s for s in (metas.get("og:site_name"), ld.site_name if ld else None,
                    metas.get("application-name"), metas.get("twitter:site", "").lstrip("@"))
        if s
    ]  # fmt: skip

    h1_nodes = tree.css("h1")[:3]
    h1 = _first_text(h1_nodes)
    title_tag = tree.css_first("title")
    page_title = _squash(title_tag.text()) if title_tag is not None else ""
    candidates: list[Found] = []
    if ld is not None and ld.headline:
        candidates.append(Found(clean_title(ld.headline, site_names), "json-ld"))
    for name in ("og:title", "twitter:title"):
        value = metas.get(name)
        if value:
            candidates.append(Found(clean_title(_squash(value), site_names), f"meta {name}"))
    if page_title:
        candidates.append(Found(clean_title(page_title, site_names), "<title>"))
    title = _choose_title(h1, candidates, site_names)

    date: tuple[DateMatch, str] | None = None
    headline = _headline_node(h1_nodes, title)
    if ld is not None and ld.date:
        found = parse_date_field(ld.date)
        if found is not None and _is_iso(ld.date):
            date = (found, "json-ld")
        elif found is not None:
            # schema.org dates are ISO 8601: another form was printed by a page template,
            # which may fill it from the wrong field; the date shown by the headline wins.
            date = _headline_date(headline) or (found, "json-ld (not ISO 8601)")
    if date is None:
        date = _meta_date(metas, _DATE_METAS)
    if date is None:
        date = _meta_date(metas, [n for n in metas if _PUBLISHED_META_RE.search(n)])
    if date is None:
        date = _time_date(tree)
    date = _url_date(tree, metas, date)
    if date is None:
        date = _element_date(tree)
    if date is None:
        date = _headline_date(headline)

    author: Found | None = None
    if ld is not None and ld.author:
        author = Found(ld.author, "json-ld")
    else:
        for name in _AUTHOR_METAS:
            value = metas.get(name)
            if value and not _URL_RE.search(value) and not value.startswith("@"):
                author = Found(_squash(value), f"meta {name}")
                break
        if author is None:
            text = _first_text(tree.css('[itemprop="author"], [rel="author"]')[:3])
            if text and len(text) < 100:
                author = Found(text, "itemprop/rel=author")

    description = metas.get("og:description") or metas.get("description")
    return Metadata(
        title=title,
        date=date,
        modified=_meta_date(metas, _MODIFIED_METAS),
        author=author,
        site_name=site_names[0] if site_names else None,
        description=_squash(description) if description else None,
    )


def _choose_title(h1: str | None, candidates: list[Found], site_names: list[str]) -> Found | None:
    """The headline: the first ``<h1>`` when metadata agrees with it or shares most of its
    words (metadata titles are often rewritten for search engines and social media) or
    when there is no metadata but ``<title>``; else the first metadata title (JSON-LD,
    OpenGraph, Twitter, ``<title>``)."""
    if h1 and len(h1) <= _MAX_TITLE_CHARS:
        h1_words = _words(h1)
        for found in candidates:
            if _words(found.value) == h1_words:
                return Found(h1, f"<h1> (agrees with {found.source})")
        if h1_words and h1_words not in {_words(s) for s in site_names}:
            mine = set(h1_words)
            for found in candidates:
                theirs = set(_words(found.value))
                if theirs and len(mine & theirs) * 2 >= min(len(mine), len(theirs)):
                    return Found(h1, f"<h1> (near {found.source})")
        # A bare <title> is no better evidence than the <h1> on the page itself.
        if all(c.source == "<title>" for c in candidates):
            return Found(h1, "<h1>")
    if candidates:
        return candidates[0]
    if h1:
        return Found(h1, "<h1>")
    return None
