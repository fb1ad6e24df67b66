"""Byte streams for the read stage: decompression, bomb guards, BOM handling, line splitting.

Every function here streams: a file's bytes go through in chunks of about
``CHUNK`` bytes, and nothing holds more than a chunk and one document.
A damaged stream gives every byte it inflated before the damage, then raises
:class:`StreamError`: a JSON Lines reader keeps every complete line before it.
"""

from __future__ import annotations

import bz2
import codecs
import functools
import gzip
import io
import lzma
import re
import zlib
from collections.abc import Generator, Iterable, Iterator
from typing import Final

import zstandard

from newsingest.config import ReadConfig

__all__ = ["CHUNK", "LineSplitter", "StreamError", "cap_stream", "iter_chunks", "to_utf8"]

_MiB: Final = 1024 * 1024
CHUNK: Final = _MiB
"""Bytes per read: large enough that the OS, not Python, dominates."""
_ZSTD_FEED: Final = 256
"""Compressed bytes fed to zstd per call. A zstd block inflates to at most
128 KiB from 4 bytes, so this bounds one call's output to about 8 MiB: the
python-zstandard stream reader would bound it too, but it cannot tell a
truncated stream from a finished one."""
_RATIO_FLOOR: Final = _MiB
"""Streams are not checked against ``max_ratio`` below this many output bytes,
so that small, highly repetitive files pass."""
_LONGEST_RUN_LINE: Final = 1 << 30
"""A bound on a blank line inside one chunk, for the blank-run pattern (chunks are smaller)."""

_BOMS: Final = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class StreamError(Exception):
    """A compressed stream is corrupt or too large; the message is the rejection reason."""


class LineSplitter:
    """Split a byte stream on ``\\n`` into its lines that are not blank.

    :meth:`lines` yields (line number, line, length) for each line holding more
    than whitespace; a line longer than ``cap`` comes out as (number, None,
    length): it is counted while it streams past and never held in memory. A
    trailing ``\\r`` is removed. Blank lines are counted, not yielded, and a run
    of them is skipped by one pattern match: a stream of nothing but newlines
    costs no Python work per line. ``count`` is the number of complete lines
    read so far (blank ones included), up to date between chunks.
    """

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.count = 0

    def lines(self, chunks: Iterable[bytes]) -> Iterator[tuple[int, bytes | None, int]]:
        cap = self.cap
        blank_run = _blank_run(min(cap, _LONGEST_RUN_LINE))
        lineno = 0
        parts: list[bytes] = []
        pending = 0  # length of the unfinished line, kept in parts unless skipping
        skipping = False
        for chunk in chunks:
            first = chunk.find(b"\n")
            if first < 0:
                pending += len(chunk)
                if not skipping:
                    parts.append(chunk)
                    if pending > cap:
                        parts, skipping = [], True
                continue
            lineno += 1
            length = pending + first
            if skipping or length > cap:
                yield lineno, None, length
            else:
                line = b"".join([*parts, chunk[:first]])
                if line.strip():
                    yield lineno, _strip_cr(line), length
            last = chunk.rfind(b"\n")
            pos = first + 1
            while pos <= last:
                nl = chunk.find(b"\n", pos)
                lineno += 1
                length = nl - pos
                if length > cap:
                    yield lineno, None, length
                    pos = nl + 1
                    continue
                line = chunk[pos:nl]
                if line.strip():
                    yield lineno, _strip_cr(line), length
                    pos = nl + 1
                    continue
                # A blank line: skip the run of blank lines it starts in one match.
                end = blank_run.match(chunk, pos, last + 1).end()  # type: ignore[union-attr]
                lineno += chunk.count(b"\n", nl + 1, end)
                pos = end
            tail = chunk[last + 1 :]
            pending = len(tail)
            skipping = pending > cap
            parts = [tail] if tail and not skipping else []
            self.count = lineno
        if pending:
            lineno += 1
            if skipping:
                yield lineno, None, pending
            else:
                line = b"".join(parts)
                if line.strip():
                    yield lineno, _strip_cr(line), pending
        self.count = lineno


@functools.cache
def _blank_run(longest: int) -> re.Pattern[bytes]:
    """Consecutive lines of at most ``longest`` whitespace bytes, each ending in ``\\n``.

    The whitespace is what ``bytes.strip`` removes; possessive, so a longer
    blank line ends the run at once instead of being searched back through.
    """
    return re.compile(rb"(?:[ \t\r\x0b\x0c]{0,%d}+\n)*+" % longest)


