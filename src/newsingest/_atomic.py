"""Atomic output files: readers see the old file or the complete new one, never half."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, BinaryIO

__all__ = ["atomic_binary_writer", "atomic_path", "atomic_writer", "temp_name"]


def temp_name(target: Path) -> Path:
    """A fresh hidden name beside ``target``, short whatever the length of its name.

    A name built from the target's (``.{name}.{random}.tmp``) would pass the
    255-byte limit of a file name for long targets and fail the write.
    """
    return target.parent / f".newsingest-{secrets.token_hex(6)}.tmp"


def _create_temp(target: Path) -> Path:
    """Create an empty temporary file beside ``target`` with the mode ``target`` should have.

    ``tempfile.mkstemp`` makes 0600 files, which would leave every report and
    kept copy private: a new file gets 0666 less the umask (applied by the
    kernel), a replaced one keeps its mode.
    """
    try:
        mode: int | None = stat.S_IMODE(target.stat().st_mode)
    except OSError:
        mode = None
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = temp_name(target)
        try:
            fd = os.open(tmp, flags, 0o666)
        except FileExistsError:
            continue
        except OSError as exc:
            # Name the file the user asked for, not the hidden temporary one.
            raise type(exc)(exc.errno, exc.strerror, str(target)) from None
        try:
            if mode is not None:
                os.fchmod(fd, mode)
        finally:
            os.close(fd)
        return tmp
    raise FileExistsError(f"cannot create a temporary file beside {target}")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``path``, renamed onto it when the block succeeds.

    On an exception the temporary file is removed and ``path`` is untouched. A
    symlink is written through (its target is replaced, the link stays).
    """
    target = Path(path)
    if target.is_symlink():
        target = target.resolve()
    tmp = _create_temp(target)
    try:
        yield tmp
        try:
            tmp.replace(target)
        except OSError as exc:
            raise type(exc)(exc.errno, exc.strerror, str(target)) from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def _is_special(path: str | os.PathLike[str]) -> bool:
    """A device, FIFO or socket (``/dev/null``, a named pipe): written in place, never replaced.

    Renaming a temporary file onto ``/dev/null`` would turn the device into a
    regular file for the whole machine.
    """
    try:
        mode = Path(path).stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[IO[str]]:
    """Write UTF-8 text to ``path`` atomically; ``"-"`` means stdout (not atomic, by nature).

    Devices and pipes (``/dev/null``, ``/dev/stdout``, a FIFO) are written in place.
    """
    if os.fspath(path) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    if _is_special(path):
        with Path(path).open("w", encoding="utf-8", newline="\n") as f:
            yield f
        return
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8", newline="\n") as f:
        yield f
        f.flush()
        os.fsync(f.fileno())


@contextlib.contextmanager
def atomic_binary_writer(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Write bytes to ``path`` atomically (devices and pipes in place)."""
    if _is_special(path):
        with Path(path).open("wb") as f:
            yield f
        return
    with atomic_path(path) as tmp, tmp.open("wb") as f:
        yield f
        f.flush()
        os.fsync(f.fileno())
