"""Texts written to a spill file between the passes give the run held texts give."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsingest import pipeline
from newsingest._spill import SpillFile
from newsingest.config import DedupConfig, IngestConfig, ReadConfig
from newsingest.matching import boilerplate as _bp
from newsingest.output.kept import write_kept_jsonl
from newsingest.output.review import write_review
from newsingest.pipeline import dedup, dedup_articles
from newsingest.records import Article, Decoding, DedupResult
from tests.factories import build_corpus, story

CONFIG = DedupConfig(ingest=IngestConfig(read=ReadConfig(prefix_ids=True)))
HELD = 1 << 62  # a budget no test corpus reaches: nothing is spilled


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    root = tmp_path_factory.mktemp("spill")
    build_corpus(root, stories=12, variants=60)
    return sorted(str(p) for p in root.iterdir())


@pytest.fixture(scope="module")
def held(inputs: list[str]) -> DedupResult:
    return dedup(inputs, CONFIG, spill_bytes=HELD)


def _rows(result: DedupResult) -> tuple[object, ...]:
    return (
        result.decisions,
        [(c.id, c.canonical, c.members, c.why) for c in result.clusters],
        result.rejections,
        result.params,
    )


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("budget", [0, 20_000])
def test_spilled_run_equals_held_run(  # noqa: PLR0917 (fixtures and parameters)
    inputs: list[str],
    held: DedupResult,
    jobs: int,
    budget: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 0 spills from the first article; 20 kB spills part-way, after some were held.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    spilled: list[str] = []

    def look(stage: str) -> None:
        if stage == "boilerplate":
            spilled.extend(str(p) for p in tmp_path.rglob("texts-*.bin") if p.stat().st_size)

    config = DedupConfig(ingest=CONFIG.ingest, jobs=jobs)
    got = dedup(inputs, config, spill_bytes=budget, on_stage=look)
    assert len(spilled) == jobs  # each process wrote its texts out
    assert _rows(got) == _rows(held)
    assert held.clusters  # the corpus has copies to find
    assert list(tmp_path.iterdir()) == []  # the spill folder is gone


def test_keeping_the_articles_writes_nothing_out(
    inputs: list[str], held: DedupResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    seen: list[Path] = []
    got = dedup(
        inputs,
        CONFIG,
        keep_articles=True,
        spill_bytes=0,
        on_stage=lambda stage: seen.extend(tmp_path.rglob("*.bin")),
    )
    assert seen == []
    assert _rows(got) == _rows(held)
    assert len(got.articles) == sum(d.status != "rejected" for d in got.decisions)


@pytest.mark.parametrize(("jobs", "budget"), [(1, 0), (2, 20_000), (2, HELD)])
def test_articles_read_back_give_the_outputs_of_a_run_that_keeps_them(
    inputs: list[str], jobs: int, budget: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = DedupConfig(ingest=CONFIG.ingest, jobs=jobs)
    kept = dedup(inputs, config, keep_articles=True)
    assert any(a.dropped for a in kept.articles)  # stripped of the outlets' lines
    write_kept_jsonl(kept, tmp_path / "held.jsonl")
    write_review(kept, tmp_path / "held.html")
    spill = tmp_path / "spill"
    spill.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spill))
    with dedup_articles(inputs, config, spill_bytes=budget) as (result, articles):
        assert list(spill.rglob("articles-*.bin"))
        assert _rows(result) == _rows(kept)
        assert result.articles == ()
        assert list(articles) == [a.id for a in kept.articles]
        assert [articles[i] for i in articles] == list(kept.articles)
        assert kept.articles[-1].id in articles
        assert "not an id" not in articles
        with pytest.raises(KeyError):
            articles["not an id"]
        write_kept_jsonl(result, tmp_path / "spilled.jsonl", articles=articles)
        write_review(result, tmp_path / "spilled.html", articles=articles)
    assert list(spill.iterdir()) == []  # the articles are gone with the block
    held_lines = (tmp_path / "held.jsonl").read_bytes()
    assert held_lines.count(b"\n") == sum(d.status == "kept" for d in kept.decisions)
    assert (tmp_path / "spilled.jsonl").read_bytes() == held_lines
    pages = [(tmp_path / f"{n}.html").read_text("utf-8") for n in ("held", "spilled")]
    assert len({re.sub(r"time [0-9.]+s", "time", page) for page in pages}) == 1  # timings aside


def test_a_negative_budget_is_refused(inputs: list[str]) -> None:
    with pytest.raises(ValueError, match="spill_bytes"):
        dedup(inputs, CONFIG, spill_bytes=-1)


# Paragraphs with what a naive format would split on or fail to write back.
_piece = st.text(
    alphabet=st.one_of(
        st.sampled_from(["\n", "\x00", "\ud800", "\udfff", "é", "😀", " ", "a", "b"]),
        st.characters(codec="utf-8"),
    ),
    max_size=12,
)


def _article(title: str | None, paragraphs: list[str]) -> Article:
    return Article(
        id="x",
        path="x",
        format="text",
        title=title,
        paragraphs=tuple(paragraphs),
        decoding=Decoding(encoding="utf-8", confidence=1.0, method="bom"),
    )


@settings(max_examples=60, deadline=None)
@given(
    docs=st.lists(
        st.tuples(st.one_of(st.none(), st.just(""), _piece), st.lists(_piece, max_size=5)),
        max_size=8,
    ),
    split=st.integers(min_value=0, max_value=8),
    drop=st.integers(min_value=0, max_value=255),
    window=st.tuples(st.integers(0, 8), st.integers(0, 8)),
)
def test_spill_file_rebuilds_the_stripped_texts(
    docs: list[tuple[str | None, list[str]]],
    split: int,
    drop: int,
    window: tuple[int, int],
) -> None:
    articles = [_article(t, p) for t, p in docs]
    flat, lengths = _bp.key_paragraph_groups([a.paragraphs for a in articles])
    keys = flat[0]
    # Some of the keys present are boilerplate, chosen by the bits of ``drop``.
    present = np.unique(keys)
    boilerplate = present[[bool(drop >> (i % 8) & 1) for i in range(present.size)]]
    lo, hi = sorted(min(w, len(articles)) for w in window)
    at = min(split, len(articles))
    with tempfile.TemporaryDirectory() as folder:
        spill = SpillFile(folder)
        # Added in two calls, as a worker adds its units.
        cut = int(lengths[:at].sum())
        spill.add(articles[:at], np.ascontiguousarray(keys[:cut]))
        spill.add(articles[at:], np.ascontiguousarray(keys[cut:]))
        assert len(spill) == len(articles)
        texts, got_keys, counts = spill.stripped_texts(lo, hi, boilerplate)
        spill.close()
        assert list(Path(folder).iterdir())  # the files are the caller's to remove
    first = int(lengths[:lo].sum())
    want_keys = keys[first : first + int(lengths[lo:hi].sum())]
    assert texts == _bp.stripped_texts(articles[lo:hi], want_keys, lengths[lo:hi], boilerplate)
    assert got_keys.tolist() == want_keys.tolist()
    assert counts.tolist() == lengths[lo:hi].tolist()


def test_spill_file_refuses_a_range_it_does_not_hold(tmp_path: Path) -> None:
    spill = SpillFile(str(tmp_path))
    spill.add([_article("t", ["a b"])], np.zeros(1, dtype=np.int64))
    with pytest.raises(IndexError):
        spill.read(0, 2)
    with pytest.raises(ValueError, match="keys"):
        spill.add([_article("t", ["a b"])], np.zeros(2, dtype=np.int64))
    spill.close()


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_interrupted_run_leaves_no_spill_behind(
    inputs: list[str], jobs: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    written: list[Path] = []

    def stop(stage: str) -> None:
        written.extend(tmp_path.rglob("texts-*.bin"))
        raise KeyboardInterrupt

    config = DedupConfig(ingest=CONFIG.ingest, jobs=jobs)
    with pytest.raises(KeyboardInterrupt):
        dedup(inputs, config, spill_bytes=0, on_stage=stop)
    assert written
    assert list(tmp_path.iterdir()) == []


def test_keys_gathered_in_small_blocks_give_the_same_run(
    inputs: list[str], held: DedupResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The main process puts the keys in id order a block of articles at a time.
    monkeypatch.setattr(pipeline, "_GATHER_ROWS", 3)
    assert _rows(dedup(inputs, CONFIG, spill_bytes=0)) == _rows(held)


_LINES = ["Subscribe to the Ledger today!", "Ledger. All rights reserved.", "Share this story"]


@settings(max_examples=20, deadline=None)
@given(
    picks=st.lists(
        st.tuples(st.integers(0, 5), st.integers(2, 6), st.sets(st.integers(0, 2)), st.booleans()),
        min_size=2,
        max_size=24,
    ),
    budget=st.sampled_from([0, 1, 3_000, HELD]),
    jobs=st.sampled_from([1, 2]),
)
def test_any_budget_gives_the_held_run(
    picks: list[tuple[int, int, set[int], bool]], budget: int, jobs: int
) -> None:
    # Copies of a few stories, cut short, with or without an outlet's lines around them.
    articles = []
    for n, (seed, cut, lines, upper) in enumerate(picks):
        title, paragraphs = story(seed)
        around = [_LINES[i] for i in sorted(lines)]
        articles.append(
            attrs.evolve(
                _article(title.upper() if upper else title, around + paragraphs[:cut]),
                id=f"a{n:02d}",
                path=f"a{n:02d}.txt",
            )
        )
    config = DedupConfig(jobs=jobs)
    got = dedup(articles, config, spill_bytes=budget)
    assert _rows(got) == _rows(dedup(articles, spill_bytes=HELD))


def test_spill_file_appends_after_a_read(tmp_path: Path) -> None:
    spill = SpillFile(str(tmp_path))
    first, second = _article("One", ["a b", "c d"]), _article(None, ["e f"])
    spill.add([first], np.array([1, 2], dtype=np.int64))
    assert spill.stripped_texts(0, 1, np.empty(0, np.int64))[0] == [first.text]
    spill.add([second], np.array([3], dtype=np.int64))
    texts, keys, counts = spill.stripped_texts(0, 2, np.array([2], dtype=np.int64))
    assert texts == ["One\n\na b", "e f"]
    assert keys.tolist() == [1, 2, 3]
    assert counts.tolist() == [2, 1]
    spill.close()
