"""A damaged or crafted index file gives a StoreError naming it, whatever is wrong inside.

Every fixture is made here: an index is built, then one stored value is cut,
lengthened, retyped or replaced through plain SQLite, and every operation of
:class:`Index` must either work or refuse with the file named (never a bare
``ValueError``, ``TypeError``, ``IndexError``, ``KeyError`` or ``JSONDecodeError``).
"""

from __future__ import annotations

import functools
import json
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsingest.config import DedupConfig, FingerprintConfig
from newsingest.errors import FingerprintError, NewsIngestError
from newsingest.store import Index, StoreError
from newsingest.store import bands as store_bands
from tests.store.helpers import make_article, stored_bands

# ------------------------------------------------------------------ fixtures


def _build(db: Path) -> None:
    """An index with clusters, boilerplate, several band runs and a band filter."""
    with Index.open(db) as index:
        index.add([make_article(f"a{i}", i, outlet=0) for i in range(4)])
        index.add([make_article(f"b{i}", i, outlet=0, keep=5) for i in range(4)])
        index.add([make_article(f"c{i}", 10 + i, outlet=1) for i in range(3)])
    conn = sqlite3.connect(db, isolation_level=None)
    # The filter is written by a merge of the runs, which small indexes never reach.
    store_bands.add_to_filter(
        conn,
        stored_bands(conn),
        lambda b: np.arange(b, 2**32, 2**20, dtype=np.uint64).astype(np.uint32),
    )
    conn.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("built") / "base.db"
    _build(db)
    return db


def _copy(built: Path, folder: Path, name: str = "x.db") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / name
    shutil.copyfile(built, db)
    return db


def _sql(db: Path, *statements: str, args: tuple[object, ...] = ()) -> None:
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        for statement in statements:
            conn.execute(statement, args if "?" in statement else ())
    finally:
        conn.close()


def _operations() -> Iterator[tuple[str, Callable[[Index], object]]]:
    """Everything a user does with an index, reading and writing."""
    yield "stats", lambda ix: ix.stats()
    yield "export", lambda ix: list(ix.export_clusters())
    yield "clusters", lambda ix: list(ix.iter_clusters())
    yield "query", lambda ix: ix.query(make_article("q", 1, outlet=0))
    # new0 joins a0's cluster, a1 is replaced (its stored article is read and compared)
    yield (
        "add",
        lambda ix: ix.add([make_article("new0", 0, outlet=0, keep=4), make_article("a1", 20)]),
    )
    yield "remove", lambda ix: ix.remove(["a1", "c0", "b2"])
    yield "check", lambda ix: ix.check()


def _refusal(run: Callable[[], object]) -> NewsIngestError | None:
    """What ``run`` raised on purpose, if anything (anything else propagates)."""
    try:
        run()
    except NewsIngestError as exc:
        return exc
    return None


def _assert_refusals_name(db: Path, *, readonly: bool = False) -> list[str]:
    """Open ``db`` and run every operation: each works or raises naming ``db``.

    Returns the names of the operations that were refused.
    """
    opened: list[Index] = []
    failed = _refusal(lambda: opened.append(Index.open(db, readonly=readonly)))
    if failed is not None:
        assert str(db) in str(failed), failed
        return ["open"]
    refused = []
    with opened[0] as index:
        for name, run in _operations():
            if readonly and name in ("add", "remove"):
                continue
            failed = _refusal(functools.partial(run, index))
            if failed is not None:
                assert str(db) in str(failed), (name, failed)
                assert isinstance(failed, StoreError | FingerprintError), (name, failed)
                refused.append(name)
    return refused


# ------------------------------------------------------------------ stored values

