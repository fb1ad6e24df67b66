"""Evaluate the extract stage on real data: title accuracy and throughput.

Title accuracy on ``raw/bbc`` (the first line of each file is its title) and
extraction throughput over all BBC files (text layout) and every line of
``news/*.jsonl`` (JSON Lines records)::

    python benchmarks/extract_eval.py --data ../shared/data [--json out.json]

Files are decoded here with UTF-8, falling back to cp1252 (the decoder is
another module's job); only the time spent in ``extract_article`` is counted.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

from newsingest.errors import ExtractError
from newsingest.ingest.extract import extract_article
from newsingest.records import DecodedText, Decoding

_UTF8 = Decoding(encoding="utf-8", method="utf-8", confidence=1.0)
_CP1252 = Decoding(encoding="cp1252", method="fallback", confidence=0.5)


def decode_file(raw: bytes) -> tuple[str, Decoding]:
    """UTF-8 if valid, else cp1252 (lossy for its five undefined bytes)."""
    try:
        return raw.decode("utf-8"), _UTF8
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace"), _CP1252


def evaluate_bbc(folder: Path) -> dict[str, object]:
    """Title accuracy and extraction time on every ``.txt`` under ``folder``."""
    docs: list[tuple[DecodedText, str]] = []
    size = 0
    for path in sorted(folder.rglob("*.txt")):
        if path.name.upper() == "README.TXT":
            continue
        raw = path.read_bytes()
        size += len(raw)
        text, decoding = decode_file(raw)
        expected = text.lstrip("\ufeff").splitlines()[0].strip() if text.strip() else ""
        doc_id = path.relative_to(folder).as_posix()
        docs.append(
            (
                DecodedText(id=doc_id, path=str(path), format="text", text=text, decoding=decoding),
                expected,
            )
        )
    correct = 0
    wrong: list[tuple[str, str | None, str]] = []
    notes: Counter[str] = Counter()
    start = time.process_time()
    articles = [extract_article(doc) for doc, _ in docs]
    elapsed = time.process_time() - start
    for (doc, expected), article in zip(docs, articles, strict=True):
        notes.update(article.notes)
        if article.title == expected:
            correct += 1
        else:
            wrong.append((doc.id, article.title, expected))
    return {
        "files": len(docs),
        "bytes": size,
        "seconds": elapsed,
        "title_correct": correct,
        "title_rate": correct / len(docs) if docs else 0.0,
        "wrong": wrong[:10],
        "notes": dict(notes.most_common()),
    }


def evaluate_jsonl(folder: Path) -> dict[str, object]:
    """Extraction time and outcome counts over every line of ``news/*.jsonl``."""
    per_file: dict[str, dict[str, float]] = {}
    total_bytes = 0
    total_seconds = 0.0
    for path in sorted(folder.glob("*.jsonl")):
        lines = path.read_bytes().splitlines()
        docs = [
            DecodedText(
                id=f"{path.name}#{n}",
                path=str(path),
                format="jsonl",
                text=line.decode("utf-8"),
                decoding=Decoding(encoding="utf-8", method="json", confidence=1.0),
                line=n,
            )
            for n, line in enumerate(lines, 1)
        ]
        size = sum(len(line) for line in lines)
        ok = titled = dated = errors = 0
        start = time.process_time()
        for doc in docs:
            try:
                article = extract_article(doc)
            except ExtractError:
                errors += 1
                continue
            ok += 1
            titled += article.title is not None
            dated += article.date is not None
        elapsed = time.process_time() - start
        per_file[path.name] = {
            "docs": len(docs),
            "ok": ok,
            "errors": errors,
            "titled": titled,
            "dated": dated,
            "bytes": size,
            "seconds": elapsed,
        }
        total_bytes += size
        total_seconds += elapsed
    return {"files": per_file, "bytes": total_bytes, "seconds": total_seconds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder")
    parser.add_argument("--json", type=Path, help="also write the results here as JSON")
    args = parser.parse_args(argv)

    bbc = evaluate_bbc(args.data / "raw" / "bbc")
    jsonl = evaluate_jsonl(args.data / "news")

    mb = 1024 * 1024
    print("## extract: title accuracy (raw/bbc, title = first line)\n")
    print("| files | titles correct | rate |")
    print("|---:|---:|---:|")
    print(f"| {bbc['files']} | {bbc['title_correct']} | {bbc['title_rate']:.2%} |")
    for doc_id, got, expected in bbc["wrong"]:  # type: ignore[attr-defined]
        print(f"  wrong: {doc_id}: got {got!r}, expected {expected!r}", file=sys.stderr)
    print("\n## extract: throughput\n")
    print("| input | docs | MB | seconds | MB/s |")
    print("|---|---:|---:|---:|---:|")
    bbc_mb = bbc["bytes"] / mb  # type: ignore[operator]
    print(
        f"| raw/bbc (text) | {bbc['files']} | {bbc_mb:.1f} | {bbc['seconds']:.2f} "
        f"| {bbc_mb / bbc['seconds']:.1f} |"  # type: ignore[operator]
    )
    for name, row in jsonl["files"].items():  # type: ignore[attr-defined]
        size = row["bytes"] / mb
        print(
            f"| news/{name} | {row['docs']} | {size:.1f} | {row['seconds']:.2f} "
            f"| {size / row['seconds']:.1f} |"
        )
    all_mb = jsonl["bytes"] / mb  # type: ignore[operator]
    print(
        f"| news/*.jsonl (all) | | {all_mb:.1f} | {jsonl['seconds']:.2f} "
        f"| {all_mb / jsonl['seconds']:.1f} |"  # type: ignore[operator]
    )
    print("\n## jsonl outcomes\n")
    print("| file | docs | ok | errors | with title | with date |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, row in jsonl["files"].items():  # type: ignore[attr-defined]
        print(
            f"| {name} | {row['docs']} | {row['ok']} | {row['errors']} "
            f"| {row['titled']} | {row['dated']} |"
        )
    if args.json:
        args.json.write_text(json.dumps({"bbc": bbc, "jsonl": jsonl}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
