"""JSON Lines: one object per line; which fields hold title, text, date and id is configurable.

The fields are named by :class:`~newsingest.config.ExtractConfig`. The text
field is plain text in the same layout as a text file, so its paragraphs come
from :func:`~newsingest.ingest.extract.text.split_lines`; only its head
differs: the title comes from a field (or the first line), then at most a
date line and a byline may follow inside the text.
"""

from __future__ import annotations

import json

from newsingest.config import ExtractConfig
from newsingest.errors import ExtractError
from newsingest.ingest.dates import DateMatch, match_date_line
from newsingest.ingest.extract._common import build_article, date_from_field, normalize_lines
from newsingest.ingest.extract.text import MAX_TITLE_CHARS, parse_byline, split_lines
from newsingest.records import Article, DecodedText, DroppedLine

__all__ = ["extract_jsonl"]


def extract_jsonl(doc: DecodedText, config: ExtractConfig) -> Article:
    """The article in one JSON Lines record ``doc``."""
    try:
        record = json.loads(doc.text)
    except (ValueError, RecursionError) as exc:
        raise ExtractError(f"{doc.id}: not a valid JSON line ({exc}); expected one object") from exc
    if not isinstance(record, dict):
        raise ExtractError(
            f"{doc.id}: the JSON line is a {type(record).__name__}, not an object; "
            "expected one article object per line"
        )
    text_field = config.jsonl_text_field
    text = record.get(text_field)
    if text is None:
        raise ExtractError(
            f"{doc.id}: the JSON object has no {text_field!r} field; "
            "set ExtractConfig.jsonl_text_field to the field holding the article text"
        )
    if not isinstance(text, str):
        raise ExtractError(f"{doc.id}: field {text_field!r} is not a string")
    lines = normalize_lines(text)
    notes: list[str] = []
    title: str | None = None
    title_field = config.jsonl_title_field
    raw_title = record.get(title_field)
    has_title = isinstance(raw_title, str) and bool(raw_title.strip())
    if not any(lines):
        if not has_title:
            raise ExtractError(f"{doc.id}: field {text_field!r} is empty and there is no title")
        # A title-only record (a wire "stub") is kept as such, as the same stub
        # saved as a text file would be.
        notes.append(f"jsonl: field {text_field!r} is empty, title only")
        lines = []
    if has_title:
        assert isinstance(raw_title, str)
        title = " ".join(t for t in (s.strip() for s in normalize_lines(raw_title)) if t)
        notes.append(f"jsonl: title from field {title_field!r}")
        first = next((i for i, line in enumerate(lines) if line), None)
        if first is not None and lines[first].strip() == title:
            lines = lines[first + 1 :]
            notes.append("jsonl: title line repeated in text removed")
    elif config.title_from_first_line:
        first_line = lines[0].strip()
        if not first_line:
            notes.append("jsonl: first line empty, no title")
        elif len(first_line) > MAX_TITLE_CHARS:
            notes.append("jsonl: first line too long for a title, no title")
        elif len(lines) > 1 and lines[1].lstrip()[:1].islower():
            notes.append("jsonl: first line runs on into the next, no title")
        else:
            title = first_line
            lines = lines[1:]
            notes.append("jsonl: title from first line")
    else:
        notes.append(f"jsonl: no title field {title_field!r}")

    date: DateMatch | None = None
    date_field = config.jsonl_date_field
    if record.get(date_field) is not None:
        date = date_from_field(record[date_field], date_field, notes)
        if date is not None:
            notes.append(f"jsonl: date from field {date_field!r}")

    paras, layout = split_lines(lines, head_lines=2)
    byline: str | None = None
    start = 0
    # A date line or byline may follow the title inside the text.
    while start < min(2, len(paras)) and paras[start].lines == 1:
        line = paras[start].text
        found = match_date_line(line)
        if found is not None:
            if date is None:
                date = found
                notes.append("date line found")
            else:
                notes.append("date line dropped, date from field kept")
            start += 1
            continue
        parsed = parse_byline(line) if byline is None else None
        if parsed is None:
            break
        byline = parsed[0]
        notes.append("byline found")
        if date is None and parsed[1] is not None:
            date = parsed[1]
            notes.append("date from byline")
        start += 1
    dropped = [
        DroppedLine(text=p.text, reason="date line")
        for p in paras[:start]
        if match_date_line(p.text) is not None
    ]
    if date is None:
        notes.append("no date")
    raw_id = record.get(config.jsonl_id_field)
    # The export's own id, so report rows can be joined back to the source system
    # (the document id stays FILE#N: export ids are neither unique nor always present).
    source_id = (
        str(raw_id) if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) else None
    )
    return build_article(
        doc,
        title=title,
        date=date,
        byline=byline,
        paragraphs=[p.text for p in paras[start:]],
        dropped=dropped,
        notes=notes + layout,
        source_id=source_id,
    )
