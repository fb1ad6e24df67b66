"""Where the stages meet.

Per-document stages (read → decode → extract → repair) are pure functions
applied document by document, which is where worker processes plug in; the
corpus stages (boilerplate → fingerprint → candidates → verify → cluster) need
every document. The CLI and the benchmarks call the functions here; the
incremental index (:mod:`newsingest.store`) and the Dask backend
(:mod:`newsingest.dask`) orchestrate the same stage functions their own way.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor
from functools import partial

import attrs
import numpy as np
import numpy.typing as npt

from . import boilerplate as _bp
from ._gc import pausing
from ._parallel import chunked, imap_bounded, open_pool, pool_context, resolve_jobs
from .boilerplate import BoilerplateModel, learn_boilerplate, strip_boilerplate
from .cluster import (
    CanonicalKey,
    build_clusters,
    choose_canonicals_from_arrays,
    connected_components,
    count_repairs,
    explain_wins,
)
from .config import BoilerplateConfig, DedupConfig, FingerprintConfig, IngestConfig
from .decode import decode_document
from .errors import InputError
from .extract import extract_article
from .fingerprint import fingerprint_batch, warm_up
from .index import bands_for_config, find_candidate_pairs
from .read import Entry, iter_documents, iter_entries, read_entry
from .records import (
    Article,
    Cluster,
    Decision,
    DedupResult,
    RawDocument,
    Rejection,
    Stage,
)
from .repair import repair_article, repair_text
from .verify import score_against, verify_pairs

__all__ = [
    "Links",
    "dedup",
    "ingest_document",
    "ingest_or_reject",
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
    if decoded.format == "text":
        # Plain text is repaired whole before it is parsed: mojibake and entities
        # change line lengths, and re-joining hard-wrapped lines depends on them.
        # (HTML must be parsed before entities are touched; JSON before its fields
        # are.) The fields are then pieces of repaired text: no second pass.
        stage[:] = ["repair"]
        text, fixes = repair_text(decoded.text, config.repair, field="text")
        if text != decoded.text:
            decoded = attrs.evolve(decoded, text=text)
        stage[:] = ["extract"]
        article = extract_article(decoded, config.extract)
        return attrs.evolve(article, fixes=fixes) if fixes else article
    stage[:] = ["extract"]
    article = extract_article(decoded, config.extract)
    stage[:] = ["repair"]
    return repair_article(article, config.repair)


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


def _ingest_chunk(chunk: Sequence[_Unread], config: IngestConfig) -> list[Article | Rejection]:
    return [
        ingest_or_reject(item, config) if isinstance(item, RawDocument) else item
        for item in _read_unit(chunk, config)
    ]


def _read_unit(unit: Iterable[_Unread], config: IngestConfig) -> Iterator[_Input]:
    """A unit's items with its entries read, in order: as the reader yields them."""
    for item in unit:
        if isinstance(item, Entry):
            yield from read_entry(item, config.read)
        else:
            yield item


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
    jobs = resolve_jobs(jobs)
    work = partial(_ingest_chunk, config=config)
    for results in imap_bounded(work, _path_units(paths, config, jobs), jobs=jobs):
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


ParagraphKeys = npt.NDArray[np.int64]
"""Shape ``(2, paragraphs)``: each paragraph's boilerplate line key, and its word count."""

_Item = Article | Rejection
_Input = RawDocument | Rejection | Article
_Unread = _Input | Entry
"""A unit item: an Entry is read by the process that ingests it."""

# A JSON Lines or compressed file at most this large is read by the worker that ingests
# it (the main process only stats it); a larger one is read here and spread over chunks.
_WORKER_FILE_BYTES = 32 << 20
_BYTES_PER_DOCUMENT = 4096
"""How many bytes of a JSON Lines or compressed file count as one document when
entries are grouped into units: a unit holds about ``_CHUNK`` documents."""
_PASS2_MIN_CHUNK = 256
_PASS2_MAX_CHUNK = 4096


