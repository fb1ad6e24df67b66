"""End-to-end dedup speed: newsingest against the datasketch recipe, on two folders.

Usage (from the repository root)::

    python -m benchmarks.speed --data /work/shared/data [--docs 50000] [--json out.json]
        [--work /tmp/newsingest-speed] [--repeat 1] [--no-profile]
        [--html-docs 9300] [--html-share 0.25] [--pages PATH]
        [--folders plain html] [--jobs-counts 1 2]

Two folders, each built once under ``--work`` and reused (see :mod:`benchmarks.speedcorpus`):

* the plain-text folder: ``--docs`` plain-text articles, ~30% re-published copies, a few
  percent cp1252, no web page (goal: newsingest at most :data:`GOAL_RATIO` of the recipe);
* the realistic folder: ``--html-docs`` files (default the smaller of ``--docs`` and
  9,300), a share ``--html-share`` of them full real-size web pages (real outlets' pages
  with the story put in), the rest plain text, some of both gzipped (goal: at most
  :data:`GOAL_RATIO_HTML`). ``--html-docs 0`` leaves it out; so does a ``--data`` without
  the real pages (``html/wcxb-articles``), with a note saying so.

Every method then runs in its own fresh interpreter, so that its peak RSS is its own,
and is timed from the parent: wall time includes interpreter start and imports, as a
user running the CLI would see it. On the realistic folder, one more child ingests a
sample of its pages and counts the ``html: ...`` notes, which name the extractor that
produced each article.

* ``newsingest``: ``dedup([folder], DedupConfig(jobs=N))`` and the JSONL report written,
  as ``newsingest dedup FOLDER --report out.jsonl --jobs N`` does; N = 1 and 2
  (``--jobs-counts``).
* ``datasketch``: the recipe a competent datasketch user writes
  (:func:`benchmarks.baselines.run_datasketch`): bytes decoded as UTF-8 with
  ``errors="replace"``, word 5-gram shingles, ``MinHash(num_perm=128)`` +
  ``update_batch``, ``MinHashLSH(threshold=0.8)``, insert all, query each, union-find.

Unless ``--no-profile``, one more newsingest run (jobs=1) under cProfile lists the
functions where the time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from benchmarks._common import (
    MB,
    cpu_seconds,
    format_table,
    machine_info,
    peak_rss_mb,
    print_result,
    ru_maxrss_mb,
    run_child,
    warm_page_cache,
    write_json,
)
from benchmarks.speedcorpus import PAGES, CorpusInfo, ensure_corpus

__all__ = [
    "STAGES",
    "format_extractors",
    "ingest_share",
    "main",
    "measure_datasketch",
    "measure_extractors",
    "measure_newsingest",
    "top_functions",
]

STAGES = ("ingest", "boilerplate", "fingerprint", "candidates", "verify", "cluster")
GOAL_RATIO = 0.25
"""newsingest at one job should take at most a quarter of the datasketch recipe's wall time."""
GOAL_RATIO_HTML = 0.5
"""On the realistic folder (a quarter of it real web pages), at most half of it."""
HTML_DOCS = 9_300
"""Default size of the realistic folder, when ``--docs`` is not smaller."""
NOTES_SAMPLE = 100
"""Pages of the realistic folder ingested to count which extractor produced them."""
FIELD_NOTE = re.compile(r"^html: (title|date|byline)\b")
"""``html:`` notes about where a field came from; the others name the extractor path."""
MiB = 1024 * 1024
TIMEOUT = 1200.0


