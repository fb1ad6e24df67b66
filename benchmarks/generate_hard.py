"""The generator's passage-sharing hard negatives: shared captions, shared teasers, updates.

Three kinds of documents that share long passages with a different story, planned from
sources drawn after every other pool (and with their own random stream), so adding them
leaves the rest of a seed's corpus unchanged:

``shared-captions``
    Two different stories from one agency, on one day, carrying the same 2-3 photo
    caption / credit paragraphs right after their lead, each re-published as truncated
    copies short enough that the shared captions make up most of them. A copy is a copy
    of its own story only: anything joining the two stories is a false merge.
``shared-teaser``
    Groups of short items (15-30 words) from one site with different headlines and the
    same one-line teaser as their body. Every item is its own story; an item re-published
    word for word, headline included, is a copy (transformation ``short-copy``).
``update``
    A story, a later version of it and a later different story that reuses its opening.

The update policy: a later version is the **same story** (a copy, transformation
``update``) when it keeps the original whole (at least 90% of the original's text) and
the original is at least 60% of the later text -- the mirror image of the ``truncate``
transformation, which keeps 60-90% of a story. A later story that keeps only the opening
paragraphs (at most 70% of the original) and adds its own, such that no side is mostly
contained in the other, is a **different story** (kind ``update``, a hard negative): this
is the ``raw/bbc`` politics/327 and /328 case, two stories sharing long background
paragraphs (containment 0.67, Jaccard 0.467), which must not merge. The band between 70%
and 90% kept is not generated.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from benchmarks.generate import (
    CONTAINER_WEIGHTS,
    CONTAINERS,
    GZIP_PROBABILITY,
    OUTLETS,
    SENTENCE_RE,
    Document,
    Outlet,
    Source,
    apply_typography,
    random_date,
    retitle,
)

__all__ = [
    "AGENCY_OUTLET",
    "HARD_KINDS",
    "TEASER_OUTLET",
    "hard_counts",
    "plan_hard_negatives",
    "plan_shared_captions",
    "plan_shared_teasers",
    "plan_updates",
]

HARD_KINDS = ("shared-captions", "shared-teaser", "update")
UPDATE_MIN_SHARE = 0.6
"""A copy-update: the original is at least this share of the later version's words."""
UPDATE_MAX_KEPT = 0.7
"""A different-story update keeps at most this share of the original's words."""

AGENCY_OUTLET = Outlet(
    name="Continental Press Agency",
    slug="cpa",
    promo=("Continental Press Agency - wire service for subscribers.",),
    footer=("(c) Continental Press Agency. Redistribution by licence only.",),
)

TEASER_OUTLET = Outlet(
    name="Viral Digest",
    slug="viral",
    promo=("Viral Digest: the stories everyone is sharing.",),
    footer=("Viral Digest | Terms | Privacy",),
)

TEASERS = (
    "Click the link below to read the full story and watch the video everyone is talking about.",
    "You will not believe what happened next, so read the whole article before you share it.",
    "The full report is available to members only; sign in or join today to keep reading it.",
    "This story is developing and will be updated as soon as more details become available here.",
    "Share this post with your friends and family and tell us what you think in the comments.",
    "Read more about this story on our partner site, where the complete coverage is free today.",
)

PHOTOGRAPHERS = (
    "Anna Kowalski",
    "Tomas Reyes",
    "Mei Lin",
    "David Okafor",
    "Sara Lindqvist",
    "Jonas Berger",
    "Priya Natarajan",
    "Luca Romano",
)

COPY_CONTAINERS = tuple(c for c in CONTAINERS if c != "jsonl")
"""No JSON Lines: their export batches would reorder the other kinds' records."""
COPY_WEIGHTS = tuple(w for c, w in zip(CONTAINERS, CONTAINER_WEIGHTS, strict=True) if c != "jsonl")


