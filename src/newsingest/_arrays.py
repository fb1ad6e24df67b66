"""Array helpers where numpy's general routine is slow for what is asked here."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["equal_runs", "expand_ranges", "sorted_unique"]


def sorted_unique(values: npt.ArrayLike, *, overwrite: bool = False) -> npt.NDArray[Any]:
    """``np.unique(values)``: the sorted distinct values, flattened.

    By sorting and dropping repeats: since numpy 2.3 a plain ``np.unique`` hashes
    the values first, which is much slower on int64 arrays of the sizes the LSH
    and the index handle per band (docs/benchmarks.md, "Measurements behind
    design choices").
    With ``overwrite`` a 1-D array is sorted in place instead of copied (for
    arrays of tens of millions of values).
    """
    out = np.asarray(values).ravel()
    if overwrite:
        out.sort()
    else:
        out = np.sort(out)
    if out.size < 2:
        return out
    keep = np.empty(out.size, dtype=bool)
    keep[0] = True
    np.not_equal(out[1:], out[:-1], out=keep[1:])
    return out[keep]


def expand_ranges(
    starts: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """For ranges ``[starts[i], starts[i] + lengths[i])``, one after another: the range
    each element comes from, and the element (its position)."""
    total = int(lengths.sum())
    owner = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    first = np.cumsum(lengths) - lengths
    pos = np.repeat(starts, lengths) + (np.arange(total, dtype=np.int64) - first[owner])
    return owner, pos


def equal_runs(values: npt.ArrayLike) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Where each run of equal neighbours starts in ``values`` (sorted, or grouped) and how
    long it is: ``values[starts[i] : starts[i] + lengths[i]]`` are equal."""
    arr = np.asarray(values)
    if arr.shape[0] == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    change = arr[1:] != arr[:-1]
    if change.ndim > 1:  # rows of a 2-D array: a run ends where any column changes
        change = change.any(axis=tuple(range(1, change.ndim)))
    starts = np.flatnonzero(np.r_[True, change]).astype(np.int64)
    lengths = np.diff(np.r_[starts, arr.shape[0]]).astype(np.int64)
    return starts, lengths
