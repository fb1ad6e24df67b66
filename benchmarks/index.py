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
* adding a 10k "day" to the full index vs linking the whole corpus again with
  the batch :func:`newsingest.pipeline.link_documents` (the ratio; goal ≥ 50×).
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import format_table, machine_info, write_json
from newsingest.config import DedupConfig
from newsingest.pipeline import link_documents
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


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(args.work)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    db = work / "bench.db"
    config = DedupConfig()
    day = args.day
    corpus = SyntheticCorpus(args.seed, args.dup_rate, args.noise, args.docs + day)
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

        ids, sigs, sizes, digests = corpus.take(day)
        t0 = time.perf_counter()
        day_params = index.add_fingerprints(ids, sigs, sizes, digests)
        out["day_add_seconds"] = time.perf_counter() - t0
        out["day_joined_existing"] = day_params["joined_existing"]
    out["db_bytes"] = sum(p.stat().st_size for p in work.glob("bench.db*"))
    out["db_bytes_per_doc"] = out["db_bytes"] / (args.docs + day)

    # The batch alternative: link the whole corpus again (fingerprints given, no ingest).
    t0 = time.perf_counter()
    links = link_documents(
        corpus.sigs[: corpus.n], corpus.sizes[: corpus.n], corpus.digests, config
    )
    out["batch_link_seconds"] = time.perf_counter() - t0
    out["batch_accepted_pairs"] = links.accepted_pairs
    out["day_vs_batch_ratio"] = out["batch_link_seconds"] / out["day_add_seconds"]
    out["peak_rss_mb_total"] = peak_rss_mb()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--day", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--dup-rate", type=float, default=0.3)
    parser.add_argument("--noise", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", required=True, help="scratch folder (emptied first)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    out = run(args)
    if not args.keep:
        shutil.rmtree(args.work, ignore_errors=True)
    rows = [
        ("documents", f"{args.docs:,} (+{args.day:,} day)"),
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
        ("add a 10k day to the index", f"{out['day_add_seconds']:.2f} s"),
        ("batch link of the whole corpus", f"{out['batch_link_seconds']:.2f} s"),
        ("ratio batch / incremental", f"{out['day_vs_batch_ratio']:.1f}x"),
        ("peak RSS incl. batch link", f"{out['peak_rss_mb_total']:,.0f} MB"),
    ]
    print(format_table(["measure", "value"], rows))
    if args.json:
        write_json(args.json, {"results": out, "machine": machine_info()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
