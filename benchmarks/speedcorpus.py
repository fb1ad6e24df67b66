"""Build the big folder of scraped articles that the speed benchmark deduplicates.

Every real article in ``data/news/*.jsonl`` becomes one ``.txt`` file in the plain-text
layout (title line, blank line, body paragraphs separated by blank lines). When there are
not enough of them for the requested size, or to reach the share of copies a scrape of
many outlets has (~30%), articles are re-published with light deterministic variations:
an outlet header line, truncation, a word edit, a prefixed title. A few percent of the
files are saved in cp1252, the rest in UTF-8.

With ``--html-share S`` (the realistic mix), a share S of the files are instead full web
pages of real size: each is a real article page from another site (``--pages``, by default
``data/html/wcxb-articles``; see :mod:`benchmarks.outlet_pages`) with its own article
replaced by the story, headline in ``<title>``, ``<h1>``, ``og:title`` and JSON-LD. So
copies of one story come wrapped in different outlets' navigation, scripts, comments and
related links, as a crawl of many sites delivers them. In that mix a share of the pages
and of the plain-text files are gzipped (``.html.gz``, ``.txt.gz``). Without it (share 0)
the folder is the plain-text one above, byte for byte.

The folder is built once per (seed, size, share) and reused: ``manifest.json`` beside it
records what was built, so a later run with the same parameters skips the work::

    python -m benchmarks.speedcorpus --data /work/shared/data --docs 50000 --work /tmp/x
    python -m benchmarks.speedcorpus --data /work/shared/data --docs 9300 --html-share 0.25
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.generate import Source, encode_text, parse_source, truncate
from benchmarks.outlet_pages import PageTemplate, fill_page, load_templates

__all__ = [
    "CorpusInfo",
    "build_corpus",
    "build_mixed_corpus",
    "corpus_root",
    "ensure_corpus",
    "load_articles",
    "plan_copy",
    "plan_copy_parts",
    "render_article",
]

SCHEME = 1
"""Bump when the layout or the variations change, so cached folders are rebuilt."""
MIXED_SCHEME = 2
"""The same for folders with web pages (their wrappers and gzip shares)."""

PAGES = Path("html") / "wcxb-articles"
"""Where under ``--data`` the real article pages are."""
GZIP_SHARE = 0.3
"""Of the files in a folder with web pages, the share saved gzipped (pages and text alike)."""

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

Story = tuple[str, tuple[str, ...], str | None]
"""A file's (title, paragraphs, header line)."""


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
    html: int = 0
    """Files that are web pages (``.html``/``.html.gz``)."""
    gzipped: int = 0
    html_share: float = 0.0
    wrappers: int = 0
    """Distinct real pages available as outlet wrappers."""


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


def plan_copy_parts(source: Source, rng: random.Random) -> Story:
    """(title, paragraphs, header line) of a re-published copy of ``source``."""
    paragraphs: tuple[str, ...] = source.paragraphs
    if rng.random() < 0.4:
        paragraphs = truncate(paragraphs, rng.uniform(0.6, 0.9))
    if rng.random() < 0.6:
        paragraphs = edit_word(paragraphs, rng)
    title = source.title
    if rng.random() < 0.3:
        title = rng.choice(TITLE_PREFIXES) + title
    header = rng.choice(OUTLET_HEADERS) if rng.random() < 0.8 else None
    return title, paragraphs, header


def plan_copy(source: Source, rng: random.Random) -> str:
    """A re-published copy of ``source``: header line, maybe truncated, retitled, edited."""
    return render_article(*plan_copy_parts(source, rng))


def build_corpus(sources: Sequence[Source], folder: Path, docs: int, seed: int) -> CorpusInfo:
    """Write ``docs`` articles into ``folder`` (replaced); deterministic in ``seed``."""
    rng = random.Random(seed)
    n_originals, stories = plan_stories(sources, docs, rng)
    texts = [render_article(*story) for story in stories]
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


def plan_stories(
    sources: Sequence[Source], docs: int, rng: random.Random
) -> tuple[int, list[Story]]:
    """How many originals, and every file's story in file order."""
    n_originals = min(len(sources), round(docs * (1 - COPY_SHARE)))
    originals = rng.sample(range(len(sources)), n_originals)
    # Copies come from stories with a real body: nobody syndicates a headline stub.
    copyable = [i for i in originals if sum(len(p.split()) for p in sources[i].paragraphs) >= 60]
    stories: list[Story] = [(sources[i].title, sources[i].paragraphs, None) for i in originals]
    stories += [
        plan_copy_parts(sources[rng.choice(copyable)], rng) for _ in range(docs - n_originals)
    ]
    rng.shuffle(stories)
    return n_originals, stories


