"""Forced verdicts: keys settled by their stored counts keep the index equal to the batch run.

The benchmarks' keys are held by thousands of documents; here every candidate key
held by three or more gets a stored state, so that the small generated corpora
reach every path: counts kept, counted again, walls in a component, the fallback.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsingest.config import BoilerplateConfig
from newsingest.matching.boilerplate import (
    BOILERPLATE_DEFAULTS,
    boilerplate_keys,
    learn_boilerplate,
)
from newsingest.records import Article
from newsingest.store import Index, forced, verdicts
from tests.factories import sentence, story
from tests.store import test_index
from tests.store.helpers import SETTINGS, UTF8

PROMOS = [sentence(random.Random(100 + i), 6 + 2 * i) for i in range(4)]
"""Outlet lines of 6 to 12 words: boilerplate when enough different stories carry them."""


@pytest.fixture
def every_key_counted() -> Iterator[None]:
    with mock.patch.object(forced, "STATE_MIN_DOCS", 3):
        yield


def test_incremental_equals_batch_with_every_key_counted(every_key_counted: None) -> None:
    test_index.test_incremental_equals_batch()


def test_remove_equals_batch_with_every_key_counted(every_key_counted: None) -> None:
    test_index.test_remove_equals_batch_without_them()


def _article(i: int, promos: tuple[int, ...], seed: int, keep: int, extra: bool) -> Article:
    title, paras = story(seed)
    body = [PROMOS[p] for p in promos] + paras[:keep]
    if extra:  # a paragraph of its own: substantial own text beside a shared story
        body.append(story(1000 + i)[1][0])
    return Article(
        id=f"d{i:03d}",
        path=f"d{i:03d}.txt",
        format="text",
        title=title,
        date=dt.date(2024, 3, 1 + i % 9),
        paragraphs=tuple(body),
        decoding=UTF8,
    )


article_spec = st.tuples(
    st.lists(st.integers(0, 3), max_size=2, unique=True),  # outlet lines
    st.integers(0, 7),  # story
    st.integers(1, 4),  # paragraphs of it
    st.booleans(),  # a paragraph of its own
)
steps = st.lists(
    st.tuples(st.lists(article_spec, min_size=1, max_size=12), st.floats(0, 0.5)),
    min_size=1,
    max_size=5,
)


def _stored_boilerplate(index: Index) -> set[int]:
    return {r[0] for r in index._conn.execute("SELECT key FROM lines WHERE boilerplate = 1")}


def _assert_states_exact(conn: sqlite3.Connection) -> None:
    """Every stored state equals the state counted again from all its documents."""
    stored = forced.read_states(conn, [r[0] for r in conn.execute("SELECT key FROM line_state")])
    if not stored:
        return
    docs = [r[0] for r in conn.execute("SELECT doc FROM doc_keys ORDER BY doc")]
    every = verdicts._doc_keys(conn, docs)
    lines = verdicts._Lines(conn, BoilerplateConfig())
    cand = lines.candidates(every.keys)
    fresh = forced.count_states(every, cand, sorted(stored), BOILERPLATE_DEFAULTS)
    for key, state in stored.items():
        again = fresh[key]
        assert (state.n, state.lower, state.upper) == (again.n, again.lower, again.upper)
        assert np.array_equal(state.block, again.block)
        assert state.bmin <= again.bmin  # bounds, looser than the counted ones
        assert state.omax >= again.omax


@SETTINGS
@given(steps, st.randoms(use_true_random=False))
def test_verdicts_equal_the_batch_rule_through_adds_and_removals(
    plan: list[tuple[list[tuple[list[int], int, int, bool]], float]], rng: random.Random
) -> None:
    with (
        mock.patch.object(forced, "STATE_MIN_DOCS", 3),
        tempfile.TemporaryDirectory() as tmp,
        Index.open(Path(tmp) / "v.db") as index,
    ):
        held: dict[str, Article] = {}
        count = 0
        for specs, share in plan:
            batch = []
            for promos, seed, keep, extra in specs:
                batch.append(_article(count, tuple(promos), seed, keep, extra))
                count += 1
            index.add(batch)
            held.update((a.id, a) for a in batch)
            gone = sorted(i for i in held if rng.random() < share)
            index.remove(gone)
            for i in gone:
                del held[i]
            expected = learn_boilerplate(held.values()).boilerplate if held else frozenset()
            assert _stored_boilerplate(index) == set(expected)
            _assert_states_exact(index._conn)


@given(
    st.booleans(),
    st.lists(
        st.lists(st.tuples(st.integers(0, 6), st.integers(1, 60)), max_size=5),
        min_size=1,
        max_size=30,
    ),
    st.integers(1, 120),
)
def test_synthetic_documents_make_the_rule_decide_a_forced_key(
    value: bool, others: list[list[tuple[int, int]]], words: int
) -> None:
    # Whatever else the component's documents hold, the added ones settle the key.
    key = 100
    flat_keys: list[int] = []
    flat_words: list[int] = []
    lengths: list[int] = []
    for row in others:
        held = dict(row)  # distinct keys per document
        flat_keys += [key, *held]
        flat_words += [words, *(min(w, 120) for w in held.values())]
        lengths.append(1 + len(held))
    made = forced.synthetic_docs(value, len(others), words, BOILERPLATE_DEFAULTS, 3)
    assert made is not None
    copies, filler = made
    for i in range(copies):
        flat_keys += [key, -1 - i] if value else [key]
        flat_words += [words, filler] if value else [words]
        lengths.append(2 if value else 1)
    chosen = boilerplate_keys(flat_keys, flat_words, lengths, BoilerplateConfig())
    assert (key in chosen.tolist()) == value


def test_a_writer_that_does_not_keep_the_states_has_them_counted_again(
    tmp_path: Path, every_key_counted: None
) -> None:
    # An older newsingest whose session began before the upgrade adds documents
    # without updating line_state: the next update sees it and counts again.
    days = [[_article(10 * d + i, (0,), 10 * d + i, 2, True) for i in range(6)] for d in range(3)]
    with Index.open(tmp_path / "s.db") as index:
        index.add(days[0])
        promo = next(iter(learn_boilerplate(days[0]).boilerplate))
        assert forced.read_states(index._conn, [promo])[promo].n == 6
        with (
            mock.patch.object(verdicts, "_update_states", return_value={}),
            mock.patch.object(verdicts, "mark_states_current"),
        ):
            index.add(days[1])
        assert forced.read_states(index._conn, [promo])[promo].n == 6  # stale now
        index.add(days[2])
        assert forced.read_states(index._conn, [promo])[promo].n == 18
        _assert_states_exact(index._conn)
        everything = [a for day in days for a in day]
        assert _stored_boilerplate(index) == set(learn_boilerplate(everything).boilerplate)


def test_the_document_count_is_kept_without_counting(tmp_path: Path) -> None:
    with Index.open(tmp_path / "c.db") as index:
        index.add([_article(i, (0,), i, 2, False) for i in range(5)])
        index.remove(["d001", "d003"])
        index.add([_article(1, (1,), 1, 3, False)])  # d001 again, and d002 changed:
        index.add([_article(2, (1,), 9, 3, False)])  # replaced in place
        counted = index._conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        assert counted == 4
        statements: list[str] = []
        index._conn.set_trace_callback(statements.append)
        assert index.stats()["documents"] == 4
        index.add([_article(7, (1,), 7, 3, False)])
        index._conn.set_trace_callback(None)
        assert index.stats()["documents"] == 5
    assert statements
    assert "SELECT COUNT(*) FROM documents" not in [s.strip() for s in statements]