@attrs.frozen
class _Keyed:
    """Pass-1 results of one unit: the items, and the paragraph keys of its articles.

    One flat array instead of an array per article: a worker's reply is pickled
    and unpickled, and the main process does the unpickling.
    """

    items: list[_Item]
    flat: npt.NDArray[np.int64]  # (2, total): keys of every article, one after another
    lengths: npt.NDArray[np.int64]  # per item; 0 for a rejection


def paragraph_keys(article: Article) -> ParagraphKeys:
    """The line key and word count of every paragraph, as :mod:`boilerplate` computes them."""
    return _bp.key_paragraphs(article.paragraphs)


def _ingest_keyed_chunk(unit: Sequence[_Unread], config: IngestConfig) -> _Keyed:
    """Pass 1 in a worker: (read,) ingest, and key the paragraphs for boilerplate learning."""
    items: list[_Item] = []
    keys: list[ParagraphKeys] = []
    for item in _read_unit(unit, config):
        done = ingest_or_reject(item, config) if isinstance(item, RawDocument) else item
        items.append(done)
        if isinstance(done, Article):
            keys.append(paragraph_keys(done))
        else:
            keys.append(np.empty((2, 0), dtype=np.int64))
    lengths = np.fromiter((k.shape[1] for k in keys), dtype=np.int64, count=len(keys))
    flat = np.concatenate(keys, axis=1) if keys else np.empty((2, 0), dtype=np.int64)
    return _Keyed(items=items, flat=flat, lengths=lengths)


def _units(
    inputs: Iterable[PathLike | Article], config: IngestConfig, jobs: int
) -> Iterator[Sequence[_Unread]]:
    """Pass-1 work: chunks of given articles, then the units of the path inputs."""
    items = list(inputs)
    given: list[_Unread] = [x for x in items if isinstance(x, Article)]
    paths = [os.fsdecode(x) for x in items if not isinstance(x, Article)]
    yield from chunked(given, _CHUNK)
    yield from _path_units(paths, config, jobs)


def _path_units(
    paths: Iterable[PathLike], config: IngestConfig, jobs: int
) -> Iterator[Sequence[_Unread]]:
    """The reader's output in units of about ``_CHUNK`` documents, in the reader's order.

    With workers, this process only walks: files travel as entries and the
    worker that ingests them reads them, so the bytes are not read, pickled and
    sent from here. A JSON Lines or compressed file above ``_WORKER_FILE_BYTES``
    is read here and spread over several units, so that no worker gets it whole.
    """
    if jobs <= 1:
        yield from chunked(iter_documents(paths, config.read), _CHUNK)
        return
    unit: list[_Unread] = []
    weight = 0
    for item in iter_entries(paths, config.read):
        cost = 1
        if isinstance(item, Entry) and (item.format == "jsonl" or item.compression is not None):
            size = _file_size(item.path)
            if size > _WORKER_FILE_BYTES:
                if unit:
                    yield unit
                    unit, weight = [], 0
                yield from chunked(read_entry(item, config.read), _CHUNK)
                continue
            cost = 1 + size // _BYTES_PER_DOCUMENT
        unit.append(item)
        weight += cost
        if weight >= _CHUNK:
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


@attrs.frozen
class _Collected:
    """Pass-1 output, one row per id, sorted by id; keys flat, ``offsets`` into them."""

    articles: list[Article]
    rejections: list[Rejection]
    flat: npt.NDArray[np.int64]
    offsets: npt.NDArray[np.int64]
    """Shape ``(n + 1,)``: article ``i``'s keys are ``flat[:, offsets[i]:offsets[i + 1]]``."""

    def keys(self, i: int) -> ParagraphKeys:
        return self.flat[:, self.offsets[i] : self.offsets[i + 1]]


