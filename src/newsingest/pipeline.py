"""The batch run: :func:`dedup` orchestrates the stages on a crew of worker processes.

Pass 1 ingests and keys every document in the workers (:mod:`newsingest.ingest.run`,
the one per-document run), the main process learns the boilerplate from the keys
(:func:`~newsingest.matching.boilerplate.boilerplate_keys`), pass 2 strips and
fingerprints in the workers, and the linking core (:mod:`newsingest.matching.link`)
turns the arrays into edges, clusters and report rows. Between the passes a process
holds its articles up to a budget and writes the rest to a temporary spill file
(:mod:`newsingest._spill`), so memory does not hold the corpus's texts. No
decision rule is defined here: the index (:mod:`newsingest.store`) and Dask
(:mod:`newsingest.dask`) call the same core and so reach the same result.
"""

from __future__ import annotations

import bisect
import contextlib
import ctypes
import ctypes.util
import functools
import itertools
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from newsingest._arrays import expand_ranges
from newsingest._gc import paused, pausing
from newsingest._parallel import (
    Crew,
    WorkerState,
    chunked,
    open_crew,
    pool_context,
    resolve_jobs,
)
from newsingest._spill import ArticleFile, ArticleReader, SpillFile, text_bytes
from newsingest.config import BoilerplateConfig, DedupConfig, FingerprintConfig, IngestConfig
from newsingest.ingest.run import (
    UNIT_DOCUMENTS,
    PathLike,
    Unread,
    check_inputs,
    ingest_document,
    ingest_or_reject,
    ingest_unit,
    iter_articles,
    iter_units,
)
from newsingest.matching import boilerplate as _bp
from newsingest.matching.boilerplate import (
    BoilerplateModel,
    ParagraphKeys,
    learn_boilerplate,
    strip_boilerplate,
)
from newsingest.matching.fingerprint import fingerprint_batch, warm_up
from newsingest.matching.link import (
    Links,
    count_repairs,
    day_number,
    link_documents,
    resolve_clusters,
    run_params,
)
from newsingest.records import Article, DedupResult, Rejection

__all__ = [
    "SPILL_BYTES",
    "Links",
    "SpilledArticles",
    "dedup",
    "dedup_articles",
    "ingest_document",
    "ingest_or_reject",
    "iter_articles",
    "link_documents",
    "resolve_clusters",
    "strip_corpus_boilerplate",
]

log = logging.getLogger(__name__)

Progress = Callable[[Article | Rejection], None]

SPILL_BYTES = 8 << 20
"""How many bytes of article text a process holds between the passes before it writes
its articles' texts to a temporary file (:mod:`newsingest._spill`) instead."""


# ---------------------------------------------------------------- dedup


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(ctypes.util.find_library("c") or None).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    return trim


