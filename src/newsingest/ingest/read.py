"""The read stage: walk folders and files, yield one RawDocument per document.

Reading is lazy and streams every file: memory stays bounded by the size caps
in :class:`~newsingest.config.ReadConfig`, not by the number or the size of the
files. The order is deterministic (a depth-first walk, each folder's entries
sorted by the bytes of their names), so two runs over the same tree yield the
same sequence whatever the filesystem. The walk (:func:`iter_entries`) and the
reading (:func:`read_entry`) are separate steps, so that worker processes can
read the files one process walks; :func:`iter_documents` is the two in a row.

Nothing is ever dropped silently: a file that cannot be used becomes a
:class:`~newsingest.records.Rejection` naming it and saying why, and the walk
goes on. Only hidden entries (names starting with ``.``, when walking) and
files left out by ``include``/``exclude`` are skipped, as the user asked.
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import io
import itertools
import logging
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import Final

import attrs

from newsingest.config import ReadConfig
from newsingest.ingest._streams import (
    CHUNK,
    LineSplitter,
    StreamError,
    cap_stream,
    iter_chunks,
    to_utf8,
)
from newsingest.ingest.ids import escape_name
from newsingest.ingest.warc import iter_warc
from newsingest.records import Format, RawDocument, Rejection

__all__ = ["Entry", "detect_format", "is_warc", "iter_documents", "iter_entries", "read_entry"]

log = logging.getLogger(__name__)

PathArg = str | bytes | os.PathLike[str] | os.PathLike[bytes]

_FORMATS: Final[dict[str, Format]] = {
    ".txt": "text",
    ".text": "text",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".warc": "html",  # a container of HTML pages: see ingest.warc
}
_COMPRESSIONS: Final = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zst": "zstd"}
_EXPECTED: Final = "expected .txt, .html, .jsonl (optionally .gz/.bz2/.xz/.zst), .warc, .warc.gz"
_WARC_COMPRESSIONS: Final = (None, "gzip")

_DEFAULT_CONFIG: Final = ReadConfig()
_OPEN_FLAGS: Final = (
    os.O_RDONLY
    | getattr(os, "O_BINARY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    # Opening a FIFO must not hang the run; regular files ignore O_NONBLOCK.
    | getattr(os, "O_NONBLOCK", 0)
)


@attrs.frozen(kw_only=True)
class Entry:
    """A file the walk found and will read: what :func:`read_entry` needs, and no bytes.

    Small and picklable, so the walk can run in one process and the reading in
    others with the ids, order and rejections of :func:`iter_documents`.
    ``path`` is the name to open (it may hold undecodable bytes as surrogates);
    ``shown_path`` is the same name as valid text, as documents report it.
    """

    path: str
    id: str
    shown_path: str
    format: Format
    compression: str | None = None
    warc: bool = False
    """A WARC file: one document per HTML response record (format ``html``)."""


def detect_format(name: str) -> tuple[Format, str | None] | None:
    """Return (format, compression) from a file name's extensions, or None if unsupported.

    A WARC file is a container of HTML pages: ``("html", compression)``, and
    :func:`is_warc` tells it from a page.

    >>> detect_format("news/a.JSONL.gz")
    ('jsonl', 'gzip')
    """
    stem, ext = _split_ext(name.rpartition("/")[2].lower())
    compression = _COMPRESSIONS.get(ext)
    if compression is not None:
        stem, ext = _split_ext(stem)
    fmt = _FORMATS.get(ext)
    return None if fmt is None else (fmt, compression)


def is_warc(name: str) -> bool:
    """Whether a file name is a WARC file's (``.warc``, optionally compressed)."""
    stem, ext = _split_ext(name.rpartition("/")[2].lower())
    if ext in _COMPRESSIONS:
        ext = _split_ext(stem)[1]
    return ext == ".warc"


def iter_documents(
    paths: Iterable[PathArg] | PathArg, config: ReadConfig = _DEFAULT_CONFIG
) -> Iterator[RawDocument | Rejection]:
    """Yield the documents under ``paths`` (folders, walked recursively, or files), in order.

    With one folder, ids are paths relative to it (``sport/199.txt``); with
    several arguments (or ``config.prefix_ids``) each id starts with its
    argument as typed (``data/a/x.txt``) so ids never collide; a file argument's id is the
    argument itself. A JSON Lines file yields one document per non-blank line,
    with ``#N`` appended to its id. ``\\``, ``#`` and undecodable bytes in file
    names are escaped in ids, so that ids are unique and name their file
    (:mod:`newsingest.ingest.ids`). Every problem becomes a Rejection.
    """
    return _read_entries(iter_entries(paths, config), config)


