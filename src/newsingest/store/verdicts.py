"""Boilerplate verdicts of the index, kept equal to the batch run's.

Boilerplate is corpus-level. Each document's paragraph keys (``doc_lines``,
and ``doc_keys`` with one row per document) and every key's document frequency
(``lines``) are stored. A batch touches some candidate keys; the verdicts are
recomputed with the detector's own rule (:func:`boilerplate_keys`) on the
connected component (keys ↔ documents) of those keys, which holds every
document that can influence them, so the verdicts equal the batch ones. The
component stops at keys whose verdict stored counts settle, before and after
the change alike (:mod:`newsingest.store.forced`): an outlet's promo does not
bring every article of the outlet into a day's component.
Candidacy is :func:`candidate_sql`, the detector's definition in SQL.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from newsingest._arrays import equal_runs, expand_ranges, sorted_unique
from newsingest.config import BoilerplateConfig
from newsingest.matching.boilerplate import (
    BOILERPLATE_DEFAULTS,
    BoilerplateModel,
    BoilerplateRule,
    boilerplate_keys,
    candidate_sql,
    distinct_keys,
    is_candidate,
    key_paragraph_groups,
    key_paragraphs,
    strip_boilerplate,
)
from newsingest.records import Article
from newsingest.store import forced
from newsingest.store.forced import (
    DocKeys,
    Holders,
    KeyState,
    count_states,
    counted,
    delete_states,
    read_states,
    synthetic_docs,
    tally,
    write_states,
)
from newsingest.store.schema import (
    SQL_BATCH,
    DamagedValueError,
    blob,
    counters,
    id_list,
    verdict_key_queries,
)

__all__ = [
    "LineChange",
    "boilerplate_among",
    "docs_holding",
    "fill_doc_keys",
    "forget_lines",
    "mark_states_current",
    "states_current",
    "store_lines",
    "strip_with_stored",
    "update_verdicts",
]

_I64 = npt.NDArray[np.int64]
_BOOL = npt.NDArray[np.bool_]


def strip_with_stored(conn: sqlite3.Connection, bp: BoilerplateConfig, article: Article) -> Article:
    """The article without its paragraphs whose stored verdict is boilerplate."""
    if not bp.enabled:
        return article
    keys, _ = key_paragraphs(article.paragraphs).tolist()
    found = {
        r[0]
        for r in conn.execute(
            "SELECT key FROM lines WHERE boilerplate = 1 AND key IN "
            "(SELECT value FROM json_each(?))",
            (id_list(dict.fromkeys(keys)),),
        )
    }
    return strip_boilerplate(article, BoilerplateModel(boilerplate=found))


def boilerplate_among(conn: sqlite3.Connection, keys: _I64) -> _I64:
    """Those of the sorted ``keys`` whose stored verdict is boilerplate, sorted.

    Looked up key by key in ``lines``: what a batch brings, not every stored key.
    """
    found: list[int] = []
    for lo in range(0, len(keys), SQL_BATCH):
        found += (
            r[0]
            for r in conn.execute(
                "SELECT key FROM lines WHERE boilerplate = 1 AND key IN "
                "(SELECT value FROM json_each(?))",
                (id_list(keys[lo : lo + SQL_BATCH].tolist()),),
            )
        )
    return np.array(sorted(found), dtype=np.int64)


def docs_holding(conn: sqlite3.Connection, keys: Iterable[int]) -> list[int]:
    """The stored documents with an article that hold one of ``keys``: to be stripped again."""
    return [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT dl.doc FROM doc_lines dl JOIN documents d ON d.doc = dl.doc "
            "WHERE d.article IS NOT NULL AND dl.key IN (SELECT value FROM json_each(?))",
            (id_list(keys),),
        )
    ]


# ---------------------------------------------------------------- upkeep of lines


def _doc_key_rows(
    docs: _I64, counts: _I64, keys: _I64, words: _I64
) -> Iterator[tuple[int, bytes, bytes]]:
    """``doc_keys`` rows: each document's distinct keys (ascending) and their word counts.

    A document without paragraphs gets no row, as it has none in ``doc_lines``.
    """
    ends = np.cumsum(counts)
    key_blob = blob(keys, "<i8")
    word_blob = blob(words, "<i4")
    for doc, end, count in zip(docs.tolist(), ends.tolist(), counts.tolist(), strict=True):
        if count:
            start = end - count
            yield doc, key_blob[8 * start : 8 * end], word_blob[4 * start : 4 * end]


def fill_doc_keys(conn: sqlite3.Connection, docs: Sequence[int] | None) -> None:
    """Write the ``doc_keys`` rows of ``docs`` (None: every document) from ``doc_lines``."""
    where = "" if docs is None else "WHERE dl.doc IN (SELECT value FROM json_each(?)) "
    cur = conn.execute(
        "SELECT dl.doc, dl.key, l.words FROM doc_lines dl JOIN lines l ON l.key = dl.key "
        f"{where}ORDER BY dl.doc, dl.key",
        () if docs is None else (id_list(docs),),
    )
    parts = []
    while rows := cur.fetchmany(1 << 20):
        parts.append(np.array(rows, dtype=np.int64))
    if not parts:
        return
    table = np.concatenate(parts)
    starts, counts = equal_runs(table[:, 0])  # sorted by document: each one's rows a stretch
    conn.executemany(
        "INSERT OR REPLACE INTO doc_keys(doc, keys, words) VALUES (?, ?, ?)",
        _doc_key_rows(table[starts, 0], counts, table[:, 1], table[:, 2]),
    )


def _candidates_among(
    conn: sqlite3.Connection, bp: BoilerplateConfig, keys: Iterable[int]
) -> set[int]:
    return {
        r[0]
        for r in conn.execute(
            f"SELECT key FROM lines WHERE {candidate_sql(bp)} AND key IN "
            "(SELECT value FROM json_each(?))",
            (id_list(keys),),
        )
    }


@attrs.frozen
class LineChange:
    """Documents added or removed, with the candidacy of their keys before and after."""

    docs: DocKeys
    sign: int
    """+1: the documents were added; -1: they are being removed."""
    before: dict[int, int]
    """Their keys that were candidates before, with their document frequency then."""
    after: dict[int, int]
    """Their keys that are candidates after, with their document frequency now."""

    @property
    def seeds(self) -> set[int]:
        """The candidate keys whose counts changed: their verdicts are recomputed."""
        return set(self.before) | set(self.after)


def _candidates_df(
    conn: sqlite3.Connection, bp: BoilerplateConfig, keys: Sequence[int]
) -> dict[int, int]:
    out: dict[int, int] = {}
    for lo in range(0, len(keys), SQL_BATCH * 10):
        out.update(
            conn.execute(
                f"SELECT key, df FROM lines WHERE {candidate_sql(bp)} AND key IN "
                "(SELECT value FROM json_each(?))",
                (id_list(keys[lo : lo + SQL_BATCH * 10]),),
            ).fetchall()
        )
    return out


def store_lines(
    conn: sqlite3.Connection,
    bp: BoilerplateConfig,
    docs: Sequence[int],
    paragraphs: Sequence[Sequence[str]],
) -> LineChange:
    """Store new documents' paragraph keys and count them."""
    # Each document's distinct keys (words of the first paragraph with the key),
    # then per key: the number of documents and the first document's words.
    (keys, words), counts = distinct_keys(*key_paragraph_groups(paragraphs))
    doc_arr = np.array(docs, dtype=np.int64)
    conn.executemany(
        "INSERT INTO doc_lines(doc, key) VALUES (?, ?)",
        zip(np.repeat(doc_arr, counts).tolist(), keys.tolist(), strict=True),
    )
    conn.executemany(
        "INSERT INTO doc_keys(doc, keys, words) VALUES (?, ?, ?)",
        _doc_key_rows(doc_arr, counts, keys, words),
    )
    uniq, at, df = np.unique(keys, return_index=True, return_counts=True)
    conn.executemany(
        "INSERT INTO lines(key, words, df) VALUES (?, ?, ?) "
        "ON CONFLICT(key) DO UPDATE SET df = df + excluded.df",
        zip(uniq.tolist(), words[at].tolist(), df.tolist(), strict=True),
    )
    after = _candidates_df(conn, bp, uniq.tolist())
    added = dict(zip(uniq.tolist(), df.tolist(), strict=True))
    before = {k: n - added[k] for k, n in after.items() if n - added[k] >= bp.min_docs}
    return LineChange(
        docs=DocKeys(doc_arr, counts.astype(np.int64), keys, words),
        sign=1,
        before=before,
        after=after,
    )


