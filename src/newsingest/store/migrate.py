"""Format upgrades: an index of format 1 to 5 brought to the current format.

Format 2 kept recent band keys in a ``bands_recent`` table, format 1 all of them
in ``bands``; neither had runs nor the fingerprint filter. Format 3 lacks
``doc_keys`` and the partial indexes on ``lines``, and stores zlib articles,
which format 4 still reads. Format 4 lacks the document counters and
``line_state`` (:data:`~newsingest.store.schema.FORMAT_5_DDL`). Formats 3 to 5
keep the fingerprint filter in a layout shared by all bands; format 6 has one
part per band.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from newsingest.config import BoilerplateConfig
from newsingest.errors import StoreError
from newsingest.store.bands import rebuild_filter
from newsingest.store.schema import (
    COUNTER_NAMES,
    DOC_KEYS_DDL,
    FORMAT_5_DDL,
    FORMAT_VERSION,
    RUNS_DDL,
    Transaction,
    line_indexes,
)
from newsingest.store.verdicts import fill_doc_keys

__all__ = ["upgrade"]


def upgrade(
    conn: sqlite3.Connection, file: Path, version: int, *, readonly: bool, bands: int
) -> None:
    """Bring an older index of ``bands`` bands to the current format, in one transaction.

    Formats 3 to 5 are read as they are (their filter unused: see
    :class:`~newsingest.store.bands.BandStore`) and upgraded on their first
    write: format 3 gets ``doc_keys`` (its zlib articles stay as they are, still
    readable), 3 and 4 get the document counters (one ``COUNT(*)``) and an empty
    ``line_state``, filled as keys are met, and all get the fingerprint filter
    rebuilt from ``bands`` in the per-band layout, a read of every band key, once,
    band by band. Formats 1 and 2 must be upgraded before they are read: their
    band keys are all moved into ``bands`` (format 2 kept recent ones in a
    ``bands_recent`` table) and the filter is built from them the same way.
    """
    if readonly:
        if version in (3, 4, 5):
            return
        raise StoreError(
            f"{file}: index format {version} must be upgraded to {FORMAT_VERSION} first: "
            "open it once for writing (any update does it)"
        )
    with Transaction(conn, file):
        if _stored_version(conn) != version:  # another writer upgraded it meanwhile
            return
        if version <= 2:
            if version == 2:
                conn.execute("INSERT OR IGNORE INTO bands SELECT band, key, doc FROM bands_recent")
                conn.execute("DROP TABLE bands_recent")
                conn.execute("DELETE FROM meta WHERE name = 'recent_band_rows'")
            for statement in _statements(RUNS_DDL):
                conn.execute(statement)
        rebuild_filter(conn, bands)
        if version <= 3:
            _add_doc_keys(conn)
        if version <= 4:
            _add_format_5(conn)
        _set_version(conn)


def _stored_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE name = 'format_version'").fetchone()
    return int(row[0])


def _add_doc_keys(conn: sqlite3.Connection) -> None:
    """Add what format 4 adds to format 3: ``doc_keys`` and the partial indexes on ``lines``.

    ``doc_keys`` is filled from ``doc_lines`` and ``lines`` in one pass over each.
    """
    boilerplate = json.loads(
        conn.execute("SELECT value FROM meta WHERE name = 'dedup'").fetchone()[0]
    )["boilerplate"]
    ddl = DOC_KEYS_DDL + line_indexes(BoilerplateConfig(**boilerplate))
    for statement in _statements(ddl):
        conn.execute(statement)
    fill_doc_keys(conn, None)


def _add_format_5(conn: sqlite3.Connection) -> None:
    """Add what format 5 adds to format 4: the document counters and ``line_state``.

    ``line_state`` starts empty: a key gets its counts the first time an update
    meets it, from its documents, as a new key does.
    """
    for statement in _statements(FORMAT_5_DDL):
        conn.execute(statement)
    count = int(conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0])
    conn.executemany(
        "INSERT OR REPLACE INTO meta(name, value) VALUES (?, ?)",
        [(COUNTER_NAMES[0], str(count)), (COUNTER_NAMES[1], "0"), ("verdict_state_at", "")],
    )


def _statements(script: str) -> Iterator[str]:
    """The SQL statements of ``script``, trigger bodies kept whole (not split at their ``;``)."""
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                yield pending
            pending = ""


def _set_version(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE meta SET value = ? WHERE name = 'format_version'", (FORMAT_VERSION,))
    conn.execute(f"PRAGMA user_version = {FORMAT_VERSION}")