def iter_entries(
    paths: Iterable[PathArg] | PathArg, config: ReadConfig = _DEFAULT_CONFIG
) -> Iterator[Entry | Rejection]:
    """The walk of :func:`iter_documents` without the reading: one :class:`Entry` per file.

    Rejections the walk itself makes (a missing argument, a symlink not to be
    followed, an unsupported file type, a folder that cannot be listed) come
    out in their place. :func:`read_entry` on each entry, in order, gives
    exactly what :func:`iter_documents` gives.
    """
    if isinstance(paths, str | bytes | os.PathLike):
        paths = [paths]
    args = iter(paths)
    head = list(itertools.islice(args, 2))
    several = len(head) > 1 if config.prefix_ids is None else config.prefix_ids
    given: set[str] = set()
    for arg in map(os.fsdecode, itertools.chain(head, args)):
        if arg in given:
            # The same argument again names the same documents: one row each, not two.
            log.warning("%s was given more than once; it is read once", _display(arg))
            continue
        given.add(arg)
        yield from _iter_argument_entries(arg, several=several, config=config)


def read_entry(
    entry: Entry, config: ReadConfig = _DEFAULT_CONFIG
) -> Iterator[RawDocument | Rejection]:
    """Read one file the walk found: its document(s), or a Rejection saying why not."""
    return _read_file(
        entry.path,
        doc_id=entry.id,
        shown_path=entry.shown_path,
        fmt=entry.format,
        compression=entry.compression,
        config=config,
        warc=entry.warc,
    )


def _read_entries(
    items: Iterable[Entry | Rejection], config: ReadConfig
) -> Iterator[RawDocument | Rejection]:
    for item in items:
        if isinstance(item, Entry):
            yield from read_entry(item, config)
        else:
            yield item


def _iter_argument_entries(
    arg: str, *, several: bool, config: ReadConfig
) -> Iterator[Entry | Rejection]:
    shown = _display(arg)
    arg_id = escape_name(arg)
    try:
        st = os.stat(arg)  # noqa: PTH116 (a Path per argument costs more than the stat)
    except OSError as exc:
        yield _reject(arg_id, shown, _stat_reason(arg, exc))
        return
    if stat.S_ISDIR(st.st_mode):
        prefix = ""
        if several:
            prefix = arg_id.rstrip("/") or "/"
            prefix = prefix if prefix.endswith("/") else prefix + "/"
        yield from _iter_folder(arg, prefix, st, config)
    elif _is_selected(shown, config):
        yield _find_file(arg, arg_id, shown)


def _iter_folder(
    root: str, prefix: str, root_stat: os.stat_result, config: ReadConfig
) -> Iterator[Entry | Rejection]:
    """Walk ``root`` depth-first, each folder's entries sorted by name bytes."""
    root_real = os.path.realpath(root)
    root_key = (root_stat.st_dev, root_stat.st_ino)
    visited = {root_key}
    try:
        entries = _list_folder(root)
    except OSError as exc:
        shown = _display(root)
        root_id = prefix.rstrip("/") or escape_name(root)
        yield _reject(root_id, shown, f"cannot list folder: {_strerror(exc)}")
        return
    # Each frame: the folder's remaining entries, its relative path, its (dev, inode).
    stack: list[tuple[Iterator[os.DirEntry[str]], str, tuple[int, int]]] = [
        (iter(entries), "", root_key)
    ]
    while stack:
        remaining, rel_dir, _ = stack[-1]
        entry = next(remaining, None)
        if entry is None:
            stack.pop()
            continue
        rel = rel_dir + entry.name
        doc_id = prefix + escape_name(rel)
        shown_path = _display(entry.path)
        try:
            target = _resolve_entry(entry, root_real, config)
        except StreamError as exc:
            yield _reject(doc_id, shown_path, str(exc))
            continue
        except OSError as exc:
            yield _reject(doc_id, shown_path, f"cannot read: {_strerror(exc)}")
            continue
        if target is None or stat.S_ISREG(target.st_mode):
            if not (config.include or config.exclude) or _is_selected(_display(rel), config):
                yield _find_file(entry.path, doc_id, shown_path)
        elif stat.S_ISDIR(target.st_mode):
            key = (target.st_dev, target.st_ino)
            if key in visited:
                ancestors = {frame[2] for frame in stack}
                why = (
                    "symlink loop: it leads back to a folder that contains it"
                    if key in ancestors
                    else "folder already read through another link"
                )
                yield _reject(doc_id, shown_path, why)
                continue
            visited.add(key)
            try:
                children = _list_folder(entry.path)
            except OSError as exc:
                yield _reject(doc_id, shown_path, f"cannot list folder: {_strerror(exc)}")
                continue
            stack.append((iter(children), rel + "/", key))
        else:
            yield _reject(doc_id, shown_path, "not a regular file")