def _strip_cr(line: bytes) -> bytes:
    return line[:-1] if line.endswith(b"\r") else line


def to_utf8(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Drop a UTF-8 BOM; transcode a stream that starts with a UTF-16/32 BOM to UTF-8.

    JSON Lines is UTF-8, but Windows tools write UTF-16 with a BOM; lines can
    only be split on b"\\n" once the stream is UTF-8.
    """
    head = b""
    for chunk in chunks:
        head += chunk
        if len(head) >= 4:
            break
    if head.startswith(codecs.BOM_UTF8):
        yield head[3:]
        yield from chunks
        return
    encoding = next((enc for bom, enc in _BOMS if head.startswith(bom)), None)
    if encoding is None:
        if head:
            yield head
        yield from chunks
        return
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    yield decoder.decode(head).encode("utf-8")
    for chunk in chunks:
        yield decoder.decode(chunk).encode("utf-8")
    yield decoder.decode(b"", final=True).encode("utf-8")


def cap_stream(chunks: Iterator[bytes], size: int, config: ReadConfig) -> Iterator[bytes]:
    """Pass a decompressed stream through, stopping it once it looks like a bomb.

    Every inflated byte counts, whatever it is: blank lines are as much a bomb as zeros.
    """
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > config.max_stream_bytes:
            raise StreamError(
                f"decompression bomb: inflates past max_stream_bytes ({config.max_stream_bytes})"
            )
        if total > _RATIO_FLOOR and total > config.max_ratio * size:
            raise StreamError(
                f"decompression bomb: inflates more than max_ratio ({config.max_ratio:g}) "
                f"times its {size} compressed bytes"
            )
        yield chunk


def iter_chunks(raw: io.FileIO, compression: str | None) -> Generator[bytes, None, None]:
    """Yield a file's (decompressed) bytes in chunks; a corrupt stream raises StreamError.

    Every byte inflated before the damage is yielded first: ``read1`` returns
    what one step of the decompressor made, where ``read`` would gather a whole
    chunk and lose it to the error.
    """
    if compression is None:
        while chunk := raw.read(CHUNK):
            yield chunk
        return
    try:
        if compression == "zstd":
            yield from _iter_zstd(raw)
            return
        with _open_decompressor(raw, compression) as reader:
            while chunk := reader.read1(CHUNK):
                yield chunk
    except (EOFError, zlib.error, lzma.LZMAError, zstandard.ZstdError) as exc:
        raise StreamError(f"corrupt {compression} stream: {exc}") from exc
    except OSError as exc:
        if exc.errno is not None:  # a real I/O error, not bad data
            raise
        raise StreamError(f"corrupt {compression} stream: {exc}") from exc


def _open_decompressor(
    raw: io.FileIO, compression: str
) -> gzip.GzipFile | bz2.BZ2File | lzma.LZMAFile:
    if compression == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if compression == "bz2":
        return bz2.BZ2File(raw)
    return lzma.LZMAFile(raw)


def _iter_zstd(raw: io.FileIO) -> Iterator[bytes]:
    """Inflate concatenated zstd frames in small feeds, noticing a truncated last frame."""
    decompressor = zstandard.ZstdDecompressor()
    frame = decompressor.decompressobj()
    in_frame = False
    out: list[bytes] = []
    out_len = 0
    while block := raw.read(CHUNK):
        view = memoryview(block)
        for start in range(0, len(view), _ZSTD_FEED):
            piece: bytes | memoryview = view[start : start + _ZSTD_FEED]
            while piece:
                in_frame = True
                try:
                    data = frame.decompress(piece)
                except zstandard.ZstdError:
                    if out:  # what inflated before the damage
                        yield b"".join(out)
                    raise
                piece = b""
                if data:
                    out.append(data)
                    out_len += len(data)
                if frame.eof:
                    in_frame = False
                    piece = frame.unused_data
                    frame = decompressor.decompressobj()
            if out_len >= CHUNK:
                yield b"".join(out)
                out, out_len = [], 0
    if out:
        yield b"".join(out)
    if in_frame:
        raise zstandard.ZstdError("stream ends inside a frame (truncated)")
