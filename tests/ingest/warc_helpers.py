"""Small WARC files for the tests: pages, records and crawls built here, never read from data."""

from __future__ import annotations

import gzip
from collections.abc import Sequence

from newsingest.ingest.warc import http_response, warc_record

STORY = [
    "The city council voted 7 to 2 on Tuesday night to build protected bike lanes along the "
    "full length of Harbor Street, ending a debate that has divided shop owners and cyclists.",
    "The plan removes 140 parking spaces and adds concrete barriers between traffic and a "
    "two-way cycle track on the east side. Construction starts in March, engineers said.",
    "Business owners had warned that losing parking would drive away customers. The council "
    "added a loading zone on every block and promised a review of sales after one year.",
    "The project will cost 4.2 million, most of it from a state transportation grant that "
    "would have expired at the end of the year had the council not acted on Tuesday.",
]
OTHER = [
    "Ranchers across the northern valley are selling cattle months ahead of schedule as a "
    "third dry summer leaves pastures brown and stock ponds empty across the region.",
    "At the county auction yard on Monday more than 2,300 head changed hands, nearly twice "
    "the usual June volume, and prices fell by about eleven percent from last month.",
    "State agriculture officials said emergency grazing permits on public land would be "
    "issued from next week, but warned that the relief would be limited this season.",
]


def page(
    title: str,
    paragraphs: Sequence[str],
    *,
    site: str = "Harbor Daily",
    date: str | None = None,
) -> bytes:
    """A news page: navigation, the article (with a published date if given), a footer."""
    meta = f'<meta property="article:published_time" content="{date}">' if date else ""
    body = "".join(f"<p>{p}</p>\n" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title} | {site}</title>"
        f"{meta}</head><body><nav><a href='/'>Home</a> <a href='/local'>Local</a></nav>"
        f"<article><h1>{title}</h1>\n{body}</article>"
        f"<footer><a href='/privacy'>Privacy</a> {site}</footer></body></html>"
    ).encode()


def response(
    url: str,
    payload: bytes,
    n: int,
    *,
    content_type: str | None = "text/html; charset=utf-8",
    status: str = "200 OK",
    headers: Sequence[tuple[str, str]] = (),
    date: str = "2024-05-01T12:00:00Z",
    content_length: bool = True,
) -> bytes:
    """A response record (``n`` makes its record id unique)."""
    block = http_response(payload, content_type=content_type, status=status, headers=headers)
    return warc_record(
        block,
        url=url,
        date=date,
        record_id=f"urn:uuid:00000000-0000-4000-8000-{n:012d}",
        content_length=content_length,
    )


def other_record(kind: str, url: str, n: int, block: bytes = b"a: b\r\n") -> bytes:
    """A request, metadata or warcinfo record."""
    content_type = (
        "application/http; msgtype=request" if kind == "request" else "application/warc-fields"
    )
    return warc_record(
        block,
        warc_type=kind,
        url=url,
        record_id=f"urn:uuid:00000000-0000-4000-9000-{n:012d}",
        content_type=content_type,
    )


def members(records: Sequence[bytes]) -> bytes:
    """A ``.warc.gz``: one gzip member per record, as crawlers write it."""
    return b"".join(gzip.compress(r, mtime=0) for r in records)


def three_pages() -> list[bytes]:
    """Three HTML response records with distinct URLs and bodies."""
    return [
        response(
            f"https://news.example/{i}",
            page(f"Story number {i} of the day", [f"Paragraph {i}. " + p for p in STORY]),
            i,
        )
        for i in range(3)
    ]
