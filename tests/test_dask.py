"""newsingest.dask on a real two-process LocalCluster equals the local pipeline."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.test_jobs import REJECTED, build_corpus

from newsingest.config import DedupConfig
from newsingest.pipeline import dedup

dask = pytest.importorskip("dask")
db = pytest.importorskip("dask.bag")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from newsingest.dask import DECISION_COLUMNS, dedup_dask, to_decisions  # noqa: E402


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    root = tmp_path_factory.mktemp("dask")
    build_corpus(root, stories=18, variants=104)
    return sorted(str(p) for p in root.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


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
    rejected = {d.id.rsplit("/", 1)[-1] for d in got if d.status == "rejected"}
    assert rejected == {r.rsplit("/", 1)[-1] for r in REJECTED}
    assert max(len(c.members) for c in local.clusters) > 100


def test_dataframe_of_paths_and_no_client_scheduler(files: list[str]) -> None:
    # Without an active client dask's local scheduler runs it: same decisions.
    some = files[::3]
    frame = dd.from_pandas(__import__("pandas").DataFrame({"path": some}), npartitions=3)
    with dask.config.set({"scheduler": "sync", "dataframe.shuffle.method": "tasks"}):
        got = to_decisions(dedup_dask(frame, DedupConfig()).compute())
    assert got == dedup(some, DedupConfig()).decisions
