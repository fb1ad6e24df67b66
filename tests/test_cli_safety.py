"""The command line refuses misuse before it reads anything, and prints nothing a terminal acts on.

Each test builds its own inputs; "unchanged" means the same bytes, inode and mtime.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from newsingest import cli
from newsingest.cli import main
from newsingest.pipeline import dedup as real_dedup
from tests.factories import article_text, story, write


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def state(root: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file under ``root``: bytes, inode, mtime."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and not p.is_symlink():
            st = p.stat()
            out[p.relative_to(root).as_posix()] = (p.read_bytes(), st.st_ino, st.st_mtime_ns)
    return out


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with a folder of stories (two copies of one) and a JSON Lines feed."""
    title, paras = story(1)
    write(tmp_path / "in/a/story.txt", article_text(title, paras))
    write(tmp_path / "in/b/copy.txt", article_text(title, paras))
    write(tmp_path / "in/c/other.txt", article_text(*story(2)))
    line = json.dumps({"title": title, "text": "\n\n".join(paras)})
    write(tmp_path / "feed.jsonl", f"{line}\n{line}\n")
    (tmp_path / "out").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def no_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the command gets as far as reading an input."""

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("an input was read before the command line was checked")

    for name in ("dedup", "iter_articles", "plan_kept"):
        monkeypatch.setattr(cli, name, refuse)
    monkeypatch.setattr(cli.Index, "open", refuse)


# ------------------------------------------------------------------ faults 1, 2, 19: refusals


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["dedup", "feed.jsonl", "--kept", "."], "feed.jsonl"),  # used to cut feed.jsonl
        (["dedup", "in", "--kept", "in"], "in"),  # used to replace every kept input
        (["dedup", "in", "--kept", "in/a"], "in"),
        (["dedup", "in", "--report", "in/a/story.txt"], "in/a/story.txt"),
        (["dedup", "in", "--html", "in/a/story.txt"], "in/a/story.txt"),
        (["dedup", "in", "--kept-jsonl", "in/b/copy.txt"], "in/b/copy.txt"),
        (["dedup", "in", "--index", "in/news.db"], "in/news.db"),
        (["ingest", "in", "feed.jsonl", "-o", "feed.jsonl"], "feed.jsonl"),
        (["dedup", "in", "--report", "out/x", "--html", "out/x"], "out/x"),
        (["dedup", "in", "--kept", "out/k", "--report", "out/k/r.jsonl"], "out/k/r.jsonl"),
    ],
)
def test_an_output_over_an_input_or_another_output_is_refused_before_reading(
    capsys: pytest.CaptureFixture[str], work: Path, no_reading: None, argv: list[str], named: str
) -> None:
    before = state(work)
    code, out, err = run(capsys, *argv)
    assert code == 2, err
    assert out == ""
    assert f"'{named}'" in err
    assert f"usage: newsingest {argv[0]}" in err
    assert state(work) == before


def test_a_symlink_to_an_input_is_refused(
    capsys: pytest.CaptureFixture[str], work: Path, no_reading: None
) -> None:
    (work / "out/alias").symlink_to(work / "in")
    code, _, err = run(capsys, "dedup", "out/alias/..", "--report", "in/../in/c/other.txt")
    assert code == 2
    assert "lies inside the input" in err


def test_index_export_onto_its_index_is_refused(
    capsys: pytest.CaptureFixture[str], work: Path
) -> None:
    assert (
        run(capsys, "-q", "dedup", "in", "--index", "out/news.db", "--report", os.devnull)[0] == 0
    )
    before = (work / "out/news.db").read_bytes()
    code, _, err = run(capsys, "index", "export", "out/news.db", "--report", "out/news.db")
    assert code == 2
    assert "is the input 'out/news.db'" in err
    assert (work / "out/news.db").read_bytes() == before


@pytest.mark.parametrize("option", ["--report", "--html", "--kept-jsonl"])
def test_an_output_that_cannot_be_written_fails_up_front_naming_it(
    capsys: pytest.CaptureFixture[str], work: Path, no_reading: None, option: str
) -> None:
    code, _, err = run(capsys, "dedup", "in", option, "no/such/out.file")
    assert code == 1
    assert f"{option} 'no/such/out.file'" in err
    assert "does not exist" in err
    assert ".tmp" not in err


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e999"])
@pytest.mark.parametrize("command", ["dedup", "ingest"])
def test_a_non_finite_size_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], work: Path, command: str, value: str
) -> None:
    code, _, err = run(capsys, command, "in", "--max-document-mb", value)
    assert code == 2
    assert f"usage: newsingest {command}" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["dedup", "in", "--threshold", "1.5"],
        ["dedup", "in", "--threshold", "nan"],
        ["ingest", "in", "--max-document-mb", "0"],
        ["explain", "a", "b", "--containment", "2"],
    ],
)
def test_a_value_out_of_range_shows_the_usage_of_its_command(
    capsys: pytest.CaptureFixture[str], work: Path, argv: list[str]
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert f"usage: newsingest {argv[0]} " in err
    assert "usage: newsingest [-h]" not in err


# ------------------------------------------------------------------ faults 3, 6, 7, 12: --kept


def test_kept_has_one_top_folder_per_argument(
    capsys: pytest.CaptureFixture[str], work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(work / "d1/s.txt", article_text(*story(3)))
    write(work / "sub/d1/s.txt", article_text(*story(4)))
    monkeypatch.chdir(work / "sub")
    code, _, err = run(capsys, "dedup", "../d1", "d1", "--report", "r.jsonl", "--kept", "k")
    assert code == 0, err
    kept = sorted(p.relative_to("k").as_posix() for p in Path("k").rglob("*") if p.is_file())
    assert kept == ["d1-2/s.txt", "d1/s.txt"]
    assert Path("k/d1/s.txt").read_bytes() == (work / "d1/s.txt").read_bytes()
    assert Path("k/d1-2/s.txt").read_bytes() == (work / "sub/d1/s.txt").read_bytes()


def test_a_kept_folder_with_files_needs_overwrite_then_matches_the_report(
    capsys: pytest.CaptureFixture[str], work: Path
) -> None:
    stale = write(work / "out/k/old-story.txt", "from an earlier run")
    code, _, err = run(capsys, "dedup", "in", "--report", "out/r.jsonl", "--kept", "out/k")
    assert code == 2
    assert "--overwrite" in err
    assert stale.exists()
    assert not (work / "out/r.jsonl").exists(), "refused before the run"
    argv = ["dedup", "in", "--report", "out/r.jsonl", "--kept", "out/k", "--overwrite"]
    code, _, err = run(capsys, *argv)
    assert code == 0, err
    rows = [json.loads(x) for x in (work / "out/r.jsonl").read_text(encoding="utf-8").splitlines()]
    kept = sorted(r["id"] for r in rows if r["status"] == "kept")
    files = sorted(p.relative_to(work / "out/k").as_posix() for p in (work / "out/k").rglob("*"))
    assert files == sorted({*kept, *(str(Path(k).parent) for k in kept)})
    assert not stale.exists()


def test_an_input_swapped_for_a_symlink_during_the_run_is_not_copied(
    capsys: pytest.CaptureFixture[str], work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = write(work / "secret.txt", "root:x:0:0:root:/root:/bin/sh\n")

    def dedup_then_swap(*args: Any, **kwargs: Any) -> Any:
        result = real_dedup(*args, **kwargs)
        other = work / "in/c/other.txt"
        other.unlink()
        other.symlink_to(secret)
        return result

    monkeypatch.setattr(cli, "dedup", dedup_then_swap)
    code, _, err = run(capsys, "dedup", "in", "--report", "out/r.jsonl", "--kept", "out/k")
    assert code == 1
    assert "c/other.txt" in err
    assert "symlink" in err
    assert not (work / "out/k").exists()


def test_kept_copies_a_file_whose_name_is_not_utf8(
    capsys: pytest.CaptureFixture[str], work: Path
) -> None:
    raw = os.fsencode(work / "in/c") + b"/caf\xe9.txt"
    with open(raw, "wb") as f:  # noqa: PTH123 (a bytes path)
        f.write(article_text(*story(5)).encode())
    code, _, err = run(capsys, "dedup", "in", "--report", "out/r.jsonl", "--kept", "out/k")
    assert code == 0, err
    with open(os.fsencode(work / "out/k/c") + b"/caf\xe9.txt", "rb") as f:  # noqa: PTH123
        assert f.read() == article_text(*story(5)).encode()


# ------------------------------------------------------------------ fault 8 and what users asked


EVIL = "\x1b]0;PWNED\x07\x1b[2J"


def test_no_terminal_escape_from_a_file_name_reaches_stderr(
    capsys: pytest.CaptureFixture[str], work: Path
) -> None:
    title, paras = story(1)
    write(work / f"in/{EVIL}.txt", article_text(title, paras))  # a copy: in the summary
    write(work / f"in/{EVIL}-empty.txt", b"")  # rejected: in the -v log and the summary
    for argv in (["-v", "dedup", "in", "--report", "out/r.jsonl"], ["ingest", "in", "-v"]):
        code, _, err = run(capsys, *argv)
        assert code == 0, err
        assert "\x1b" not in err
        assert "\x07" not in err
        assert "\\x1b]0;PWNED\\x07\\x1b[2J-empty.txt" in err
    code, _, err = run(capsys, "dedup", "in", f"{EVIL}missing")
    assert code == 1
    assert "\x1b" not in err


def test_dedup_counts_rejections_by_reason_and_v_lists_each(
    capsys: pytest.CaptureFixture[str], work: Path
) -> None:
    write(work / "in/empty.txt", b"")
    write(work / "in/blank.txt", b"")
    write(work / "in/notes.pdf", b"%PDF-1.4")
    code, _, err = run(capsys, "dedup", "in", "--report", "out/r.jsonl")
    assert code == 0
    assert "rejected by stage: read 3" in err
    assert "     2 read: empty file" in err
    assert "rejected empty.txt" not in err
    code, _, err = run(capsys, "dedup", "in", "--report", "out/r.jsonl", "-v")  # after the command
    assert code == 0
    for name in ("empty.txt", "blank.txt", "notes.pdf"):
        assert f"newsingest: rejected {name}: read: " in err
    code, _, err = run(capsys, "dedup", "in", "--report", "out/r.jsonl", "-q")
    assert (code, err) == (0, "")


@pytest.mark.parametrize("command", ["dedup", "ingest"])
def test_a_run_that_rejects_everything_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    write(tmp_path / "in/empty.txt", b"")
    write(tmp_path / "in/image.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    code, _, err = run(
        capsys,
        command,
        str(tmp_path / "in"),
        "-o" if command == "ingest" else "--report",
        str(tmp_path / "r.jsonl"),
    )
    assert code == 0
    assert "all 2 documents were rejected" in err


def test_a_first_run_says_the_kernels_are_compiling(
    capsys: pytest.CaptureFixture[str], work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "kernels_need_compiling", lambda: True)
    code, _, err = run(capsys, "dedup", "in", "--report", "out/r.jsonl")
    assert code == 0
    assert "compiling kernels, first run only" in err
    code, _, err = run(capsys, "dedup", "in", "--report", "out/r.jsonl", "-q")
    assert err == ""
    monkeypatch.undo()
    assert cli.kernels_need_compiling() in (True, False)


def test_index_query_and_remove_of_an_unknown_id(
    capsys: pytest.CaptureFixture[str], work: Path
) -> None:
    assert (
        run(capsys, "-q", "dedup", "in", "--index", "out/news.db", "--report", os.devnull)[0] == 0
    )
    code, out, err = run(capsys, "index", "query", "out/news.db", "in/b/copy.txt")
    assert code == 0, err
    matches = [json.loads(line) for line in out.splitlines()]
    assert {m["id"] for m in matches} == {"in/a/story.txt", "in/b/copy.txt"}
    assert set(matches[0]) == {"id", "jaccard", "containment", "cluster"}
    assert "2 stored documents" in err
    code, _, err = run(capsys, "index", "remove", "out/news.db", "in/c/other.txt", "no/such.txt")
    assert code == 0
    assert "removed 1 of 2 documents" in err
    assert "not in the index" in err
    assert "'no/such.txt'" in err


def test_ctrl_c_exits_130(
    capsys: pytest.CaptureFixture[str], work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*_args: Any, **_kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "dedup", interrupted)
    code, _, err = run(capsys, "dedup", "in", "--report", "out/r.jsonl")
    assert code == 130
    assert err == "newsingest: interrupted\n"
    assert not (work / "out/r.jsonl").exists()


def test_an_empty_kernel_cache_means_compiling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsingest.matching import _kernels  # noqa: PLC0415

    class Cache:
        cache_path = str(tmp_path)

    def make(name: str) -> Any:
        def py_func() -> None: ...

        kernel = type(name, (), {"_cache": Cache(), "py_func": py_func})()
        kernel.__name__ = name
        return kernel

    for name in ("fingerprint_docs", "line_keys"):
        monkeypatch.setattr(_kernels, name, make(name))
    assert cli.kernels_need_compiling()
    line = make("x").py_func.__code__.co_firstlineno
    version = f"{sys.version_info.major}{sys.version_info.minor}"
    for name in ("fingerprint_docs", "line_keys"):
        (tmp_path / f"_kernels.{name}-{line}.py{version}.nbi").write_bytes(b"")
    assert not cli.kernels_need_compiling()
