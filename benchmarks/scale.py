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

Memory by stage (local modes): as each stage of ``dedup`` ends, the peak RSS
(``VmHWM``) of the main process and of each worker since the previous stage
ended, and their RSS then; the peak is reset after each reading (``clear_refs``).
A stage's "all processes" peak adds the processes' peaks, which need not fall
at the same moment: an upper bound. RSS counts the pages a forked worker
shares with its parent in both. The memory goal is ``GOAL_MB`` for all
processes together at 1M articles and more.

``--keep DIR`` writes the corpus under ``DIR`` and reuses it on the next run (a
million articles take minutes to generate); ``--spill-bytes N`` sets the text each
process holds before writing it to the spill file (``--spill-bytes 0`` spills all,
a huge value holds all: the run as it was before the spill file). ``--generator fast``
writes the corpus with :func:`generate_fast` (the same kind of articles, drawn with numpy
in parts of 1M articles by two processes: for 10M articles) under ``DIR/fastN``.

Growth past 1M is reported in wall time and in CPU time: on a shared machine only the
CPU time per article says how the run grows.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
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

import numpy as np

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
GOAL_MB = 2000.0
"""Peak RSS of all processes together, at 1M articles and more (issue 16)."""
GOAL_FROM = 1_000_000
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


PART = 1_000_000
"""Articles per independently seeded part of a :func:`generate_fast` corpus (a multiple
of ``SHARD``: a shard never spans two parts)."""


