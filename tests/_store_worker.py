"""Subprocess for the crash test: adds batches to an index, printing after each commit.

Usage: python -m tests._store_worker DB FIRST COUNT
Batch k holds ``store_batch(k)``; "committed k" is printed once its transaction is in.
"""

from __future__ import annotations

import datetime as dt
import sys

from newsingest.records import Article, Decoding
from newsingest.store import Index
from tests.factories import story

PER_BATCH = 12


def store_batch(k: int) -> list[Article]:
    """Articles of batch ``k``: new stories plus copies of batch ``k - 1``'s stories."""
    out = []
    for i in range(PER_BATCH):
        seed = 1000 * k + i if i % 3 else 1000 * max(k - 1, 0) + i
        title, paras = story(seed)
        out.append(
            Article(
                id=f"b{k:04d}/d{i:02d}",
                path=f"b{k:04d}/d{i:02d}.txt",
                format="text",
                title=title,
                date=dt.date(2024, 1, 1) + dt.timedelta(days=k),
                paragraphs=paras[: 4 + i % 3],
                decoding=Decoding(encoding="utf-8", method="utf-8", confidence=1.0),
            )
        )
    return out


def main(argv: list[str]) -> int:
    db, first, count = argv[0], int(argv[1]), int(argv[2])
    with Index.open(db) as index:
        for k in range(first, first + count):
            index.add(store_batch(k))
            print(f"committed {k}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
