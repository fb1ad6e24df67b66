"""What every format's extractor shares: line normalisation, dates from fields, the record."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from newsingest.ingest.dates import DateMatch, match_date_line, search_date
from newsingest.records import Article, DecodedText, DroppedLine, Fix

__all__ = ["build_article", "date_from_field", "normalize_lines", "replace_surrogates"]

_SURROGATE = re.compile("[\ud800-\udfff]")


def replace_surrogates(value: str, field: str, fixes: list[Fix]) -> str:
    """``value`` with each lone surrogate replaced by U+FFFD, the repair added to ``fixes``.

    A lone surrogate (JSON's ``"\\ud800"``) is not text: no UTF-8 writer accepts it. The
    fix is named as ftfy's ``fix_surrogates`` names the same repair of title and text.
    """
    fixed, count = _SURROGATE.subn("\ufffd", value)
    if count:
        fixes.append(Fix(field=field, action="apply", parameter="fix_surrogates"))
    return fixed


def normalize_lines(text: str) -> list[str]:
    """LF line ends, no BOM, no trailing whitespace."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    return list(map(str.rstrip, text.split("\n")))


def date_from_field(value: object, field: str, notes: list[str]) -> DateMatch | None:
    """The date in a metadata field (JSON, or trafilatura's): ISO first, then any date form."""
    if not isinstance(value, str) or not value.strip():
        notes.append(f"jsonl: date field {field!r} empty or not a string")
        return None
    raw = value.strip()
    try:
        return DateMatch(date=dt.datetime.fromisoformat(raw).date(), raw=raw)
    except ValueError:
        pass
    found = match_date_line(raw) or search_date(raw)
    if found is None:
        notes.append(f"jsonl: date field {field!r} not understood")
        return None
    return DateMatch(date=found.date, raw=raw, ambiguous=found.ambiguous)


def build_article(
    doc: DecodedText,
    *,
    title: str | None,
    date: DateMatch | None,
    byline: str | None,
    paragraphs: Sequence[str],
    dropped: Sequence[DroppedLine],
    notes: list[str],
    source_id: str | None = None,
    fixes: tuple[Fix, ...] = (),
) -> Article:
    """The :class:`Article` of ``doc``; the notes every format shares are added to ``notes``."""
    if date is not None and date.ambiguous:
        notes.append("date ambiguous: numeric date read by convention")
    if not paragraphs:
        notes.append("no body")
    if dropped and doc.format == "jsonl" and any(_SURROGATE.search(x.text) for x in dropped):
        # Only JSON escapes make lone surrogates. Dropped lines are kept as they were,
        # not repaired: only made writable.
        dropped = [
            DroppedLine(text=_SURROGATE.sub("\ufffd", x.text), reason=x.reason) for x in dropped
        ]
    return Article(
        id=doc.id,
        path=doc.path,
        format=doc.format,
        line=doc.line,
        title=title,
        date=date.date if date is not None else None,
        date_raw=date.raw if date is not None else None,
        byline=byline,
        paragraphs=tuple(paragraphs),
        decoding=doc.decoding,
        dropped=tuple(dropped),
        notes=tuple(notes),
        source_id=source_id,
        fixes=fixes,
    )
