"""Forced verdicts: stored counts that settle a key's verdict without its component.

The boilerplate rule (:func:`~newsingest.matching.boilerplate.boilerplate_keys`)
decides a candidate key ``L`` by counting the documents of ``D(L)`` with
substantial own text, where own text leaves out the keys of ``L``'s block and
the candidate keys judged boilerplate. The more keys are boilerplate, the less
own text: the count lies between a *lower* count (every candidate outside the
block boilerplate) and an *upper* count (none). A key whose lower count reaches
``many_fraction × |D(L)|`` is boilerplate whatever the other keys are, one whose
upper count stays below it never is: such a key is *forced*, and every round of
the rule's iteration after the first gives it that value, so the rule's answer
for it is that value too.

For each candidate key held by at least :data:`STATE_MIN_DOCS` documents,
``line_state`` keeps ``n = |D(L)|``, the two counts and the block, plus two
bounds that prove the block unchanged without reading ``D(L)``: ``bmin``, at
most the smallest co-occurrence of a block key with ``L``, and ``omax``, at
least the largest co-occurrence of any other key. The documents an update adds
add their contributions to the counts of their keys, raise ``omax`` by at most
the most of them sharing one key outside the block and ``bmin`` by at least the
fewest sharing one inside; removed ones take theirs back and lower ``bmin`` by
at most their number; a document whose key changed candidacy has its
contribution counted again. While ``bmin ≥ block_fraction × n > omax`` the block
is the stored one and the counts are exact; otherwise the key is counted again
from its documents.

:mod:`newsingest.store.verdicts` uses a key forced before and after an update,
with the same value, as a wall: the component of the update's keys stops there.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable, Mapping

import attrs
import numpy as np
import numpy.typing as npt

from newsingest._arrays import equal_runs, expand_ranges
from newsingest.matching.boilerplate import BoilerplateRule
from newsingest.store.schema import SQL_BATCH, blob, id_list, stored_array

__all__ = [
    "STATE_MIN_DOCS",
    "DocKeys",
    "Holders",
    "KeyState",
    "count_states",
    "counted",
    "delete_states",
    "read_states",
    "synthetic_docs",
    "tally",
    "write_states",
]

STATE_MIN_DOCS = 50
"""Keys held by fewer documents get no stored state: their documents are read instead."""

_I64 = npt.NDArray[np.int64]
_BOOL = npt.NDArray[np.bool_]


@attrs.frozen
class DocKeys:
    """Documents with their distinct paragraph keys: ``lengths[d]`` keys each, in ``keys``."""

    docs: _I64
    lengths: _I64
    keys: _I64
    words: _I64

    @classmethod
    def empty(cls) -> DocKeys:
        none = np.empty(0, dtype=np.int64)
        return cls(none, none, none, none)

    def flat_doc(self) -> _I64:
        """The position (in ``docs``) of each entry of ``keys``."""
        return np.repeat(np.arange(len(self.docs), dtype=np.int64), self.lengths)


@attrs.frozen
class KeyState:
    """A key's stored counts (see the module doc)."""

    n: int
    lower: int
    upper: int
    bmin: int
    omax: int
    block: _I64 = attrs.field(eq=False)

    def forced(self, rule: BoilerplateRule) -> bool | None:
        """The key's verdict if its counts settle it, else None."""
        if self.lower >= rule.many_fraction * self.n:
            return True
        if self.upper < rule.many_fraction * self.n:
            return False
        return None

    def stable(self, rule: BoilerplateRule) -> bool:
        """Whether the bounds prove that the stored block is the key's block."""
        cut = rule.block_fraction * self.n
        return self.bmin >= cut and self.omax < cut


@attrs.frozen
class Tally:
    """What some documents holding a key add to its state."""

    lower: int = 0
    upper: int = 0
    holders: int = 0
    """How many of the documents hold the key."""
    most: int = 0
    """The most of them that share one key outside the block."""
    least: int = 0
    """The fewest of them that share one key of the block."""


def counted(values: _I64) -> tuple[_I64, _I64, _I64]:
    """``np.unique(values, return_inverse=True, return_counts=True)``, by sorting.

    ``np.unique`` hashes int64 values since numpy 2.3, several times slower here
    (see :func:`newsingest._arrays.sorted_unique`).
    """
    order = np.argsort(values, kind="stable")
    starts, lengths = equal_runs(values[order])
    inverse = np.empty(len(values), dtype=np.int64)
    inverse[order] = np.repeat(np.arange(len(starts), dtype=np.int64), lengths)
    return values[order][starts], inverse, lengths


class Holders:
    """Where the documents of a :class:`DocKeys` that hold a key are, for many keys."""

    def __init__(self, dk: DocKeys) -> None:
        self.dk = dk
        self.flat_doc = dk.flat_doc()
        self.order = np.argsort(dk.keys, kind="stable")
        self.sorted = dk.keys[self.order]
        self.offsets = np.cumsum(dk.lengths) - dk.lengths

    def of(self, key: int) -> tuple[_I64, _I64]:
        """The documents (positions in ``dk.docs``) holding ``key``, and their entries."""
        lo = int(np.searchsorted(self.sorted, key, side="left"))
        hi = int(np.searchsorted(self.sorted, key, side="right"))
        docs = np.sort(self.flat_doc[self.order[lo:hi]])
        _, pos = expand_ranges(self.offsets[docs], self.dk.lengths[docs])
        return docs, pos


