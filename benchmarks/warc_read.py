"""Compare WARC readers (FastWARC, warcio) on speed and on damaged files.

Usage::

    python -m benchmarks.warc_read --data ../shared/data [--repeat 3] [--copies 4] [--json out.json]

Speed: a WARC this script builds from the real article pages of
``html/wcxb-articles`` (each page as a crawler stores it: a request record, a
response record, a metadata record; one response in four gzip-encoded, one in
eight chunked, and one image response per four pages), written as ``.warc``
and as ``.warc.gz`` (one gzip member per record). Each reader walks every
record and reads every response payload with its HTTP codings undone
(FastWARC ``auto_decode="all"``, warcio ``content_stream()``); newsingest's
reader (FastWARC underneath, HTTP parsed by newsingest, HTML responses only)
is timed on the same files. CPU seconds of this process, best of ``--repeat``.

Robustness: small WARC files with one kind of damage each; for every reader,
how many of the good records it returned and whether it reported the damage
(an exception, or for newsingest a Rejection row).
"""

from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastwarc.warc import ArchiveIterator, WarcRecordType
from warcio.archiveiterator import ArchiveIterator as WarcioIterator

from benchmarks._common import format_table, machine_info, write_json
from newsingest.ingest.read import iter_documents
from newsingest.ingest.warc import http_response, warc_record
from newsingest.records import RawDocument, Rejection

_PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 16


def _uid(n: int) -> str:
    return f"urn:uuid:00000000-0000-4000-8000-{n:012d}"


def _chunked(body: bytes, size: int = 8192) -> bytes:
    parts = [
        b"%x\r\n%s\r\n" % (len(body[i : i + size]), body[i : i + size])
        for i in range(0, len(body), size)
    ]
    return b"".join(parts) + b"0\r\n\r\n"


def build_records(pages: list[bytes]) -> list[bytes]:
    """The records of a crawl of ``pages``: request, response, metadata; an image now and then."""
    records: list[bytes] = []
    n = 0
    for i, page in enumerate(pages):
        url = f"https://news{i % 97}.example/story/{i}"
        request = f"GET /story/{i} HTTP/1.1\r\nHost: news.example\r\n\r\n".encode()
        records.append(
            warc_record(
                request,
                warc_type="request",
                url=url,
                record_id=_uid(n := n + 1),
                content_type="application/http; msgtype=request",
            )
        )
        if i % 4 == 1:
            block = http_response(gzip.compress(page), headers=[("Content-Encoding", "gzip")])
        elif i % 8 == 2:
            block = http_response(
                _chunked(page), headers=[("Transfer-Encoding", "chunked")], content_length=False
            )
        else:
            block = http_response(page)
        records.append(warc_record(block, url=url, record_id=_uid(n := n + 1)))
        records.append(
            warc_record(
                b"fetchTimeMs: 120\r\n",
                warc_type="metadata",
                url=url,
                record_id=_uid(n := n + 1),
                content_type="application/warc-fields",
            )
        )
        if i % 4 == 3:
            image = http_response(_PNG, content_type="image/png")
            records.append(warc_record(image, url=url + ".png", record_id=_uid(n := n + 1)))
    return records


def read_fastwarc(path: Path) -> tuple[int, int]:
    count = total = 0
    with path.open("rb") as f:
        for record in ArchiveIterator(
            f, record_types=WarcRecordType.response, auto_decode="all", fsspec_args=False
        ):
            total += len(record.reader.read())
            count += 1
    return count, total


def read_warcio(path: Path) -> tuple[int, int]:
    count = total = 0
    with path.open("rb") as f:
        for record in WarcioIterator(f):
            if record.rec_type == "response":
                total += len(record.content_stream().read())
                count += 1
    return count, total


def read_newsingest(path: Path) -> tuple[int, int]:
    count = total = 0
    for item in iter_documents([path]):
        if isinstance(item, RawDocument):
            count += 1
            total += len(item.data)
    return count, total


READERS: dict[str, Callable[[Path], tuple[int, int]]] = {
    "fastwarc": read_fastwarc,
    "warcio": read_warcio,
    "newsingest (fastwarc + own HTTP)": read_newsingest,
}


def best_cpu(
    fn: Callable[[Path], tuple[int, int]], path: Path, repeat: int
) -> tuple[float, int, int]:
    best = float("inf")
    out = (0, 0)
    for _ in range(repeat):
        start = time.process_time()
        out = fn(path)
        best = min(best, time.process_time() - start)
    return best, *out


# Robustness: each case is (name, file suffix, bytes, good records expected).

_PAGE = (
    b"<!doctype html><html><head><title>Harbor Street</title></head><body><article>"
    b"<h1>Council approves bike lanes</h1>"
    + b"<p>The council voted on Tuesday night.</p>" * 20
    + b"</article></body></html>"
)


def _rec(i: int, block: bytes | None = None, **kw: Any) -> bytes:
    return warc_record(
        block if block is not None else http_response(_PAGE),
        url=f"https://news.example/{i}",
        record_id=_uid(1000 + i),
        **kw,
    )


_INTACT = frozenset(
    {
        "intact .warc.gz",
        "non-HTTP record (metadata)",
        "chunked response",
        "gzip Content-Encoding",
        "non-HTML response (PDF)",
        "one gzip stream for the file",
    }
)


