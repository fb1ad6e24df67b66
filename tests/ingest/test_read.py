"""Tests of the read stage: walking, formats, compression, caps and every way a file can fail."""

from __future__ import annotations

import bz2
import gzip
import itertools
import json
import lzma
import os
import pickle
import tempfile
import tracemalloc
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from newsingest.config import ReadConfig
from newsingest.ingest._streams import LineSplitter
from newsingest.ingest.read import (
    Entry,
    detect_format,
    iter_documents,
    iter_entries,
    read_entry,
)
from newsingest.records import RawDocument, Rejection

MiB = 1024 * 1024

COMPRESSORS: dict[str, tuple[str, Callable[[bytes], bytes]]] = {
    "gzip": (".gz", gzip.compress),
    "bz2": (".bz2", bz2.compress),
    "xz": (".xz", lzma.compress),
    "zstd": (".zst", zstandard.ZstdCompressor().compress),
}


def run(*paths: object, **config: Any) -> list[RawDocument | Rejection]:
    items = iter_documents(
        [p if isinstance(p, bytes) else str(p) for p in paths], ReadConfig(**config)
    )
    return list(items)


def ids(items: Iterable[RawDocument | Rejection]) -> list[str]:
    return [item.id for item in items]


def docs(items: Iterable[RawDocument | Rejection]) -> list[RawDocument]:
    return [item for item in items if isinstance(item, RawDocument)]


def rejections(items: Iterable[RawDocument | Rejection]) -> list[Rejection]:
    return [item for item in items if isinstance(item, Rejection)]


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# --- formats -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.txt", ("text", None)),
        ("a.TEXT", ("text", None)),
        ("dir/a.html", ("html", None)),
        ("a.HTM", ("html", None)),
        ("a.xhtml.bz2", ("html", "bz2")),
        ("a.jsonl.gz", ("jsonl", "gzip")),
        ("a.ndjson.XZ", ("jsonl", "xz")),
        ("a.txt.zst", ("text", "zstd")),
        ("a.pdf", None),
        ("a.gz", None),
        ("README", None),
        (".txt", None),
        ("a.txt.zip", None),
    ],
)
def test_detect_format(name: str, expected: tuple[str, str | None] | None) -> None:
    assert detect_format(name) == expected


# --- walking -----------------------------------------------------------------------------


def test_single_folder_ids_are_relative_and_recursive(tmp_path: Path) -> None:
    write(tmp_path / "b.txt", b"b")
    write(tmp_path / "sport" / "199.txt", b"s")
    write(tmp_path / "a" / "deep" / "x.html", b"<p>x</p>")
    items = run(tmp_path)
    assert ids(items) == ["a/deep/x.html", "b.txt", "sport/199.txt"]
    by_id = {d.id: d for d in docs(items)}
    assert by_id["sport/199.txt"].path == str(tmp_path / "sport" / "199.txt")
    assert by_id["sport/199.txt"].data == b"s"
    assert by_id["a/deep/x.html"].format == "html"
    assert by_id["b.txt"].format == "text"
    assert by_id["b.txt"].line is None
    assert by_id["b.txt"].compression is None


def test_order_is_depth_first_by_name_bytes(tmp_path: Path) -> None:
    # "a-b" < "a/..." as strings, but the walk reads folder "a" (shorter name) first.
    write(tmp_path / "a-b.txt", b"1")
    write(tmp_path / "a" / "x.txt", b"2")
    write(tmp_path / "B.txt", b"3")
    assert ids(run(tmp_path)) == ["B.txt", "a/x.txt", "a-b.txt"]


def test_several_arguments_prefix_ids_with_the_argument(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "data" / "a" / "x.txt", b"1")
    write(tmp_path / "data" / "b" / "x.txt", b"2")
    write(tmp_path / "one.txt", b"3")
    items = list(iter_documents(["data/a/", "data/b", "one.txt"]))
    assert ids(items) == ["data/a/x.txt", "data/b/x.txt", "one.txt"]
    assert [d.path for d in docs(items)] == ["data/a/x.txt", "data/b/x.txt", "one.txt"]


def test_explicit_file_id_is_the_argument_as_typed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "sub" / "x.txt", b"hello")
    (item,) = iter_documents(["sub/x.txt"])
    assert isinstance(item, RawDocument)
    assert (item.id, item.path, item.data) == ("sub/x.txt", "sub/x.txt", b"hello")


