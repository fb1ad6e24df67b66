"""One corpus, every backend, one answer: batch = --jobs = the index (at once or in parts) = Dask.

Each backend decides with the linking core (:mod:`newsingest.matching.link`); this
suite checks that what reaches the user — decisions and clusters with their ``why`` —
is the same whichever way the corpus went through.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from newsingest.config import DedupConfig, IngestConfig, ReadConfig
from newsingest.pipeline import dedup
from newsingest.records import Cluster, Decision, DedupResult
from newsingest.store import Index
from tests.factories import REJECTED, build_corpus
from tests.store.helpers import assert_same_but_stored_ties, content_terms, kept_ids

# Every argument's folder in the ids, as an index needs: the same ids for every backend.
CONFIG = DedupConfig(ingest=IngestConfig(read=ReadConfig(prefix_ids=True)))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    root = tmp_path_factory.mktemp("equivalence")
    build_corpus(root, stories=18, variants=104)
    return sorted(str(p) for p in root.iterdir())


@pytest.fixture(scope="module")
def batch(inputs: list[str]) -> DedupResult:
    return dedup(inputs, CONFIG)


def cluster_rows(clusters: tuple[Cluster, ...] | list[Cluster]) -> list[tuple[object, ...]]:
    return [(c.id, c.canonical, c.members, c.why) for c in clusters]


def test_the_corpus_exercises_every_rule(batch: DedupResult) -> None:
    statuses = {d.status for d in batch.decisions}
    assert statuses == {"kept", "duplicate", "rejected"}
    assert max(len(c.members) for c in batch.clusters) > 100  # a bucket over the LSH cap
    whys = {c.why.split(" (")[0].split(" 2")[0] for c in batch.clusters}
    assert {"earliest date", "smallest id"} <= whys, whys
    rejected = {d.id.rsplit("/", 1)[-1] for d in batch.decisions if d.status == "rejected"}
    assert rejected == {r.rsplit("/", 1)[-1] for r in REJECTED}


def test_jobs_equal_batch(inputs: list[str], batch: DedupResult) -> None:
    workers = dedup(inputs, DedupConfig(ingest=CONFIG.ingest, jobs=2))
    assert workers.decisions == batch.decisions
    assert cluster_rows(workers.clusters) == cluster_rows(batch.clusters)


def _stored(index: Index) -> tuple[tuple[Decision, ...], list[tuple[object, ...]]]:
    return tuple(index.export_clusters()), cluster_rows(list(index.iter_clusters()))


@pytest.mark.parametrize("parts", [1, 2, 3])
def test_index_in_parts_equals_batch(
    inputs: list[str], batch: DedupResult, parts: int, tmp_path: Path
) -> None:
    kept = tuple(d for d in batch.decisions if d.status != "rejected")
    with Index.open(tmp_path / "news.db", CONFIG) as index:
        published: set[str] = set()
        for k in range(parts):
            published = kept_ids(index)
            index.add(inputs[k::parts])
        decisions, clusters = _stored(index)
        found = list(index.iter_clusters())
    if parts == 1:
        assert decisions == kept
        assert clusters == cluster_rows(batch.clusters)
    # In parts, a copy published earlier keeps its place against later ones that tie with it.
    assert_same_but_stored_ties(
        (decisions, found),
        (kept, batch.clusters),
        terms=content_terms(tmp_path / "news.db"),
        published=published,
    )


def test_dask_equals_batch(inputs: list[str], batch: DedupResult) -> None:
    dask = pytest.importorskip("dask")
    db = pytest.importorskip("dask.bag")
    from newsingest.dask import dedup_dask, to_clusters, to_decisions  # noqa: PLC0415

    with dask.config.set(scheduler="synchronous"):
        frame = dedup_dask(db.from_sequence(inputs, npartitions=3), CONFIG).compute()
    got = to_decisions(frame)
    assert [(d.id, d.status, d.cluster, d.duplicate_of, d.reason) for d in got] == [
        (d.id, d.status, d.cluster, d.duplicate_of, d.reason) for d in batch.decisions
    ]
    for mine, theirs in zip(got, batch.decisions, strict=True):
        assert mine.similarity == pytest.approx(theirs.similarity, abs=1e-12)
        assert mine.containment == pytest.approx(theirs.containment, abs=1e-12)
    assert cluster_rows(to_clusters(frame)) == cluster_rows(batch.clusters)
