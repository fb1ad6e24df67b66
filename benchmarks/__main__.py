"""Run every benchmark in one sequence and regenerate docs/benchmarks.md.

Usage (from the repository root)::

    python -m benchmarks all --data ../shared/data [--quick] [--only NAME ...] [--skip NAME ...]
    python -m benchmarks report

``all`` runs each benchmark's own ``main(argv)`` in turn (every benchmark runs its
baselines inside the same run, so a ratio compares methods timed under the same load),
prints its tables, writes ``benchmarks/results/<name>.json`` (the benchmark's own JSON
plus what ran, at which sizes and for how long) and then renders the report. The quality
benchmark also sweeps the similarity threshold of newsingest and of each baseline recipe
on the same generated corpus. ``report`` re-renders from the JSON already there.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import io
import json
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from benchmarks._common import machine_info, write_json

__all__ = [
    "BENCHMARKS",
    "RESULTS",
    "SWEEP_THRESHOLDS",
    "main",
    "parse_args",
    "run_benchmark",
    "selected",
    "sweep_quality",
]

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
PACKAGES = (
    "newsingest",
    "numpy",
    "numba",
    "chardet",
    "ftfy",
    "trafilatura",
    "datasketch",
    "rensa",
    "dask",
    "matplotlib",
)
SWEEP_THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass(frozen=True)
class Sizes:
    """What one benchmark runs at, quick and full, and how to say it in the report."""

    quick: Sequence[str]
    full: Sequence[str]
    quick_label: str
    full_label: str


def _ingest(args: argparse.Namespace, extra: Sequence[str], json_path: Path) -> dict[str, Any]:
    from benchmarks import ingest  # noqa: PLC0415

    work = Path(args.work) / "ingest"
    _call(
        ingest.main,
        ["--data", str(args.data), "--work", str(work), *extra, "--json", str(json_path)],
    )
    return dict(_load(json_path))


def _evals(args: argparse.Namespace, extra: Sequence[str], json_path: Path) -> dict[str, Any]:
    from benchmarks import decode_eval, extract_eval, repair_eval  # noqa: PLC0415

    out: dict[str, Any] = {}
    for name, module, more in (
        ("decode", decode_eval, []),
        ("repair", repair_eval, list(extra)),
        ("extract", extract_eval, []),
    ):
        part = json_path.with_name(f"{json_path.stem}-{name}.json")
        out[name] = _guarded(name, functools.partial(_call_load, module.main, args, more, part))
        part.unlink(missing_ok=True)
    return out


def _call_load(
    fn: Callable[[list[str]], int], args: argparse.Namespace, extra: Sequence[str], path: Path
) -> dict[str, Any]:
    _call(fn, ["--data", str(args.data), *extra, "--json", str(path)])
    return dict(_load(path))


def _quality(args: argparse.Namespace, extra: Sequence[str], json_path: Path) -> dict[str, Any]:
    from benchmarks import quality  # noqa: PLC0415
    from benchmarks.generate import generate  # noqa: PLC0415

    stories = int(extra[extra.index("--stories") + 1])
    seed = 7
    with tempfile.TemporaryDirectory(prefix="nq-all-") as tmp:
        corpus = Path(tmp)
        print(f"generating corpus: seed {seed}, {stories} stories", file=sys.stderr, flush=True)
        generate(args.data, corpus, seed, stories)
        _call(
            quality.main,
            [
                "--data",
                str(args.data),
                "--corpus",
                str(corpus),
                "--seed",
                str(seed),
                *extra,
                "--json",
                str(json_path),
            ],
        )
        result = dict(_load(json_path))
        result["corpus"] = f"generated, seed {seed}, {stories} stories"
        if not args.no_sweep:
            result["sweep"] = _guarded("sweep", lambda: sweep_quality(corpus, SWEEP_THRESHOLDS))
    return result


def _fingerprint(args: argparse.Namespace, extra: Sequence[str], json_path: Path) -> dict[str, Any]:
    from benchmarks import fingerprint  # noqa: PLC0415

    _call(fingerprint.main, ["--data", str(args.data), *extra, "--json", str(json_path)])
    # fingerprint.py writes a bare list of rows
    return {"results": _load(json_path)}


def _speed(args: argparse.Namespace, extra: Sequence[str], json_path: Path) -> dict[str, Any]:
    from benchmarks import speed  # noqa: PLC0415

    work = Path(args.work) / "speed"
    _call(
        speed.main,
        ["--data", str(args.data), "--work", str(work), *extra, "--json", str(json_path)],
    )
    return dict(_load(json_path))


def _html(args: argparse.Namespace, extra: Sequence[str], json_path: Path) -> dict[str, Any]:
    from benchmarks import html_eval  # noqa: PLC0415

    return _call_load(html_eval.main, args, extra, json_path)


def _warc(args: argparse.Namespace, extra: Sequence[str], json_path: Path) -> dict[str, Any]:
    from benchmarks import warc_read  # noqa: PLC0415

    return _call_load(warc_read.main, args, extra, json_path)


def _reuse(args: argparse.Namespace, extra: Sequence[str], json_path: Path) -> dict[str, Any]:
    from benchmarks import reuse_eval  # noqa: PLC0415

    work = Path(args.work) / "reuse"
    return _call_load(reuse_eval.main, args, [*extra, "--work", str(work)], json_path)


def _index(args: argparse.Namespace, extra: Sequence[str], json_path: Path) -> dict[str, Any]:
    from benchmarks import index  # noqa: PLC0415

    work = Path(args.work) / "index"
    _call(index.main, ["--work", str(work), *extra, *_real_day(args), "--json", str(json_path)])
    return dict(_load(json_path))


def _real_day(args: argparse.Namespace) -> list[str]:
    """A real day and whole-corpus re-runs from the speed benchmark's folder, when both exist.

    ``benchmarks/index.py`` measures them only if it has the ``--day-files`` option and
    the speed benchmark has built its folder (1,000 articles per subfolder) under ``--work``.
    """
    import inspect  # noqa: PLC0415

    from benchmarks import index  # noqa: PLC0415

    sizes = BENCHMARKS["speed"][1]
    argv = list(sizes.quick if args.quick else sizes.full)
    docs = int(argv[argv.index("--docs") + 1])
    articles = Path(args.work) / "speed" / f"corpus-s1-n{docs}" / "articles"
    if "--day-files" not in inspect.getsource(index) or not articles.is_dir():
        return []
    day = sorted(str(p) for p in articles.iterdir() if p.is_dir())[: 1 if args.quick else 10]
    counts = [docs] if args.quick else [20_000, docs]
    return [
        "--day-files", *day, "--corpus", str(articles),
        "--corpus-sizes", ",".join(str(n) for n in counts),
    ]  # fmt: skip


def _scale(args: argparse.Namespace, extra: Sequence[str], json_path: Path) -> dict[str, Any]:
    from benchmarks import scale  # noqa: PLC0415

    _call(scale.main, [*extra, "--json", str(json_path)])
    return dict(_load(json_path))


Runner = Callable[[argparse.Namespace, Sequence[str], Path], dict[str, Any]]

# fmt: off
_SCALE_FULL = ["--sizes", "10000", "100000", "1000000", "--jobs", "1", "2", "--dask",
               "--repeat", "3"]
# fmt: on

BENCHMARKS: dict[str, tuple[Runner, Sizes]] = {
    "ingest": (
        _ingest,
        Sizes(
            ["--corpus-mb", "10", "--baseline-mb", "2"],
            ["--corpus-mb", "100", "--baseline-mb", "12"],
            "10 MB corpus, 2 MB baseline sample",
            "100 MB corpus, 12 MB baseline sample",
        ),
    ),
    "evals": (
        _evals,
        Sizes(["--limit", "2000"], [], "repair throughput on 2,000 news documents", "all data"),
    ),
    "quality": (
        _quality,
        Sizes(["--stories", "300"], ["--stories", "1500"], "300 stories", "1,500 stories"),
    ),
    "fingerprint": (
        _fingerprint,
        # the news texts are read whole, so any size up to theirs (~30 MB) times them all
        Sizes(
            ["--mb", "20"],
            ["--mb", "20"],
            "news/*.jsonl texts, >= 20 MB",
            "news/*.jsonl texts, >= 20 MB",
        ),
    ),
    "speed": (
        _speed,
        Sizes(
            ["--docs", "5000", "--no-profile"],
            ["--docs", "50000", "--repeat", "3"],
            "5k articles; realistic folder: 5k files, a quarter real web pages",
            "50k articles; realistic folder: 9,300 files, a quarter real web pages; "
            "best of 3 runs per method",
        ),
    ),
    "html": (
        _html,
        Sizes(["--limit", "150"], [], "the first 150 wcxb pages", "all 711 wcxb pages"),
    ),
    "warc": (
        _warc,
        Sizes(
            ["--copies", "1", "--repeat", "1"],
            ["--repeat", "3"],
            "the wcxb pages crawled once",
            "the wcxb pages crawled 4 times, best of 3",
        ),
    ),
    "reuse": (
        _reuse,
        Sizes(
            ["--speed-docs", "10000"],
            ["--speed-docs", "100000"],
            "COUNTER's 300 pairs; 10k articles for speed",
            "COUNTER's 300 pairs; 100k articles for speed",
        ),
    ),
    "index": (
        _index,
        Sizes(
            [
                *("--docs", "50000", "--queries", "300", "--real-days", "2"),
                *("--growth-sizes", "20000,50000"),
            ],
            [
                *("--docs", "1000000", "--real-days", "20"),
                *("--growth-sizes", "100000,1000000,3000000"),
            ],
            "50k documents (+10k day), 2 real-text days in a row; days onto 20k and 50k stored",
            "1M documents (+10k day), 20 real-text days in a row; days onto 100k, 1M and 3M stored",
        ),
    ),
    "scale": (
        _scale,
        Sizes(
            ["--sizes", "2000", "5000", "10000", "--jobs", "1", "2"],
            _SCALE_FULL,
            "2k, 5k and 10k articles, jobs 1 and 2",
            "10k, 100k and 1M articles, jobs 1 and 2, Dask up to 100k, best of 3",
        ),
    ),
}


# ---------------------------------------------------------------- the threshold sweep


def _newsingest_clusters(folder: Path, threshold: float) -> dict[str, str | None]:
    from newsingest.config import DedupConfig  # noqa: PLC0415
    from newsingest.pipeline import dedup  # noqa: PLC0415

    result = dedup([folder], DedupConfig(threshold=threshold))
    return {d.id: d.cluster for d in result.decisions}


def _baseline_recipes() -> dict[str, tuple[Callable[[str], set[bytes]], int, int]]:
    """name -> (shingle function, num_perm, seed), as :mod:`benchmarks.baselines` runs them."""
    from benchmarks import baselines  # noqa: PLC0415

    return {
        "datasketch-defaults": (baselines.shingle_datasketch, 128, 1),
        "text-dedup": (baselines.shingle_textdedup, 240, 42),
        "datatrove": (baselines.shingle_datatrove, 112, 1),
    }


def _signatures(
    folder: Path, shingle: Callable[[str], set[bytes]], num_perm: int, seed: int
) -> tuple[list[str], dict[str, Any]]:
    from datasketch import MinHash  # noqa: PLC0415

    from benchmarks.baselines import iter_naive_texts  # noqa: PLC0415

    ids: list[str] = []
    signatures: dict[str, Any] = {}
    for doc_id, text in iter_naive_texts(folder):
        ids.append(doc_id)
        shingles = shingle(text)
        if shingles:
            mh = MinHash(num_perm=num_perm, seed=seed)
            mh.update_batch(list(shingles))
            signatures[doc_id] = mh
    return ids, signatures


def _cluster_signatures(
    ids: Sequence[str], signatures: dict[str, Any], threshold: float, num_perm: int
) -> dict[str, str]:
    """The baselines' LSH + union-find at another threshold, on signatures made once."""
    from datasketch import MinHashLSH  # noqa: PLC0415

    from benchmarks.baselines import union_query_results  # noqa: PLC0415

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    for doc_id, mh in signatures.items():
        lsh.insert(doc_id, mh)
    return union_query_results(lsh, signatures, {doc_id: doc_id for doc_id in ids})


