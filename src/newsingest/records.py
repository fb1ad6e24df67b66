"""The records each stage produces: frozen, typed, and carrying their own trace.

The data flows one way, one record type per arrow::

    RawDocument ─decode─▶ DecodedText ─extract─▶ Article ─repair─▶ Article ─boilerplate─▶ Article
                                                       └─▶ Rejection (any stage, batch runs only)

Every heuristic step leaves a trace on its output: :class:`Decoding` says which
encoding was used and how it was decided, :class:`Fix` names each repair,
``Article.dropped`` lists the lines taken out of the body and why.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable
from typing import Literal, cast

import attrs

from newsingest.config import FingerprintConfig

__all__ = [
    "Article",
    "ChangeReason",
    "Cluster",
    "ClusterChange",
    "Decision",
    "DecodedText",
    "Decoding",
    "DedupResult",
    "DroppedLine",
    "Fix",
    "Format",
    "IndexUpdate",
    "RawDocument",
    "Rejection",
    "RunParams",
]

Format = Literal["text", "html", "jsonl"]
"""How a document is laid out: a plain-text article, an HTML page, one JSON Lines record."""

DecodeMethod = Literal["bom", "utf-8", "utf-8+cp1252", "utf-16/32", "detected", "fallback"]
"""How the encoding was decided, in the order the decoder tries them:

* ``bom`` — a byte-order mark named it;
* ``utf-8`` — the bytes are valid UTF-8 (ASCII included);
* ``utf-8+cp1252`` — mostly UTF-8, a few stray bytes decoded one by one as cp1252;
* ``utf-16/32`` — BOM-less UTF-16 or UTF-32, recognised by its pattern of zero bytes;
* ``detected`` — chardet's guess, with its confidence;
* ``fallback`` — nothing fitted: decoded lossily, ``Decoding.lossy`` is true.

A JSON Lines file is split into lines first and each line decoded on its own
(a UTF-16/32 file with a byte-order mark is transcoded to UTF-8 by the reader).
"""


def _tuple_of_str(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        raise TypeError("expected a sequence of strings, not a single string")
    if type(value) is tuple:
        return value  # the common case (attrs.evolve, the stages): typed, no copy needed
    items = tuple(cast("Iterable[object]", value))
    if all(map(isinstance, items, itertools.repeat(str))):
        return cast("tuple[str, ...]", items)  # lists from the stages: checked in C, not copied
    return tuple(map(str, items))


_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def _paragraphs(value: object) -> tuple[str, ...]:
    """Keep the body invariant: paragraphs are non-blank and hold no blank line.

    That makes ``body`` (paragraphs joined by blank lines) a lossless encoding
    of ``paragraphs``, which is what the JSON output stores.
    """
    paragraphs = _tuple_of_str(value)
    if "\n" not in "".join(paragraphs) and all(map(str.strip, paragraphs)):
        return paragraphs  # no newline anywhere and nothing blank: already valid
    out: list[str] = []
    for p in paragraphs:
        if "\n" in p:
            # Edge newlines would merge into the separator and make the body ambiguous.
            p = p.strip("\n")  # noqa: PLW2901
            if _BLANK_LINE.search(p):
                out.extend(q.strip("\n") for q in _BLANK_LINE.split(p) if q.strip())
                continue
        if p.strip():
            out.append(p)
    return tuple(out)


@attrs.frozen(kw_only=True)
class RawDocument:
    """The bytes of one document and where they came from.

    ``id`` is stable and human-readable: the path relative to the folder given
    (POSIX separators), with ``#N`` appended for the Nth line (1-based) of a
    JSON Lines file, ``#@N`` for the record at byte N of a WARC file. ``path``
    is the file as the user can find it on disk; names that are not valid
    UTF-8 are shown with backslash escapes.
    """

    id: str
    path: str
    format: Format
    data: bytes = attrs.field(repr=False)
    line: int | None = None
    compression: str | None = None
    url: str | None = None
    """The page's address, for a WARC record (``WARC-Target-URI``)."""
    record_date: str | None = None
    """A WARC record's ``WARC-Date`` as written: when the page was fetched."""
    charset: str | None = None
    """The charset the HTTP ``Content-Type`` named, for a WARC record (a hint, not applied)."""
    notes: tuple[str, ...] = attrs.field(default=(), converter=_tuple_of_str)
    """What the reader noticed, carried to the article's notes."""


@attrs.frozen(kw_only=True)
class Decoding:
    """How bytes became text: the trace of the decode step."""

    encoding: str
    method: DecodeMethod
    confidence: float
    lossy: bool = False
    replaced: int = 0
    """How many U+FFFD replacement characters decoding introduced."""


@attrs.frozen(kw_only=True)
class DecodedText:
    """One document's text after decoding; ``text`` is exactly what was decoded."""

    id: str
    path: str
    format: Format
    text: str = attrs.field(repr=False)
    decoding: Decoding
    line: int | None = None


@attrs.frozen(kw_only=True)
class Fix:
    """One repair applied to one field, in the vocabulary of ftfy's explanations.

    ``action`` is e.g. ``"encode"``/``"decode"`` (mojibake undone),
    ``"apply"`` (a named fixer such as ``unescape_html``), or ``"normalize"``;
    ``parameter`` is the codec or fixer name.
    """

    field: str
    action: str
    parameter: str


