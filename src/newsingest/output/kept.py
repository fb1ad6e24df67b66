"""The kept documents of a dedup run: copied into a folder, or parsed as JSON Lines.

:func:`copy_kept` leaves the inputs untouched: a kept file is copied byte for
byte to the same relative place under the destination. A kept line of a JSON
Lines file is written, as it was, into a file of the same relative name holding
only the kept lines of that file (decompressed: the destination is for
reading, not archiving). A kept record of a WARC file is copied byte for byte
(its gzip member, in a ``.warc.gz``) into a WARC file of the same relative name
holding only the kept records of that file. :func:`write_kept_jsonl` writes
the kept articles as parsed and repaired, one
:func:`~newsingest.serialize.to_dict` row per line.

The layout: with one argument, a kept file lands at its path relative to the
folder given (a file argument at its path as given, without ``..`` or a leading
``/``). With several arguments each argument gets one top folder (a file, one
top file) named after its last component, numbered when two names collide
(``d1``, ``d1-2``; ``feed.jsonl``, ``feed-2.jsonl``), so two inputs never
land on one copy. :func:`plan_kept` records, before the run reads anything,
every input file with its place in that layout and its identity (device,
inode, size, modification time); :func:`copy_kept` copies a file only if it is
still that file, opened without following a symlink put in its place.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path, PurePath, PurePosixPath
from typing import BinaryIO

import attrs

from newsingest._atomic import atomic_writer, temp_name
from newsingest.config import ReadConfig
from newsingest.errors import ConfigError, ReadError
from newsingest.ingest.ids import split_document_id, split_record_id
from newsingest.ingest.read import Entry, detect_format, iter_entries, read_entry
from newsingest.ingest.warc import record_bytes
from newsingest.output.paths import shown
from newsingest.records import Article, DedupResult, Format, RawDocument
from newsingest.serialize import to_json_line

__all__ = [
    "KeptPlan",
    "KeptSource",
    "check_kept_folder",
    "copy_kept",
    "plan_kept",
    "write_kept_jsonl",
]

_COMPRESSION_SUFFIXES = (".gz", ".bz2", ".xz", ".zst")
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_BINARY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    # A FIFO put in a file's place must not hang the copy.
    | getattr(os, "O_NONBLOCK", 0)
)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)

Identity = tuple[int, int, int, int]
"""``(device, inode, size, mtime_ns)`` of a file: changes when it is replaced or written."""


@attrs.frozen(kw_only=True)
class KeptSource:
    """One input file before the run: the name to open, where its copy goes, which file it is."""

    path: str
    """The name to open (undecodable bytes kept as surrogates, as :func:`os.fsdecode` gives)."""
    target: PurePosixPath
    """Relative place of the copy (a compressed JSON Lines file's loses its suffix there)."""
    format: Format
    compression: str | None = None
    identity: Identity | None = None
    """None when unknown: the copy then trusts the path."""
    link: bool = False
    """The walk reached the file through a symlink it may follow."""


@attrs.frozen(kw_only=True)
class KeptPlan:
    """The input files of a run by document id (a JSON Lines file's by its file id)."""

    sources: Mapping[str, KeptSource]


def _identity(st: os.stat_result) -> Identity:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _safe_relative(name: str) -> PurePosixPath:
    """``name`` as a relative path that cannot climb out of the destination."""
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".", "..", "/")]
    return PurePosixPath(*parts) if parts else PurePosixPath("document")


def _top_name(arg: str) -> str:
    name = Path(os.path.normpath(arg)).name
    if name in ("", ".", ".."):
        name = Path(os.path.realpath(arg)).name
    return name or "root"


def _numbered(name: str, n: int, *, is_file: bool) -> str:
    """``d1`` -> ``d1-2``; a file keeps its suffixes: ``feed.jsonl.gz`` -> ``feed-2.jsonl.gz``."""
    if not is_file:
        return f"{name}-{n}"
    stem, dot, suffixes = name.partition(".")
    if not stem:  # a hidden name: number its end
        return f"{name}-{n}"
    return f"{stem}-{n}{dot}{suffixes}"


def _final_name(name: str) -> str:
    """The name a copy ends up with: kept JSON lines are written decompressed."""
    detected = detect_format(name)
    if detected is not None and detected[0] == "jsonl" and detected[1] is not None:
        return PurePosixPath(name).stem
    return name