def measure_newsingest(folder: Path, jobs: int, profile: Path | None = None) -> dict[str, Any]:
    """Child side: one dedup run plus the report written, optionally under cProfile."""
    started = time.perf_counter()
    # Imported here: import time is part of the cost, and each child loads only its own tool.
    from newsingest.config import DedupConfig  # noqa: PLC0415
    from newsingest.output.report import write_report  # noqa: PLC0415
    from newsingest.pipeline import dedup  # noqa: PLC0415

    imported = time.perf_counter()
    profiler = cProfile.Profile() if profile else None
    with tempfile.TemporaryDirectory() as tmp:
        if profiler:
            profiler.enable()
        result = dedup([folder], DedupConfig(jobs=jobs))
        write_report(result, Path(tmp) / "report.jsonl")
        if profiler:
            profiler.disable()
    finished = time.perf_counter()
    if profiler and profile:
        profiler.dump_stats(profile)
    statuses = Counter(d.status for d in result.decisions)
    return {
        "docs": len(result.decisions),
        "clusters": len(result.clusters),
        "duplicates": statuses["duplicate"],
        "rejected": statuses["rejected"],
        "import_s": imported - started,
        "run_s": finished - started,
        "report_s": finished - imported - result.timings.get("total", 0.0),
        "cpu_s": cpu_seconds() + cpu_seconds(children=True),
        "timings": result.timings,
        "params": attrs.asdict(result.params) if result.params is not None else None,
        "peak_rss_mib": peak_rss_mb() * MB / MiB,
        "workers_peak_rss_mib": ru_maxrss_mb(children=True) * MB / MiB,
    }


def measure_datasketch(folder: Path) -> dict[str, Any]:
    """Child side: the datasketch recipe over the same folder."""
    started = time.perf_counter()
    from benchmarks.baselines import run_datasketch  # noqa: PLC0415

    imported = time.perf_counter()
    labels = run_datasketch(folder)
    finished = time.perf_counter()
    members = Counter(labels.values())
    return {
        "docs": len(labels),
        "clusters": sum(1 for size in members.values() if size > 1),
        "duplicates": len(labels) - len(members),
        "rejected": 0,
        "import_s": imported - started,
        "run_s": finished - started,
        "cpu_s": cpu_seconds(),
        "peak_rss_mib": peak_rss_mb() * MB / MiB,
        "workers_peak_rss_mib": 0.0,
    }


def measure_extractors(folder: Path, limit: int) -> dict[str, Any]:
    """Child side: ingest the first ``limit`` web pages under ``folder``; count their
    ``html: ...`` notes (which extractor, which fallback) and the CPU time per page."""
    from newsingest.ingest.run import iter_articles  # noqa: PLC0415
    from newsingest.records import Article  # noqa: PLC0415

    pages = sorted(p for p in folder.rglob("*") if p.name.endswith((".html", ".html.gz")))
    pages = pages[:limit]
    notes: Counter[str] = Counter()
    articles = rejected = 0
    started = cpu_seconds()
    for item in iter_articles(pages, jobs=1):
        if not isinstance(item, Article):
            rejected += 1
            continue
        articles += 1
        notes.update(n for n in item.notes if n.startswith("html:"))
    cpu = cpu_seconds() - started
    return {
        "pages": len(pages),
        "articles": articles,
        "rejected": rejected,
        "notes": dict(notes.most_common()),
        "extractor_notes": {n: c for n, c in notes.most_common() if not FIELD_NOTE.match(n)},
        "cpu_ms_per_page": 1000 * cpu / len(pages) if pages else None,
    }


GLUE = ("pipeline.py", "_parallel.py")
"""Modules whose functions only pass work along: their cumulative time hides the stages."""


