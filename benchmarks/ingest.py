"""Ingestion benchmark: newsingest against the naive baseline, side by side, in one run.

Usage::

    python -m benchmarks.ingest --data /work/shared/data [--json PATH] [--corpus-mb 100]
                                [--work /tmp/newsingest-bench] [--baseline-mb 12]

The baseline is what a naive pipeline does with every document: read the bytes,
``chardet.detect`` them, decode with the encoding it names (``errors="replace"``),
``ftfy.fix_text`` the result, and take the first non-empty line as the title.

Rows of the table:

1. decode-exact rate on ``encoding/chardet`` (same text as the true encoding gives);
2. U+FFFD left in title + body of ``raw/horne2017`` and ``raw/wikiref220`` after the
   whole pipeline (plus rejections);
3. ftfy's cases: ``expect: pass`` cases repaired to ``fixed``, must-not-change cases
   left unchanged;
4. titles on ``raw/bbc`` (the first line of each file), titles and dates on
   ``examples/articles``;
5. throughput (MB = 10^6 bytes of files read) and peak RSS of read + decode + extract +
   repair over a seeded corpus of at least ``--corpus-mb`` (built once into ``--work``
   by :mod:`benchmarks.corpus`). The baseline runs ~1-4 MB/s, so it is timed on an evenly
   spread sample of the same corpus; newsingest runs the whole corpus, and also the sample
   so the two can be compared on the same files. Each measurement runs in its own fresh
   interpreter, so peak RSS is one method's alone (Linux ``VmHWM``: ``ru_maxrss`` would
   inherit this orchestrating process's peak across fork + exec; it is kept in the JSON).
   The newsingest sample run also splits its CPU time by stage. A last run only opens,
   reads and closes every corpus file: the ceiling any one-process reader of these
   ~1 KB files reaches on the machine, printed beside the goal (20× the baseline).
"""

# newsingest and the evaluation scripts that import it are imported inside the functions
# that use them, so the baseline's child process never loads newsingest: its peak RSS is
# the baseline's own.
# ruff: noqa: PLC0415
from __future__ import annotations

import argparse
import collections
import datetime as dt
import gzip
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import chardet
import ftfy