def test_a_single_path_may_be_given_without_a_list(tmp_path: Path) -> None:
    write(tmp_path / "x.txt", b"x")
    assert ids(iter_documents(tmp_path)) == ["x.txt"]


def test_paths_may_be_a_lazy_iterable(tmp_path: Path) -> None:
    write(tmp_path / "a" / "x.txt", b"x")
    write(tmp_path / "b" / "y.txt", b"y")
    gen = (str(tmp_path / name) for name in ("a", "b"))
    assert ids(iter_documents(gen)) == [f"{tmp_path}/a/x.txt", f"{tmp_path}/b/y.txt"]


def test_hidden_entries_are_skipped_when_walking_but_not_when_named(tmp_path: Path) -> None:
    write(tmp_path / ".hidden.txt", b"h")
    write(tmp_path / ".git" / "x.txt", b"g")
    write(tmp_path / "seen.txt", b"s")
    assert ids(run(tmp_path)) == ["seen.txt"]
    (item,) = run(tmp_path / ".hidden.txt")
    assert isinstance(item, RawDocument)
    assert item.data == b"h"


def test_include_and_exclude_filter_files(tmp_path: Path) -> None:
    for name in ("sport/1.txt", "sport/2.html", "tech/1.txt", "tech/notes.pdf"):
        write(tmp_path / name, b"x")
    assert ids(run(tmp_path, include=["sport/*"])) == ["sport/1.txt", "sport/2.html"]
    assert ids(run(tmp_path, include=["*.txt"])) == ["sport/1.txt", "tech/1.txt"]
    assert ids(run(tmp_path, exclude=["tech/*"])) == ["sport/1.txt", "sport/2.html"]
    assert ids(run(tmp_path, include=["*.txt"], exclude=["sport/*"])) == ["tech/1.txt"]
    # An excluded file of an unknown type is the user's choice, not a rejection.
    assert rejections(run(tmp_path, exclude=["*.pdf"])) == []


# --- formats and compression -------------------------------------------------------------


@pytest.mark.parametrize("compression", sorted(COMPRESSORS))
def test_compressed_text_round_trips(tmp_path: Path, compression: str) -> None:
    suffix, compress = COMPRESSORS[compression]
    body = "Title\n\nBody ünïcode line\n".encode() * 1000
    write(tmp_path / f"a.txt{suffix}", compress(body))
    (item,) = run(tmp_path)
    assert isinstance(item, RawDocument)
    assert (item.id, item.format, item.compression, item.data) == (
        f"a.txt{suffix}",
        "text",
        compression,
        body,
    )


@pytest.mark.parametrize("compression", sorted(COMPRESSORS))
def test_compressed_jsonl_round_trips(tmp_path: Path, compression: str) -> None:
    suffix, compress = COMPRESSORS[compression]
    lines = [json.dumps({"id": i, "text": f"story {i}"}).encode() for i in range(3000)]
    write(tmp_path / f"f.jsonl{suffix}", compress(b"\n".join(lines) + b"\n"))
    items = run(tmp_path)
    assert rejections(items) == []
    assert [d.data for d in docs(items)] == lines
    assert {d.compression for d in docs(items)} == {compression}
    assert docs(items)[-1].id == f"f.jsonl{suffix}#3000"


def test_concatenated_gzip_members_and_zstd_frames_are_read_whole(tmp_path: Path) -> None:
    write(tmp_path / "a.jsonl.gz", gzip.compress(b"1\n") + gzip.compress(b"2\n"))
    cctx = zstandard.ZstdCompressor()
    write(tmp_path / "b.jsonl.zst", cctx.compress(b"3\n") + cctx.compress(b"4\n"))
    assert [d.data for d in docs(run(tmp_path))] == [b"1", b"2", b"3", b"4"]


def test_jsonl_lines_ids_numbers_and_blank_lines(tmp_path: Path) -> None:
    write(tmp_path / "f.jsonl", b'{"a": 1}\n\n   \n{"b": 2}\r\n{"c": 3}')
    items = run(tmp_path)
    assert ids(items) == ["f.jsonl#1", "f.jsonl#4", "f.jsonl#5"]
    assert [d.line for d in docs(items)] == [1, 4, 5]
    assert [d.data for d in docs(items)] == [b'{"a": 1}', b'{"b": 2}', b'{"c": 3}']
    assert {d.format for d in docs(items)} == {"jsonl"}
    assert {d.path for d in docs(items)} == {str(tmp_path / "f.jsonl")}


