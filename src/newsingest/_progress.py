"""A one-line progress counter on stderr, shown only when stderr is a terminal."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TextIO

__all__ = ["Progress", "kernels_need_compiling"]


class Progress:
    """Counts documents; redraws at most five times a second; silent off a terminal."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.label = label
        self.done = 0
        self.rejected = 0
        self._start = time.perf_counter()
        self._last = 0.0

    def update(self, *, rejected: bool = False) -> None:
        self.advance(1, int(rejected))

    def advance(self, documents: int, rejected: int = 0) -> None:
        """Count ``documents`` more, ``rejected`` of them rejected."""
        self.done += documents
        self.rejected += rejected
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self._last >= 0.2:
            self._last = now
            rate = self.done / max(now - self._start, 1e-9)
            counts = f"{self.done:,} documents, {self.rejected:,} rejected"
            self.stream.write(f"\r{self.label}: {counts} ({rate:,.0f}/s)")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.done:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def kernels_need_compiling() -> bool:
    """True when numba's on-disk cache holds no entry for the main kernels yet.

    Then the first run pauses while they compile, and the user is told why.
    Only a cache that exists can say so: without one (no writable cache
    folder) the kernels compile on every run, and nothing is announced.
    """
    try:
        from newsingest.matching import _kernels  # noqa: PLC0415 (numba loads lazily)

        for kernel in (_kernels.fingerprint_docs, _kernels.line_keys):
            folder = getattr(getattr(kernel, "_cache", None), "cache_path", None)
            if folder is None:
                return False
            # numba's index file: module.function-line.pyXY.nbi
            code = getattr(kernel, "py_func", kernel).__code__
            version = f"{sys.version_info.major}{sys.version_info.minor}"
            pattern = f"*.{kernel.__name__}-{code.co_firstlineno}.py{version}.nbi"
            if not any(Path(folder).glob(pattern)):
                return True
    except Exception:  # a notice must never stop a run
        return False
    return False
