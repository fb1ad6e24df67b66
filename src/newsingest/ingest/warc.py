"""WARC files: one document per HTML response record, through FastWARC.

A WARC file is a series of records; a crawl stores, for each page, a
``request`` and a ``response`` record (and often ``metadata``). Only
``response`` records whose HTTP status is 2xx and whose payload is HTML or
XHTML become documents; every other record is skipped and counted by kind
(the counts are logged per file at INFO level, ``-v``): a crawl's images,
PDFs and requests are expected, not errors.

A document's id is the file's id, then ``#@`` and the record's byte offset in
the file (the offset of its gzip member in a ``.warc.gz`` made one member per
record, as crawlers write them): ``crawl.warc.gz#@48213``. A ``.warc.gz``
compressed as one stream has no such offsets; its records get the position
FastWARC reports with ``+N`` for the Nth record at the same position, so that
every id stays unique (:func:`record_suffix`).

Damage never ends the file: a record shorter than its Content-Length
(a truncated file), a record without a Content-Length, HTTP headers that
cannot be parsed, or a payload that cannot be inflated is one Rejection; bytes
that are not a record (garbage, a corrupt gzip member, a tail no record could be
read from) are one Rejection naming the byte range, and reading resumes at the
next record found after them. FastWARC returns a cut record short without an
error, and ends quietly at a gzip member cut before its first block: both are
checked here (the record's length against its Content-Length, the end of the
last record against the end of the file).

:func:`http_response` and :func:`warc_record` write WARC records (the
examples, the tests and the benchmark build their files with them);
:func:`record_bytes` cuts one record out of a file, as its id names it.

The HTTP layer is parsed here: status, Content-Type (its ``charset`` goes on
the document for the notes, since the decoder detects encodings itself),
chunked Transfer-Encoding and gzip/deflate/brotli/zstd Content-Encoding, each
inflated payload capped at ``max_document_bytes``.
"""

from __future__ import annotations

import io
import logging
import re
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import BinaryIO, Final

import attrs
import zstandard
from fastwarc.stream_io import BrotliReader
from fastwarc.warc import ArchiveIterator, WarcRecord, WarcRecordType

from newsingest.config import ReadConfig
from newsingest.errors import ReadError
from newsingest.records import RawDocument, Rejection

__all__ = [
    "HttpResponse",
    "http_response",
    "iter_warc",
    "parse_http",
    "record_bytes",
    "record_suffix",
    "warc_record",
]

log = logging.getLogger(__name__)

