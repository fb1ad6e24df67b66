"""The ``newsingest`` command: parses arguments, calls the library, prints.

Data goes to stdout or the files named; progress, logs and the summary go to
stderr. Exit codes: 0 the run completed (rejected documents are reported in
the output, not as a failure); 1 the run could not complete (no input, an
output that cannot be written, an index error); 2 the command line was wrong
(including an output on or inside an input); 130 interrupted (Ctrl-C, SIGTERM).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Literal

import attrs

from newsingest import __version__
from newsingest._atomic import atomic_writer
from newsingest._parallel import sigterm_as_interrupt
from newsingest._progress import Progress, kernels_need_compiling
from newsingest.config import (
    BoilerplateConfig,
    DedupConfig,
    ExtractConfig,
    IngestConfig,
    ReadConfig,
)
from newsingest.errors import ConfigError, NewsIngestError
from newsingest.output.explain import explain, format_explanation, format_explanation_json
from newsingest.output.kept import (
    KeptPlan,
    check_kept_folder,
    copy_kept,
    plan_kept,
    write_kept_jsonl,
)
from newsingest.output.paths import check_output_paths, shown
from newsingest.output.report import format_summary, write_report
from newsingest.output.review import write_review
from newsingest.output.terminal import PrintableFormatter, printable
from newsingest.pipeline import dedup, dedup_articles, iter_articles
from newsingest.records import Article, DedupResult, Rejection
from newsingest.serialize import to_json_line
from newsingest.store import Index, format_index_summary

__all__ = ["main"]

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2

_EPILOG_INGEST = """\
examples:
  newsingest ingest examples/articles -o articles.jsonl
  newsingest ingest dump.jsonl.gz --jsonl-text-field body --jsonl-title-field headline
  newsingest ingest scraped/ --exclude '*/drafts/*' --jobs 4 -o - | jq .title

Each output line is one JSON object: {"type": "article", ...} or
{"type": "rejection", "id", "path", "stage", "reason"} for a document that
could not be used. Inputs are never modified; the output file is written
atomically.
"""


def _add_input_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="folders (read recursively) or files")
    p.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="GLOB",
        help="only read files whose relative path matches (repeatable)",
    )
    p.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="skip files whose relative path matches (repeatable)",
    )
    p.add_argument(
        "--max-document-mb",
        type=_finite_float,
        default=16.0,
        metavar="MB",
        help="reject a document (file or JSON line) larger than this (default: 16)",
    )
    p.add_argument("--jsonl-id-field", default="id", metavar="NAME")
    p.add_argument("--jsonl-title-field", default="title", metavar="NAME")
    p.add_argument("--jsonl-text-field", default="text", metavar="NAME")
    p.add_argument("--jsonl-date-field", default="date", metavar="NAME")
    p.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=0,
        metavar="N",
        help="worker processes for the per-document stages; 0 = one per core (default: 0)",
    )


def _finite_float(text: str) -> float:
    """A number argparse can refuse with the command's usage: ``nan`` and ``inf`` are not."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


def _add_verbosity(p: argparse.ArgumentParser) -> None:
    """``-v``/``-q`` after the command too; counted with those given before it."""
    p.add_argument(
        "-v",
        "--verbose",
        dest="verbose_after",
        action="count",
        default=argparse.SUPPRESS,
        help="more log output on stderr (-vv for debug)",
    )
    p.add_argument(
        "-q",
        "--quiet",
        dest="quiet_after",
        action="store_true",
        default=argparse.SUPPRESS,
        help="only errors on stderr",
    )


def _ingest_config(args: argparse.Namespace) -> IngestConfig:
    return IngestConfig(
        read=ReadConfig(
            include=args.include,
            exclude=args.exclude,
            max_document_bytes=int(args.max_document_mb * 1024 * 1024),
        ),
        extract=ExtractConfig(
            jsonl_id_field=args.jsonl_id_field,
            jsonl_title_field=args.jsonl_title_field,
            jsonl_text_field=args.jsonl_text_field,
            jsonl_date_field=args.jsonl_date_field,
        ),
    )