from . import corpus
from ._common import (
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

__all__ = [
    "EXAMPLES",
    "baseline_document",
    "baseline_title",
    "eval_bbc_titles",
    "eval_decode",
    "eval_examples",
    "eval_ftfy_cases",
    "eval_replacement_chars",
    "main",
    "naive_decode",
]

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("newsingest", "chardet", "ftfy", "attrs", "trafilatura", "numpy", "numba")
CHILD_TIMEOUT = 420.0

# The stories of examples/make_examples.py: what a reader sees as each article's title and date.
_BIKE = "Council Approves Protected Bike Lanes on Harbor Street After Long Debate"
_DROUGHT = "Drought Forces Valley Ranchers to Sell Cattle Early"
EXAMPLES: dict[str, tuple[str, str]] = {
    "exports/feed.jsonl#1": ("Study Links Teenagers' Sleep to Memory", "2024-01-22"),
    "exports/feed.jsonl#2": ("Bike Lanes Approved for Harbor Street", "2023-08-04"),
    "exports/feed.jsonl#3": (_DROUGHT, "2023-06-14"),
    "harbor-daily/bike-lanes.txt": (_BIKE, "2023-08-03"),
    "harbor-daily/drought.txt": (_DROUGHT, "2023-06-14"),
    "harbor-daily/library.txt": (
        "Eastside Library Reopens After Two-Year Renovation",
        "2023-09-02",
    ),
    "harbor-daily/thermostat.txt": (
        "Startup Recalls 40,000 Smart Thermostats Over Overheating Risk",
        "2024-03-08",
    ),
    "metro-wire/bike-lanes.html": (_BIKE, "2023-08-03"),
    "metro-wire/harbor-street-vote.txt": (
        "Harbor Street Will Get Protected Bike Lanes, Council Decides",
        "2023-08-03",
    ),
    "metro-wire/marathon.txt": ("Runner, 71, Sets Age-Group Record at City Marathon", "2023-10-15"),
    "metro-wire/storm.txt.gz": ("Storm Knocks Out Power to 12,000 Homes", "2023-11-20"),
    "valley-courier/bike-lanes-harbor.txt": (_BIKE, "2023-08-03"),
    "valley-courier/brief-choir.txt": ("Community Choir Seeks New Members", "2023-06-01"),
    "valley-courier/brief-cleanup.txt": ("River Cleanup Planned for Saturday", "2023-06-01"),
}


# ---------------------------------------------------------------- the baseline


def naive_decode(raw: bytes) -> str:
    """Decode as chardet says, replacing what does not fit (UTF-8 when it has no answer)."""
    encoding = chardet.detect(raw)["encoding"] or "utf-8"
    try:
        return raw.decode(encoding, errors="replace")
    except LookupError:
        return raw.decode("utf-8", errors="replace")


def baseline_title(text: str) -> str | None:
    """The first non-empty line, stripped."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return None


def baseline_document(raw: bytes) -> tuple[str | None, str]:
    """The naive pipeline on one document: (title, whole repaired text)."""
    text = ftfy.fix_text(naive_decode(raw))
    return baseline_title(text), text


def iter_naive_documents(folder: Path) -> Iterator[tuple[str, bytes]]:
    """(id, bytes) per document, ids as newsingest gives them.

    Generous to the baseline: ``.gz`` is gunzipped and a ``.jsonl`` file is split into one
    document per line (its ``"text"`` field), as the repo's other naive reader does.
    """
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        data = path.read_bytes()
        if rel.endswith(".gz"):
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError):
                data = b""
        if rel.removesuffix(".gz").endswith(".jsonl"):
            for number, line in enumerate(data.split(b"\n"), start=1):
                if not line.strip():
                    continue
                try:
                    text = str(json.loads(naive_decode(line)).get("text", ""))
                except (ValueError, AttributeError):
                    text = ""
                yield f"{rel}#{number}", text.encode("utf-8")
        else:
            yield rel, data


# ---------------------------------------------------------------- quality rows


def normalize_space(text: str | None) -> str:
    return " ".join((text or "").split())


def _ingest(folders: Sequence[Path], **read_options: Any) -> Iterator[Any]:
    from newsingest.config import IngestConfig, ReadConfig
    from newsingest.pipeline import iter_articles

    config = IngestConfig(read=ReadConfig(**read_options))
    return iter_articles([str(f) for f in folders], config, jobs=1)


def _rejection_summary(rejections: Iterable[Any], limit: int = 5) -> dict[str, Any]:
    items = list(rejections)
    stages = collections.Counter(r.stage for r in items)
    return {
        "count": len(items),
        "by_stage": dict(stages),
        "examples": [f"{r.id}: {r.summary}" for r in items[:limit]],
    }


def eval_decode(data: Path) -> dict[str, Any]:
    """Row 1, via decode_eval: decode_bytes against chardet.detect + decode(errors="replace")."""
    from .decode_eval import eval_chardet_set

    result = eval_chardet_set(data, verbose=False)
    result["failures"] = result["failures"][:20]
    return result


def eval_replacement_chars(data: Path) -> dict[str, Any]:
    """Row 2: U+FFFD in title + body after the whole pipeline, per method."""
    from newsingest.records import Rejection

    folders = [data / "raw" / "horne2017", data / "raw" / "wikiref220"]
    ours = articles = 0
    rejections = []
    for item in _ingest(folders):
        if isinstance(item, Rejection):
            rejections.append(item)
            continue
        articles += 1
        ours += item.text.count("\ufffd")
    base = files = 0
    errors: list[str] = []
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            files += 1
            try:
                base += baseline_document(path.read_bytes())[1].count("\ufffd")
            except Exception as exc:
                errors.append(f"{path}: {type(exc).__name__}: {exc}")
    return {
        "newsingest_fffd": ours,
        "newsingest_articles": articles,
        "newsingest_rejections": _rejection_summary(rejections),
        "baseline_fffd": base,
        "baseline_files": files,
        "baseline_errors": errors,
    }


def eval_ftfy_cases(data: Path) -> dict[str, Any]:
    """Row 3: ftfy's ``expect: pass`` cases, split into repairs and must-not-change cases."""
    from newsingest.ingest.repair import repair_text

    path = data / "encoding" / "ftfy_cases.jsonl"
    # split("\n"), not splitlines(): the cases hold U+2028 and other line separators.
    lines = path.read_text(encoding="utf-8").split("\n")
    cases = [json.loads(line) for line in lines if line.strip()]
    passing = [c for c in cases if c.get("expect") == "pass"]
    counts: collections.Counter[str] = collections.Counter()
    ours_failed: list[str] = []
    for case in passing:
        kind = "unchanged" if case["original"] == case["fixed"] else "repair"
        counts[kind] += 1
        try:
            got = repair_text(case["original"])[0]
        except Exception as exc:
            got = f"<{type(exc).__name__}>"
        if got == case["fixed"]:
            counts[f"ours_{kind}"] += 1
        else:
            ours_failed.append(case.get("label", "?"))
        if ftfy.fix_text(case["original"]) == case["fixed"]:
            counts[f"baseline_{kind}"] += 1
    result: dict[str, Any] = {"cases": len(cases), **counts, "newsingest_failed": ours_failed}
    # repair_eval explains each failure: an ftfy option newsingest deliberately keeps off?
    try:
        from .repair_eval import evaluate_cases

        explained = evaluate_cases(path)
        result["failed_disabled_option"] = [r["label"] for r in explained["failed_disabled_option"]]  # type: ignore[attr-defined]
        result["failed_other"] = [r["label"] for r in explained["failed_other"]]  # type: ignore[attr-defined]
    except Exception as exc:
        result["explain_error"] = f"{type(exc).__name__}: {exc}"
    return result


def _truth_first_line(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # sport/199.txt, the one non-UTF-8 BBC file
    return normalize_space(text.splitlines()[0] if text.strip() else "")


def eval_bbc_titles(data: Path) -> dict[str, Any]:
    """Row 4a: the title is each BBC file's first line (compared whitespace-normalised)."""
    from newsingest.records import Rejection

    folder = data / "raw" / "bbc"
    truth = {
        p.relative_to(folder).as_posix(): _truth_first_line(p.read_bytes())
        for p in sorted(folder.rglob("*.txt"))
        if p.name.upper() != "README.TXT"
    }
    ours = 0
    rejections = []
    wrong: list[str] = []
    for item in _ingest([folder], exclude=("README.TXT",)):
        if isinstance(item, Rejection):
            rejections.append(item)
        elif item.id in truth:
            if normalize_space(item.title) == truth[item.id]:
                ours += 1
            elif len(wrong) < 10:
                wrong.append(f"{item.id}: got {item.title!r}, expected {truth[item.id]!r}")
    base = 0
    for rel, expected in truth.items():
        try:
            title = baseline_document((folder / rel).read_bytes())[0]
        except Exception:
            continue
        base += normalize_space(title) == expected
    return {
        "files": len(truth),
        "newsingest_correct": ours,
        "newsingest_wrong": wrong,
        "newsingest_rejections": _rejection_summary(rejections),
        "baseline_correct": base,
    }


def eval_examples(folder: Path = REPO / "examples" / "articles") -> dict[str, Any]:
    """Row 4b: titles and dates of the demo articles, against :data:`EXAMPLES`."""
    from newsingest.records import Rejection

    seen: dict[str, tuple[str | None, str | None]] = {}
    rejections = []
    for item in _ingest([folder]):
        if isinstance(item, Rejection):
            rejections.append(item)
        else:
            seen[item.id] = (item.title, item.date.isoformat() if item.date else None)
    naive: dict[str, str | None] = {}
    for doc_id, raw in iter_naive_documents(folder):
        try:
            naive[doc_id] = baseline_document(raw)[0]
        except Exception:
            naive[doc_id] = None

    def score(got: dict[str, tuple[str | None, str | None]]) -> dict[str, Any]:
        titles = dates = 0
        wrong: list[str] = []
        for doc_id, (title, date) in EXAMPLES.items():
            got_title, got_date = got.get(doc_id, (None, None))
            titles += normalize_space(got_title) == normalize_space(title)
            dates += got_date == date
            if (normalize_space(got_title), got_date) != (normalize_space(title), date):
                wrong.append(
                    f"{doc_id}: got ({got_title!r}, {got_date}), expected ({title!r}, {date})"
                )
        return {"title_correct": titles, "date_correct": dates, "wrong": wrong}

    return {
        "documents": len(EXAMPLES),
        "newsingest": score(seen),
        "newsingest_rejections": _rejection_summary(rejections),
        # The baseline finds no dates: a naive pipeline has no date parser.
        "baseline": score({k: (v, None) for k, v in naive.items()}),
    }


# ---------------------------------------------------------------- throughput (child side)


def _files_from_list(list_path: Path) -> list[tuple[str, int]]:
    rows = []
    for line in list_path.read_text(encoding="utf-8").splitlines():
        rel, size, *_ = line.split("\t")
        rows.append((rel, int(size)))
    return rows


def _measure(run: Callable[[], dict[str, Any]], jobs: int) -> dict[str, Any]:
    cpu0, cpu_children0 = cpu_seconds(), cpu_seconds(children=True)
    wall0 = time.perf_counter()
    counts = run()
    wall = time.perf_counter() - wall0
    cpu = cpu_seconds() - cpu0
    cpu_children = cpu_seconds(children=True) - cpu_children0
    return {
        **counts,
        "jobs": jobs,
        "wall_seconds": wall,
        "cpu_seconds": cpu + cpu_children,
        "cpu_seconds_main": cpu,
        "peak_rss_mb": peak_rss_mb(),
        "ru_maxrss_mb": ru_maxrss_mb(),
        # Workers are forked: their peak counts pages shared with this process at fork.
        "peak_rss_workers_mb": ru_maxrss_mb(children=True) if jobs > 1 else None,
    }


def child_newsingest(root: Path, list_path: Path, jobs: int, whole: bool) -> dict[str, Any]:
    """Read + decode + extract + repair every listed file with iter_articles."""
    from newsingest.pipeline import iter_articles
    from newsingest.records import Rejection

    after_import = peak_rss_mb()
    docs = root / "docs"
    files = _files_from_list(list_path)
    # Warm-up outside the clock: lazy imports, regex compilation, JIT (a few small files).
    for _ in iter_articles([str(docs / rel) for rel, _size in files[:20]], jobs=1):
        pass

    def run() -> dict[str, Any]:
        paths: list[str] = [str(docs)] if whole else [str(docs / rel) for rel, _ in files]
        articles = fffd = 0
        rejections: list[Any] = []
        for item in iter_articles(paths, jobs=jobs):
            if isinstance(item, Rejection):
                rejections.append(item)
            else:
                articles += 1
                fffd += item.text.count("\ufffd")
        return {
            "files": len(files),
            "bytes": sum(size for _, size in files),
            "articles": articles,
            "fffd": fffd,
            "rejections": _rejection_summary(rejections),
        }

    result = _measure(run, jobs)
    result["rss_after_import_mb"] = after_import
    if not whole:
        result["stage_seconds"] = split_stages([str(docs / rel) for rel, _ in files])
    return result


def split_stages(paths: Sequence[str]) -> dict[str, float]:
    """CPU seconds per stage over ``paths``, the stages called one by one (after the run)."""

    from newsingest.ingest.decode import decode_document
    from newsingest.ingest.extract import extract_article, extract_repaired_text
    from newsingest.ingest.read import iter_documents
    from newsingest.ingest.repair import repair_article, repair_text
    from newsingest.records import Rejection

    clock = time.process_time
    spent = dict.fromkeys(("read", "decode", "extract", "repair"), 0.0)
    documents = iter(iter_documents(paths))
    while True:
        t0 = clock()
        raw = next(documents, None)
        t1 = clock()
        spent["read"] += t1 - t0
        if raw is None:
            break
        if isinstance(raw, Rejection):
            continue
        try:
            decoded = decode_document(raw)
            t2 = clock()
            spent["decode"] += t2 - t1
            # The order of pipeline._ingest: plain text is repaired whole, before it is
            # parsed; HTML and JSON fields are repaired after extraction.
            if decoded.format == "text":
                text, fixes = repair_text(decoded.text)
                t3 = clock()
                spent["repair"] += t3 - t2
                extract_repaired_text(decoded, text, fixes)
                spent["extract"] += clock() - t3
            else:
                article = extract_article(decoded)
                t3 = clock()
                spent["extract"] += t3 - t2
                repair_article(article)
                spent["repair"] += clock() - t3
        except Exception:  # counted in the main run; here only the time matters
            continue
    return spent


def child_baseline(root: Path, list_path: Path) -> dict[str, Any]:
    """chardet.detect + decode + ftfy.fix_text + first line, on every listed file."""
    docs = root / "docs"
    files = _files_from_list(list_path)
    for rel, _ in files[:20]:
        baseline_document((docs / rel).read_bytes())

    def run() -> dict[str, Any]:
        fffd = titled = 0
        errors: list[str] = []
        for rel, _ in files:
            try:
                title, text = baseline_document((docs / rel).read_bytes())
            except Exception as exc:
                errors.append(f"{rel}: {type(exc).__name__}: {exc}")
                continue
            fffd += text.count("\ufffd")
            titled += title is not None
        return {
            "files": len(files),
            "bytes": sum(size for _, size in files),
            "articles": len(files) - len(errors),
            "titled": titled,
            "fffd": fffd,
            "rejections": {"count": len(errors), "by_stage": {}, "examples": errors[:5]},
        }

    return _measure(run, 1)


def _read_exactly(path: str, size: int) -> bytes:
    """The file's bytes in one read: the size comes from the list, so no fstat and no
    oversized buffer (os.read allocates what it is asked for)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, size)
    finally:
        os.close(fd)


def child_read_floor(root: Path, list_path: Path) -> dict[str, Any]:
    """Only open, read and close every listed file: what any per-file pipeline pays first.

    No decoding, no Python objects beyond the bytes: the ceiling on MB/s that a
    one-process reader of this corpus can reach on this machine, whatever it does next.
    """
    docs = root / "docs"
    files = _files_from_list(list_path)
    paths = [(str(docs / rel), size) for rel, size in files]

    def run() -> dict[str, Any]:
        read = 0
        for path, size in paths:
            read += len(_read_exactly(path, size))
        return {"files": len(files), "bytes": sum(size for _, size in files), "read": read}

    return _measure(run, 1)


def child_record_floor(root: Path, list_path: Path) -> dict[str, Any]:
    """The least a per-document Python pipeline that makes records does, and no more.

    Each file is read as in the read ceiling, decoded as UTF-8 (cp1252 when that
    fails), cut into blank-line blocks with their whitespace collapsed, and made
    into an :class:`~newsingest.records.Article` (first block the title). No
    detection, layout, date, repair or rejection: a ceiling, not a pipeline.
    """
    from newsingest.records import Article, Decoding

    docs = root / "docs"
    files = _files_from_list(list_path)
    paths = [(str(docs / rel), size) for rel, size in files]
    decoding = Decoding(encoding="utf-8", method="utf-8", confidence=1.0)

    def run() -> dict[str, Any]:
        made = 0
        for path, size in paths:
            data = _read_exactly(path, size)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = data.decode("cp1252", errors="replace")
            blocks = [" ".join(block.split()) for block in text.split("\n\n")]
            Article(
                id=path,
                path=path,
                format="text",
                title=blocks[0],
                paragraphs=tuple(b for b in blocks[1:] if b),
                decoding=decoding,
            )
            made += 1
        return {"files": len(files), "bytes": sum(size for _, size in files), "articles": made}

    return _measure(run, 1)


def run_child_mode(args: argparse.Namespace) -> int:
    try:
        if args.child == "baseline":
            result = child_baseline(args.root, args.list)
        elif args.child == "floor":
            result = child_read_floor(args.root, args.list)
        elif args.child == "records":
            result = child_record_floor(args.root, args.list)
        else:
            result = child_newsingest(args.root, args.list, args.jobs, args.whole)
    except Exception:
        result = {"error": traceback.format_exc(limit=3)}
    print_result(result)
    return 0


# ---------------------------------------------------------------- throughput (parent side)


def eval_throughput(
    data: Path, work: Path, corpus_mb: float, seed: int, baseline_mb: float
) -> dict[str, Any]:
    """Build (or reuse) the corpus, then time each method in its own interpreter."""
    manifest = corpus.ensure_corpus(data, work, size_mb=corpus_mb, seed=seed)
    root = Path(manifest["root"])
    files = corpus.read_file_list(root)
    sample = corpus.sample_files(files, int(baseline_mb * MB))
    sample_list = root / f"sample-{int(baseline_mb * MB)}.tsv"
    sample_list.write_text("".join(f"{r}\t{s}\t{v}\n" for r, s, v in sample), encoding="utf-8")
    full_list = root / "files.tsv"
    stride = max(1, round(len(files) / max(1, len(sample))))

    def child(*extra: str) -> dict[str, Any]:
        print(f"  measuring {' '.join(extra)}...", file=sys.stderr, flush=True)
        return run_child("benchmarks.ingest", ["--root", str(root), *extra], timeout=CHILD_TIMEOUT)

    # Every method reads files the previous one may have left in the page cache.
    warm_page_cache(root / "docs")
    runs = {
        "newsingest_full_j1": child("--child", "newsingest", "--list", str(full_list), "--whole"),
        "newsingest_sample_j1": child("--child", "newsingest", "--list", str(sample_list)),
        "baseline_sample": child("--child", "baseline", "--list", str(sample_list)),
        "newsingest_full_j2": child(
            "--child", "newsingest", "--list", str(full_list), "--whole", "--jobs", "2"
        ),
        "read_floor": child("--child", "floor", "--list", str(full_list)),
        "record_floor": child("--child", "records", "--list", str(full_list)),
    }
    for run in runs.values():
        if "bytes" in run:
            run["mb"] = run["bytes"] / MB
            run["mb_per_s_wall"] = run["mb"] / run["wall_seconds"]
            run["mb_per_s_cpu"] = run["mb"] / run["cpu_seconds"]
    return {
        "corpus": {k: v for k, v in manifest.items() if k != "sources"},
        "sample": {"files": len(sample), "bytes": sum(s for _, s, _ in sample), "stride": stride},
        "runs": runs,
    }


# ---------------------------------------------------------------- the table


def _pct(n: int, total: int) -> str:
    return f"{n}/{total} ({n / total:.1%})" if total else f"{n}/0"


def _yes(flag: bool | None) -> str:
    return "—" if flag is None else ("yes" if flag else "NO")


def build_rows(results: dict[str, Any]) -> list[list[str]]:
    """metric | newsingest | baseline | goal | met? — one row per measure, errors shown inline."""
    rows: list[list[str]] = []

    def failed(key: str, metric: str) -> bool:
        if "error" in results.get(key, {}):
            rows.append([metric, "ERROR", "ERROR", "", "NO"])
            return True
        return False

    r = results.get("decode", {})
    if not failed("decode", "1. decode exact, encoding/chardet"):
        rate = r["ours_rate"]
        rows.append(
            [
                "1. decode exact, encoding/chardet",
                _pct(r["ours_exact"], r["scored"]),
                _pct(r["baseline_exact"], r["scored"]),
                "≥ 98%",
                _yes(rate >= 0.98),
            ]
        )

    r = results.get("fffd", {})
    if not failed("fffd", "2. U+FFFD after pipeline, horne2017+wikiref220"):
        rows.append(
            [
                "2. U+FFFD after pipeline, horne2017+wikiref220",
                str(r["newsingest_fffd"]),
                str(r["baseline_fffd"]),
                "0",
                _yes(r["newsingest_fffd"] == 0),
            ]
        )
        rows.append(
            [
                "   rejected documents (same folders)",
                str(r["newsingest_rejections"]["count"]),
                str(len(r["baseline_errors"])),
                "0",
                _yes(r["newsingest_rejections"]["count"] == 0),
            ]
        )

    r = results.get("ftfy_cases", {})
    if not failed("ftfy_cases", "3. ftfy cases"):
        off = len(r.get("failed_disabled_option", []))
        rows.append(
            [
                "3a. ftfy `pass` cases repaired to `fixed`",
                _pct(r.get("ours_repair", 0), r.get("repair", 0)) + f", {off} need an option off",
                _pct(r.get("baseline_repair", 0), r.get("repair", 0)),
                "all but deliberately-off options",
                _yes(not r.get("failed_other", ["?"])) if "failed_other" in r else "—",
            ]
        )
        rows.append(
            [
                "3b. ftfy must-not-change cases unchanged",
                _pct(r.get("ours_unchanged", 0), r.get("unchanged", 0)),
                _pct(r.get("baseline_unchanged", 0), r.get("unchanged", 0)),
                "all",
                _yes(r.get("ours_unchanged", 0) == r.get("unchanged", 0)),
            ]
        )

    r = results.get("bbc", {})
    if not failed("bbc", "4a. title correct, raw/bbc"):
        rows.append(
            [
                "4a. title correct, raw/bbc (first line)",
                _pct(r["newsingest_correct"], r["files"]),
                _pct(r["baseline_correct"], r["files"]),
                "≥ baseline",
                _yes(r["newsingest_correct"] >= r["baseline_correct"]),
            ]
        )

    r = results.get("examples", {})
    if not failed("examples", "4b. examples/articles"):
        n = r["documents"]
        for field, label in (("title_correct", "title"), ("date_correct", "date")):
            ours, base = r["newsingest"][field], r["baseline"][field]
            rows.append(
                [
                    f"4{'b' if label == 'title' else 'c'}. {label} correct, examples/articles",
                    _pct(ours, n),
                    _pct(base, n) + (" (no date parser)" if label == "date" else ""),
                    "all",
                    _yes(ours == n),
                ]
            )

    t = results.get("throughput")
    if t is not None and not failed("throughput", "5. throughput"):
        rows.extend(_throughput_rows(t))
    return rows


def _throughput_rows(t: dict[str, Any]) -> list[list[str]]:
    runs = t["runs"]
    full, small, base, par = (
        runs["newsingest_full_j1"],
        runs["newsingest_sample_j1"],
        runs["baseline_sample"],
        runs["newsingest_full_j2"],
    )

    def val(run: dict[str, Any], key: str, fmt: str = "{:.1f}") -> str:
        return "ERROR" if "error" in run or run.get(key) is None else fmt.format(run[key])

    full_mb = val(full, "mb", "{:.0f} MB")
    base_mb = val(base, "mb", "{:.1f} MB")
    rows = [
        [
            f"5a. MB/s, 1 core, CPU time (ours: {full_mb} corpus; baseline: {base_mb} "
            f"sample, every {t['sample']['stride']}th file)",
            val(full, "mb_per_s_cpu"),
            val(base, "mb_per_s_cpu"),
            "≥ 20× baseline",
            "",
        ],
        [
            "5b. MB/s, 1 core, wall time (same runs)",
            val(full, "mb_per_s_wall"),
            val(base, "mb_per_s_wall"),
            "≥ 20× baseline",
            "",
        ],
        [
            f"5c. MB/s, 1 core, CPU time, both on the {base_mb} sample",
            val(small, "mb_per_s_cpu"),
            val(base, "mb_per_s_cpu"),
            "≥ 20× baseline",
            "",
        ],
    ]
    for row, key, ours_run in (
        (rows[0], "mb_per_s_cpu", full),
        (rows[1], "mb_per_s_wall", full),
        (rows[2], "mb_per_s_cpu", small),
    ):
        if "error" in ours_run or "error" in base:
            row[4] = "NO"
            continue
        ratio = ours_run[key] / base[key]
        row[1] += f" ({ratio:.1f}×)"
        row[4] = _yes(ratio >= 20)
    rows.append(
        [
            "5d. peak RSS MB, 1 core (own process each, VmHWM)",
            val(full, "peak_rss_mb", "{:.0f}"),
            val(base, "peak_rss_mb", "{:.0f}"),
            "—",
            "—",
        ]
    )
    if "error" in par:
        rows.append(["5e. MB/s, --jobs 2, wall time", "ERROR", "—", "> jobs=1 wall", "NO"])
    else:
        speedup = par["mb_per_s_wall"] / full["mb_per_s_wall"] if "error" not in full else 0.0
        rows.append(
            [
                "5e. MB/s, --jobs 2, wall time",
                f"{par['mb_per_s_wall']:.1f} ({speedup:.2f}× jobs=1)",
                "—",
                "> jobs=1 wall",
                _yes(speedup > 1.0),
            ]
        )
        rows.append(
            [
                "5f. peak RSS MB, --jobs 2 (main / largest worker)",
                f"{par['peak_rss_mb']:.0f} / {par['peak_rss_workers_mb']:.0f}",
                "—",
                "—",
                "—",
            ]
        )
    floor = runs.get("read_floor")
    if floor is not None:
        floor_row = [
            "5g. ceiling: MB/s, CPU, of only open + read + close of every corpus file",
            val(floor, "mb_per_s_cpu"),
            "—",
            "—",
            "—",
        ]
        if "error" not in floor and "error" not in base:
            floor_row[3] = f"20× baseline = {20 * base['mb_per_s_cpu']:.1f}"
            per_file = 1e6 * floor["cpu_seconds"] / max(1, floor["files"])
            floor_row[1] += f" ({per_file:.1f} µs/file)"
        rows.append(floor_row)
    records = runs.get("record_floor")
    if records is not None:
        rows.append(
            [
                "5g. ceiling: MB/s, CPU, of read + UTF-8 decode + blank-line blocks + an "
                "Article per file (no detection, layout, dates or repair)",
                val(records, "mb_per_s_cpu"),
                "—",
                "—",
                "—",
            ]
        )
    rows.append(
        [
            "5h. rejected documents in the throughput corpus (see below)",
            "ERROR" if "error" in full else str(full["rejections"]["count"]),
            "—" if "error" in base else str(base["rejections"]["count"]),
            "—",
            "—",
        ]
    )
    return rows


def format_notes(results: dict[str, Any]) -> list[str]:
    """What the table cannot say: corpus, sample, stage split, rejections, errors."""
    notes: list[str] = []
    for key, value in results.items():
        if isinstance(value, dict) and "error" in value:
            notes.append(f"{key}: ERROR {value['error']}")
    t = results.get("throughput") or {}
    if "corpus" in t:
        c = t["corpus"]
        mix = ", ".join(f"{k} {v}" for k, v in c["documents"].items())
        notes.append(
            f"corpus {c['root']}: {c['bytes'] / MB:.1f} MB in {c['files']} files, seed "
            f"{c['seed']}, {c['passes']} passes over {c['source_articles']} news articles "
            f"({'reused' if c.get('reused') else 'built now'}); documents: {mix}"
        )
        sm = t["sample"]
        notes.append(
            f"baseline sample: {sm['files']} files, {sm['bytes'] / MB:.1f} MB "
            f"(every {sm['stride']}th file of the corpus)"
        )
        small = t["runs"].get("newsingest_sample_j1", {})
        stages = small.get("stage_seconds")
        if stages:
            total = sum(stages.values()) or 1.0
            per_doc = 1e6 * total / max(1, small.get("articles", 0))
            split = ", ".join(f"{k} {v / total:.0%}" for k, v in stages.items())
            notes.append(f"newsingest CPU by stage on the sample: {split} ({per_doc:.0f} µs/doc)")
        full = t["runs"].get("newsingest_full_j1", {})
        if "rss_after_import_mb" in full:
            notes.append(
                f"newsingest peak RSS {full['peak_rss_mb']:.0f} MB, of which "
                f"{full['rss_after_import_mb']:.0f} MB right after importing the pipeline"
            )
        for name, run in t["runs"].items():
            rej = run.get("rejections") or {}
            if rej.get("count"):
                first = rej["examples"][0] if rej["examples"] else ""
                notes.append(f"{name}: {rej['count']} rejected {rej['by_stage']}, e.g. {first}")
    for key in ("fffd", "bbc", "examples"):
        rej = (results.get(key) or {}).get("newsingest_rejections") or {}
        if rej.get("count"):
            notes.append(f"{key}: {rej['count']} rejected {rej['by_stage']}: {rej['examples'][:2]}")
    wrong = (results.get("bbc") or {}).get("newsingest_wrong") or []
    if wrong:
        notes.append(f"raw/bbc titles newsingest got wrong: {wrong[:3]}")
    load = results.get("machine", {}).get("load_average")
    if load:
        notes.append(f"load average at start: {', '.join(f'{x:.2f}' for x in load)}")
    return notes


# ---------------------------------------------------------------- main


def _guarded(name: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """One failing measure becomes an error entry, not a crashed run."""
    print(f"{name}...", file=sys.stderr, flush=True)
    start = time.perf_counter()
    try:
        result = fn()
    except Exception as exc:
        traceback.print_exc()
        result = {"error": f"{type(exc).__name__}: {exc}"}
    result["seconds"] = round(time.perf_counter() - start, 2)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, help="the shared data folder")
    parser.add_argument("--json", type=Path, help="also write every number here")
    parser.add_argument("--corpus-mb", type=float, default=100.0, help="throughput corpus size")
    parser.add_argument("--baseline-mb", type=float, default=12.0, help="baseline's sample size")
    parser.add_argument("--work", type=Path, default=Path("/tmp/newsingest-bench"))
    parser.add_argument("--seed", type=int, default=1, help="corpus seed")
    parser.add_argument("--skip-throughput", action="store_true", help="quality rows only")
    # Hidden: one throughput measurement in this (fresh) process.
    parser.add_argument(
        "--child", choices=("newsingest", "baseline", "floor", "records"), help=argparse.SUPPRESS
    )
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--list", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--whole", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--jobs", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return run_child_mode(args)
    if args.data is None:
        parser.error("--data is required")

    started = time.perf_counter()
    data: Path = args.data
    results: dict[str, Any] = {
        "command": " ".join(["python -m benchmarks.ingest", *(argv or sys.argv[1:])]),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine_info(PACKAGES),
        "baseline": "chardet.detect, decode(errors='replace'), ftfy.fix_text, first non-empty line",
    }
    results["decode"] = _guarded("decode", lambda: eval_decode(data))
    results["fffd"] = _guarded("U+FFFD", lambda: eval_replacement_chars(data))
    results["ftfy_cases"] = _guarded("ftfy cases", lambda: eval_ftfy_cases(data))
    results["bbc"] = _guarded("bbc titles", lambda: eval_bbc_titles(data))
    results["examples"] = _guarded("examples", eval_examples)
    if not args.skip_throughput:
        results["throughput"] = _guarded(
            "throughput",
            lambda: eval_throughput(data, args.work, args.corpus_mb, args.seed, args.baseline_mb),
        )
    results["total_seconds"] = round(time.perf_counter() - started, 1)

    rows = build_rows(results)
    results["table"] = [
        dict(zip(("metric", "newsingest", "baseline", "goal", "met"), r, strict=True)) for r in rows
    ]
    machine = results["machine"]
    print(
        f"newsingest {machine['packages'].get('newsingest')} vs baseline ({results['baseline']}); "
        f"{machine['cpu']}, {machine['usable_cores']} cores, Python {machine['python']}; "
        f"{results['total_seconds']} s"
    )
    print(format_table(("metric", "newsingest", "baseline", "goal", "met?"), rows))
    results["notes"] = format_notes(results)
    for note in results["notes"]:
        print(f"- {note}")
    if args.json:
        write_json(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
