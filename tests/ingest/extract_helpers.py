"""What the extraction tests share: documents, golden cases, and generated articles."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st

from newsingest.errors import ExtractError
from newsingest.ingest.extract import extract_article
from newsingest.records import Article, DecodedText, Decoding, Format

GOLDEN = Path(__file__).parent / "golden" / "extract"
FORMATS: dict[str, Format] = {".txt": "text", ".html": "html", ".jsonl": "jsonl"}
UTF8 = Decoding(encoding="utf-8", method="utf-8", confidence=1.0)


def make_doc(text: str, fmt: Format = "text") -> DecodedText:
    return DecodedText(id="doc-1", path="doc-1.txt", format=fmt, text=text, decoding=UTF8)


def trafilatura_works() -> bool:
    try:
        import trafilatura  # noqa: F401, PLC0415
    except ImportError:
        return False
    return True


def golden_inputs(suffix: str | None = None) -> list[Path]:
    """The golden inputs, all of them or those of one format (by file suffix)."""
    return sorted(
        p
        for p in GOLDEN.iterdir()
        if p.suffix in FORMATS and (suffix is None or p.suffix == suffix)
    )


def as_golden(article: Article) -> dict[str, Any]:
    return {
        "title": article.title,
        "date": article.date.isoformat() if article.date else None,
        "date_raw": article.date_raw,
        "byline": article.byline,
        "paragraphs": list(article.paragraphs),
        "dropped": [{"text": d.text, "reason": d.reason} for d in article.dropped],
        "notes": list(article.notes),
    }


def check_golden(path: Path) -> None:
    """The article extracted from golden input ``path`` is the one in its ``.json`` twin."""
    fmt = FORMATS[path.suffix]
    if fmt == "html" and not trafilatura_works():
        pytest.skip("trafilatura cannot be imported here")
    text = path.read_bytes().decode("utf-8")
    if fmt == "jsonl":
        text = text.rstrip("\n")
    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    article = extract_article(make_doc(text, fmt))
    got = as_golden(article)
    if "notes" not in expected:
        del got["notes"]
    else:
        assert "html: trafilatura" not in got["notes"]
    assert got == expected
    assert article.decoding == UTF8
    assert article.format == fmt


def outcome(doc: DecodedText) -> Article | str:
    try:
        return extract_article(doc)
    except ExtractError as exc:
        return str(exc)


# ---------------------------------------------------------------------------
# generated articles

WORDS = [
    "the", "council", "said", "road", "budget", "library", "mayor", "vote", "city", "river",
    "station", "week", "month", "market", "price", "report", "well-known", "long-term",
    "people", "water", "school", "officials", "police", "north", "bridge", "train", "storm",
    "minister", "plan", "workers", "union", "talks", "court", "appeal", "judge", "year",
]  # fmt: skip

word = st.sampled_from(WORDS)


@st.composite
def sentences(draw: st.DrawFn, min_words: int, max_words: int) -> str:
    words = draw(st.lists(word, min_size=min_words, max_size=max_words))
    commas = draw(st.lists(st.booleans(), min_size=len(words), max_size=len(words)))
    words = [
        w + "," if c and i < len(words) - 1 else w
        for i, (w, c) in enumerate(zip(words, commas, strict=True))
    ]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


titles = st.lists(word, min_size=2, max_size=10).map(lambda ws: " ".join(ws).capitalize())
paragraphs = st.lists(sentences(35, 60), min_size=2, max_size=5)
date_formats = ["%B %d, %Y", "%d %B %Y", "%A, %B %d, %Y", "%Y-%m-%d", "Published: %d %b %Y"]
dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))


def assemble(title: str, date_line: str | None, paras: list[str], sep: str = "\n\n") -> str:
    head = title + "\n\n" + (date_line + "\n\n" if date_line else "")
    return head + sep.join(paras) + "\n"