def robustness_cases() -> list[tuple[str, str, bytes, int]]:
    good = [_rec(i) for i in range(3)]
    members = [gzip.compress(r) for r in good]
    plain = b"".join(good)
    gz = b"".join(members)
    return [
        ("intact .warc.gz", ".warc.gz", gz, 3),
        ("truncated gzip member (last record)", ".warc.gz", gz[:-60], 2),
        ("truncated in the middle", ".warc.gz", gz[: len(members[0]) + len(members[1]) // 2], 1),
        (
            "garbage between records",
            ".warc",
            good[0] + b"junk\x00\x01 here\r\n\r\n" + good[1] + good[2],
            3,
        ),
        (
            "garbage between gzip members",
            ".warc.gz",
            members[0] + b"junk" + members[1] + members[2],
            3,
        ),
        ("missing Content-Length", ".warc", good[0] + _rec(9, content_length=False) + good[2], 2),
        (
            "non-HTTP record (metadata)",
            ".warc",
            good[0]
            + _rec(8, b"a: b\r\n", warc_type="metadata", content_type="application/warc-fields")
            + good[2],
            2,
        ),
        (
            "chunked response",
            ".warc",
            _rec(
                7,
                http_response(
                    _chunked(_PAGE, 100),
                    headers=[("Transfer-Encoding", "chunked")],
                    content_length=False,
                ),
            ),
            1,
        ),
        (
            "gzip Content-Encoding",
            ".warc",
            _rec(6, http_response(gzip.compress(_PAGE), headers=[("Content-Encoding", "gzip")])),
            1,
        ),
        (
            "non-HTML response (PDF)",
            ".warc",
            good[0] + _rec(5, http_response(b"%PDF-1.4\n%%EOF", content_type="application/pdf")),
            1,
        ),
        ("one gzip stream for the file", ".warc.gz", gzip.compress(plain), 3),
        ("plain file truncated", ".warc", plain[:-300], 2),
    ]


def probe(name: str, path: Path) -> tuple[int, bool, str]:
    """(good HTML records returned, damage reported, what happened) for one reader."""
    if name == "newsingest (fastwarc + own HTTP)":
        items = list(iter_documents([path]))
        docs = [i for i in items if isinstance(i, RawDocument) and i.data.endswith(b"</html>")]
        bad = [i for i in items if isinstance(i, Rejection)]
        return len(docs), bool(bad), "; ".join(r.reason[:40] for r in bad)
    got = 0
    try:
        if name == "fastwarc":
            with path.open("rb") as f:
                for record in ArchiveIterator(f, auto_decode="all", fsspec_args=False):
                    body = record.reader.read()
                    if body.endswith(b"</html>") and b"<h1>" in body:
                        got += 1
        else:
            with path.open("rb") as f:
                for r in WarcioIterator(f):
                    body = r.content_stream().read()
                    if body.endswith(b"</html>") and b"<h1>" in body:
                        got += 1
    except Exception as exc:  # what a reader raises is the measurement
        return got, True, f"{type(exc).__name__}: {str(exc).strip()[:40]}"
    return got, False, ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--copies", type=int, default=4, help="times each page is crawled")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    folder = args.data / "html" / "wcxb-articles" / "html"
    pages = [gzip.decompress(p.read_bytes()) for p in sorted(folder.glob("*.html.gz"))]
    if not pages:
        sys.exit(f"no pages under {folder}")
    records = build_records(pages * args.copies)
    result: dict[str, Any] = {"machine": machine_info(), "pages": len(pages) * args.copies}
    speed_rows = []
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp, "crawl.warc")
        plain.write_bytes(b"".join(records))
        gz = Path(tmp, "crawl.warc.gz")
        gz.write_bytes(b"".join(gzip.compress(r, compresslevel=6) for r in records))
        result["files"] = {
            "records": len(records),
            "warc_mb": plain.stat().st_size / 1e6,
            "warc_gz_mb": gz.stat().st_size / 1e6,
        }
        for path in (plain, gz):
            for name, fn in READERS.items():
                cpu, count, total = best_cpu(fn, path, args.repeat)
                speed_rows.append(
                    [path.name, name, f"{cpu:.3f}", f"{total / 1e6 / cpu:.0f}", count]
                )
        robust_rows = []
        for case, suffix, data, expected in robustness_cases():
            path = Path(tmp, "case" + suffix)
            path.write_bytes(data)
            row: list[object] = [case, expected]
            damaged = case not in _INTACT
            for name in READERS:
                got, reported, what = probe(name, path)
                cell = f"{got}, error: {what}" if reported else str(got)
                row.append(cell + (", damage not reported" if damaged and not reported else ""))
            robust_rows.append(row)
    print(
        f"{result['pages']} pages, {len(records)} records; .warc "
        f"{result['files']['warc_mb']:.1f} MB, .warc.gz {result['files']['warc_gz_mb']:.1f} MB"
    )
    print(format_table(["file", "reader", "CPU s", "payload MB/s", "responses"], speed_rows))
    print()
    print(format_table(["damage", "good records", *READERS], robust_rows))
    result["speed"] = speed_rows
    result["robustness"] = robust_rows
    if args.json:
        write_json(args.json, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
