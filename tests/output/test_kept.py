"""copy_kept: kept files byte for byte, kept JSON lines into same-named files, nothing outside."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

from newsingest.output.kept import copy_kept, write_kept_jsonl
from newsingest.pipeline import dedup
from newsingest.records import Decision, DedupResult
from newsingest.serialize import read_row
from tests.factories import article_text, story, write


def _snapshot(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def _result(*decisions: Decision) -> DedupResult:
    return DedupResult(decisions=decisions, clusters=(), rejections=())


def _kept(doc_id: str, path: Path) -> Decision:
    return Decision(id=doc_id, path=str(path), status="kept", cluster=doc_id)


def _dup(doc_id: str, path: Path, of: str) -> Decision:
    return Decision(id=doc_id, path=str(path), status="duplicate", cluster=of, duplicate_of=of)


def test_kept_files_are_copied_byte_for_byte_to_the_same_place(tmp_path: Path) -> None:
    src = tmp_path / "in"
    title, paras = story(1)
    cp1252 = write(src / "wire/a.txt", article_text(title, paras) + "café €", encoding="cp1252")
    html = write(src / "post/deep/b.html", "<html><body><p>x</p></body></html>\r\n")
    packed = write(src / "c.txt.gz", gzip.compress(b"compressed stays compressed"))
    dup = write(src / "d.txt", "a copy")
    rejected = write(src / "e.pdf", b"%PDF")
    before = _snapshot(src)
    result = _result(
        _kept("wire/a.txt", cp1252),
        _kept("post/deep/b.html", html),
        _kept("c.txt.gz", packed),
        _dup("d.txt", dup, "wire/a.txt"),
        Decision(id="e.pdf", path=str(rejected), status="rejected", reason="read: unsupported"),
    )
    dest = tmp_path / "out"
    assert copy_kept(result, dest) == 3
    assert _files(dest) == ["c.txt.gz", "post/deep/b.html", "wire/a.txt"]
    for rel, original in [("wire/a.txt", cp1252), ("post/deep/b.html", html), ("c.txt.gz", packed)]:
        assert (dest / rel).read_bytes() == original.read_bytes()
    assert _snapshot(src) == before


def test_kept_jsonl_lines_go_into_a_same_named_file(tmp_path: Path) -> None:
    src = tmp_path / "in"
    rows = [
        json.dumps({"title": f"T{i}", "text": f"body {i} ü"}, ensure_ascii=False) for i in range(5)
    ]
    feed = write(
        src / "feeds/feed.jsonl", "\n".join(rows[:3]) + "\n\n" + "\n".join(rows[3:]) + "\n"
    )
    packed = write(src / "dump.jsonl.gz", gzip.compress(("\n".join(rows) + "\n").encode()))
    before = _snapshot(src)
    # Line numbers count the blank line: rows[3] is line 5 of feed.jsonl.
    result = _result(
        _kept("dump.jsonl.gz#2", packed),
        _kept("dump.jsonl.gz#5", packed),
        _kept("feeds/feed.jsonl#1", feed),
        _dup("feeds/feed.jsonl#2", feed, "feeds/feed.jsonl#1"),
        _kept("feeds/feed.jsonl#5", feed),
    )
    dest = tmp_path / "out"
    assert copy_kept(result, dest) == 4
    assert _files(dest) == ["dump.jsonl", "feeds/feed.jsonl"]
    assert (dest / "feeds/feed.jsonl").read_text(encoding="utf-8") == f"{rows[0]}\n{rows[3]}\n"
    assert (dest / "dump.jsonl").read_text(encoding="utf-8") == f"{rows[1]}\n{rows[4]}\n"
    assert _snapshot(src) == before


def test_ids_with_parent_segments_never_write_outside_the_destination(tmp_path: Path) -> None:
    src = tmp_path / "in"
    a = write(src / "a.txt", "A")
    b = write(src / "b.jsonl", '{"text": "B"}\n')
    c = write(src / "c.txt", "C")
    outer = tmp_path / "work"
    dest = outer / "nested" / "out"
    result = _result(
        _kept("../../escape.txt", a),
        _kept("../../../b.jsonl#1", b),
        _kept("/abs/c.txt", c),
        _kept("..", c),
    )
    copy_kept(result, dest)
    written = [p.resolve() for p in outer.rglob("*") if p.is_file()]
    assert written, "something was copied"
    assert all(p.is_relative_to(dest.resolve()) for p in written)
    assert not (tmp_path / "escape.txt").exists()
    assert not (outer / "escape.txt").exists()
    assert sorted(p.read_bytes() for p in written) == [b"A", b"C", b"C", b'{"text": "B"}\n']
    assert _files(src) == ["a.txt", "b.jsonl", "c.txt"]


def test_nothing_kept_copies_nothing(tmp_path: Path) -> None:
    src = write(tmp_path / "in/a.txt", "A")
    dest = tmp_path / "out"
    assert copy_kept(_result(_dup("a.txt", src, "b.txt")), dest) == 0
    assert _files(dest) == []


def test_copy_kept_after_a_real_dedup_run(tmp_path: Path) -> None:
    src = tmp_path / "in"
    title, paras = story(7)
    write(src / "one.txt", article_text(title, paras))
    write(src / "two.txt", article_text(title, paras, promo="Subscribe now to the Gazette"))
    other_title, other = story(8)
    write(src / "feed.jsonl", json.dumps({"title": other_title, "text": "\n\n".join(other)}) + "\n")
    before = _snapshot(src)
    result = dedup([src])
    kept = sorted(d.id for d in result.decisions if d.status == "kept")
    assert len(kept) == 2, result.decisions
    dest = tmp_path / "out"
    assert copy_kept(result, dest) == 2
    expected = sorted(k.partition("#")[0] for k in kept)
    assert _files(dest) == expected
    assert _snapshot(src) == before


def test_a_jsonl_file_and_its_compressed_twin_both_keep_their_lines(tmp_path: Path) -> None:
    # feed.jsonl and feed.jsonl.gz both decompress to feed.jsonl in the destination:
    # the second must not replace the first one's kept lines.
    src = tmp_path / "in"
    plain = write(src / "feed.jsonl", '{"text": "plain"}\n')
    packed = write(src / "feed.jsonl.gz", gzip.compress(b'{"text": "packed"}\n'))
    result = _result(_kept("feed.jsonl#1", plain), _kept("feed.jsonl.gz#1", packed))
    dest = tmp_path / "out"
    assert copy_kept(result, dest) == 2
    assert _files(dest) == ["feed.jsonl"]
    assert sorted((dest / "feed.jsonl").read_text(encoding="utf-8").splitlines()) == [
        '{"text": "packed"}',
        '{"text": "plain"}',
    ]


def test_write_kept_jsonl_writes_only_the_kept_articles_in_order(tmp_path: Path) -> None:
    src = tmp_path / "in"
    title, paras = story(3)
    write(src / "a.txt", article_text(title, paras))
    write(src / "b.txt", article_text(title, paras[:5]))  # a copy of a.txt
    write(src / "c.txt", article_text(*story(4)))
    write(src / "d.pdf", b"%PDF")
    result = dedup([src], keep_articles=True)
    kept = [d.id for d in result.decisions if d.status == "kept"]
    assert len(kept) == 2
    out = tmp_path / "kept.jsonl"
    out.write_text("old", encoding="utf-8")
    assert write_kept_jsonl(result, out) == 2
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [a.id for a in result.articles if a.id in kept]
    assert [read_row(r) for r in rows] == [a for a in result.articles if a.id in kept]
    assert _files(tmp_path) == ["in/a.txt", "in/b.txt", "in/c.txt", "in/d.pdf", "kept.jsonl"]


def test_write_kept_jsonl_without_articles_writes_an_empty_file(tmp_path: Path) -> None:
    out = tmp_path / "kept.jsonl"
    result = _result(_kept("a.txt", tmp_path / "a.txt"))
    assert write_kept_jsonl(result, out) == 0
    assert out.read_bytes() == b""
