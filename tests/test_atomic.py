"""Atomic output: the old file or the complete new one, never half, never a stray temp file."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsingest._atomic import atomic_binary_writer, atomic_path, atomic_writer


@pytest.fixture
def umask_022() -> Iterator[int]:
    old = os.umask(0o022)
    try:
        yield 0o022
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_text_writer_replaces_the_file_on_success(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text("old\n", encoding="utf-8")
    with atomic_writer(out) as f:
        f.write("new é\n")
        assert out.read_text(encoding="utf-8") == "old\n", "not visible before the block ends"
    assert out.read_bytes() == "new é\n".encode()
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


def test_text_writer_writes_utf8_with_lf(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    with atomic_writer(out) as f:
        f.write("a\nb — ü\n")
    assert out.read_bytes() == "a\nb — ü\n".encode()


def _write_half_then_fail(out: Path, binary: bool) -> None:
    if binary:
        with atomic_binary_writer(out) as fb:
            fb.write(b"half")
            raise RuntimeError("boom")
    with atomic_writer(out) as ft:
        ft.write("half")
        raise RuntimeError("boom")


@pytest.mark.parametrize("binary", [False, True])
def test_an_error_keeps_the_old_file_and_removes_the_temp_file(
    tmp_path: Path, binary: bool
) -> None:
    out = tmp_path / "out.bin"
    out.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="boom"):
        _write_half_then_fail(out, binary)
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_an_error_before_the_first_write_creates_nothing(tmp_path: Path) -> None:
    out = tmp_path / "never.txt"
    with pytest.raises(KeyboardInterrupt), atomic_writer(out):
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_atomic_path_renames_what_was_written_to_the_temp_path(tmp_path: Path) -> None:
    out = tmp_path / "copy.txt"
    with atomic_path(out) as tmp:
        assert tmp.parent == tmp_path
        assert tmp != out
        tmp.write_bytes(b"payload")
    assert out.read_bytes() == b"payload"
    assert [p.name for p in tmp_path.iterdir()] == ["copy.txt"]


def test_dash_means_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    with atomic_writer("-") as f:
        f.write("to stdout\n")
    assert capsys.readouterr().out == "to stdout\n"


def test_a_missing_folder_is_an_os_error(tmp_path: Path) -> None:
    with (
        pytest.raises(FileNotFoundError),
        atomic_writer(tmp_path / "no" / "such" / "out.txt") as f,
    ):
        f.write("x")


def test_a_new_file_gets_the_usual_permissions(tmp_path: Path, umask_022: int) -> None:
    # mkstemp makes 0600 files: a report or a kept copy must not end up private.
    out = tmp_path / "report.csv"
    with atomic_writer(out) as f:
        f.write("x\n")
    assert _mode(out) == 0o666 & ~umask_022
    copied = tmp_path / "kept.txt"
    with atomic_binary_writer(copied) as fb:
        fb.write(b"x")
    assert _mode(copied) == 0o666 & ~umask_022


def test_a_replaced_file_keeps_its_permissions(tmp_path: Path, umask_022: int) -> None:
    out = tmp_path / "shared.jsonl"
    out.write_text("old\n", encoding="utf-8")
    out.chmod(0o640)
    with atomic_writer(out) as f:
        f.write("new\n")
    assert _mode(out) == 0o640


def test_a_device_is_written_in_place_never_replaced() -> None:
    devnull = Path(os.devnull)
    before = devnull.stat()
    with atomic_writer(devnull) as out:
        out.write("discarded\n")
    after = devnull.stat()
    assert stat.S_ISCHR(after.st_mode), "the device must stay a device"
    assert (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


def test_a_symlink_is_written_through(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    with atomic_writer(link) as out:
        out.write("new")
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8") == "new"


@pytest.mark.parametrize("length", [242, 250, 255])
def test_a_long_name_gets_a_short_temporary_name(tmp_path: Path, length: int) -> None:
    # ".{name}.{8 hex}.tmp" passed the 255-byte limit of a name for names of 241 bytes and more.
    out = tmp_path / ("r" * (length - 6) + ".jsonl")
    with atomic_writer(out) as f:
        f.write("x\n")
    assert out.read_text(encoding="utf-8") == "x\n"
    with atomic_binary_writer(out) as fb:
        fb.write(b"y\n")
    assert out.read_bytes() == b"y\n"
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


def test_a_failed_write_names_the_file_asked_for_not_the_temporary_one(tmp_path: Path) -> None:
    out = tmp_path / "no" / "such" / "report.jsonl"
    with pytest.raises(FileNotFoundError) as caught, atomic_writer(out) as f:
        f.write("x")
    assert caught.value.filename == str(out)
    assert ".tmp" not in str(caught.value)
    folder = tmp_path / "a-folder"
    folder.mkdir()
    with pytest.raises(IsADirectoryError) as replaced, atomic_writer(folder) as f:
        f.write("x")
    assert replaced.value.filename == str(folder)
    assert [p.name for p in tmp_path.iterdir()] == ["a-folder"]
