"""``--jobs``: the result is the same for any number of worker processes, and the same
as composing the single-process stages by hand."""

from __future__ import annotations

import gzip
import io
import json
import os
import pickle
import random
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import attrs
import numpy as np
import pytest

from newsingest import pipeline
from newsingest._parallel import chunked, imap_bounded, open_crew, resolve_jobs, usable_cores
from newsingest.config import DedupConfig, FingerprintConfig, IngestConfig, ReadConfig
from newsingest.ingest import run
from newsingest.ingest.read import iter_documents
from newsingest.ingest.run import _read_unit, iter_articles, iter_units
from newsingest.matching.boilerplate import learn_boilerplate
from newsingest.matching.fingerprint import fingerprint_batch
from newsingest.matching.link import count_repairs, day_number, link_documents, resolve_clusters
from newsingest.pipeline import (
    dedup,
    learn_boilerplate_keys,
    paragraph_keys,
    strip_corpus_boilerplate,
)
from newsingest.records import Article, DedupResult, RawDocument, Rejection
from tests.factories import (
    REJECTED,
    article_text,
    build_corpus,
    story,
    write,
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("jobs")
    build_corpus(root)
    return root


@pytest.fixture(scope="module")
def single(corpus: Path) -> DedupResult:
    return dedup([corpus], DedupConfig(jobs=1), keep_articles=True)


def reference(root: Path, config: DedupConfig) -> DedupResult:
    """The stages composed by hand, one process, from the public functions."""
    items = sorted(iter_articles([root], config.ingest), key=lambda x: x.id)
    articles = [x for x in items if isinstance(x, Article)]
    rejections = [x for x in items if isinstance(x, Rejection)]
    articles = strip_corpus_boilerplate(articles, config)
    sigs, sizes, digests = fingerprint_batch([a.text for a in articles], config.fingerprint)
    links = link_documents(sigs, sizes, digests, config)

    def ranks(members: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        chosen = [articles[i] for i in members.tolist()]
        return (
            np.array([day_number(a.date) for a in chosen], dtype=np.int64),
            np.array([count_repairs(a.fixes) for a in chosen], dtype=np.int64),
            np.array([len(a.text) for a in chosen], dtype=np.int64),
        )

    decisions, clusters = resolve_clusters(
        [a.id for a in articles],
        [a.path for a in articles],
        rejections,
        sigs,
        sizes,
        edges=links.edges,
        ranks=ranks,
    )
    return DedupResult(
        decisions=decisions,
        clusters=clusters,
        rejections=tuple(rejections),
        articles=tuple(articles),
    )


def test_corpus_exercises_every_path(single: DedupResult) -> None:
    assert {r.id for r in single.rejections} == REJECTED
    assert any(a.dropped for a in single.articles), "no boilerplate was stripped"
    assert max(len(c.members) for c in single.clusters) > 100
    assert single.params is not None
    assert single.params.exact_duplicates > 0
    statuses = {d.status for d in single.decisions}
    assert statuses == {"kept", "duplicate", "rejected"}


def test_single_process_equals_the_stages_composed(corpus: Path, single: DedupResult) -> None:
    ref = reference(corpus, DedupConfig())
    assert single == ref
    assert single.articles == ref.articles


@pytest.mark.parametrize("jobs", [2, 3])
def test_any_number_of_jobs_gives_the_same_result(
    corpus: Path, single: DedupResult, jobs: int
) -> None:
    result = dedup([corpus], DedupConfig(jobs=jobs), keep_articles=True)
    assert result == single
    assert result.decisions == single.decisions
    assert result.articles == single.articles


def test_article_inputs_in_any_order_with_workers(single: DedupResult) -> None:
    articles = list(single.articles)  # already stripped: stripping again must change nothing
    random.Random(3).shuffle(articles)
    result = dedup(articles, DedupConfig(jobs=2))
    kept = [d for d in single.decisions if d.status != "rejected"]
    assert result.decisions == tuple(kept)
    assert result.clusters == single.clusters


def test_keys_learn_the_same_model_as_articles(corpus: Path) -> None:
    articles = [x for x in iter_articles([corpus]) if isinstance(x, Article)]
    config = DedupConfig().boilerplate
    from_keys = learn_boilerplate_keys([paragraph_keys(a) for a in articles], config)
    direct = learn_boilerplate(articles, config)
    assert from_keys.boilerplate == direct.boilerplate
    assert dict(from_keys.df) == dict(direct.df)
    assert from_keys.documents == direct.documents
    assert direct.boilerplate  # the corpus has outlet boilerplate to find


def test_boilerplate_disabled_is_the_same_for_any_jobs(corpus: Path) -> None:
    from newsingest.config import BoilerplateConfig  # noqa: PLC0415

    config = DedupConfig(boilerplate=BoilerplateConfig(enabled=False))
    one = dedup([corpus], config)
    two = dedup([corpus], DedupConfig(jobs=2, boilerplate=config.boilerplate))
    assert one == two
    assert one == reference(corpus, config)


def test_imap_bounded_keeps_order_and_zero_means_all_cores() -> None:
    chunks = list(chunked(range(1000), 7))
    assert list(imap_bounded(sum, chunks, jobs=2, window=3)) == [sum(c) for c in chunks]
    assert resolve_jobs(0) >= 1
    assert resolve_jobs(5) == min(5, usable_cores())


def test_file_arguments_are_read_by_workers_with_the_same_ids(corpus: Path) -> None:
    # Several file arguments: each worker reads its own files (JSON Lines whole);
    # the ids, the rejections and the decisions are those of one process.
    files = sorted(str(p) for p in corpus.rglob("*") if p.is_file())
    one = dedup(files, DedupConfig(jobs=1), keep_articles=True)
    two = dedup(files, DedupConfig(jobs=2), keep_articles=True)
    assert two == one
    assert two.articles == one.articles
    assert f"{corpus}/feed.jsonl#4" in {r.id for r in two.rejections}
    feed = [f for f in files if f.endswith(".jsonl")]  # one argument: ids without the folder
    assert dedup(feed, DedupConfig(jobs=2)) == dedup(feed, DedupConfig(jobs=1))


def test_spawned_workers_give_the_same_result(
    corpus: Path, single: DedupResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Where forking is unsafe the crew's workers are spawned: they keep their articles the same.
    import multiprocessing  # noqa: PLC0415

    monkeypatch.setattr(pipeline, "_PASS2_BATCH", 8)
    monkeypatch.setattr(pipeline, "pool_context", lambda: multiprocessing.get_context("spawn"))
    result = dedup([corpus], DedupConfig(jobs=2), keep_articles=True)
    assert result == single
    assert result.articles == single.articles


@pytest.mark.parametrize("jobs", [1, 2])
def test_nothing_but_rejections(tmp_path: Path, jobs: int) -> None:
    write(tmp_path / "empty.txt", b"")
    write(tmp_path / "notes.pdf", b"%PDF-1.4")
    result = dedup([tmp_path], DedupConfig(jobs=jobs))
    assert [d.status for d in result.decisions] == ["rejected", "rejected"]
    assert result.clusters == ()


def build_folders(root: Path, outside: Path) -> list[str]:
    """Two folder arguments: nested folders, JSON Lines (plain and gzipped), a gzipped
    text, files rejected by the walk and by later stages, symlinks followed and not."""
    for seed in range(12):
        title, paras = story(300 + seed)
        write(
            root / "a" / f"d{seed % 3}" / f"n{seed % 2}" / f"s{seed}.txt",
            article_text(title, paras),
        )
        if seed % 3 == 0:
            write(root / "b" / f"copy{seed}.txt", article_text(title.upper(), paras[:4]))
    rows = [json.dumps({"title": t, "text": "\n\n".join(p)}) for t, p in (story(300), story(400))]
    write(root / "a" / "d1" / "feed.jsonl", "\n".join([*rows, "{not json"]) + "\n")
    packed = [json.dumps({"title": t, "text": "\n\n".join(p)}) for t, p in (story(401), story(301))]
    write(root / "b" / "more" / "packed.jsonl.gz", gzip.compress("\n".join(packed).encode()))
    title, paras = story(402)
    write(root / "b" / "more" / "zipped.txt.gz", gzip.compress(article_text(title, paras).encode()))
    write(root / "b" / "empty.txt", b"")
    write(root / "b" / "notes.pdf", b"%PDF-1.4")
    write(outside / "secret.txt", article_text(*story(403)))
    (root / "a" / "d2" / "link.txt").symlink_to(root / "a" / "d0" / "n0" / "s0.txt")
    (root / "b" / "away.txt").symlink_to(outside / "secret.txt")
    return [str(root / "a"), str(root / "b")]


@pytest.mark.parametrize("jobs", [2, 3])
def test_folders_are_read_by_workers_with_the_reader_ids_and_order(
    tmp_path: Path, jobs: int
) -> None:
    paths = build_folders(tmp_path / "in", tmp_path / "outside")
    reader = list(iter_documents(paths))
    one = list(iter_articles(paths, jobs=1))
    many = list(iter_articles(paths, jobs=jobs))
    assert many == one
    assert [x.id for x in many] == [x.id for x in reader]
    reader_rejected = [x for x in reader if isinstance(x, Rejection)]
    assert [x for x in many if isinstance(x, Rejection) and x.stage == "read"] == reader_rejected
    assert {r.id.rpartition("/")[2] for r in reader_rejected} == {
        "away.txt",
        "notes.pdf",
        "empty.txt",
    }
    single = dedup(paths, DedupConfig(jobs=1), keep_articles=True)
    result = dedup(paths, DedupConfig(jobs=jobs), keep_articles=True)
    assert result == single
    assert result.articles == single.articles
    assert any(d.status == "duplicate" for d in result.decisions)
    assert f"{paths[0]}/d1/feed.jsonl#3" in {r.id for r in result.rejections}


def test_workers_get_entries_and_large_containers_are_split(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = build_folders(tmp_path / "in", tmp_path / "outside")
    config = IngestConfig()
    units = list(iter_units(paths, config, jobs=2))
    flat = [x for unit in units for x in unit]
    assert not any(isinstance(x, RawDocument) for x in flat), "the main process read a file"
    assert all(len(unit) <= run.UNIT_DOCUMENTS for unit in units)
    expected = list(iter_documents(paths))
    assert list(_read_unit(flat, config)) == expected
    # A container above the cap is read here and spread over units of UNIT_DOCUMENTS documents.
    monkeypatch.setattr(run, "_WORKER_FILE_BYTES", 100)
    monkeypatch.setattr(run, "UNIT_DOCUMENTS", 1)
    units = list(iter_units(paths, config, jobs=2))
    feed = [x for unit in units for x in unit if "feed.jsonl" in x.id]
    assert feed
    assert all(isinstance(x, RawDocument | Rejection) for x in feed)
    assert list(_read_unit([x for u in units for x in u], config)) == expected


@pytest.mark.parametrize("jobs", [1, 2])
def test_prefix_ids_is_honoured_for_any_jobs(tmp_path: Path, jobs: int) -> None:
    (folder, _) = build_folders(tmp_path / "in", tmp_path / "outside")
    read = ReadConfig(prefix_ids=True)
    config = DedupConfig(jobs=jobs, ingest=IngestConfig(read=read))
    result = dedup([folder], config)
    assert sorted(d.id for d in result.decisions) == sorted(
        x.id for x in iter_documents([folder], read)
    )
    assert all(d.id.startswith(f"{folder}/") for d in result.decisions)


def _keep_and_count(store: dict[str, object], item: int) -> int:
    kept = store.setdefault("kept", [])
    assert isinstance(kept, list)
    kept.append(item)
    if item < 0:
        raise ValueError(f"bad item {item}")
    return item * 2


def _what_was_kept(store: dict[str, object], scale: int) -> list[int]:
    kept = store.get("kept", [])
    assert isinstance(kept, list)
    return [scale * k for k in kept]


def _die(store: dict[str, object], item: int) -> int:
    os._exit(3)


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_crew_results_in_order_and_each_worker_keeps_its_own(jobs: int) -> None:
    with open_crew(jobs) as crew:
        got = list(crew.imap(_keep_and_count, range(50), depth=2, window=5))
        assert [r for _, r in got] == [2 * i for i in range(50)]
        assert crew.size == jobs
        kept = list(crew.each(_what_was_kept, [[10, 100]] * jobs))
    assert sorted((w, scale) for w, scale, _ in kept) == [
        (w, scale) for w in range(jobs) for scale in (10, 100)
    ]
    # Each worker kept exactly the items it was given, in the order it got them.
    for w, scale, values in kept:
        assert values == [scale * i for i, (worker, _) in enumerate(got) if worker == w]


@pytest.mark.parametrize("jobs", [1, 2])
def test_crew_raises_a_task_error_and_a_dead_worker(jobs: int) -> None:
    with pytest.raises(ValueError, match="bad item -1"), open_crew(jobs) as crew:
        list(crew.imap(_keep_and_count, [1, 2, -1, 3]))
    if jobs > 1:
        with pytest.raises(BrokenProcessPool), open_crew(jobs) as crew:
            list(crew.imap(_die, [1, 2, 3]))


def _pickled_articles(value: object) -> int:
    """How many articles pickling ``value`` (as a worker's reply is) would send."""
    count = 0

    class Counting(pickle.Pickler):
        def reducer_override(self, obj: object) -> object:
            nonlocal count
            count += isinstance(obj, Article)
            return NotImplemented

    Counting(io.BytesIO()).dump(value)
    return count


def test_articles_stay_in_the_workers_unless_asked_for(corpus: Path) -> None:
    # What the crew's workers reply in pass 1 and pass 2, run here on one unit.
    config = IngestConfig()
    unit = list(iter_documents([corpus]))
    store: dict[str, object] = {}
    keyed = pipeline._ingest_keyed_unit(store, unit, config=config, send_items=False)
    assert _pickled_articles(keyed) == 0
    watched = pipeline._ingest_keyed_unit({}, unit, config=config, send_items=True)
    assert _pickled_articles(watched) == len(keyed.days) > 0  # for on_item
    boilerplate = np.unique(np.concatenate(store["flat"], axis=1)[0])  # type: ignore[call-overload]
    task = pipeline._Strip(
        boilerplate=boilerplate,
        fingerprint=FingerprintConfig(),
        want_articles=False,
        lo=0,
        hi=len(keyed.days),
    )
    printed = pipeline._strip_fingerprint(store, task)
    assert printed.sizes.size == len(keyed.days)
    assert _pickled_articles(printed) == 0
    kept = pipeline._strip_fingerprint(store, attrs.evolve(task, want_articles=True))
    assert _pickled_articles(kept) == len(keyed.days)


def test_progress_sees_every_item_in_the_same_order_for_any_jobs(corpus: Path) -> None:
    seen: dict[int, list[Article | Rejection]] = {1: [], 2: []}
    results = {
        jobs: dedup([corpus], DedupConfig(jobs=jobs), on_item=seen[jobs].append) for jobs in seen
    }
    assert results[1] == results[2]
    assert seen[1] == seen[2]
    assert len(seen[1]) == len(results[1].decisions)
    assert any(isinstance(x, Article) for x in seen[2])


def test_a_file_given_twice_is_one_document_for_any_jobs(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = sorted(str(p) for p in corpus.rglob("*") if p.is_file())
    twice = files + files[::3]
    one = dedup(files, DedupConfig(jobs=1), keep_articles=True)
    monkeypatch.setattr(pipeline, "_PASS2_BATCH", 7)  # several pass-2 ranges per worker
    for jobs in (1, 2, 3):
        result = dedup(twice, DedupConfig(jobs=jobs), keep_articles=True)
        assert result == one
        assert result.articles == one.articles


def test_a_crew_left_with_unread_replies_still_closes() -> None:
    with open_crew(2) as crew:
        stream = crew.imap(_keep_and_count, range(1000))
        next(stream)
        stream.close()
        with pytest.raises(RuntimeError, match="unfinished tasks"):
            list(crew.each(_what_was_kept, [[1], [1]]))


@pytest.mark.parametrize("jobs", [1, 2])
def test_on_progress_counts_every_document_and_rejection(corpus: Path, jobs: int) -> None:
    counted = [0, 0]

    def count(documents: int, rejected: int) -> None:
        counted[0] += documents
        counted[1] += rejected

    result = dedup([corpus], DedupConfig(jobs=jobs), on_progress=count)
    assert counted == [len(result.decisions), len(result.rejections)]
    assert result.rejections  # the corpus has bad files: the rejection count is exercised