def build_mixed_corpus(
    sources: Sequence[Source],
    wrappers: Sequence[PageTemplate],
    folder: Path,
    docs: int,
    *,
    seed: int,
    html_share: float,
) -> CorpusInfo:
    """Write ``docs`` files into ``folder`` (replaced), ``ceil(docs * html_share)`` of them
    web pages in a wrapper drawn from ``wrappers``; deterministic in ``seed``."""
    if not wrappers:
        raise ValueError("no page wrappers: the pages folder holds no usable article page")
    rng = random.Random(seed)
    n_originals, stories = plan_stories(sources, docs, rng)
    pages = set(rng.sample(range(docs), min(docs, math.ceil(docs * html_share))))
    if folder.exists():
        shutil.rmtree(folder)
    total = cp1252 = gzipped = 0
    for number, (title, paragraphs, header) in enumerate(stories):
        sub = folder / f"{number // FILES_PER_FOLDER:03d}"
        if number % FILES_PER_FOLDER == 0:
            sub.mkdir(parents=True)
        if number in pages:
            wrapper = rng.choice(wrappers)
            data = fill_page(wrapper, title, paragraphs, header).encode("utf-8")
            name = f"{number:06d}.html"
        else:
            legacy = rng.random() < CP1252_SHARE
            cp1252 += legacy
            data = encode_text(
                render_article(title, paragraphs, header), "cp1252" if legacy else "utf-8"
            )
            name = f"{number:06d}.txt"
        if rng.random() < GZIP_SHARE:
            data = gzip.compress(data, compresslevel=6, mtime=0)
            name += ".gz"
            gzipped += 1
        total += len(data)
        (sub / name).write_bytes(data)
    return CorpusInfo(
        folder=folder,
        docs=docs,
        originals=n_originals,
        copies=docs - n_originals,
        cp1252=cp1252,
        bytes=total,
        seed=seed,
        html=len(pages),
        gzipped=gzipped,
        html_share=html_share,
        wrappers=len(wrappers),
    )


def corpus_root(work: Path, docs: int, seed: int, html_share: float = 0.0) -> Path:
    """The folder under ``work`` that holds the corpus for these parameters."""
    root = work / f"corpus-s{seed}-n{docs}"
    return root.with_name(f"{root.name}-html{round(html_share * 100)}") if html_share else root


def ensure_corpus(
    data: Path,
    work: Path,
    docs: int,
    seed: int,
    *,
    html_share: float = 0.0,
    pages: Path | None = None,
) -> CorpusInfo:
    """The corpus folder for (seed, docs, html_share) under ``work``, built only when the
    manifest differs. Pages come from ``pages`` (default ``data/html/wcxb-articles``)."""
    repo = Path(__file__).resolve().parents[1]
    if work.resolve().is_relative_to(repo):
        raise SystemExit(f"--work {work} is inside the repository; choose a folder outside it")
    if not 0.0 <= html_share <= 1.0:
        raise SystemExit(f"--html-share {html_share} is not between 0 and 1")
    root = corpus_root(work, docs, seed, html_share)
    manifest = root / "manifest.json"
    wanted: dict[str, object] = {"scheme": SCHEME, "seed": seed, "docs": docs}
    if html_share:
        pages = pages or data / PAGES
        wanted |= {"mixed_scheme": MIXED_SCHEME, "html_share": html_share, "pages": str(pages)}
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
                html=stored.get("html", 0),
                gzipped=stored.get("gzipped", 0),
                html_share=stored.get("html_share", 0.0),
                wrappers=stored.get("wrappers", 0),
            )
        manifest.unlink()
    if html_share:
        assert pages is not None
        if not (pages / "html").is_dir():
            raise SystemExit(f"no article pages in {pages}/html: give --pages or --html-share 0")
        info = build_mixed_corpus(
            load_articles(data),
            load_templates(pages),
            root / "articles",
            docs,
            seed=seed,
            html_share=html_share,
        )
    else:
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
    parser.add_argument(
        "--html-share",
        type=float,
        default=0.0,
        help="share of the files that are full web pages (0: plain text only, as before)",
    )
    parser.add_argument(
        "--pages",
        type=Path,
        help="real article pages to wrap stories in (default: DATA/html/wcxb-articles)",
    )
    args = parser.parse_args(argv)
    info = ensure_corpus(
        args.data, args.work, args.docs, args.seed, html_share=args.html_share, pages=args.pages
    )
    print(describe(info))
    return 0


def describe(info: CorpusInfo) -> str:
    """One line: where the folder is and what it holds."""
    pages = (
        f", {info.html:,} web pages in {info.wrappers:,} real outlets' wrappers, "
        f"{info.gzipped:,} gzipped"
        if info.html
        else ""
    )
    return (
        f"{info.folder}: {info.docs:,} articles ({info.originals:,} originals, "
        f"{info.copies:,} copies, {info.cp1252:,} cp1252{pages}), {info.bytes / 1e6:.1f} MB"
    )


if __name__ == "__main__":
    sys.exit(main())