def _release_freed() -> None:
    """Give the pages the C allocator holds free back to the system.

    The replies of pass 1 and the articles a process wrote out leave free
    pages between the chunks still in use, which the allocator keeps: the
    next stage's peak would come on top of them in the resident set.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


class _Clock:
    """Wall time per stage, in the order the stages ran; ``on_stage`` hears each stage end."""

    def __init__(self, on_stage: Callable[[str], None] | None = None) -> None:
        self.timings: dict[str, float] = {}
        self._on_stage = on_stage
        self._start = self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + now - self._last
        if self._on_stage is not None:
            self._on_stage(stage)
        # What the caller does when told is not the stage's time.
        self._last = time.perf_counter()

    def total(self) -> dict[str, float]:
        return {**self.timings, "total": time.perf_counter() - self._start}


_Item = Article | Rejection
_PASS2_BATCH = 4096


@attrs.frozen
class _Keyed:
    """A worker's pass-1 reply for one unit; the unit's articles stay in that worker.

    This process needs only what sorts the articles (ids), what the report
    shows (paths), what ranks copies (dates, repair counts) and what learns the
    boilerplate (each article's distinct paragraph keys): a few numbers and
    strings per article. Pickling every article would cost the worker and this
    process more than the article's keys do, time taken from the workers on a
    machine with as many cores as workers.
    """

    ids: list[str]  # every item's, in the reader's order
    paths: list[str]
    rejected: dict[int, Rejection]  # by position among the items
    days: npt.NDArray[np.int64]  # per article: the date's ordinal, 0 for none
    repairs: npt.NDArray[np.int64]  # per article: count_repairs of its fixes
    distinct: npt.NDArray[np.int64]  # (2, total): see boilerplate.distinct_keys
    counts: npt.NDArray[np.int64]  # per article: how many distinct keys it has
    items: list[_Item] | None  # the items themselves, only for a caller watching them


def paragraph_keys(article: Article) -> ParagraphKeys:
    """The line key and word count of every paragraph, as :mod:`boilerplate` computes them."""
    return _bp.key_paragraphs(article.paragraphs)


@attrs.frozen
class _Spill:
    """Where a crew worker writes its articles' texts once it holds more than ``after``
    bytes of them; no folder: it holds them all (the caller wants the articles in the
    result). With ``articles`` it also writes every whole article there, to be read
    back after the run (:func:`dedup_articles`)."""

    folder: str | None
    after: int
    articles: bool = False


def _ingest_keyed_unit(
    state: WorkerState,
    unit: Sequence[Unread],
    *,
    config: IngestConfig,
    send_items: bool,
    spill: _Spill = _Spill(None, 0),
) -> _Keyed:
    """Pass 1 in a crew worker: (read,) ingest and key a unit; keep its articles and keys."""
    items: list[_Item] = []
    got: list[Article] = []
    rejected: dict[int, Rejection] = {}
    for done in ingest_unit(unit, config):
        if isinstance(done, Article):
            got.append(done)
        else:
            rejected[len(items)] = done
        items.append(done)
    # The unit's paragraphs keyed in one kernel call.
    flat, lengths = _bp.key_paragraph_groups([a.paragraphs for a in got])
    _keep(state, got, flat, lengths, spill)
    distinct, counts = _bp.distinct_keys(flat, lengths)
    return _Keyed(
        ids=[x.id for x in items],
        paths=[x.path for x in items],
        rejected=rejected,
        days=np.fromiter(
            (day_number(a.date) for a in got),
            dtype=np.int64,
            count=len(got),
        ),
        repairs=np.fromiter((count_repairs(a.fixes) for a in got), dtype=np.int64, count=len(got)),
        distinct=distinct,
        counts=counts,
        items=items if send_items else None,
    )


def _keep(
    state: WorkerState,
    got: list[Article],
    flat: npt.NDArray[np.int64],
    lengths: npt.NDArray[np.int64],
    spill: _Spill,
) -> None:
    """Keep a unit's articles and paragraph keys (``flat``, as
    :func:`~newsingest.matching.boilerplate.key_paragraph_groups` makes them) for
    pass 2: held, or in the spill file once the held texts pass the budget (those
    held until then go first)."""
    if spill.articles and spill.folder is not None:
        if "article_file" not in state:
            state["article_file"] = ArticleFile(spill.folder)
        state["article_file"].add(got)
    spilled: SpillFile | None = state.get("spill")
    if spilled is None and spill.folder is not None:
        state["held"] = state.get("held", 0) + text_bytes(got)
        if state["held"] > spill.after:
            spilled = state["spill"] = SpillFile(spill.folder)
            held = state.pop("flat", [])
            spilled.add(state.pop("articles", []), _concat(f[0] for f in held))
            state.pop("lengths", None)
            del held
            _release_freed()
    if spilled is not None:
        spilled.add(got, np.ascontiguousarray(flat[0]))
        return
    state.setdefault("articles", []).extend(got)
    state.setdefault("flat", []).append(flat)
    state.setdefault("lengths", []).append(lengths)


def _close_spill(state: WorkerState, _: None) -> ArticleReader | None:
    """Close the worker's spill files; the reader of its whole articles, if it wrote them."""
    spilled: SpillFile | None = state.pop("spill", None)
    if spilled is not None:
        spilled.close()
    written: ArticleFile | None = state.pop("article_file", None)
    return None if written is None else written.close()


