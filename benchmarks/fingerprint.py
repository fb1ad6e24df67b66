"""Fingerprint throughput per core: newsingest's fused kernel vs rensa and datasketch.

Usage::

    python benchmarks/fingerprint.py --data ../shared/data [--mb 20] [--json out.json]

Reads the texts of ``news/*.jsonl`` (repeated until at least ``--mb`` MB of
UTF-8), then times text -> signature end to end, one process and one core per
method (each method runs in its own child process so peak RSS is its own):

* ``newsingest`` — :func:`fingerprint_batch` on the whole corpus (the numba
  kernel is warmed up first; its compile/load time is reported apart);
* ``rensa`` — ``RMinHash(128, 1).update(shingles)`` per text, the shingles from
  the plain-Python reference :func:`iter_shingles` (as a rensa user would
  shingle); ``rensa update only`` times rensa alone on precomputed shingles;
* ``datasketch`` — ``MinHash(scheme="affine32").update_batch`` with the same
  shingles (default sha1 hash).

MB/s is computed from CPU time (``time.process_time``): the machine is shared,
wall time is also reported.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

METHODS = ("newsingest", "rensa", "rensa update only", "datasketch")


def load_texts(data: Path, megabytes: float) -> list[str]:
    """The news texts, repeated until they hold at least ``megabytes`` MB of UTF-8."""
    base: list[str] = []
    for path in sorted((data / "news").glob("*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            base.extend(json.loads(line).get("text") or "" for line in lines if line.strip())
    size = sum(len(t.encode("utf-8")) for t in base)
    repeats = max(1, int(-(-megabytes * 1e6 // size)))
    return base * repeats


def run_method(method: str, texts: list[str]) -> dict[str, Any]:
    """Time one method on ``texts`` in this process."""
    from newsingest.config import FingerprintConfig  # noqa: PLC0415 - per child, for its RSS
    from newsingest.matching.shingle import iter_shingles  # noqa: PLC0415 - per child, for its RSS

    config = FingerprintConfig()
    extra: dict[str, Any] = {}
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if method == "newsingest":
        from newsingest.matching.fingerprint import fingerprint_batch, warm_up  # noqa: PLC0415 - per child, for its RSS

        extra["warm_up_s"] = round(warm_up(), 3)

        def work() -> None:
            fingerprint_batch(texts, config)

    elif method.startswith("rensa"):
        from rensa import RMinHash  # noqa: PLC0415 - per child, for its RSS

        if method == "rensa update only":
            shingled = [list(set(iter_shingles(t, config))) for t in texts]

            def work() -> None:
                for shingles in shingled:
                    m = RMinHash(num_perm=config.num_perm, seed=config.seed)
                    m.update(shingles)
                    m.digest()

        else:

            def work() -> None:
                for text in texts:
                    m = RMinHash(num_perm=config.num_perm, seed=config.seed)
                    m.update(list(set(iter_shingles(text, config))))
                    m.digest()

    elif method == "datasketch":
        from datasketch import MinHash  # noqa: PLC0415 - per child, for its RSS

        def work() -> None:
            for text in texts:
                m = MinHash(num_perm=config.num_perm, seed=config.seed, scheme="affine32")
                m.update_batch([s.encode("utf-8") for s in set(iter_shingles(text, config))])

    else:
        raise SystemExit(f"unknown method {method!r}")
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    return {
        "method": method,
        "megabytes": round(megabytes, 2),
        "documents": len(texts),
        "cpu_s": round(cpu, 3),
        "wall_s": round(wall, 3),
        "mb_per_s_cpu": round(megabytes / cpu, 2),
        "mb_per_s_wall": round(megabytes / wall, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_before_mb": round(rss_before / 1024, 1),
        **extra,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder")
    parser.add_argument("--mb", type=float, default=20.0, help="corpus size to time (MB)")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated subset")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_method(args.child, load_texts(args.data, args.mb))))
        return 0
    rows = []
    for method in args.methods.split(","):
        command = [sys.executable, __file__, "--data", str(args.data), "--mb", str(args.mb)]
        done = subprocess.run(
            [*command, "--child", method], capture_output=True, text=True, check=True
        )
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"done: {method}", file=sys.stderr)
    rensa = next((r["mb_per_s_cpu"] for r in rows if r["method"] == "rensa"), None)
    header = ("method", "MB", "MB/s cpu", "MB/s wall", "peak RSS MB", "x rensa")
    print(f"{header[0]:<20} " + " ".join(f"{h:>11}" for h in header[1:]))
    for r in rows:
        ratio = f"{r['mb_per_s_cpu'] / rensa:.1f}" if rensa else "-"
        print(
            f"{r['method']:<20} {r['megabytes']:>11} {r['mb_per_s_cpu']:>11} "
            f"{r['mb_per_s_wall']:>11} {r['peak_rss_mb']:>11} {ratio:>11}"
        )
    for r in rows:
        if "warm_up_s" in r:
            print(f"numba warm-up (compile or cache load): {r['warm_up_s']} s")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