def test_jsonl_with_utf16_bom_is_transcoded_and_utf8_bom_dropped(tmp_path: Path) -> None:
    text = '{"t": "café"}\r\n{"t": "naïve"}\r\n'
    write(tmp_path / "a.jsonl", text.encode("utf-16"))
    write(tmp_path / "b.jsonl", text.encode("utf-8-sig"))
    items = docs(run(tmp_path))
    expected = ['{"t": "café"}'.encode(), '{"t": "naïve"}'.encode()]
    assert [d.data for d in items] == expected * 2


def test_jsonl_of_blank_lines_only_is_rejected_not_dropped(tmp_path: Path) -> None:
    write(tmp_path / "blank.jsonl", b"\n  \n\n")
    (item,) = run(tmp_path)
    assert isinstance(item, Rejection)
    assert item.id == "blank.jsonl"
    assert item.reason == "only blank lines"


# --- rejections --------------------------------------------------------------------------


def test_unknown_type_is_rejected_with_its_extension(tmp_path: Path) -> None:
    write(tmp_path / "paper.pdf", b"%PDF")
    write(tmp_path / "dump.tar.gz", b"x")
    write(tmp_path / "README", b"x")
    items = rejections(run(tmp_path))
    assert [r.id for r in items] == ["README", "dump.tar.gz", "paper.pdf"]
    assert items[2].reason == (
        "unsupported file type '.pdf': expected .txt, .html, .jsonl "
        "(optionally .gz/.bz2/.xz/.zst), .warc, .warc.gz"
    )
    assert "'.tar.gz'" in items[1].reason
    assert {(r.stage, r.line) for r in items} == {("read", None)}


@pytest.mark.parametrize("name", ["empty.txt", "empty.jsonl", "empty.html.gz"])
def test_empty_file_is_rejected(tmp_path: Path, name: str) -> None:
    data = gzip.compress(b"") if name.endswith(".gz") else b""
    write(tmp_path / name, data)
    (item,) = run(tmp_path)
    assert isinstance(item, Rejection)
    assert (item.id, item.reason, item.line) == (name, "empty file", None)


def test_nul_filled_file_is_passed_on_for_decode_to_judge(tmp_path: Path) -> None:
    write(tmp_path / "nul.txt", bytes(4096))
    (item,) = run(tmp_path)
    assert isinstance(item, RawDocument)
    assert item.data == bytes(4096)


def test_file_above_max_document_bytes_is_rejected(tmp_path: Path) -> None:
    write(tmp_path / "big.txt", b"x" * 2000)
    write(tmp_path / "ok.txt", b"x" * 1000)
    items = run(tmp_path, max_document_bytes=1000)
    assert isinstance(items[0], Rejection)
    assert items[0].reason.startswith("file too large: 2000 bytes")
    assert isinstance(items[1], RawDocument)


