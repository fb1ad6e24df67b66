"""The array helpers against the numpy routines they stand in for."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from newsingest._arrays import expand_ranges, sorted_unique


@settings(max_examples=200, deadline=None)
@given(
    hnp.arrays(
        dtype=st.sampled_from([np.int64, np.uint32, np.uint64, np.int32]),
        shape=hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=30),
        elements=st.integers(0, 40),
    )
)
def test_sorted_unique_is_np_unique(values: np.ndarray) -> None:
    got = sorted_unique(values)
    want = np.unique(values)
    assert got.dtype == want.dtype
    assert np.array_equal(got, want)


def test_sorted_unique_of_nothing_and_of_one() -> None:
    assert sorted_unique(np.empty(0, dtype=np.int64)).shape == (0,)
    assert sorted_unique(np.array([7])).tolist() == [7]


def test_sorted_unique_can_sort_in_place() -> None:
    values = np.array([5, 3, 5, 1, 3], dtype=np.uint32)
    assert sorted_unique(values, overwrite=True).tolist() == [1, 3, 5]
    assert values.tolist() == [1, 3, 3, 5, 5]  # sorted where it was, not copied


def test_expand_ranges_lists_every_element_with_its_range() -> None:
    owner, pos = expand_ranges(np.array([5, 0, 9]), np.array([2, 0, 3]))
    assert owner.tolist() == [0, 0, 2, 2, 2]
    assert pos.tolist() == [5, 6, 9, 10, 11]
