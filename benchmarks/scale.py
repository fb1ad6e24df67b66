"""Scale-out benchmark: wall time and peak RSS by corpus size, local processes and Dask.

A seeded synthetic corpus (invented words, so the per-document stages see real
text to decode, parse, repair and fingerprint) is written as JSON Lines shards
of 1,000 articles; a fifth of the articles are planted copies (truncated,
re-headlined, with outlet promos and footers). Every measurement runs in a
fresh interpreter so peak RSS is its own.

    python -m benchmarks.scale --sizes 10000 100000 --jobs 1 2 --dask --repeat 3 --json out.json

Modes: ``local-N`` is ``pipeline.dedup`` with ``jobs=N``; ``dask`` is
``newsingest.dask.dedup_dask`` on a ``LocalCluster(n_workers=2, processes=True)``
created by the benchmark (one partition per shard). Imports and the numba
kernels are loaded before the clock starts, in the workers too.

On a shared machine the best of ``--repeat`` runs is kept, and each row shows
the load average before the run and the CPU seconds used (this process plus
its workers): ``cpu s`` over ``wall s`` is how many cores the run got.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import string
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._common import (
    format_table,
    machine_info,
    peak_rss_mb,
    print_result,
    ru_maxrss_mb,
    run_child,
    write_json,
)

SHARD = 1000
OUTLETS = [
    ("Subscribe to the Morning Ledger for one dollar a week!", "Morning Ledger, since 1887."),
    ("WIRE DESK: news as it happens", "Reporting by our correspondents; editing by the desk."),
    ("Follow the Evening Post on every network", "Evening Post. All rights reserved."),
    ("Get our newsletter: the day's news at six", "Copyright The Courier. Do not reproduce."),
]


def per_doc_seconds(result: dict[str, Any]) -> float:
    """Seconds of a run's per-document stages (ingest, boilerplate, fingerprint): the
    stages a second core shares, as the scale goal counts them."""
    t = result.get("timings") or {}
    return float(t.get("ingest", 0.0) + t.get("boilerplate", 0.0) + t.get("fingerprint", 0.0))


def _vocab(seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    return sorted(
        {
            "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(2, 9)))
            for _ in range(20000)
        }
    )


def generate(root: Path, n: int, seed: int = 1) -> list[str]:
    """Write ``n`` articles as JSON Lines shards under ``root``; returns the shard paths."""
    rng = random.Random(seed)
    vocab = _vocab()
    stories: list[tuple[str, list[str]]] = []
    paths: list[str] = []
    rows: list[str] = []

    def sentence(words: int) -> str:
        text = " ".join(rng.choice(vocab) for _ in range(words))
        return text[0].upper() + text[1:] + "."

    for i in range(n):
        promo, footer = OUTLETS[i % len(OUTLETS)]
        if stories and rng.random() < 0.2:
            title, paras = rng.choice(stories)
            cut = rng.randint(max(1, len(paras) * 2 // 3), len(paras))
            title = title.upper() if rng.random() < 0.5 else title
            paras = paras[:cut]
        else:
            title = sentence(8).rstrip(".")
            paras = [
                " ".join(sentence(rng.randint(10, 18)) for _ in range(3))
                for _ in range(rng.randint(3, 8))
            ]
            if len(stories) < 5000:
                stories.append((title, paras))
            else:
                stories[rng.randrange(len(stories))] = (title, paras)
        text = "\n\n".join([promo, *paras, footer])
        rows.append(json.dumps({"id": f"a{i}", "title": title, "text": text, "date": "2024-03-03"}))
        if len(rows) == SHARD or i == n - 1:
            path = root / f"shard{len(paths):05d}.jsonl"
            path.write_text("\n".join(rows) + "\n", "utf-8")
            paths.append(str(path))
            rows = []
    return paths


def run_one(mode: str, shards: list[str]) -> dict[str, Any]:
    from newsingest.config import DedupConfig  # noqa: PLC0415
    from newsingest.matching.fingerprint import warm_up  # noqa: PLC0415

    warm_up()
    load = os.getloadavg()[0]
    cpu0 = _cpu_seconds()
    start = time.perf_counter()
    if mode.startswith("local-"):
        from newsingest.pipeline import dedup  # noqa: PLC0415

        result = dedup(shards, DedupConfig(jobs=int(mode.split("-")[1])))
        wall = time.perf_counter() - start
        cpu = _cpu_seconds() - cpu0
        timings = result.timings
        counts = {
            "documents": len(result.decisions),
            "duplicates": sum(d.status == "duplicate" for d in result.decisions),
        }
    else:
        import dask.bag as db  # noqa: PLC0415
        import dask.dataframe  # noqa: F401, PLC0415 - imported by dedup_dask: before the clock
        import distributed  # noqa: PLC0415

        from newsingest.dask import dedup_dask  # noqa: PLC0415

        with (
            distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            client.run(_warm_worker)
            cpu0 = _cpu_seconds(client)
            started = time.perf_counter()
            frame = dedup_dask(db.from_sequence(shards, npartitions=len(shards))).compute()
            wall = time.perf_counter() - started
            cpu = _cpu_seconds(client) - cpu0
            timings = {"cluster start": started - start}
        counts = {
            "documents": len(frame),
            "duplicates": int((frame["status"] == "duplicate").sum()),
        }
    return {
        "mode": mode,
        "wall_s": wall,
        "cpu_s": cpu,
        "load_before": load,
        "timings": timings,
        "peak_rss_mb": peak_rss_mb(),
        "worker_peak_rss_mb": ru_maxrss_mb(children=True),
        **counts,
    }


def _warm_worker() -> None:
    # What the tasks import: newsingest.dask, and dask.dataframe for the tasks that
    # assemble the result frame (~0.4 s in each worker the first time).
    import dask.dataframe  # noqa: F401, PLC0415

    import newsingest.dask  # noqa: F401, PLC0415
    from newsingest.matching.fingerprint import warm_up  # noqa: PLC0415

    warm_up()


def _own_cpu() -> float:
    usage = [resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


def _cpu_seconds(client: Any = None) -> float:
    """CPU seconds of this process and its finished children (and of the dask workers)."""
    if client is None:
        return _own_cpu()
    return _own_cpu() + sum(client.run(_own_cpu).values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--dask", action="store_true", help="also run through a LocalCluster")
    parser.add_argument("--dask-max", type=int, default=100_000, help="largest size for dask")
    parser.add_argument("--repeat", type=int, default=1, help="keep the best of N runs")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--one", nargs=2, metavar=("MODE", "SHARDS_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        mode, folder = args.one
        print_result(run_one(mode, sorted(str(p) for p in Path(folder).glob("*.jsonl"))))
        return 0
    results: list[dict[str, Any]] = []
    for n in args.sizes:
        root = Path(tempfile.mkdtemp(prefix=f"scale{n}-"))
        try:
            generate(root, n)
            modes = [f"local-{j}" for j in args.jobs]
            if args.dask and n <= args.dask_max:
                modes.append("dask")
            for mode in modes:
                runs = []
                for _ in range(args.repeat):
                    row = run_child("benchmarks.scale", ["--one", mode, str(root)])
                    row.update(size=n, mode=mode)
                    runs.append(row)
                    print(json.dumps(row), file=sys.stderr, flush=True)
                best = min(runs, key=lambda r: r.get("wall_s", float("inf")))
                results.append({**best, "walls_s": [r.get("wall_s") for r in runs]})
        finally:
            shutil.rmtree(root, ignore_errors=True)
    table = []
    for r in results:
        per_doc = per_doc_seconds(r)
        table.append(
            [
                r["size"],
                r["mode"],
                f"{r.get('wall_s', float('nan')):.2f}",
                f"{per_doc:.2f}" if per_doc else "-",
                f"{r.get('cpu_s', float('nan')):.2f}",
                f"{r.get('load_before', float('nan')):.1f}",
                f"{1e6 * r.get('wall_s', float('nan')) / r['size']:.0f}",
                f"{r.get('peak_rss_mb', float('nan')):.0f}",
                f"{r.get('worker_peak_rss_mb', float('nan')):.0f}",
                r.get("error", ""),
            ]
        )
    headers = [
        "articles",
        "mode",
        "wall s",
        "per-doc s",
        "cpu s",
        "load",
        "µs/article",
        "RSS MB",
        "child MB",
        "",
    ]
    print(format_table(headers, table))
    if args.json:
        write_json(
            args.json, {"machine": machine_info(["dask", "distributed"]), "results": results}
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
