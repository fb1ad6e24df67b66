"""The per-document run: decode, extract and repair one document, or a stream of them.

The batch run (:mod:`newsingest.pipeline`), the on-disk index and Dask all
ingest through these functions; a failure in a batch becomes a
:class:`~newsingest.records.Rejection` naming the stage, never a crash.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from functools import partial

import attrs

from newsingest._parallel import chunked, imap_bounded, resolve_jobs
from newsingest.config import IngestConfig
from newsingest.errors import InputError
from newsingest.ingest.decode import decode_document
from newsingest.ingest.extract import extract_article, extract_repaired_text
from newsingest.ingest.read import Entry, iter_documents, iter_entries, read_entry
from newsingest.ingest.repair import repair_article, repair_text
from newsingest.records import Article, RawDocument, Rejection, Stage

__all__ = [
    "LOCAL_UNIT_DOCUMENTS",
    "UNIT_DOCUMENTS",
    "PathLike",
    "Unread",
    "check_inputs",
    "ingest_document",
    "ingest_or_reject",
    "ingest_unit",
    "iter_articles",
    "iter_units",
    "with_record_fields",
]

log = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]
_Item = RawDocument | Rejection | Article
Unread = _Item | Entry
"""An item of a unit of work: an Entry is read by the process that ingests it."""

UNIT_DOCUMENTS = 64
"""About how many documents a unit of work holds when workers share the ingestion."""
LOCAL_UNIT_DOCUMENTS = 512
"""The same in one process, where there is no worker to balance: fewer per-unit costs."""

# A JSON Lines, WARC or compressed file at most this large is read by the worker that ingests
# it (the main process only stats it); a larger one is read here and spread over units.
_WORKER_FILE_BYTES = 32 << 20
_BYTES_PER_DOCUMENT = 4096
"""How many bytes of a JSON Lines or compressed file count as one document when
entries are grouped into units."""


def ingest_document(raw: RawDocument, config: IngestConfig = IngestConfig()) -> Article:
    """Decode, extract and repair one document; raises :class:`~newsingest.errors.InputError`."""
    return _ingest(raw, config, [])


def _ingest(raw: RawDocument, config: IngestConfig, stage: list[Stage]) -> Article:
    """The per-document stages; ``stage`` tracks where a failure happened."""
    stage[:] = ["decode"]
    decoded = decode_document(raw, config.decode)
    if decoded.format == "text":
        # Plain text is repaired whole before it is parsed: mojibake and entities
        # change line lengths, and re-joining hard-wrapped lines depends on them.
        # (HTML must be parsed before entities are touched; JSON before its fields
        # are.) The fields are then pieces of repaired text: no second pass.
        stage[:] = ["repair"]
        text, fixes = repair_text(decoded.text, config.repair, field="text")
        stage[:] = ["extract"]
        article = extract_repaired_text(decoded, text, fixes, config.extract)
    else:
        stage[:] = ["extract"]
        article = extract_article(decoded, config.extract)
        stage[:] = ["repair"]
        article = repair_article(article, config.repair)
    if raw.url is None and raw.record_date is None and not raw.notes and raw.charset is None:
        return article
    return with_record_fields(article, raw)


def with_record_fields(article: Article, raw: RawDocument) -> Article:
    """What a WARC record says about its page, put on the article extracted from it.

    The URL is kept; the fetch date (``WARC-Date``) becomes the article's date
    only when the page gave none, since a page is often fetched days after it
    was published; the HTTP charset is noted next to the encoding the decoder
    chose (the decoder detects encodings from the bytes and takes no hint).
    """
    notes = list(article.notes)
    notes.extend(raw.notes)
    if raw.charset is not None:
        notes.append(
            f"HTTP charset {raw.charset}; decoded as {article.decoding.encoding} "
            f"({article.decoding.method})"
        )
    date, date_raw = article.date, article.date_raw
    if date is None and raw.record_date is not None:
        fetched = _warc_date(raw.record_date)
        if fetched is None:
            notes.append(f"WARC-Date {raw.record_date!r} unreadable: no date")
        else:
            date, date_raw = fetched, raw.record_date
            notes.append("date from WARC-Date (when the page was fetched)")
    return attrs.evolve(article, url=raw.url, date=date, date_raw=date_raw, notes=notes)


def _warc_date(text: str) -> dt.date | None:
    try:
        return dt.datetime.fromisoformat(text.strip()).date()
    except ValueError:
        return None


def ingest_or_reject(
    raw: RawDocument, config: IngestConfig = IngestConfig()
) -> Article | Rejection:
    """:func:`ingest_document` for batch runs: a failure becomes a Rejection naming the stage."""
    stage: list[Stage] = ["decode"]
    try:
        return _ingest(raw, config, stage)
    except InputError as exc:
        reason = str(exc)
    except Exception as exc:  # a bug or a library failure must not end a batch run
        log.debug("unexpected error on %s", raw.id, exc_info=True)
        reason = f"internal error ({type(exc).__name__}: {exc}); please report it"
    return Rejection(id=raw.id, path=raw.path, line=raw.line, stage=stage[0], reason=reason)


def ingest_unit(chunk: Sequence[Unread], config: IngestConfig) -> list[Article | Rejection]:
    """Read (entries), ingest and reject the items of one unit of work, in order."""
    return [
        ingest_or_reject(item, config) if isinstance(item, RawDocument) else item
        for item in _read_unit(chunk, config)
    ]


def _read_unit(unit: Iterable[Unread], config: IngestConfig) -> Iterator[_Item]:
    """A unit's items with its entries read, in order: as the reader yields them."""
    for item in unit:
        if isinstance(item, Entry):
            yield from read_entry(item, config.read)
        else:
            yield item


