"""A one-line progress counter on stderr, shown only when stderr is a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress"]


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
