"""Order-preserving, memory-bounded parallel map over chunks.

``multiprocessing.Pool.imap`` drains its input iterator eagerly in a feeder
thread, so a lazy stream of documents would be pulled into memory whole; this
keeps at most ``window`` chunks in flight instead.
"""

from __future__ import annotations

import itertools
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

__all__ = ["chunked", "imap_bounded", "resolve_jobs"]

T = TypeVar("T")
R = TypeVar("R")


def resolve_jobs(jobs: int) -> int:
    """``0`` means one worker per available core."""
    if jobs > 0:
        return jobs
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def imap_bounded(
    fn: Callable[[T], R], items: Iterable[T], *, jobs: int, window: int | None = None
) -> Iterator[R]:
    """``map(fn, items)`` across ``jobs`` processes, results in input order.

    With ``jobs == 1`` it runs in this process: no pickling, easy debugging.
    """
    if jobs <= 1:
        yield from map(fn, items)
        return
    window = window or 4 * jobs
    pending: deque[Future[R]] = deque()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