def check_inputs(inputs: object, caller: str) -> list[PathLike | Article]:
    """The inputs of ``caller`` (``dedup``, ``Index.add``) as a list of paths and Articles.

    One path or one Article is one input: a str is iterable, and iterating it
    gives its characters, so ``"folder"`` read as ``["f", "o", ...]`` would walk
    ``/`` through the one-character names.
    """
    if isinstance(inputs, str | bytes | os.PathLike | Article):
        inputs = [inputs]
    if not isinstance(inputs, Iterable):
        raise TypeError(
            f"{caller}: inputs must be a path or an iterable of paths, not "
            f"{type(inputs).__name__} ({caller} takes paths and Articles)"
        )
    items: list[PathLike | Article] = []
    for item in inputs:
        if isinstance(item, bytes):
            item = os.fsdecode(item)  # noqa: PLW2901 - a bytes path, as the reader takes it
        if not isinstance(item, str | os.PathLike | Article):
            raise TypeError(f"{caller} takes paths and Articles, got {item!r}")
        items.append(item)
    return items


def iter_articles(
    paths: Iterable[PathLike] | PathLike,
    config: IngestConfig = IngestConfig(),
    *,
    jobs: int = 1,
) -> Iterator[Article | Rejection]:
    """Every document under ``paths`` as an :class:`Article`, or a :class:`Rejection` saying why.

    Lazy and streaming: memory stays constant in the number of files. Output
    order is the reader's deterministic order whatever ``jobs`` is (``0``
    means one worker process per core). A single path is one input.

    >>> for item in iter_articles(["examples/articles"]):  # doctest: +SKIP
    ...     print(item.id, getattr(item, "title", item))
    """
    if not isinstance(config, IngestConfig):
        raise TypeError(
            f"iter_articles: config must be an IngestConfig, not {type(config).__name__} "
            "(leave it out for the defaults)"
        )
    if isinstance(paths, str | bytes | os.PathLike):
        paths = [paths]
    return _iter_articles(paths, config, jobs)


def _iter_articles(
    paths: Iterable[PathLike], config: IngestConfig, jobs: int
) -> Iterator[Article | Rejection]:
    jobs = resolve_jobs(jobs)
    work = partial(ingest_unit, config=config)
    for results in imap_bounded(work, iter_units(paths, config, jobs), jobs=jobs):
        yield from results


def iter_units(
    paths: Iterable[PathLike], config: IngestConfig, jobs: int
) -> Iterator[Sequence[Unread]]:
    """The reader's output in units of about ``UNIT_DOCUMENTS`` documents, in the reader's order.

    In one process (``jobs <= 1``) units hold ``LOCAL_UNIT_DOCUMENTS`` documents,
    read here. With workers, this process only walks: files travel as entries
    and the worker that ingests them reads them, so the bytes are not read,
    pickled and sent from here. A JSON Lines or compressed file above ``_WORKER_FILE_BYTES``
    is read here and spread over several units, so that no worker gets it whole.
    """
    if jobs <= 1:
        # In this process there is no worker to balance: larger units, fewer per-unit costs.
        yield from chunked(iter_documents(paths, config.read), LOCAL_UNIT_DOCUMENTS)
        return
    unit: list[Unread] = []
    weight = 0
    for item in iter_entries(paths, config.read):
        cost = 1
        if isinstance(item, Entry) and (
            item.format == "jsonl" or item.compression is not None or item.warc
        ):
            size = _file_size(item.path)
            if size > _WORKER_FILE_BYTES:
                if unit:
                    yield unit
                    unit, weight = [], 0
                yield from chunked(read_entry(item, config.read), UNIT_DOCUMENTS)
                continue
            cost = 1 + size // _BYTES_PER_DOCUMENT
        unit.append(item)
        weight += cost
        if weight >= UNIT_DOCUMENTS:
            yield unit
            unit, weight = [], 0
    if unit:
        yield unit


def _file_size(path: str) -> int:
    """The size of a file to weigh it by; 0 if it cannot be stat-ed (its reader says why)."""
    try:
        return os.stat(path).st_size  # noqa: PTH116
    except OSError:
        return 0