DAMAGE = {
    # signatures: cut mid-value, a whole number of values too few or too many, not a BLOB
    "signature cut": "UPDATE documents SET signature = substr(signature, 1, 13) WHERE id = 'a1'",
    "signature short": "UPDATE documents SET signature = substr(signature, 1, 256)",
    "signature long": "UPDATE documents SET signature = signature || signature WHERE id = 'b2'",
    "signature text": "UPDATE documents SET signature = 'abc' WHERE id = 'a0'",
    # band runs
    "run bounds cut": "UPDATE band_runs SET bounds = substr(bounds, 1, 20)",
    "run bounds whole": "UPDATE band_runs SET bounds = substr(bounds, 1, 16)",
    "run keys cut": "UPDATE band_runs SET keys = substr(keys, 1, length(keys) - 3)",
    "run docs short": "UPDATE band_runs SET docs = substr(docs, 1, length(docs) - 8)",
    "run bounds wrong": "UPDATE band_runs SET bounds = zeroblob(length(bounds))",
    "run rows wrong": "UPDATE band_runs SET rows = rows + 1",
    # the band filter
    "filter counts cut": "UPDATE band_filter SET counts = substr(counts, 1, 100)",
    "filter low cut": "UPDATE band_filter SET low = substr(low, 1, length(low) - 2)",
    "filter part gone": "DELETE FROM band_filter WHERE part = 3",
    # paragraph keys
    "doc_keys keys cut": "UPDATE doc_keys SET keys = substr(keys, 1, length(keys) - 5)",
    "doc_keys words cut": "UPDATE doc_keys SET words = substr(words, 1, length(words) - 4)",
    # articles, digests, dates
    "article cut": "UPDATE documents SET article = substr(article, 1, 30)",
    "article garbage": "UPDATE documents SET article = x'28b52ffd00' WHERE id = 'a1'",
    "article not json": "UPDATE documents SET article = zeroblob(40)",
    "date garbage": "UPDATE documents SET date = 'yesterday' WHERE id = 'a0'",
    "edge to nowhere": "INSERT INTO edges(a, b) VALUES (1, 999)",
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_values_are_refused_with_the_file_named(
    built: Path, tmp_path: Path, damage: str
) -> None:
    db = _copy(built, tmp_path)
    _sql(db, DAMAGE[damage])
    refused = _assert_refusals_name(db)
    assert refused, "the damage went unnoticed by every operation"
    assert _assert_refusals_name(_copy(built, tmp_path / "ro"), readonly=True) == []


def test_a_refused_write_changes_nothing(built: Path, tmp_path: Path) -> None:
    db = _copy(built, tmp_path)
    _sql(db, DAMAGE["run keys cut"])
    before = sqlite3.connect(db).execute("SELECT COUNT(*) FROM documents").fetchone()
    with Index.open(db) as index, pytest.raises(StoreError, match=r"x\.db.*damaged"):
        index.add([make_article("new0", 2, outlet=0, keep=4)])
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM documents").fetchone() == before


_BLOBS = [
    ("documents", "signature"),
    ("documents", "article"),
    ("band_runs", "bounds"),
    ("band_runs", "keys"),
    ("band_runs", "docs"),
    ("band_filter", "counts"),
    ("band_filter", "low"),
    ("doc_keys", "keys"),
    ("doc_keys", "words"),
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    target=st.sampled_from(_BLOBS),
    row=st.integers(0, 20),
    keep=st.floats(0.0, 1.5),
    extra=st.binary(max_size=9),
)
def test_any_truncated_or_lengthened_blob_is_refused_with_the_file_named(
    built: Path,
    tmp_path_factory: pytest.TempPathFactory,
    *,
    target: tuple[str, str],
    row: int,
    keep: float,
    extra: bytes,
) -> None:
    table, column = target
    db = _copy(built, tmp_path_factory.mktemp("blob"))
    conn = sqlite3.connect(db, isolation_level=None)
    rowids = [r[0] for r in conn.execute(f"SELECT rowid FROM {table} ORDER BY rowid")]
    if rowids:
        rowid = rowids[row % len(rowids)]
        (value,) = conn.execute(
            f"SELECT {column} FROM {table} WHERE rowid = ?", (rowid,)
        ).fetchone()
        cut = value[: int(len(value) * min(keep, 1.0))] + (extra if keep > 1.0 else b"")
        conn.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = ?", (cut, rowid))
    conn.close()
    _assert_refusals_name(db)


# ------------------------------------------------------------------ the meta table

_META_KEYS = [
    "format_version",
    "fingerprint",
    "dedup",
    "created",
    "updated",
    "documents_added",
    "documents_removed",
    "verdict_state_at",
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=6,
)


@st.composite
def crafted_meta(draw: st.DrawFn, stored: dict[str, str]) -> tuple[str, object]:
    """One meta entry replaced: bad JSON, JSON of another shape, a key gone or retyped."""
    name = draw(st.sampled_from(_META_KEYS))
    value = stored[name]
    kind = draw(st.sampled_from(["text", "json", "drop key", "retype key", "blob", "int"]))
    if kind == "text":
        return name, draw(st.text(max_size=12))
    if kind == "json":
        return name, json.dumps(draw(json_values))
    if kind == "blob":
        return name, draw(st.binary(max_size=8))
    if kind == "int":
        return name, draw(st.integers(-(2**63), 2**63 - 1))
    try:
        parsed = json.loads(value)
    except ValueError:
        return name, draw(st.text(max_size=12))
    if not isinstance(parsed, dict) or not parsed:
        return name, json.dumps(draw(json_values))
    key = draw(st.sampled_from(sorted(parsed)))
    if kind == "drop key":
        del parsed[key]
    else:
        parsed[key] = draw(json_values)
    return name, json.dumps(parsed)


@pytest.fixture(scope="module")
def stored_meta(built: Path) -> dict[str, str]:
    conn = sqlite3.connect(built)
    meta = dict(conn.execute("SELECT name, value FROM meta").fetchall())
    conn.close()
    return meta


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_crafted_meta_rows_are_refused_with_the_file_named(
    built: Path,
    stored_meta: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
    data: st.DataObject,
) -> None:
    db = _copy(built, tmp_path_factory.mktemp("meta"))
    name, value = data.draw(crafted_meta(stored_meta))
    _sql(db, "UPDATE meta SET value = ? WHERE name = ?", args=(value, name))

    def read(readonly: bool) -> None:
        with Index.open(db, readonly=readonly) as index:
            index.stats()
            list(index.export_clusters())

    for readonly in (True, False):
        failed = _refusal(functools.partial(read, readonly))
        assert failed is None or str(db) in str(failed), failed


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("fingerprint", "{not json", "fingerprint is not valid JSON"),
        ("dedup", "[1, 2]", "dedup is list JSON, not an object"),
        ("dedup", '{"threshold": 0.5}', "no 'containment' setting"),
        ("format_version", "four", "format_version is 'four', not a number"),
        ("fingerprint", b"\x00\x01", "fingerprint is b'\\\\x00\\\\x01', not JSON text"),
    ],
)
def test_crafted_meta_messages_say_what_is_wrong(
    built: Path, tmp_path: Path, name: str, value: object, message: str
) -> None:
    db = _copy(built, tmp_path)
    _sql(db, "UPDATE meta SET value = ? WHERE name = ?", args=(value, name))
    with pytest.raises(StoreError, match=rf"x\.db: .*{message}.*build it again"):
        Index.open(db)