_HTML_TYPES: Final = frozenset({"text/html", "application/xhtml+xml"})
_GZIP_MAGIC: Final = b"\x1f\x8b\x08"
_WARC_MAGIC: Final = b"WARC/1."
_SEARCH_CHUNK: Final = 1 << 20
_MAX_HEADER: Final = 64 << 10
"""HTTP headers longer than this are not headers (FastWARC caps WARC headers at 32 KiB)."""
_SNIFF: Final = re.compile(
    rb"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S
)
_RATIO_FLOOR: Final = 1 << 20
_CHARSET: Final = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:+-]+)""", re.I)


@attrs.frozen(kw_only=True)
class HttpResponse:
    """The parts of an HTTP response a document needs: status, media type, charset, body."""

    status: int
    media_type: str | None
    charset: str | None
    body: bytes = attrs.field(repr=False)
    notes: tuple[str, ...] = ()


def record_suffix(offset: int, repeat: int = 0) -> str:
    """The id suffix of the record at ``offset`` (the ``repeat``-th at that position).

    >>> record_suffix(48213), record_suffix(372, 1)
    ('#@48213', '#@372+1')
    """
    return f"#@{offset}" if repeat == 0 else f"#@{offset}+{repeat}"


def iter_warc(
    raw: BinaryIO,
    size: int,
    *,
    doc_id: str,
    shown_path: str,
    compression: str | None,
    config: ReadConfig,
) -> Iterator[RawDocument | Rejection]:
    """Yield a document per HTML response record of an open WARC file, a Rejection per damage.

    ``raw`` is the file, seekable, at its start (FastWARC detects gzip itself).
    """
    if size == 0:
        yield _reject(doc_id, shown_path, "empty file")
        return
    skipped: Counter[str] = Counter()
    state = _Scan(size=size, config=config, gzip=compression == "gzip" or _starts_gzip(raw, 0))
    start = 0
    while True:
        raw.seek(start)
        records = ArchiveIterator(
            raw,
            parse_http=False,
            fsspec_args=False,
            stream_detect=state.gzip,
        )
        failure: str | None = None
        try:
            for record in records:
                state.last_rejected = False
                for item in _one_record(record, state, skipped, doc_id, shown_path):
                    state.yielded += 1
                    state.last_rejected = isinstance(item, Rejection)
                    yield item
                if state.stopped is not None:
                    break
        except OSError as exc:
            failure = str(exc) or type(exc).__name__
        if state.stopped is not None:
            yield _reject(doc_id, shown_path, state.stopped)
            break
        if failure is None:
            # FastWARC ends quietly at bytes it cannot make a record of (a gzip member
            # cut before its first block): they are damage too.
            trailing = _trailing(raw, state) if state.records else None
            if trailing is None:
                break
            failure = "no record could be read from them"
        # Damage between records: skip to the next thing that looks like a record.
        # The unreadable bytes start where the last good record ends, or where this
        # attempt started if it read none; what starts there is what failed.
        gap = start
        if state.last_pos >= start:
            end = _record_end(raw, state)
            gap = end if end is not None else state.last_pos + 1
        resume = _find_next(raw, gap + 1, gzip=state.gzip)
        where = f"to byte {resume}" if resume is not None else "to the end of the file"
        state.damaged += 1
        yield _reject(
            doc_id + record_suffix(gap),
            shown_path,
            f"unreadable WARC data from byte {gap} {where} ({failure}); "
            + ("reading resumed at the next record" if resume is not None else "the rest is lost"),
        )
        if resume is None:
            break
        start = resume
    if state.cut_member is not None:
        yield _reject(
            doc_id,
            shown_path,
            f"truncated or corrupt: the gzip member at byte {state.cut_member} has no valid end "
            "(the record in it was read whole and is kept)",
        )
        state.damaged += 1
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(skipped.items()))
    if state.records == 0 and state.damaged == 0:
        yield _reject(doc_id, shown_path, "no WARC records")
    elif state.yielded == 0 and state.damaged == 0 and state.stopped is None:
        # A file that gives nothing says why, as a file of blank lines does.
        yield _reject(doc_id, shown_path, f"no HTML pages among its records ({kinds})")
    elif skipped:
        log.info("%s: %d WARC record(s) skipped (%s)", shown_path, skipped.total(), kinds)


@attrs.define
class _Scan:
    """What one file's scan has seen so far."""

    size: int
    config: ReadConfig
    gzip: bool
    records: int = 0
    yielded: int = 0
    damaged: int = 0
    declared: int = 0
    last_pos: int = -1
    last_length: int = 0
    repeat: int = 0
    stopped: str | None = None
    cut_member: int | None = None
    last_rejected: bool = False


def _one_record(
    record: WarcRecord,
    state: _Scan,
    skipped: Counter[str],
    doc_id: str,
    shown_path: str,
) -> Iterator[RawDocument | Rejection]:
    pos = record.stream_pos
    state.repeat = state.repeat + 1 if pos == state.last_pos else 0
    state.records += 1
    state.last_pos = pos
    length = record.content_length
    state.last_length = length
    rid = doc_id + record_suffix(pos, state.repeat)
    config = state.config
    state.declared += length
    if state.declared > config.max_stream_bytes:
        state.stopped = (
            f"decompression bomb: records add up past max_stream_bytes ({config.max_stream_bytes})"
        )
        return
    if state.declared > _RATIO_FLOOR and state.declared > config.max_ratio * state.size:
        state.stopped = (
            f"decompression bomb: records add up to more than max_ratio ({config.max_ratio:g}) "
            f"times the file's {state.size} bytes"
        )
        return
    if record.headers.get("WARC-Type") is None:
        # FastWARC hands out what it could parse of a header cut short by damage.
        yield _reject(rid, shown_path, "WARC record with incomplete headers (no WARC-Type)")
        return
    kind = _record_kind(record)
    if kind != "response":
        skipped[kind] += 1
        return
    url = record.headers.get("WARC-Target-URI")
    cap = config.max_document_bytes
    try:
        if record.headers.get("Content-Length") is None:
            raise ReadError("WARC record without a Content-Length")
        if length > cap + _MAX_HEADER:
            # Too large to be a document: read its headers only, to tell a page from media.
            status, headers, _ = _parse_head(record.reader.read(_MAX_HEADER))
            if 200 <= status < 300 and _is_html_type(headers.get("content-type")):
                raise ReadError(f"record of {length} bytes exceeds max_document_bytes ({cap})")
            skipped[_skip_kind(status, headers.get("content-type"))] += 1
            return
        block = record.reader.read(length)
        if len(block) < length:
            raise ReadError(f"truncated WARC record: {len(block)} of {length} bytes")
        status, headers, body_start = _parse_head(block)
        content_type = headers.get("content-type")
        if not (200 <= status < 300 and _is_html_type(content_type)):
            skipped[_skip_kind(status, content_type)] += 1
            return
        body, notes = _decode_payload(block[body_start:], headers, cap)
    except ReadError as exc:
        yield _reject(rid, shown_path, str(exc))
        return
    media_type, charset = _content_type(content_type)
    if media_type is None and _SNIFF.match(body[:4096]) is None:
        # No Content-Type at all: only a payload that starts like a page is one.
        skipped["non-HTML response (no type)"] += 1
        return
    if not body.strip():
        yield _reject(rid, shown_path, "HTML response with an empty body")
        return
    yield RawDocument(
        id=rid,
        path=shown_path,
        format="html",
        data=body,
        url=url.strip() if url else None,
        record_date=record.headers.get("WARC-Date"),
        charset=charset,
        notes=notes,
    )