def _cmd_ingest(args: argparse.Namespace) -> int:
    config = _ingest_config(args)
    _check_paths(args.paths)
    check_output_paths(args.paths, {"-o": args.output})
    progress = Progress("ingest")
    stages: Counter[str] = Counter()
    start = time.perf_counter()
    try:
        with atomic_writer(args.output) as out:
            for item in iter_articles(args.paths, config, jobs=args.jobs):
                rejected = isinstance(item, Rejection)
                if isinstance(item, Rejection):
                    stages[item.stage] += 1
                    log.info("rejected %s (%s): %s", item.id, item.stage, item.reason)
                out.write(to_json_line(item))
                progress.update(rejected=rejected)
            if progress.done == 0:
                raise _NothingFoundError  # discards the temporary file: an old output stays
    except _NothingFoundError:
        progress.close()
        print("newsingest: no documents found under the paths given", file=sys.stderr)
        return EXIT_ERROR
    progress.close()
    seconds = time.perf_counter() - start
    total = progress.done
    if progress.rejected == total:
        _warn_all_rejected(list(stages.elements()))
    by_stage = ", ".join(f"{k}: {v}" for k, v in sorted(stages.items()))
    if not args.quiet:
        print(
            f"ingested {total:,} documents in {seconds:.2f}s: "
            f"{total - progress.rejected:,} articles, {progress.rejected:,} rejected"
            + (f" ({by_stage})" if by_stage else ""),
            file=sys.stderr,
        )
    return EXIT_OK


class _NothingFoundError(Exception):
    """No document under the paths: abandon the output instead of replacing it."""


def _warn_all_rejected(stages: Sequence[str]) -> None:
    commonest = Counter(stages).most_common(1)[0][0]
    msg = "all %s documents were rejected (most at the %s stage): see the reasons; -v lists each"
    log.warning(msg, f"{len(stages):,}", commonest)


def _check_paths(paths: Sequence[str]) -> None:
    """A path that does not exist is a typo on the command line, not a rejected document."""
    missing = [p for p in paths if not os.path.lexists(p)]
    if missing:
        raise _UsageError("no such file or directory: " + ", ".join(repr(p) for p in missing))


class _UsageError(Exception):
    """A command-line value that argparse accepted but the command cannot use."""


log = logging.getLogger("newsingest")

_EPILOG_DEDUP = """\
examples:
  newsingest dedup examples/articles
  newsingest dedup scraped/ --report report.csv --format csv --kept kept/
  newsingest dedup a/ b/ dump.jsonl.gz --threshold 0.8 --kept-jsonl kept.jsonl --jobs 0
  newsingest dedup scraped/ --report report.jsonl --html review.html

The report has one row per input document: id (path relative to the folder
given; FILE#N for line N of a JSON Lines file), cluster, status (kept,
duplicate or rejected), duplicate_of, similarity and containment to the
kept copy, and reason for rejected documents. Inputs are never modified or
deleted: an output that is, holds or lies inside an input is refused. Outputs
are written atomically; --kept DIR must be new or empty (or --overwrite).
"""


_RULE_OPTIONS = ("threshold", "containment", "min_size_ratio")
"""``dedup`` options that set the duplicate rule: unset (None) unless given."""


def _dedup_config(args: argparse.Namespace) -> DedupConfig:
    """The run's settings: the options given, and for the others an existing index's own
    settings (with ``--index``) or the defaults.

    Day after day into one index, a user should not have to repeat the options the
    index was built with, and an index built with other defaults stays usable.
    """
    base = DedupConfig()
    index_file = Path(args.index) if args.index is not None else None
    if index_file is not None and index_file.is_file() and index_file.stat().st_size:
        with Index.open(index_file, None, readonly=True) as index:
            base = index.config
    given = {name: getattr(args, name) for name in _RULE_OPTIONS}
    boilerplate = base.boilerplate
    if args.keep_boilerplate:
        boilerplate = attrs.evolve(boilerplate, enabled=False)
    return attrs.evolve(
        base,
        **{name: value for name, value in given.items() if value is not None},
        jobs=args.jobs,
        ingest=_ingest_config(args),
        boilerplate=boilerplate,
    )


def _cmd_dedup(args: argparse.Namespace) -> int:
    config = _dedup_config(args)
    if args.index is not None and (args.kept_jsonl is not None or args.html is not None):
        # An index run keeps no articles in memory: these outputs would come out empty.
        raise ConfigError(
            "--kept-jsonl and --html need the parsed articles, which an --index run "
            "does not keep; run them without --index (or use --kept)"
        )
    _check_paths(args.paths)
    outputs = {"--report": args.report, "--html": args.html, "--kept-jsonl": args.kept_jsonl}
    outputs |= {"--kept": args.kept, "--index": args.index}
    check_output_paths(args.paths, outputs, folders=("--kept",))
    read, plan = config.ingest.read, None
    if args.kept is not None:
        check_kept_folder(args.kept, overwrite=args.overwrite)
        if args.index is not None and read.prefix_ids is None:
            # Index.add keeps each argument in the ids, even for one argument.
            read = attrs.evolve(read, prefix_ids=True)
        # Before the run: the copies are then checked to be of the files it read.
        plan = plan_kept(args.paths, read)
    if kernels_need_compiling():
        log.warning("compiling kernels, first run only (a few seconds)")
    with _dedup_run(args, config) as (result, articles):
        return _write_dedup_outputs(args, config, result, read=read, plan=plan, articles=articles)