def forget_lines(
    conn: sqlite3.Connection, bp: BoilerplateConfig, docs: Sequence[int]
) -> LineChange:
    """Uncount documents' paragraph keys before they go.

    A key that stops being a candidate must have its verdict reset too: it is
    among the change's keys that were candidates before.
    """
    dk = _doc_keys(conn, sorted(docs))
    uniq, _, df = counted(dk.keys)
    removed = dict(zip(uniq.tolist(), df.tolist(), strict=True))
    before = _candidates_df(conn, bp, uniq.tolist())
    after = {k: n - removed[k] for k, n in before.items() if n - removed[k] >= bp.min_docs}
    conn.executemany(
        "UPDATE lines SET df = df - ? WHERE key = ?", [(n, k) for k, n in removed.items()]
    )
    conn.execute(
        "DELETE FROM lines WHERE df <= 0 AND key IN (SELECT value FROM json_each(?))",
        (id_list(removed),),
    )
    conn.execute(
        "DELETE FROM doc_lines WHERE doc IN (SELECT value FROM json_each(?))", (id_list(docs),)
    )
    return LineChange(docs=dk, sign=-1, before=before, after=after)


# ---------------------------------------------------------------- the verdicts


class _Lines:
    """What the verdict update reads of ``lines``, key by key or all at once, cached.

    Key by key for what a day touches; past :data:`_READ_ALL` keys, the candidate
    and boilerplate keys are read whole through their partial indexes instead.
    """

    def __init__(
        self, conn: sqlite3.Connection, bp: BoilerplateConfig, change: LineChange | None = None
    ) -> None:
        self.conn = conn
        self.bp = bp
        self.info: dict[int, tuple[int, int, int]] = {}
        """key -> (df, words, boilerplate) of the keys looked up (0, 0, 0: not stored)."""
        self.whole: tuple[_I64, _I64] | None = None
        # The change's keys: their candidacy now is known without a look-up.
        self.ours = np.empty(0, dtype=np.int64)
        self.ours_now = np.empty(0, dtype=np.int64)
        self.known = DocKeys.empty()
        if change is not None:
            self.ours = sorted_unique(change.docs.keys)
            self.ours_now = np.array(sorted(change.after), dtype=np.int64)
            if change.sign > 0:
                self.known = change.docs

    def doc_keys(self, docs: Sequence[int]) -> DocKeys:
        """:func:`_doc_keys`, the change's own added documents taken from memory."""
        wanted = np.array(sorted(docs), dtype=np.int64)
        have = np.isin(wanted, self.known.docs)
        read = _doc_keys(self.conn, wanted[~have].tolist())
        if not have.any():
            return read
        pos = np.searchsorted(self.known.docs, wanted[have])
        offsets = np.cumsum(self.known.lengths) - self.known.lengths
        _, flat = expand_ranges(offsets[pos], self.known.lengths[pos])
        k = self.known
        return DocKeys(
            np.concatenate((k.docs[pos], read.docs)),
            np.concatenate((k.lengths[pos], read.lengths)),
            np.concatenate((k.keys[flat], read.keys)),
            np.concatenate((k.words[flat], read.words)),
        )

    def fetch(self, keys: _I64) -> None:
        missing = [k for k in keys.tolist() if k not in self.info]
        for lo in range(0, len(missing), SQL_BATCH * 10):
            part = missing[lo : lo + SQL_BATCH * 10]
            for key, df, words, bp in self.conn.execute(
                "SELECT key, df, words, boilerplate FROM lines "
                "WHERE key IN (SELECT value FROM json_each(?))",
                (id_list(part),),
            ):
                self.info[key] = (df, words, bp)
            for key in part:
                self.info.setdefault(key, (0, 0, 0))

    def _use_whole(self, keys: _I64) -> bool:
        if self.whole is None and len(keys) > _READ_ALL:
            self.whole = _verdict_keys(self.conn, self.bp)
        return self.whole is not None

    def candidates(self, keys: _I64) -> _BOOL:
        """Which of ``keys`` are candidates now."""
        ours = np.isin(keys, self.ours)
        if ours.any():
            out = np.isin(keys, self.ours_now)
            if (~ours).any():
                out[~ours] = self.candidates(keys[~ours])
            return out
        if self._use_whole(keys):
            assert self.whole is not None
            return np.isin(keys, self.whole[0])
        self.fetch(keys)
        rows = [self.info[k] for k in keys.tolist()]
        df = np.array([r[0] for r in rows], dtype=np.int64)
        words = np.array([r[1] for r in rows], dtype=np.int64)
        return is_candidate(df, words, self.bp) & (df > 0)

    def boilerplate(self, keys: _I64) -> _BOOL:
        """Which of ``keys`` are stored as boilerplate."""
        if self._use_whole(keys):
            assert self.whole is not None
            return np.isin(keys, self.whole[1])
        self.fetch(keys)
        return np.array([self.info[k][2] == 1 for k in keys.tolist()], dtype=bool)

    def row(self, key: int) -> tuple[int, int, int]:
        self.fetch(np.array([key], dtype=np.int64))
        return self.info[key]


