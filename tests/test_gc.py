"""The collector pause around runs that hold a whole corpus in memory."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from newsingest._gc import paused, pausing
from newsingest.pipeline import dedup


@pytest.fixture(autouse=True)
def _restore_collector() -> Iterator[None]:
    was = gc.isenabled()
    yield None
    if was:
        gc.enable()
    else:
        gc.disable()


def test_paused_disables_and_restores() -> None:
    gc.enable()
    with paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_paused_restores_after_an_error() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_paused_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    with paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_pausing_wraps_calls_and_keeps_the_signature() -> None:
    gc.enable()

    @pausing
    def probe(x: int, *, y: int = 2) -> tuple[bool, int]:
        """Doc."""
        return gc.isenabled(), x + y

    assert probe(1, y=3) == (False, 4)
    assert gc.isenabled()
    assert probe.__doc__ == "Doc."
    assert probe.__name__ == "probe"


def test_dedup_leaves_the_collector_as_it_found_it() -> None:
    gc.enable()
    dedup([])
    assert gc.isenabled()