def _point(truth: Sequence[dict[str, object]], clusters: Any, seconds: float) -> dict[str, Any]:
    from benchmarks.scoring import score_clustering  # noqa: PLC0415

    score = score_clustering(truth, clusters)
    return {
        "precision": score.precision,
        "recall": score.recall,
        "f1": score.f1,
        "false_merges": score.false_merges,
        "hard_negative_merges": sum(score.hard_negative_merges.values()),
        "min_transform_recall": score.min_transform_recall,
        "seconds": round(seconds, 2),
    }


def sweep_quality(corpus: Path, thresholds: Sequence[float]) -> dict[str, Any]:
    """Precision and recall at each threshold, newsingest and every baseline, one corpus.

    newsingest runs ``DedupConfig(threshold=t)`` (containment matching stays at its
    default). Each baseline's MinHash signatures are made once; only its LSH changes:
    ``MinHashLSH(threshold=t)`` with the recipe's ``num_perm`` (for datatrove this
    replaces its fixed 14 x 8 bands by datasketch's choice for ``t``).
    """
    from benchmarks.generate import read_jsonl  # noqa: PLC0415

    truth = read_jsonl(corpus / "truth.jsonl")
    folder = corpus / "docs"
    methods: dict[str, list[dict[str, Any]]] = {"newsingest": []}
    for t in thresholds:
        print(f"sweep: newsingest threshold {t}", file=sys.stderr, flush=True)
        start = time.perf_counter()
        clusters = _newsingest_clusters(folder, t)
        methods["newsingest"].append(
            {"threshold": t, **_point(truth, clusters, time.perf_counter() - start)}
        )
    for name, (shingle, num_perm, seed) in _baseline_recipes().items():
        print(f"sweep: {name} signatures", file=sys.stderr, flush=True)
        ids, signatures = _signatures(folder, shingle, num_perm, seed)
        points = []
        for t in thresholds:
            start = time.perf_counter()
            found = _cluster_signatures(ids, signatures, t, num_perm)
            points.append({"threshold": t, **_point(truth, found, time.perf_counter() - start)})
        methods[name] = points
    return {"thresholds": list(thresholds), "methods": methods}


