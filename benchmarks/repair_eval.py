"""Evaluate the repair stage: ftfy's own test cases, and throughput with and without the fast path.

Usage::

    python benchmarks/repair_eval.py --data ../shared/data [--json out.json] [--limit N]

(a) For every case of ``encoding/ftfy_cases.jsonl`` with ``expect == "pass"``, checks that
``repair_text(original) == fixed``; failures are split into those explained by an ftfy option
our conservative config disables (the case passes with ftfy's defaults) and the rest. Cases
whose ``fixed`` equals ``original`` are "must not change" cases.

(b) Repairs the title + text of every document of ``news/*.jsonl`` with the fast path on and
off (off = ftfy on every line, as ``ftfy.fix_text`` does), checks both give the same text, and
reports MB/s (of UTF-8) and the share of documents the screen let through without ftfy.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import ftfy

from newsingest.config import RepairConfig
from newsingest.ingest.repair import ftfy_config, needs_repair, repair_text

DISABLED_OPTIONS = ("uncurl_quotes", "fix_latin_ligatures", "fix_character_width")


def evaluate_cases(path: Path) -> dict[str, object]:
    """Run ftfy's cases through repair_text; explain each failure."""
    cases = [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line]
    passing = [c for c in cases if c.get("expect") == "pass"]
    passed, by_option, other, unchanged_broken = 0, [], [], []
    unchanged_total = 0
    for case in passing:
        got, fixes = repair_text(case["original"])
        must_not_change = case["original"] == case["fixed"]
        unchanged_total += must_not_change
        if got == case["fixed"]:
            passed += 1
            continue
        row = {
            "label": case["label"],
            "original": case["original"],
            "expected": case["fixed"],
            "got": got,
            "fixes": [f"{f.action}:{f.parameter}" for f in fixes],
        }
        if must_not_change:
            unchanged_broken.append(row)
        needed = [
            opt
            for opt in DISABLED_OPTIONS
            if ftfy.fix_text(case["original"], ftfy_config()._replace(**{opt: True}))
            == case["fixed"]
        ]
        if not needed and ftfy.fix_text(case["original"]) == case["fixed"]:
            needed = ["several disabled options together"]
        if needed:
            row["needs"] = needed
            by_option.append(row)
        else:
            other.append(row)
    return {
        "cases": len(cases),
        "expect_pass": len(passing),
        "passed": passed,
        "must_not_change": unchanged_total,
        "must_not_change_broken": unchanged_broken,
        "failed_disabled_option": by_option,
        "failed_other": other,
    }


def load_news(folder: Path, limit: int | None) -> list[str]:
    texts = []
    for path in sorted(folder.glob("*.jsonl")):
        if path.name.endswith("_pairs.jsonl"):
            continue
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                title = record.get("title") or ""
                text = record.get("text") or ""
                texts.append(f"{title}\n{text}" if title else text)
                if limit and len(texts) >= limit:
                    return texts
    return texts


def time_repair(texts: list[str], config: RepairConfig) -> tuple[float, list[str]]:
    start = time.process_time()
    out = [repair_text(t, config)[0] for t in texts]
    return time.process_time() - start, out


def evaluate_throughput(folder: Path, limit: int | None) -> dict[str, object]:
    texts = load_news(folder, limit)
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    fast_s, fast_out = time_repair(texts, RepairConfig())
    slow_s, slow_out = time_repair(texts, RepairConfig(fast_path=False))
    start = time.process_time()
    reference = [ftfy.fix_text(t, ftfy_config()._replace(explain=False)) for t in texts]
    ftfy_s = time.process_time() - start
    start = time.process_time()
    skipped = sum(not needs_repair(t) for t in texts)
    screen_s = time.process_time() - start
    mismatches = sum(a != b for a, b in zip(fast_out, reference, strict=True))
    mismatches += sum(a != b for a, b in zip(slow_out, reference, strict=True))
    return {
        "documents": len(texts),
        "megabytes": round(megabytes, 2),
        "fast_path_mb_s": round(megabytes / fast_s, 1),
        "no_fast_path_mb_s": round(megabytes / slow_s, 1),
        "ftfy_fix_text_mb_s": round(megabytes / ftfy_s, 1),
        "screen_only_mb_s": round(megabytes / screen_s, 1),
        "documents_skipped": round(skipped / len(texts), 4),
        "mismatches_vs_ftfy": mismatches,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--limit", type=int, help="use only the first N news documents")
    args = parser.parse_args(argv)

    cases = evaluate_cases(args.data / "encoding" / "ftfy_cases.jsonl")
    print(f"ftfy cases (expect=pass): {cases['passed']}/{cases['expect_pass']} passed")
    print(
        f"  must-not-change cases broken: {len(cases['must_not_change_broken'])}"  # type: ignore[arg-type]
        f" of {cases['must_not_change']}"
    )
    for key, title in (
        ("failed_disabled_option", "failing because an option is deliberately off"),
        ("failed_other", "failing for other reasons"),
    ):
        rows = cases[key]
        print(f"  {title}: {len(rows)}")  # type: ignore[arg-type]
        for row in rows:  # type: ignore[attr-defined]
            needs = f" [needs {', '.join(row['needs'])}]" if "needs" in row else ""
            print(
                f"    - {row['label']}{needs}: {row['original']!r} -> {row['got']!r}"
                f" (expected {row['expected']!r})"
            )

    speed = evaluate_throughput(args.data / "news", args.limit)
    print()
    print(f"news throughput over {speed['documents']} documents, {speed['megabytes']} MB UTF-8")
    print(f"  {'measure':<34}{'value':>10}")
    for key in (
        "fast_path_mb_s",
        "no_fast_path_mb_s",
        "ftfy_fix_text_mb_s",
        "screen_only_mb_s",
        "documents_skipped",
        "mismatches_vs_ftfy",
    ):
        print(f"  {key:<34}{speed[key]!s:>10}")
    if args.json:
        args.json.write_text(
            json.dumps({"cases": cases, "throughput": speed}, indent=2, ensure_ascii=False),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