def test_stored_settings_of_the_wrong_type_or_range_are_refused(
    built: Path, tmp_path: Path
) -> None:
    for key, value in [("num_perm", "128"), ("num_perm", 1.5), ("seed", -1), ("unknown", 1)]:
        db = _copy(built, tmp_path, f"{key}.db")
        conn = sqlite3.connect(db, isolation_level=None)
        params = json.loads(
            conn.execute("SELECT value FROM meta WHERE name = 'fingerprint'").fetchone()[0]
        )
        params[key] = value
        conn.execute("UPDATE meta SET value = ? WHERE name = 'fingerprint'", (json.dumps(params),))
        conn.close()
        with pytest.raises(StoreError, match=rf"{key}\.db: the settings stored .* damaged"):
            Index.open(db)


def test_a_newsingest_id_without_its_tables_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "bare.db"
    _sql(db, "PRAGMA application_id = 1314081112", "CREATE TABLE t(x)")
    with pytest.raises(StoreError, match=r"bare\.db: the index is damaged"):
        Index.open(db)


def test_the_fingerprint_refusal_names_the_file(built: Path, tmp_path: Path) -> None:
    db = _copy(built, tmp_path)
    other = DedupConfig(fingerprint=FingerprintConfig(num_perm=64))
    with pytest.raises(FingerprintError, match=r"x\.db: fingerprints were made with different"):
        Index.open(db, other)
