"""The persistent index at scale: insert rate, size, memory, query latency, daily update.

Usage::

    python benchmarks/index.py --docs 1000000 --work /tmp/idx [--json out.json]

Signatures come from a fast seeded generator, not from texts: each document is
a fresh random signature or, with probability ``--dup-rate``, a near copy of an
earlier one (``--noise`` of its values redrawn, Jaccard ≈ 1 - noise) or an
exact copy (same digest). They go through :meth:`Index.add_fingerprints`, the
store's fingerprint-level path (no article JSON, no boilerplate), in batches of
``--batch``. Measured:

* insert throughput (documents/s) and database size per document;
* peak RSS of this process while adding (``ru_maxrss``);
* query latency for one fingerprint at full size (median and p99 of ``--queries``);
* adding a real day to the full index, end to end: ``--day-files`` (folders or
  files of articles, e.g. 10,000 text files) through :meth:`Index.add` (open, read,
  decode, extract, repair, boilerplate, fingerprint, link, cluster, commit, close);
* the alternative, re-running the whole corpus: :func:`newsingest.pipeline.dedup`
  on the first N files of ``--corpus`` for each N of ``--corpus-sizes``, and the
  line through the two largest runs (a fixed part plus a cost per article)
  extrapolated to the index's size plus the day. The ratio of the two is the goal
  (≥ 50×). The day and each run have a fresh process of their own, timed after
  its imports, so both pay the one-time loads (numba kernels, chardet's model);
* the day's own batch, :func:`~newsingest.pipeline.dedup` of ``--day-files``
  alone (fresh process): what the day would cost if the index cost nothing. The
  whole corpus over it is the best ratio any index could reach; the goal leaves
  the index ``whole / 50 - own batch`` seconds;
* a whole merge cycle (``--cycle-days``): synthetic days, each in a fresh session,
  until the runs have merged into ``bands`` twice; the cycle's mean day against its
  median gives an estimate of a real day averaged over the cycle;
* real-text days in a row (``--real-days N``): generated articles of four outlets,
  ``--day`` a day, added to a new index, so that the verdicts meet stored articles;
* for reference, a synthetic 10k day by fingerprint and the batch
  :func:`newsingest.pipeline.link_documents` over every fingerprint in memory.

    python benchmarks/index.py --docs 1000000 --work /tmp/idx \\
        --day-files /tmp/newsingest-speed/corpus-s1-n50000/articles/00[0-9] \\
        --corpus /tmp/newsingest-speed/corpus-s1-n50000/articles \\
        --corpus-sizes 20000,50000 --json out.json
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import shutil
import sqlite3
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import (
    format_table,
    machine_info,
    peak_rss_mb,
    print_result,
    run_child,
    warm_page_cache,
    write_json,
)
from benchmarks.report import (
    INDEX_GOAL,
    cycle_rows,
    day_batch_rows,
    growth_rows,
    real_days_rows,
    whole_corpus_rows,
)
from newsingest.config import DedupConfig
from newsingest.pipeline import dedup, link_documents
from newsingest.store import Index

NUM_PERM = 128


class SyntheticCorpus:
    """Seeded signatures with planted near and exact copies; keeps every signature made."""

    def __init__(self, seed: int, dup_rate: float, noise: float, capacity: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.dup_rate = dup_rate
        self.noise = noise
        self.sigs = np.empty((capacity, NUM_PERM), dtype=np.uint32)
        self.sizes = np.empty(capacity, dtype=np.int64)
        self.digests: list[bytes] = []
        self.n = 0

    def take(
        self, count: int
    ) -> tuple[list[str], npt.NDArray[np.uint32], npt.NDArray[np.int64], list[bytes]]:
        lo, hi = self.n, self.n + count
        rng = self.rng
        sigs = rng.integers(0, 2**32 - 1, size=(count, NUM_PERM), dtype=np.uint32)
        sizes = rng.integers(80, 1500, size=count).astype(np.int64)
        digests = [b""] * count
        copy = (rng.random(count) < self.dup_rate) & (lo > 0)
        exact = copy & (rng.random(count) < 0.2)
        sources = rng.integers(0, max(lo, 1), size=count)
        for i in np.flatnonzero(copy):
            src = int(sources[i])
            sigs[i] = self.sigs[src]
            sizes[i] = self.sizes[src]
            if exact[i]:
                digests[i] = self.digests[src]
            else:
                redraw = rng.random(NUM_PERM) < self.noise
                sigs[i, redraw] = rng.integers(
                    0, 2**32 - 1, size=int(redraw.sum()), dtype=np.uint32
                )
        for i in range(count):
            if not digests[i]:
                digests[i] = hashlib.blake2b(sigs[i].tobytes(), digest_size=16).digest()
        self.sigs[lo:hi] = sigs
        self.sizes[lo:hi] = sizes
        self.digests.extend(digests)
        self.n = hi
        return [f"doc{j:08d}" for j in range(lo, hi)], sigs, sizes, digests


def add_day(db: Path, paths: list[str], jobs: int) -> dict[str, Any]:
    """The child side of the real day: open the index, add ``paths``, close; timed."""
    # Opening and closing count: a daily job does both (closing may checkpoint the WAL).
    config = stored_config(db, jobs)
    t0 = time.perf_counter()
    c0 = time.process_time()
    with Index.open(db, config) as index:
        result = index.add(paths)
    return {
        "real_day_seconds": time.perf_counter() - t0,
        # This process only (with --jobs > 1 the workers' ingest is not in it):
        # less sensitive than the wall time to other jobs on a shared machine.
        "real_day_cpu_seconds": time.process_time() - c0,
        "real_day_documents": len(result.decisions),
        "real_day_rejected": len(result.rejections),
        "real_day_timings": result.timings,
        "real_day_joined_existing": result.params.index.joined_existing,
        "real_day_accepted_pairs": result.params.accepted_pairs,
    }


def stored_config(db: Path, jobs: int) -> DedupConfig:
    """The settings the index at ``db`` was made with (a new one: the defaults), with ``jobs``.

    A history built before a default changed stays usable: its own settings are used.
    """
    if not db.exists():
        return DedupConfig(jobs=jobs)
    with Index.open(db, readonly=True) as index:
        return attrs.evolve(index.config, jobs=jobs)


def list_files(folder: Path, count: int) -> list[str]:
    """The first ``count`` files under ``folder`` in path order (a fixed, reproducible slice)."""
    files = sorted(str(p) for p in folder.rglob("*") if p.is_file())
    if len(files) < count:
        raise SystemExit(f"{folder}: {len(files)} files, fewer than the {count} asked for")
    return files[:count]


def measure_whole_corpus(folder: Path, count: int, jobs: int) -> dict[str, Any]:
    """``pipeline.dedup`` on the first ``count`` files: wall time and the cost per article."""
    return measure_dedup(list_files(folder, count), jobs)


def measure_dedup(files: list[str], jobs: int) -> dict[str, Any]:
    """``pipeline.dedup`` on ``files`` (files or folders): wall time and cost per article."""
    config = DedupConfig(jobs=jobs)
    t0 = time.perf_counter()
    c0 = time.process_time()
    result = dedup(files, config)
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    docs = len(result.decisions)
    return {
        "paths": len(files),
        "documents": docs,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "ms_per_article": 1000 * seconds / docs,
        "timings": result.timings,
        "peak_rss_mb": peak_rss_mb(),
    }


def whole_corpus_line(runs: list[dict[str, Any]]) -> tuple[float, float]:
    """(fixed seconds, seconds per article) of the line through the two largest runs.

    A run pays some costs once (loading the numba kernels, chardet's model, the
    worker pool): dividing a run's time by its articles would charge them again
    for every article of the extrapolated corpus and flatter the ratio. With one
    run only, there is no fixed part to separate.
    """
    if len(runs) < 2:
        return 0.0, runs[-1]["seconds"] / runs[-1]["documents"]
    a, b = sorted(runs, key=lambda r: r["documents"])[-2:]
    slope = (b["seconds"] - a["seconds"]) / (b["documents"] - a["documents"])
    return max(0.0, b["seconds"] - slope * b["documents"]), slope


def index_budget(whole: float, own_batch: float, real_day: float) -> dict[str, float]:
    """What the goal (``INDEX_GOAL`` times faster) leaves the index, from the day's own
    batch (``dedup`` of its files).

    The day does at least what re-running does for its own articles, so the ratio can be no
    better than ``whole / own_batch``; the rest of the day is the index's share.
    """
    return {
        "free_index_ratio": whole / own_batch,
        "index_seconds_in_day": real_day - own_batch,
        "index_budget_at_goal": whole / INDEX_GOAL - own_batch,
    }


def merge_cycle(db: Path, corpus: SyntheticCorpus, day: int, limit: int) -> dict[str, Any]:
    """Synthetic days, each in a fresh session, until the runs have merged into ``bands`` twice.

    One day's cost depends on where it falls between two merges: how many runs its
    new run is merged with, and whether it is the merge day itself. The days after
    the first merge, up to and including the second, are one whole cycle: their mean
    is what a day costs on average.
    """
    seconds: list[float] = []
    merged: list[bool] = []
    while len(seconds) < limit and sum(merged) < 2:
        ids, sigs, sizes, digests = corpus.take(day)
        t0 = time.perf_counter()
        with Index.open(db) as index:
            params = index.add_fingerprints(ids, sigs, sizes, digests)
        seconds.append(time.perf_counter() - t0)
        merged.append(bool(params.merged_band_keys))
        print(f"  cycle day {len(seconds)}: {seconds[-1]:.2f} s{' (merge)' if merged[-1] else ''}")
    out: dict[str, Any] = {"seconds": seconds, "merged": merged, "complete": sum(merged) == 2}
    if out["complete"]:
        cycle = seconds[merged.index(True) + 1 :]
        out.update(
            days=len(cycle),
            mean=statistics.mean(cycle),
            median=statistics.median(cycle),
            merge_day=cycle[-1],
            max_other=max(cycle[:-1], default=0.0),
        )
    return out


def real_days(work: Path, days: int, per_day: int, seed: int) -> dict[str, Any]:
    """Generated real-text days added one after another to a new index, each in a session.

    The 1M index above holds fingerprints only: no stored document has paragraph
    keys, so a day's boilerplate verdicts see the day alone. Here every stored
    document is an article of the scale benchmark's generator (four outlets, each
    with its promo and footer on every article; a fifth are copies), so a day's
    verdicts are recomputed on the component of its keys among everything stored.
    """
    from benchmarks import scale  # noqa: PLC0415 - only this measurement needs it

    if per_day % scale.SHARD:
        raise SystemExit(f"--real-days needs --day in whole shards of {scale.SHARD} articles")
    folder = work / "real-days"
    folder.mkdir()
    shards = scale.generate(folder, days * per_day, seed=seed)
    per = per_day // scale.SHARD
    db = work / "real-days.db"
    out = []
    for day in range(days):
        files = shards[day * per : (day + 1) * per]
        for name in files:
            Path(name).read_bytes()  # from the page cache, as the other days
        t0 = time.perf_counter()
        c0 = time.process_time()
        with Index.open(db, DedupConfig()) as index:
            result = index.add(files)
        seconds = time.perf_counter() - t0
        out.append(
            {
                "stored_before": day * per_day,
                "seconds": seconds,
                "cpu_seconds": time.process_time() - c0,
                "timings": dict(result.timings),
                "merged": bool(result.params.index.merged_band_keys),
            }
        )
        verdicts = result.timings.get("boilerplate verdicts", 0.0)
        print(
            f"  real day {day + 1} onto {day * per_day:,} stored: {seconds:.2f} s "
            f"(CPU {out[-1]['cpu_seconds']:.2f} s, verdicts {verdicts:.2f} s)"
            f"{' (merge)' if out[-1]['merged'] else ''}",
            flush=True,
        )
    shutil.rmtree(folder)
    return {"per_day": per_day, "days": out}


# ---------------------------------------------------------------- growth with history

FILL_CHUNK = 200_000
"""Documents generated and written per step of :func:`fill_history`."""


def fill_history(
    db: Path, target: int, seed: int, scratch: Path, *, before_merge: int = 0
) -> dict[str, Any]:
    """Extend the index at ``db`` to ``target`` synthetic fingerprint-only documents.

    Direct SQL, not :meth:`Index.add_fingerprints`: ten million documents through the
    update path would take hours here. The rows are what that path writes for
    documents that match nothing (every signature is fresh: one representative per
    digest, its own cluster, no edges, no paragraph keys), with their band keys in the
    merged ``bands`` B-tree (inserted band by band in key order) and their fingerprints
    in ``band_filter``, as after a merge. The index is opened with :class:`Index` first,
    so the schema and settings are the store's own.

    ``before_merge`` (a day's size): the newest documents' band keys go to one run
    instead, as many as the runs can hold with that day added and no merge, the
    worst point of a merge cycle (:meth:`BandStore.merge_if_grown`).
    """
    from newsingest.store.bands import (  # noqa: PLC0415
        _MERGE_MIN_DOCS,
        _MERGE_SHARE,
        BandStore,
        add_to_filter,
        band_keys,
        fingerprints,
    )

    with Index.open(db, stored_config(db, 1)) as index:
        bands, rows = index.bands, index.rows
        start = index.stats()["documents"]
    if start > target:
        raise SystemExit(f"{db}: holds {start:,} documents, more than the {target:,} asked for")
    if start == target:
        return {"documents": start, "seconds": 0.0}
    t0 = time.perf_counter()
    count = target - start
    rng = np.random.default_rng([seed, start])
    conn = sqlite3.connect(db, isolation_level=None)
    # A scratch build: no journal, no syncs (a crash means building it again).
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -1000000")
    first = int(conn.execute("SELECT COALESCE(MAX(doc), 0) + 1 FROM documents").fetchone()[0])
    in_runs = 0
    if before_merge:
        held = int(conn.execute("SELECT COALESCE(SUM(rows), 0) FROM band_runs").fetchone()[0])
        room = max(_MERGE_MIN_DOCS, target // _MERGE_SHARE) - held // bands - before_merge
        in_runs = min(count, max(0, room))
    keys_file = scratch / "fill-keys.i8"
    keys = np.lib.format.open_memmap(keys_file, mode="w+", dtype=np.int64, shape=(bands, count))
    conn.execute("BEGIN")
    for lo in range(0, count, FILL_CHUNK):
        n = min(FILL_CHUNK, count - lo)
        sigs = rng.integers(0, 2**32 - 1, size=(n, NUM_PERM), dtype=np.uint32)
        sizes = rng.integers(80, 1500, size=n).tolist()
        digests = rng.bytes(16 * n)
        keys[:, lo : lo + n] = band_keys(sigs, bands, rows).T
        docs = range(first + lo, first + lo + n)
        conn.executemany(
            "INSERT INTO documents(doc, id, path, digest, signature, shingles, length, "
            "repairs, rep, cluster) VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?5, 0, 1, ?1)",
            (
                (doc, f"syn{doc:09d}", digests[16 * i : 16 * i + 16], sigs[i].tobytes(), sizes[i])
                for i, doc in enumerate(docs)
            ),
        )
    if in_runs:
        store = BandStore(conn, bands=bands, rows=rows, bucket_cap=1000)
        run_docs = np.arange(first + count - in_runs, first + count, dtype=np.int64)
        store.write_run(*store.run_order(run_docs, np.array(keys[:, count - in_runs :]).T))
        count -= in_runs
    doc_ids = np.arange(first, first + count, dtype=np.int64)
    for b in range(bands):
        col = np.array(keys[b, :count])
        order = np.argsort(col)
        col, band_docs = col[order], doc_ids[order]
        for lo in range(0, count, 1 << 20):
            part = slice(lo, lo + (1 << 20))
            conn.executemany(
                "INSERT INTO bands(band, key, doc) VALUES (?, ?, ?)",
                zip(
                    [b] * len(col[part]),
                    col[part].tolist(),
                    band_docs[part].tolist(),
                    strict=True,
                ),
            )
    # One band's fingerprints at a time, as a merge writes them.
    add_to_filter(conn, bands, lambda b, k=keys: fingerprints(np.array(k[b, :count])))
    del keys
    keys_file.unlink()
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    return {"documents": target, "in_runs": in_runs, "seconds": time.perf_counter() - t0}


def day_at_size(db: Path, files: list[str], jobs: int, queries: int) -> dict[str, Any]:
    """The child side of one growth measurement: the day, queries, then the day removed.

    The day is timed as :func:`add_day` times it (fresh process, open and close
    included) and its peak RSS read before anything else runs. Then, in a new session,
    one-article queries: :meth:`Index.query` of stored articles of the day (stripped
    with the stored verdicts, fingerprinted, matched) and :meth:`Index.query_fingerprint`
    of fresh signatures. Last, untimed, the day is removed, so the next size starts
    from the synthetic history alone.
    """
    from newsingest.ingest.run import iter_articles  # noqa: PLC0415
    from newsingest.records import Article  # noqa: PLC0415

    out = add_day(db, files, jobs)
    out["peak_rss_mb"] = peak_rss_mb()
    ingest = attrs_evolve_prefix(DedupConfig().ingest)
    articles = [a for a in iter_articles(files, ingest) if isinstance(a, Article)]
    rng = np.random.default_rng(11)
    picks = rng.choice(len(articles), size=min(queries, len(articles)), replace=False)
    with Index.open(db) as index:
        index.query(articles[int(picks[0])])  # the first query reads the runs and the filter
        article_ms = []
        for i in picks.tolist():
            t0 = time.perf_counter()
            index.query(articles[i])
            article_ms.append(1000 * (time.perf_counter() - t0))
        fp_ms = []
        for _ in range(queries):
            sig = rng.integers(0, 2**32 - 1, size=NUM_PERM, dtype=np.uint32)
            digest = hashlib.blake2b(sig.tobytes(), digest_size=16).digest()
            t0 = time.perf_counter()
            index.query_fingerprint(sig, 500, digest)
            fp_ms.append(1000 * (time.perf_counter() - t0))
        removed = index.remove([a.id for a in articles])
    out.update(
        query_article_ms=_quantiles(article_ms),
        query_fingerprint_ms=_quantiles(fp_ms),
        removed=removed,
    )
    return out


def attrs_evolve_prefix(ingest: Any) -> Any:
    """The ingest settings :meth:`Index.add` uses: ids keep the folder as typed."""
    return attrs.evolve(ingest, read=attrs.evolve(ingest.read, prefix_ids=True))


def _quantiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median": statistics.median(ordered),
        "p99": ordered[int(0.99 * (len(ordered) - 1))],
        "n": len(ordered),
    }


def growth(args: argparse.Namespace) -> dict[str, Any]:
    """The same real 10k day onto synthetic histories of growing size (issue 16).

    One history, extended size by size (:func:`fill_history`); at each size the
    day is added in a fresh process, queried, and removed again. The day's own
    batch (``pipeline.dedup`` of its files alone, fresh process) gives the index's
    share of the day at each size.
    """
    from benchmarks import scale  # noqa: PLC0415

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    db = work / "growth.db"
    if args.day_files:
        files = list(args.day_files)
    else:
        day_dir = work / "day"
        if not day_dir.exists():
            day_dir.mkdir()
            scale.generate(day_dir, args.day, seed=args.seed + 100)
        files = sorted(str(p) for p in day_dir.glob("*.jsonl"))
    for name in files:
        warm_page_cache(Path(name))
    batch = run_child("benchmarks.index", ["--day-batch", *files, "--jobs", str(args.jobs)])
    if "error" in batch:
        raise SystemExit(f"day batch run failed: {batch['error']}")
    print(f"  the day's own batch: {batch['seconds']:.2f} s", flush=True)
    sizes = []
    for size in args.growth_sizes:
        before = args.day if args.growth_before_merge else 0
        fill = fill_history(db, size, args.seed, work, before_merge=before)
        print(f"  history of {size:,} synthetic documents: {fill['seconds']:.0f} s", flush=True)
        res = run_child(
            "benchmarks.index",
            [
                "--day-at-size",
                str(db),
                *files,
                "--jobs",
                str(args.jobs),
                "--queries",
                str(args.queries),
            ],
        )
        if "error" in res:
            raise SystemExit(f"day at {size:,} failed: {res['error']}")
        res.update(
            stored=size,
            in_runs=fill.get("in_runs", 0),
            fill_seconds=fill["seconds"],
            db_bytes=sum(p.stat().st_size for p in work.glob("growth.db*")),
            index_share_seconds=res["real_day_seconds"] - batch["seconds"],
            index_share_cpu_seconds=res["real_day_cpu_seconds"] - batch["cpu_seconds"],
        )
        sizes.append(res)
        print(
            f"  day onto {size:,}: {res['real_day_seconds']:.2f} s "
            f"(CPU {res['real_day_cpu_seconds']:.2f} s, peak RSS {res['peak_rss_mb']:,.0f} MB), "
            f"index share {res['index_share_seconds']:.2f} s, query "
            f"{res['query_article_ms']['median']:.2f} ms",
            flush=True,
        )
    return {"day_batch": batch, "sizes": sizes}


def run(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(args.work)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    db = work / "bench.db"
    config = DedupConfig()
    day = args.day
    corpus = SyntheticCorpus(
        args.seed, args.dup_rate, args.noise, args.docs + day * (1 + args.cycle_days)
    )
    out: dict[str, Any] = {"docs": args.docs, "batch": args.batch, "day": day}
    checkpoints = []
    start = time.perf_counter()
    with Index.open(db, config) as index:
        done = 0
        while done < args.docs:
            count = min(args.batch, args.docs - done)
            ids, sigs, sizes, digests = corpus.take(count)
            index.add_fingerprints(ids, sigs, sizes, digests)
            done += count
            if done % max(args.docs // 10, args.batch) == 0 or done == args.docs:
                elapsed = time.perf_counter() - start
                checkpoints.append(
                    {
                        "docs": done,
                        "seconds": round(elapsed, 1),
                        "peak_rss_mb": round(peak_rss_mb()),
                    }
                )
                print(
                    f"  {done:>9,} docs  {elapsed:8.1f}s  rss {peak_rss_mb():7.0f} MB", flush=True
                )
        insert_seconds = time.perf_counter() - start
        out["insert_seconds"] = insert_seconds
        out["insert_docs_per_s"] = args.docs / insert_seconds
        out["peak_rss_mb_adding"] = peak_rss_mb()
        out["checkpoints"] = checkpoints
        stats = index.stats()
        out["stats"] = {k: stats[k] for k in ("documents", "clusters", "duplicates", "edges")}

        # Queries: half planted copies of stored documents, half fresh signatures.
        rng = np.random.default_rng(args.seed + 1)
        latencies = []
        hits = 0
        for q in range(args.queries):
            if q % 2 == 0:
                src = int(rng.integers(0, corpus.n))
                sig = corpus.sigs[src].copy()
                redraw = rng.random(NUM_PERM) < args.noise
                sig[redraw] = rng.integers(0, 2**32 - 1, size=int(redraw.sum()), dtype=np.uint32)
                size = int(corpus.sizes[src])
            else:
                sig = rng.integers(0, 2**32 - 1, size=NUM_PERM, dtype=np.uint32)
                size = 500
            digest = hashlib.blake2b(sig.tobytes(), digest_size=16).digest()
            t0 = time.perf_counter()
            found = index.query_fingerprint(sig, size, digest)
            latencies.append(time.perf_counter() - t0)
            hits += bool(found)
        latencies.sort()
        out["query_ms_median"] = statistics.median(latencies) * 1000
        out["query_ms_p99"] = latencies[int(0.99 * (len(latencies) - 1))] * 1000
        out["query_hit_rate"] = hits / args.queries

    out["db_bytes"] = sum(p.stat().st_size for p in work.glob("bench.db*"))
    out["db_bytes_per_doc"] = out["db_bytes"] / args.docs

    if args.day_files:
        # The whole-corpus runs below read these files again from the page cache:
        # the day reads them from there too, so the ratio compares code, not the disk.
        for folder in args.day_files:
            warm_page_cache(Path(folder))
        # A fresh process, as a daily job runs: it loads the numba kernels and chardet's
        # model itself (~0.3 s), as each whole-corpus run does. (This process has loaded
        # the kernels while building the index.)
        real = run_child(
            "benchmarks.index",
            ["--add-day", str(db), *args.day_files, "--jobs", str(args.jobs)],
        )
        if "error" in real:
            raise SystemExit(f"real day failed: {real['error']}")
        out.update(real)

    with Index.open(db) as index:
        ids, sigs, sizes, digests = corpus.take(day)
        t0 = time.perf_counter()
        day_params = index.add_fingerprints(ids, sigs, sizes, digests)
        out["day_add_seconds"] = time.perf_counter() - t0
        out["day_joined_existing"] = day_params.joined_existing

    # The batch alternative: link the whole corpus again (fingerprints given, no ingest).
    t0 = time.perf_counter()
    links = link_documents(
        corpus.sigs[: corpus.n], corpus.sizes[: corpus.n], corpus.digests, config
    )
    out["batch_link_seconds"] = time.perf_counter() - t0
    out["batch_accepted_pairs"] = links.accepted_pairs
    out["day_vs_batch_link_ratio"] = out["batch_link_seconds"] / out["day_add_seconds"]
    out["peak_rss_mb_total"] = peak_rss_mb()
    if args.cycle_days:
        out["cycle"] = merge_cycle(db, corpus, day, args.cycle_days)
    if args.real_days:
        out["real_days"] = real_days(work, args.real_days, day, args.seed)
    del corpus
    gc.collect()

    # Re-running the whole corpus: each size in a fresh process (its own memory and imports).
    if args.corpus:
        whole = []
        warm_page_cache(Path(args.corpus))  # as for the day
        for count in args.corpus_sizes:
            res = run_child(
                "benchmarks.index",
                ["--whole-corpus", str(args.corpus), str(count), "--jobs", str(args.jobs)],
            )
            if "error" in res:
                raise SystemExit(f"whole-corpus run failed: {res['error']}")
            print(
                f"  dedup of {count:,} files: {res['seconds']:.1f} s, "
                f"{res['ms_per_article']:.3f} ms/article",
                flush=True,
            )
            whole.append(res)
        out["whole_corpus_runs"] = whole
        if args.day_files:
            # The day's own batch: what adding the day costs with an index that is free
            # (no stored corpus to open, link against or write). The goal's ratio can be
            # no better than the whole corpus over this.
            res = run_child(
                "benchmarks.index", ["--day-batch", *args.day_files, "--jobs", str(args.jobs)]
            )
            if "error" in res:
                raise SystemExit(f"day batch run failed: {res['error']}")
            out["day_batch"] = res
        target = args.docs + out.get("real_day_documents", day)
        fixed, per_article = whole_corpus_line(whole)
        out["whole_corpus_fixed_seconds"] = fixed
        out["whole_corpus_ms_per_article_fitted"] = 1000 * per_article
        out["whole_corpus_extrapolated_to"] = target
        out["whole_corpus_extrapolated_seconds"] = fixed + per_article * target
        if "real_day_seconds" in out:
            out["day_vs_whole_ratio"] = (
                out["whole_corpus_extrapolated_seconds"] / out["real_day_seconds"]
            )
            if "day_batch" in out:
                out.update(
                    index_budget(
                        out["whole_corpus_extrapolated_seconds"],
                        out["day_batch"]["seconds"],
                        out["real_day_seconds"],
                    )
                )
            cycle = out.get("cycle") or {}
            if cycle.get("complete"):
                # An estimate: the real day plus what an average synthetic day of the
                # cycle costs beyond a typical (median) one, merge day included.
                out["real_day_cycle_estimate_seconds"] = (
                    out["real_day_seconds"] + cycle["mean"] - cycle["median"]
                )
                out["cycle_day_vs_whole_ratio"] = (
                    out["whole_corpus_extrapolated_seconds"]
                    / out["real_day_cycle_estimate_seconds"]
                )
    return out


def growth_only(args: argparse.Namespace) -> int:
    """``--docs 0``: the growth rows and the real-text days, without the 1M bulk load."""
    work = Path(args.work)
    if work.exists() and not args.keep:
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {"docs": 0, "day": args.day}
    if args.growth_sizes:
        out["growth"] = growth(args)
    if args.real_days:
        folder = work / "days"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        out["real_days"] = real_days(folder, args.real_days, args.day, args.seed)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    rows = [*growth_rows(out.get("growth")), *real_days_rows(out.get("real_days"))]
    print(format_table(["measure", "value"], rows))
    if args.json:
        write_json(args.json, {"results": out, "machine": machine_info()})
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--day", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--dup-rate", type=float, default=0.3)
    parser.add_argument("--noise", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", help="scratch folder (emptied first); required")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--day-files", nargs="*", default=[], help="a real day: folders or files for Index.add"
    )
    parser.add_argument("--corpus", type=Path, help="real-text folder for the whole-corpus run")
    parser.add_argument(
        "--corpus-sizes",
        type=lambda v: [int(x) for x in v.split(",")],
        default=[20_000, 50_000],
        help="file counts of --corpus to run pipeline.dedup on (comma-separated)",
    )
    parser.add_argument("--jobs", type=int, default=1, help="jobs for both the day and dedup")
    parser.add_argument(
        "--real-days",
        type=int,
        default=0,
        help="also add this many generated real-text days (of --day articles) to a new index",
    )
    parser.add_argument(
        "--cycle-days",
        type=int,
        default=40,
        help="at most this many synthetic days to see one whole merge cycle (0: skip)",
    )
    parser.add_argument(
        "--whole-corpus", nargs=2, metavar=("FOLDER", "COUNT"), help=argparse.SUPPRESS
    )
    parser.add_argument("--day-batch", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--add-day", nargs="+", metavar=("DB", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--growth-sizes",
        type=lambda v: [int(x) for x in v.split(",")],
        default=[],
        help="also add the same real day onto synthetic histories of these sizes "
        "(comma-separated, ascending; built by direct SQL, see fill_history); "
        "with --docs 0, only this and --real-days run",
    )
    parser.add_argument(
        "--growth-before-merge",
        action="store_true",
        help="fill each history with as many documents in runs as a day can find there "
        "without a merge (the worst point of the merge cycle), not all in bands",
    )
    parser.add_argument("--day-at-size", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.day_at_size:  # the child side of one growth measurement
        print_result(
            day_at_size(Path(args.day_at_size[0]), args.day_at_size[1:], args.jobs, args.queries)
        )
        return 0
    if args.whole_corpus:  # the child side of one whole-corpus measurement
        print_result(
            measure_whole_corpus(Path(args.whole_corpus[0]), int(args.whole_corpus[1]), args.jobs)
        )
        return 0
    if args.day_batch:  # the child side of the day's own batch
        print_result(measure_dedup(args.day_batch, args.jobs))
        return 0
    if args.add_day:  # the child side of the real day
        print_result(add_day(Path(args.add_day[0]), args.add_day[1:], args.jobs))
        return 0
    if not args.work:
        parser.error("--work is required")
    if args.docs == 0:
        return growth_only(args)
    out = run(args)
    if args.growth_sizes:
        out["growth"] = growth(args)
    if not args.keep:
        shutil.rmtree(args.work, ignore_errors=True)
    rows = [
        ("documents", f"{args.docs:,}"),
        (
            "insert throughput",
            f"{out['insert_docs_per_s']:,.0f} docs/s ({out['insert_seconds']:.0f} s)",
        ),
        (
            "database size",
            f"{out['db_bytes'] / 1e6:,.0f} MB ({out['db_bytes_per_doc']:,.0f} B/doc)",
        ),
        ("peak RSS while adding", f"{out['peak_rss_mb_adding']:,.0f} MB"),
        (
            "query latency median / p99",
            f"{out['query_ms_median']:.2f} / {out['query_ms_p99']:.2f} ms",
        ),
        ("query hit rate (half are copies)", f"{out['query_hit_rate']:.2f}"),
        (f"add a synthetic {args.day:,}-doc day by fingerprint", f"{out['day_add_seconds']:.2f} s"),
        ("batch link_documents over all fingerprints", f"{out['batch_link_seconds']:.2f} s"),
        ("peak RSS incl. batch link", f"{out['peak_rss_mb_total']:,.0f} MB"),
    ]
    if "real_day_seconds" in out:
        rows.append(
            (
                f"add a real day ({out['real_day_documents']:,} docs), end to end",
                f"{out['real_day_seconds']:.2f} s "
                f"(ingest {out['real_day_timings']['ingest']:.2f} s, "
                f"CPU {out['real_day_cpu_seconds']:.2f} s)",
            )
        )
    for res in out.get("whole_corpus_runs", []):
        rows.append(
            (
                f"pipeline.dedup of {res['documents']:,} articles (measured)",
                f"{res['seconds']:.1f} s = {res['ms_per_article']:.3f} ms/article",
            )
        )
    rows.extend(whole_corpus_rows(out))
    rows.extend(cycle_rows(out.get("cycle")))
    rows.extend(real_days_rows(out.get("real_days")))
    if "day_vs_whole_ratio" in out:
        rows.append(
            (
                f"ratio whole corpus / real day (goal >= {INDEX_GOAL}x)",
                f"{out['day_vs_whole_ratio']:.1f}x",
            )
        )
    if "cycle_day_vs_whole_ratio" in out:
        rows.append(
            (
                "same, real day + (cycle mean - median) (estimate)",
                f"{out['cycle_day_vs_whole_ratio']:.1f}x "
                f"({out['real_day_cycle_estimate_seconds']:.2f} s a day)",
            )
        )
    rows.extend(day_batch_rows(out))
    rows.extend(growth_rows(out.get("growth")))
    print(format_table(["measure", "value"], rows))
    if args.json:
        write_json(args.json, {"results": out, "machine": machine_info()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