def _collect_keyed(
    inputs: Iterable[PathLike | Article],
    config: DedupConfig,
    on_item: Progress | None,
    pool: Executor | None = None,
) -> _Collected:
    """Ingest and key every document (in ``pool`` when given); one row per id, sorted by id."""
    jobs = resolve_jobs(config.jobs) if pool is not None else 1
    work = partial(_ingest_keyed_chunk, config=config.ingest)
    articles: list[Article] = []
    starts: list[int] = []
    counts: list[int] = []
    flats: list[npt.NDArray[np.int64]] = []
    rejections: list[Rejection] = []
    seen: set[str] = set()
    base = 0
    for part in imap_bounded(work, _units(inputs, config.ingest, jobs), jobs=jobs, pool=pool):
        ends = np.cumsum(part.lengths) + base
        for item, end, count in zip(part.items, ends.tolist(), part.lengths.tolist(), strict=True):
            if on_item is not None:
                on_item(item)
            if item.id in seen:
                # The same file named twice (repeated arguments) is one document, one row.
                log.warning("%s was given more than once; it is counted once", item.id)
                continue
            seen.add(item.id)
            if isinstance(item, Rejection):
                rejections.append(item)
            else:
                articles.append(item)
                starts.append(end - count)
                counts.append(count)
        flats.append(part.flat)
        base += part.flat.shape[1]
    order = sorted(range(len(articles)), key=lambda i: articles[i].id)
    rejections.sort(key=lambda r: r.id)
    flat = np.concatenate(flats, axis=1) if flats else np.empty((2, 0), dtype=np.int64)
    start = np.asarray(starts, dtype=np.int64)[order] if order else np.empty(0, np.int64)
    count = np.asarray(counts, dtype=np.int64)[order] if order else np.empty(0, np.int64)
    offsets = np.zeros(len(order) + 1, dtype=np.int64)
    np.cumsum(count, out=offsets[1:])
    # Gather each article's run of keys into sorted order.
    take = np.repeat(start - offsets[:-1], count) + np.arange(offsets[-1], dtype=np.int64)
    return _Collected(
        articles=[articles[i] for i in order],
        rejections=rejections,
        flat=flat[:, take],
        offsets=offsets,
    )


def learn_boilerplate_keys(
    keys: Sequence[ParagraphKeys], config: BoilerplateConfig
) -> BoilerplateModel:
    """:func:`~newsingest.boilerplate.learn_boilerplate` from precomputed paragraph keys.

    Equal to learning from the articles (tested): the keys are what the
    learner would compute, and its decisions depend on document sets only.
    """
    lengths = np.fromiter((k.shape[1] for k in keys), dtype=np.int64, count=len(keys))
    flat = np.concatenate(keys, axis=1) if keys else np.empty((2, 0), dtype=np.int64)
    return _learn_flat(flat, lengths, config)


def _learn_flat(
    flat: npt.NDArray[np.int64], lengths_in: npt.NDArray[np.int64], config: BoilerplateConfig
) -> BoilerplateModel:
    """:func:`learn_boilerplate_keys` on the keys of all documents laid end to end."""
    doc = np.repeat(np.arange(len(lengths_in), dtype=np.int64), lengths_in)
    # Each document counts a key once, as the learner's per-document ``seen`` set does.
    order = np.lexsort((flat[0], doc))
    flat, doc = flat[:, order], doc[order]
    first = np.ones(doc.size, dtype=bool)
    first[1:] = (doc[1:] != doc[:-1]) | (flat[0, 1:] != flat[0, :-1])
    return _bp.learn_boilerplate_from_keys(
        flat[0, first], flat[1, first], np.bincount(doc[first], minlength=len(lengths_in)), config
    )


@attrs.frozen
class _Pass2:
    """What pass 2 needs: the sorted articles, their keys, and the learned boilerplate.

    Forked workers inherit it (a module global set before the fork), so a task
    is just a range of indices; spawned workers get their slice in the task.
    """

    collected: _Collected
    boilerplate: npt.NDArray[np.int64]
    fingerprint: FingerprintConfig
    want_articles: bool


@attrs.frozen
class _Printed:
    """Pass-2 results for a range of articles, as arrays."""

    sigs: npt.NDArray[np.uint32]
    sizes: npt.NDArray[np.int64]
    digests: list[bytes]
    lengths: npt.NDArray[np.int64]  # len(text) of each stripped article
    articles: list[Article] | None  # the stripped articles, when the caller keeps them


_INHERITED: _Pass2 | None = None