class SpilledArticles(Mapping[str, Article]):
    """The articles of a :func:`dedup_articles` run, by id, read back from its spill
    folder as they are asked for and stripped of the run's boilerplate as the run's
    ``keep_articles`` result would hold them. Iterates the ids in id order.

    Valid inside the ``with`` block of :func:`dedup_articles` only: the files are
    removed when it ends.
    """

    def __init__(
        self,
        ids: list[str],
        where: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]],
        readers: list[ArticleReader | None],
        boilerplate: npt.NDArray[np.int64],
    ) -> None:
        self._ids = ids  # sorted
        self._worker, self._local = where
        self._readers = readers
        self._boilerplate = frozenset(boilerplate.tolist())

    def __len__(self) -> int:
        return len(self._ids)

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __getitem__(self, id_: str) -> Article:
        i = bisect.bisect_left(self._ids, id_)
        if i == len(self._ids) or self._ids[i] != id_:
            raise KeyError(id_)
        return self.at(i)

    def __contains__(self, id_: object) -> bool:
        i = bisect.bisect_left(self._ids, id_) if isinstance(id_, str) else len(self._ids)
        return i < len(self._ids) and self._ids[i] == id_

    def at(self, i: int) -> Article:
        """The ``i``-th article in id order."""
        reader = self._readers[int(self._worker[i])]
        if reader is None:  # pragma: no cover - every worker that kept articles wrote them
            raise KeyError(self._ids[i])
        article = reader.get(int(self._local[i]))
        return _bp.strip_by_keys(article, paragraph_keys(article), self._boilerplate)

    def close(self) -> None:
        for reader in self._readers:
            if reader is not None:
                reader.close()


def _units(
    inputs: Iterable[PathLike | Article], config: IngestConfig, jobs: int
) -> Iterator[Sequence[Unread]]:
    """Pass-1 work: chunks of given articles, then the units of the path inputs."""
    items = list(inputs)
    given: list[Unread] = [x for x in items if isinstance(x, Article)]
    paths = [os.fsdecode(x) for x in items if not isinstance(x, Article)]
    yield from chunked(given, UNIT_DOCUMENTS)
    yield from iter_units(paths, config, jobs)


@attrs.frozen
class _Collected:
    """Pass-1 output, one row per article, sorted by id; the articles stay in the crew.

    Article ``i`` is article ``local[i]`` of crew worker ``worker[i]``; its
    distinct paragraph keys are ``distinct[:, offsets[i]:offsets[i + 1]]``.
    """

    ids: list[str]
    paths: list[str]
    days: npt.NDArray[np.int64]
    repairs: npt.NDArray[np.int64]
    worker: npt.NDArray[np.int64]
    local: npt.NDArray[np.int64]
    distinct: npt.NDArray[np.int64]
    offsets: npt.NDArray[np.int64]
    rejections: list[Rejection]
    held: list[int]  # how many articles each worker keeps, repeated inputs included