_DOCS_SQL = "SELECT DISTINCT doc FROM doc_lines WHERE key IN (SELECT value FROM json_each(?))"

_READ_ALL = 50_000
"""Keys looked up one by one at most in one step of a verdict update (see :class:`_Lines`)."""


def update_verdicts(
    conn: sqlite3.Connection, bp: BoilerplateConfig, change: LineChange | None
) -> set[int]:
    """Recompute the boilerplate verdicts a change can affect; return the flips.

    The component of the change's candidate keys (keys ↔ documents) is collected,
    except past keys forced before and after with the same value
    (:mod:`newsingest.store.forced`), and the detector's rule runs on it, each such
    key given as its value. Every other candidate key of the component has all its
    documents in it, so its count among the component's documents is its document
    frequency wherever that decides candidacy. Documents' keys come from
    ``doc_keys``, one row per document.
    """
    if not (bp.enabled and change is not None and change.seeds):
        return set()
    rule = BOILERPLATE_DEFAULTS
    lines = _Lines(conn, bp, change)
    touched_walls = _update_states(conn, bp, rule, change, lines)
    seeds = change.seeds
    walls: dict[int, bool] = {}

    def wall_values(keys: list[int]) -> dict[int, bool]:
        out = {k: v for k in keys if (v := touched_walls.get(k)) is not None}
        rest = [k for k in keys if k not in touched_walls]
        states = read_states(conn, rest)
        lines.fetch(np.array(sorted(states), dtype=np.int64))
        for key, state in states.items():
            df, words, stored = lines.row(key)
            value = state.forced(rule)
            if (
                value is not None
                and state.n == df
                and state.stable(rule)
                and stored == int(value)
                and synthetic_docs(value, 0, words, rule, bp.min_docs) is not None
            ):
                out[key] = value
        return out

    comp_docs: set[int] = set()
    seen = set(seeds)
    frontier = sorted(seeds)
    parts: list[DocKeys] = []
    # The seeds may have stopped being candidates (a removal): their
    # documents still belong to the component, their verdicts are reset below.
    while frontier:
        found = wall_values(frontier)
        walls.update(found)
        expand = [k for k in frontier if k not in found]
        new_docs: set[int] = set()
        for lo in range(0, len(expand), SQL_BATCH):
            new_docs.update(
                r[0] for r in conn.execute(_DOCS_SQL, (id_list(expand[lo : lo + SQL_BATCH]),))
            )
        new_docs -= comp_docs
        if not new_docs:
            break
        comp_docs |= new_docs
        part = lines.doc_keys(sorted(new_docs))
        parts.append(part)
        uniq = sorted_unique(part.keys)
        reached = uniq[lines.candidates(uniq)].tolist()
        frontier = sorted(set(reached) - seen)
        seen.update(frontier)
    flips: set[int] = set()
    if not comp_docs:
        arr = np.array(sorted(k for k in seeds if k not in walls), dtype=np.int64)
        flips = {int(k) for k in arr[lines.boilerplate(arr)]}
        _set_verdicts(conn, flips, 0)
        return flips
    keys, words, lengths, real = _component(parts, walls, lines, rule, bp)
    uniq = sorted_unique(real)
    verdict = np.isin(uniq, boilerplate_keys(keys, words, lengths, bp), assume_unique=True)
    # Only candidates can be stored as boilerplate, and seeds: a key that stops being
    # a candidate is a seed, reset here. So only their verdicts are looked up.
    stored = np.zeros(len(uniq), dtype=bool)
    ask = lines.candidates(uniq) | np.isin(uniq, np.array(sorted(seeds), dtype=np.int64))
    stored[ask] = lines.boilerplate(uniq[ask])
    flips = {int(k) for k in uniq[verdict != stored]}
    _set_verdicts(conn, {int(k) for k in uniq[verdict & ~stored]}, 1)
    _set_verdicts(conn, {int(k) for k in uniq[~verdict & stored]}, 0)
    # Seeds no document holds any more (a removal): not candidates, reset.
    gone = np.array(sorted(k for k in seeds if k not in walls), dtype=np.int64)
    gone = np.setdiff1d(gone, uniq)
    stale = {int(k) for k in gone[lines.boilerplate(gone)]}
    _set_verdicts(conn, stale, 0)
    return flips | stale


