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
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsingest.cli import main
from newsingest.config import DedupConfig, FingerprintConfig
from newsingest.errors import FingerprintError
from newsingest.pipeline import dedup
from newsingest.records import Article
from newsingest.store import Index, StoreError
from tests._store_worker import PER_BATCH
from tests.factories import article_text, story, write
from tests.store.helpers import (
    SETTINGS,
    UTF8,
    assert_same_but_stored_ties,
    batch_clusters,
    build,
    clusters_of,
    content_terms,
    doc_spec,
    kept_ids,
    make_article,
)

ROOT = Path(__file__).resolve().parents[2]


@SETTINGS
@given(st.lists(doc_spec, min_size=1, max_size=14))
def test_incremental_equals_batch(
    specs: list[tuple[int, int | None, int, int | None, int]],
) -> None:
    docs = build(specs)
    everything = [a for a, _ in docs]
    expected = dedup(everything)
    with tempfile.TemporaryDirectory() as tmp:
        with Index.open(Path(tmp) / "parts.db") as index:
            published: set[str] = set()
            for part in range(3):
                published = kept_ids(index)
                index.add([a for a, p in docs if p == part])
            stored = tuple(index.export_clusters())
            assert_same_but_stored_ties(
                (stored, list(index.iter_clusters())),
                (expected.decisions, expected.clusters),
                terms=content_terms(Path(tmp) / "parts.db"),
                published=published,
            )
            assert index.check() == "ok"
            before = index.stats()
            again = index.add(everything)
            assert again.params.index.changes == ()
            assert again.params.index.unchanged == len(everything)
            after = index.stats()
            assert {k: v for k, v in after.items() if k != "updated"} == {
                k: v for k, v in before.items() if k != "updated"
            }
            assert again.decisions == stored
        with Index.open(Path(tmp) / "once.db") as index:
            result = index.add(everything)
            assert result.decisions == expected.decisions
            assert tuple(index.export_clusters()) == expected.decisions


@SETTINGS
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
