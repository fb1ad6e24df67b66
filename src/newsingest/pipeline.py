"""Where the stages meet.

Per-document stages (read → decode → extract → repair) are pure functions
applied document by document, which is where worker processes plug in; the
corpus stages (boilerplate → fingerprint → candidates → verify → cluster) need
every document. Nothing else in the package wires stages together: the CLI and
the benchmarks call the functions here.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial

import attrs
import numpy as np
import numpy.typing as npt

from ._parallel import chunked, imap_bounded, resolve_jobs
from .boilerplate import learn_boilerplate, strip_boilerplate
from .cluster import (
    CanonicalKey,
    build_clusters,
    choose_canonicals,
    connected_components,
    explain_canonicals,
)
from .config import DedupConfig, IngestConfig
from .decode import decode_document
from .errors import InputError
from .extract import extract_article
from .fingerprint import fingerprint_batch
from .index import bands_for_config, find_candidate_pairs
from .read import iter_documents
from .records import (
    Article,
    Cluster,
    Decision,
    DedupResult,
    Fix,
    RawDocument,
    Rejection,
    Stage,
)
from .repair import repair_article, repair_text
from .verify import score_pair, verify_pairs

__all__ = [
    "Links",
    "dedup",
    "ingest_document",
    "iter_articles",
    "link_documents",
    "resolve_clusters",
    "strip_corpus_boilerplate",
]

log = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]
Progress = Callable[[Article | Rejection], None]

_CHUNK = 64


def ingest_document(raw: RawDocument, config: IngestConfig = IngestConfig()) -> Article:
    """Decode, extract and repair one document; raises :class:`~newsingest.errors.InputError`."""
    return _ingest(raw, config, [])


def _ingest(raw: RawDocument, config: IngestConfig, stage: list[Stage]) -> Article:
    """The per-document stages; ``stage`` tracks where a failure happened."""
    stage[:] = ["decode"]
    decoded = decode_document(raw, config.decode)
    early: tuple[Fix, ...] = ()
    if decoded.format == "text":
        # Plain text is repaired whole before it is parsed: mojibake and entities
        # change line lengths, and re-joining hard-wrapped lines depends on them.
        # (HTML must be parsed before entities are touched; JSON before its fields are.)
        stage[:] = ["repair"]
        text, early = repair_text(decoded.text, config.repair, field="text")
        decoded = attrs.evolve(decoded, text=text)
    stage[:] = ["extract"]
    article = extract_article(decoded, config.extract)
    stage[:] = ["repair"]
    article = repair_article(article, config.repair)
    if early:
        article = attrs.evolve(article, fixes=early + article.fixes)
    return article


def _ingest_or_reject(raw: RawDocument, config: IngestConfig) -> Article | Rejection:
    stage: list[Stage] = ["decode"]
    try:
        return _ingest(raw, config, stage)
    except InputError as exc:
        reason = str(exc)
    except Exception as exc:  # a bug or a library failure must not end a batch run
        log.debug("unexpected error on %s", raw.id, exc_info=True)
        reason = f"internal error ({type(exc).__name__}: {exc}); please report it"
    return Rejection(id=raw.id, path=raw.path, line=raw.line, stage=stage[0], reason=reason)


def _ingest_chunk(
    chunk: list[RawDocument | Rejection], config: IngestConfig
) -> list[Article | Rejection]:
    return [
        item if isinstance(item, Rejection) else _ingest_or_reject(item, config) for item in chunk
    ]


def iter_articles(
    paths: Iterable[PathLike],
    config: IngestConfig = IngestConfig(),
    *,
    jobs: int = 1,
) -> Iterator[Article | Rejection]:
    """Every document under ``paths`` as an :class:`Article`, or a :class:`Rejection` saying why.

    Lazy and streaming: memory stays constant in the number of files. Output
    order is the reader's deterministic order whatever ``jobs`` is (``0``
    means one worker process per core).

    >>> for item in iter_articles(["examples/articles"]):  # doctest: +SKIP
    ...     print(item.id, getattr(item, "title", item))
    """
    work = partial(_ingest_chunk, config=config)
    chunks = chunked(iter_documents(paths, config.read), _CHUNK)
    for results in imap_bounded(work, chunks, jobs=resolve_jobs(jobs)):
        yield from results


# ---------------------------------------------------------------- dedup


class _Clock:
    """Wall time per stage, in the order the stages ran."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._start = self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + now - self._last
        self._last = now

    def total(self) -> dict[str, float]:
        return {**self.timings, "total": time.perf_counter() - self._start}


