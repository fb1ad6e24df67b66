"""Build the seeded throughput corpus for ``benchmarks/ingest.py``: many small article files.

Each real article (``news/*.jsonl``: title on the first line, then the body) is written as
its own ``.txt`` file in the plain-text layout newsingest parses (title line, blank line,
body), keeping its real mix of ASCII, curly quotes and accents. A few percent become
cp1252 copies (CRLF, as Windows tools save them), UTF-16 copies (with BOM) and mojibake
copies (UTF-8 read as cp1252 and saved again as UTF-8), and a few percent go into
``.jsonl`` files, so every decoding path is exercised in a realistic proportion. Articles
are reused in further shuffled passes until the corpus reaches the size asked for::

    python -m benchmarks.corpus --data /work/shared/data --work /tmp/newsingest-bench

The core, :func:`build_corpus`, takes plain ``(title, body)`` pairs so it is testable
without the real data; :func:`ensure_corpus` builds once and reuses the result while
its manifest (seed, size, sources) still matches.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import ftfy.bad_codecs  # noqa: F401  (registers the "sloppy-windows-1252" codec)

from ._common import MB

__all__ = [
    "DEFAULT_SHARES",
    "GENERATOR",
    "CorpusFile",
    "build_corpus",
    "encode_variant",
    "ensure_corpus",
    "load_news_pairs",
    "main",
    "read_file_list",
    "render_article",
    "sample_files",
]

GENERATOR = "benchmarks.corpus/1"
"""Stored in the manifest: a change in how files are made must invalidate old corpora."""

DEFAULT_SHARES: Mapping[str, float] = {
    "cp1252": 0.03,
    "utf16": 0.02,
    "mojibake": 0.03,
    "jsonl": 0.03,
}
"""Share of documents per non-default variant; the rest are UTF-8 ``.txt`` files."""

FILES_PER_DIR = 1000
JSONL_RECORDS = 200
"""Records per ``.jsonl`` file (the last one may hold fewer)."""

REPO = Path(__file__).resolve().parents[1]

CorpusFile = tuple[str, int, str]
"""One corpus file: path relative to the corpus folder, size in bytes, variant."""


def render_article(title: str, body: str) -> str:
    """The plain-text layout: title line, blank line, body."""
    return f"{title.strip()}\n\n{body.strip()}\n"


def encode_variant(text: str, variant: str) -> bytes | None:
    """The bytes of ``text`` saved as ``variant``; ``None`` when cp1252 cannot hold it."""
    if variant == "cp1252":
        try:
            return text.replace("\n", "\r\n").encode("cp1252")
        except UnicodeEncodeError:
            return None
    if variant == "utf16":
        return text.encode("utf-16")  # Python writes the BOM for "utf-16"
    if variant == "mojibake":
        return text.encode("utf-8").decode("sloppy-windows-1252").encode("utf-8")
    return text.encode("utf-8")


def _choose_variant(rng: random.Random, shares: Mapping[str, float]) -> str:
    draw = rng.random()
    for variant, share in shares.items():
        if draw < share:
            return variant
        draw -= share
    return "utf8"


class _Writer:
    """Numbers files, spreads them over folders of :data:`FILES_PER_DIR`, and lists them."""

    def __init__(self, docs: Path) -> None:
        self.docs = docs
        self.files: list[CorpusFile] = []
        self.total = 0

    def write(self, suffix: str, data: bytes, variant: str) -> None:
        n = len(self.files)
        rel = f"{n // FILES_PER_DIR:04d}/{n:07d}{suffix}"
        path = self.docs / rel
        if n % FILES_PER_DIR == 0:
            path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.files.append((rel, len(data), variant))
        self.total += len(data)


def build_corpus(
    pairs: Sequence[tuple[str, str]],
    out: Path,
    *,
    target_bytes: int,
    seed: int,
    shares: Mapping[str, float] = DEFAULT_SHARES,
) -> dict[str, Any]:
    """Write at least ``target_bytes`` of article files under ``out/docs``; return the manifest.

    Deterministic in (``pairs``, ``target_bytes``, ``seed``, ``shares``). Also writes
    ``out/files.tsv`` (path, bytes, variant per line) and ``out/manifest.json``.
    """
    if not any(title.strip() or body.strip() for title, body in pairs):
        raise ValueError("build_corpus needs at least one non-empty (title, body) pair")
    rng = random.Random(seed)
    docs = out / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    writer = _Writer(docs)
    documents: Counter[str] = Counter()
    cp1252_unencodable = 0
    pending: list[str] = []
    passes = 0

    def flush_jsonl() -> None:
        if pending:
            writer.write(".jsonl", "".join(pending).encode("utf-8"), "jsonl")
            pending.clear()

    order = list(range(len(pairs)))
    while writer.total < target_bytes:
        passes += 1
        rng.shuffle(order)
        for i in order:
            title, body = pairs[i]
            if not (title.strip() or body.strip()):
                continue
            variant = _choose_variant(rng, shares)
            if variant == "jsonl":
                record = {"id": f"bench-{sum(documents.values())}", "title": title, "text": body}
                pending.append(json.dumps(record, ensure_ascii=False) + "\n")
                documents["jsonl"] += 1
                if len(pending) >= JSONL_RECORDS:
                    flush_jsonl()
                continue
            data = encode_variant(render_article(title, body), variant)
            if data is None:
                cp1252_unencodable += 1
                variant = "utf8"
                data = encode_variant(render_article(title, body), variant)
                assert data is not None
            writer.write(".txt", data, variant)
            documents[variant] += 1
            if writer.total >= target_bytes:
                break
    flush_jsonl()

    with (out / "files.tsv").open("w", encoding="utf-8") as handle:
        for rel, size, variant in writer.files:
            handle.write(f"{rel}\t{size}\t{variant}\n")
    by_variant: Counter[str] = Counter()
    for _, size, variant in writer.files:
        by_variant[variant] += size
    manifest: dict[str, Any] = {
        "generator": GENERATOR,
        "seed": seed,
        "target_bytes": target_bytes,
        "shares": dict(shares),
        "source_articles": len(pairs),
        "passes": passes,
        "files": len(writer.files),
        "bytes": writer.total,
        "documents": dict(sorted(documents.items())),
        "bytes_by_variant": dict(sorted(by_variant.items())),
        "cp1252_unencodable_written_as_utf8": cp1252_unencodable,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def read_file_list(out: Path) -> list[CorpusFile]:
    """The corpus files as :func:`build_corpus` listed them, in build order."""
    rows: list[CorpusFile] = []
    for line in (out / "files.tsv").read_text(encoding="utf-8").splitlines():
        rel, size, variant = line.split("\t")
        rows.append((rel, int(size), variant))
    return rows


def sample_files(files: Sequence[CorpusFile], target_bytes: int) -> list[CorpusFile]:
    """A deterministic, evenly spread subset of about ``target_bytes`` (every k-th file)."""
    total = sum(size for _, size, _ in files)
    if total <= target_bytes:
        return list(files)
    stride = max(1, round(total / target_bytes))
    return list(files[::stride])


def _source_files(data: Path) -> list[Path]:
    return sorted(p for p in (data / "news").glob("*.jsonl") if not p.name.endswith("_pairs.jsonl"))


def load_news_pairs(data: Path) -> list[tuple[str, str]]:
    """``(title, body)`` of every article in ``data/news/*.jsonl`` (title = first line of text)."""
    pairs: list[tuple[str, str]] = []
    for path in _source_files(data):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    text = str(json.loads(line).get("text") or "")
                except (ValueError, AttributeError):
                    continue
                title, _, body = text.strip().partition("\n")
                if title.strip() or body.strip():
                    pairs.append((title, body))
    return pairs


def _check_work(work: Path) -> Path:
    work = work.resolve()
    if work == REPO or REPO in work.parents:
        raise SystemExit(f"--work {work} is inside the repository; choose a folder outside it")
    return work


def ensure_corpus(data: Path, work: Path, *, size_mb: float, seed: int) -> dict[str, Any]:
    """Build the corpus under ``work`` unless a matching one is already there; return its manifest.

    The manifest's ``root`` is the corpus folder. A previous corpus is only deleted when
    its manifest says this generator made it.
    """
    work = _check_work(work)
    target = int(size_mb * MB)
    sources = {p.name: p.stat().st_size for p in _source_files(data)}
    manifest_path = work / "manifest.json"
    old: dict[str, Any] = {}
    if manifest_path.exists():
        try:
            old = json.loads(manifest_path.read_text(encoding="utf-8"))
        except ValueError:
            old = {}
    wanted = {"generator": GENERATOR, "seed": seed, "target_bytes": target, "sources": sources}
    if all(old.get(k) == v for k, v in wanted.items()) and (work / "files.tsv").exists():
        return {**old, "root": str(work), "reused": True}
    if (work / "docs").exists():
        if old.get("generator") != GENERATOR:
            raise SystemExit(
                f"{work / 'docs'} exists but was not made by {GENERATOR}; remove it or pick "
                "another --work"
            )
        shutil.rmtree(work / "docs")
    manifest_path.unlink(missing_ok=True)
    print(f"building a {size_mb:g} MB corpus in {work} (seed {seed})...", file=sys.stderr)
    manifest = build_corpus(load_news_pairs(data), work, target_bytes=target, seed=seed)
    manifest["sources"] = sources
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return {**manifest, "root": str(work), "reused": False}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder")
    parser.add_argument("--work", type=Path, default=Path("/tmp/newsingest-bench"))
    parser.add_argument("--corpus-mb", type=float, default=100.0, help="size in MB (10^6 bytes)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    manifest = ensure_corpus(args.data, args.work, size_mb=args.corpus_mb, seed=args.seed)
    print(json.dumps({k: v for k, v in manifest.items() if k != "sources"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