def _fast_part(job: tuple[str, int, int, int]) -> list[str]:
    """Articles ``first:first + count`` of a :func:`generate_fast` corpus, as shards.

    A shard's random numbers are drawn at once; an article that copies a story
    leaves its draws for a new one unused.
    """
    folder, first, count, seed = job
    root = Path(folder)
    rng = np.random.default_rng(seed)
    vocab = _vocab()
    stories: list[tuple[str, list[str]]] = []
    paths: list[str] = []
    for lo in range(first, first + count, SHARD):
        size = min(lo + SHARD, first + count) - lo
        copy, pick, cut_at, upper, slot = rng.random((5, size)).tolist()
        n_par = rng.integers(3, 9, size=size)
        # Per article: a title of 8 words, then 3 sentences of 10-18 words per paragraph.
        lengths = rng.integers(10, 19, size=(size, 25))
        lengths[:, 0] = 8
        words = [vocab[k] for k in rng.integers(0, len(vocab), size=int(lengths.sum())).tolist()]
        ends = np.cumsum(lengths).tolist()
        rows: list[str] = []
        for j in range(size):
            promo, footer = OUTLETS[(lo + j) % len(OUTLETS)]
            if stories and copy[j] < 0.2:
                title, paras = stories[int(pick[j] * len(stories))]
                low = max(1, len(paras) * 2 // 3)
                paras = paras[: low + int(cut_at[j] * (len(paras) - low + 1))]
                title = title.upper() if upper[j] < 0.5 else title
            else:
                parts = []
                at = ends[25 * j - 1] if j else 0
                for end in ends[25 * j : 25 * j + 1 + 3 * int(n_par[j])]:
                    text = " ".join(words[at:end])
                    parts.append(text[0].upper() + text[1:] + ".")
                    at = end
                title = parts[0].rstrip(".")
                paras = [" ".join(parts[k : k + 3]) for k in range(1, len(parts), 3)]
                if len(stories) < 5000:
                    stories.append((title, paras))
                else:
                    stories[int(slot[j] * len(stories))] = (title, paras)
            text = "\n\n".join([promo, *paras, footer])
            rows.append(
                json.dumps({"id": f"a{lo + j}", "title": title, "text": text, "date": "2024-03-03"})
            )
        path = root / f"shard{lo // SHARD:05d}.jsonl"
        path.write_text("\n".join(rows) + "\n", "utf-8")
        paths.append(str(path))
    return paths


def generate_fast(root: Path, n: int, seed: int = 1, jobs: int = 2) -> list[str]:
    """:func:`generate`'s design (outlets, a pool of 5,000 stories, a fifth copies) drawn
    with numpy, in parts of :data:`PART` articles seeded apart (``seed + part``) and
    written by ``jobs`` processes: a few times faster, for corpora of 10M articles.

    Another corpus than :func:`generate`'s for the same ``n``; copies stay within a part,
    as the story pool already keeps them near one another.
    """
    jobs_list = [(str(root), lo, min(PART, n - lo), seed + lo // PART) for lo in range(0, n, PART)]
    if jobs <= 1 or len(jobs_list) == 1:
        return [p for job in jobs_list for p in _fast_part(job)]
    with multiprocessing.get_context("spawn").Pool(min(jobs, len(jobs_list))) as pool:
        return [p for part in pool.map(_fast_part, jobs_list) for p in part]


def _status_mb(pid: int | str = "self") -> tuple[float, float]:
    """``(VmRSS, VmHWM)`` of a process in MB; zeros when it is gone."""
    got = {"VmRSS:": 0.0, "VmHWM:": 0.0}
    try:
        with Path(f"/proc/{pid}/status").open(encoding="ascii") as handle:
            for line in handle:
                key = line.split(maxsplit=1)[0] if line.strip() else ""
                if key in got:
                    got[key] = int(line.split()[1]) * 1024 / 1e6
    except (OSError, ValueError):
        pass
    return got["VmRSS:"], got["VmHWM:"]


def _children() -> list[int]:
    pids: list[int] = []
    try:
        for task in Path("/proc/self/task").iterdir():
            pids += [int(p) for p in (task / "children").read_text("ascii").split()]
    except OSError:
        pass
    return sorted(set(pids))


def _reset_peak(pid: int | str) -> None:
    # Linux: writing 5 resets the peak RSS to the current RSS.
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5", "ascii")


class StageMemory:
    """``on_stage`` for ``dedup``: each stage's peak and final RSS, main process and workers."""

    def __init__(self) -> None:
        self.stages: list[dict[str, Any]] = []
        self.start_mb = _status_mb()[0]
        for pid in ("self", *_children()):
            _reset_peak(pid)

    def __call__(self, stage: str) -> None:
        rss, peak = _status_mb()
        workers = [_status_mb(pid) for pid in _children()]
        self.stages.append(
            {
                "stage": stage,
                "main_peak_mb": peak,
                "main_rss_mb": rss,
                "workers": len(workers),
                "workers_peak_mb": sum(w[1] for w in workers),
                "largest_worker_peak_mb": max((w[1] for w in workers), default=0.0),
                "workers_rss_mb": sum(w[0] for w in workers),
                "all_peak_mb": peak + sum(w[1] for w in workers),
            }
        )
        for pid in ("self", *_children()):
            _reset_peak(pid)

    def summary(self) -> dict[str, Any]:
        """The run's peaks: main process, largest worker, all processes together."""
        return {
            "stage_memory": self.stages,
            "peak_rss_mb": max((s["main_peak_mb"] for s in self.stages), default=float("nan")),
            "worker_peak_rss_mb": max(
                (s["largest_worker_peak_mb"] for s in self.stages), default=0.0
            ),
            "all_peak_rss_mb": max((s["all_peak_mb"] for s in self.stages), default=float("nan")),
        }


def run_one(mode: str, shards: list[str], spill_bytes: int | None = None) -> dict[str, Any]:
    from newsingest.config import DedupConfig  # noqa: PLC0415
    from newsingest.matching.fingerprint import warm_up  # noqa: PLC0415

    warm_up()
    load = os.getloadavg()[0]
    cpu0 = _cpu_seconds()
    start = time.perf_counter()
    memory: dict[str, Any] = {}
    if mode.startswith("local-"):
        from newsingest.pipeline import dedup  # noqa: PLC0415

        stages = StageMemory()
        start = time.perf_counter()
        spill = {} if spill_bytes is None else {"spill_bytes": spill_bytes}
        config = DedupConfig(jobs=int(mode.split("-")[1]))
        result = dedup(shards, config, on_stage=stages, **spill)
        wall = time.perf_counter() - start
        cpu = _cpu_seconds() - cpu0
        timings = result.timings
        counts = {
            "documents": len(result.decisions),
            "duplicates": sum(d.status == "duplicate" for d in result.decisions),
        }
        memory = {**stages.summary(), "start_rss_mb": stages.start_mb}
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
        **memory,
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


def _num(value: object, spec: str = ".0f") -> str:
    return format(value, spec) if isinstance(value, int | float) else "-"


def memory_verdict(row: dict[str, Any]) -> str:
    """The memory goal for one row: met, not met, or ``-`` below its size or without data."""
    peak = row.get("all_peak_rss_mb")
    if row.get("size", 0) < GOAL_FROM or not isinstance(peak, int | float):
        return "-"
    return "met" if peak <= GOAL_MB else "not met"


STAGE_HEADERS = [
    "articles",
    "mode",
    "stage",
    "main peak MB",
    "main end MB",
    "workers peak MB",
    "workers end MB",
    "all peak MB",
]


def stage_table(results: list[dict[str, Any]]) -> list[list[object]]:
    """One row per stage of each local run: peaks during the stage, RSS at its end."""
    rows: list[list[object]] = []
    for r in results:
        for s in r.get("stage_memory") or []:
            rows.append(
                [
                    f"{r['size']:,}",
                    r["mode"],
                    s["stage"],
                    _num(s["main_peak_mb"]),
                    _num(s["main_rss_mb"]),
                    _num(s["workers_peak_mb"]) if s["workers"] else "-",
                    _num(s["workers_rss_mb"]) if s["workers"] else "-",
                    _num(s["all_peak_mb"]),
                ]
            )
    return rows


def linear_growth(
    results: list[dict[str, Any]], mode: str, small: int, big: int, field: str = "wall_s"
) -> float | None:
    """Time per article at ``big`` over that at ``small`` (1.0: linear); ``field`` is
    ``wall_s`` or ``cpu_s`` (on a shared machine the CPU time is the fairer one)."""
    by = {(r.get("size"), r.get("mode")): r for r in results if not r.get("error")}
    if (small, mode) not in by or (big, mode) not in by:
        return None
    if field not in by[(big, mode)] or field not in by[(small, mode)]:
        return None
    return float((by[(big, mode)][field] / big) / (by[(small, mode)][field] / small))


def growth_lines(results: list[dict[str, Any]]) -> list[str]:
    """Growth from 1M to each larger size measured, against the 1.3x goal."""
    lines = []
    for r in results:
        if r.get("error") or r["size"] <= GOAL_FROM:
            continue
        growth = linear_growth(results, r["mode"], GOAL_FROM, r["size"])
        if growth is not None:
            verdict = "met" if growth <= 1.3 else "not met"
            lines.append(
                f"{r['mode']}: {GOAL_FROM:,} -> {r['size']:,} articles at {growth:.2f}x "
                f"of linear time (goal <= 1.3x: {verdict})"
            )
        cpu = linear_growth(results, r["mode"], GOAL_FROM, r["size"], "cpu_s")
        if cpu is not None:
            verdict = "met" if cpu <= 1.3 else "not met"
            lines.append(
                f"{r['mode']}: {GOAL_FROM:,} -> {r['size']:,} articles at {cpu:.2f}x "
                f"of linear CPU time (goal <= 1.3x: {verdict})"
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--dask", action="store_true", help="also run through a LocalCluster")
    parser.add_argument("--dask-max", type=int, default=100_000, help="largest size for dask")
    parser.add_argument("--repeat", type=int, default=1, help="keep the best of N runs")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument(
        "--spill-bytes",
        type=int,
        help="text each process holds before spilling (default: the pipeline's SPILL_BYTES)",
    )
    parser.add_argument("--keep", type=Path, help="generate the corpus here and keep it")
    parser.add_argument(
        "--generator",
        choices=["sequential", "fast"],
        default="sequential",
        help="the corpus: generate (one seeded stream) or generate_fast (numpy, parts of "
        "1M articles in parallel; for 10M)",
    )
    parser.add_argument("--one", nargs=2, metavar=("MODE", "SHARDS_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        mode, folder = args.one
        shards = sorted(str(p) for p in Path(folder).glob("*.jsonl"))
        print_result(run_one(mode, shards, args.spill_bytes))
        return 0
    results: list[dict[str, Any]] = []
    spill = [] if args.spill_bytes is None else ["--spill-bytes", str(args.spill_bytes)]
    for n in args.sizes:
        name = f"{'scale' if args.generator == 'sequential' else 'fast'}{n}"
        root = args.keep / name if args.keep else Path(tempfile.mkdtemp(prefix=f"{name}-"))
        try:
            if not (root / "done").exists():
                root.mkdir(parents=True, exist_ok=True)
                if args.generator == "fast":
                    generate_fast(root, n)
                else:
                    generate(root, n)
                (root / "done").write_text("")
            modes = [f"local-{j}" for j in args.jobs]
            if args.dask and n <= args.dask_max:
                modes.append("dask")
            for mode in modes:
                runs = []
                for _ in range(args.repeat):
                    row = run_child("benchmarks.scale", ["--one", mode, str(root), *spill])
                    row.update(spill_bytes=args.spill_bytes)
                    row.update(size=n, mode=mode, generator=args.generator)
                    runs.append(row)
                    print(json.dumps(row), file=sys.stderr, flush=True)
                best = min(runs, key=lambda r: r.get("wall_s", float("inf")))
                results.append({**best, "walls_s": [r.get("wall_s") for r in runs]})
        finally:
            if not args.keep:
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
                _num(r.get("all_peak_rss_mb")),
                memory_verdict(r),
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
        "all MB",
        f"all <= {GOAL_MB:,.0f} MB",
        "",
    ]
    print(format_table(headers, table))
    stage_rows = stage_table(results)
    if stage_rows:
        print()
        print(format_table(STAGE_HEADERS, stage_rows))
    for line in growth_lines(results):
        print(line)
    if args.json:
        write_json(
            args.json, {"machine": machine_info(["dask", "distributed"]), "results": results}
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