@attrs.frozen(kw_only=True)
class DroppedLine:
    """A line removed from an article's text, and why (e.g. ``"promo"``, ``"boilerplate"``)."""

    text: str
    reason: str


@attrs.frozen(kw_only=True)
class Article:
    """One article parsed out of its wrapper.

    Fields that were not found are ``None`` (or empty); ``date_raw`` keeps the
    string the date was parsed from, so a wrong parse can be audited.
    ``paragraphs`` is the body, one paragraph per item, hard wraps re-joined.
    """

    id: str
    path: str
    format: Format
    line: int | None = None
    title: str | None = None
    date: dt.date | None = None
    date_raw: str | None = None
    byline: str | None = None
    paragraphs: tuple[str, ...] = attrs.field(default=(), converter=_paragraphs, repr=False)
    decoding: Decoding
    fixes: tuple[Fix, ...] = ()
    dropped: tuple[DroppedLine, ...] = ()
    notes: tuple[str, ...] = attrs.field(default=(), converter=_tuple_of_str)
    """What extraction noticed, e.g. ``"no date line"`` or ``"title from <h1>"``."""
    source_id: str | None = None
    """A JSON Lines record's own id field (``ExtractConfig.jsonl_id_field``), if it had one."""
    url: str | None = None
    """The page's address, for an article read from a WARC record (``WARC-Target-URI``)."""

    @property
    def body(self) -> str:
        """The body as one string, paragraphs separated by blank lines."""
        return "\n\n".join(self.paragraphs)

    @property
    def text(self) -> str:
        """Title and body: the text that fingerprints are made from."""
        if self.title:
            return self.title + "\n\n" + self.body
        return self.body


Stage = Literal["read", "decode", "extract", "repair", "boilerplate", "fingerprint"]


@attrs.frozen(kw_only=True)
class Rejection:
    """A document a batch run could not use: which one, at which stage, and why."""

    id: str
    path: str
    stage: Stage
    reason: str
    line: int | None = None

    @property
    def summary(self) -> str:
        """``"stage: reason"``: the text a report row gives for the rejection."""
        return f"{self.stage}: {self.reason}"


Status = Literal["kept", "duplicate", "rejected"]


@attrs.frozen(kw_only=True)
class Decision:
    """What the deduplicator decided for one input document: one report row.

    ``cluster`` is the same for every member of a cluster (the canonical copy's
    id); a document with no copies is its own cluster; rejected documents have
    none. ``similarity`` and ``containment`` compare the document with its
    cluster's canonical copy (estimated from signatures).
    """

    id: str
    path: str
    status: Status
    cluster: str | None = None
    duplicate_of: str | None = None
    similarity: float | None = None
    containment: float | None = None
    reason: str | None = None


@attrs.frozen(kw_only=True)
class Cluster:
    """A group of copies of one story; ``canonical`` is the copy kept, ``why`` says why it won."""

    id: str
    canonical: str
    members: tuple[str, ...]
    why: str


ChangeReason = Literal["canonical changed", "canonical removed", "split", "joined"]
"""Why a stored document's cluster changed in an index update: a better copy arrived or
the cluster merged with one whose canonical won; its canonical was removed; its links to
the old canonical are gone; or a singleton became a member of a cluster."""


@attrs.frozen(kw_only=True)
class ClusterChange:
    """A stored document whose cluster (its canonical copy) changed during an index update."""

    id: str
    path: str
    old_cluster: str
    new_cluster: str
    reason: ChangeReason


@attrs.frozen(kw_only=True)
class IndexUpdate:
    """What one update of the on-disk index did, besides the batch's own rows.

    ``joined_existing`` counts batch documents now in a cluster with older
    documents; ``changes`` lists the stored documents whose cluster changed.
    """

    index: str
    documents: int  # stored after the update
    new: int = 0
    replaced: int = 0
    unchanged: int = 0
    joined_existing: int = 0
    canonical_changes: int = 0
    refingerprinted: int = 0
    boilerplate_flips: int = 0
    merged_band_keys: int = 0
    changes: tuple[ClusterChange, ...] = ()


@attrs.frozen(kw_only=True)
class RunParams:
    """The settings a dedup run decided with, and what its candidate search found."""

    threshold: float
    containment: float
    min_shingles: int
    min_size_ratio: float
    bands: int
    rows: int
    boilerplate: bool
    fingerprint: FingerprintConfig
    candidate_pairs: int = 0
    accepted_pairs: int = 0
    exact_duplicates: int = 0
    index: IndexUpdate | None = None
    """Set by an index update (``dedup --index``, :meth:`Index.add`)."""


@attrs.frozen(kw_only=True)
class DedupResult:
    """Everything a dedup run decided, with the parameters and timings that produced it.

    ``decisions`` holds one row per input document (kept, duplicate or rejected),
    sorted by id; ``clusters`` only the groups with more than one member.
    """

    decisions: tuple[Decision, ...]
    clusters: tuple[Cluster, ...]
    rejections: tuple[Rejection, ...]
    params: RunParams | None = attrs.field(default=None, eq=False)
    timings: dict[str, float] = attrs.field(factory=dict, eq=False, repr=False)
    articles: tuple[Article, ...] = attrs.field(default=(), eq=False, repr=False)
    """The articles as fingerprinted (boilerplate stripped), sorted by id: for
    ``--kept-jsonl``, ``explain`` and review; empty when not kept."""