# ---------------------------------------------------------------- running


class _Tee(io.TextIOBase):
    """Write to the terminal and keep a copy, so the printed tables go into the JSON."""

    def __init__(self, terminal: TextIO) -> None:
        self.terminal = terminal
        self.copy = io.StringIO()

    def write(self, text: str) -> int:
        self.terminal.write(text)
        self.copy.write(text)
        return len(text)

    def flush(self) -> None:
        self.terminal.flush()


def _call(fn: Callable[[list[str]], int], argv: list[str]) -> None:
    print(f"$ {' '.join(argv)}", file=sys.stderr, flush=True)
    code = fn(argv)
    if code:
        raise RuntimeError(f"exit code {code}")


def _ram_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) * 1024 / 1e9, 1)
    except (OSError, ValueError, IndexError):
        pass
    return None


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _guarded(name: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A failing part becomes an error entry, so the other parts still report."""
    try:
        return fn()
    except Exception as exc:
        traceback.print_exc()
        print(f"{name} failed: {exc}", file=sys.stderr)
        return {"error": f"{type(exc).__name__}: {exc}"}


@contextlib.contextmanager
def _teed() -> Iterator[_Tee]:
    tee = _Tee(sys.stdout)
    with contextlib.redirect_stdout(tee):
        yield tee


def run_benchmark(name: str, args: argparse.Namespace, results: Path) -> dict[str, Any]:
    """Run one benchmark and write ``results/<name>.json``; errors are recorded, not raised."""
    runner, sizes = BENCHMARKS[name]
    extra = list(sizes.quick if args.quick else sizes.full)
    json_path = results / f"{name}.raw.json"
    print(f"\n=== {name} ({'quick' if args.quick else 'full'}: {' '.join(extra)})", flush=True)
    started = dt.datetime.now(dt.UTC)
    machine = {**machine_info(PACKAGES), "ram_gb": _ram_gb()}
    start = time.perf_counter()
    with _teed() as tee:
        result = _guarded(name, lambda: runner(args, extra, json_path))
    json_path.unlink(missing_ok=True)
    seconds = time.perf_counter() - start
    payload = {
        "name": name,
        "mode": "quick" if args.quick else "full",
        "sizes": sizes.quick_label if args.quick else sizes.full_label,
        "argv": extra,
        "started": started.isoformat(timespec="seconds"),
        "seconds": round(seconds, 1),
        "command": getattr(args, "command_line", ""),
        "machine": machine,
        "stdout": tee.copy.getvalue(),
        "result": result,
    }
    write_json(results / f"{name}.json", payload)
    print(f"=== {name}: {seconds:.0f} s", flush=True)
    return payload


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("all", help="run the benchmarks, then render the report")
    run.add_argument("--data", type=Path, required=True, help="the shared data folder")
    run.add_argument("--quick", action="store_true", help="small sizes: a few minutes in all")
    run.add_argument("--only", nargs="+", choices=list(BENCHMARKS), default=[], metavar="NAME")
    run.add_argument("--skip", nargs="+", choices=list(BENCHMARKS), default=[], metavar="NAME")
    run.add_argument("--no-sweep", action="store_true", help="no quality threshold sweep")
    run.add_argument("--work", type=Path, default=Path("/tmp/newsingest-bench-all"))
    report = sub.add_parser("report", help="re-render docs/benchmarks.md from the JSON")
    for p in (run, report):
        p.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
        p.add_argument("--doc", type=Path, default=REPO / "docs" / "benchmarks.md")
    return parser.parse_args(argv)


def selected(args: argparse.Namespace) -> list[str]:
    """The benchmarks to run, in the fixed order, after ``--only`` and ``--skip``."""
    names = [n for n in BENCHMARKS if not args.only or n in args.only]
    return [n for n in names if n not in args.skip]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from benchmarks.report import write_report  # noqa: PLC0415

    if args.command == "all":
        args.command_line = " ".join(["python -m benchmarks", *(argv or sys.argv[1:])])
        args.results.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        for name in selected(args):
            run_benchmark(name, args, args.results)
        print(f"\nall done in {time.perf_counter() - start:.0f} s", flush=True)
    written = write_report(args.results, args.doc)
    print(f"wrote {args.doc} and {len(written)} plot(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
