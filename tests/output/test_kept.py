"""copy_kept: kept files byte for byte, kept JSON lines into same-named files, nothing outside."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from newsingest.errors import ConfigError, ReadError
from newsingest.output.kept import copy_kept, plan_kept, write_kept_jsonl
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


# ------------------------------------------------------------------ plan, layout, safety


def _dedup_and_copy(paths: list[str | Path], dest: Path, **kwargs: bool) -> tuple[DedupResult, int]:
    plan = plan_kept(paths)
    result = dedup(paths)
    return result, copy_kept(result, dest, plan=plan, **kwargs)


def test_two_arguments_with_one_name_get_a_top_folder_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ../d1 and d1 both used to land in kept/d1: two stories kept, one copy.
    work = tmp_path / "work"
    one = write(tmp_path / "d1/s.txt", article_text(*story(11)))
    two = write(work / "d1/s.txt", article_text(*story(12)))
    monkeypatch.chdir(work)
    result, copied = _dedup_and_copy(["../d1", "d1"], tmp_path / "kept")
    assert sum(d.status == "kept" for d in result.decisions) == copied == 2
    assert _files(tmp_path / "kept") == ["d1-2/s.txt", "d1/s.txt"]
    assert (tmp_path / "kept/d1/s.txt").read_bytes() == one.read_bytes()
    assert (tmp_path / "kept/d1-2/s.txt").read_bytes() == two.read_bytes()


def test_file_arguments_with_one_name_are_numbered_before_their_suffixes(tmp_path: Path) -> None:
    a = write(tmp_path / "x/feed.jsonl", json.dumps({"text": "\n\n".join(story(13)[1])}) + "\n")
    b = write(
        tmp_path / "y/feed.jsonl.gz",
        gzip.compress((json.dumps({"text": "\n\n".join(story(14)[1])}) + "\n").encode()),
    )
    c = write(tmp_path / "z/feed.jsonl", json.dumps({"text": "\n\n".join(story(15)[1])}) + "\n")
    _, copied = _dedup_and_copy([a, b, c], tmp_path / "kept")
    assert copied == 3
    assert _files(tmp_path / "kept") == ["feed-2.jsonl", "feed-3.jsonl", "feed.jsonl"]
    assert (tmp_path / "kept/feed.jsonl").read_bytes() == a.read_bytes()
    assert (tmp_path / "kept/feed-2.jsonl").read_bytes() == gzip.decompress(b.read_bytes())
    assert (tmp_path / "kept/feed-3.jsonl").read_bytes() == c.read_bytes()


def test_one_argument_keeps_the_layout_relative_to_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "in/wire/a.txt", "A")
    write(tmp_path / "in/b.jsonl.gz", gzip.compress(b'{"text": "B"}\n'))
    plan = plan_kept([tmp_path / "in"])
    assert {str(s.target) for s in plan.sources.values()} == {"wire/a.txt", "b.jsonl.gz"}
    monkeypatch.chdir(tmp_path / "in")
    (only,) = plan_kept(["../in/wire/a.txt"]).sources.values()
    assert str(only.target) == "in/wire/a.txt"


def test_a_folder_that_is_not_empty_is_refused_unless_overwrite(tmp_path: Path) -> None:
    src = tmp_path / "in"
    title, paras = story(16)
    write(src / "one.txt", article_text(title, paras))
    write(src / "two.txt", article_text(title, paras))
    write(src / "three.txt", article_text(*story(17)))
    dest = tmp_path / "kept"
    stale = write(dest / "stale/old.txt", "from an earlier run")
    before = _snapshot(dest)
    with pytest.raises(ConfigError, match="not empty"):
        _dedup_and_copy([src], dest)
    assert _snapshot(dest) == before
    result, copied = _dedup_and_copy([src], dest, overwrite=True)
    kept = sorted(d.id for d in result.decisions if d.status == "kept")
    assert copied == 2
    assert _files(dest) == kept, "exactly the report's kept documents, nothing stale"
    assert not stale.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_failed_copy_leaves_the_old_folder_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "in"
    write(src / "a.txt", "A")
    dest = tmp_path / "kept"
    write(dest / "old.txt", "old")
    plan = plan_kept([src])

    def disk_full(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(shutil, "copyfileobj", disk_full)
    with pytest.raises(OSError, match="No space"):
        copy_kept(_result(_kept("a.txt", src / "a.txt")), dest, plan=plan, overwrite=True)
    assert _files(dest) == ["old.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "kept"]


def test_an_input_swapped_for_a_symlink_is_not_copied(tmp_path: Path) -> None:
    src = tmp_path / "in"
    story_file = write(src / "a.txt", "the story the run read")
    feed = write(src / "feed.jsonl", '{"text": "a line the run read"}\n')
    secret = write(tmp_path / "secret.txt", "root:x:0:0\n")
    plan = plan_kept([src])
    result = _result(_kept("a.txt", story_file), _kept("feed.jsonl#1", feed))
    story_file.unlink()
    story_file.symlink_to(secret)  # during the run, after the walk
    dest = tmp_path / "kept"
    with pytest.raises(ReadError, match="symlink") as caught:
        copy_kept(result, dest, plan=plan)
    assert "a.txt" in str(caught.value)
    assert not dest.exists(), "nothing copied, the destination left as it was"
    feed.unlink()
    feed.symlink_to(secret)
    story_file.unlink()
    write(story_file, "the story the run read")
    with pytest.raises(ReadError):
        copy_kept(result, dest, plan=plan)
    assert not dest.exists()


def test_an_input_rewritten_after_the_plan_is_not_copied(tmp_path: Path) -> None:
    src = tmp_path / "in"
    story_file = write(src / "a.txt", "the story the run read")
    plan = plan_kept([src])
    replacement = write(tmp_path / "other.txt", "another story, same length!")
    replacement.replace(story_file)  # a new file under the old name
    with pytest.raises(ReadError, match="replaced or modified"):
        copy_kept(_result(_kept("a.txt", story_file)), tmp_path / "kept", plan=plan)
    assert not (tmp_path / "kept").exists()


def test_undecodable_and_long_names_are_copied_under_their_real_name(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    raw = os.fsencode(src) + b"/caf\xe9 story.txt"
    with open(raw, "wb") as f:  # noqa: PTH123 (a bytes path)
        f.write(article_text(*story(18)).encode())
    long_name = "n" * 247 + ".txt"  # 251 bytes: a name built on it overflows NAME_MAX
    long_file = write(src / long_name, article_text(*story(19)))
    dest = tmp_path / "kept"
    result, copied = _dedup_and_copy([src], dest)
    assert copied == 2, result.decisions
    with open(os.fsencode(dest) + b"/caf\xe9 story.txt", "rb") as f:  # noqa: PTH123
        assert f.read() == article_text(*story(18)).encode()
    assert (dest / long_name).read_bytes() == long_file.read_bytes()
