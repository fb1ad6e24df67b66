"""Hold off CPython's cyclic garbage collector while a run builds its corpus in memory.

A full collection visits every live container object, and CPython starts one
each time the number of objects that survived earlier collections has grown
by a quarter. A run that keeps hundreds of thousands of records alive (one
per article, each with its tuples of paragraphs and fixes) therefore spends a
growing share of its time re-visiting them: measured at 40% of the ingest
stage of a 50,000-article ``dedup``. The records form no reference cycles, so
reference counting frees them without the collector; any cycle made while
it is paused is collected once it runs again.
"""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

__all__ = ["paused", "pausing"]

P = ParamSpec("P")
R = TypeVar("R")


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Disable the collector for the ``with`` block, unless the caller had already disabled it."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def pausing(fn: Callable[P, R]) -> Callable[P, R]:
    """Run every call of ``fn`` inside :func:`paused`."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with paused():
            return fn(*args, **kwargs)

    return wrapper
