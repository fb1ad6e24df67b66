"""The kept documents of a dedup run: copied into a folder, or parsed as JSON Lines.

:func:`copy_kept` leaves the inputs untouched: a kept file is copied byte for
byte to the same relative place under the destination. A kept line of a JSON
Lines file is written, as it was, into a file of the same relative name holding
only the kept lines of that file (decompressed: the destination is for
reading, not archiving). :func:`write_kept_jsonl` writes the kept articles as
parsed and repaired, one :func:`~newsingest.serialize.to_dict` row per line.
"""

from __future__ import annotations

import os
import shutil
from collections import defaultdict
from pathlib import Path, PurePosixPath

from newsingest._atomic import atomic_binary_writer, atomic_path, atomic_writer
from newsingest.config import ReadConfig
from newsingest.errors import ReadError
from newsingest.ingest.read import iter_documents
from newsingest.records import DedupResult, RawDocument
from newsingest.serialize import to_json_line

__all__ = ["copy_kept", "write_kept_jsonl"]

_COMPRESSION_SUFFIXES = (".gz", ".bz2", ".xz", ".zst")


def _safe_relative(doc_id: str) -> PurePosixPath:
    """The id as a relative path that cannot climb out of the destination."""
    parts = [p for p in PurePosixPath(doc_id).parts if p not in ("", ".", "..", "/")]
    return PurePosixPath(*parts) if parts else PurePosixPath("document")


def _copy_file(src: str, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(dest) as tmp:
        shutil.copyfile(src, tmp)


def copy_kept(
    result: DedupResult, destination: str | os.PathLike[str], config: ReadConfig = ReadConfig()
) -> int:
    """Copy every kept document of ``result`` under ``destination``; returns how many.

    ``config`` must be the run's read settings: JSON Lines files are read again
    to pick out the kept lines, and a line the run accepted must be found again.
    A kept line that cannot be found (the file changed since) raises ReadError.
    """
    root = Path(destination)
    root.mkdir(parents=True, exist_ok=True)
    lines_by_file: dict[tuple[str, str], set[int]] = defaultdict(set)
    copied = 0
    for d in result.decisions:
        if d.status != "kept":
            continue
        file_id, sep, line = d.id.rpartition("#")
        if sep and line.isdigit():
            lines_by_file[(file_id, d.path)].add(int(line))
        else:
            _copy_file(d.path, root / _safe_relative(d.id))
            copied += 1
    # feed.jsonl and feed.jsonl.gz both land in feed.jsonl: gather the sources
    # of each target first so that neither replaces the other's lines.
    sources_by_target: dict[PurePosixPath, list[tuple[str, set[int]]]] = defaultdict(list)
    for (file_id, path), wanted in sorted(lines_by_file.items()):
        rel = _safe_relative(file_id)
        if rel.suffix in _COMPRESSION_SUFFIXES:
            rel = rel.with_suffix("")
        sources_by_target[rel].append((path, wanted))
    for rel, sources in sources_by_target.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_binary_writer(target) as out:
            for path, wanted in sources:
                found: set[int] = set()
                for doc in iter_documents([path], config):
                    if isinstance(doc, RawDocument) and doc.line in wanted:
                        out.write(doc.data + b"\n")
                        found.add(doc.line)
                if found != wanted:
                    missing = ", ".join(str(n) for n in sorted(wanted - found)[:5])
                    raise ReadError(
                        f"{path}: kept line(s) {missing} not found again; did it change?"
                    )
                copied += len(found)
    return copied


def write_kept_jsonl(result: DedupResult, path: str | os.PathLike[str]) -> int:
    """Write the kept articles of ``result`` as JSON Lines atomically (``"-"`` for stdout).

    The articles come from ``result.articles`` (``dedup(..., keep_articles=True)``),
    in their order there; returns how many were written.
    """
    kept = {d.id for d in result.decisions if d.status == "kept"}
    written = 0
    with atomic_writer(path) as out:
        for article in result.articles:
            if article.id in kept:
                out.write(to_json_line(article))
                written += 1
    return written