def _top_folders(paths: Sequence[str]) -> list[str]:
    """One distinct top name per argument, compared as they end up and case-folded."""
    used: set[str] = set()
    tops = []
    for arg in paths:
        base = _top_name(arg)
        is_file = not Path(arg).is_dir()
        name, n = base, 1
        while _final_name(name).casefold() in used:
            n += 1
            name = _numbered(base, n, is_file=is_file)
        used.add(_final_name(name).casefold())
        tops.append(name)
    return tops


def plan_kept(
    paths: Sequence[str | os.PathLike[str]], config: ReadConfig = ReadConfig()
) -> KeptPlan:
    """Walk ``paths`` as a run with ``config`` does and record every file it will read.

    Call it before the run (the CLI does): :func:`copy_kept` then copies a file
    only if it is the one recorded. ``config`` must be the run's read settings
    (an index run sets ``prefix_ids=True``), so that the ids match the report's.
    """
    args = [os.fsdecode(p) for p in paths]
    several = len(args) > 1 if config.prefix_ids is None else config.prefix_ids
    one_config = attrs.evolve(config, prefix_ids=several)
    tops = _top_folders(args) if len(args) > 1 else [""] * len(args)
    sources: dict[str, KeptSource] = {}
    for arg, top in zip(args, tops, strict=True):
        for entry in iter_entries([arg], one_config):
            if not isinstance(entry, Entry):
                continue
            if entry.path == arg:  # a file argument
                rel = ""
                name = arg
            else:
                rel = PurePath(os.path.relpath(entry.path, arg)).as_posix()
                name = arg.rstrip("/") + "/" + rel if several else rel
            if top:
                target = (
                    PurePosixPath(top, *_safe_relative(rel).parts) if rel else PurePosixPath(top)
                )
            else:
                target = _safe_relative(name)
            if entry.id not in sources:  # an argument given twice: the run reads it once
                sources[entry.id] = _source(entry, target)
    return KeptPlan(sources=sources)


def _source(entry: Entry, target: PurePosixPath) -> KeptSource:
    try:
        link = stat.S_ISLNK(os.lstat(entry.path).st_mode)
        identity: Identity | None = _identity(os.stat(entry.path))  # noqa: PTH116
    except OSError:  # the run will reject it; nothing to copy
        link, identity = False, None
    return KeptSource(
        path=entry.path,
        target=target,
        format=entry.format,
        compression=entry.compression,
        identity=identity,
        link=link,
    )


def _plan_from_decisions(result: DedupResult) -> KeptPlan:
    """Without a plan: each kept document's reported path, placed by its id, not checked."""
    sources: dict[str, KeptSource] = {}
    for d in result.decisions:
        if d.status != "kept":
            continue
        try:
            name, line = split_document_id(d.id)
        except ValueError:  # an id given with an Article, not made by the reader
            name, line = d.id, None
        if line is not None:
            detected = detect_format(d.path)
            compression = detected[1] if detected else None
            sources[d.id.rpartition("#")[0]] = KeptSource(
                path=d.path, target=_safe_relative(name), format="jsonl", compression=compression
            )
        else:
            sources[d.id] = KeptSource(path=d.path, target=_safe_relative(name), format="text")
    return KeptPlan(sources=sources)


def check_kept_folder(destination: str | os.PathLike[str], *, overwrite: bool = False) -> None:
    """Refuse a destination that is a file, or a folder with anything in it unless ``overwrite``.

    A second run into the folder of a first would otherwise leave there files
    the new report calls duplicates.
    """
    path = Path(os.path.realpath(destination))
    if not path.exists():
        return
    if not path.is_dir():
        raise ConfigError(f"kept folder {shown(destination)} is a file, not a folder")
    if not overwrite and next(path.iterdir(), None) is not None:
        raise ConfigError(
            f"kept folder {shown(destination)} is not empty: choose a new folder, or pass "
            "--overwrite (overwrite=True) to replace its contents with this run's kept documents"
        )


class _ChangedError(Exception):
    """An input is no longer the file the run read; the message says how."""