def _component(
    parts: list[DocKeys],
    walls: dict[int, bool],
    lines: _Lines,
    rule: BoilerplateRule,
    bp: BoilerplateConfig,
) -> tuple[_I64, _I64, _I64, _I64]:
    """The rule's input for a component: its documents in document order, then for each
    forced key it holds the documents that make the rule decide it as forced
    (:func:`~newsingest.store.forced.synthetic_docs`). Also the component's own keys."""
    doc_ids = np.concatenate([p.docs for p in parts])
    lengths = np.concatenate([p.lengths for p in parts])
    keys = np.concatenate([p.keys for p in parts])
    words = np.concatenate([p.words for p in parts])
    order = np.argsort(doc_ids, kind="stable")
    offsets = np.cumsum(lengths) - lengths
    _, pos = expand_ranges(offsets[order], lengths[order])
    keys, words, lengths = keys[pos], words[pos], lengths[order]
    real = keys
    if not walls:
        return keys, words, lengths, real
    wall_keys = np.array(sorted(walls), dtype=np.int64)
    held_keys, _, held = counted(keys[np.isin(keys, wall_keys)])
    # Filler keys: unused values from the bottom of the key space.
    extra_keys: list[int] = []
    extra_words: list[int] = []
    extra_lengths: list[int] = []
    fill: list[tuple[int, int]] = []
    for key, count in zip(held_keys.tolist(), held.tolist(), strict=True):
        value = walls[key]
        key_words = lines.row(key)[1]
        made = synthetic_docs(value, count, key_words, rule, bp.min_docs)
        assert made is not None  # checked before the key was taken as a wall
        copies, filler = made
        if value:
            fill.append((copies, filler))
            extra_keys += [key, 0] * copies
            extra_words += [key_words, filler] * copies
            extra_lengths += [2] * copies
        else:
            extra_keys += [key] * copies
            extra_words += [key_words] * copies
            extra_lengths += [1] * copies
    extra = np.array(extra_keys, dtype=np.int64)
    is_filler = np.zeros(len(extra), dtype=bool)
    if fill:
        # Every second entry of a True wall's documents is its filler slot.
        spans = np.array(extra_lengths, dtype=np.int64)
        starts = np.cumsum(spans) - spans
        is_filler[(starts + 1)[spans == 2]] = True
        need = int(is_filler.sum())
        pool = np.arange(-(2**63), -(2**63) + need + len(real) + 1, dtype=np.int64)
        extra[is_filler] = np.setdiff1d(pool, real)[:need]
    return (
        np.concatenate((keys, extra)),
        np.concatenate((words, np.array(extra_words, dtype=np.int64))),
        np.concatenate((lengths, np.array(extra_lengths, dtype=np.int64))),
        real,
    )


