"""The persistent index: incremental runs equal the batch run, updates are safe, errors clear."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsingest import store
from newsingest.cli import main
from newsingest.config import DedupConfig, FingerprintConfig
from newsingest.errors import FingerprintError
from newsingest.pipeline import dedup
from newsingest.records import Article, Decoding
from newsingest.store import Index, StoreError
from tests._store_worker import PER_BATCH
from tests.factories import article_text, story, write

ROOT = Path(__file__).resolve().parents[2]

OUTLETS = [
    ("Subscribe to the Daily Planet for just one dollar a week!", "Daily Planet, all rights kept."),
    (
        "WIRE SERVICE news as it happens around the clock",
        "Reporting by our desk; editing by staff.",
    ),
    ("Follow the Evening Post on every social network today", "Evening Post, since 1901"),
]
UTF8 = Decoding(encoding="utf-8", method="utf-8", confidence=1.0)


def make_article(
    doc_id: str,
    seed: int,
    *,
    outlet: int | None = None,
    keep: int = 6,
    day: int | None = 3,
) -> Article:
    """A copy of story ``seed``: its first ``keep`` paragraphs, wrapped by an outlet's lines."""
    title, paras = story(seed)
    body = paras[:keep]
    if outlet is not None:
        promo, footer = OUTLETS[outlet]
        body = [promo, *body, footer]
    return Article(
        id=doc_id,
        path=doc_id + ".txt",
        format="text",
        title=title,
        date=dt.date(2024, 3, day) if day else None,
        paragraphs=tuple(body),
        decoding=UTF8,
    )


doc_spec = st.tuples(
    st.integers(0, 5),  # story
    st.one_of(st.none(), st.integers(0, 2)),  # outlet
    st.integers(2, 6),  # paragraphs kept
    st.one_of(st.none(), st.integers(1, 9)),  # day
    st.integers(0, 2),  # which part (A, B or C) it is added in
)


def build(specs: list[tuple[int, int | None, int, int | None, int]]) -> list[tuple[Article, int]]:
    return [
        (make_article(f"d{i:02d}", s, outlet=o, keep=k, day=d), part)
        for i, (s, o, k, d, part) in enumerate(specs)
    ]


def clusters_of(index: Index) -> set[tuple[str, tuple[str, ...], str]]:
    return {(c.canonical, c.members, c.why) for c in index.iter_clusters()}


def batch_clusters(articles: list[Article]) -> set[tuple[str, tuple[str, ...], str]]:
    return {(c.canonical, c.members, c.why) for c in dedup(articles).clusters}