def _record_kind(record: WarcRecord) -> str:
    kind = record.record_type
    if kind == WarcRecordType.response:
        return "response"
    name = record.headers.get("WARC-Type")
    return (name or "untyped").strip().lower() or "untyped"


def _skip_kind(status: int, content_type: str | None) -> str:
    if not 200 <= status < 300:
        return f"HTTP {status}"
    media_type = _content_type(content_type)[0]
    return f"non-HTML response ({media_type or 'no type'})"


def _is_html_type(content_type: str | None) -> bool:
    media_type = _content_type(content_type)[0]
    return media_type is None or media_type in _HTML_TYPES


def parse_http(block: bytes, cap: int) -> HttpResponse:
    """Parse a response record's block: HTTP status line, headers, and the decoded payload.

    Raises :class:`~newsingest.errors.ReadError` for a block that is not an
    HTTP response or whose payload cannot be decoded within ``cap`` bytes.
    """
    status, headers, body_start = _parse_head(block)
    body, notes = _decode_payload(block[body_start:], headers, cap)
    media_type, charset = _content_type(headers.get("content-type"))
    return HttpResponse(
        status=status, media_type=media_type, charset=charset, body=body, notes=tuple(notes)
    )


def _decode_payload(body: bytes, headers: dict[str, str], cap: int) -> tuple[bytes, list[str]]:
    """Undo the transfer and content codings of a payload, capped at ``cap`` bytes."""
    notes: list[str] = []
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body, note = _dechunk(body, cap)
        if note:
            notes.append(note)
    for coding in reversed(_codings(headers.get("content-encoding", ""))):
        body = _inflate(body, coding, cap, notes)
    if len(body) > cap:
        raise ReadError(f"payload of {len(body)} bytes exceeds max_document_bytes ({cap})")
    return body, notes


def _parse_head(block: bytes) -> tuple[int, dict[str, str], int]:
    """The status, the headers (lower-case names) and where the body starts."""
    end = block.find(b"\r\n\r\n", 0, _MAX_HEADER)
    sep = 4
    if end < 0:
        end = block.find(b"\n\n", 0, _MAX_HEADER)
        sep = 2
    if end < 0:
        raise ReadError("response record without complete HTTP headers")
    head = block[:end].decode("latin-1").replace("\r\n", "\n").split("\n")
    status_line = head[0].split(None, 2)
    if len(status_line) < 2 or not status_line[0].upper().startswith("HTTP/"):
        raise ReadError(f"response record without an HTTP status line: {head[0][:60]!r}")
    try:
        status = int(status_line[1])
    except ValueError:
        raise ReadError(f"HTTP status is not a number: {status_line[1][:20]!r}") from None
    headers: dict[str, str] = {}
    for line in head[1:]:
        name, colon, value = line.partition(":")
        if colon:
            key = name.strip().lower()
            # Repeated headers are joined as HTTP allows; the last Content-Type wins.
            headers[key] = (
                value.strip()
                if key == "content-type" or key not in headers
                else headers[key] + ", " + value.strip()
            )
    return status, headers, end + sep


def _codings(value: str) -> list[str]:
    return [
        c.strip().lower() for c in value.split(",") if c.strip().lower() not in ("", "identity")
    ]


