"""The index file: its tables, how a connection is set up, its stored values.

Everything here is about the file, not about an update: the DDL of the current
format, the header and version checks done on opening (the stored settings are
:mod:`newsingest.store.settings`), the write transaction, and how stored values
(JSON id lists, articles, arrays in BLOBs) are encoded and checked when read.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import sqlite3
import threading
import time
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import zstandard

from newsingest.config import BoilerplateConfig, DedupConfig
from newsingest.errors import StoreError
from newsingest.matching.boilerplate import candidate_sql
from newsingest.matching.fingerprint import FingerprintParams
from newsingest.records import Article
from newsingest.serialize import from_dict, to_dict
from newsingest.store.settings import damaged_meta, semantic_config

__all__ = [
    "APPLICATION_ID",
    "COUNTER_NAMES",
    "DAMAGE_ERRORS",
    "DOC_KEYS_DDL",
    "FORMAT_5_DDL",
    "FORMAT_VERSION",
    "RUNS_DDL",
    "SQL_BATCH",
    "DamagedValueError",
    "Transaction",
    "article_bytes",
    "article_json",
    "blob",
    "check_header",
    "connect",
    "counters",
    "create_schema",
    "damage_message",
    "document_count",
    "id_list",
    "line_indexes",
    "new_token",
    "now",
    "pack_article",
    "read_blob",
    "read_meta",
    "read_only_uri",
    "release_wal",
    "stored_array",
    "stored_signatures",
    "text_list",
    "unpack_article",
    "verdict_key_queries",
]

FORMAT_VERSION = 6
"""Version of the schema below; an index of another version is refused (1 to 5 are upgraded).

