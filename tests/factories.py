"""Small article fixtures the tests build themselves (never the benchmarks' data).

Sentences are drawn from a seeded vocabulary of invented words, so two
stories made with different seeds share almost no 5-word shingles, and the
same seed always makes the same story.
"""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

_VOCAB_RNG = random.Random(20261126)
VOCAB = sorted(
    {
        "".join(_VOCAB_RNG.choice(string.ascii_lowercase) for _ in range(_VOCAB_RNG.randint(2, 9)))
        for _ in range(3000)
    }
)


def sentence(rng: random.Random, words: int = 14) -> str:
    text = " ".join(rng.choice(VOCAB) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random, sentences: int = 3) -> str:
    return " ".join(sentence(rng, rng.randint(10, 18)) for _ in range(sentences))


def story(seed: int, paragraphs: int = 6) -> tuple[str, list[str]]:
    """A title and body paragraphs, the same for the same seed."""
    rng = random.Random(seed)
    title = sentence(rng, 8).rstrip(".").title()
    return title, [paragraph(rng) for _ in range(paragraphs)]


def article_text(
    title: str,
    paragraphs: list[str],
    *,
    promo: str | None = None,
    date: str | None = "March 3, 2024",
    footer: list[str] | None = None,
) -> str:
    blocks = [b for b in (promo, title, date) if b] + paragraphs + (footer or [])
    return "\n\n".join(blocks) + "\n"


def write(path: Path, data: str | bytes, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


def write_rejected_files(root: Path) -> list[str]:
    """Three files every batch run must reject (empty, binary, unsupported type); their ids."""
    write(root / "empty.txt", b"")
    write(root / "image.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    write(root / "notes.pdf", b"%PDF-1.4")
    return ["empty.txt", "image.txt", "notes.pdf"]


OUTLETS = [
    ("Subscribe to the Morning Ledger for one dollar a week!", ["Morning Ledger, since 1887."]),
    ("WIRE DESK: news as it happens", ["Reporting by our correspondents; editing by the desk."]),
    ("Follow the Evening Post on every network", ["Evening Post. All rights reserved."]),
]
REJECTED = {"empty.txt", "image.txt", "notes.pdf", "feed.jsonl#4"}


def build_corpus(root: Path, stories: int = 24, variants: int = 104) -> None:
    """The shared corpus of the equivalence tests (batch = jobs = index = Dask): outlet
    boilerplate, near and exact copies, a bucket over the LSH cap, rejected files.

    ``variants`` near-copies of one story (each with its own extra sentence)
    share LSH buckets of more than 100 documents, the capped-bucket path.
    """
    rng = random.Random(7)
    for seed in range(stories):
        title, paras = story(100 + seed)
        promo, footer = OUTLETS[seed % 3]
        write(
            root / f"o{seed % 3}/s{seed}.txt",
            article_text(title, paras, promo=promo, footer=footer),
        )
        if seed % 4 == 0:  # a truncated copy at another outlet
            promo, footer = OUTLETS[(seed + 1) % 3]
            write(
                root / f"o{(seed + 1) % 3}/copy{seed}.txt",
                article_text(title.upper(), paras[:4], promo=promo, footer=footer),
            )
        if seed % 6 == 0:  # exact copies under other names
            for k in range(3):
                write(root / f"mirror{k}/s{seed}.txt", article_text(title, paras))
    title, paras = story(7)
    for k in range(variants):
        extra = sentence(rng, 12)
        date = f"March {1 + k % 28}, 2024"
        write(root / f"wire/v{k:03d}.txt", article_text(title, [*paras, extra], date=date))
    rows = [json.dumps({"title": t, "text": "\n\n".join(p)}) for t, p in (story(5), story(100))]
    rows += [json.dumps({"title": "x", "text": "\n\n".join(story(101)[1][:3])}), "{not json"]
    write(root / "feed.jsonl", "\n".join(rows) + "\n")
    write_rejected_files(root)