def _collect_keyed(
    inputs: Iterable[PathLike | Article],
    config: DedupConfig,
    on_item: Progress | None,
    crew: Crew,
    on_progress: Callable[[int, int], None] | None = None,
    *,
    spill: _Spill = _Spill(None, 0),
) -> _Collected:
    """Ingest and key every document in ``crew``, which keeps the articles; one row per id."""
    work = partial(
        _ingest_keyed_unit, config=config.ingest, send_items=on_item is not None, spill=spill
    )
    ids: list[str] = []
    paths: list[str] = []
    rejections: list[Rejection] = []
    parts: list[_Keyed] = []
    workers: list[npt.NDArray[np.int64]] = []
    locals_: list[npt.NDArray[np.int64]] = []
    keep: list[npt.NDArray[np.bool_]] = []
    held = [0] * crew.size  # articles each worker keeps so far
    seen: set[str] = set()
    for w, part in crew.imap(work, _units(inputs, config.ingest, crew.size)):
        if on_item is not None:
            for item in part.items or ():
                on_item(item)
        if on_progress is not None:
            on_progress(len(part.ids), len(part.rejected))
        kept = np.ones(part.days.size, dtype=bool)
        k = 0
        for pos, (id_, path) in enumerate(zip(part.ids, part.paths, strict=True)):
            twice = id_ in seen
            if twice:
                # The same file named twice (repeated arguments) is one document, one row.
                log.warning("%s was given more than once; it is counted once", id_)
            seen.add(id_)
            rejection = part.rejected.get(pos)
            if rejection is not None:
                if not twice:
                    rejections.append(rejection)
                continue
            if twice:
                kept[k] = False
            else:
                ids.append(id_)
                paths.append(path)
            k += 1
        parts.append(attrs.evolve(part, ids=[], paths=[], items=None))
        workers.append(np.full(kept.size, w, dtype=np.int64))
        locals_.append(np.arange(held[w], held[w] + kept.size, dtype=np.int64))
        held[w] += kept.size
        keep.append(kept)
    rejections.sort(key=lambda r: r.id)
    order = np.asarray(sorted(range(len(ids)), key=ids.__getitem__), dtype=np.int64)
    kept_rows = np.flatnonzero(_concat(keep, bool))[order]

    def rows(arrays: Iterable[npt.NDArray[np.int64]]) -> npt.NDArray[np.int64]:
        """One value per article, kept rows only, in id order."""
        got: npt.NDArray[np.int64] = _concat(arrays)[kept_rows]
        return got

    days, repairs = rows(p.days for p in parts), rows(p.repairs for p in parts)
    counts_all = _concat(p.counts for p in parts)
    count = rows([counts_all])
    offsets = np.zeros(len(order) + 1, dtype=np.int64)
    np.cumsum(count, out=offsets[1:])
    starts = rows([np.cumsum(counts_all) - counts_all])
    distinct = np.empty((2, 0), np.int64)
    if parts:
        distinct = np.concatenate([p.distinct for p in parts], axis=1)
    parts.clear()  # their keys are all in ``distinct`` now
    return _Collected(
        ids=[ids[i] for i in order.tolist()],
        paths=[paths[i] for i in order.tolist()],
        days=days,
        repairs=repairs,
        worker=rows(workers),
        local=rows(locals_),
        distinct=_gather_runs(distinct, starts, count, offsets),
        offsets=offsets,
        rejections=rejections,
        held=held,
    )


_GATHER_ROWS = 1 << 16


