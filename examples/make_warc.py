"""Write the demo crawl ``examples/warc/crawl.warc.gz`` (run from anywhere; deterministic).

The pages are built from the stories in ``examples/articles`` (run
``make_examples.py`` first if that folder is missing), laid out as news sites
serve them: navigation, a script, related links, a footer. The crawl holds
what a real one does, one gzip member per record: a ``warcinfo`` record, and
for each page a request, a response and a metadata record. Among the responses:

* the bike-lanes story from two outlets, Harbor Daily (JSON-LD with its date)
  and Metro Wire (the page ``examples/articles/metro-wire/bike-lanes.html``):
  ``newsingest dedup`` finds them to be copies;
* a page with no date at all, which gets the record's WARC-Date;
* a page sent gzip-encoded, one sent chunked, one labelled ISO-8859-1 in its
  HTTP Content-Type but written in cp1252;
* an image, a robots.txt and a 404 page: skipped, not documents.

    python examples/make_warc.py
    newsingest ingest examples/warc/crawl.warc.gz -o pages.jsonl
"""

from __future__ import annotations

import gzip
import html
import json
import re
from pathlib import Path

from newsingest.ingest.warc import http_response, warc_record

HERE = Path(__file__).resolve().parent
ARTICLES = HERE / "articles"
OUT = HERE / "warc" / "crawl.warc.gz"

_PROMO = re.compile(r"^(Join our|Subscribe|Follow us)", re.I)
_DATE_LINE = re.compile(r"^(Published: )?.{0,30}\b(19|20)\d\d\b.{0,10}$")


def read_story(path: Path) -> tuple[str, str | None, list[str]]:
    """(title, date line, paragraphs) of a plain-text story of the demo folder."""
    paragraphs = [p.strip() for p in path.read_text("utf-8").split("\n\n") if p.strip()]
    paragraphs = [p for p in paragraphs if not _PROMO.match(p)]
    title, rest = paragraphs[0], paragraphs[1:]
    date = None
    if rest and _DATE_LINE.match(rest[0]):
        date, rest = rest[0], rest[1:]
    return title, date, rest


