"""Small article fixtures the tests build themselves (never the benchmarks' data).

Sentences are drawn from a seeded vocabulary of invented words, so two
stories made with different seeds share almost no 5-word shingles, and the
same seed always makes the same story.
"""

from __future__ import annotations

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