@contextlib.contextmanager
def _dedup_run(
    args: argparse.Namespace, config: DedupConfig
) -> Iterator[tuple[DedupResult, Mapping[str, Article] | None]]:
    """The run's result, and its articles by id when an output needs them (read back
    from the run's spill folder while the block lasts, not held in memory)."""
    progress = Progress("dedup")
    if args.index is not None:
        # Dedup against everything the index holds; the report covers this batch.
        with Index.open(args.index, config) as index:
            result = index.add(args.paths)
        progress.close()
        yield result, None
    elif args.kept_jsonl is None and args.html is None:
        result = dedup(args.paths, config, on_progress=progress.advance)
        progress.close()
        yield result, None
    else:
        with dedup_articles(args.paths, config, on_progress=progress.advance) as run:
            progress.close()
            yield run


def _write_dedup_outputs(
    args: argparse.Namespace,
    config: DedupConfig,
    result: DedupResult,
    *,
    read: ReadConfig,
    plan: KeptPlan | None,
    articles: Mapping[str, Article] | None,
) -> int:
    if not result.decisions:
        print("newsingest: no documents found under the paths given", file=sys.stderr)
        return EXIT_ERROR
    rejected = [d for d in result.decisions if d.status == "rejected"]
    for d in rejected:
        log.info("rejected %s: %s", d.id, d.reason)
    if rejected and len(rejected) == len(result.decisions):
        _warn_all_rejected([(d.reason or "unknown").partition(":")[0] for d in rejected])
    write_report(result, args.report, args.format)
    if args.kept is not None:
        copied = copy_kept(result, args.kept, read, plan=plan, overwrite=args.overwrite)
        log.info("copied %d kept documents to %s", copied, args.kept)
    if args.kept_jsonl is not None:
        write_kept_jsonl(result, args.kept_jsonl, articles=articles)
    if args.html is not None:
        write_review(result, args.html, config=config, articles=articles)
        log.info("wrote the review page to %s", args.html)
    if not args.quiet:
        print(format_summary(result), file=sys.stderr)
        if args.index is not None:
            print(printable(format_index_summary(result)), file=sys.stderr)
    return EXIT_OK


_EPILOG_INDEX = """\
examples:
  newsingest dedup today/ --index news.db      add a day, report its documents
  newsingest index stats news.db
  newsingest index export news.db --report all.csv --format csv
  newsingest index remove news.db feed.jsonl#3 old/story.txt
  newsingest index query news.db new/story.txt

The export has the dedup report's columns, one row per stored document. A
query prints one JSON object per stored copy of FILE (id, jaccard,
containment, cluster), most similar first, and changes nothing.
"""


def _cmd_index(args: argparse.Namespace) -> int:
    if args.action == "export":
        check_output_paths([args.db], {"--report": args.report})
    with Index.open(args.db, create=False, readonly=args.action != "remove") as index:
        if args.action == "stats":
            print(json.dumps(index.stats(), indent=2, ensure_ascii=False))
        elif args.action == "export":
            result = DedupResult(
                decisions=tuple(index.export_clusters()), clusters=(), rejections=()
            )
            write_report(result, args.report, args.format)
        elif args.action == "query":
            _check_paths([args.file])
            matches = index.query(args.file)
            for m in matches:
                print(json.dumps(attrs.asdict(m), ensure_ascii=False))
            if not args.quiet:
                print(
                    f"{len(matches)} stored document{'s' if len(matches) != 1 else ''} "
                    f"in {shown(args.db)} match {shown(args.file)}",
                    file=sys.stderr,
                )
        else:
            wanted = list(dict.fromkeys(args.ids))
            removed = index.remove(wanted)
            print(
                f"removed {removed} of {len(wanted)} documents from {printable(args.db)}",
                file=sys.stderr,
            )
            unknown = index.last_unknown
            if unknown:
                log.warning(
                    "not in the index, nothing removed for: %s (ids are as in the report: "
                    "'newsingest index export %s' lists them)",
                    ", ".join(shown(i) for i in unknown),
                    args.db,
                )
            for ch in index.last_changes:
                log.info("%s: %s -> %s (%s)", ch.id, ch.old_cluster, ch.new_cluster, ch.reason)
    return EXIT_OK