Format 4 is format 3 with zstd article BLOBs beside zlib ones and a ``doc_keys`` table
(each document's paragraph keys in one row). A format-3 file is read as it is and
upgraded when it is first opened for writing (``doc_keys`` built from ``doc_lines``), so
that an older newsingest, which cannot read zstd, refuses it rather than failing.
Format 5 adds :data:`FORMAT_5_DDL`: the document count in ``meta``, kept by triggers,
and ``line_state``, the counts that settle a key's verdict without its component
(:mod:`newsingest.store.forced`). A format-4 file is read as it is and upgraded on its
first write. Format 6 changes only the layout of ``band_filter``: one part per band,
each band's fingerprints in a 32-bit space of their own (format 5 had 16 parts of
one space shared by all bands). A file of format 3 to 5 is read as it is, its filter
unused (``bands`` searched for every key), and its filter rebuilt from ``bands`` on
its first write."""

APPLICATION_ID = 0x4E534958
"""``PRAGMA application_id`` of a newsingest index ("NSIX"): tells it from other SQLite files."""

SQL_BATCH = 20_000
"""Rows asked for in one statement when a list of documents or ids is read in slices."""

_SQLITE_MAGIC = b"SQLite format 3\x00"

_SCHEMA = """
CREATE TABLE meta(
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE documents(
    doc INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    digest BLOB NOT NULL,
    signature BLOB NOT NULL,
    shingles INTEGER NOT NULL,
    date TEXT,
    length INTEGER NOT NULL,
    repairs INTEGER NOT NULL,
    rep INTEGER NOT NULL,
    cluster INTEGER NOT NULL,
    similarity REAL,
    containment REAL,
    article BLOB
);
CREATE INDEX documents_digest ON documents(digest);
CREATE INDEX documents_cluster ON documents(cluster);
CREATE TABLE bands(
    band INTEGER NOT NULL,
    key INTEGER NOT NULL,
    doc INTEGER NOT NULL,
    PRIMARY KEY(band, key, doc)
) WITHOUT ROWID;
CREATE TABLE edges(
    a INTEGER NOT NULL,
    b INTEGER NOT NULL,
    PRIMARY KEY(a, b)
) WITHOUT ROWID;
CREATE INDEX edges_b ON edges(b);
CREATE TABLE lines(
    key INTEGER PRIMARY KEY,
    words INTEGER NOT NULL,
    df INTEGER NOT NULL,
    boilerplate INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE doc_lines(
    doc INTEGER NOT NULL,
    key INTEGER NOT NULL,
    PRIMARY KEY(doc, key)
) WITHOUT ROWID;
CREATE INDEX doc_lines_key ON doc_lines(key, doc);
CREATE TABLE clusters(
    canonical INTEGER PRIMARY KEY,
    size INTEGER NOT NULL,
    why TEXT NOT NULL
);
"""

DOC_KEYS_DDL = """
CREATE TABLE doc_keys(
    doc INTEGER PRIMARY KEY,
    keys BLOB NOT NULL,
    words BLOB NOT NULL
);
CREATE TRIGGER doc_keys_follow AFTER DELETE ON doc_lines BEGIN
    DELETE FROM doc_keys WHERE doc = OLD.doc;
END;
"""
"""A document's distinct paragraph keys (int64, ascending) and their word counts (int32),
little-endian: what the boilerplate rule reads of each document of a component."""

FORMAT_5_DDL = """
CREATE TABLE line_state(
    key INTEGER PRIMARY KEY,
    n INTEGER NOT NULL,
    lower INTEGER NOT NULL,
    upper INTEGER NOT NULL,
    bmin INTEGER NOT NULL,
    omax INTEGER NOT NULL,
    block BLOB NOT NULL
);
CREATE TRIGGER documents_added AFTER INSERT ON documents BEGIN
    UPDATE meta SET value = value + 1 WHERE name = 'documents_added';
END;
CREATE TRIGGER documents_removed AFTER DELETE ON documents BEGIN
    UPDATE meta SET value = value + 1 WHERE name = 'documents_removed';
END;
"""
"""``line_state``: per paragraph key held by many documents, what
:mod:`newsingest.store.forced` keeps (``block``: little-endian int64 keys, ascending).
The triggers count the documents every writer adds and removes, an older
newsingest's session too: the count is ``documents_added - documents_removed``
without reading ``documents``, and a change no format-5 writer made is seen."""

COUNTER_NAMES = ("documents_added", "documents_removed")

RUNS_DDL = """
CREATE TABLE band_runs(
    run INTEGER PRIMARY KEY,
    token INTEGER NOT NULL,
    rows INTEGER NOT NULL,
    bounds BLOB NOT NULL,
    keys BLOB NOT NULL,
    docs BLOB NOT NULL
);
CREATE TABLE band_filter(
    part INTEGER PRIMARY KEY,
    token INTEGER NOT NULL,
    counts BLOB NOT NULL,
    low BLOB NOT NULL
);
"""
"""A run holds band keys sorted by (band, key), little-endian int64:
``bounds`` (bands + 1 offsets: band b is rows bounds[b]:bounds[b+1]), ``keys``
and ``docs``. Runs are never changed in place: a new ``token`` marks new
content, so cached copies are recognised even across processes and rollbacks.
``band_filter`` has one row per band (``part``), described in :mod:`newsingest.store.bands`."""


def line_indexes(bp: BoilerplateConfig) -> str:
    """Partial indexes on the few ``lines`` rows the verdict update reads every day."""
    return (
        f"CREATE INDEX lines_candidates ON lines(key) WHERE {candidate_sql(bp)};\n"
        "CREATE INDEX lines_boilerplate ON lines(key) WHERE boilerplate = 1;\n"
    )


def verdict_key_queries(bp: BoilerplateConfig) -> tuple[str, str]:
    """The candidate keys and the boilerplate keys, through :func:`line_indexes`."""
    return (
        f"SELECT key FROM lines WHERE {candidate_sql(bp)} ORDER BY key",
        "SELECT key FROM lines WHERE boilerplate = 1 ORDER BY key",
    )


# ---------------------------------------------------------------- stored values


class DamagedValueError(StoreError):
    """A stored value that cannot be what the schema says (a damaged or crafted file).

    Raised deep inside a read, where the file is not known:
    :class:`~newsingest.store.index.Index` names the file and says what to do.
    """


def stored_array(
    value: object, dtype: str | type[np.generic], what: str, *, count: int | None = None
) -> npt.NDArray[Any]:
    """The array a stored BLOB holds, refused if the BLOB cannot be one.

    ``np.frombuffer`` would raise a bare ``ValueError`` on a truncated BLOB, and a
    BLOB of a wrong but valid length would be read past its end by the kernels.
    """
    size = np.dtype(dtype).itemsize
    if not isinstance(value, bytes):
        raise DamagedValueError(f"{what} is a {type(value).__name__}, not a BLOB")
    if len(value) % size or (count is not None and len(value) != count * size):
        wanted = f"{count} values" if count is not None else "whole values"
        raise DamagedValueError(f"{what} holds {len(value)} bytes, not {wanted} of {size} bytes")
    return np.frombuffer(value, dtype=dtype)


def read_blob(conn: sqlite3.Connection, table: str, column: str, rowid: int) -> object:
    """A large stored BLOB, read through an incremental BLOB handle.

    For BLOBs of megabytes (filter parts, runs): a ``SELECT`` of one cost about five
    times the CPU of reading it through ``blobopen``. A value that is not a BLOB is
    returned as it is, for :func:`stored_array` to refuse; a missing row as ``None``.
    """
    row = conn.execute(f"SELECT typeof({column}) FROM {table} WHERE rowid = ?", (rowid,)).fetchone()
    if row is None:
        return None
    if row[0] != "blob":
        return conn.execute(f"SELECT {column} FROM {table} WHERE rowid = ?", (rowid,)).fetchone()[0]
    with conn.blobopen(table, column, rowid, readonly=True) as handle:
        return handle.read()


def stored_signatures(blobs: Sequence[object], num_perm: int) -> npt.NDArray[np.uint32]:
    """The ``(n, num_perm)`` uint32 matrix of stored signature BLOBs (a writable copy)."""
    width = 4 * num_perm
    for value in blobs:
        if not isinstance(value, bytes) or len(value) != width:
            stored_array(value, np.uint32, "a stored signature", count=num_perm)
    joined = bytearray().join(blobs)  # type: ignore[arg-type]  # all bytes: checked above
    return np.frombuffer(joined, dtype=np.uint32).reshape(len(blobs), num_perm)


DAMAGE_ERRORS = (
    sqlite3.DatabaseError,
    ValueError,
    TypeError,
    IndexError,
    KeyError,
    OverflowError,
    zlib.error,
    zstandard.ZstdError,
)
"""What reading values of a damaged or crafted file can raise, below the checks of
:func:`stored_array` and :func:`stored_signatures`: all become a
:class:`StoreError` naming the file (the original is chained)."""


def damage_message(file: Path, exc: BaseException) -> str:
    """The message of the :class:`StoreError` that a damaged value of ``file`` becomes."""
    if isinstance(exc, sqlite3.OperationalError):  # busy, I/O, out of memory: maybe not damage
        return (
            f"{file}: cannot read the index ({exc}); if this persists, it may be damaged: "
            "restore it from a backup or build it again"
        )
    what = str(exc) if isinstance(exc, DamagedValueError) else f"{type(exc).__name__}: {exc}"
    return (
        f"{file}: cannot use the index, it is damaged ({what}); "
        "restore it from a backup or build it again"
    )


def id_list(values: Iterable[int]) -> str:
    """A JSON array for ``IN (SELECT value FROM json_each(?))``: one parameter for any count."""
    return json.dumps([int(v) for v in values])


def text_list(values: Iterable[str]) -> str:
    """:func:`id_list` for text values."""
    return json.dumps(list(values), ensure_ascii=False)


def blob(values: npt.NDArray[Any], dtype: str) -> bytes:
    """An array's bytes in a fixed (little-endian) layout."""
    return np.ascontiguousarray(values, dtype=dtype).tobytes()


def new_token() -> int:
    """A fresh random token: marks new content of a run or a filter part."""
    return int.from_bytes(os.urandom(8), "little") >> 1


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def article_json(article: Article) -> bytes:
    return json.dumps(to_dict(article), sort_keys=True, ensure_ascii=False).encode("utf-8")


_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_zstd = threading.local()
"""A compressor and decompressor per thread: python-zstandard's are not thread-safe,
and making one costs ~10 µs, as much as compressing an article."""


def pack_article(text: bytes) -> bytes:
    """The stored BLOB of an article's JSON."""
    # zstd level 3: faster than zlib level 1 on news article JSON for the same size
    # (docs/benchmarks.md, "Measurements behind design choices").
    try:
        compressor = _zstd.compressor
    except AttributeError:
        compressor = _zstd.compressor = zstandard.ZstdCompressor(level=3)
    packed: bytes = compressor.compress(text)
    return packed


def article_bytes(stored: bytes) -> bytes:
    """The article JSON of a stored BLOB: zstd (format 4) or zlib (written by format 3)."""
    if not stored.startswith(_ZSTD_MAGIC):
        return zlib.decompress(stored)
    try:
        decompressor = _zstd.decompressor
    except AttributeError:
        decompressor = _zstd.decompressor = zstandard.ZstdDecompressor()
    text: bytes = decompressor.decompress(stored)
    return text


def unpack_article(stored: bytes) -> Article:
    try:
        return from_dict(Article, json.loads(article_bytes(stored).decode("utf-8")))
    except (zlib.error, zstandard.ZstdError, ValueError, TypeError, AttributeError) as exc:
        # ValueError covers bad UTF-8, bad JSON and from_dict's malformed rows.
        raise DamagedValueError(f"a stored article cannot be read ({exc})") from exc


# ---------------------------------------------------------------- opening


def check_header(file: Path) -> None:
    """Refuse a file that is not an SQLite database before SQLite says it less clearly."""
    try:
        with file.open("rb") as f:
            head = f.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise StoreError(f"{file}: cannot read the index: {exc}") from exc
    if head != _SQLITE_MAGIC:
        raise StoreError(f"{file}: not a newsingest index (not an SQLite database)")


def _writable(file: Path) -> bool:
    """Whether this process may write the file and create files beside it."""
    return os.access(file.parent, os.W_OK) and os.access(file, os.W_OK)


def read_only_uri(file: Path) -> str:
    """The URI that opens ``file`` for reading only, without writing anything anywhere.

    A WAL database needs its ``-wal`` and ``-shm`` files even to be read. Where
    they cannot be created (a read-only folder or file system, a file of another
    user) and there is no ``-wal`` (so no committed page lives outside the
    file), ``immutable=1`` reads the file alone: no locks and no files made. A
    ``-wal`` that exists may hold committed batches, so it is read as usual.
    """
    uri = f"{file.resolve().as_uri()}?mode=ro"
    if not _writable(file) and not Path(f"{file}-wal").exists():
        uri += "&immutable=1"
    return uri


def release_wal(file: Path) -> None:
    """Let SQLite remove the ``-wal`` and ``-shm`` files a reading connection left.

    A read-only connection cannot delete them when it closes; a read-write one
    does, on closing, if it is the last connection to the file (it checkpoints
    under an exclusive lock first). If a writer or another reader is still
    there, the files stay, as they must.
    """
    if not Path(f"{file}-wal").exists() or not _writable(file):
        return
    with contextlib.suppress(sqlite3.Error):
        conn = sqlite3.connect(f"{file.resolve().as_uri()}?mode=rw", uri=True)
        try:
            conn.execute("PRAGMA busy_timeout = 0")
            conn.execute("PRAGMA schema_version").fetchone()  # opens the WAL, to close it
        finally:
            conn.close()


def connect(file: Path, *, readonly: bool) -> sqlite3.Connection:
    if readonly:
        conn = sqlite3.connect(read_only_uri(file), uri=True, isolation_level=None)
    else:
        conn = sqlite3.connect(file, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 30000")
    if not readonly:
        # WAL: readers never block the writer nor see half a batch. FULL: a
        # committed batch also survives a power loss (one fsync per batch).
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA cache_size = -262144")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS probe(i INTEGER, band INTEGER, key INTEGER)")
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS want(digest BLOB)")
    return conn


def create_schema(conn: sqlite3.Connection, config: DedupConfig) -> None:
    params = FingerprintParams.from_config(config.fingerprint)
    created = now()
    # executescript commits whatever is pending first, so the transaction opens inside it.
    conn.executescript(
        f"BEGIN IMMEDIATE; PRAGMA application_id = {APPLICATION_ID}; "
        f"PRAGMA user_version = {FORMAT_VERSION};"
        + _SCHEMA
        + DOC_KEYS_DDL
        + line_indexes(config.boilerplate)
        + RUNS_DDL
        + FORMAT_5_DDL
    )
    try:
        conn.executemany(
            "INSERT INTO meta(name, value) VALUES (?, ?)",
            [
                ("format_version", str(FORMAT_VERSION)),
                ("fingerprint", json.dumps(attrs.asdict(params), sort_keys=True)),
                ("dedup", json.dumps(semantic_config(config), sort_keys=True)),
                ("created", created),
                ("updated", created),
                *((name, "0") for name in COUNTER_NAMES),
                ("verdict_state_at", "0 0"),
            ],
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def read_meta(conn: sqlite3.Connection, file: Path) -> dict[str, str]:
    """The ``meta`` table of a newsingest index of a format this version reads or upgrades."""
    app = conn.execute("PRAGMA application_id").fetchone()[0]
    if app != APPLICATION_ID:
        raise StoreError(
            f"{file}: an SQLite database, but not a newsingest index "
            f"(application_id {app:#x}); give the path of an index or a new file"
        )
    meta = {
        name: value
        for name, value in conn.execute("SELECT name, value FROM meta").fetchall()
        if isinstance(name, str)
    }
    raw = meta.get("format_version", "0")
    if not (isinstance(raw, str) and re.fullmatch(r"[0-9]{1,9}", raw)):
        raise damaged_meta(file, f"format_version is {raw!r}, not a number")
    version = int(raw)
    meta["format_version"] = str(version)
    if version > FORMAT_VERSION:
        raise StoreError(
            f"{file}: index format {version} was written by a newer newsingest "
            f"(this one reads format {FORMAT_VERSION}); upgrade newsingest"
        )
    if version not in (1, 2, 3, 4, 5, FORMAT_VERSION):
        raise StoreError(
            f"{file}: index format {version} is not supported (this version reads "
            f"{FORMAT_VERSION}); build the index again"
        )
    return meta


def document_count(conn: sqlite3.Connection) -> int:
    """How many documents are stored: from the trigger-kept counters, not ``COUNT(*)``.

    ``COUNT(*)`` reads the smallest index of ``documents`` (about a second when it
    is not cached, at 10M documents). A format-4 file read as it is has no counters.
    """
    rows = dict(
        conn.execute("SELECT name, value FROM meta WHERE name IN (?, ?)", COUNTER_NAMES).fetchall()
    )
    if len(rows) < len(COUNTER_NAMES):
        return int(conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0])
    added, removed = (_counter(rows[name], name) for name in COUNTER_NAMES)
    if added < removed:
        raise DamagedValueError(f"meta counts {added} documents added but {removed} removed")
    return added - removed


def counters(conn: sqlite3.Connection) -> str:
    """The two document counters as one value: it changes whenever any writer changes a row."""
    return " ".join(
        str(_counter(value, name))
        for name, value in conn.execute(
            "SELECT name, value FROM meta WHERE name IN (?, ?) ORDER BY name", COUNTER_NAMES
        )
    )


def _counter(value: object, name: str) -> int:
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,18}", value):
        return int(value)
    raise DamagedValueError(f"meta {name} is {value!r}, not a count")


# ---------------------------------------------------------------- writing


class Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``; rolled back on any exception."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self._path = path
        self.begin_seconds = 0.0
        """How long BEGIN IMMEDIATE waited for the write lock."""
        self.commit_seconds = 0.0
        """How long the COMMIT took (with the WAL checkpoint it may trigger)."""

    def __enter__(self) -> None:
        start = time.perf_counter()
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            self.begin_seconds = time.perf_counter() - start
        except sqlite3.OperationalError as exc:
            raise StoreError(f"{self._path}: cannot start writing: {exc}") from exc

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            start = time.perf_counter()
            try:
                self._conn.execute("COMMIT")
                self.commit_seconds = time.perf_counter() - start
            except sqlite3.DatabaseError as failed:  # busy, disk full: the batch is not stored
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise StoreError(
                    f"{self._path}: could not commit the batch ({failed}); it was not added"
                ) from failed
        else:
            self._conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.DatabaseError):
                raise StoreError(f"{self._path}: the update failed: {exc}") from exc