def _update_states(
    conn: sqlite3.Connection,
    bp: BoilerplateConfig,
    rule: BoilerplateRule,
    change: LineChange,
    lines: _Lines,
) -> dict[int, bool | None]:
    """Bring ``line_state`` up to date for a change; the wall value of each key it touched.

    A touched key is a wall (its value given) when it was forced before and is
    forced after, with the same value, and is stored with it; None otherwise.
    """
    dk = change.docs
    change_keys = sorted_unique(dk.keys)
    before_keys = np.array(sorted(change.before), dtype=np.int64)
    after_keys = np.array(sorted(change.after), dtype=np.int64)

    def flags(keys: _I64) -> tuple[_BOOL, _BOOL]:
        """Candidacy of ``keys`` before and after the change."""
        ours = np.isin(keys, change_keys)
        now = np.zeros(len(keys), dtype=bool)
        if (~ours).any():
            now[~ours] = lines.candidates(keys[~ours])
        return (
            np.where(ours, np.isin(keys, before_keys), now),
            np.where(ours, np.isin(keys, after_keys), now),
        )

    # Old documents holding a key whose candidacy changed: their contributions change.
    flipped = sorted(set(change.before) ^ set(change.after))
    cc = DocKeys.empty()
    if flipped:
        held = {r[0] for r in conn.execute(_DOCS_SQL, (id_list(flipped),))} - set(dk.docs.tolist())
        cc = lines.doc_keys(sorted(held))
    dk_before, dk_after = flags(dk.keys)
    cc_before, cc_after = flags(cc.keys)
    touched = set(change.seeds)
    touched.update(cc.keys[cc_before | cc_after].tolist())
    old = read_states(conn, sorted(touched))

    ours = set(change_keys.tolist())
    lines.fetch(np.array(sorted(touched - ours), dtype=np.int64))

    def df_of(key: int, when: dict[int, int]) -> int:
        if key in when:
            return when[key]
        return 0 if key in ours else lines.row(key)[0]

    in_dk, in_cc = Holders(dk), Holders(cc)
    new: dict[int, KeyState] = {}
    drop: list[int] = []
    recount: list[int] = []
    forced_before: dict[int, bool | None] = {}
    for key in sorted(touched):
        state = old.get(key)
        n_before, n_after = df_of(key, change.before), df_of(key, change.after)
        valid = state is not None and n_before and state.n == n_before and state.stable(rule)
        forced_before[key] = state.forced(rule) if valid and state is not None else None
        if not n_after:
            drop.append(key)
            continue
        updated = None
        if valid and state is not None:
            own_flags = dk_after if change.sign > 0 else dk_before
            t, _ = tally(in_dk, own_flags, key, state.block, rule)
            ta, _ = tally(in_cc, cc_after, key, state.block, rule)
            tb, _ = tally(in_cc, cc_before, key, state.block, rule)
            updated = KeyState(
                n=n_after,
                lower=state.lower + change.sign * t.lower + ta.lower - tb.lower,
                upper=state.upper + change.sign * t.upper + ta.upper - tb.upper,
                bmin=state.bmin + (t.least if change.sign > 0 else -t.holders),
                omax=state.omax + (t.most if change.sign > 0 else 0),
                block=state.block,
            )
        if n_after < forced.STATE_MIN_DOCS:
            drop.append(key)
        elif updated is not None and updated.stable(rule):
            new[key] = updated
        else:
            recount.append(key)
    if recount:
        docs: set[int] = set()
        for lo in range(0, len(recount), SQL_BATCH):
            docs.update(
                r[0]
                for r in conn.execute(
                    _DOCS_SQL,
                    (id_list(recount[lo : lo + SQL_BATCH]),),
                )
            )
        every = lines.doc_keys(sorted(docs))
        new.update(count_states(every, flags(every.keys)[1], recount, rule))
    delete_states(conn, [k for k in drop if k in old])
    write_states(conn, new)
    out: dict[int, bool | None] = dict.fromkeys(touched)
    walls = [k for k, v in forced_before.items() if v is not None and k in new]
    lines.fetch(np.array(sorted(walls), dtype=np.int64))
    for key in walls:
        value = forced_before[key]
        _, words, is_bp = lines.row(key)
        if (
            value is not None
            and new[key].forced(rule) == value
            and is_bp == int(value)
            and synthetic_docs(value, 0, words, rule, bp.min_docs) is not None
        ):
            out[key] = value
    return out