_EPILOG_EXPLAIN = """\
examples:
  newsingest explain a/story.txt b/copy.html --corpus a b
  newsingest explain feed.jsonl#3 feed.jsonl#17 --threshold 0.6

A and B are files, or FILE#N for line N of a JSON Lines file. Give --corpus
the folders that were deduplicated so the same boilerplate lines are
stripped (without it nothing is stripped), and to see the chain of verified
pairs that puts A and B in one cluster even when they are not copies of each
other.
"""


def _cmd_explain(args: argparse.Namespace) -> int:
    config = DedupConfig(
        threshold=args.threshold,
        containment=args.containment,
        min_size_ratio=args.min_size_ratio,
        ingest=_ingest_config(args),
    )
    _check_paths(args.corpus or [])
    result = explain(args.a, args.b, config, corpus=args.corpus)
    # The text is for a terminal: passages from the documents, escaped; JSON escapes itself.
    print(
        format_explanation_json(result)
        if args.json
        else printable(format_explanation(result), newlines=True)
    )
    return EXIT_OK


_EPILOG_REUSE = """\
examples:
  newsingest reuse papers/ --sources wire/ --report reuse.csv
  newsingest reuse scraped/ --report reuse.jsonl --explain
  newsingest reuse story.txt --sources wire/ --explain
  newsingest reuse papers/ --sources wire/ --report reuse.jsonl --html reuse.html

Each report row is one derivation: target, source, label (wholly, partially),
share (aligned target words over target words) and the number of passages,
then one row per target with no source (label none) and one per rejected
input. JSON Lines rows also hold each passage's character offsets in both
texts. Without --sources, an article dated earlier is the source of one dated
later; undated or same-day pairs take the shorter text as the derived one.
Outlet boilerplate (promos, footers) is stripped first, as dedup strips it.
The summary goes to stdout, or to stderr when the report does.
"""


def _cmd_reuse(args: argparse.Namespace) -> int:
    # Imported here: the other commands do not need the reuse package.
    from newsingest.reuse import ReuseConfig, find_reuse  # noqa: PLC0415
    from newsingest.reuse.report import (  # noqa: PLC0415
        format_reuse_explanation,
        format_reuse_summary,
        write_reuse_report,
    )
    from newsingest.reuse.review import write_reuse_review  # noqa: PLC0415

    config = ReuseConfig(
        wholly_share=args.wholly_share,
        partial_share=args.partial_share,
        partial_passage_share=args.passage_share,
        boilerplate=BoilerplateConfig(enabled=not args.keep_boilerplate),
    )
    _check_paths([*args.paths, *(args.sources or [])])
    check_output_paths(
        [*args.paths, *(args.sources or [])], {"--report": args.report, "--html": args.html}
    )
    fmt: Literal["jsonl", "csv"] = args.format or (
        "csv" if str(args.report).lower().endswith(".csv") else "jsonl"
    )
    result = find_reuse(
        args.paths,
        args.sources,
        config,
        ingest=_ingest_config(args),
        jobs=args.jobs,
        keep_texts=args.explain or args.html is not None,
    )
    if not result.derivations and not result.underived and not result.rejections:
        print("newsingest: no documents found under the paths given", file=sys.stderr)
        return EXIT_ERROR
    write_reuse_report(result, args.report, fmt)
    if args.html is not None:
        write_reuse_review(result, args.html)
        log.info("wrote the review page to %s", args.html)
    if args.explain:
        print(printable(format_reuse_explanation(result), newlines=True))
    if not args.quiet:
        out = sys.stderr if args.report == "-" else sys.stdout
        print(printable(format_reuse_summary(result), newlines=True), file=out)
    return EXIT_OK