def _resolve_entry(
    entry: os.DirEntry[str], root_real: str, config: ReadConfig
) -> os.stat_result | None:
    """Stat what the walk should read for ``entry``, following allowed symlinks.

    None means a plain regular file, known from the folder listing: not
    stat-ing it saves a system call per file. Raises StreamError (with the
    reason) for a symlink that must not be followed.
    """
    if not entry.is_symlink():
        if entry.is_file(follow_symlinks=False):
            return None
        return entry.stat(follow_symlinks=False)
    if not config.follow_symlinks:
        raise StreamError("symlink not followed (follow_symlinks is off)")
    try:
        target = Path(entry.path).stat()
    except FileNotFoundError:
        link = str(Path(entry.path).readlink())
        raise StreamError(f"broken symlink: {_display(link)}") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise StreamError("symlink loop: too many levels of symbolic links") from None
        raise
    real = os.path.realpath(entry.path)
    if not _is_within(real, root_real):
        raise StreamError(f"symlink points outside the folder being read: {_display(real)}")
    return target


def _list_folder(path: str) -> list[os.DirEntry[str]]:
    with os.scandir(path) as scan:
        entries = [e for e in scan if not e.name.startswith(".")]
    entries.sort(key=lambda e: os.fsencode(e.name))
    return entries


def _find_file(path: str, doc_id: str, shown_path: str) -> Entry | Rejection:
    """An Entry for a file whose name says it can be read; a Rejection for any other."""
    detected = detect_format(path)
    if detected is None:
        return _reject(
            doc_id, shown_path, f"unsupported file type {_file_type(path)!r}: {_EXPECTED}"
        )
    fmt, compression = detected
    warc = is_warc(path)
    if warc and compression not in _WARC_COMPRESSIONS:
        return _reject(
            doc_id,
            shown_path,
            f"unsupported file type {_file_type(path)!r}: WARC is read as .warc or .warc.gz",
        )
    return Entry(
        path=path,
        id=doc_id,
        shown_path=shown_path,
        format=fmt,
        compression=compression,
        warc=warc,
    )


def _read_file(
    path: str,
    *,
    doc_id: str,
    shown_path: str,
    fmt: Format,
    compression: str | None,
    config: ReadConfig,
    warc: bool = False,
) -> Iterator[RawDocument | Rejection]:
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        yield _reject(doc_id, shown_path, f"cannot read: {_strerror(exc)}")
        return
    try:
        info = os.fstat(fd)
        size = info.st_size
        if not stat.S_ISREG(info.st_mode):
            yield _reject(doc_id, shown_path, "not a regular file")
        elif warc:
            with os.fdopen(fd, "rb", closefd=False) as raw:
                yield from iter_warc(
                    raw,
                    size,
                    doc_id=doc_id,
                    shown_path=shown_path,
                    compression=compression,
                    config=config,
                )
        elif fmt != "jsonl" and compression is None:
            # The common case, read straight off the descriptor: no file object.
            yield _read_plain(
                fd, size, doc_id=doc_id, shown_path=shown_path, fmt=fmt, config=config
            )
        else:
            with os.fdopen(fd, "rb", buffering=0, closefd=False) as raw:
                if fmt == "jsonl":
                    yield from _iter_jsonl(
                        raw=raw,
                        size=size,
                        doc_id=doc_id,
                        shown_path=shown_path,
                        compression=compression,
                        config=config,
                    )
                else:
                    yield _read_single(
                        raw=raw,
                        size=size,
                        doc_id=doc_id,
                        shown_path=shown_path,
                        fmt=fmt,
                        compression=compression,
                        config=config,
                    )
    except OSError as exc:
        yield _reject(doc_id, shown_path, f"cannot read: {_strerror(exc)}")
    finally:
        os.close(fd)


def _read_plain(
    fd: int, size: int, *, doc_id: str, shown_path: str, fmt: Format, config: ReadConfig
) -> RawDocument | Rejection:
    """Read an uncompressed one-document file whole, straight off its open descriptor,
    refusing it past max_document_bytes."""
    cap = config.max_document_bytes
    if size == 0:
        return _reject(doc_id, shown_path, "empty file")
    if size > cap:
        return _reject(doc_id, shown_path, _too_large(size, cap))
    data = os.read(fd, size + 1)
    if len(data) != size:
        # Not the size fstat gave (the file changed, or a short read): read on to the end.
        data = _read_capped(partial(os.read, fd), size, cap, data)
    if len(data) > cap:
        return _reject(doc_id, shown_path, _too_large(len(data), cap))
    if not data:
        return _reject(doc_id, shown_path, "empty file")
    return RawDocument(id=doc_id, path=shown_path, format=fmt, data=data)