def _content_type(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    media_type = value.split(";", 1)[0].strip().lower() or None
    found = _CHARSET.search(value)
    return media_type, found.group(1).lower() if found else None


def _dechunk(body: bytes, cap: int) -> tuple[bytes, str | None]:
    """Undo chunked transfer coding; a body that is not chunked (a crawler that stored it
    decoded but kept the header) is returned as it is, with a note."""
    parts: list[bytes] = []
    total = 0
    pos = 0
    while True:
        eol = body.find(b"\n", pos, pos + 1024)
        size_text = body[pos:eol].split(b";", 1)[0].strip() if eol >= 0 else b""
        try:
            chunk_size = int(size_text, 16)
        except ValueError:
            if pos == 0:
                return body, "Transfer-Encoding: chunked, but the payload is not chunked"
            raise ReadError("malformed chunked payload") from None
        if chunk_size == 0:
            return b"".join(parts), None
        data_start = eol + 1
        chunk = body[data_start : data_start + chunk_size]
        if len(chunk) < chunk_size:
            raise ReadError("truncated chunked payload")
        total += chunk_size
        if total > cap:
            raise ReadError(f"chunked payload exceeds max_document_bytes ({cap})")
        parts.append(chunk)
        pos = data_start + chunk_size
        if body.startswith(b"\r\n", pos):
            pos += 2
        elif body.startswith(b"\n", pos):
            pos += 1


def _inflate(body: bytes, coding: str, cap: int, notes: list[str]) -> bytes:
    try:
        if coding in ("gzip", "x-gzip", "deflate"):
            return _inflate_zlib(body, coding, cap)
        if coding == "br":
            out = BrotliReader(io.BytesIO(body)).read(cap + 1)
        elif coding == "zstd":
            with zstandard.ZstdDecompressor().stream_reader(body) as reader:
                out = bytes(reader.read(cap + 1))
        else:
            raise ReadError(f"unsupported Content-Encoding {coding!r}")
    except (OSError, zlib.error, zstandard.ZstdError, EOFError) as exc:
        if _SNIFF.match(body[:4096]):
            # Stored already decoded with the header kept: the payload is the page.
            notes.append(f"Content-Encoding: {coding}, but the payload is not encoded")
            return body
        raise ReadError(f"cannot undo Content-Encoding {coding}: {exc}") from None
    if len(out) > cap:
        raise ReadError(f"payload inflates past max_document_bytes ({cap})")
    return out


def _inflate_zlib(body: bytes, coding: str, cap: int) -> bytes:
    wbits = 47 if coding != "deflate" else 15  # 47: gzip or zlib header, detected
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(body, cap + 1)
    except zlib.error:
        if coding != "deflate":
            raise
        # "deflate" is often sent raw, without the zlib header it names.
        inflater = zlib.decompressobj(-15)
        out = inflater.decompress(body, cap + 1)
    if len(out) > cap:
        raise ReadError(f"payload inflates past max_document_bytes ({cap})")
    return out


def _starts_gzip(raw: BinaryIO, pos: int) -> bool:
    raw.seek(pos)
    head = raw.read(3)
    raw.seek(pos)
    return head == _GZIP_MAGIC


def _record_end(raw: BinaryIO, state: _Scan) -> int | None:
    """Where the last record read ends (its gzip member's end, for a ``.warc.gz``), or None
    if that cannot be told (a ``.warc.gz`` compressed as one stream, damage)."""
    if state.last_pos < 0:
        return 0
    raw.seek(state.last_pos)
    head = raw.read(3)
    raw.seek(state.last_pos)
    if state.gzip:
        return _member_end(raw, state.last_pos) if head == _GZIP_MAGIC else None
    block = raw.read(_MAX_HEADER)
    end = block.find(b"\r\n\r\n")
    if end < 0:
        return None
    end = state.last_pos + end + 4 + state.last_length
    raw.seek(end)
    tail = raw.read(4)  # a record ends in a blank line after its block
    return end + (4 if tail == b"\r\n\r\n" else 2 if tail.startswith(b"\n\n") else 0)


def _member_end(raw: BinaryIO, pos: int) -> int | None:
    """The end of the gzip member at ``pos`` (``raw`` is there), inflated and dropped."""
    inflater = zlib.decompressobj(31)
    consumed = 0
    try:
        while not inflater.eof:
            block = raw.read(_SEARCH_CHUNK)
            if not block:
                return None
            data = block
            while data and not inflater.eof:
                inflater.decompress(data, 1 << 16)
                data = inflater.unconsumed_tail
            consumed += len(block)
    except zlib.error:
        return None
    return pos + consumed - len(inflater.unused_data)


def _trailing(raw: BinaryIO, state: _Scan) -> int | None:
    """Where bytes after the last record start that no record was read from, if any."""
    end = _record_end(raw, state)
    if end is None and state.gzip and not state.last_rejected and _starts_gzip(raw, state.last_pos):
        # The last member has no valid end, yet its record was read whole: the file was
        # cut inside the member's trailer, or its checksum is wrong. Said once, for the file.
        state.cut_member = state.last_pos
    if end is None or end >= state.size or state.repeat:
        return None
    raw.seek(end)
    if not raw.read(_SEARCH_CHUNK).strip():
        return None
    return end


def _find_next(raw: BinaryIO, pos: int, *, gzip: bool) -> int | None:
    """The offset of the next record (a gzip member, or a ``WARC/1.`` line) at or after ``pos``."""
    # A record starts a line: look for the newline before it (one byte back from pos).
    start = pos if gzip or pos == 0 else pos - 1
    marker = _GZIP_MAGIC if gzip else b"\n" + _WARC_MAGIC
    if not gzip and pos == 0:
        raw.seek(0)
        if raw.read(len(_WARC_MAGIC)) == _WARC_MAGIC:
            return 0
    raw.seek(start)
    carry = b""
    base = start
    while block := raw.read(_SEARCH_CHUNK):
        data = carry + block
        hit = data.find(marker)
        if hit >= 0:
            return base + hit + (0 if gzip else 1)
        carry = data[-(len(marker) - 1) :]
        base += len(data) - len(carry)
    return None


def record_bytes(raw: BinaryIO, offset: int) -> bytes:
    """The bytes of the record at ``offset`` as the file holds them: its gzip member in a
    ``.warc.gz``, the record with its closing blank line in a ``.warc``.

    The offset is the one a record id names (:func:`~newsingest.ingest.ids.split_record_id`);
    copying the bytes of several records one after another makes a valid WARC file. Raises
    :class:`~newsingest.errors.ReadError` if no whole record starts there.
    """
    if _starts_gzip(raw, offset):
        end = _member_end(raw, offset)
    else:
        raw.seek(offset)
        head = raw.read(_MAX_HEADER)
        end = None
        stop = head.find(b"\r\n\r\n")
        length = re.search(rb"\r\nContent-Length:[ \t]*([0-9]+)", head[:stop], re.I)
        if head.startswith(_WARC_MAGIC) and stop >= 0 and length is not None:
            end = offset + stop + 4 + int(length.group(1))
            raw.seek(end)
            end += 4 if raw.read(4) == b"\r\n\r\n" else 0
    if end is None:
        raise ReadError(f"no whole WARC record at byte {offset}")
    raw.seek(offset)
    data = raw.read(end - offset)
    if len(data) != end - offset:
        raise ReadError(f"the WARC record at byte {offset} is cut short")
    return data


def _reject(doc_id: str, path: str, reason: str) -> Rejection:
    return Rejection(id=doc_id, path=path, stage="read", reason=reason)


def http_response(
    body: bytes,
    *,
    content_type: str | None = "text/html; charset=utf-8",
    status: str = "200 OK",
    headers: Sequence[tuple[str, str]] = (),
    content_length: bool = True,
) -> bytes:
    """An HTTP/1.1 response as a WARC response record stores it (status line, headers, body)."""
    lines = [f"HTTP/1.1 {status}"]
    if content_type is not None:
        lines.append(f"Content-Type: {content_type}")
    lines.extend(f"{k}: {v}" for k, v in headers)
    if content_length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def warc_record(
    block: bytes,
    *,
    warc_type: str = "response",
    url: str | None = None,
    date: str = "2024-05-01T12:00:00Z",
    record_id: str = "urn:uuid:00000000-0000-4000-8000-000000000000",
    content_type: str | None = "application/http; msgtype=response",
    content_length: bool = True,
) -> bytes:
    """One WARC/1.1 record around ``block`` (give each record its own ``record_id``)."""
    lines = ["WARC/1.1", f"WARC-Type: {warc_type}", f"WARC-Record-ID: <{record_id}>"]
    lines.append(f"WARC-Date: {date}")
    if url is not None:
        lines.append(f"WARC-Target-URI: {url}")
    if content_type is not None:
        lines.append(f"Content-Type: {content_type}")
    if content_length:
        lines.append(f"Content-Length: {len(block)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
    return head + block + b"\r\n\r\n"
