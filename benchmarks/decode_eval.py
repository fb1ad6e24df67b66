"""Evaluate the decoder on real data: exact-decoding rate and U+FFFD counts.

Usage::

    python benchmarks/decode_eval.py --data /work/shared/data [--json out.json] [-v]

(a) data/encoding/chardet: a file is decoded exactly when our text equals the
    file decoded with its true encoding (from manifest.jsonl);
(b) the same rate for the baseline "chardet.detect, then decode with what it
    says, errors='replace'";
(c) data/raw/horne2017 and data/raw/wikiref220: U+FFFD count after decoding,
    and how many files were decoded as cp1252.
"""

from __future__ import annotations

import argparse
import collections
import json
import pathlib
import sys
import time
from typing import Any

import chardet

from newsingest.errors import DecodeError
from newsingest.ingest.decode import decode_bytes

# Manifest labels Python does not know under that spelling, or at all.
_MANIFEST_CODECS = {
    "MacCyrillic": "mac-cyrillic",
    "MacRoman": "mac-roman",
    "IBM855": "cp855",
    "IBM866": "cp866",
    "EUC-TW": None,  # no Python codec: the truth cannot be computed
}


def truth_codec(label: str) -> str | None:
    """The Python codec for a manifest encoding label."""
    return _MANIFEST_CODECS.get(label, label)


def eval_chardet_set(root: pathlib.Path, verbose: bool) -> dict[str, Any]:
    base = root / "encoding" / "chardet"
    rows = [json.loads(line) for line in (base / "manifest.jsonl").read_text().splitlines()]
    ours = baseline = scored = 0
    failures: list[dict[str, Any]] = []
    unscorable: list[str] = []
    methods: collections.Counter[str] = collections.Counter()
    started = time.perf_counter()
    for row in rows:
        data = (base / row["path"]).read_bytes()
        codec = truth_codec(row["encoding"])
        if codec is None:
            unscorable.append(f"{row['path']} ({row['encoding']}: no Python codec)")
            continue
        truth = data.decode(codec)
        scored += 1
        try:
            text, decoding = decode_bytes(data)
            methods[decoding.method] += 1
            got = f"{decoding.encoding} ({decoding.method}, {decoding.confidence:.2f})"
        except DecodeError as exc:
            text, got = None, f"DecodeError: {exc}"
        if text == truth:
            ours += 1
        else:
            failures.append({"path": row["path"], "truth": row["encoding"], "got": got})
        guess = chardet.detect(data)["encoding"] or "utf-8"
        try:
            if data.decode(guess, errors="replace") == truth:
                baseline += 1
        except LookupError:
            pass
    elapsed = time.perf_counter() - started
    if verbose:
        for failure in failures:
            print(f"  FAIL {failure['path']}: truth {failure['truth']}, got {failure['got']}")
    return {
        "files": len(rows),
        "scored": scored,
        "unscorable": unscorable,
        "ours_exact": ours,
        "ours_rate": ours / scored,
        "baseline_exact": baseline,
        "baseline_rate": baseline / scored,
        "failures": failures,
        "methods": dict(methods),
        "seconds": elapsed,
    }


def eval_raw(root: pathlib.Path, name: str) -> dict[str, Any]:
    files = sorted(p for p in (root / "raw" / name).rglob("*") if p.is_file())
    replacement = 0
    encodings: collections.Counter[str] = collections.Counter()
    methods: collections.Counter[str] = collections.Counter()
    errors: list[str] = []
    for path in files:
        try:
            text, decoding = decode_bytes(path.read_bytes())
        except DecodeError as exc:
            errors.append(f"{path}: {exc}")
            continue
        replacement += text.count("\ufffd")
        encodings[decoding.encoding] += 1
        methods[decoding.method] += 1
    return {
        "files": len(files),
        "fffd": replacement,
        "cp1252": encodings["cp1252"] + encodings["sloppy-windows-1252"],
        "encodings": dict(encodings),
        "methods": dict(methods),
        "errors": errors,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=pathlib.Path, required=True, help="the shared data folder")
    parser.add_argument("--json", type=pathlib.Path, help="also write the results here")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every failure")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"chardet_set": eval_chardet_set(args.data, args.verbose)}
    for name in ("horne2017", "wikiref220"):
        results[name] = eval_raw(args.data, name)
    cs = results["chardet_set"]
    print(f"{'measure':<46} {'value':>14}")
    print(
        f"{'chardet set: exact, newsingest':<46} {cs['ours_exact']:>6}/{cs['scored']} "
        f"{cs['ours_rate']:6.1%}"
    )
    print(
        f"{'chardet set: exact, chardet+replace baseline':<46} "
        f"{cs['baseline_exact']:>6}/{cs['scored']} {cs['baseline_rate']:6.1%}"
    )
    print(f"{'chardet set: not scorable':<46} {len(cs['unscorable']):>14}")
    for name in ("horne2017", "wikiref220"):
        r = results[name]
        print(f"{name + ': files':<46} {r['files']:>14}")
        print(f"{name + ': U+FFFD after decoding':<46} {r['fffd']:>14}")
        print(f"{name + ': decoded as cp1252':<46} {r['cp1252']:>14}")
        print(f"{name + ': DecodeError':<46} {len(r['errors']):>14}")
    print(f"methods (chardet set): {cs['methods']}")
    for name in ("horne2017", "wikiref220"):
        print(f"encodings ({name}): {results[name]['encodings']}")
    if not args.verbose:
        for failure in cs["failures"]:
            print(f"  FAIL {failure['path']}: truth {failure['truth']}, got {failure['got']}")
    for line in cs["unscorable"]:
        print(f"  UNSCORABLE {line}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
