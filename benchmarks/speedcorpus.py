"""Build the big folder of plain-text articles that the speed benchmark deduplicates.

Every real article in ``data/news/*.jsonl`` becomes one ``.txt`` file in the plain-text
layout (title line, blank line, body paragraphs separated by blank lines). When there are
not enough of them for the requested size, or to reach the share of copies a scrape of
many outlets has (~30%), articles are re-published with light deterministic variations:
an outlet header line, truncation, a word edit, a prefixed title. A few percent of the
files are saved in cp1252, the rest in UTF-8.

The folder is built once per (seed, size) and reused: ``manifest.json`` beside it records
what was built, so a later run with the same parameters skips the work::

    python -m benchmarks.speedcorpus --data /work/shared/data --docs 50000 --work /tmp/x
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.generate import Source, encode_text, parse_source, truncate

__all__ = [
    "CorpusInfo",
    "build_corpus",
    "ensure_corpus",
    "load_articles",
    "plan_copy",
    "render_article",
]

SCHEME = 1
"""Bump when the layout or the variations change, so cached folders are rebuilt."""

COPY_SHARE = 0.30
CP1252_SHARE = 0.04
FILES_PER_FOLDER = 1000

OUTLET_HEADERS = (
    "Originally published by the Northern Ledger.",
    "This story was distributed by a wire service and is republished with permission.",
    "Subscribe to The Daily Courier for breaking news alerts!",
    "From our partners at Metro Wire",
    "Advertisement - scroll to continue reading",
    "Share this article on Facebook and Twitter",
)
TITLE_PREFIXES = ("UPDATE: ", "BREAKING: ", "Report: ", "WATCH: ")
EDIT_WORDS = ("reportedly", "also", "now", "officials", "new", "local")


@dataclass(frozen=True)
class CorpusInfo:
    """The folder built and what is in it."""

    folder: Path
    docs: int
    originals: int
    copies: int
    cp1252: int
    bytes: int
    seed: int


def load_articles(data: Path) -> list[Source]:
    """Every usable article in ``data/news/*.jsonl``; the title is the first line of ``text``."""
    sources: list[Source] = []
    for path in sorted((data / "news").glob("*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                text = record.get("text") if isinstance(record, dict) else None
                if not isinstance(text, str):
                    continue  # lee_pairs.jsonl holds similarity pairs, not articles
                source = parse_source(text, origin=str(record.get("id", path.stem)))
                if source is not None:
                    sources.append(source)
    return sources


def render_article(title: str, paragraphs: Sequence[str], header: str | None = None) -> str:
    parts = ([header] if header else []) + [title, *paragraphs]
    return "\n\n".join(parts) + "\n"


def edit_word(paragraphs: Sequence[str], rng: random.Random) -> tuple[str, ...]:
    """Replace one word of one paragraph, as a copy editor would."""
    out = list(paragraphs)
    which = rng.randrange(len(out))
    words = out[which].split(" ")
    words[rng.randrange(len(words))] = rng.choice(EDIT_WORDS)
    out[which] = " ".join(words)
    return tuple(out)


def plan_copy(source: Source, rng: random.Random) -> str:
    """A re-published copy of ``source``: header line, maybe truncated, retitled, edited."""
    paragraphs: tuple[str, ...] = source.paragraphs
    if rng.random() < 0.4:
        paragraphs = truncate(paragraphs, rng.uniform(0.6, 0.9))
    if rng.random() < 0.6:
        paragraphs = edit_word(paragraphs, rng)
    title = source.title
    if rng.random() < 0.3:
        title = rng.choice(TITLE_PREFIXES) + title
    header = rng.choice(OUTLET_HEADERS) if rng.random() < 0.8 else None
    return render_article(title, paragraphs, header)


def build_corpus(sources: Sequence[Source], folder: Path, docs: int, seed: int) -> CorpusInfo:
    """Write ``docs`` articles into ``folder`` (replaced); deterministic in ``seed``."""
    rng = random.Random(seed)
    n_originals = min(len(sources), round(docs * (1 - COPY_SHARE)))
    originals = rng.sample(range(len(sources)), n_originals)
    # Copies come from stories with a real body: nobody syndicates a headline stub.
    copyable = [i for i in originals if sum(len(p.split()) for p in sources[i].paragraphs) >= 60]
    texts = [render_article(sources[i].title, sources[i].paragraphs) for i in originals]
    texts += [plan_copy(sources[rng.choice(copyable)], rng) for _ in range(docs - n_originals)]
    rng.shuffle(texts)
    if folder.exists():
        shutil.rmtree(folder)
    total = cp1252 = 0
    for number, text in enumerate(texts):
        sub = folder / f"{number // FILES_PER_FOLDER:03d}"
        if number % FILES_PER_FOLDER == 0:
            sub.mkdir(parents=True)
        legacy = rng.random() < CP1252_SHARE
        data = encode_text(text, "cp1252" if legacy else "utf-8")
        cp1252 += legacy
        total += len(data)
        (sub / f"{number:06d}.txt").write_bytes(data)
    return CorpusInfo(
        folder=folder,
        docs=docs,
        originals=n_originals,
        copies=docs - n_originals,
        cp1252=cp1252,
        bytes=total,
        seed=seed,
    )


def ensure_corpus(data: Path, work: Path, docs: int, seed: int) -> CorpusInfo:
    """The corpus folder for (seed, docs) under ``work``, built only when the manifest differs."""
    repo = Path(__file__).resolve().parents[1]
    if work.resolve().is_relative_to(repo):
        raise SystemExit(f"--work {work} is inside the repository; choose a folder outside it")
    root = work / f"corpus-s{seed}-n{docs}"
    manifest = root / "manifest.json"
    wanted = {"scheme": SCHEME, "seed": seed, "docs": docs}
    if manifest.exists():
        stored = json.loads(manifest.read_text(encoding="utf-8"))
        if all(stored.get(k) == v for k, v in wanted.items()) and Path(stored["folder"]).is_dir():
            return CorpusInfo(
                folder=Path(stored["folder"]),
                docs=stored["docs"],
                originals=stored["originals"],
                copies=stored["copies"],
                cp1252=stored["cp1252"],
                bytes=stored["bytes"],
                seed=stored["seed"],
            )
        manifest.unlink()
    info = build_corpus(load_articles(data), root / "articles", docs, seed)
    record = {**wanted, **{k: v for k, v in vars(info).items() if k != "folder"}}
    record["folder"] = str(info.folder)
    # Written last: an interrupted build leaves no manifest and is redone.
    manifest.write_text(json.dumps(record, indent=2), encoding="utf-8")
    return info


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder")
    parser.add_argument("--docs", type=int, default=50_000, help="articles to write")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=Path("/tmp/newsingest-speed"))
    args = parser.parse_args(argv)
    info = ensure_corpus(args.data, args.work, args.docs, args.seed)
    print(
        f"{info.folder}: {info.docs:,} articles ({info.originals:,} originals, "
        f"{info.copies:,} copies, {info.cp1252:,} cp1252), {info.bytes / 1e6:.1f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