def _collect(
    inputs: Iterable[PathLike | Article],
    config: DedupConfig,
    on_item: Progress | None,
) -> tuple[list[Article], list[Rejection]]:
    """Ingest path inputs, pass Article inputs through; one row per id, sorted by id."""
    items = list(inputs)
    paths = [x for x in items if not isinstance(x, Article)]
    given = [x for x in items if isinstance(x, Article)]
    stream: Iterable[Article | Rejection] = given
    if paths:
        stream = itertools.chain(given, iter_articles(paths, config.ingest, jobs=config.jobs))
    articles: list[Article] = []
    rejections: list[Rejection] = []
    seen: set[str] = set()
    for item in stream:
        if on_item is not None:
            on_item(item)
        if item.id in seen:
            # The same file named twice (repeated arguments) is one document, one row.
            log.warning("%s was given more than once; it is counted once", item.id)
            continue
        seen.add(item.id)
        (rejections if isinstance(item, Rejection) else articles).append(item)  # type: ignore[arg-type]
    articles.sort(key=lambda a: a.id)
    rejections.sort(key=lambda r: r.id)
    return articles, rejections


def _exact_groups(digests: Sequence[bytes]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Representatives (first index of each distinct digest) and edges joining copies to them."""
    first: dict[bytes, int] = {}
    edges: list[tuple[int, int]] = []
    for i, d in enumerate(digests):
        j = first.setdefault(d, i)
        if j != i:
            edges.append((j, i))
    reps = np.fromiter(first.values(), dtype=np.int64, count=len(first))
    return reps, np.asarray(edges, dtype=np.int64).reshape(-1, 2)


@attrs.frozen(kw_only=True)
class Links:
    """The verified pairs of a corpus: edges between documents that are copies.

    ``edges`` holds index pairs into the fingerprint arrays; the counts are
    kept for the report's parameters.
    """

    edges: npt.NDArray[np.int64] = attrs.field(eq=False, repr=False)
    bands: int
    rows: int
    candidate_pairs: int
    accepted_pairs: int
    exact_duplicates: int


def link_documents(
    sigs: npt.NDArray[np.uint32],
    sizes: npt.NDArray[np.int64],
    digests: Sequence[bytes],
    config: DedupConfig,
) -> Links:
    """Exact copies by digest, near copies by LSH candidates verified from signatures."""
    bands, rows = bands_for_config(config, config.fingerprint.num_perm)
    # Exact copies are joined to their first representative without LSH: a
    # story re-posted 500 times would otherwise fill one bucket per band.
    reps, exact_edges = _exact_groups(digests)
    if reps.size:
        local = find_candidate_pairs(sigs[reps], bands, rows, sizes=sizes[reps])
        candidates = reps[local] if local.size else local.reshape(-1, 2)
    else:
        candidates = np.empty((0, 2), dtype=np.int64)
    _, _, accepted = verify_pairs(sigs, sizes, candidates, config)
    return Links(
        edges=np.concatenate([candidates[accepted], exact_edges]),
        bands=bands,
        rows=rows,
        candidate_pairs=int(candidates.shape[0]),
        accepted_pairs=int(accepted.sum()),
        exact_duplicates=int(exact_edges.shape[0]),
    )


def resolve_clusters(
    articles: Sequence[Article],
    rejections: Sequence[Rejection],
    sigs: npt.NDArray[np.uint32],
    sizes: npt.NDArray[np.int64],
    edges: npt.NDArray[np.int64],
) -> tuple[tuple[Decision, ...], tuple[Cluster, ...]]:
    """Connected components of ``edges``, a canonical copy each, and one decision per document.

    ``articles`` must be sorted by id and aligned with ``sigs``/``sizes``.
    """
    labels = connected_components(len(articles), edges)
    keys = [
        CanonicalKey(
            id=a.id,
            date=a.date,
            shingles=int(sizes[i]),
            length=len(a.text),
            repairs=len(a.fixes),
        )
        for i, a in enumerate(articles)
    ]
    canonical = choose_canonicals(labels, keys)
    ids = [a.id for a in articles]
    clusters = build_clusters(ids, labels, canonical, explain_canonicals(labels, canonical, keys))
    return _decide(articles, rejections, sigs, sizes, canonical), clusters


def strip_corpus_boilerplate(articles: Sequence[Article], config: DedupConfig) -> list[Article]:
    """Learn the corpus's boilerplate lines and strip them from every article."""
    if not (config.boilerplate.enabled and articles):
        return list(articles)
    model = learn_boilerplate(articles, config.boilerplate)
    return [strip_boilerplate(a, model) for a in articles]


def dedup(
    inputs: Iterable[PathLike | Article],
    config: DedupConfig = DedupConfig(),
    *,
    keep_articles: bool = False,
    on_item: Progress | None = None,
) -> DedupResult:
    """Find the copies among the articles under ``inputs`` and decide which to keep.

    ``inputs`` are folders, files or already-ingested :class:`Article` records.
    The result has one :class:`Decision` per document (sorted by id) and does
    not depend on input order or on ``config.jobs``. ``on_item`` is called for
    each document as it is ingested (progress display).

    >>> result = dedup(["examples/articles"])  # doctest: +SKIP
    >>> [c.members for c in result.clusters]  # doctest: +SKIP
    """
    clock = _Clock()
    articles, rejections = _collect(inputs, config, on_item)
    clock.lap("ingest")
    articles = strip_corpus_boilerplate(articles, config)
    clock.lap("boilerplate")
    sigs, sizes, digests = fingerprint_batch([a.text for a in articles], config.fingerprint)
    clock.lap("fingerprint")
    links = link_documents(sigs, sizes, digests, config)
    clock.lap("link")
    decisions, clusters = resolve_clusters(articles, rejections, sigs, sizes, links.edges)
    clock.lap("cluster")

    params: dict[str, object] = {
        "threshold": config.threshold,
        "containment": config.containment,
        "min_shingles": config.min_shingles,
        "min_size_ratio": config.min_size_ratio,
        "bands": links.bands,
        "rows": links.rows,
        "candidate_pairs": links.candidate_pairs,
        "accepted_pairs": links.accepted_pairs,
        "exact_duplicates": links.exact_duplicates,
        "boilerplate": config.boilerplate.enabled,
        "fingerprint": attrs.asdict(config.fingerprint),
    }
    return DedupResult(
        decisions=decisions,
        clusters=clusters,
        rejections=tuple(rejections),
        params=params,
        timings=clock.total(),
        articles=tuple(articles) if keep_articles else (),
    )


def _decide(
    articles: Sequence[Article],
    rejections: Sequence[Rejection],
    sigs: npt.NDArray[np.uint32],
    sizes: npt.NDArray[np.int64],
    canonical: npt.NDArray[np.int64],
) -> tuple[Decision, ...]:
    rows: list[Decision] = []
    for i, a in enumerate(articles):
        c = int(canonical[i])
        if c == i:
            rows.append(Decision(id=a.id, path=a.path, status="kept", cluster=a.id))
            continue
        sim, cont = score_pair(sigs[i], sigs[c], int(sizes[i]), int(sizes[c]))
        canon_id = articles[c].id
        rows.append(
            Decision(
                id=a.id,
                path=a.path,
                status="duplicate",
                cluster=canon_id,
                duplicate_of=canon_id,
                similarity=sim,
                containment=cont,
            )
        )
    for r in rejections:
        rows.append(
            Decision(id=r.id, path=r.path, status="rejected", reason=f"{r.stage}: {r.reason}")
        )
    rows.sort(key=lambda d: d.id)
    return tuple(rows)
