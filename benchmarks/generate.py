"""Seeded generator of a labelled near-duplicate news corpus for the quality benchmark.

Real articles are re-published by invented outlets through labelled transformations
(boilerplate, truncation, retitling, word edits, typography, re-wrapping, encodings,
HTML, gzip, JSON Lines), next to hard negatives that must NOT be merged: short briefs
under one long disclaimer, templated earnings reports, different articles about the
same event, and the passage-sharing kinds of :mod:`benchmarks.generate_hard` (two stories
with the same captions, short items with one teaser, a story and a later different story
reusing its opening -- that module states the update policy). The ground truth goes to
``truth.jsonl`` beside the ``docs/`` folder::

    python -m benchmarks.generate --data /work/shared/data --out /tmp/nq --seed 7 [--mix wire]

``--mix`` chooses the data sets the stories come from (:data:`MIXES`): ``default`` draws
from six sets round-robin, ``wire`` only from the newswire-like BBC and Reuters sets. The
hard-negative pools (WikiRef220 and Lee events, Reuters earnings templates) are the same in
every mix. For a given seed and mix the documents of the original kinds do not depend on
the passage-sharing kinds, which are drawn last and use their own random streams.

The core (:func:`plan_corpus`, :func:`write_corpus`) takes plain source lists, so it is
testable without the real data; :func:`load_sources` reads them from ``--data``.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import random
import re
import textwrap
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "MIXES",
    "OUTLETS",
    "Document",
    "Outlet",
    "Source",
    "SourcePools",
    "apply_edits",
    "apply_typography",
    "encode_text",
    "load_sources",
    "main",
    "plan_corpus",
    "render_html",
    "render_jsonl_record",
    "render_text",
    "retitle",
    "rewrap",
    "split_paragraphs",
    "truncate",
    "write_corpus",
]

WORD_RE = re.compile(r"\w+")
SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")
SHR_RE = re.compile(r"^\s*Shr\b.*\bvs\b", re.MULTILINE)
NET_RE = re.compile(r"^\s*(?:Oper )?[Nn]et\b.*\bvs\b", re.MULTILINE)


@dataclass(frozen=True)
class Source:
    """One real article: a title and its body paragraphs (``origin`` names the data set)."""

    title: str
    paragraphs: tuple[str, ...]
    origin: str = ""
    group: str = ""
    """For same-event sources: the event they report (not a copy group)."""


@dataclass(frozen=True)
class Outlet:
    """An invented publisher: its header promo line(s), footer lines and HTML menu."""

    name: str
    slug: str
    promo: tuple[str, ...]
    footer: tuple[str, ...]
    menu: tuple[str, ...] = ("Home", "World", "Business", "Sport", "Opinion")


OUTLETS: tuple[Outlet, ...] = (
    Outlet(
        name="Daily Meridian",
        slug="meridian",
        promo=("Subscribe to the Daily Meridian for just $1 a week and never miss a story!",),
        footer=("(c) Daily Meridian Media Group. All rights reserved.",),
    ),
    Outlet(
        name="Northgate Herald",
        slug="northgate",
        promo=(
            "Join our brand new verified Northgate Herald Telegram channel for news uncensored!",
        ),
        footer=(
            "Share this story with your friends on social media.",
            "Northgate Herald - independent news since 1998.",
        ),
    ),
    Outlet(
        name="The Civic Lantern",
        slug="lantern",
        promo=("Support independent journalism: become a Civic Lantern member today.",),
        footer=(
            "Have a tip? Email newsroom@civiclantern.example.",
            "Follow The Civic Lantern on Twitter and Facebook.",
            "Copyright The Civic Lantern. Reproduction prohibited.",
        ),
    ),
    Outlet(
        name="Harbor Wire",
        slug="harbor",
        promo=("BREAKING NEWS ALERTS - download the Harbor Wire app now", "Advertisement"),
        footer=("Harbor Wire content may not be republished without permission.",),
    ),
    Outlet(
        name="Pinecrest Observer",
        slug="pinecrest",
        promo=("Sign up for the Pinecrest Observer morning briefing in your inbox.",),
        footer=(
            "Comments are moderated. Please keep the discussion civil.",
            "Pinecrest Observer | Local news that matters",
        ),
    ),
    Outlet(
        name="Global Ledger",
        slug="ledger",
        promo=("Global Ledger Premium: unlock unlimited articles for 30 days free.",),
        footer=("Reporting by Global Ledger staff; editing by the Global Ledger desk.",),
    ),
    Outlet(
        name="Redfield Times",
        slug="redfield",
        promo=("Click here to read more Redfield Times stories on your phone.",),
        footer=(
            "Related: more from the Redfield Times newsroom.",
            "Redfield Times, 14 Market Street. Letters to the editor welcome.",
        ),
    ),
    Outlet(
        name="Summit Dispatch",
        slug="summit",
        promo=("Like Summit Dispatch on Facebook to get our news in your feed every day!",),
        footer=("Summit Dispatch. All content subject to our terms of use.",),
    ),
    Outlet(
        name="Blue River Post",
        slug="blueriver",
        promo=("Donate to keep the Blue River Post free for everyone.", "Sponsored content"),
        footer=(
            "Blue River Post is a non-profit newsroom.",
            "Read our corrections policy.",
            "Sign up for our newsletter.",
        ),
    ),
    Outlet(
        name="Eastbrook Chronicle",
        slug="eastbrook",
        promo=("Eastbrook Chronicle readers: get 50% off a digital subscription this month.",),
        footer=("The Eastbrook Chronicle is part of the Eastbrook Media network.",),
    ),
    Outlet(
        name="Westvale Gazette",
        slug="westvale",
        promo=("You are reading a free article from the Westvale Gazette.",),
        footer=(
            "Westvale Gazette (c) all rights reserved.",
            "Privacy policy | Contact us | Advertise",
        ),
    ),
    Outlet(
        name="Open Column",
        slug="opencolumn",
        promo=("Open Column: news, views and more. Bookmark us!",),
        footer=("Views expressed by contributors are their own.",),
    ),
)

BRIEF_OUTLET = Outlet(
    name="Briefly Noted",
    slug="briefly",
    promo=("Briefly Noted - the news in two sentences.",),
    footer=(
        "Briefly Noted provides short summaries of news reports for general information only. "
        "The summaries are produced from publicly available sources and may not reflect later "
        "developments, corrections or clarifications issued by the original publishers. Readers "
        "should consult the full original reports before relying on any statement made here, and "
        "should not treat any summary as professional, legal, financial or medical advice.",
        "Briefly Noted does not endorse any opinion quoted in a summary, and quotations may have "
        "been shortened for length. Where a summary names a person or an organisation, that name "
        "is given as it appeared in the source report at the time of writing. If you believe a "
        "summary is inaccurate, please write to the corrections desk and we will review it "
        "promptly and publish a correction where one is warranted.",
        "All summaries are copyright Briefly Noted and may be shared for non-commercial purposes "
        "with attribution and a link to this page. Automated collection, scraping or republication "
        "of summaries in bulk is prohibited without a written licence from the publisher.",
        "Briefly Noted is an independent service and is not affiliated with any of the news "
        "organisations whose reports are summarised on this site.",
    ),
)

TEMPLATE_OUTLET = Outlet(
    name="Market Ticker",
    slug="ticker",
    promo=("Market Ticker: company results as they are released.",),
    footer=("Market Ticker data is provided for information only.",),
)

CONTENT_TRANSFORMS = ("truncate", "retitle", "edit", "typography", "rewrap")
CONTAINERS = ("txt", "cp1252", "utf16", "utf8bom", "mojibake", "html", "jsonl")
CONTAINER_WEIGHTS = (4, 1, 1, 1, 1, 2, 2)
GZIP_PROBABILITY = 0.15
ORIGINAL_IN_JSONL = 0.2
JSONL_BATCH = 8

RETITLE_PREFIXES = ("UPDATE: ", "Breaking: ", "Report: ", "WATCH: ", "Analysis: ", "Exclusive: ")
MIXES: dict[str, tuple[str, ...]] = {
    "default": (
        "bbc",
        "reuters21578",
        "fakes_syria",
        "horne2017",
        "fakenewscorpus_sample",
        "lee_background",
    ),
    "wire": ("bbc", "reuters21578"),
}
"""The data sets under ``news/`` that each source mix draws its stories from."""

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass
class Document:
    """One document to write: its rendered text (or bytes) and its ground truth."""

    story: str
    kind: str
    transform: tuple[str, ...]
    outlet: Outlet
    title: str
    date: str
    paragraphs: tuple[str, ...]
    container: str = "txt"
    gzip: bool = False
    wrap: int | None = None
    id: str = ""
    extra_footer: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class SourcePools:
    """The sources a corpus is made from, already free of copies among themselves."""

    stories: Sequence[Source]
    briefs: Sequence[Source] = ()
    templates: Sequence[Source] = ()
    events: Sequence[Source] = ()
    extras: Sequence[Source] = ()
    """Sources for the passage-sharing hard negatives (:mod:`benchmarks.generate_hard`)."""


# ---------------------------------------------------------------- source text


def split_paragraphs(body: str) -> tuple[str, ...]:
    """Split a body into paragraphs: blank lines, else indented lines (Reuters), else sentences.

    A single long paragraph is cut into groups of sentences (~60 words) so that truncation
    by paragraphs has something to work with.
    """
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    blocks = [b for b in re.split(r"\n\s*\n", body) if b.strip()]
    if len(blocks) == 1 and re.search(r"\n[ \t]+\S", blocks[0]):
        blocks = re.split(r"\n(?=[ \t]+\S)", blocks[0])
    paragraphs = [" ".join(b.split()) for b in blocks]
    paragraphs = [p for p in paragraphs if p]
    if len(paragraphs) == 1 and len(paragraphs[0].split()) > 90:
        sentences = SENTENCE_RE.split(paragraphs[0])
        grouped: list[str] = []
        current: list[str] = []
        for sentence in sentences:
            current.append(sentence)
            if sum(len(s.split()) for s in current) >= 60:
                grouped.append(" ".join(current))
                current = []
        if current:
            grouped.append(" ".join(current))
        paragraphs = grouped
    return tuple(paragraphs)


def parse_source(text: str, origin: str, group: str = "") -> Source | None:
    """Title = first line of ``text`` (or its first sentence for one-line sets like Lee)."""
    text = html.unescape(text).replace("\x03", "").replace("&#3;", "")
    text = re.sub(r"\s*\bReuter\s*$", "", text.strip())
    if "\n" in text:
        title, body = text.split("\n", 1)
    else:
        first = SENTENCE_RE.split(text, maxsplit=1)[0]
        words = first.split()
        title = " ".join(words[:12]) + ("..." if len(words) > 12 else "")
        body = text
    title = " ".join(title.split())
    paragraphs = split_paragraphs(body)
    if not title or not paragraphs:
        return None
    return Source(title=title, paragraphs=paragraphs, origin=origin, group=group)


def is_earnings_report(body: str) -> bool:
    """Reuters' results template: "Shr X vs Y" and "Net X vs Y" lines."""
    return bool(SHR_RE.search(body) and NET_RE.search(body))