def _verdict_keys(conn: sqlite3.Connection, bp: BoilerplateConfig) -> tuple[_I64, _I64]:
    """The candidate keys and the keys whose stored verdict is boilerplate, sorted.

    Candidacy is by global document frequency and length; each list is read
    through its partial index, not by scanning every key.
    """
    columns = []
    for sql in verdict_key_queries(bp):
        rows = conn.execute(sql).fetchall()
        columns.append(np.fromiter(itertools.chain.from_iterable(rows), np.int64, len(rows)))
    return columns[0], columns[1]


def _doc_keys(conn: sqlite3.Connection, docs: Sequence[int]) -> DocKeys:
    """Each document's distinct keys, from ``doc_keys``."""
    rows = _doc_key_blobs(conn, docs)
    if len(rows) < len(docs):
        # Documents an older newsingest added after the upgrade, through a session it
        # had opened before: it writes doc_lines only. Their rows are made now.
        missing = sorted(set(docs) - {row[0] for row in rows})
        fill_doc_keys(conn, missing)
        rows += _doc_key_blobs(conn, missing)
    if not rows:
        return DocKeys.empty()
    # Columns at C speed: a component can hold every stored article of an outlet.
    doc_col, key_col, word_col, length_col = zip(*rows, strict=True)
    keys = np.frombuffer(b"".join(key_col), dtype="<i8").astype(np.int64)
    words = np.frombuffer(b"".join(word_col), dtype="<i4").astype(np.int64)
    lengths = np.array(length_col, dtype=np.int64)
    return DocKeys(np.array(doc_col, dtype=np.int64), lengths, keys, words)