@pytest.mark.parametrize("compression", sorted(COMPRESSORS))
def test_truncated_stream_is_rejected(tmp_path: Path, compression: str) -> None:
    suffix, compress = COMPRESSORS[compression]
    blob = compress(os.urandom(200_000))
    write(tmp_path / f"a.txt{suffix}", blob[: len(blob) // 2])
    write(tmp_path / "b.txt", b"after")
    items = run(tmp_path)
    assert isinstance(items[0], Rejection)
    assert items[0].reason.startswith(f"corrupt {compression} stream: ")
    assert isinstance(items[1], RawDocument)


def test_garbage_with_a_compression_suffix_is_rejected(tmp_path: Path) -> None:
    write(tmp_path / "a.txt.gz", b"this is not gzip at all")
    (item,) = run(tmp_path)
    assert isinstance(item, Rejection)
    assert item.reason.startswith("corrupt gzip stream: ")


def test_corrupt_jsonl_gz_keeps_lines_before_the_damage(tmp_path: Path) -> None:
    lines = b"".join(
        b'{"n": %d, "pad": "%s"}\n' % (i, os.urandom(40).hex().encode()) for i in range(40_000)
    )
    blob = gzip.compress(lines)
    write(tmp_path / "f.jsonl.gz", blob[: len(blob) * 3 // 4])
    items = run(tmp_path)
    good, bad = docs(items), rejections(items)
    assert len(good) > 1000
    assert [d.line for d in good] == list(range(1, len(good) + 1))
    assert len(bad) == 1
    assert bad[0].id == "f.jsonl.gz"
    assert bad[0].line is None
    assert bad[0].reason.startswith("corrupt gzip stream: ")
    assert bad[0] is items[-1]


class CountingGzip(gzip.GzipFile):
    """Counts how many bytes were inflated, to show a bomb is abandoned early."""

    inflated = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        CountingGzip.inflated += len(data)
        return data

    def read1(self, size: int = -1) -> bytes:
        data = super().read1(size)
        CountingGzip.inflated += len(data)
        return data


@pytest.fixture
def counting_gzip(monkeypatch: pytest.MonkeyPatch) -> type[CountingGzip]:
    CountingGzip.inflated = 0
    monkeypatch.setattr(gzip, "GzipFile", CountingGzip)
    return CountingGzip


@pytest.fixture(scope="module")
def zeros_gz() -> bytes:
    return gzip.compress(bytes(64 * MiB), compresslevel=1)


def test_gzip_bomb_is_abandoned_early(
    tmp_path: Path, zeros_gz: bytes, counting_gzip: type[CountingGzip]
) -> None:
    write(tmp_path / "bomb.txt.gz", zeros_gz)
    (item,) = run(tmp_path, max_document_bytes=MiB)
    assert isinstance(item, Rejection)
    assert item.reason.startswith("decompression bomb: ")
    assert counting_gzip.inflated <= 4 * MiB


def test_jsonl_gzip_bomb_is_stopped_by_ratio(
    tmp_path: Path, zeros_gz: bytes, counting_gzip: type[CountingGzip]
) -> None:
    write(tmp_path / "bomb.jsonl.gz", zeros_gz)
    (item,) = run(tmp_path, max_document_bytes=128 * MiB, max_ratio=50)
    assert isinstance(item, Rejection)
    assert item.reason.startswith("decompression bomb: inflates more than max_ratio (50)")
    assert counting_gzip.inflated <= 50 * len(zeros_gz) + 2 * MiB
    assert counting_gzip.inflated < 32 * MiB


def test_jsonl_stream_is_stopped_by_max_stream_bytes(tmp_path: Path) -> None:
    lines = b"".join(b'{"n": "%s"}\n' % os.urandom(30).hex().encode() for _ in range(60_000))
    write(tmp_path / "f.jsonl.gz", gzip.compress(lines, compresslevel=1))
    items = run(tmp_path, max_stream_bytes=2 * MiB)
    assert 0 < len(docs(items)) < 60_000
    assert rejections(items)[0].reason.startswith(
        "decompression bomb: inflates past max_stream_bytes"
    )


def test_small_highly_compressible_jsonl_passes(tmp_path: Path) -> None:
    write(tmp_path / "f.jsonl.gz", gzip.compress(b'{"a": 1}\n' * 50_000))
    items = run(tmp_path, max_ratio=2)
    assert rejections(items) == []
    assert len(items) == 50_000


def test_zstd_bomb_is_rejected(tmp_path: Path) -> None:
    write(tmp_path / "bomb.html.zst", zstandard.ZstdCompressor().compress(bytes(64 * MiB)))
    (item,) = run(tmp_path, max_document_bytes=MiB)
    assert isinstance(item, Rejection)
    assert item.reason.startswith("decompression bomb: ")


def test_overlong_json_line_is_rejected_and_the_next_line_read(tmp_path: Path) -> None:
    long_line = b'{"t": "' + b"x" * (3 * MiB) + b'"}'
    write(tmp_path / "f.jsonl", b'{"a": 1}\n' + long_line + b'\n{"b": 2}\n')
    items = run(tmp_path, max_document_bytes=MiB)
    assert ids(items) == ["f.jsonl#1", "f.jsonl#2", "f.jsonl#3"]
    assert isinstance(items[1], Rejection)
    assert items[1].line == 2
    assert items[1].reason == f"line of {len(long_line)} bytes exceeds max_document_bytes ({MiB})"
    assert isinstance(items[2], RawDocument)
    assert items[2].data == b'{"b": 2}'


def test_50mb_json_line_is_skipped_without_holding_it(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    with path.open("wb") as out:
        out.write(b'{"t": "')
        block = b"y" * MiB
        for _ in range(50):
            out.write(block)
        out.write(b'"}\n{"after": true}\n')
    tracemalloc.start()
    try:
        items = run(tmp_path, max_document_bytes=MiB)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert ids(items) == ["f.jsonl#1", "f.jsonl#2"]
    assert isinstance(items[0], Rejection)
    assert isinstance(items[1], RawDocument)
    assert peak < 8 * MiB


def test_unreadable_file_is_rejected_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "a.txt", b"a")
    locked = write(tmp_path / "b.txt", b"b")
    write(tmp_path / "c.txt", b"c")
    real_open = os.open

    def fake_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if os.fsdecode(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake_open)
    items = run(tmp_path)
    assert ids(items) == ["a.txt", "b.txt", "c.txt"]
    assert isinstance(items[1], Rejection)
    assert items[1].reason == "cannot read: Permission denied"
    assert isinstance(items[2], RawDocument)


def test_unlistable_folder_is_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "locked" / "x.txt", b"x")
    write(tmp_path / "open" / "y.txt", b"y")
    real_scandir = os.scandir

    def fake_scandir(path: Any) -> Any:
        if os.fsdecode(path) == str(tmp_path / "locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", fake_scandir)
    items = run(tmp_path)
    assert ids(items) == ["locked", "open/y.txt"]
    assert isinstance(items[0], Rejection)
    assert items[0].reason == "cannot list folder: Permission denied"


def test_missing_path_argument_is_rejected(tmp_path: Path) -> None:
    write(tmp_path / "x.txt", b"x")
    missing = tmp_path / "nope"
    items = run(missing, tmp_path / "x.txt")
    assert isinstance(items[0], Rejection)
    assert (items[0].id, items[0].stage, items[0].reason) == (
        str(missing),
        "read",
        "no such file or directory",
    )
    assert isinstance(items[1], RawDocument)


def test_fifo_is_rejected_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    items = run(tmp_path) + run(tmp_path / "pipe.txt")
    assert [r.reason for r in rejections(items)] == ["not a regular file"] * 2


# --- symlinks ----------------------------------------------------------------------------


def test_symlink_loop_to_parent_is_rejected(tmp_path: Path) -> None:
    write(tmp_path / "d" / "x.txt", b"x")
    (tmp_path / "d" / "up").symlink_to("..")
    (tmp_path / "d" / "self").symlink_to("self")
    items = run(tmp_path)
    assert ids(items) == ["d/self", "d/up", "d/x.txt"]
    assert items[0].reason.startswith("symlink loop")  # type: ignore[union-attr]
    assert items[1].reason.startswith("symlink loop")  # type: ignore[union-attr]


def test_symlink_outside_root_is_rejected(tmp_path: Path) -> None:
    write(tmp_path / "outside" / "secret.txt", b"s")
    write(tmp_path / "root" / "a.txt", b"a")
    (tmp_path / "root" / "link.txt").symlink_to(tmp_path / "outside" / "secret.txt")
    (tmp_path / "root" / "linkdir").symlink_to(tmp_path / "outside")
    items = run(tmp_path / "root")
    assert ids(items) == ["a.txt", "link.txt", "linkdir"]
    for item in items[1:]:
        assert isinstance(item, Rejection)
        assert item.reason.startswith("symlink points outside the folder being read")


def test_symlinks_inside_root_are_followed(tmp_path: Path) -> None:
    write(tmp_path / "real" / "a.txt", b"a")
    (tmp_path / "alias.txt").symlink_to(Path("real") / "a.txt")
    (tmp_path / "z").symlink_to("real")
    items = run(tmp_path)
    assert ids(items) == ["alias.txt", "real/a.txt", "z"]
    assert [d.data for d in docs(items)] == [b"a", b"a"]
    # The second way into the same folder is reported, not read twice.
    assert items[2].reason == "folder already read through another link"  # type: ignore[union-attr]


def test_broken_symlink_and_disabled_following_are_rejected(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", b"a")
    (tmp_path / "broken.txt").symlink_to("missing.txt")
    (tmp_path / "link.txt").symlink_to("a.txt")
    items = run(tmp_path)
    assert isinstance(items[1], Rejection)
    assert items[1].reason == "broken symlink: missing.txt"
    assert isinstance(items[2], RawDocument)
    items = run(tmp_path, follow_symlinks=False)
    assert items[2].reason == "symlink not followed (follow_symlinks is off)"  # type: ignore[union-attr]
    (item,) = run(tmp_path / "broken.txt")
    assert item.reason == "broken symlink: missing.txt"  # type: ignore[union-attr]


# --- names -------------------------------------------------------------------------------


def test_odd_names_give_valid_json_serialisable_ids(tmp_path: Path) -> None:
    write(tmp_path / "with space.txt", b"1")
    write(tmp_path / "ünïcödé 新闻.txt", b"2")
    raw_dir = os.fsencode(tmp_path)
    bad = raw_dir + b"/bad\xffname.txt"
    with open(bad, "wb") as out:  # noqa: PTH123 - pathlib cannot take bytes
        out.write(b"3")
    for items in (run(tmp_path), run(raw_dir), run(bad)):
        for item in items:
            json.dumps({"id": item.id, "path": item.path})
            item.id.encode("utf-8")
            item.path.encode("utf-8")
    items = run(tmp_path)
    assert ids(items) == ["bad\\xffname.txt", "with space.txt", "ünïcödé 新闻.txt"]
    assert [d.data for d in docs(items)] == [b"3", b"1", b"2"]
    assert items[0].path == f"{tmp_path}/bad\\xffname.txt"
    (explicit,) = run(bad)
    assert isinstance(explicit, RawDocument)
    assert explicit.data == b"3"
    assert explicit.id.endswith("bad\\xffname.txt")


def test_inputs_are_not_modified(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", b"a")
    write(tmp_path / "b.jsonl.gz", gzip.compress(b'{"x": 1}\n'))
    write(tmp_path / "c.pdf", b"%PDF")
    write(tmp_path / "d.txt.bz2", b"corrupt")

    def snapshot() -> dict[str, tuple[bytes, int, int]]:
        return {
            str(p): (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_mode)
            for p in sorted(tmp_path.rglob("*"))
        }

    before = snapshot()
    run(tmp_path)
    assert snapshot() == before


# --- properties --------------------------------------------------------------------------

segment = st.text(alphabet="abcAB-_ .é1", min_size=1, max_size=6).filter(
    lambda s: s not in {".", ".."} and s.strip() == s
)
extension = st.sampled_from([".txt", ".html", ".jsonl", ".pdf", ".txt.gz", ""])
relative_name = st.builds(
    lambda parts, ext: "/".join(parts) + ext, st.lists(segment, min_size=1, max_size=3), extension
)


@settings(max_examples=40, deadline=None)
@given(names=st.lists(relative_name, min_size=1, max_size=12, unique=True), data=st.data())
def test_order_is_deterministic_and_nothing_is_dropped(
    names: list[str], data: st.DataObject
) -> None:
    creation_order = data.draw(st.permutations(names))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        created: list[str] = []
        for name in creation_order:
            path = root / name
            # A name may be both a file and a folder prefix of another name: first one wins.
            if any(parent.is_file() for parent in path.parents if parent != root) or path.exists():
                continue
            write(path, gzip.compress(b"x") if name.endswith(".gz") else b'{"x": 1}\n')
            created.append(name)
        items = run(root)
        visible = [n for n in created if not any(seg.startswith(".") for seg in n.split("/"))]
        expected = sorted(visible, key=lambda n: [s.encode() for s in n.split("/")])
        file_ids = [i.id.split("#")[0] for i in items]
        assert file_ids == expected
        assert ids(run(root)) == ids(items)


@settings(max_examples=100, deadline=None)
@given(
    text=st.lists(st.sampled_from([b"a", b"b", b" ", b"\r", b"\n"]), max_size=60).map(b"".join),
    cuts=st.lists(st.integers(0, 60), max_size=8),
    cap=st.integers(1, 12),
)
def test_line_splitting_matches_bytes_split_for_any_chunking(
    text: bytes, cuts: list[int], cap: int
) -> None:
    bounds = sorted({min(c, len(text)) for c in cuts} | {0, len(text)})
    chunks = [text[a:b] for a, b in itertools.pairwise(bounds)]
    every = text.split(b"\n")
    if every and every[-1] == b"":
        every.pop()
    # Blank lines are counted, not yielded; an over-long one is still reported.
    expected = [(n, line) for n, line in enumerate(every, 1) if len(line) > cap or line.strip()]
    splitter = LineSplitter(cap)
    got = list(splitter.lines(chunks))
    assert splitter.count == len(every)
    assert [n for n, _, _ in got] == [n for n, _ in expected]
    for (_, line, length), (_, want) in zip(got, expected, strict=True):
        assert length == len(want)
        if len(want) > cap:
            assert line is None
        else:
            assert line == want.removesuffix(b"\r")


def test_prefix_ids_keeps_the_folder_even_for_one_argument(tmp_path: Path) -> None:
    day = tmp_path / "2024-06-01"
    day.mkdir()
    (day / "story.txt").write_bytes(b"Title\n\nBody.\n")
    auto = [d.id for d in iter_documents([day])]
    prefixed = [d.id for d in iter_documents([day], ReadConfig(prefix_ids=True))]
    assert auto == ["story.txt"]
    assert prefixed == [f"{day}/story.txt"]


# --- the walk alone: iter_entries + read_entry ---------------------------------------------


def build_mixed_tree(root: Path, outside: Path) -> None:
    """Nested folders, JSON Lines (plain and gzipped), rejections made by the walk and by
    the reading, a followed symlink and two that are not."""
    write(root / "a.txt", b"first article")
    write(root / "sub" / "deeper" / "b.html", b"<p>hello</p>")
    write(root / "sub" / "feed.jsonl", b'{"text": "one"}\n\n{"text": "two"}\n')
    write(root / "sub" / "packed.jsonl.gz", gzip.compress(b'{"text": "three"}\n'))
    write(root / "sub" / "c.txt.gz", gzip.compress(b"compressed text"))
    write(root / "sub" / "empty.txt", b"")  # rejected when read
    write(root / "notes.pdf", b"%PDF-1.4")  # rejected by the walk
    write(root / ".hidden.txt", b"skipped")
    write(outside / "secret.txt", b"outside")
    (root / "sub" / "link.txt").symlink_to(root / "a.txt")
    (root / "out.txt").symlink_to(outside / "secret.txt")
    (root / "broken.txt").symlink_to(root / "missing.txt")


def read_entries(
    items: Iterable[Entry | Rejection], config: ReadConfig = ReadConfig()
) -> list[RawDocument | Rejection]:
    out: list[RawDocument | Rejection] = []
    for item in items:
        out.extend(read_entry(item, config) if isinstance(item, Entry) else [item])
    return out


@pytest.mark.parametrize("as_files", [False, True])
def test_entries_read_in_order_are_iter_documents(tmp_path: Path, as_files: bool) -> None:
    root = tmp_path / "root"
    build_mixed_tree(root, tmp_path / "outside")
    paths = [str(root)]
    if as_files:  # explicit file arguments, a folder and a missing path, mixed
        paths = [str(root / "sub" / "feed.jsonl"), str(root / "sub"), str(tmp_path / "nope.txt")]
    expected = list(iter_documents(paths))
    # Pickled entries stand for ones sent to another process.
    entries = [pickle.loads(pickle.dumps(e)) for e in iter_entries(paths)]
    assert read_entries(entries) == expected
    got = ids(expected)
    if not as_files:
        assert got == [
            "a.txt",
            "broken.txt",
            "notes.pdf",
            "out.txt",
            "sub/c.txt.gz",
            "sub/deeper/b.html",
            "sub/empty.txt",
            "sub/feed.jsonl#1",
            "sub/feed.jsonl#3",
            "sub/link.txt",
            "sub/packed.jsonl.gz#1",
        ]
        walk_rejected = {r.id for r in rejections(entries)}  # type: ignore[arg-type]
        assert walk_rejected == {"broken.txt", "notes.pdf", "out.txt"}
        assert {r.id for r in rejections(expected)} == walk_rejected | {"sub/empty.txt"}


def test_the_walk_reads_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "root"
    build_mixed_tree(root, tmp_path / "outside")
    expected = list(iter_entries([root]))

    def no_open(*args: object, **kwargs: object) -> int:
        raise AssertionError("the walk opened a file")

    monkeypatch.setattr(os, "open", no_open)
    assert list(iter_entries([root])) == expected
    packed = next(e for e in expected if isinstance(e, Entry) and e.id == "sub/packed.jsonl.gz")
    assert (packed.format, packed.compression) == ("jsonl", "gzip")
    assert packed.path == str(root / "sub" / "packed.jsonl.gz")


def test_read_entry_of_a_file_gone_since_the_walk_is_a_rejection(tmp_path: Path) -> None:
    path = write(tmp_path / "x.txt", b"text")
    (entry,) = iter_entries([path])
    path.unlink()
    (item,) = read_entry(entry)  # type: ignore[arg-type]
    assert isinstance(item, Rejection)
    assert item.reason.startswith("cannot read")