def _strip_fingerprint(state: _Pass2, lo: int, hi: int) -> _Printed:
    """Strip and fingerprint articles ``lo:hi`` of ``state``."""
    got = state.collected
    first, last = int(got.offsets[lo]), int(got.offsets[hi])
    hit = np.isin(got.flat[0, first:last], state.boilerplate)
    stripped: list[Article] = []
    for i in range(lo, hi):
        article = got.articles[i]
        a, b = int(got.offsets[i]) - first, int(got.offsets[i + 1]) - first
        if a != b and state.boilerplate.size:
            article = _bp.drop_paragraphs(article, hit[a:b].tolist())
        stripped.append(article)
    texts = [a.text for a in stripped]
    sigs, sizes, digests = fingerprint_batch(texts, state.fingerprint)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    return _Printed(
        sigs=sigs,
        sizes=sizes,
        digests=digests,
        lengths=lengths,
        articles=stripped if state.want_articles else None,
    )


def _strip_fingerprint_task(task: tuple[int, int, _Pass2 | None]) -> _Printed:
    lo, hi, state = task
    if state is not None:  # spawned worker: the slice came with the task
        return _strip_fingerprint(state, 0, hi - lo)
    assert _INHERITED is not None, "pass-2 state was not inherited"
    return _strip_fingerprint(_INHERITED, lo, hi)


def _slice_state(state: _Pass2, lo: int, hi: int) -> _Pass2:
    got = state.collected
    first, last = int(got.offsets[lo]), int(got.offsets[hi])
    part = _Collected(
        articles=got.articles[lo:hi],
        rejections=[],
        flat=got.flat[:, first:last],
        offsets=got.offsets[lo : hi + 1] - first,
    )
    return attrs.evolve(state, collected=part)