def _add_reuse_parser(sub: Any) -> None:
    ru = sub.add_parser(
        "reuse",
        help="find which articles derive from which sources, and how much they reuse",
        description="For each article under PATH, the sources it derives from (given with "
        "--sources, or the earlier articles of the same corpus), the share of its words "
        "reused, the aligned passages, and a label: wholly, partially or none.",
        epilog=_EPILOG_REUSE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_input_options(ru)
    _add_verbosity(ru)
    ru.add_argument(
        "--sources",
        nargs="+",
        metavar="SOURCE",
        help="folders or files the targets may derive from (default: the targets themselves, "
        "earlier dated first)",
    )
    ru.add_argument(
        "--report", default="-", metavar="FILE", help="where to write the report (default: stdout)"
    )
    ru.add_argument(
        "--format",
        choices=("jsonl", "csv"),
        help="report format (default: csv for a .csv file, else jsonl)",
    )
    ru.add_argument(
        "--explain", action="store_true", help="print each derivation's passages from both texts"
    )
    ru.add_argument(
        "--html",
        metavar="FILE",
        help="write a self-contained HTML page to review each derived target beside its "
        "sources, the reused passages highlighted",
    )
    ru.add_argument(
        "--keep-boilerplate",
        action="store_true",
        help="do not strip outlet boilerplate lines (learnt over targets and sources) "
        "before aligning",
    )
    ru.add_argument(
        "--wholly-share",
        type=_finite_float,
        default=0.43,
        metavar="S",
        help="share of the target aligned to the source that makes it wholly derived "
        "(default: %(default)s)",
    )
    ru.add_argument(
        "--partial-share",
        type=_finite_float,
        default=0.25,
        metavar="S",
        help="share that makes it partially derived (default: %(default)s)",
    )
    ru.add_argument(
        "--passage-share",
        type=_finite_float,
        default=0.13,
        metavar="S",
        help="share of the target in passages of two or more words that any derivation "
        "needs (default: %(default)s)",
    )
    ru.set_defaults(func=_cmd_reuse, command_parser=ru)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsingest",
        description="Ingest scraped news articles, repair their text, and find the copies.",
        epilog="Run 'newsingest COMMAND --help' for a command's options and examples.",
    )
    parser.add_argument("--version", action="version", version=f"newsingest {__version__}")
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="more log output on stderr (-vv for debug)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    ingest = sub.add_parser(
        "ingest",
        help="decode, parse and repair articles into JSON Lines",
        description="Decode, parse and repair every article under PATH into JSON Lines.",
        epilog=_EPILOG_INGEST,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_input_options(ingest)
    _add_verbosity(ingest)
    ingest.add_argument(
        "-o",
        "--output",
        default="-",
        metavar="FILE",
        help="where to write the JSON Lines (default: stdout)",
    )
    ingest.set_defaults(func=_cmd_ingest, command_parser=ingest)

    dd = sub.add_parser(
        "dedup",
        help="group the copies of each story and keep the best one",
        description="Find the near-duplicate copies among the articles under PATH, group them, "
        "choose the copy to keep, and write a report with one row per document.",
        epilog=_EPILOG_DEDUP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_input_options(dd)
    _add_verbosity(dd)
    # The rule's options default to None: an existing --index then supplies its own.
    defaults = DedupConfig()
    dd.add_argument(
        "--threshold",
        type=_finite_float,
        metavar="T",
        help="Jaccard similarity at which two articles are copies "
        f"(default: {defaults.threshold}, or the index's own)",
    )
    dd.add_argument(
        "--containment",
        type=_finite_float,
        metavar="C",
        help="share of the shorter article found in the longer that makes it a copy, "
        f"e.g. a truncated one (default: {defaults.containment}, or the index's own)",
    )
    dd.add_argument(
        "--min-size-ratio",
        type=_finite_float,
        metavar="R",
        help="a containment match also needs the shorter article to be at least this share "
        f"of the longer (default: {defaults.min_size_ratio}, or the index's own)",
    )
    dd.add_argument(
        "--keep-boilerplate",
        action="store_true",
        help="do not strip outlet boilerplate lines before comparing",
    )
    dd.add_argument(
        "--report", default="-", metavar="FILE", help="where to write the report (default: stdout)"
    )
    dd.add_argument(
        "--format", choices=("jsonl", "csv"), default="jsonl", help="report format (default: jsonl)"
    )
    kept = dd.add_mutually_exclusive_group()
    kept.add_argument(
        "--kept",
        metavar="DIR",
        help="copy the kept documents into DIR (JSON Lines members as kept lines); "
        "with several PATHs, one top folder per PATH; DIR must be new or empty",
    )
    kept.add_argument(
        "--kept-jsonl",
        metavar="FILE",
        help="write the kept articles, parsed and repaired, as JSON Lines",
    )
    dd.add_argument(
        "--html",
        metavar="FILE",
        help="write a self-contained HTML page to review the clusters side by side",
    )
    dd.add_argument(
        "--index",
        metavar="FILE",
        help="dedup against everything in this index (SQLite, created if missing) and add "
        "the documents to it; the report covers the documents given",
    )
    dd.add_argument(
        "--overwrite",
        action="store_true",
        help="let --kept replace the contents of a folder that is not empty",
    )
    dd.set_defaults(func=_cmd_dedup, command_parser=dd)

    ix = sub.add_parser(
        "index",
        help="inspect, query or edit a dedup index (stats, export, query, remove)",
        description="Inspect or edit a dedup index made by 'dedup --index'.",
        epilog=_EPILOG_INDEX,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ix_sub = ix.add_subparsers(dest="action", metavar="ACTION", required=True)
    ix_stats = ix_sub.add_parser("stats", help="counts, size and parameters as JSON")
    ix_export = ix_sub.add_parser("export", help="one report row per stored document")
    ix_query = ix_sub.add_parser(
        "query", help="the stored documents FILE is a copy of, as JSON Lines; changes nothing"
    )
    ix_remove = ix_sub.add_parser("remove", help="remove documents by id; clusters are updated")
    for p in (ix_stats, ix_export, ix_query, ix_remove):
        p.add_argument("db", metavar="INDEX")
        _add_verbosity(p)
        p.set_defaults(command_parser=p)
    ix_export.add_argument("--report", default="-", metavar="FILE", help="default: stdout")
    ix_export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    ix_query.add_argument("file", metavar="FILE", help="one article: a file, not a folder")
    ix_remove.add_argument("ids", nargs="+", metavar="ID")
    ix.set_defaults(func=_cmd_index)

    _add_reuse_parser(sub)

    ex = sub.add_parser(
        "explain",
        help="show why two articles are, or are not, copies",
        description="Compare two documents the way dedup does: similarity, containment, "
        "the passages they share, and the lines stripped from each.",
        epilog=_EPILOG_EXPLAIN,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ex.add_argument("a", metavar="A")
    ex.add_argument("b", metavar="B")
    ex.add_argument(
        "--corpus",
        nargs="+",
        metavar="PATH",
        help="folders or files to learn boilerplate from (those that were deduplicated)",
    )
    ex.add_argument("--threshold", type=_finite_float, default=DedupConfig().threshold, metavar="T")
    ex.add_argument(
        "--containment", type=_finite_float, default=DedupConfig().containment, metavar="C"
    )
    ex.add_argument(
        "--min-size-ratio",
        type=_finite_float,
        default=DedupConfig().min_size_ratio,
        metavar="R",
    )
    _add_verbosity(ex)
    ex.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    ex.set_defaults(
        func=_cmd_explain,
        command_parser=ex,
        include=[],
        exclude=[],
        max_document_mb=16.0,
        jsonl_id_field="id",
        jsonl_title_field="title",
        jsonl_text_field="text",
        jsonl_date_field="date",
    )
    return parser


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = (
        logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(PrintableFormatter("newsingest: %(message)s"))
    root = logging.getLogger("newsingest")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def _error(message: object) -> None:
    print(f"newsingest: error: {printable(str(message))}", file=sys.stderr)


def _os_error(exc: OSError) -> str:
    """``FILE: what went wrong``: the file first, as the other errors put it."""
    if exc.filename is not None and exc.strerror:
        return f"{os.fsdecode(exc.filename)}: {exc.strerror}"
    return str(exc)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (see the module docstring)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on errors, 0 on --help
        return int(exc.code or 0)
    args.verbose += getattr(args, "verbose_after", 0)
    args.quiet = args.quiet or getattr(args, "quiet_after", False)
    _setup_logging(args.verbose, args.quiet)
    try:
        # A scheduler's SIGTERM ends the run as Ctrl-C does: workers stopped, exit 130.
        with sigterm_as_interrupt():
            return int(args.func(args))
    except _UsageError as exc:
        _error(exc)
        return EXIT_ERROR
    except ConfigError as exc:
        # The usage of the command given: its options are the ones to fix.
        getattr(args, "command_parser", parser).print_usage(sys.stderr)
        _error(exc)
        return EXIT_USAGE
    except NewsIngestError as exc:
        _error(exc)
        return EXIT_ERROR
    except OSError as exc:
        _error(_os_error(exc))
        return EXIT_ERROR
    except BrokenProcessPool:
        _error(
            "a worker process died (out of memory, or a crash in a "
            "parser); run again with --jobs 1 to see which document causes it"
        )
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("newsingest: interrupted", file=sys.stderr)
        return 130
