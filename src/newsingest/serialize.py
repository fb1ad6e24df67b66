"""Records to and from plain JSON-ready dicts.

Every record round-trips: ``from_dict(type(r), to_dict(r)) == r``. An
:class:`~newsingest.records.Article` stores its body as one string with
paragraphs separated by blank lines (lossless, see ``records._paragraphs``);
dates are ISO strings. Each dict carries a ``"type"`` key so that mixed JSON
Lines output (articles and rejections) can be read back.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, TypeVar

from newsingest.records import (
    Article,
    Decision,
    Decoding,
    DroppedLine,
    Fix,
    Rejection,
)

__all__ = ["from_dict", "read_row", "to_dict", "to_json_line"]

T = TypeVar("T", Article, Rejection, Decision)

_TYPE_NAMES: dict[type[Any], str] = {
    Article: "article",
    Rejection: "rejection",
    Decision: "decision",
}
_TYPES_BY_NAME = {v: k for k, v in _TYPE_NAMES.items()}


def to_dict(record: Article | Rejection | Decision) -> dict[str, Any]:
    """A JSON-ready dict for a record, with its ``"type"``."""
    if isinstance(record, Article):
        return _article_to_dict(record)
    if isinstance(record, Rejection):
        return {
            "type": "rejection",
            "id": record.id,
            "path": record.path,
            "line": record.line,
            "stage": record.stage,
            "reason": record.reason,
        }
    return {
        "type": "decision",
        "id": record.id,
        "path": record.path,
        "cluster": record.cluster,
        "status": record.status,
        "duplicate_of": record.duplicate_of,
        "similarity": record.similarity,
        "containment": record.containment,
        "reason": record.reason,
    }


def to_json_line(record: Article | Rejection | Decision) -> str:
    """:func:`to_dict` as one JSON Lines line (UTF-8 text, not escaped to ASCII)."""
    return json.dumps(to_dict(record), ensure_ascii=False) + "\n"


def _article_to_dict(a: Article) -> dict[str, Any]:
    d = a.decoding
    return {
        "type": "article",
        "id": a.id,
        "path": a.path,
        "line": a.line,
        "format": a.format,
        "title": a.title,
        "date": a.date.isoformat() if a.date else None,
        "date_raw": a.date_raw,
        "byline": a.byline,
        "body": a.body,
        "encoding": {
            "encoding": d.encoding,
            "method": d.method,
            "confidence": d.confidence,
            "lossy": d.lossy,
            "replaced": d.replaced,
        },
        "fixes": [
            {"field": f.field, "action": f.action, "parameter": f.parameter} for f in a.fixes
        ],
        "dropped": [{"text": x.text, "reason": x.reason} for x in a.dropped],
        "notes": list(a.notes),
        "source_id": a.source_id,
        "url": a.url,
    }


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Rebuild a record of type ``cls`` from :func:`to_dict` output."""
    kind = data.get("type", _TYPE_NAMES[cls])
    if kind != _TYPE_NAMES[cls]:
        raise ValueError(f"expected a {_TYPE_NAMES[cls]!r} row, got {kind!r}")
    fields = {k: v for k, v in data.items() if k != "type"}
    try:
        if cls is Article:
            return _article_from_dict(fields)  # type: ignore[return-value]
        return cls(**fields)
    except (KeyError, TypeError, AttributeError) as exc:
        # A missing key, an unexpected one or a wrong JSON type: say which row kind.
        raise ValueError(f"malformed {kind!r} row: {type(exc).__name__}: {exc}") from None


def _article_from_dict(f: dict[str, Any]) -> Article:
    body = f.pop("body")
    date = f.pop("date")
    return Article(
        **{k: v for k, v in f.items() if k not in ("encoding", "fixes", "dropped", "notes")},
        date=dt.date.fromisoformat(date) if date else None,
        paragraphs=body.split("\n\n") if body else (),
        decoding=Decoding(**f["encoding"]),
        fixes=tuple(Fix(**x) for x in f.get("fixes", ())),
        dropped=tuple(DroppedLine(**x) for x in f.get("dropped", ())),
        notes=tuple(f.get("notes", ())),
    )


def read_row(data: dict[str, Any]) -> Article | Rejection | Decision:
    """Rebuild whichever record a JSON Lines row holds, by its ``"type"``."""
    try:
        cls: type[Article | Rejection | Decision] = _TYPES_BY_NAME[data["type"]]
    except KeyError:
        raise ValueError(f"not a newsingest row: type {data.get('type')!r}") from None
    return from_dict(cls, data)  # type: ignore[type-var]