# The checks a doc_keys row must pass, done by SQLite: 8 bytes of key per 4 bytes of
# word count, both BLOBs. Rows read in bulk are checked without a Python test per row.
_DOC_KEYS_SQL = (
    "SELECT doc, keys, words, length(keys) / 8, "
    "typeof(keys) = 'blob' AND typeof(words) = 'blob' "
    "AND length(keys) % 8 = 0 AND 2 * length(words) = length(keys) "
    "FROM doc_keys WHERE doc IN (SELECT value FROM json_each(?))"
)


def _doc_key_blobs(conn: sqlite3.Connection, docs: Sequence[int]) -> list[tuple[Any, ...]]:
    """``(doc, keys, words, count)`` rows of ``doc_keys`` for ``docs``, checked."""
    rows: list[tuple[Any, ...]] = []
    for lo in range(0, len(docs), SQL_BATCH):
        part = conn.execute(_DOC_KEYS_SQL, (id_list(docs[lo : lo + SQL_BATCH]),)).fetchall()
        if not all(r[4] for r in part):
            doc = next(r[0] for r in part if not r[4])
            raise DamagedValueError(f"the paragraph keys of document {doc} are truncated")
        rows += (r[:4] for r in part)
    return rows


def _set_verdicts(conn: sqlite3.Connection, keys: set[int], value: int) -> None:
    if keys:
        conn.execute(
            "UPDATE lines SET boilerplate = ? WHERE key IN (SELECT value FROM json_each(?))",
            (value, id_list(keys)),
        )


def states_current(conn: sqlite3.Connection) -> bool:
    """Whether ``line_state`` was brought up to date by the last writer of the file.

    A writer that does not keep it (an older newsingest whose session began
    before the upgrade) changes the document counters without marking them.
    """
    row = conn.execute("SELECT value FROM meta WHERE name = 'verdict_state_at'").fetchone()
    return row is not None and row[0] == counters(conn)


def mark_states_current(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE meta SET value = ? WHERE name = 'verdict_state_at'", (counters(conn),))
