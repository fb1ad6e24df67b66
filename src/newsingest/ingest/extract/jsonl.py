"""JSON Lines: one object per line; which fields hold title, text, date and id is configurable.

The fields are named by :class:`~newsingest.config.ExtractConfig`. The text
field is plain text in the same layout as a text file, so its paragraphs come
from :func:`~newsingest.ingest.extract.text.split_lines`; only its head
differs: the title comes from a field (or the first line), then at most a
date line and a byline may follow inside the text.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from newsingest.config import ExtractConfig
from newsingest.errors import ExtractError
from newsingest.ingest.dates import DateMatch, match_date_line
from newsingest.ingest.extract._common import (
    build_article,
    date_from_field,
    normalize_lines,
    replace_surrogates,
)
from newsingest.ingest.extract.text import MAX_TITLE_CHARS, parse_byline, split_lines
from newsingest.records import Article, DecodedText, DroppedLine, Fix

__all__ = ["extract_jsonl"]

_OWN_RECORD = "jsonl: a newsingest article record (ingest output)"


def extract_jsonl(doc: DecodedText, config: ExtractConfig) -> Article:
    """The article in one JSON Lines record ``doc``.

    A record ``newsingest ingest`` wrote (``"type": "article"``, its text in
    ``body``) is read as such when it has no text field, so that the output
    of ``ingest`` can be deduplicated as it is.
    """
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
    if text is None and record.get("type") in ("article", "rejection"):
        return _extract_own_record(doc, record)
    if text is None:
        raise ExtractError(
            f"{doc.id}: the JSON object has no {text_field!r} field; set --jsonl-text-field "
            "(ExtractConfig.jsonl_text_field) to the field holding the article text"
        )
    if not isinstance(text, str):
        raise ExtractError(
            f"{doc.id}: field {text_field!r} is not a string; set --jsonl-text-field "
            "(ExtractConfig.jsonl_text_field) to the field holding the article text"
        )
    # json.loads turns an escaped lone surrogate ("\ud800") into a str no UTF-8 writer
    # accepts. Title and text are repaired later (ftfy's fix_surrogates); the date and
    # id fields are not, so they are repaired here (an ASCII string holds none).
    fixes: list[Fix] = []
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
        value = record[date_field]
        if isinstance(value, str) and not value.isascii():
            value = replace_surrogates(value, "date_raw", fixes)
        date = date_from_field(value, date_field, notes)
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
    if source_id is not None and not source_id.isascii():
        source_id = replace_surrogates(source_id, "source_id", fixes)
    return build_article(
        doc,
        title=title,
        date=date,
        byline=byline,
        paragraphs=[p.text for p in paras[start:]],
        dropped=dropped,
        notes=notes + layout,
        source_id=source_id,
        fixes=tuple(fixes),
    )


def _extract_own_record(doc: DecodedText, record: dict[str, Any]) -> Article:
    """An article row of ``newsingest ingest`` output (``serialize.to_dict``'s field names).

    Its id becomes the article's ``source_id``, so report rows join back to the
    document it came from; a rejection row says why it holds no article.
    """
    if record["type"] == "rejection":
        raise ExtractError(
            f"{doc.id}: a newsingest rejection row, no article: {record.get('id')!r} was "
            f"rejected when ingested ({record.get('reason')})"
        )
    # The repairs ingest made travel with the text: they rank copies ("fewest repairs").
    fixes = _record_fixes(doc, record.get("fixes"))
    strings: dict[str, str | None] = {}
    for field in ("title", "body", "byline", "date", "date_raw", "id"):
        value = record.get(field)
        if value is not None and not isinstance(value, str):
            raise ExtractError(
                f"{doc.id}: malformed newsingest article record: field {field!r} is a "
                f"{type(value).__name__}, not a string"
            )
        strings[field] = value
    for field in ("date_raw", "id"):
        value = strings[field]
        if value is not None:
            strings[field] = replace_surrogates(
                value, "source_id" if field == "id" else field, fixes
            )
    body, title = strings["body"] or "", strings["title"]
    if not body.strip() and not (title and title.strip()):
        raise ExtractError(f"{doc.id}: a newsingest article record with no title and no body")
    date: DateMatch | None = None
    if strings["date"]:
        try:
            day = dt.date.fromisoformat(strings["date"])
        except ValueError:
            raise ExtractError(
                f"{doc.id}: malformed newsingest article record: date {strings['date']!r} "
                "is not an ISO date"
            ) from None
        date = DateMatch(date=day, raw=strings["date_raw"] or strings["date"])
    # The body is paragraphs joined by blank lines, as serialize writes it.
    paragraphs = [p for p in body.split("\n\n") if p.strip()]
    return build_article(
        doc,
        title=title,
        date=date,
        byline=strings["byline"],
        paragraphs=paragraphs,
        dropped=[],
        notes=[_OWN_RECORD] + ([] if date is not None else ["no date"]),
        source_id=strings["id"],
        fixes=tuple(fixes),
    )


def _record_fixes(doc: DecodedText, value: object) -> list[Fix]:
    """The ``fixes`` of an article record, as :class:`Fix` records."""
    if value is None:
        return []
    try:
        if not isinstance(value, list):
            raise TypeError("not a list")
        fixes = []
        for item in value:
            fix = Fix(field=item["field"], action=item["action"], parameter=item["parameter"])
            if not all(isinstance(x, str) for x in (fix.field, fix.action, fix.parameter)):
                raise TypeError("a value is not a string")
            fixes.append(fix)
    except (TypeError, KeyError) as exc:
        raise ExtractError(
            f"{doc.id}: malformed newsingest article record: field 'fixes' ({exc})"
        ) from None
    return fixes