def top_functions(
    profile: Path, limit: int = 10, sort: str = "cumulative", skip: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """The ``limit`` functions with the most ``sort`` time in a cProfile dump.

    Functions defined in a file named in ``skip`` are left out.
    """
    stats = pstats.Stats(str(profile), stream=io.StringIO())
    stats.sort_stats(sort)
    rows: list[dict[str, Any]] = []
    for func in stats.fcn_list:  # type: ignore[attr-defined]
        if len(rows) == limit:
            break
        filename, line, name = func
        if Path(filename).name in skip:
            continue
        _cc, ncalls, tottime, cumtime, _callers = stats.stats[func]  # type: ignore[attr-defined]
        where = f"{Path(filename).name}:{line}" if line else filename
        rows.append(
            {
                "function": f"{where}({name})",
                "calls": ncalls,
                "tottime": tottime,
                "cumtime": cumtime,
            }
        )
    return rows


def run_method(name: str, args: Sequence[str], repeat: int = 1) -> dict[str, Any]:
    """Fresh-interpreter measurements, timed from here (start-up and imports included).

    With ``repeat`` > 1 the fastest run is kept (the least disturbed by other load on the
    machine); every wall time is kept in ``walls_s``.
    """
    runs: list[dict[str, Any]] = []
    for attempt in range(repeat):
        print(f"running {name} ({attempt + 1}/{repeat}) ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        result = run_child("benchmarks.speed", ["--child", *args], timeout=TIMEOUT)
        result["wall_s"] = time.perf_counter() - started
        result["method"] = name
        if "error" in result:
            print(f"  {name} failed: {result['error']}", file=sys.stderr)
            return result
        runs.append(result)
    best = min(runs, key=lambda r: r["wall_s"])
    best["walls_s"] = [r["wall_s"] for r in runs]
    return best


def format_results(
    rows: Sequence[dict[str, Any]], megabytes: float, goal: float = GOAL_RATIO
) -> str:
    base = next((r for r in rows if r["method"] == "datasketch" and "error" not in r), None)
    table = []
    for r in rows:
        if "error" in r:
            table.append([r["method"], "error", *[""] * 8])
            continue
        mine = base is not None and r is not base
        ratio = f"{r['wall_s'] / base['wall_s']:.3f}" if mine and base else ""
        cpu_ratio = f"{r['cpu_s'] / base['cpu_s']:.3f}" if mine and base else ""
        rss = f"{r['peak_rss_mib']:.0f}"
        if r["workers_peak_rss_mib"]:
            rss += f" (+{r['workers_peak_rss_mib']:.0f}/worker)"
        table.append(
            [
                r["method"],
                f"{r['docs']:,}",
                f"{r['wall_s']:.1f}",
                f"{r['docs'] / r['wall_s']:,.0f}",
                f"{megabytes / r['wall_s']:.2f}",
                rss,
                ratio,
                f"{r['cpu_s']:.1f}",
                cpu_ratio,
                f"{r['clusters']:,}",
            ]
        )
    headers = [
        "method",
        "docs",
        "wall s",
        "docs/s",
        "MB/s",
        "peak RSS MiB",
        f"wall ratio vs datasketch (goal <= {goal})",
        "CPU s (incl. workers)",
        "CPU ratio",
        "clusters found",
    ]
    return format_table(headers, table)


def format_stages(rows: Sequence[dict[str, Any]]) -> str:
    table = []
    for r in rows:
        timings = r.get("timings")
        if not timings:
            continue
        total = timings.get("total") or 1.0
        other = {k: v for k, v in timings.items() if k not in (*STAGES, "total")}
        cells = [f"{timings.get(s, 0.0):.2f} ({timings.get(s, 0.0) / total:.0%})" for s in STAGES]
        extra = ", ".join(f"{k} {v:.2f}" for k, v in other.items())
        table.append(
            [r["method"], *cells, f"{total:.2f}", f"{r['import_s']:.2f}", f"{r['report_s']:.2f}"]
            + ([extra] if extra else [])
        )
    headers = [
        "stage seconds (share)",
        *STAGES,
        "dedup total",
        "import",
        "report write",
    ]
    if any(len(row) > len(headers) for row in table):
        headers.append("other")
        table = [row + [""] * (len(headers) - len(row)) for row in table]
    return format_table(headers, table)


def format_profile(rows: Sequence[dict[str, Any]]) -> str:
    table = [
        [f"{r['cumtime']:.2f}", f"{r['tottime']:.2f}", f"{r['calls']:,}", r["function"]]
        for r in rows
    ]
    return format_table(["cumulative s", "own s", "calls", "function"], table)


def run_child_mode(args: argparse.Namespace) -> int:
    if args.child == "newsingest":
        print_result(measure_newsingest(args.folder, args.jobs, args.profile_out))
    elif args.child == "datasketch":
        print_result(measure_datasketch(args.folder))
    elif args.child == "extractors":
        print_result(measure_extractors(args.folder, args.limit))
    else:
        raise SystemExit(f"unknown method {args.child!r}")
    return 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="the shared data folder")
    parser.add_argument("--docs", type=int, default=50_000, help="articles in the folder")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed")
    parser.add_argument("--json", type=Path, help="also write every number here")
    parser.add_argument(
        "--work",
        type=Path,
        default=Path("/tmp/newsingest-speed"),
        help="where the corpus and the profile go (outside the repository)",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per method; the fastest is reported"
    )
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile run")
    parser.add_argument(
        "--jobs-counts",
        type=int,
        nargs="+",
        default=[1, 2],
        metavar="N",
        help="newsingest's --jobs values to measure (one run each per repeat)",
    )
    parser.add_argument(
        "--folders",
        nargs="+",
        choices=("plain", "html"),
        default=["plain", "html"],
        help="which folders to measure: the plain-text one, the realistic one with web pages",
    )
    parser.add_argument("--top", type=int, default=10, help="functions listed from the profile")
    parser.add_argument(
        "--html-docs",
        type=int,
        help=f"files in the realistic folder (default: the smaller of --docs and {HTML_DOCS:,}; "
        "0 leaves it out)",
    )
    parser.add_argument(
        "--html-share",
        type=float,
        default=0.25,
        help="share of the realistic folder's files that are web pages",
    )
    parser.add_argument(
        "--pages",
        type=Path,
        help="real article pages to wrap stories in (default: DATA/html/wcxb-articles)",
    )
    # The child side of one measurement; not for direct use.
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--jobs", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, default=NOTES_SAMPLE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is None and args.data is None:
        parser.error("--data is required")
    return args


def measure_folder(
    folder: Path, repeat: int, jobs_counts: Sequence[int] = (1, 2)
) -> list[dict[str, Any]]:
    """newsingest at each of ``jobs_counts`` and the datasketch recipe on ``folder``."""
    name = str(folder)
    warm_page_cache(folder)
    rows = [
        run_method(
            f"newsingest jobs={n}", ["newsingest", "--folder", name, "--jobs", str(n)], repeat
        )
        for n in jobs_counts
    ]
    return [*rows, run_method("datasketch", ["datasketch", "--folder", name], repeat)]


def ingest_share(rows: Sequence[dict[str, Any]]) -> float | None:
    """Share of newsingest's (jobs=1) wall time spent in the ingest stage."""
    ours = next((r for r in rows if r["method"] == "newsingest jobs=1" and "error" not in r), None)
    if ours is None or not ours.get("wall_s"):
        return None
    return float(ours["timings"].get("ingest", 0.0)) / float(ours["wall_s"])


def format_extractors(found: dict[str, Any]) -> str:
    """One line: which extractor produced the sampled pages, by their notes."""
    if "error" in found:
        return f"extractor notes: error: {found['error']}"
    notes = ", ".join(f"{note!r} {count}" for note, count in found["extractor_notes"].items())
    return (
        f"extractor notes on {found['pages']} sample pages ({found['articles']} articles, "
        f"{found['rejected']} rejected; {found['cpu_ms_per_page']:.1f} ms CPU per page, "
        f"ingest alone): {notes or 'none'}"
    )


def describe_corpus(corpus: CorpusInfo, repeat: int) -> str:
    pages = (
        f", {corpus.html:,} real-size web pages in {corpus.wrappers:,} real outlets' wrappers, "
        f"{corpus.gzipped:,} files gzipped"
        if corpus.html
        else ""
    )
    return (
        f"corpus: {corpus.docs:,} files ({corpus.originals:,} originals, "
        f"{corpus.copies:,} re-published copies, {corpus.cp1252:,} cp1252{pages}), "
        f"{corpus.bytes / MB:.1f} MB in {corpus.folder}; best of {repeat} run(s) per method"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return run_child_mode(args)
    repeat = max(1, args.repeat)
    payload: dict[str, Any] = {"benchmark": "speed", "goal_ratio": GOAL_RATIO}
    rows: list[dict[str, Any]] = []
    if "plain" in args.folders:
        print(f"building or reusing the corpus under {args.work} ...", file=sys.stderr, flush=True)
        corpus = ensure_corpus(args.data, args.work, args.docs, args.seed)
        rows = measure_folder(corpus.folder, repeat, args.jobs_counts)
        profile_rows: dict[str, list[dict[str, Any]]] = {}
        if not args.no_profile:
            dump = args.work / "newsingest-jobs1.prof"
            folder = str(corpus.folder)
            profiled = run_method(
                "newsingest jobs=1 (cProfile)",
                ["newsingest", "--folder", folder, "--jobs", "1", "--profile-out", str(dump)],
            )
            if "error" not in profiled:
                profile_rows = {
                    "cumulative": top_functions(dump, args.top, "cumulative"),
                    "cumulative_below_pipeline": top_functions(
                        dump, args.top, "cumulative", skip=GLUE
                    ),
                    "tottime": top_functions(dump, args.top, "tottime"),
                }
        megabytes = corpus.bytes / MB
        print("\nplain-text folder (no web pages)\n")
        print(describe_corpus(corpus, repeat) + "\n")
        print(format_results(rows, megabytes))
        print("\nnewsingest stages (seconds inside dedup(); share of its total):\n")
        print(format_stages(rows))
        views = (
            ("cumulative", "cumulative"),
            ("cumulative_below_pipeline", "cumulative, pipeline glue left out,"),
            ("tottime", "own (tottime)"),
        )
        for sort, title in views:
            if profile_rows.get(sort):
                print(f"\nnewsingest jobs=1 under cProfile: top {args.top} by {title} time\n")
                print(format_profile(profile_rows[sort]))
        payload |= {
            "corpus": {**vars(corpus), "megabytes": megabytes},
            "results": rows,
            "profile": profile_rows,
        }

    html_rows: list[dict[str, Any]] = []
    html_docs = min(args.docs, HTML_DOCS) if args.html_docs is None else args.html_docs
    pages = args.pages or args.data / PAGES
    if "html" in args.folders and html_docs > 0 and args.html_share > 0:
        if not (pages / "html").is_dir():
            note = f"no article pages in {pages}/html: the realistic folder was not measured"
            print(f"\n{note}", file=sys.stderr)
            payload["html_skipped"] = note
        else:
            print("building or reusing the realistic folder ...", file=sys.stderr, flush=True)
            html_corpus = ensure_corpus(
                args.data,
                args.work,
                html_docs,
                args.seed,
                html_share=args.html_share,
                pages=pages,
            )
            html_rows = measure_folder(html_corpus.folder, repeat, args.jobs_counts)
            print("sampling the extractor notes ...", file=sys.stderr, flush=True)
            extractors = run_child(
                "benchmarks.speed",
                ["--child", "extractors", "--folder", str(html_corpus.folder)],
                timeout=TIMEOUT,
            )
            html_mb = html_corpus.bytes / MB
            share = ingest_share(html_rows)
            print(f"\nrealistic folder ({html_corpus.html_share:.0%} real-size web pages)\n")
            print(describe_corpus(html_corpus, repeat) + "\n")
            print(format_results(html_rows, html_mb, GOAL_RATIO_HTML))
            print("\nnewsingest stages (seconds inside dedup(); share of its total):\n")
            print(format_stages(html_rows))
            if share is not None:
                print(f"\ningest stage: {share:.0%} of newsingest's wall time at one job")
            print(format_extractors(extractors))
            payload |= {
                "html_corpus": {**vars(html_corpus), "megabytes": html_mb},
                "html_goal_ratio": GOAL_RATIO_HTML,
                "html_results": html_rows,
                "html_ingest_share": share,
                "html_extractors": extractors,
            }

    if args.json:
        payload["machine"] = machine_info(
            ["newsingest", "datasketch", "numpy", "numba", "ftfy", "trafilatura", "lxml"]
        )
        write_json(args.json, payload)
    failed = any("error" in r for r in [*rows, *html_rows])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
