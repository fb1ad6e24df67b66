"""Dedup reports: one row per input document, as JSON Lines or CSV, plus a human summary."""

from __future__ import annotations

import csv
import itertools
import json
import math
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import IO, Any, Literal

from newsingest._atomic import atomic_writer
from newsingest.errors import ConfigError
from newsingest.output.terminal import printable
from newsingest.records import Decision, DedupResult

__all__ = [
    "REPORT_COLUMNS",
    "REPORT_FORMATS",
    "csv_cell",
    "format_rejections",
    "format_summary",
    "iter_report_rows",
    "write_report",
]

REPORT_COLUMNS = (
    "id",
    "cluster",
    "status",
    "duplicate_of",
    "similarity",
    "containment",
    "reason",
    "path",
)
"""Report columns, in order. ``similarity``/``containment`` compare a document
with its cluster's canonical copy; ``reason`` is set for rejected documents."""

ReportFormat = Literal["jsonl", "csv"]
REPORT_FORMATS: tuple[ReportFormat, ...] = ("jsonl", "csv")

_BLOCK_ROWS = 4096
_quote = json.encoder.encode_basestring  # a JSON string, non-ASCII kept (ensure_ascii=False)


def _string_or_null(value: str | None) -> str:
    return "null" if value is None else _quote(value)


def _number_or_null(value: float | None) -> str:
    if value is None:
        return "null"
    rounded = round(value, 4)
    return repr(rounded) if math.isfinite(rounded) else json.dumps(rounded)


def _json_row(d: Decision) -> str:
    """``json.dumps(row, ensure_ascii=False)`` of :func:`iter_report_rows`'s row for ``d``.

    Written out field by field: twice as fast as the encoder on a report of
    millions of rows (a test holds the two equal).
    """
    return (
        f'{{"id": {_quote(d.id)}, "cluster": {_string_or_null(d.cluster)}, '
        f'"status": {_quote(d.status)}, "duplicate_of": {_string_or_null(d.duplicate_of)}, '
        f'"similarity": {_number_or_null(d.similarity)}, '
        f'"containment": {_number_or_null(d.containment)}, '
        f'"reason": {_string_or_null(d.reason)}, "path": {_quote(d.path)}}}'
    )


def iter_report_rows(result: DedupResult) -> Iterator[dict[str, Any]]:
    for d in result.decisions:
        yield {
            "id": d.id,
            "cluster": d.cluster,
            "status": d.status,
            "duplicate_of": d.duplicate_of,
            "similarity": None if d.similarity is None else round(d.similarity, 4),
            "containment": None if d.containment is None else round(d.containment, 4),
            "reason": d.reason,
            "path": d.path,
        }


_FORMULA_START = frozenset("=+-@\t\r")
"""What a spreadsheet may take for the start of a formula (OWASP, "CSV Injection")."""


def csv_cell(value: object) -> object:
    """A report value as a CSV cell: empty for None, text a spreadsheet cannot run.

    A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    is a formula to Excel, LibreOffice and Google Sheets (``=HYPERLINK(...)``
    in a file name would run when the report is opened): such text gets a
    leading ``'``, as OWASP recommends. Numbers are written as they are.
    """
    if value is None:
        return ""
    if type(value) is str and value[:1] in _FORMULA_START:
        return "'" + value
    return value


def _write_csv(out: IO[str], rows: Iterable[dict[str, Any]]) -> None:
    plain = csv.writer(out, lineterminator="\n")
    # The csv module quotes a cell holding "\n" (the line end) but not one holding
    # "\r", which readers take for a line end too: such rows are quoted whole.
    quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    plain.writerow(REPORT_COLUMNS)
    write_plain, write_quoted = plain.writerow, quoted.writerow
    for row in rows:
        cells = [csv_cell(v) for v in row.values()]
        if any(type(c) is str and "\r" in c for c in cells):
            write_quoted(cells)
        else:
            write_plain(cells)


def write_report(
    result: DedupResult, path: str | os.PathLike[str], fmt: ReportFormat = "jsonl"
) -> None:
    """Write the report atomically (``"-"`` for stdout) as ``"jsonl"`` or ``"csv"``.

    CSV leaves empty cells for nulls and neutralises cells a spreadsheet would
    run as formulas (:func:`csv_cell`); JSON Lines holds the values as they are.
    Another ``fmt`` raises ConfigError before anything is written.
    """
    if fmt not in REPORT_FORMATS:
        raise ConfigError(
            f"report format {fmt!r} is not one of {', '.join(map(repr, REPORT_FORMATS))} "
            "(lower case)"
        )
    with atomic_writer(path) as out:
        if fmt == "csv":
            _write_csv(out, iter_report_rows(result))
        else:
            decisions = iter(result.decisions)
            while block := [_json_row(d) for d in itertools.islice(decisions, _BLOCK_ROWS)]:
                out.write("\n".join(block) + "\n")


def format_summary(result: DedupResult) -> str:
    """A few lines for a person: counts, the largest clusters, the rejections, time.

    Ids and reasons come from file names and documents: their control
    characters are escaped (:func:`~newsingest.output.terminal.printable`).
    """
    n = len(result.decisions)
    kept = sum(d.status == "kept" for d in result.decisions)
    dup = sum(d.status == "duplicate" for d in result.decisions)
    rej = n - kept - dup
    lines = [
        f"{_count(n, 'document')}: {kept:,} kept, {_count(dup, 'duplicate')} in "
        f"{_count(len(result.clusters), 'cluster')}, {rej:,} rejected"
    ]
    for c in result.clusters[:5]:
        lines.append(
            f"  {len(c.members):>4} documents, kept {printable(c.canonical)} ({printable(c.why)})"
        )
    if len(result.clusters) > 5:
        lines.append(f"  ... and {_count(len(result.clusters) - 5, 'more cluster')}")
    if rej:
        lines.append(format_rejections(result))
    if result.timings:
        total = result.timings.get("total", sum(result.timings.values()))
        parts = ", ".join(f"{k} {v:.2f}s" for k, v in result.timings.items() if k != "total")
        lines.append(f"time: {total:.2f}s ({parts})")
    return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    """``1 cluster``, ``2 clusters``: what the summary says of a count."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def format_rejections(result: DedupResult, *, most: int = 10) -> str:
    """The rejected documents counted by stage, then by reason (the ``most`` commonest)."""
    reasons: Counter[tuple[str, str]] = Counter()
    for d in result.decisions:
        if d.status == "rejected":
            stage, _, reason = (d.reason or "").partition(": ")
            reasons[(stage or "unknown", reason or stage)] += 1
    stages: Counter[str] = Counter()
    for (stage, _), count in reasons.items():
        stages[stage] += count
    by_stage = ", ".join(
        f"{s} {c:,}" for s, c in sorted(stages.items(), key=lambda x: (-x[1], x[0]))
    )
    lines = [f"rejected by stage: {by_stage}"]
    ranked = sorted(reasons.items(), key=lambda x: (-x[1], x[0]))
    for (stage, reason), count in ranked[:most]:
        lines.append(f"  {count:>4} {printable(stage)}: {printable(reason)}")
    if len(ranked) > most:
        lines.append(f"  ... and {len(ranked) - most:,} more reasons (-v lists each document)")
    return "\n".join(lines)