def _gather_runs(
    values: npt.NDArray[np.int64],
    starts: npt.NDArray[np.int64],
    counts: npt.NDArray[np.int64],
    offsets: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    """The columns ``starts[i]:starts[i] + counts[i]`` of ``values`` for each ``i``, one
    run after another (``offsets`` are the runs' starts in the result); a block of
    runs at a time, so the positions taken never exist for all the runs at once."""
    out = np.empty((values.shape[0], int(offsets[-1])), dtype=values.dtype)
    for lo in range(0, counts.size, _GATHER_ROWS):
        hi = min(lo + _GATHER_ROWS, counts.size)
        _, take = expand_ranges(starts[lo:hi], counts[lo:hi])
        out[:, int(offsets[lo]) : int(offsets[hi])] = values[:, take]
    return out


def _concat(arrays: Iterable[npt.NDArray[Any]], dtype: type = np.int64) -> npt.NDArray[Any]:
    got = list(arrays)
    return np.concatenate(got) if got else np.empty(0, dtype=dtype)


def learn_boilerplate_keys(
    keys: Sequence[ParagraphKeys], config: BoilerplateConfig
) -> BoilerplateModel:
    """:func:`~newsingest.matching.boilerplate.learn_boilerplate` from precomputed paragraph keys.

    Equal to learning from the articles (tested): the keys are what the
    learner would compute, and its decisions depend on document sets only.
    """
    lengths = np.fromiter((k.shape[1] for k in keys), dtype=np.int64, count=len(keys))
    flat = np.concatenate(keys, axis=1) if keys else np.empty((2, 0), dtype=np.int64)
    distinct, counts = _bp.distinct_keys(flat, lengths)
    return _bp.learn_boilerplate_from_keys(distinct[0], distinct[1], counts, config)


@attrs.frozen
class _Strip:
    """Pass 2, sent to every crew worker for the articles it keeps: the learned boilerplate."""

    boilerplate: npt.NDArray[np.int64]
    fingerprint: FingerprintConfig
    want_articles: bool
    lo: int = 0  # the range of the worker's articles this task is for
    hi: int = 0


@attrs.frozen
class _Printed:
    """Pass-2 results for a run of articles, as arrays."""

    sigs: npt.NDArray[np.uint32]
    sizes: npt.NDArray[np.int64]
    digests: list[bytes]
    lengths: npt.NDArray[np.int64]  # len(text) of each stripped article
    articles: list[Article] | None  # the stripped articles, when the caller keeps them


def _strip_fingerprint(state: WorkerState, task: _Strip) -> _Printed:
    """Pass 2 in a crew worker: strip and fingerprint articles ``task.lo:task.hi`` of those
    it kept."""
    spilled: SpillFile | None = state.get("spill")
    if spilled is not None:
        texts, _, _ = spilled.stripped_texts(task.lo, task.hi, task.boilerplate)
        return _print(texts, None, task)
    articles: list[Article] = state.get("articles", [])
    if "offsets" not in state:
        flats = state.get("flat", [])
        state["flat"] = np.concatenate(flats or [np.empty((2, 0), np.int64)], axis=1)
        state["offsets"] = np.zeros(len(articles) + 1, dtype=np.int64)
        np.cumsum(_concat(state.get("lengths", [])), out=state["offsets"][1:])
    flat, offsets = state["flat"], state["offsets"]
    keys = flat[0, int(offsets[task.lo]) : int(offsets[task.hi])]
    lengths = np.diff(offsets[task.lo : task.hi + 1])
    mine = articles[task.lo : task.hi]
    if not task.want_articles:
        # Only the stripped texts are needed: no stripped Article is built.
        return _print(_bp.stripped_texts(mine, keys, lengths, task.boilerplate), None, task)
    hits = _bp.paragraph_hits(keys, lengths, task.boilerplate)
    stripped = [_bp.drop_paragraphs(a, hits[j]) if j in hits else a for j, a in enumerate(mine)]
    return _print([a.text for a in stripped], stripped, task)


def _print(texts: list[str], stripped: list[Article] | None, task: _Strip) -> _Printed:
    sigs, sizes, digests = fingerprint_batch(texts, task.fingerprint)
    return _Printed(
        sigs=sigs,
        sizes=sizes,
        digests=digests,
        lengths=np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)),
        articles=stripped,
    )


def _pass2(crew: Crew, collected: _Collected, task: _Strip) -> _Printed:
    """Every worker strips and fingerprints what it kept; the rows come back in id order.

    A worker's articles go in ranges of ``_PASS2_BATCH``: the texts of a range
    are built at once, and this process puts a range's rows in place while the
    workers go on with the next, so little is left to do after the last one.
    """
    n = len(collected.ids)
    sigs = np.empty((n, task.fingerprint.num_perm), dtype=np.uint32)
    sizes = np.empty(n, dtype=np.int64)
    lengths = np.empty(n, dtype=np.int64)
    digests: list[bytes] = [b""] * n
    articles: list[Article | None] = [None] * n if task.want_articles else []
    # Where each worker's article goes: its row in id order (-1: a repeated input, dropped).
    row_of = [np.full(held, -1, dtype=np.int64) for held in collected.held]
    for w, rows in enumerate(row_of):
        mine = np.flatnonzero(collected.worker == w)
        rows[collected.local[mine]] = mine
    ranges = [
        [
            attrs.evolve(task, lo=lo, hi=min(held, lo + _PASS2_BATCH))
            for lo in range(0, held, _PASS2_BATCH)
        ]
        for held in collected.held
    ]
    for w, sent, part in crew.each(_strip_fingerprint, ranges):
        rows = row_of[w][sent.lo : sent.hi]
        use = rows >= 0
        rows = rows[use]
        sigs[rows] = part.sigs[use]
        sizes[rows] = part.sizes[use]
        lengths[rows] = part.lengths[use]
        at, kept = rows.tolist(), use.tolist()
        for i, digest in zip(at, itertools.compress(part.digests, kept), strict=True):
            digests[i] = digest
        for i, article in zip(at, itertools.compress(part.articles or (), kept), strict=False):
            articles[i] = article  # only when the caller keeps them
    return _Printed(
        sigs=sigs,
        sizes=sizes,
        digests=digests,
        lengths=lengths,
        articles=[a for a in articles if a is not None] if task.want_articles else None,
    )