def copy_kept(
    result: DedupResult,
    destination: str | os.PathLike[str],
    config: ReadConfig = ReadConfig(),
    *,
    plan: KeptPlan | None = None,
    overwrite: bool = False,
) -> int:
    """Copy every kept document of ``result`` under ``destination``; returns how many.

    ``plan`` (:func:`plan_kept`, made before the run) gives each document's file
    and place; without it the reported paths are copied by id, unchecked.
    ``config`` must be the run's read settings: JSON Lines files are read again
    to pick out the kept lines. The copies are made in a new folder beside
    ``destination`` which then takes its place: a folder with anything in it is
    refused unless ``overwrite``, and replaced whole with it, so it ends up
    holding exactly this run's kept documents. An input that changed since the
    plan (replaced, rewritten, turned into a symlink) or a kept line not found
    again raises ReadError, and ``destination`` is left as it was.
    """
    check_kept_folder(destination, overwrite=overwrite)
    plan = plan or _plan_from_decisions(result)
    root = Path(os.path.realpath(destination))
    root.parent.mkdir(parents=True, exist_ok=True)
    with _staging(root) as stage:
        copied, problems = _copy_into(result, stage, plan, config)
        if problems:
            shown_problems = "; ".join(problems[:5])
            more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
            raise ReadError(
                f"{len(problems)} kept document(s) could not be copied, so {shown(destination)} "
                f"was left as it was: {shown_problems}{more}; run again on inputs that do not "
                "change during the run"
            )
        _swap_in(stage, root)
    return copied


@contextlib.contextmanager
def _staging(root: Path) -> Iterator[Path]:
    """A new empty folder beside ``root`` (mode as ``root``'s, or the usual), removed on failure."""
    for _ in range(100):
        stage = temp_name(root)
        try:
            stage.mkdir(0o777)
        except FileExistsError:
            continue
        break
    else:
        raise FileExistsError(f"cannot create a temporary folder beside {root}")
    try:
        with contextlib.suppress(OSError):
            stage.chmod(stat.S_IMODE(root.stat().st_mode))
        yield stage
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _swap_in(stage: Path, root: Path) -> None:
    """Put ``stage`` in the place of ``root``; an old ``root`` goes only once the new one is in."""
    if root.is_dir() and next(root.iterdir(), None) is None:
        root.rmdir()
    if not os.path.lexists(root):
        stage.rename(root)
        return
    old = temp_name(root)
    root.rename(old)
    try:
        stage.rename(root)
    except BaseException:
        old.rename(root)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _copy_into(
    result: DedupResult, stage: Path, plan: KeptPlan, config: ReadConfig
) -> tuple[int, list[str]]:
    sources = plan.sources
    problems: list[str] = []
    lines_by_file: dict[str, set[int]] = defaultdict(set)
    records_by_file: dict[str, set[tuple[int, int]]] = defaultdict(set)
    copied = 0
    for d in result.decisions:
        if d.status != "kept":
            continue
        source = sources.get(d.id)
        if source is not None and source.format != "jsonl":
            try:
                _copy_file(source, stage / source.target)
            except _ChangedError as exc:
                problems.append(f"{shown(d.path)}: {exc}")
                continue
            copied += 1
            continue
        file_id, sep, line = d.id.rpartition("#")
        if sep and line.startswith("@") and file_id in sources:
            records_by_file[file_id].add(split_record_id(d.id)[1:])
            continue
        source = sources.get(file_id) if sep and line.isdigit() else None
        if source is None or source.format != "jsonl":
            problems.append(f"{shown(d.id)}: not among the files of the inputs given")
            continue
        lines_by_file[file_id].add(int(line))
    # feed.jsonl and feed.jsonl.gz both land in feed.jsonl: gather the sources
    # of each target first so that neither replaces the other's lines.
    by_target: dict[PurePosixPath, list[tuple[str, set[int]]]] = defaultdict(list)
    for file_id, wanted in sorted(lines_by_file.items()):
        target = sources[file_id].target
        if target.suffix in _COMPRESSION_SUFFIXES:
            target = target.with_suffix("")
        by_target[target].append((file_id, wanted))
    for target, files in by_target.items():
        dest = stage / target
        dest.parent.mkdir(parents=True, exist_ok=True)
        with dest.open("xb") as out:
            for file_id, wanted in files:
                try:
                    copied += _copy_lines(file_id, sources[file_id], wanted, out, config)
                except _ChangedError as exc:
                    problems.append(f"{shown(sources[file_id].path)}: {exc}")
    for file_id, wanted_records in sorted(records_by_file.items()):
        source = sources[file_id]
        try:
            copied += _copy_records(source, sorted(wanted_records), stage / source.target)
        except (_ChangedError, ReadError) as exc:
            problems.append(f"{shown(source.path)}: {exc}")
    return copied, problems


