"""Connected components of an undirected graph given as an edge array.

Iterative union-find (no recursion), compiled with numba: path halving, and
union by minimum index, so every root is the smallest index of its component
and the labels do not depend on the order of the edges.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import numpy as np
import numpy.typing as npt

from newsingest.matching._kernels import jit

__all__ = ["connected_components"]

_Int64Array = npt.NDArray[np.int64]


def _label_components_py(n: int, left: _Int64Array, right: _Int64Array) -> _Int64Array:
    parent = np.arange(n, dtype=np.int64)
    for k in range(left.shape[0]):
        a = left[k]
        while parent[a] != a:
            parent[a] = parent[parent[a]]  # path halving
            a = parent[a]
        b = right[k]
        while parent[b] != b:
            parent[b] = parent[parent[b]]
            b = parent[b]
        if a < b:
            parent[b] = a
        elif b < a:
            parent[a] = b
    # The root of a component is its smallest member, and parent[i] <= i always
    # holds, so one pass in increasing order resolves every label.
    for i in range(n):
        parent[i] = parent[parent[i]]
    return parent


_label_components = cast(
    Callable[[int, _Int64Array, _Int64Array], _Int64Array],
    jit(_label_components_py),
)


def connected_components(n: int, pairs: npt.ArrayLike) -> _Int64Array:
    """Label each of ``n`` nodes with the smallest index of its component.

    ``pairs`` is an ``(m, 2)`` integer array of edges; self-loops and repeated
    edges are harmless. The result is deterministic and independent of the
    order of the edges and of the order within each edge.
    """
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    edges = np.asarray(pairs, dtype=np.int64)
    if edges.size == 0:
        return np.arange(n, dtype=np.int64)
    if edges.ndim != 2 or edges.shape[1] != 2:
        raise ValueError(f"pairs must have shape (m, 2), got {edges.shape}")
    if edges.min() < 0 or edges.max() >= n:
        raise ValueError(f"pair indices must lie in [0, {n})")
    left = np.ascontiguousarray(edges[:, 0])
    right = np.ascontiguousarray(edges[:, 1])
    return _label_components(n, left, right)