def shingle_set(text: str, size: int = 5) -> set[int]:
    """Word 5-gram hashes (crc32: stable across processes, unlike ``hash``)."""
    words = WORD_RE.findall(text.lower())
    grams = [" ".join(words[i : i + size]) for i in range(max(1, len(words) - size + 1))]
    return {zlib.crc32(g.encode("utf-8")) for g in grams}


class NoveltyFilter:
    """Admits a source only if no admitted source shares >= ``limit`` of its word 5-grams.

    Sources are checked against each other by containment (shared shingles over the smaller
    set) through an inverted index; very common shingles are not indexed, which can only
    under-count overlap between texts that share nothing else.
    """

    def __init__(self, limit: float = 0.5, max_posting: int = 64) -> None:
        self.limit = limit
        self.max_posting = max_posting
        self.sizes: list[int] = []
        self.index: dict[int, list[int]] = defaultdict(list)

    def admit(self, text: str) -> bool:
        shingles = shingle_set(text)
        counts: dict[int, int] = defaultdict(int)
        for sh in shingles:
            for other in self.index.get(sh, ()):
                counts[other] += 1
        for other, shared in counts.items():
            if shared / max(1, min(len(shingles), self.sizes[other])) >= self.limit:
                return False
        number = len(self.sizes)
        self.sizes.append(len(shingles))
        for sh in shingles:
            posting = self.index[sh]
            if len(posting) < self.max_posting:
                posting.append(number)
        return True