def _read_single(
    *,
    raw: io.FileIO,
    size: int,
    doc_id: str,
    shown_path: str,
    fmt: Format,
    compression: str | None,
    config: ReadConfig,
) -> RawDocument | Rejection:
    """Read a compressed one-document file whole, refusing it once it inflates past
    max_document_bytes (uncompressed files go to :func:`_read_plain`)."""
    cap = config.max_document_bytes
    if size == 0:
        return _reject(doc_id, shown_path, "empty file")
    parts: list[bytes] = []
    total = 0
    try:
        with contextlib.closing(iter_chunks(raw, compression)) as chunks:
            for chunk in chunks:
                parts.append(chunk)
                total += len(chunk)
                if total > cap:
                    return _reject(
                        doc_id,
                        shown_path,
                        f"decompression bomb: inflates past max_document_bytes ({cap}) "
                        f"from {size} compressed bytes",
                    )
    except StreamError as exc:
        return _reject(doc_id, shown_path, str(exc))
    data = b"".join(parts)
    if not data:
        return _reject(doc_id, shown_path, "empty file")
    return RawDocument(id=doc_id, path=shown_path, format=fmt, data=data, compression=compression)


def _read_capped(
    read: Callable[[int], bytes | None], size: int, cap: int, head: bytes = b""
) -> bytes:
    """Read at most ``cap + 1`` bytes (after ``head``, already read), in one read when
    ``size`` is right."""
    parts: list[bytes] = [head] if head else []
    total = len(head)
    want = max(min(size, cap) + 1 - total, 1)
    while total <= cap:
        chunk = read(want)
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
        want = min(CHUNK, cap + 1 - total) if total <= cap else 0
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _iter_jsonl(
    *,
    raw: io.FileIO,
    size: int,
    doc_id: str,
    shown_path: str,
    compression: str | None,
    config: ReadConfig,
) -> Iterator[RawDocument | Rejection]:
    """Yield one document per non-blank line; an over-long line is rejected and skipped."""
    if size == 0:
        yield _reject(doc_id, shown_path, "empty file")
        return
    cap = config.max_document_bytes
    chunks: Iterator[bytes] = iter_chunks(raw, compression)
    if compression is not None:
        chunks = cap_stream(chunks, size, config)
    splitter = LineSplitter(cap)
    yielded = False
    try:
        for lineno, line, length in splitter.lines(to_utf8(chunks)):
            yielded = True
            line_id = f"{doc_id}#{lineno}"
            if line is None:
                reason = f"line of {length} bytes exceeds max_document_bytes ({cap})"
                yield _reject(line_id, shown_path, reason, line=lineno)
            else:
                yield RawDocument(
                    id=line_id,
                    path=shown_path,
                    format="jsonl",
                    data=line,
                    line=lineno,
                    compression=compression,
                )
    except StreamError as exc:
        # The complete lines before the damage are kept; the damage is one rejection.
        where = f" after line {splitter.count}" if splitter.count else ""
        yield _reject(doc_id, shown_path, f"{exc}{where}")
        return
    if not yielded:
        yield _reject(doc_id, shown_path, "only blank lines" if splitter.count else "empty file")


def _reject(doc_id: str, path: str, reason: str, line: int | None = None) -> Rejection:
    return Rejection(id=doc_id, path=path, stage="read", reason=reason, line=line)


def _stat_reason(arg: str, exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        try:
            link = Path(arg).readlink()
        except OSError:
            return "no such file or directory"
        return f"broken symlink: {_display(str(link))}"
    if exc.errno == errno.ELOOP:
        return "symlink loop: too many levels of symbolic links"
    return f"cannot read: {_strerror(exc)}"


def _strerror(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def _too_large(size: int, cap: int) -> str:
    return f"file too large: {size} bytes, more than max_document_bytes ({cap})"


def _file_type(path: str) -> str:
    name = path.rpartition("/")[2].lower()
    stem, ext = _split_ext(name)
    if ext in _COMPRESSIONS:
        ext = _split_ext(stem)[1] + ext
    return _display(ext)


def _split_ext(name: str) -> tuple[str, str]:
    """Split the last extension off a base name; a leading dot does not start one."""
    dot = name.rfind(".")
    if dot <= 0:
        return name, ""
    return name[:dot], name[dot:]


def _is_within(path: str, root: str) -> bool:
    return path == root or path.startswith(root if root.endswith("/") else root + "/")


def _is_selected(rel: str, config: ReadConfig) -> bool:
    if not (config.include or config.exclude):
        return True
    if config.include and not any(fnmatch.fnmatchcase(rel, p) for p in config.include):
        return False
    return not any(fnmatch.fnmatchcase(rel, p) for p in config.exclude)


def _display(name: str) -> str:
    """Show a file name as valid text: bytes that are not UTF-8 become ``\\xNN`` escapes."""
    if name.isascii():
        return name
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        try:
            raw = name.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return name.encode("utf-8", "backslashreplace").decode("utf-8")
        return raw.decode("utf-8", "backslashreplace")
    return name