def strip_corpus_boilerplate(articles: Sequence[Article], config: DedupConfig) -> list[Article]:
    """Learn the corpus's boilerplate lines and strip them from every article."""
    if not (config.boilerplate.enabled and articles):
        return list(articles)
    model = learn_boilerplate(articles, config.boilerplate)
    return [strip_boilerplate(a, model) for a in articles]


@pausing
def dedup(
    inputs: Iterable[PathLike | Article] | PathLike,
    config: DedupConfig = DedupConfig(),
    *,
    keep_articles: bool = False,
    on_item: Progress | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    on_stage: Callable[[str], None] | None = None,
    spill_bytes: int = SPILL_BYTES,
) -> DedupResult:
    """Find the copies among the articles under ``inputs`` and decide which to keep.

    ``inputs`` are folders, files or already-ingested :class:`Article` records.
    The result has one :class:`Decision` per document (sorted by id) and does
    not depend on input order or on ``config.jobs``. ``on_item`` is called for
    each document as it is ingested, with its Article or Rejection: with
    workers that costs sending every article to this process.
    ``on_progress(documents, rejected)`` is the cheap alternative for a
    progress display: it is called with counts as each chunk is ingested.
    ``on_stage(name)`` is called as each stage ends, with its name in
    ``result.timings`` (a benchmark's hook to measure memory by stage).

    Between the passes each process holds its articles until their texts pass
    ``spill_bytes``; it then writes them to a temporary file, removed before
    this returns, and reads them back in pass 2 (the result is the same). With
    ``keep_articles`` nothing is written out: the result holds every article.

    >>> result = dedup(["examples/articles"])  # doctest: +SKIP
    >>> [c.members for c in result.clusters]  # doctest: +SKIP

    A single path (``dedup("folder")``) is one input, not a sequence of characters.
    """
    items = check_inputs(inputs, "dedup")
    _check_run(config, spill_bytes, "dedup")
    clock = _Clock(on_stage)
    jobs = resolve_jobs(config.jobs)
    if jobs > 1:
        warm_up()  # forked workers inherit the compiled kernels
    # The crew's workers keep the articles they ingest, and strip and fingerprint
    # them in pass 2 once the boilerplate is learned: an article never crosses
    # a pipe unless the caller keeps it. The crew is closed once the result is
    # made: freeing the articles is not part of any stage. The spill folder is
    # removed after the crew has stopped, in the system's temporary folder,
    # never beside the inputs or outputs.
    with (
        tempfile.TemporaryDirectory(prefix="newsingest-", ignore_cleanup_errors=True) as folder,
        open_crew(jobs, pool_context() if jobs > 1 else None) as crew,
    ):
        return _dedup(
            crew,
            clock,
            items,
            config,
            keep_articles=keep_articles,
            on_item=on_item,
            on_progress=on_progress,
            spill=_Spill(None if keep_articles else folder, spill_bytes),
        )


