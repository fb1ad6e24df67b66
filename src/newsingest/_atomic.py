"""Atomic output files: readers see the old file or the complete new one, never half."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, BinaryIO

__all__ = ["atomic_binary_writer", "atomic_path", "atomic_writer"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``path``, renamed onto it when the block succeeds.

    On an exception the temporary file is removed and ``path`` is untouched.
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        Path(tmp).replace(target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()
        raise


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[IO[str]]:
    """Write UTF-8 text to ``path`` atomically; ``"-"`` means stdout (not atomic, by nature)."""
    if os.fspath(path) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8", newline="\n") as f:
        yield f
        f.flush()
        os.fsync(f.fileno())


@contextlib.contextmanager
def atomic_binary_writer(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Write bytes to ``path`` atomically."""
    with atomic_path(path) as tmp, tmp.open("wb") as f:
        yield f
        f.flush()
        os.fsync(f.fileno())
