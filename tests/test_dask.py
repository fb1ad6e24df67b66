"""newsingest.dask on a real two-process LocalCluster equals the local pipeline.

The corpus is written, then checked, before any worker exists; the cluster has
its own scratch folder (not the ``/tmp/dask-scratch-space`` every local
cluster on the machine shares), and the fixture checks that no worker process
outlives the module. A failure shows the rejection reasons.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsingest.config import DedupConfig
from newsingest.pipeline import dedup
from tests.test_jobs import REJECTED, build_corpus

dask = pytest.importorskip("dask")
db = pytest.importorskip("dask.bag")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from newsingest.dask import (  # noqa: E402
    DECISION_COLUMNS,
    dedup_dask,
    to_clusters,
    to_decisions,
)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    root = tmp_path_factory.mktemp("dask")
    build_corpus(root, stories=18, variants=104)
    found = sorted(str(p) for p in root.rglob("*") if p.is_file())
    # Every file complete before a worker reads it: 104 variants, none empty but one.
    wire = [f for f in found if "/wire/v" in f]
    assert len(wire) == 104
    assert all(Path(f).stat().st_size > 0 for f in wire)
    return found


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    psutil = pytest.importorskip("psutil")
    me = psutil.Process()

    def workers() -> set[int]:
        pids = set()
        for p in me.children(recursive=True):
            try:
                # multiprocessing's resource tracker lives as long as this process, by design.
                if not any("resource_tracker" in part for part in p.cmdline()):
                    pids.add(p.pid)
            except psutil.Error:  # gone meanwhile
                continue
        return pids

    before = workers()
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            local_directory=str(tmp_path_factory.mktemp("dask-scratch")),
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c
    deadline = time.monotonic() + 10
    while (left := workers() - before) and (time.monotonic() < deadline):
        time.sleep(0.1)
    assert not left, f"worker processes outlived the cluster: {sorted(left)}"


def _clusters(decisions: tuple[object, ...]) -> set[tuple[str, tuple[str, ...]]]:
    groups: dict[str, list[str]] = {}
    for d in decisions:
        if d.cluster is not None:  # type: ignore[attr-defined]
            groups.setdefault(d.cluster, []).append(d.id)  # type: ignore[attr-defined]
    return {(k, tuple(sorted(v))) for k, v in groups.items() if len(v) > 1}


def test_local_cluster_equals_local_pipeline(files: list[str], client: object) -> None:
    local = dedup(files, DedupConfig())
    bag = db.from_sequence(files, npartitions=4)
    frame = dedup_dask(bag, DedupConfig()).compute()
    assert tuple(frame.columns) == DECISION_COLUMNS
    assert to_clusters(frame) == local.clusters  # why included
    got = to_decisions(frame)
    assert len(got) == len(local.decisions)
    for mine, theirs in zip(got, local.decisions, strict=True):
        assert (mine.id, mine.status, mine.cluster, mine.duplicate_of) == (
            theirs.id,
            theirs.status,
            theirs.cluster,
            theirs.duplicate_of,
        )
        assert mine.path == theirs.path
        assert mine.reason == theirs.reason
        for a, b in ((mine.similarity, theirs.similarity), (mine.containment, theirs.containment)):
            assert (a is None) == (b is None)
            if a is not None and b is not None:
                assert a == pytest.approx(b, abs=1e-12)
    assert _clusters(got) == {(c.id, c.members) for c in local.clusters}
    rejected = {d.id.rsplit("/", 1)[-1]: d.reason for d in got if d.status == "rejected"}
    assert set(rejected) == {r.rsplit("/", 1)[-1] for r in REJECTED}, rejected
    assert max(len(c.members) for c in local.clusters) > 100


def test_dataframe_of_paths_and_no_client_scheduler(files: list[str]) -> None:
    # Without an active client dask's local scheduler runs it: same decisions.
    some = files[::3]
    frame = dd.from_pandas(__import__("pandas").DataFrame({"path": some}), npartitions=3)
    with dask.config.set({"scheduler": "sync", "dataframe.shuffle.method": "tasks"}):
        computed = dedup_dask(frame, DedupConfig()).compute()
    local = dedup(some, DedupConfig())
    assert to_decisions(computed) == local.decisions
    assert to_clusters(computed) == local.clusters


def test_more_partitions_than_groups(files: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # Seven partitions in three groups: a group fingerprints several partitions,
    # and node ids still find their group.
    from newsingest import dask as nd  # noqa: PLC0415

    monkeypatch.setattr(nd, "MAX_GROUPS", 3)
    bag = db.from_sequence(files, npartitions=7)
    with dask.config.set({"scheduler": "sync"}):
        computed = dedup_dask(bag, DedupConfig()).compute()
    local = dedup(files, DedupConfig())
    assert to_decisions(computed) == local.decisions
    assert to_clusters(computed) == local.clusters


def test_layout_keeps_each_group_on_one_worker() -> None:
    from newsingest.dask import _layout  # noqa: PLC0415

    holders = ["w1", "w2", "w1", "w1", "w2", "w1", "w1", "w2"]
    layout = _layout(holders, threads=2)
    assert sorted(p for group in layout for p in group) == list(range(len(holders)))
    assert len(layout) == 2
    for group in layout:
        assert len({holders[p] for p in group}) == 1
    # Without a distributed client nothing is known: one group per thread, any partitions.
    unknown = _layout([None] * 7, threads=3)
    assert len(unknown) == 3
    assert sorted(p for group in unknown for p in group) == list(range(7))
    assert _layout([], threads=2) == []


def test_partition_reports_its_articles_size(files: list[str]) -> None:
    # Dask weighs a partition before moving it: the articles must count, not only the list.
    import sys  # noqa: PLC0415

    from newsingest.dask._partition import ingest_partition  # noqa: PLC0415

    part = ingest_partition(files[:20], DedupConfig().ingest, True)
    text = sum(len(a.text) for a in part.articles)
    assert text > 0
    assert sys.getsizeof(part) >= text


def test_empty_and_all_rejected_inputs(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.txt")
    with dask.config.set({"scheduler": "sync"}):
        empty = dedup_dask(db.from_sequence([], npartitions=1), DedupConfig()).compute()
        rejected = to_decisions(
            dedup_dask(db.from_sequence([missing], npartitions=1), DedupConfig()).compute()
        )
    assert len(empty) == 0
    assert to_clusters(empty) == ()
    assert rejected == dedup([missing], DedupConfig()).decisions


def test_many_groups_reduce_in_a_tree(files: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # Seven groups (one per partition, as if seven threads) and reductions of two
    # inputs per task: the statistics and the forest go through several levels.
    import os  # noqa: PLC0415

    from newsingest import dask as nd  # noqa: PLC0415

    monkeypatch.setattr(os, "cpu_count", lambda: 7)
    monkeypatch.setattr(nd, "_FAN", 2)
    bag = db.from_sequence(files, npartitions=7)
    with dask.config.set({"scheduler": "sync"}):
        computed = dedup_dask(bag, DedupConfig()).compute()
    local = dedup(files, DedupConfig())
    assert to_decisions(computed) == local.decisions
    assert to_clusters(computed) == local.clusters


@pytest.mark.parametrize("npartitions", [1, 2, 5])
def test_clusters_with_why_equal_the_batch_run(files: list[str], npartitions: int) -> None:
    # Every partitioning gives the batch run's clusters, why included; the why
    # sits on the canonical copy's row only.
    local = dedup(files, DedupConfig())
    bag = db.from_sequence(files, npartitions=npartitions)
    with dask.config.set({"scheduler": "sync"}):
        frame = dedup_dask(bag, DedupConfig()).compute()
    assert to_clusters(frame) == local.clusters
    assert to_decisions(frame) == local.decisions
    assert {c.why for c in local.clusters} - {"smallest id"}  # not only the last tie-break
    with_why = frame[frame["why"].notna()]
    assert sorted(with_why["id"]) == sorted(c.canonical for c in local.clusters)
    assert (with_why["id"] == with_why["cluster"]).all()


def test_to_clusters_of_a_frame_without_why_or_with_rows_missing(files: list[str]) -> None:
    bag = db.from_sequence(files[:40], npartitions=2)
    with dask.config.set({"scheduler": "sync"}):
        frame = dedup_dask(bag, DedupConfig()).compute()
    with pytest.raises(ValueError, match="no 'why' column"):
        to_clusters(frame.drop(columns="why"))
    # Decisions read back without the why column too (a frame written before it existed).
    assert to_decisions(frame.drop(columns="why")) == to_decisions(frame)
    canonical = frame[frame["why"].notna()]["id"].tolist()
    assert canonical, "the corpus slice has a cluster"
    with pytest.raises(ValueError, match="has no row for it"):
        to_clusters(frame[frame["id"] != canonical[0]])
