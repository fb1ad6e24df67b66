"""Tests of the generator's passage-sharing hard negatives and source mixes, on made-up text."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from benchmarks import quality
from benchmarks.generate import (
    MIXES,
    Document,
    Source,
    SourcePools,
    load_sources,
    plan_corpus,
    write_corpus,
)
from benchmarks.generate_hard import (
    UPDATE_MAX_KEPT,
    UPDATE_MIN_SHARE,
    plan_hard_negatives,
    plan_shared_captions,
    plan_shared_teasers,
    plan_updates,
)
from benchmarks.scoring import score_clustering

VOCABULARY = [f"w{i}" for i in range(400)]


def words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(VOCABULARY) for _ in range(n)) + "."


def fake_source(rng: random.Random, number: int, origin: str = "") -> Source:
    paragraphs = (words(rng, 30), *(words(rng, 50) for _ in range(rng.randint(3, 6))))
    return Source(
        title=f"Headline {number} about {words(rng, 4)}", paragraphs=paragraphs, origin=origin
    )


def sources(n: int, seed: int) -> list[Source]:
    rng = random.Random(seed)
    return [fake_source(rng, i) for i in range(n)]


def n_words(paragraphs: tuple[str, ...]) -> int:
    return sum(len(p.split()) for p in paragraphs)


def test_hard_kinds_leave_the_other_documents_unchanged(tmp_path: Path) -> None:
    base = SourcePools(stories=sources(10, 1), briefs=sources(2, 2), events=sources(2, 3))
    with_hard = SourcePools(
        stories=base.stories, briefs=base.briefs, events=base.events, extras=sources(60, 4)
    )
    plain = write_corpus(plan_corpus(base, 7), tmp_path / "a", 7)
    full = write_corpus(plan_corpus(with_hard, 7), tmp_path / "b", 7)
    kinds = {str(row["kind"]) for row in full}
    assert {"shared-captions", "shared-teaser", "update"} <= kinds
    old = [row for row in full if row["kind"] in ("story", "brief", "same-event")]
    assert old == plain
    for row in plain:
        name = str(row["id"]).split("#")[0]
        a = (tmp_path / "a" / "docs" / name).read_bytes()
        assert a == (tmp_path / "b" / "docs" / name).read_bytes()


def test_plan_hard_negatives_is_deterministic() -> None:
    extras = sources(60, 5)
    first = plan_hard_negatives(extras, 7, 300)
    assert first == plan_hard_negatives(extras, 7, 300)
    assert first != plan_hard_negatives(extras, 8, 300)


def test_shared_captions_pair_and_truncated_copies() -> None:
    first, second, captions = sources(3, 6)
    docs = plan_shared_captions([(first, second, captions)], random.Random(1))
    originals = [d for d in docs if d.transform == ("original",)]
    assert [d.story for d in originals] == ["c00000a", "c00000b"]
    assert {d.kind for d in docs} == {"shared-captions"}
    assert originals[0].date == originals[1].date
    assert originals[0].outlet == originals[1].outlet
    shared = set(originals[0].paragraphs) & set(originals[1].paragraphs)
    assert 2 <= len(shared) <= 3
    copies = [d for d in docs if d.transform != ("original",)]
    assert copies
    for copy in copies:
        assert "truncate" in copy.transform
        own = next(d for d in originals if d.story == copy.story)
        assert len(copy.paragraphs) < len(own.paragraphs)
    # the shortest copies are lead + captions: the shared captions are most of their words
    shortest = min(copies, key=lambda d: len(d.paragraphs))
    shared_words = sum(len(p.split()) for p in shortest.paragraphs if p in shared)
    assert shared_words >= 0.5 * n_words(shortest.paragraphs)


def test_shared_teaser_items_are_short_distinct_stories() -> None:
    titles = ["One short headline here", "Another headline entirely", "Third headline of the day"]
    docs = plan_shared_teasers([titles], random.Random(2))
    items = [d for d in docs if d.transform == ("original",)]
    assert len({d.story for d in items}) == 3
    assert len({d.paragraphs for d in items}) == 1
    assert len({d.title for d in items}) == 3
    for item in items:
        assert 15 <= len(item.title.split()) + n_words(item.paragraphs) <= 30
    for copy in docs[len(items) :]:
        assert "short-copy" in copy.transform
        item = next(d for d in items if d.story == copy.story)
        assert copy.title == item.title
        assert copy.paragraphs == item.paragraphs or "typography" in copy.transform


def test_updates_follow_the_policy() -> None:
    triples = [tuple(sources(3, 10 + i)) for i in range(8)]
    docs = plan_updates(triples, random.Random(3))  # type: ignore[arg-type]
    by_story: dict[str, list[Document]] = {}
    for doc in docs:
        by_story.setdefault(doc.story, []).append(doc)
    copies = 0
    for number in range(8):
        group = by_story[f"u{number:05d}"]
        original = next(d for d in group if d.transform == ("original",))
        total = n_words(original.paragraphs)
        for update in (d for d in group if d.transform == ("update",)):
            copies += 1
            # a copy keeps the original whole and the original is most of it
            assert update.paragraphs[: len(original.paragraphs)] == original.paragraphs
            assert total >= UPDATE_MIN_SHARE * n_words(update.paragraphs)
            assert update.title != original.title
        (other,) = by_story[f"v{number:05d}"]
        assert other.kind == "update"
        kept = 0
        while kept < len(other.paragraphs) and other.paragraphs[kept] == original.paragraphs[kept]:
            kept += 1
        assert 1 <= kept < len(original.paragraphs)
        assert n_words(original.paragraphs[:kept]) <= UPDATE_MAX_KEPT * total
        assert len(other.paragraphs) > kept
    assert copies > 0


def test_a_merge_of_two_caption_stories_is_a_hard_negative_merge() -> None:
    truth = [
        {"id": "a", "story": "c00000a", "transform": ["original"], "kind": "shared-captions"},
        {
            "id": "a1",
            "story": "c00000a",
            "transform": ["outlet", "truncate"],
            "kind": "shared-captions",
        },
        {"id": "b", "story": "c00000b", "transform": ["original"], "kind": "shared-captions"},
        {"id": "u", "story": "u00000", "transform": ["original"], "kind": "update"},
        {"id": "u1", "story": "u00000", "transform": ["update"], "kind": "update"},
        {"id": "v", "story": "v00000", "transform": ["update-story"], "kind": "update"},
    ]
    clusters: dict[str, str | None] = {"a": "X", "a1": "X", "b": "X", "u": "U", "u1": "U", "v": "V"}
    score = score_clustering(truth, clusters)
    assert score.hard_negative_merges["shared-captions"] == 2
    assert score.hard_negative_merges["update"] == 0
    assert score.recall_by_transform["update"] == 1.0
    clusters["v"] = "U"
    assert score_clustering(truth, clusters).hard_negative_merges["update"] == 2


def write_fake_data(root: Path) -> None:
    """A tiny ``news/`` folder with every set :func:`load_sources` reads."""
    news = root / "news"
    news.mkdir(parents=True)
    rng = random.Random(9)
    sets = {name for mix in MIXES.values() for name in mix} | {"wikiref220", "lee"}
    for number, name in enumerate(sorted(sets)):
        with (news / f"{name}.jsonl").open("w", encoding="utf-8") as fh:
            for i in range(25):
                src = fake_source(rng, 100 * number + i)
                text = f"{name} {src.title}\n" + "\n\n".join(src.paragraphs)
                fh.write(json.dumps({"id": f"{name}:{i}", "text": text, "topic": "t"}) + "\n")


def test_mixes_draw_stories_from_their_sets(tmp_path: Path) -> None:
    write_fake_data(tmp_path)
    wire = load_sources(tmp_path, random.Random(1), 60, "wire")
    assert wire.stories
    assert {s.origin for s in wire.stories} <= set(MIXES["wire"])
    default = load_sources(tmp_path, random.Random(1), 60, "default")
    assert {s.origin for s in default.stories} - set(MIXES["wire"])
    with pytest.raises(ValueError, match="unknown source mix"):
        load_sources(tmp_path, random.Random(1), 60, "nope")


def test_quality_accepts_a_mix(tmp_path: Path) -> None:
    write_fake_data(tmp_path)
    out = tmp_path / "q.json"
    argv = ["--data", str(tmp_path), "--stories", "40", "--mix", "wire", "--skip-real"]
    assert quality.main([*argv, "--json", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["mix"] == "wire"
    assert report["synthetic"]
