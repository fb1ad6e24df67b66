"""Dedup reports: one row per input document, as JSON Lines or CSV, plus a human summary."""

from __future__ import annotations

import csv
import itertools
import json
import os
from collections.abc import Iterator
from typing import Any, Literal

from ._atomic import atomic_writer
from .records import DedupResult

__all__ = ["REPORT_COLUMNS", "format_summary", "iter_report_rows", "write_report"]

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

_ENCODER = json.JSONEncoder(ensure_ascii=False)
_BLOCK_ROWS = 4096


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


def write_report(
    result: DedupResult, path: str | os.PathLike[str], fmt: ReportFormat = "jsonl"
) -> None:
    """Write the report atomically (``"-"`` for stdout). CSV leaves empty cells for nulls."""
    with atomic_writer(path) as out:
        if fmt == "csv":
            writer = csv.DictWriter(out, fieldnames=REPORT_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(
                {k: "" if v is None else v for k, v in row.items()}
                for row in iter_report_rows(result)
            )
        else:
            # One encoder for every row (json.dumps builds one per call when given
            # options), and the lines written in blocks rather than one by one.
            encode = _ENCODER.encode
            rows = iter_report_rows(result)
            while block := [encode(row) for row in itertools.islice(rows, _BLOCK_ROWS)]:
                out.write("\n".join(block) + "\n")


def format_summary(result: DedupResult) -> str:
    """A few lines for a person: counts, the largest clusters, time."""
    n = len(result.decisions)
    kept = sum(d.status == "kept" for d in result.decisions)
    dup = sum(d.status == "duplicate" for d in result.decisions)
    rej = n - kept - dup
    lines = [
        f"{n:,} documents: {kept:,} kept, {dup:,} duplicates in {len(result.clusters):,} clusters, "
        f"{rej:,} rejected"
    ]
    for c in result.clusters[:5]:
        lines.append(f"  {len(c.members):>4} documents, kept {c.canonical} ({c.why})")
    if len(result.clusters) > 5:
        lines.append(f"  ... and {len(result.clusters) - 5:,} more clusters")
    if result.timings:
        total = result.timings.get("total", sum(result.timings.values()))
        parts = ", ".join(f"{k} {v:.2f}s" for k, v in result.timings.items() if k != "total")
        lines.append(f"time: {total:.2f}s ({parts})")
    return "\n".join(lines)
