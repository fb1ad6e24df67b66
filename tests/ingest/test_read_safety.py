"""Issue 17 on the read stage: unique, reversible ids; damaged streams; blank-line bombs."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from newsingest.config import ReadConfig
from newsingest.ingest._streams import LineSplitter
from newsingest.ingest.ids import escape_name, split_document_id
from newsingest.ingest.read import iter_documents
from newsingest.records import RawDocument, Rejection

MiB = 1024 * 1024

needs_bytes_names = pytest.mark.skipif(
    sys.platform in {"darwin", "win32"}, reason="the filesystem refuses names that are not UTF-8"
)


def run(*paths: object, **config: Any) -> list[RawDocument | Rejection]:
    return list(
        iter_documents([p if isinstance(p, bytes) else str(p) for p in paths], ReadConfig(**config))
    )


# --- fault 4: ids are unique per input and name their file --------------------------------


@needs_bytes_names
def test_a_raw_byte_name_and_its_escaped_spelling_get_distinct_ids(tmp_path: Path) -> None:
    root = os.fsencode(tmp_path)
    (Path(os.fsdecode(root + b"/a\xff.txt"))).write_bytes(b"Raw byte\n\nOne story.\n")
    (tmp_path / "a\\xff.txt").write_bytes(b"Backslash\n\nAnother story.\n")
    items = run(tmp_path)
    assert [i.id for i in items] == ["a\\\\xff.txt", "a\\xff.txt"]
    for item in items:
        name, line = split_document_id(item.id)
        assert line is None
        assert isinstance(item, RawDocument)
        assert (tmp_path / name).read_bytes() == item.data


def test_a_file_named_like_a_json_line_gets_its_own_id(tmp_path: Path) -> None:
    (tmp_path / "feed.jsonl").write_bytes(b'{"text": "one"}\n{"text": "two"}\n')
    (tmp_path / "feed.jsonl#2").write_bytes(b"not a feed")
    (tmp_path / "x#1.jsonl").write_bytes(b'{"text": "three"}\n')
    items = run(tmp_path)
    got = [i.id for i in items]
    assert got == ["feed.jsonl#1", "feed.jsonl#2", "feed.jsonl\\#2", "x\\#1.jsonl#1"]
    assert len(set(got)) == len(got)
    assert [split_document_id(i) for i in got] == [
        ("feed.jsonl", 1),
        ("feed.jsonl", 2),
        ("feed.jsonl#2", None),
        ("x#1.jsonl", 1),
    ]


def test_ordinary_names_keep_their_ids(tmp_path: Path) -> None:
    for name in ["sport/199.txt", "été/café.txt", "a b/c-d_e.html", "feed.jsonl"]:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b'{"text": "x"}\n' if name.endswith(".jsonl") else b"Title\n\nBody.\n")
    got = [i.id for i in run(tmp_path)]
    assert got == ["a b/c-d_e.html", "feed.jsonl#1", "sport/199.txt", "été/café.txt"]


def test_argument_prefixes_are_escaped_too(tmp_path: Path) -> None:
    for folder in ("d#1", "d\\2"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "s.txt").write_bytes(b"Title\n\nBody.\n")
    items = run(tmp_path / "d#1", tmp_path / "d\\2")
    prefix = escape_name(str(tmp_path))
    assert [i.id for i in items] == [f"{prefix}/d\\#1/s.txt", f"{prefix}/d\\\\2/s.txt"]
    assert split_document_id(items[0].id) == (f"{tmp_path}/d#1/s.txt", None)


# Names as os.fsdecode gives them: any text, with undecodable bytes as surrogateescape.
names = st.lists(
    st.one_of(
        st.characters(blacklist_categories=("Cs",)),
        st.sampled_from(["\\", "#", "x", "f", "ff", "\\x", "\\#", "#1"]),
        st.integers(0x80, 0xFF).map(lambda b: chr(0xDC00 + b)),
    ),
    max_size=12,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(a=names, b=names, line=st.one_of(st.none(), st.integers(1, 10**6)))
def test_ids_are_injective_and_reversible(a: str, b: str, line: int | None) -> None:
    doc_id = escape_name(a) + (f"#{line}" if line is not None else "")
    assert split_document_id(doc_id) == (a, line)
    if a != b:
        assert escape_name(a) != escape_name(b)
        assert escape_name(a) + "#1" != escape_name(b)
    if a.isascii() and "\\" not in a and "#" not in a:
        assert escape_name(a) == a


def test_text_that_is_no_id_is_refused() -> None:
    with pytest.raises(ValueError, match="not a document id"):
        split_document_id("a#b")


# --- fault 5: a damaged stream keeps every complete line before the damage -----------------


def _recoverable(blob: bytes, compression: str) -> bytes:
    """What an incremental decompressor gets out of a truncated stream."""
    if compression == "gzip":
        return zlib.decompressobj(wbits=31).decompress(blob)
    if compression == "bz2":
        return bz2.BZ2Decompressor().decompress(blob)
    if compression == "xz":
        return lzma.LZMADecompressor().decompress(blob)
    return zstandard.ZstdDecompressor().decompressobj().decompress(blob)


COMPRESS: dict[str, tuple[str, Callable[[bytes], bytes]]] = {
    "gzip": (".gz", gzip.compress),
    "bz2": (".bz2", lambda d: bz2.compress(d, compresslevel=1)),
    "xz": (".xz", lzma.compress),
    "zstd": (".zst", zstandard.ZstdCompressor().compress),
}


@pytest.mark.parametrize("compression", sorted(COMPRESS))
@pytest.mark.parametrize("count", [31, 3000])
def test_truncated_jsonl_keeps_every_complete_line(
    tmp_path: Path, compression: str, count: int
) -> None:
    lines = b"".join(
        b'{"n": %d, "pad": "%s"}\n' % (i, os.urandom(60).hex().encode()) for i in range(count)
    )
    suffix, compress = COMPRESS[compression]
    blob = compress(lines)
    cut = blob[: len(blob) * 9 // 10]
    (tmp_path / f"f.jsonl{suffix}").write_bytes(cut)
    complete = _recoverable(cut, compression).count(b"\n")
    items = run(tmp_path)
    *good, bad = items
    # bz2 and zstd inflate whole blocks: a small file cut short has no complete block.
    assert complete > 0 or (count < 100 and compression in {"bz2", "zstd"})
    assert [d.line for d in good] == list(range(1, complete + 1))
    assert all(isinstance(d, RawDocument) for d in good)
    assert isinstance(bad, Rejection)
    assert bad.id == f"f.jsonl{suffix}"
    assert bad.reason.startswith(f"corrupt {compression} stream: ")
    if complete:
        assert bad.reason.endswith(f" after line {complete}")


def test_corrupt_zstd_keeps_the_lines_before_the_damage(tmp_path: Path) -> None:
    lines = b"".join(b'{"n": %d}\n' % i for i in range(40))
    frames = zstandard.ZstdCompressor().compress(lines) + b"\x28\xb5\x2f\xfd garbage"
    (tmp_path / "f.jsonl.zst").write_bytes(frames)
    *good, bad = run(tmp_path)
    assert len(good) == 40
    assert isinstance(bad, Rejection)
    assert bad.reason.startswith("corrupt zstd stream: ")


# --- fault 15: every inflated byte counts, blank lines included ----------------------------


def test_a_stream_of_blank_lines_is_a_bomb_past_the_cap(tmp_path: Path) -> None:
    blank = b"\n" * (8 * MiB) + b'{"text": "late"}\n'
    (tmp_path / "blank.jsonl.gz").write_bytes(gzip.compress(blank, compresslevel=9))
    (item,) = run(tmp_path, max_stream_bytes=MiB)
    assert isinstance(item, Rejection)
    assert item.reason.startswith("decompression bomb: inflates past max_stream_bytes (1048576)")
    (item,) = run(tmp_path, max_stream_bytes=64 * MiB, max_ratio=50)
    assert isinstance(item, Rejection)
    assert item.reason.startswith("decompression bomb: inflates more than max_ratio (50)")


def test_blank_lines_cost_no_work_per_line() -> None:
    # Blank lines are counted in one pattern match per run, never yielded one by one.
    splitter = LineSplitter(1024)
    chunks = [b"\n" * 100_000, b" \r\n\t\n" * 1000 + b'{"a": 1}\n', b"\n" * 5 + b"{}"]
    assert list(splitter.lines(chunks)) == [(102_001, b'{"a": 1}', 8), (102_007, b"{}", 2)]
    assert splitter.count == 102_007


def test_an_over_long_blank_line_is_still_reported() -> None:
    splitter = LineSplitter(4)
    got = list(splitter.lines([b"\n\n" + b" " * 10 + b"\n\nx\n"]))
    assert got == [(3, None, 10), (5, b"x", 1)]


def test_an_argument_given_twice_is_read_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "a.txt").write_bytes(b"Title\n\nBody.\n")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "b.txt").write_bytes(b"Title\n\nBody.\n")
    a, d = str(tmp_path / "a.txt"), str(tmp_path / "d")
    got = [i.id for i in run(a, d, a, d)]
    assert got == [a, f"{d}/b.txt"]
    assert "given more than once; it is read once" in caplog.text