def source_text(source: Source) -> str:
    return source.title + "\n" + "\n".join(source.paragraphs)


def read_jsonl(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_sources(
    data: Path, rng: random.Random, n_stories: int, mix: str = "default"
) -> SourcePools:
    """Read the real sets under ``data/news`` and draw copy-free pools for ``n_stories``.

    ``mix`` names the story sets (:data:`MIXES`).
    """
    from benchmarks.generate_hard import extras_needed  # noqa: PLC0415 (it imports this module)

    news = data / "news"
    counts = plan_counts(n_stories)
    if mix not in MIXES:
        raise ValueError(f"unknown source mix {mix!r}; choose one of {', '.join(MIXES)}")
    story_sets = list(MIXES[mix])
    candidates: dict[str, list[Source]] = {}
    earnings: list[Source] = []
    for name in story_sets:
        found: list[Source] = []
        for rec in read_jsonl(news / f"{name}.jsonl"):
            text = str(rec["text"])
            body = text.split("\n", 1)[1] if "\n" in text else text
            if name == "reuters21578" and is_earnings_report(body):
                src = parse_source(text, name)
                if src is not None:
                    earnings.append(src)
                continue
            if name == "reuters21578" and len(body) <= 400:
                continue
            src = parse_source(text, name)
            if src is None:
                continue
            n_words = sum(len(p.split()) for p in src.paragraphs)
            if 80 <= n_words <= 1500:
                found.append(src)
        rng.shuffle(found)
        candidates[name] = found
    rng.shuffle(earnings)

    novelty = NoveltyFilter()
    events: list[Source] = []
    wikiref = [
        parse_source(str(r["text"]), "wikiref220", str(r.get("topic", "")))
        for r in read_jsonl(news / "wikiref220.jsonl")
    ]
    lee = [parse_source(str(r["text"]), "lee", "lee") for r in read_jsonl(news / "lee.jsonl")]
    pool = [s for s in wikiref + lee if s is not None]
    rng.shuffle(pool)
    for src in pool:
        if len(events) >= counts["same-event"]:
            break
        if novelty.admit(source_text(src)):
            events.append(src)
    templates: list[Source] = []
    for src in earnings:
        if len(templates) >= counts["template"]:
            break
        if novelty.admit(source_text(src)):
            templates.append(src)

    iters = {name: iter(found) for name, found in candidates.items()}

    def draw(n: int) -> list[Source]:
        drawn: list[Source] = []
        while len(drawn) < n and iters:
            for name in sorted(iters):
                src = next(iters[name], None)
                if src is None:
                    del iters[name]
                    continue
                if novelty.admit(source_text(src)):
                    drawn.append(src)
                    if len(drawn) >= n:
                        break
        return drawn

    stories = draw(counts["story"])
    briefs = draw(counts["brief"])
    # drawn last, so that the pools above are the same with or without them
    extras = draw(extras_needed(n_stories))
    return SourcePools(
        stories=stories, briefs=briefs, templates=templates, events=events, extras=extras
    )


def plan_counts(n_stories: int) -> dict[str, int]:
    """How many stories of each kind make up ``n_stories`` (hard negatives are ~1/3)."""
    brief = n_stories // 15
    template = n_stories // 10
    same_event = min(n_stories // 6, 270)
    return {
        "brief": brief,
        "template": template,
        "same-event": same_event,
        "story": n_stories - brief - template - same_event,
    }


# ---------------------------------------------------------------- transformations


def truncate(paragraphs: Sequence[str], ratio: float) -> tuple[str, ...]:
    """Keep the first ``ratio`` of the body: whole paragraphs when there are >= 3, else words."""
    if len(paragraphs) >= 3:
        keep = max(1, round(len(paragraphs) * ratio))
        return tuple(paragraphs[:keep])
    words = " ".join(paragraphs).split()
    keep = max(1, round(len(words) * ratio))
    return (" ".join(words[:keep]),)


def retitle(title: str, paragraphs: Sequence[str], rng: random.Random) -> str:
    """A rewritten headline: a prefix, a lead-sentence headline, or a recased title."""
    choice = rng.randrange(3)
    if choice == 0:
        return rng.choice(RETITLE_PREFIXES) + title
    if choice == 1:
        words = " ".join(paragraphs).split()[: rng.randint(6, 10)]
        return " ".join(words).rstrip(",.;:") or title + "!"
    recased = title.upper() if title != title.upper() else title.title()
    return recased if recased != title else "Latest: " + title


def apply_edits(
    paragraphs: Sequence[str], rng: random.Random, rate: float
) -> tuple[tuple[str, ...], int]:
    """Substitute or delete about ``rate`` of the words; returns the paragraphs and edit count."""
    vocabulary = ("reportedly", "also", "now", "said", "officials", "new", "the", "local", "major")
    edited: list[str] = []
    count = 0
    for paragraph in paragraphs:
        out: list[str] = []
        for word in paragraph.split(" "):
            if rng.random() >= rate:
                out.append(word)
                continue
            count += 1
            if rng.random() < 0.5:
                out.append(rng.choice(vocabulary))
        edited.append(" ".join(out) or paragraph)
    return tuple(edited), count


def apply_typography(
    text: str, rng: random.Random, curly: bool | None = None, spacing: bool = True
) -> str:
    """Swap quote styles, dashes, ellipses; with ``spacing`` add non-breaking and double spaces."""
    if curly is None:
        curly = rng.random() < 0.5
    if curly:
        text = re.sub(r'(^|[\s(\[])"', "\\1\u201c", text)
        text = text.replace('"', "\u201d")
        text = re.sub(r"(\w)'(\w)", "\\1\u2019\\2", text)
        text = re.sub(r"(^|\s)'", "\\1\u2018", text).replace("'", "\u2019")
        text = text.replace(" -- ", " \u2014 ").replace("--", "\u2014").replace("...", "\u2026")
        text = re.sub(r" - ", " \u2013 ", text)
    else:
        for curly_char, plain in (("\u201c", '"'), ("\u201d", '"'), ("\u2018", "'")):
            text = text.replace(curly_char, plain)
        text = text.replace("\u2019", "'").replace("\u2014", "--").replace("\u2026", "...")
        text = text.replace("\u2013", "-")
    if not spacing:
        return text
    text = re.sub(r"\. (?=[A-Z])", ".  ", text)
    return re.sub(r"(\d) (?=\w)", "\\1\u00a0", text)


def rewrap(paragraph: str, width: int) -> str:
    """Hard-wrap one paragraph at ``width`` columns."""
    return textwrap.fill(paragraph, width=width, break_long_words=False, break_on_hyphens=False)


def sloppy_cp1252(data: bytes) -> str:
    """Decode bytes as cp1252, mapping its five undefined bytes to the same code points."""
    return "".join(
        bytes([b]).decode("cp1252", errors="strict")
        if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
        # the undefined bytes become the C1 control with the same number, as browsers do
        else chr(b)
        for b in data
    )


def encode_text(text: str, container: str) -> bytes:
    """Bytes of ``text`` for a container: txt/html UTF-8, cp1252, UTF-16/UTF-8 with BOM, mojibake.

    ``mojibake`` is UTF-8 bytes read as cp1252 and saved again as UTF-8 (the classic
    double encoding that ftfy undoes).
    """
    if container == "cp1252":
        return text.encode("cp1252", errors="replace")
    if container == "utf16":
        return text.encode("utf-16")  # Python writes the BOM for "utf-16"
    if container == "utf8bom":
        return text.encode("utf-8-sig")
    if container == "mojibake":
        return sloppy_cp1252(text.encode("utf-8")).encode("utf-8")
    return text.encode("utf-8")


# ---------------------------------------------------------------- rendering


def body_paragraphs(doc: Document) -> list[str]:
    paragraphs = list(doc.paragraphs)
    if doc.wrap:
        paragraphs = [rewrap(p, doc.wrap) for p in paragraphs]
    return paragraphs


def render_text(doc: Document) -> str:
    """The plain-text layout: promo / blank / title / blank / date / blank / body / footer."""
    parts = [
        "\n".join(doc.outlet.promo),
        doc.title,
        doc.date,
        *body_paragraphs(doc),
        *doc.extra_footer,
        "\n".join(doc.outlet.footer),
    ]
    return "\n\n".join(parts) + "\n"


def render_html(doc: Document) -> str:
    """A simple page with a menu, the article and a footer; text is HTML-escaped."""
    esc = html.escape
    menu = "".join(f'<li><a href="/{m.lower()}">{esc(m)}</a></li>' for m in doc.outlet.menu)
    promo = "".join(f'<div class="promo">{esc(p)}</div>' for p in doc.outlet.promo)
    paras = "\n".join(f"<p>{esc(p)}</p>" for p in body_paragraphs(doc))
    extra = "\n".join(f"<p>{esc(p)}</p>" for p in doc.extra_footer)
    footer = "".join(f"<p>{esc(f)}</p>" for f in doc.outlet.footer)
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{esc(doc.title)} | {esc(doc.outlet.name)}</title></head>\n<body>\n"
        f"<nav><ul>{menu}</ul></nav>\n{promo}\n<article>\n<h1>{esc(doc.title)}</h1>\n"
        f'<p class="date">{esc(doc.date)}</p>\n{paras}\n{extra}\n</article>\n'
        f"<footer>{footer}</footer>\n</body></html>\n"
    )


def render_jsonl_record(doc: Document, number: int) -> dict[str, str]:
    """One export record; the outlet's footer stays inside ``text`` as scraped exports do."""
    text = "\n\n".join([*body_paragraphs(doc), *doc.extra_footer, *doc.outlet.footer])
    return {"id": f"{doc.outlet.slug}-{number}", "title": doc.title, "text": text, "date": doc.date}


# ---------------------------------------------------------------- planning


def random_date(rng: random.Random) -> str:
    year = rng.randint(2004, 2019)
    return f"{rng.choice(MONTHS)} {rng.randint(1, 28):02d}, {year}"


def make_copy(story: str, src: Source, date: str, outlet: Outlet, rng: random.Random) -> Document:
    """One re-publication of ``src`` through 1-3 content transformations and a container."""
    chosen = sorted(rng.sample(CONTENT_TRANSFORMS, rng.randint(1, 3)))
    container = rng.choices(CONTAINERS, weights=CONTAINER_WEIGHTS)[0]
    labels = ["outlet", *chosen]
    title = src.title
    paragraphs: tuple[str, ...] = src.paragraphs
    if "truncate" in chosen:
        paragraphs = truncate(paragraphs, rng.uniform(0.6, 0.9))
    if "retitle" in chosen:
        title = retitle(title, paragraphs, rng)
    if "edit" in chosen:
        paragraphs, _ = apply_edits(paragraphs, rng, rng.uniform(0.03, 0.05))
    # typography is applied to the fields, never to markup; cp1252 and mojibake get curly
    # quotes so that their encodings have non-ASCII bytes to get wrong
    curly = True if container in ("cp1252", "mojibake") else None
    if "typography" in chosen or curly:
        spacing = "typography" in chosen
        title = apply_typography(title, rng, curly, spacing)
        paragraphs = tuple(apply_typography(p, rng, curly, spacing) for p in paragraphs)
    doc = Document(
        story=story,
        kind="story",
        transform=(),
        outlet=outlet,
        title=title,
        date=date,
        paragraphs=paragraphs,
        container=container,
        wrap=rng.randint(60, 80) if "rewrap" in chosen else None,
    )
    if container != "txt":
        labels.append(container)
    if container != "jsonl" and rng.random() < GZIP_PROBABILITY:
        doc.gzip = True
        labels.append("gzip")
    doc.transform = tuple(labels)
    return doc


def plan_corpus(pools: SourcePools, seed: int, max_copies: int = 6) -> list[Document]:
    """Every document of the corpus, with its story, kind and transformation labels.

    The passage-sharing hard negatives come last, from ``pools.extras`` and their own
    random stream (none when ``extras`` is empty).
    """
    from benchmarks.generate_hard import plan_hard_negatives  # noqa: PLC0415 (imports this)

    rng = random.Random(seed)
    docs: list[Document] = []
    for number, src in enumerate(pools.stories):
        story = f"s{number:05d}"
        outlets = rng.sample(OUTLETS, min(len(OUTLETS), max_copies + 1))
        date = random_date(rng)
        container = "jsonl" if rng.random() < ORIGINAL_IN_JSONL else "txt"
        docs.append(
            Document(
                story=story,
                kind="story",
                transform=("original",),
                outlet=outlets[0],
                title=src.title,
                date=date,
                paragraphs=src.paragraphs,
                container=container,
            )
        )
        for k in range(rng.randint(0, max_copies)):
            docs.append(make_copy(story, src, date, outlets[k + 1], rng))
    for number, src in enumerate(pools.briefs):
        text = " ".join(src.paragraphs)
        sentences = SENTENCE_RE.split(text)
        brief = " ".join(sentences[:2])
        words = brief.split()
        if len(words) < 30:
            words = text.split()[:30]
        brief = " ".join(words[:60])
        docs.append(
            Document(
                story=f"b{number:05d}",
                kind="brief",
                transform=("brief",),
                outlet=BRIEF_OUTLET,
                title=src.title,
                date=random_date(rng),
                paragraphs=(brief,),
                extra_footer=BRIEF_OUTLET.footer,
                container="txt",
            )
        )
    for number, src in enumerate(pools.templates):
        docs.append(
            Document(
                story=f"t{number:05d}",
                kind="template",
                transform=("template",),
                outlet=TEMPLATE_OUTLET,
                title=src.title,
                date=random_date(rng),
                paragraphs=src.paragraphs,
            )
        )
    for number, src in enumerate(pools.events):
        docs.append(
            Document(
                story=f"e{number:05d}",
                kind="same-event",
                transform=("same-event",),
                outlet=rng.choice(OUTLETS),
                title=src.title,
                date=random_date(rng),
                paragraphs=src.paragraphs,
            )
        )
    if pools.extras:
        n_stories = len(pools.stories) + len(pools.briefs)
        n_stories += len(pools.templates) + len(pools.events)
        docs += plan_hard_negatives(pools.extras, seed, n_stories)
    return docs


def write_corpus(docs: Sequence[Document], out: Path, seed: int) -> list[dict[str, object]]:
    """Write ``docs`` under ``out/docs`` and the ground truth to ``out/truth.jsonl``.

    Brief-outlet documents put the disclaimer in the body; ids are the paths relative to
    ``out/docs`` (``file.jsonl#N`` for the Nth line, 1-based), as newsingest names them.
    """
    from benchmarks.generate_hard import HARD_KINDS  # noqa: PLC0415 (it imports this module)

    rng = random.Random(seed * 7919 + 1)
    # the passage-sharing kinds name their files from their own stream, so that the other
    # documents keep their names (and JSON Lines batches) whether or not they are present
    hard_rng = random.Random(seed * 7919 + 2)
    root = out / "docs"
    root.mkdir(parents=True, exist_ok=True)
    jsonl_docs: list[Document] = []
    used: set[str] = set()
    for doc in docs:
        if doc.container == "jsonl":
            jsonl_docs.append(doc)
            continue
        ext = ".html" if doc.container == "html" else ".txt"
        names = hard_rng if doc.kind in HARD_KINDS else rng
        name = f"{doc.outlet.slug}/{names.getrandbits(40):010x}{ext}"
        while name in used:
            name = f"{doc.outlet.slug}/{names.getrandbits(40):010x}{ext}"
        used.add(name)
        text = render_html(doc) if doc.container == "html" else render_text(doc)
        data = encode_text(text, doc.container)
        if doc.gzip:
            data = gzip.compress(data, mtime=0)
            name += ".gz"
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        doc.id = name
    rng.shuffle(jsonl_docs)
    for batch_number, start in enumerate(range(0, len(jsonl_docs), JSONL_BATCH)):
        name = f"exports/batch-{batch_number:04d}.jsonl"
        lines = []
        for line_number, doc in enumerate(jsonl_docs[start : start + JSONL_BATCH], start=1):
            record = render_jsonl_record(doc, start + line_number)
            lines.append(json.dumps(record, ensure_ascii=False))
            doc.id = f"{name}#{line_number}"
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    truth: list[dict[str, object]] = [
        {"id": d.id, "story": d.story, "transform": list(d.transform), "kind": d.kind}
        for d in sorted(docs, key=lambda d: d.id)
    ]
    with (out / "truth.jsonl").open("w", encoding="utf-8") as fh:
        for row in truth:
            fh.write(json.dumps(row) + "\n")
    return truth


def generate(
    data: Path, out: Path, seed: int, n_stories: int, mix: str = "default"
) -> list[dict[str, object]]:
    """Load sources from ``data`` (story sets per ``mix``), plan and write the corpus.

    Returns the truth rows.
    """
    rng = random.Random(seed)
    pools = load_sources(data, rng, n_stories, mix)
    return write_corpus(plan_corpus(pools, seed), out, seed)


def read_truth(path: Path) -> list[dict[str, object]]:
    return read_jsonl(path)


def summarize(truth: Iterable[dict[str, object]]) -> str:
    rows = list(truth)
    kinds: dict[str, int] = defaultdict(int)
    labels: dict[str, int] = defaultdict(int)
    stories = set()
    for row in rows:
        kinds[str(row["kind"])] += 1
        stories.add(row["story"])
        for label in row["transform"]:  # type: ignore[attr-defined]
            labels[str(label)] += 1
    return (
        f"{len(rows)} documents, {len(stories)} stories; kinds {dict(sorted(kinds.items()))}; "
        f"labels {dict(sorted(labels.items()))}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder")
    parser.add_argument("--out", type=Path, required=True, help="output folder (outside the repo)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--stories", type=int, default=1500, help="stories incl. hard negatives")
    parser.add_argument(
        "--mix", choices=sorted(MIXES), default="default", help="the data sets stories come from"
    )
    args = parser.parse_args(argv)
    if (args.out / "docs").exists() and any((args.out / "docs").iterdir()):
        parser.error(f"{args.out}/docs is not empty; choose a new --out folder")
    truth = generate(args.data, args.out, args.seed, args.stories, args.mix)
    print(summarize(truth))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