@contextlib.contextmanager
def dedup_articles(
    inputs: Iterable[PathLike | Article] | PathLike,
    config: DedupConfig = DedupConfig(),
    *,
    on_progress: Callable[[int, int], None] | None = None,
    on_stage: Callable[[str], None] | None = None,
    spill_bytes: int = SPILL_BYTES,
) -> Iterator[tuple[DedupResult, SpilledArticles]]:
    """:func:`dedup`, with the articles read back from disk instead of held in memory.

    Yields the result (without ``articles``) and a :class:`SpilledArticles`: every
    article by id, stripped as ``dedup(..., keep_articles=True)`` would hold it.
    The run writes each whole article to its spill folder, which is removed when
    the ``with`` block ends; what needs the articles after the run (the kept
    articles as JSON Lines, the review page) reads them inside the block.

    >>> with dedup_articles(["examples/articles"]) as (result, articles):  # doctest: +SKIP
    ...     write_kept_jsonl(result, "kept.jsonl", articles=articles)
    """
    items = check_inputs(inputs, "dedup_articles")
    _check_run(config, spill_bytes, "dedup_articles")
    clock = _Clock(on_stage)
    jobs = resolve_jobs(config.jobs)
    if jobs > 1:
        warm_up()
    with tempfile.TemporaryDirectory(prefix="newsingest-", ignore_cleanup_errors=True) as folder:
        with paused(), open_crew(jobs, pool_context() if jobs > 1 else None) as crew:
            found: list[SpilledArticles] = []
            result = _dedup(
                crew,
                clock,
                items,
                config,
                keep_articles=False,
                on_item=None,
                on_progress=on_progress,
                spill=_Spill(folder, spill_bytes, articles=True),
                found=found,
            )
        (articles,) = found
        try:
            yield result, articles
        finally:
            articles.close()


def _check_run(config: DedupConfig, spill_bytes: int, name: str) -> None:
    if not isinstance(config, DedupConfig):
        raise TypeError(
            f"{name}: config must be a DedupConfig, not {type(config).__name__} "
            "(leave it out for the defaults)"
        )
    if spill_bytes < 0:
        raise ValueError(f"{name}: spill_bytes must be 0 or more, got {spill_bytes}")


def _dedup(
    crew: Crew,
    clock: _Clock,
    inputs: Iterable[PathLike | Article],
    config: DedupConfig,
    *,
    keep_articles: bool,
    on_item: Progress | None,
    on_progress: Callable[[int, int], None] | None,
    spill: _Spill,
    found: list[SpilledArticles] | None = None,
) -> DedupResult:
    """The stages; with ``spill.articles``, ``found`` gets the articles the workers wrote."""
    collected = _collect_keyed(inputs, config, on_item, crew, on_progress, spill=spill)
    _release_freed()
    clock.lap("ingest")
    task = _Strip(
        boilerplate=_bp.boilerplate_keys(
            collected.distinct[0],
            collected.distinct[1],
            np.diff(collected.offsets),
            config.boilerplate,
        ),
        fingerprint=config.fingerprint,
        want_articles=keep_articles,
    )
    # The keys are not needed after the boilerplate is learned.
    collected = attrs.evolve(collected, distinct=np.empty((2, 0), dtype=np.int64))
    _release_freed()
    clock.lap("boilerplate")
    printed = _pass2(crew, collected, task)
    readers: list[ArticleReader | None] = [None] * crew.size
    for w, _, reader in crew.each(_close_spill, [[None]] * crew.size):
        readers[w] = reader
    if found is not None:
        where = (collected.worker, collected.local)
        found.append(SpilledArticles(collected.ids, where, readers, task.boilerplate))
    rejections = collected.rejections
    sigs, sizes, digests = printed.sigs, printed.sizes, printed.digests
    clock.lap("fingerprint")
    links = link_documents(sigs, sizes, digests, config)
    clock.lap("link")
    days, repairs, lengths = collected.days, collected.repairs, printed.lengths
    decisions, clusters = resolve_clusters(
        collected.ids,
        collected.paths,
        rejections,
        sigs,
        sizes,
        edges=links.edges,
        ranks=lambda members: (days[members], repairs[members], lengths[members]),
    )
    clock.lap("cluster")

    params = run_params(
        config,
        candidate_pairs=links.candidate_pairs,
        accepted_pairs=links.accepted_pairs,
        exact_duplicates=links.exact_duplicates,
    )
    return DedupResult(
        decisions=decisions,
        clusters=clusters,
        rejections=tuple(rejections),
        params=params,
        timings=clock.total(),
        articles=tuple(printed.articles or ()),
    )