_SETTINGS = settings(
    max_examples=int(os.environ.get("STORE_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@_SETTINGS
@given(st.lists(doc_spec, min_size=1, max_size=14))
def test_incremental_equals_batch(
    specs: list[tuple[int, int | None, int, int | None, int]],
) -> None:
    docs = build(specs)
    everything = [a for a, _ in docs]
    expected = dedup(everything)
    with tempfile.TemporaryDirectory() as tmp:
        with Index.open(Path(tmp) / "parts.db") as index:
            for part in range(3):
                index.add([a for a, p in docs if p == part])
            assert tuple(index.export_clusters()) == expected.decisions
            assert clusters_of(index) == batch_clusters(everything)
            assert index.check() == "ok"
            before = index.stats()
            again = index.add(everything)
            assert again.params.index.changes == ()
            assert again.params.index.unchanged == len(everything)
            after = index.stats()
            assert {k: v for k, v in after.items() if k != "updated"} == {
                k: v for k, v in before.items() if k != "updated"
            }
            assert again.decisions == expected.decisions
        with Index.open(Path(tmp) / "once.db") as index:
            result = index.add(everything)
            assert result.decisions == expected.decisions
            assert tuple(index.export_clusters()) == expected.decisions


@_SETTINGS
@given(st.lists(doc_spec, min_size=1, max_size=14), st.randoms(use_true_random=False))
def test_remove_equals_batch_without_them(
    specs: list[tuple[int, int | None, int, int | None, int]], rng: random.Random
) -> None:
    everything = [a for a, _ in build(specs)]
    gone = {a.id for a in everything if rng.random() < 0.4}
    rest = [a for a in everything if a.id not in gone]
    with tempfile.TemporaryDirectory() as tmp, Index.open(Path(tmp) / "x.db") as index:
        index.add(everything)
        assert index.remove([*sorted(gone), "not-there"]) == len(gone)
        expected = dedup(rest).decisions if rest else ()
        assert tuple(index.export_clusters()) == expected
        assert clusters_of(index) == (batch_clusters(rest) if rest else set())
        assert index.stats()["documents"] == len(rest)


def test_boilerplate_learned_later_strips_older_documents(tmp_path: Path) -> None:
    # Two outlet articles: the promo is in too few documents to be boilerplate yet.
    first = [make_article(f"old{i}", 10 + i, outlet=0) for i in range(2)]
    later = [make_article(f"new{i}", 20 + i, outlet=0) for i in range(3)]
    with Index.open(tmp_path / "x.db") as index:
        index.add(first)
        assert index.stats()["boilerplate_lines"] == 0
        result = index.add(later)
        assert result.params.index.boilerplate_flips >= 2
        assert result.params.index.refingerprinted == 2
        assert tuple(index.export_clusters()) == dedup(first + later).decisions


def test_new_copy_joins_existing_cluster(tmp_path: Path) -> None:
    with Index.open(tmp_path / "x.db") as index:
        index.add([make_article("a", 1, day=2), make_article("b", 1, keep=5, day=4)])
        result = index.add([make_article("c", 1, keep=4, day=5), make_article("z", 99)])
        rows = {d.id: d for d in result.decisions}
        assert set(rows) == {"c", "z"}
        assert rows["c"].status == "duplicate"
        assert rows["c"].duplicate_of == "a"
        assert rows["z"].status == "kept"
        assert result.params.index.joined_existing == 1
        assert result.params.index.changes == ()
        assert result.params.index.canonical_changes == 0


def test_better_canonical_is_reported(tmp_path: Path) -> None:
    with Index.open(tmp_path / "x.db") as index:
        index.add([make_article("late1", 1, day=5), make_article("late2", 1, keep=5, day=6)])
        result = index.add([make_article("early", 1, keep=5, day=1)])
        assert result.params.index.canonical_changes == 1
        changes = {c.id: c for c in result.params.index.changes}
        assert set(changes) == {"late1", "late2"}
        assert changes["late1"].old_cluster == "late1"
        assert changes["late1"].new_cluster == "early"
        assert changes["late1"].reason == "canonical changed"
        assert [d.status for d in result.decisions] == ["kept"]


def test_remove_canonical_hands_over_and_splits(tmp_path: Path) -> None:
    # b is the bridge: a ~ b and b ~ c, but a and c too different to pair directly.
    title, paras = story(7)
    _, other = story(8)
    a = attrs_article("a", title, paras[:4], day=1)
    b = attrs_article("b", title, paras[:4] + other[:4], day=2)
    c = attrs_article("c", title, other[:4], day=3)
    with Index.open(tmp_path / "x.db") as index:
        index.add([a, b, c, make_article("x", 1, day=4), make_article("y", 1, day=5)])
        before = {d.id: d.cluster for d in index.export_clusters()}
        assert before["x"] == before["y"] == "x"
        assert before["a"] == before["b"] == before["c"] == "a"
        assert index.remove(["x", "b"]) == 2
        after = {d.id: d.cluster for d in index.export_clusters()}
        assert after == {"a": "a", "c": "c", "y": "y"}
        reasons = {ch.id: ch.reason for ch in index.last_changes}
        assert reasons == {"y": "canonical removed", "c": "split"}


def attrs_article(doc_id: str, title: str, paras: list[str], *, day: int) -> Article:
    return Article(
        id=doc_id,
        path=doc_id,
        format="text",
        title=title,
        date=dt.date(2024, 1, day),
        paragraphs=tuple(paras),
        decoding=UTF8,
    )


def test_exact_copies_survive_removal_of_their_representative(tmp_path: Path) -> None:
    same = [make_article(f"e{i}", 3, day=2 + i) for i in range(4)]
    near = make_article("near", 3, keep=5, day=9)
    with Index.open(tmp_path / "x.db") as index:
        index.add(same[:2])
        index.add([*same[2:], near])
        index.remove(["e0"])
        expected = dedup([*same[1:], near]).decisions
        assert tuple(index.export_clusters()) == expected


def test_changed_content_replaces_the_stored_document(tmp_path: Path) -> None:
    with Index.open(tmp_path / "x.db") as index:
        index.add([make_article("a", 1), make_article("b", 2)])
        result = index.add([make_article("b", 1, day=1)])
        assert result.params.index.replaced == 1
        assert {d.id: d.cluster for d in index.export_clusters()} == {"a": "b", "b": "b"}


def test_query_finds_copies_without_changing_anything(tmp_path: Path) -> None:
    with Index.open(tmp_path / "x.db") as index:
        index.add([make_article("a", 1), make_article("b", 2), make_article("c", 1, keep=5)])
        before = index.stats()
        hits = index.query(make_article("q", 1, keep=4))
        assert [h.id for h in hits] == ["c", "a"] or [h.id for h in hits] == ["a", "c"]
        assert all(h.cluster == "a" for h in hits)
        assert all(0.5 <= h.containment <= 1.0 for h in hits)
        assert index.query(make_article("q", 55)) == []
        assert index.stats() == before
        path = write(tmp_path / "q.txt", article_text(*story(2)))
        assert [h.id for h in index.query(path)] == ["b"]


def test_exact_and_near_duplicates_match_batch_with_boilerplate(tmp_path: Path) -> None:
    rng = random.Random(5)
    arts = []
    for i in range(30):
        arts.append(
            make_article(f"x{i:02d}", rng.randrange(8), outlet=rng.choice([None, 0, 1]), day=None)
        )
    with Index.open(tmp_path / "x.db") as index:
        for lo in range(0, 30, 7):
            index.add(arts[lo : lo + 7])
        assert tuple(index.export_clusters()) == dedup(arts).decisions


# ------------------------------------------------------------------ opening


def test_other_fingerprint_parameters_are_refused(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    Index.open(db).close()
    for fp in (
        FingerprintConfig(num_perm=64),
        FingerprintConfig(seed=2),
        FingerprintConfig(shingle_size=4),
    ):
        with pytest.raises(FingerprintError, match="different parameters"):
            Index.open(db, DedupConfig(fingerprint=fp))
    with pytest.raises(StoreError, match="threshold"):
        Index.open(db, DedupConfig(threshold=0.9))
    with Index.open(db, DedupConfig(jobs=2)) as index:  # session-only settings are fine
        assert index.config.jobs == 2
    with Index.open(db) as index:
        assert index.config.threshold == DedupConfig().threshold


def test_stored_config_is_used_when_none_is_given(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    Index.open(db, DedupConfig(threshold=0.7, fingerprint=FingerprintConfig(num_perm=64))).close()
    with Index.open(db) as index:
        assert index.config.threshold == 0.7
        assert index.config.fingerprint.num_perm == 64


@pytest.mark.parametrize("config", [None, DedupConfig()])
def test_an_index_keyed_by_other_code_is_refused(
    tmp_path: Path, config: DedupConfig | None
) -> None:
    # An index whose paragraph keys an older version made (another key scheme) must
    # not take new keys beside them, with its own settings or with given ones.
    db = tmp_path / "x.db"
    Index.open(db).close()
    with sqlite3.connect(db) as conn:
        dedup = json.loads(
            conn.execute("SELECT value FROM meta WHERE name = 'dedup'").fetchone()[0]
        )
        dedup["line_key_scheme"] = "line-key-v1:nfkc-casefold-punct-blake2b64"
        conn.execute("UPDATE meta SET value = ? WHERE name = 'dedup'", (json.dumps(dedup),))
    conn.close()
    with pytest.raises(StoreError, match=r"line_key_scheme.*build a new index"):
        Index.open(db, config)


def test_newer_format_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    Index.open(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE name = 'format_version'")
    conn.close()
    with pytest.raises(StoreError, match="newer newsingest"):
        Index.open(db)


def test_foreign_and_damaged_files_are_refused(tmp_path: Path) -> None:
    text = write(tmp_path / "notes.txt", "just some notes\n" * 100)
    with pytest.raises(StoreError, match=r"notes\.txt.*not an SQLite database"):
        Index.open(text)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t(x)")
    conn.close()
    with pytest.raises(StoreError, match=r"other\.db.*not a newsingest index"):
        Index.open(other)
    db = tmp_path / "x.db"
    with Index.open(db) as index:
        index.add([make_article("a", 1)])
    data = bytearray(db.read_bytes())
    data[100:4096] = bytes(random.Random(0).randrange(256) for _ in range(3996))
    db.write_bytes(bytes(data))
    with pytest.raises(StoreError, match=r"x\.db"), Index.open(db) as index:
        index.stats()
    with pytest.raises(StoreError, match="no index there"):
        Index.open(tmp_path / "missing.db", create=False)


def test_readonly_index_refuses_writes(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    with Index.open(db) as index:
        index.add([make_article("a", 1)])
    with Index.open(db, readonly=True) as index:
        assert index.stats()["documents"] == 1
        with pytest.raises(StoreError, match="read-only"):
            index.add([make_article("b", 2)])
        with pytest.raises(StoreError, match="read-only"):
            index.remove(["a"])


def test_failed_batch_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "x.db"
    with Index.open(db) as index:
        index.add([make_article("a", 1)])

        def boom(*_args: object, **_kw: object) -> None:
            raise RuntimeError("boom")

        monkeypatch.setattr(index, "_recluster", boom)
        with pytest.raises(RuntimeError):
            index.add([make_article("b", 1), make_article("c", 2)])
        assert [d.id for d in index.export_clusters()] == ["a"]


# ------------------------------------------------------------------ crash safety


def _worker(db: Path, first: int, count: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests._store_worker", str(db), str(first), str(count)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_kill_9_keeps_every_committed_batch_and_readers_keep_reading(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    rng = random.Random(42)
    committed: list[int] = []
    first = 0
    for _ in range(3):
        proc = _worker(db, first, 200)
        assert proc.stdout is not None
        wanted = rng.randint(2, 6)
        seen_here: list[int] = []
        while len(seen_here) < wanted:
            line = proc.stdout.readline()
            assert line, "worker ended early"
            seen_here.append(int(line.split()[1]))
            if db.exists():
                # A reader in this process while the worker writes.
                with Index.open(db, readonly=True) as reader:
                    assert reader.stats()["documents"] >= PER_BATCH * len(committed)
        time.sleep(rng.uniform(0.0, 0.3))  # land somewhere inside the next batch
        proc.send_signal(signal.SIGKILL)
        rest, _ = proc.communicate()
        seen_here += [int(x.split()[1]) for x in rest.splitlines()]
        committed += seen_here
        first = max(seen_here) + 1
        with Index.open(db) as index:
            assert index.check() == "ok"
            ids = {d.id for d in index.export_clusters()}
            for k in committed:
                assert {f"b{k:04d}/d{i:02d}" for i in range(PER_BATCH)} <= ids
            # Batches are whole or absent.
            assert len(ids) % PER_BATCH == 0
            batches = {i.split("/")[0] for i in ids}
            first = max(first, len(batches))


# ------------------------------------------------------------------ CLI


def _corpus(root: Path) -> None:
    for i in range(3):
        title, paras = story(40 + i)
        write(root / "day1" / f"s{i}.txt", article_text(title, paras, date="March 5, 2024"))
    title, paras = story(40)
    write(root / "day2" / "copy.txt", article_text(title, paras[:5], date="March 6, 2024"))
    write(root / "day2" / "early.txt", article_text(title, paras, date="March 1, 2024"))
    write(root / "day2" / "fresh.txt", article_text(*story(77)))


def test_cli_dedup_with_index_and_index_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _corpus(tmp_path)
    monkeypatch.chdir(tmp_path)
    db = "news.db"
    assert main(["dedup", "day1", "--index", db]) == 0
    capsys.readouterr()
    assert main(["dedup", "day2", "--index", db, "--report", "r.jsonl"]) == 0
    err = capsys.readouterr().err
    assert "2 joined existing clusters" in err
    assert "1 canonical changed" in err
    rows = [json.loads(x) for x in (tmp_path / "r.jsonl").read_text().splitlines()]
    # In index mode ids keep the day's folder: day two's files never replace day one's.
    assert {r["id"] for r in rows} == {"day2/copy.txt", "day2/early.txt", "day2/fresh.txt"}

    assert main(["index", "stats", db]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["documents"] == 6
    assert stats["clusters"] == 1

    assert main(["index", "export", db, "--report", "all.csv", "--format", "csv"]) == 0
    lines = (tmp_path / "all.csv").read_text().splitlines()
    assert lines[0].startswith("id,cluster,status")
    assert len(lines) == 7

    assert main(["index", "remove", db, "day2/early.txt", "nope"]) == 0
    assert "removed 1" in capsys.readouterr().err
    assert main(["index", "export", db]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(rows) == 5
    assert {r["cluster"] for r in rows if r["id"] == "day2/copy.txt"} == {"day1/s0.txt"}


def test_cli_index_errors_are_clear(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = write(tmp_path / "bad.db", "not a database at all\n")
    assert main(["index", "stats", str(bad)]) == 1
    assert "bad.db" in capsys.readouterr().err
    assert main(["index", "stats", str(tmp_path / "none.db")]) == 1
    assert "no index there" in capsys.readouterr().err


@pytest.mark.parametrize(("cap", "edges"), [(1, 2), (1000, 3)])
def test_bucket_cap_gives_only_the_oldest_members(tmp_path: Path, cap: int, edges: int) -> None:
    sig = np.arange(128, dtype=np.uint32).reshape(1, -1)
    with (
        mock.patch.object(store, "_MERGE_MIN_DOCS", 0),
        mock.patch.object(store, "_MERGE_SHARE", 10**9),
        Index.open(tmp_path / "cap.db", bucket_cap=cap) as index,
    ):
        first = index.add_fingerprints(["a", "b"], np.vstack([sig, sig]), [100, 100], [b"a", b"b"])
        assert first.merged_band_keys == 2 * index.bands  # a and b are now in bands
        index.add_fingerprints(["c"], sig, [100], [b"c"])
        # c's buckets hold a and b; with a cap of 1 only a (the oldest) is a candidate.
        assert index.stats()["edges"] == edges
        assert len(next(index.iter_clusters()).members) == 3


@_SETTINGS
@given(st.lists(doc_spec, min_size=1, max_size=14), st.randoms(use_true_random=False))
def test_merging_recent_band_keys_changes_nothing(
    specs: list[tuple[int, int | None, int, int | None, int]], rng: random.Random
) -> None:
    # Every add merges the runs into bands: adds and removals still equal batch.
    docs = build(specs)
    everything = [a for a, _ in docs]
    gone = {a.id for a in everything if rng.random() < 0.3}
    rest = [a for a in everything if a.id not in gone]
    with (
        mock.patch.object(store, "_MERGE_MIN_DOCS", 0),
        mock.patch.object(store, "_MERGE_SHARE", 10**9),
        tempfile.TemporaryDirectory() as tmp,
    ):
        db = Path(tmp) / "m.db"
        with Index.open(db) as index:
            for part in range(3):
                index.add([a for a, p in docs if p == part])
            assert tuple(index.export_clusters()) == dedup(everything).decisions
            index.remove(sorted(gone))
            assert tuple(index.export_clusters()) == (dedup(rest).decisions if rest else ())
            assert clusters_of(index) == (batch_clusters(rest) if rest else set())
        conn = sqlite3.connect(db)
        # Removals after the last merge left the runs (a removal merges nothing).
        assert conn.execute("SELECT COUNT(*) FROM band_runs").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM bands").fetchone()[0] > 0 or not rest
        assert_filter_covers_bands(conn)
        conn.close()


def assert_filter_covers_bands(conn: sqlite3.Connection) -> None:
    fps = store._read_filter(conn)
    assert np.all(np.diff(fps.astype(np.int64)) > 0)  # sorted, distinct
    stored = {r[0] for r in conn.execute(f"SELECT {store._FP_SQL} FROM bands")}
    assert stored <= set(fps.tolist())
    bands = np.array(conn.execute("SELECT band, key FROM bands").fetchall(), np.int64)
    if len(bands):  # numpy computes the fingerprints SQLite computes
        assert set(store._fingerprints(bands[:, 0], bands[:, 1]).tolist()) == stored


def run_rows(conn: sqlite3.Connection) -> list[tuple[int, int, int]]:
    """Every (band, key, doc) stored in the runs."""
    out = []
    for bounds, keys, docs in conn.execute("SELECT bounds, keys, docs FROM band_runs"):
        band = np.repeat(np.arange(len(bounds) // 8 - 1), np.diff(np.frombuffer(bounds, "<i8")))
        k, d = np.frombuffer(keys, "<i8"), np.frombuffer(docs, "<i8")
        out += list(zip(band.tolist(), k.tolist(), d.tolist(), strict=True))
    return out


def doc_key_rows(conn: sqlite3.Connection) -> list[tuple[int, bytes, bytes]]:
    return conn.execute("SELECT doc, keys, words FROM doc_keys ORDER BY doc").fetchall()


def drop_format_4(conn: sqlite3.Connection) -> None:
    """Remove what format 4 added to format 3's schema."""
    conn.execute("DROP TRIGGER doc_keys_follow")
    conn.execute("DROP TABLE doc_keys")
    conn.execute("DROP INDEX lines_candidates")
    conn.execute("DROP INDEX lines_boilerplate")


@pytest.mark.parametrize("version", [1, 2])
def test_older_formats_are_upgraded(tmp_path: Path, version: int) -> None:
    db = tmp_path / "old.db"
    first = [make_article("a", 1), make_article("b", 2)]
    with Index.open(db) as index:
        index.add(first)
    # Make it an old file. Format 1: every band key in bands; format 2: new ones
    # in a bands_recent table, counted in meta; neither had runs nor filter.
    conn = sqlite3.connect(db, isolation_level=None)
    rows = run_rows(conn)
    assert rows
    if version == 2:
        conn.execute(
            "CREATE TABLE bands_recent(band INTEGER NOT NULL, key INTEGER NOT NULL, "
            "doc INTEGER NOT NULL, PRIMARY KEY(band, key, doc)) WITHOUT ROWID"
        )
        conn.executemany("INSERT INTO bands_recent VALUES (?, ?, ?)", rows)
        conn.execute(f"INSERT INTO meta VALUES ('recent_band_rows', '{len(rows)}')")
    else:
        conn.executemany("INSERT INTO bands VALUES (?, ?, ?)", rows)
    conn.execute("DROP TABLE band_runs")
    conn.execute("DROP TABLE band_filter")
    doc_keys = doc_key_rows(conn)
    assert doc_keys
    drop_format_4(conn)
    conn.execute(f"UPDATE meta SET value = '{version}' WHERE name = 'format_version'")
    conn.close()
    with pytest.raises(StoreError, match="open it once for writing"):
        Index.open(db, readonly=True)
    with Index.open(db) as index:
        assert index.stats()["format_version"] == store.FORMAT_VERSION
        assert index.check() == "ok"
        later = [make_article("c", 1, keep=5), make_article("d", 3)]
        index.add(later)
        assert tuple(index.export_clusters()) == dedup(first + later).decisions
        # "a" is found through bands (the old file's), "c" through a run.
        assert {m.id for m in index.query(make_article("q", 1, keep=4))} == {"a", "c"}
    conn = sqlite3.connect(db)
    assert set(doc_key_rows(conn)) >= set(doc_keys)  # rebuilt for a and b, then c and d added
    assert conn.execute("SELECT COUNT(*) FROM bands").fetchone()[0] == len(rows)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "bands_recent" not in tables
    assert (
        conn.execute("SELECT COUNT(*) FROM meta WHERE name = 'recent_band_rows'").fetchone()[0] == 0
    )
    assert_filter_covers_bands(conn)
    conn.close()


def test_add_reports_its_stages(tmp_path: Path) -> None:
    with Index.open(tmp_path / "t.db") as index:
        index.add([make_article("a", 1, outlet=0), make_article("b", 2, outlet=0)])
        timings = index.add(
            [make_article("c", 3, outlet=0), make_article("d", 1, outlet=1, keep=5)]
        ).timings
    stages = {"ingest", "store articles", "boilerplate verdicts", "fingerprint", "link"}
    assert stages | {"verify", "band runs", "clusters", "commit", "report", "total"} <= set(timings)


def test_nested_stage_times_are_not_counted_twice() -> None:
    # A given sequence of clock readings, so the arithmetic is checked without timing
    # anything: the outer stage starts at 0, the inner one runs from 1 to 3, the outer ends
    # at 10.
    readings = iter([0.0, 1.0, 3.0, 10.0])
    report = store._Refresh(clock=lambda: next(readings))
    with report.timed("outer"), report.timed("inner"):
        pass
    assert dict(report.seconds) == {"outer": 8.0, "inner": 2.0}


def test_verdict_update_reads_lines_through_partial_indexes(tmp_path: Path) -> None:
    # The daily verdict update must not scan every paragraph key ever stored.
    with Index.open(tmp_path / "p.db") as index:
        index.add([make_article("a", 1, outlet=0)])
        plans = [
            " ".join(str(row[-1]) for row in index._conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
            for sql in store._verdict_key_queries(index.config.boilerplate)
        ]
    assert "lines_candidates" in plans[0]
    assert "lines_boilerplate" in plans[1]


def test_format_3_is_read_as_it_is_and_upgraded_on_first_write(tmp_path: Path) -> None:
    db = tmp_path / "v3.db"
    # Two copies of an outlet's promo: not boilerplate until the third arrives.
    first = [make_article("a", 1, outlet=0), make_article("b", 2, outlet=0)]
    with Index.open(db) as index:
        index.add(first)
    # Format 3 stored articles as zlib; format 4 writes zstd.
    conn = sqlite3.connect(db, isolation_level=None)
    blobs = conn.execute("SELECT doc, article FROM documents").fetchall()
    assert all(blob.startswith(b"\x28\xb5\x2f\xfd") for _, blob in blobs)
    conn.executemany(
        "UPDATE documents SET article = ? WHERE doc = ?",
        [(zlib.compress(store._article_bytes(blob)), doc) for doc, blob in blobs],
    )
    doc_keys = doc_key_rows(conn)
    conn.close()
    make_format_3(db)  # format 3 had only doc_lines
    with Index.open(db, readonly=True) as index:  # read as it is, not changed
        assert index.stats()["format_version"] == 3
        assert {m.id for m in index.query(make_article("q", 1, outlet=0))} == {"a"}
    later = [make_article("c", 3, outlet=0), make_article("e", 1, outlet=1, keep=5)]
    with Index.open(db) as index:
        assert index.stats()["format_version"] == store.FORMAT_VERSION == 4
        assert doc_key_rows(index._conn) == doc_keys  # rebuilt from doc_lines and lines
        assert index.add(first[:1]).params.index.unchanged == 1  # compared with a zlib article
        # The promo turns boilerplate: a and b are stripped again from their zlib articles.
        assert index.add(later).params.index.refingerprinted == 2
        assert tuple(index.export_clusters()) == dedup(first + later).decisions
        assert index.check() == "ok"


def make_format_3(db: Path) -> None:
    conn = sqlite3.connect(db, isolation_level=None)
    drop_format_4(conn)
    conn.execute("UPDATE meta SET value = '3' WHERE name = 'format_version'")
    conn.execute("PRAGMA user_version = 3")
    conn.close()


def test_two_writers_opening_a_format_3_file_upgrade_it_once(tmp_path: Path) -> None:
    db = tmp_path / "v3.db"
    with Index.open(db) as index:
        index.add([make_article("a", 1, outlet=0), make_article("b", 2, outlet=0)])
    make_format_3(db)
    read_meta = store._read_meta

    def another_writer_meanwhile(conn: sqlite3.Connection, file: Path) -> dict[str, str]:
        meta = read_meta(conn, file)  # this writer has seen format 3 ...
        if meta["format_version"] == "3":
            with mock.patch.object(store, "_read_meta", read_meta):
                Index.open(file).close()  # ... and another one upgrades the file now
        return meta

    with mock.patch.object(store, "_read_meta", another_writer_meanwhile):
        index = Index.open(db)
    with index:
        assert index.stats()["format_version"] == 4
        assert len(doc_key_rows(index._conn)) == 2
        assert index.check() == "ok"


def test_documents_an_older_writer_added_get_their_doc_keys(tmp_path: Path) -> None:
    # An older newsingest whose session began before the upgrade writes doc_lines but
    # not doc_keys; the verdict update makes the missing rows instead of reading none.
    first = [make_article("a", 1, outlet=0), make_article("b", 2, outlet=0)]
    later = [make_article("c", 3, outlet=0)]
    with Index.open(tmp_path / "mixed.db") as index:
        index.add(first)
        rows = doc_key_rows(index._conn)
        index._conn.execute("DELETE FROM doc_keys")
        assert index.add(later).params.index.refingerprinted == 2  # the promo turns boilerplate
        assert doc_key_rows(index._conn)[:2] == rows
        assert tuple(index.export_clusters()) == dedup(first + later).decisions
        index.remove(["a"])  # doc_keys follows doc_lines, whoever deletes
        assert [r[0] for r in doc_key_rows(index._conn)] == [2, 3]


def test_runs_stay_few_and_removals_reach_them(tmp_path: Path) -> None:
    # Runs merge four at a time like a counter in base 4, so equal batches leave at
    # most three runs of each size: O(log batches) runs.
    sigs = np.random.default_rng(3).integers(0, 2**32 - 1, (40, 128), dtype=np.uint32)
    with (
        mock.patch.object(store, "_MERGE_MIN_DOCS", 10**9),
        Index.open(tmp_path / "runs.db") as index,
    ):
        for k in range(16):
            ids = [f"d{k:02d}{i}" for i in range(2)]
            index.add_fingerprints(
                ids, sigs[2 * k : 2 * k + 2], [100, 100], [i.encode() for i in ids]
            )
            conn = sqlite3.connect(tmp_path / "runs.db")
            runs = conn.execute("SELECT COUNT(*) FROM band_runs").fetchone()[0]
            assert runs == sum(map(int, np.base_repr(k + 1, 4)))
            assert len(run_rows(conn)) == 2 * (k + 1) * index.bands
            conn.close()
        # A near copy of d000 (one value changed) is found, and no longer once d000 is gone.
        near = sigs[0].copy()
        near[5] += 1
        assert [m.id for m in index.query_fingerprint(near, 100, b"q")] == ["d000"]
        index.remove(["d000"])
        assert index.query_fingerprint(near, 100, b"q") == []
        conn = sqlite3.connect(tmp_path / "runs.db")
        assert len(run_rows(conn)) == 31 * index.bands
        conn.close()


def test_a_second_reader_sees_new_runs(tmp_path: Path) -> None:
    # Runs are cached per Index; another connection's update must not be missed.
    sig = np.arange(128, dtype=np.uint32).reshape(1, -1)
    db = tmp_path / "two.db"
    with Index.open(db) as writer, Index.open(db, readonly=True) as reader:
        writer.add_fingerprints(["a"], sig, [100], [b"a"])
        assert [m.id for m in reader.query_fingerprint(sig[0], 100, b"q")] == ["a"]
        writer.add_fingerprints(["b"], sig + 1, [100], [b"b"])
        assert [m.id for m in reader.query_fingerprint(sig[0] + 1, 100, b"q")] == ["b"]
        writer.remove(["a"])
        assert reader.query_fingerprint(sig[0], 100, b"q") == []


@pytest.mark.parametrize("count", [0, 1, 5000, 200_000])
def test_filter_finds_exactly_its_fingerprints(tmp_path: Path, count: int) -> None:
    rng = np.random.default_rng(count)
    drawn = rng.integers(0, 2**32, count, dtype=np.int64)
    # Crowd one bucket and use both ends of the range, where the searches turn.
    crowd = 0x12340000 + np.arange(3000, dtype=np.int64)
    stored = np.unique(np.concatenate([drawn, [0, 2**32 - 1], crowd]))
    asked = np.concatenate([stored[::3], rng.integers(0, 2**32, 5000, dtype=np.int64)])
    asked = np.sort(np.concatenate([asked, asked + 1, asked - 1]) % 2**32).astype(np.uint32)
    conn = sqlite3.connect(tmp_path / "f.db")
    conn.execute("CREATE TABLE band_filter(part, token, counts, low)")
    # Added in two steps, as merges do; repeats are dropped.
    store._add_to_filter(conn, stored[::2].astype(np.uint32))
    store._add_to_filter(conn, stored[::-1].astype(np.uint32))
    assert np.array_equal(store._read_filter(conn), stored.astype(np.uint32))
    found = store._filter_contains(store._filter_parts(conn), asked)
    assert np.array_equal(found, np.isin(asked, stored))
    conn.close()