def tally(
    where: Holders, cand: _BOOL, key: int, block: _I64 | None, rule: BoilerplateRule
) -> tuple[Tally, KeyState | None]:
    """The contribution of the documents that hold ``key`` to its counts.

    ``where`` finds them in a :class:`DocKeys`; ``cand`` flags the candidate keys
    among its keys. With ``block`` None, they must be every document of the key:
    the block is found and the whole state returned.
    """
    holders, pos = where.of(key)
    if not holders.size:
        return Tally(), None
    m = len(holders)
    keys, words = where.dk.keys[pos], where.dk.words[pos]
    local = np.repeat(np.arange(m, dtype=np.int64), where.dk.lengths[holders])
    in_cand = cand[pos]
    uniq, inv, cooc = counted(keys)
    counting = block is None
    if block is None:
        # The rule's block: the keys at least block_fraction of D(key) hold.
        is_block = cooc >= rule.block_fraction * m
        block = uniq[is_block]
        inb = is_block[inv]
    else:
        is_block = np.isin(uniq, block)
        inb = np.isin(keys, block)
    w = words.astype(np.float64)
    shared = np.bincount(local, weights=w * inb, minlength=m)
    own_max = np.bincount(local, weights=w * ~inb, minlength=m)
    own_min = np.bincount(local, weights=w * (~inb & ~in_cand), minlength=m)
    lower = int(rule.substantial(own_min, shared).sum())
    upper = int(rule.substantial(own_max, shared).sum())
    most = int(cooc[~is_block].max()) if (~is_block).any() else 0
    every_block_key = is_block.sum() == len(block)
    least = int(cooc[is_block].min()) if is_block.any() and every_block_key else 0
    state = None
    if counting:
        state = KeyState(n=m, lower=lower, upper=upper, bmin=least, omax=most, block=block)
    return Tally(lower=lower, upper=upper, holders=m, most=most, least=least), state


def count_states(
    dk: DocKeys, cand: _BOOL, keys: Iterable[int], rule: BoilerplateRule
) -> dict[int, KeyState]:
    """The states of ``keys`` counted from their documents, all of which ``dk`` holds."""
    out: dict[int, KeyState] = {}
    where = Holders(dk)
    for key in keys:
        _, state = tally(where, cand, key, None, rule)
        if state is not None:
            out[key] = state
    return out


def read_states(conn: sqlite3.Connection, keys: Iterable[int]) -> dict[int, KeyState]:
    """The stored states of those of ``keys`` that have one."""
    wanted = list(keys)
    out: dict[int, KeyState] = {}
    for lo in range(0, len(wanted), SQL_BATCH):
        for key, n, lower, upper, bmin, omax, block in conn.execute(
            "SELECT key, n, lower, upper, bmin, omax, block FROM line_state "
            "WHERE key IN (SELECT value FROM json_each(?))",
            (id_list(wanted[lo : lo + SQL_BATCH]),),
        ):
            out[key] = KeyState(
                n=int(n),
                lower=int(lower),
                upper=int(upper),
                bmin=int(bmin),
                omax=int(omax),
                block=stored_array(block, "<i8", f"the block of paragraph key {key}").astype(
                    np.int64
                ),
            )
    return out


def write_states(conn: sqlite3.Connection, states: Mapping[int, KeyState]) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO line_state(key, n, lower, upper, bmin, omax, block) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (k, s.n, s.lower, s.upper, s.bmin, s.omax, blob(s.block, "<i8"))
            for k, s in states.items()
        ],
    )


def delete_states(conn: sqlite3.Connection, keys: Iterable[int]) -> None:
    wanted = list(keys)
    if wanted:
        conn.execute(
            "DELETE FROM line_state WHERE key IN (SELECT value FROM json_each(?))",
            (id_list(wanted),),
        )


def synthetic_docs(
    value: bool, held: int, words: int, rule: BoilerplateRule, min_docs: int
) -> tuple[int, int] | None:
    """Documents that make the rule decide a forced key as ``value`` among a component.

    A component read for an update holds only ``held`` of a forced key's documents.
    Given with that many more documents holding the key alone (``value`` False) or
    with a filler key of its own of ``filler`` words (``value`` True), the rule
    decides the key as ``value`` in every round after the first, as it does on the
    whole corpus, and nothing else changes: the added documents share no other key,
    so no other key's documents, block or own text do. Returns ``(count, filler)``,
    or None where the rule's settings leave no such count.
    """
    f, m = rule.block_fraction, rule.many_fraction
    if not (0 < f <= 1 and 0 < m < 1):
        return None
    shared = np.array([float(words)])
    if value:
        filler = int(rule.min_own_words) + math.ceil(rule.min_own_ratio * words) + 1
        if not rule.substantial(np.array([float(filler)]), shared)[0]:
            return None
        count = max(min_docs, math.ceil(m * held / (1 - m)) + 1, math.ceil(2 / f) + 1)
        # A synthetic document is substantial: its filler is outside the block.
        while not (count >= m * (held + count) and f * (held + count) > 1):
            count *= 2
        return count, filler
    if rule.substantial(np.zeros(1), shared)[0]:
        return None
    count = max(min_docs, math.ceil(held * (1 - m) / m) + 1)
    while not held < m * (held + count):
        count *= 2
    return count, 0