def _copy_records(source: KeptSource, wanted: list[tuple[int, int]], dest: Path) -> int:
    """A WARC file of the kept records of ``source``, each copied as the file holds it."""
    if any(repeat for _, repeat in wanted):
        raise _ChangedError("a .warc.gz compressed as one stream: its records cannot be cut out")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with (
        _open_checked(source) as fd,
        os.fdopen(fd, "rb", closefd=False) as src,
        dest.open("xb") as out,
    ):
        for offset, _ in wanted:
            out.write(record_bytes(src, offset))
    return len(wanted)


@contextlib.contextmanager
def _open_checked(source: KeptSource) -> Iterator[int]:
    """The source's descriptor, if it is still the file the plan recorded."""
    flags = _OPEN_FLAGS | (0 if source.link else _NOFOLLOW)
    try:
        fd = os.open(source.path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _ChangedError("replaced by a symlink since the run read it") from None
        raise _ChangedError(f"cannot open it again: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _ChangedError("no longer a regular file")
        if source.identity is not None and _identity(st) != source.identity:
            raise _ChangedError("replaced or modified since the run read it")
        yield fd
        if source.identity is not None and _identity(os.fstat(fd)) != source.identity:
            raise _ChangedError("modified while it was being copied")
    finally:
        os.close(fd)


def _copy_file(source: KeptSource, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    with (
        _open_checked(source) as fd,
        os.fdopen(fd, "rb", closefd=False) as src,
        dest.open("xb") as out,
    ):
        shutil.copyfileobj(src, out)


def _descriptor_path(fd: int) -> str | None:
    """A name that opens the very file behind ``fd`` (not whatever its path now names)."""
    for folder in ("/proc/self/fd", "/dev/fd"):
        if Path(folder).is_dir():
            return f"{folder}/{fd}"
    return None


def _copy_lines(
    file_id: str, source: KeptSource, wanted: set[int], out: BinaryIO, config: ReadConfig
) -> int:
    found: set[int] = set()
    with _open_checked(source) as fd:
        entry = Entry(
            path=_descriptor_path(fd) or source.path,
            id=file_id,
            shown_path=source.path,
            format="jsonl",
            compression=source.compression,
        )
        for doc in read_entry(entry, config):
            if isinstance(doc, RawDocument) and doc.line in wanted:
                out.write(doc.data + b"\n")
                found.add(doc.line)
    if found != wanted:
        missing = ", ".join(str(n) for n in sorted(wanted - found)[:5])
        raise _ChangedError(f"kept line(s) {missing} not found again; did it change?")
    return len(found)


def write_kept_jsonl(
    result: DedupResult,
    path: str | os.PathLike[str],
    *,
    articles: Mapping[str, Article] | None = None,
) -> int:
    """Write the kept articles of ``result`` as JSON Lines atomically (``"-"`` for stdout).

    The articles come from ``result.articles`` (``dedup(..., keep_articles=True)``),
    in their order there, or from ``articles`` by id, in id order (the articles
    :func:`~newsingest.pipeline.dedup_articles` reads back from disk); returns
    how many were written.
    """
    written = 0
    with atomic_writer(path) as out:
        for article in _kept_articles(result, articles):
            out.write(to_json_line(article))
            written += 1
    return written


def _kept_articles(
    result: DedupResult, articles: Mapping[str, Article] | None
) -> Iterator[Article]:
    if articles is None:
        kept = {d.id for d in result.decisions if d.status == "kept"}
        yield from (a for a in result.articles if a.id in kept)
        return
    # The decisions are in id order, as the result's articles are.
    for d in result.decisions:
        article = articles.get(d.id) if d.status == "kept" else None
        if article is not None:
            yield article