def hard_counts(n_stories: int) -> dict[str, int]:
    """Caption pairs, teaser groups and updates for a corpus of ``n_stories``."""
    return {
        "shared-captions": max(1, n_stories // 75),
        "shared-teaser": max(1, n_stories // 150),
        "update": max(1, n_stories // 75),
    }


def n_words(paragraphs: Sequence[str]) -> int:
    return sum(len(p.split()) for p in paragraphs)


def short_title(title: str, rng: random.Random) -> str:
    words = title.split()
    return " ".join(words[: rng.randint(5, 10)]).rstrip(",.;:") or title


def copy_of(
    doc: Document,
    outlet: Outlet,
    paragraphs: tuple[str, ...],
    labels: Sequence[str],
    rng: random.Random,
    *,
    same_title: bool = False,
) -> Document:
    """A re-publication of ``doc`` by ``outlet`` with ``paragraphs``, in a random container.

    ``same_title`` keeps the headline as it is (no retitle, no typography).
    """
    container = rng.choices(COPY_CONTAINERS, weights=COPY_WEIGHTS)[0]
    title = doc.title
    tags = ["outlet", *labels]
    if rng.random() < 0.3 and not same_title:
        title = retitle(title, paragraphs, rng)
        tags.append("retitle")
    # cp1252 and mojibake need non-ASCII characters to get wrong, as in the main generator
    curly = True if container in ("cp1252", "mojibake") else None
    if curly or rng.random() < 0.3:
        spacing = not curly
        if not same_title:
            title = apply_typography(title, rng, curly, spacing)
        paragraphs = tuple(apply_typography(p, rng, curly, spacing) for p in paragraphs)
        if spacing:
            tags.append("typography")
    if container != "txt":
        tags.append(container)
    copy = Document(
        story=doc.story,
        kind=doc.kind,
        transform=(),
        outlet=outlet,
        title=title,
        date=doc.date,
        paragraphs=paragraphs,
        container=container,
    )
    if rng.random() < GZIP_PROBABILITY:
        copy.gzip = True
        tags.append("gzip")
    copy.transform = tuple(tags)
    return copy


def caption_paragraphs(src: Source, rng: random.Random) -> tuple[str, ...]:
    """2-3 caption/credit paragraphs of 25-45 words from ``src``'s sentences."""
    sentences = [s for p in src.paragraphs for s in SENTENCE_RE.split(p) if len(s.split()) >= 8]
    captions: list[str] = []
    while sentences and len(captions) < rng.randint(2, 3):
        words: list[str] = []
        while sentences and len(words) < 25:
            words += sentences.pop(0).split()
        who = rng.choice(PHOTOGRAPHERS)
        captions.append(" ".join(words[:45]) + f" (Photo: {who} / {AGENCY_OUTLET.name})")
    if len(captions) < 3:
        who, editor = rng.sample(PHOTOGRAPHERS, 2)
        captions.append(f"Additional reporting by {who}; editing by {editor} for the agency desk.")
    return tuple(captions)


def plan_shared_captions(
    pairs: Sequence[tuple[Source, Source, Source]], rng: random.Random
) -> list[Document]:
    """Two agency stories (same day) with the same captions after their leads, plus copies.

    Each story gets 1-3 copies truncated to its lead and the captions (so the captions are
    most of them) and sometimes one copy that keeps one more paragraph.
    """
    docs: list[Document] = []
    for number, (first, second, caption_src) in enumerate(pairs):
        captions = caption_paragraphs(caption_src, rng)
        date = random_date(rng)
        for side, src in enumerate((first, second)):
            paragraphs = (src.paragraphs[0], *captions, *src.paragraphs[1:])
            original = Document(
                story=f"c{number:05d}{'ab'[side]}",
                kind="shared-captions",
                transform=("original",),
                outlet=AGENCY_OUTLET,
                title=src.title,
                date=date,
                paragraphs=paragraphs,
            )
            docs.append(original)
            outlets = rng.sample(OUTLETS, 4)
            for k in range(rng.randint(1, 3)):
                short = paragraphs[: 1 + len(captions)]
                docs.append(copy_of(original, outlets[k], short, ["truncate"], rng))
            if rng.random() < 0.5:
                longer = paragraphs[: 2 + len(captions)]
                docs.append(copy_of(original, outlets[3], longer, ["truncate"], rng))
    return docs


def plan_shared_teasers(
    groups: Sequence[Sequence[str]], rng: random.Random, first_number: int = 0
) -> list[Document]:
    """One site's short items: different headlines, one teaser as body; some re-published."""
    docs: list[Document] = []
    number = first_number
    for titles in groups:
        teaser = rng.choice(TEASERS)
        date = random_date(rng)
        group: list[Document] = []
        for title in titles:
            group.append(
                Document(
                    story=f"q{number:05d}",
                    kind="shared-teaser",
                    transform=("original",),
                    outlet=TEASER_OUTLET,
                    title=title,
                    date=date,
                    paragraphs=(teaser,),
                )
            )
            number += 1
        docs += group
        if rng.random() < 0.5:
            item = rng.choice(group)
            outlet = rng.choice(OUTLETS)
            docs.append(
                copy_of(item, outlet, item.paragraphs, ["short-copy"], rng, same_title=True)
            )
    return docs


def added_paragraphs(filler: Source, target_words: int) -> tuple[str, ...]:
    """Paragraphs of ``filler`` until about ``target_words`` words (at least one paragraph)."""
    taken: list[str] = []
    for paragraph in filler.paragraphs:
        if taken and n_words(taken) + len(paragraph.split()) > target_words:
            break
        taken.append(paragraph)
    words = " ".join(taken).split()
    if len(words) > target_words * 1.3:
        return (" ".join(words[: max(12, target_words)]),)
    return tuple(taken)


def later_date(date: str, rng: random.Random) -> str:
    month, day, year = date.replace(",", "").split()
    return f"{month} {min(28, int(day) + rng.randint(0, 1)):02d}, {year}"


def plan_updates(
    triples: Sequence[tuple[Source, Source, Source]], rng: random.Random
) -> list[Document]:
    """A story, a copy-update of it, and a different story that reuses its opening.

    Per the module's policy: the copy-update keeps every paragraph and adds 15-60% of the
    original's length (the original stays >= 60% of it); the different story keeps the
    opening paragraphs, at most 70% of the original's words, and adds about as many new.
    """
    docs: list[Document] = []
    for number, (src, filler, other_filler) in enumerate(triples):
        date = random_date(rng)
        outlet = rng.choice(OUTLETS)
        original = Document(
            story=f"u{number:05d}",
            kind="update",
            transform=("original",),
            outlet=outlet,
            title=src.title,
            date=date,
            paragraphs=src.paragraphs,
        )
        total = n_words(src.paragraphs)
        limit = total * (1 / UPDATE_MIN_SHARE - 1)
        extra = added_paragraphs(filler, round(total * rng.uniform(0.15, 0.6)))
        while len(extra) > 1 and n_words(extra) > limit:
            extra = extra[:-1]
        docs.append(original)
        if n_words(extra) <= limit:
            docs.append(
                Document(
                    story=original.story,
                    kind="update",
                    transform=("update",),
                    outlet=outlet,
                    title="UPDATE 1-" + src.title,
                    date=later_date(date, rng),
                    paragraphs=(*src.paragraphs, *extra),
                )
            )
        keep = 1
        while (
            keep + 1 < len(src.paragraphs)
            and n_words(src.paragraphs[: keep + 1]) <= total * UPDATE_MAX_KEPT
            and n_words(src.paragraphs[: keep + 1]) <= total * rng.uniform(0.45, 0.7)
        ):
            keep += 1
        opening = src.paragraphs[:keep]
        new = added_paragraphs(other_filler, max(n_words(opening), 40))
        docs.append(
            Document(
                story=f"v{number:05d}",
                kind="update",
                transform=("update-story",),
                outlet=outlet,
                title=retitle(src.title, new, rng),
                date=later_date(date, rng),
                paragraphs=(*opening, *new),
            )
        )
    return docs


def plan_hard_negatives(extras: Sequence[Source], seed: int, n_stories: int) -> list[Document]:
    """Every shared-passage document, from ``extras`` (copy-free sources), seeded by ``seed``."""
    rng = random.Random(seed * 104729 + 17)
    counts = hard_counts(n_stories)
    pool = list(extras)
    fits_captions = [
        s for s in pool if len(s.paragraphs) >= 3 and len(s.paragraphs[0].split()) <= 60
    ]
    caption_stories = fits_captions[: 2 * counts["shared-captions"]]
    used = {id(s) for s in caption_stories}
    rest = [s for s in pool if id(s) not in used]
    caption_sources = rest[: counts["shared-captions"]]
    rest = rest[len(caption_sources) :]
    pairs = [
        (caption_stories[2 * i], caption_stories[2 * i + 1], caption_sources[i])
        for i in range(min(len(caption_stories) // 2, len(caption_sources)))
    ]
    updatable = [s for s in rest if len(s.paragraphs) >= 3][: counts["update"]]
    used = {id(s) for s in updatable}
    rest = [s for s in rest if id(s) not in used]
    fillers = rest[: 2 * len(updatable)]
    rest = rest[len(fillers) :]
    triples = [
        (src, fillers[2 * i], fillers[2 * i + 1])
        for i, src in enumerate(updatable)
        if 2 * i + 1 < len(fillers)
    ]
    titles = [short_title(s.title, rng) for s in rest]
    groups: list[list[str]] = []
    while len(groups) < counts["shared-teaser"] and len(titles) >= 3:
        size = min(len(titles), rng.randint(3, 9))
        groups.append(titles[:size])
        titles = titles[size:]
    return [
        *plan_shared_captions(pairs, rng),
        *plan_shared_teasers(groups, rng),
        *plan_updates(triples, rng),
    ]


def extras_needed(n_stories: int) -> int:
    """Sources to draw for :func:`plan_hard_negatives` (with slack for the length filters)."""
    counts = hard_counts(n_stories)
    return 6 * counts["shared-captions"] + 8 * counts["shared-teaser"] + 4 * counts["update"]