def _pass2(state: _Pass2, jobs: int) -> _Printed:
    """Strip and fingerprint every article, over ``jobs`` processes; results in article order."""
    global _INHERITED  # noqa: PLW0603 - what forked workers inherit
    n = len(state.collected.articles)
    if jobs <= 1 or n <= _PASS2_MIN_CHUNK:
        return _strip_fingerprint(state, 0, n)
    size = min(_PASS2_MAX_CHUNK, max(_PASS2_MIN_CHUNK, -(-n // (4 * jobs))))
    bounds = [(lo, min(n, lo + size)) for lo in range(0, n, size)]
    context = pool_context()
    forked = context.get_start_method() == "fork"
    tasks = ((lo, hi, None if forked else _slice_state(state, lo, hi)) for lo, hi in bounds)
    parts: list[_Printed] = []
    _INHERITED = state if forked else None
    try:
        with open_pool(jobs, context) as pool:
            parts.extend(imap_bounded(_strip_fingerprint_task, tasks, jobs=jobs, pool=pool))
    finally:
        _INHERITED = None
    return _Printed(
        sigs=np.concatenate([p.sigs for p in parts]),
        sizes=np.concatenate([p.sizes for p in parts]),
        digests=[d for p in parts for d in p.digests],
        lengths=np.concatenate([p.lengths for p in parts]),
        articles=[a for p in parts for a in p.articles or ()] if state.want_articles else None,
    )


def _boilerplate_keys(collected: _Collected, config: BoilerplateConfig) -> npt.NDArray[np.int64]:
    """The learned boilerplate line keys, sorted (an empty array when there are none)."""
    if not (config.enabled and collected.articles):
        return np.empty(0, dtype=np.int64)
    model = _learn_flat(collected.flat, np.diff(collected.offsets), config)
    return np.sort(np.fromiter(model.boilerplate, dtype=np.int64, count=len(model.boilerplate)))


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
    return _resolve_clusters(articles, rejections, sigs, sizes, edges, text_lengths=None)


def _resolve_clusters(
    articles: Sequence[Article],
    rejections: Sequence[Rejection],
    sigs: npt.NDArray[np.uint32],
    sizes: npt.NDArray[np.int64],
    edges: npt.NDArray[np.int64],
    *,
    text_lengths: npt.NDArray[np.int64] | None,
) -> tuple[tuple[Decision, ...], tuple[Cluster, ...]]:
    """:func:`resolve_clusters`; ``text_lengths`` stand in for ``len(a.text)`` when given
    (the articles were stripped elsewhere and only their lengths came back)."""
    n = len(articles)
    labels = connected_components(n, edges)
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    multi = np.flatnonzero(counts[inverse.reshape(-1)] >= 2)
    days = np.zeros(n, dtype=np.int64)
    repairs = np.zeros(n, dtype=np.int64)
    lengths = np.zeros(n, dtype=np.int64)
    for i in multi.tolist():  # a singleton is its own canonical: it needs no key
        a = articles[i]
        days[i] = a.date.toordinal() if a.date is not None else 0
        repairs[i] = count_repairs(a.fixes)
        lengths[i] = len(a.text) if text_lengths is None else text_lengths[i]
    canonical, runner_up = choose_canonicals_from_arrays(
        labels, days=days, shingles=sizes, repairs=repairs, lengths=lengths
    )
    keys = {
        i: CanonicalKey(
            id=articles[i].id,
            date=articles[i].date,
            shingles=int(sizes[i]),
            length=int(lengths[i]),
            repairs=int(repairs[i]),
        )
        for i in np.unique(np.r_[canonical[multi], runner_up[multi]]).tolist()
    }
    ids = [a.id for a in articles]
    whys = explain_wins(labels, canonical, runner_up, keys)
    clusters = build_clusters(ids, labels, canonical, whys)
    return _decide(articles, rejections, sigs, sizes, canonical), clusters


def strip_corpus_boilerplate(articles: Sequence[Article], config: DedupConfig) -> list[Article]:
    """Learn the corpus's boilerplate lines and strip them from every article."""
    if not (config.boilerplate.enabled and articles):
        return list(articles)
    model = learn_boilerplate(articles, config.boilerplate)
    return [strip_boilerplate(a, model) for a in articles]


@pausing
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
    jobs = resolve_jobs(config.jobs)
    if jobs > 1:
        warm_up()  # forked workers inherit the compiled kernels
    with open_pool(jobs) as pool:
        collected = _collect_keyed(inputs, config, on_item, pool)
    clock.lap("ingest")
    state = _Pass2(
        collected=collected,
        boilerplate=_boilerplate_keys(collected, config.boilerplate),
        fingerprint=config.fingerprint,
        want_articles=keep_articles,
    )
    clock.lap("boilerplate")
    # Workers forked now inherit the articles: they strip and fingerprint a range each.
    printed = _pass2(state, jobs)
    del state
    articles = printed.articles if printed.articles is not None else collected.articles
    rejections = collected.rejections
    sigs, sizes, digests = printed.sigs, printed.sizes, printed.digests
    clock.lap("fingerprint")
    links = link_documents(sigs, sizes, digests, config)
    clock.lap("link")
    decisions, clusters = _resolve_clusters(
        articles, rejections, sigs, sizes, links.edges, text_lengths=printed.lengths
    )
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
    dup = np.flatnonzero(canonical != np.arange(len(articles)))
    sim, cont = score_against(sigs, sizes, dup, canonical[dup])
    scores = dict(zip(dup.tolist(), zip(sim.tolist(), cont.tolist(), strict=True), strict=True))
    rows: list[Decision] = []
    for i, (a, c) in enumerate(zip(articles, canonical.tolist(), strict=True)):
        if c == i:
            rows.append(Decision(id=a.id, path=a.path, status="kept", cluster=a.id))
            continue
        similarity, containment = scores[i]
        canon_id = articles[c].id
        rows.append(
            Decision(
                id=a.id,
                path=a.path,
                status="duplicate",
                cluster=canon_id,
                duplicate_of=canon_id,
                similarity=similarity,
                containment=containment,
            )
        )
    rows.extend(
        Decision(id=r.id, path=r.path, status="rejected", reason=f"{r.stage}: {r.reason}")
        for r in rejections
    )
    rows.sort(key=lambda d: d.id)
    return tuple(rows)
