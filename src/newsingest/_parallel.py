"""Order-preserving, memory-bounded parallel map over chunks.

``multiprocessing.Pool.imap`` drains its input iterator eagerly in a feeder
thread, so a lazy stream of documents would be pulled into memory whole; this
keeps at most ``window`` chunks in flight instead.

Workers are forked when that is safe (Linux, and only the main thread alive):
they start in milliseconds and inherit the numba kernels the parent compiled
or loaded. Otherwise they are spawned, and load the kernels from numba's disk
cache.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from multiprocessing.context import BaseContext
from typing import TypeVar

__all__ = ["chunked", "imap_bounded", "open_pool", "pool_context", "resolve_jobs"]

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


def pool_context() -> BaseContext:
    """``fork`` on Linux when no other thread could hold a lock at fork time, else ``spawn``."""
    if sys.platform == "linux" and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


@contextlib.contextmanager
def open_pool(jobs: int, context: BaseContext | None = None) -> Iterator[Executor | None]:
    """A process pool of ``jobs`` workers shared by several maps; ``None`` for one job.

    Forked workers start when the first task is submitted, so they see the
    parent's memory as it is then (``pipeline`` relies on that in pass 2).
    """
    if jobs <= 1:
        yield None
        return
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context or pool_context()) as pool:
        yield pool


def imap_bounded(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    jobs: int,
    window: int | None = None,
    pool: Executor | None = None,
) -> Iterator[R]:
    """``map(fn, items)`` across ``jobs`` processes, results in input order.

    With ``jobs == 1`` (and no ``pool``) it runs in this process: no pickling,
    easy debugging. A ``pool`` from :func:`open_pool` is reused, not closed.
    """
    if pool is None:
        if jobs <= 1:
            yield from map(fn, items)
            return
        with open_pool(jobs) as own:
            yield from imap_bounded(fn, items, jobs=jobs, window=window, pool=own)
        return
    window = window or 4 * max(jobs, 1)
    pending: deque[Future[R]] = deque()
    try:
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
