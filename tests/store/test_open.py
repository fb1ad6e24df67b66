"""Reading an index leaves nothing behind and works where nothing can be written;
misuse of the API gets a clear answer (a single path, unknown ids)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from newsingest.cli import main
from newsingest.config import FingerprintConfig
from newsingest.store import Index, StoreError, schema
from tests.factories import article_text, story, write
from tests.store.helpers import make_article


def _index(db: Path) -> Path:
    with Index.open(db) as index:
        index.add([make_article("a", 1), make_article("b", 1, keep=5), make_article("c", 2)])
    return db


def _beside(db: Path) -> set[str]:
    return {p.name for p in db.parent.iterdir() if p.name.startswith(db.name + "-")}


def _read_everything(index: Index) -> None:
    assert index.stats()["documents"] == 3
    assert len(list(index.export_clusters())) == 3
    assert [c.members for c in index.iter_clusters()] == [("a", "b")]
    assert {m.id for m in index.query(make_article("q", 1))} == {"a", "b"}
    assert index.check() == "ok"


# ------------------------------------------------------------------ reading cleanly


def test_a_reader_leaves_no_wal_or_shm_behind(tmp_path: Path) -> None:
    db = _index(tmp_path / "x.db")
    assert _beside(db) == set()
    with Index.open(db, readonly=True) as index:
        _read_everything(index)
    assert _beside(db) == set()


def test_index_stats_and_export_leave_no_wal_or_shm_behind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _index(tmp_path / "x.db")
    assert main(["index", "stats", str(db)]) == 0
    assert json.loads(capsys.readouterr().out)["documents"] == 3
    assert main(["index", "export", str(db)]) == 0
    assert _beside(db) == set()


def test_a_reader_leaves_a_writers_wal_alone(tmp_path: Path) -> None:
    db = _index(tmp_path / "x.db")
    with Index.open(db) as writer:
        writer.add([make_article("d", 3)])
        with Index.open(db, readonly=True) as reader:
            assert reader.stats()["documents"] == 4
        # The writer's files are still there and still work.
        assert f"{db.name}-wal" in _beside(db)
        writer.add([make_article("e", 4)])
        with Index.open(db, readonly=True) as reader:
            assert reader.stats()["documents"] == 5
    assert _beside(db) == set()
    with Index.open(db, readonly=True) as reader:
        assert reader.stats()["documents"] == 5


def test_a_reader_opened_while_a_writer_works_leaves_its_files(tmp_path: Path) -> None:
    # The reader found the -wal there: it did not make it, so it does not clean up.
    db = _index(tmp_path / "x.db")
    writer = Index.open(db)
    writer.add([make_article("d", 3)])
    reader = Index.open(db, readonly=True)
    writer.close()
    assert f"{db.name}-wal" in _beside(db)
    assert reader.stats()["documents"] == 4
    reader.close()
    with Index.open(db) as index:
        assert index.stats()["documents"] == 4


@pytest.fixture
def unwritable(monkeypatch: pytest.MonkeyPatch) -> None:
    """As root, permissions do not stop writing: the check is made to say what they say."""
    if os.geteuid() == 0:

        def by_mode(file: Path) -> bool:
            return bool(file.parent.stat().st_mode & stat.S_IWUSR) and bool(
                file.stat().st_mode & stat.S_IWUSR
            )

        monkeypatch.setattr(schema, "_writable", by_mode)


@pytest.mark.parametrize("what", ["folder", "file"])
def test_an_index_that_cannot_be_written_is_read_in_place(
    tmp_path: Path, what: str, unwritable: None
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    db = _index(folder / "x.db")
    target = folder if what == "folder" else db
    mode = target.stat().st_mode
    target.chmod(0o555 if what == "folder" else 0o444)
    try:
        with Index.open(db, readonly=True) as index:
            _read_everything(index)
            assert _beside(db) == set()  # nothing made beside it, not even while open
        assert _beside(db) == set()
        with Index.open(db, readonly=True) as index, pytest.raises(StoreError, match="read-only"):
            index.add([make_article("d", 3)])
    finally:
        target.chmod(mode)


def test_read_only_uri_reads_the_wal_when_there_is_one(tmp_path: Path, unwritable: None) -> None:
    # Committed batches may live in a -wal: immutable would not see them.
    db = _index(tmp_path / "x.db")
    db.chmod(0o444)
    try:
        assert "immutable=1" in schema.read_only_uri(db)
        (tmp_path / "x.db-wal").write_bytes(b"")
        assert "immutable=1" not in schema.read_only_uri(db)
    finally:
        db.chmod(0o644)


# ------------------------------------------------------------------ misuse


def _folder(root: Path) -> None:
    for i, seed in enumerate((5, 5, 6)):
        title, paras = story(seed)
        write(root / f"s{i}.txt", article_text(title, paras))


def test_add_takes_a_single_path_as_a_batch_of_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Iterated, the name "ab" would be read as the paths "a" and "b".
    monkeypatch.chdir(tmp_path)
    _folder(tmp_path / "ab")
    with Index.open(tmp_path / "x.db") as index:
        result = index.add("ab")
        assert [d.id for d in result.decisions] == ["ab/s0.txt", "ab/s1.txt", "ab/s2.txt"]
        assert not result.rejections
        again = index.add(Path("ab"))
        assert again.params.index.unchanged == 3  # the same documents, given as a Path
        assert index.add(make_article("one", 9)).params.index.new == 1


@pytest.mark.parametrize("bad", [42, [42], ["ok", None], None, {"a": 1}.items()])
def test_add_refuses_what_is_not_a_path_or_article(tmp_path: Path, bad: object) -> None:
    with (
        Index.open(tmp_path / "x.db") as index,
        pytest.raises(TypeError, match=r"Index\.add takes"),
    ):
        index.add(bad)  # type: ignore[arg-type]


def test_remove_says_which_ids_were_unknown(tmp_path: Path) -> None:
    db = _index(tmp_path / "x.db")
    with Index.open(db) as index:
        assert index.remove(["b", "nope", "b", "other"]) == 1
        assert index.last_unknown == ("nope", "other")
        assert index.remove("a") == 1  # one id, not its characters
        assert index.last_unknown == ()
        assert index.remove(["a"]) == 0
        assert index.last_unknown == ("a",)
        assert [d.id for d in index.export_clusters()] == ["c"]


def test_open_refuses_a_config_of_another_kind(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="DedupConfig"):
        Index.open(tmp_path / "x.db", FingerprintConfig())  # type: ignore[arg-type]
    assert not (tmp_path / "x.db").exists()