def page(
    site: str,
    title: str,
    paragraphs: list[str],
    *,
    iso_date: str | None = None,
    byline: str | None = None,
) -> str:
    """A news page around one story; JSON-LD only when a date is given."""
    esc = html.escape
    head = [f"<title>{esc(title)} | {esc(site)}</title>"]
    if iso_date is not None:
        meta = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": title,
            "datePublished": iso_date,
            "publisher": {"@type": "Organization", "name": site},
        }
        if byline:
            meta["author"] = {"@type": "Person", "name": byline}
        head.append(f'<script type="application/ld+json">{json.dumps(meta)}</script>')
    body = "\n".join(f"<p>{esc(p)}</p>" for p in paragraphs)
    by = f'<p class="byline">By {esc(byline)}</p>' if byline else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
{chr(10).join(head)}
<script>window.dataLayer = window.dataLayer || []; dataLayer.push({{"page": "article"}});</script>
</head><body>
<header><a href="/">{esc(site)}</a>
<nav><a href="/local">Local</a> <a href="/business">Business</a> <a href="/weather">Weather</a>
<a href="/subscribe">Subscribe</a></nav></header>
<main><article><h1>{esc(title)}</h1>
{by}
{body}
</article>
<aside><h2>Most read</h2><ul>
<li><a href="/local/ferry">Ferry schedule changes for the winter</a></li>
<li><a href="/business/market">Farmers market moves to Saturdays</a></li>
</ul></aside></main>
<footer><p>&copy; {esc(site)}. All rights reserved.</p>
<a href="/privacy">Privacy</a> <a href="/contact">Contact</a></footer>
</body></html>
"""


def _chunked(body: bytes, size: int = 700) -> bytes:
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


class Crawl:
    """Records in order, each its own gzip member, with ids and dates that never change."""

    def __init__(self) -> None:
        self.members: list[bytes] = []
        self.count = 0

    def add(
        self,
        block: bytes,
        *,
        date: str,
        warc_type: str = "response",
        url: str | None = None,
        content_type: str = "application/http; msgtype=response",
    ) -> None:
        self.count += 1
        record = warc_record(
            block,
            warc_type=warc_type,
            url=url,
            date=date,
            record_id=f"urn:uuid:5eed0000-0000-4000-8000-{self.count:012d}",
            content_type=content_type,
        )
        self.members.append(gzip.compress(record, compresslevel=9, mtime=0))

    def fetch(self, url: str, response: bytes, date: str) -> None:
        """A page as a crawler stores it: request, response, metadata."""
        path = "/" + url.split("/", 3)[3]
        host = url.split("/")[2]
        request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: demo-crawler\r\n\r\n"
        self.add(
            request.encode(),
            warc_type="request",
            url=url,
            date=date,
            content_type="application/http; msgtype=request",
        )
        self.add(response, url=url, date=date)
        self.add(
            b"fetchTimeMs: 212\r\n",
            warc_type="metadata",
            url=url,
            date=date,
            content_type="application/warc-fields",
        )


def main() -> None:
    crawl = Crawl()
    info = b"software: newsingest examples/make_warc.py\r\nformat: WARC File Format 1.1\r\n"
    crawl.add(
        info,
        warc_type="warcinfo",
        content_type="application/warc-fields",
        date="2024-03-09T08:00:00Z",
    )

    title, _, paragraphs = read_story(ARTICLES / "harbor-daily" / "bike-lanes.txt")
    harbor = page(
        "Harbor Daily", title, paragraphs, iso_date="2023-08-03T17:30:00Z", byline="Dana Whitfield"
    )
    crawl.fetch(
        "https://harbordaily.example/local/2023/08/03/bike-lanes",
        http_response(harbor.encode()),
        "2024-03-09T08:00:05Z",
    )
    metro = (ARTICLES / "metro-wire" / "bike-lanes.html").read_bytes()
    crawl.fetch(
        "https://metrowire.example/news/harbor-street-bike-lanes",
        http_response(gzip.compress(metro, mtime=0), headers=[("Content-Encoding", "gzip")]),
        "2024-03-09T08:00:09Z",
    )

    title, _, paragraphs = read_story(ARTICLES / "harbor-daily" / "thermostat.txt")
    undated = page("Harbor Daily", title, paragraphs)  # no date anywhere: WARC-Date is used
    crawl.fetch(
        "https://harbordaily.example/business/thermostat-recall",
        http_response(
            _chunked(undated.encode()),
            headers=[("Transfer-Encoding", "chunked")],
            content_length=False,
        ),
        "2024-03-09T08:01:00Z",
    )

    title, _, paragraphs = read_story(ARTICLES / "harbor-daily" / "drought.txt")
    latin = page("Valley Courier", title, paragraphs, iso_date="2023-06-14").replace(
        'charset="utf-8"', 'charset="iso-8859-1"'
    )
    crawl.fetch(
        "https://valleycourier.example/farm/drought-cattle",
        http_response(
            # Labelled ISO-8859-1 but written in cp1252 (its curly quotes), as many sites do.
            latin.encode("cp1252"),
            content_type="text/html; charset=ISO-8859-1",
        ),
        "2024-03-09T08:02:00Z",
    )

    title, _, paragraphs = read_story(ARTICLES / "harbor-daily" / "library.txt")
    crawl.fetch(
        "https://harbordaily.example/local/eastside-library",
        http_response(page("Harbor Daily", title, paragraphs, iso_date="2023-09-02").encode()),
        "2024-03-09T08:03:00Z",
    )

    # What every crawl also holds, and what is not an article.
    png = b"\x89PNG\r\n\x1a\n" + bytes(64)
    crawl.fetch(
        "https://harbordaily.example/static/logo.png",
        http_response(png, content_type="image/png"),
        "2024-03-09T08:04:00Z",
    )
    crawl.fetch(
        "https://harbordaily.example/robots.txt",
        http_response(b"User-agent: *\nDisallow: /admin\n", content_type="text/plain"),
        "2024-03-09T08:04:01Z",
    )
    crawl.fetch(
        "https://harbordaily.example/local/old-story",
        http_response(b"<html><body><h1>Page not found</h1></body></html>", status="404 Not Found"),
        "2024-03-09T08:04:02Z",
    )

    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(b"".join(crawl.members))
    print(f"wrote {OUT.relative_to(HERE.parent)}: {crawl.count} records")


if __name__ == "__main__":
    main()
