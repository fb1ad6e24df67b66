"""End-to-end behaviour of the pipeline on corpora the tests build themselves."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import sys
from pathlib import Path

import ftfy.bad_codecs  # noqa: F401  (registers sloppy-windows-1252)
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsingest.config import DedupConfig, IngestConfig
from newsingest.errors import DecodeError, ExtractError
from newsingest.output.kept import write_kept_jsonl
from newsingest.pipeline import dedup, ingest_document, iter_articles
from newsingest.records import Article, RawDocument, Rejection
from newsingest.serialize import to_json_line
from newsingest.store import Index
from tests.factories import article_text, story, write, write_rejected_files

OUTLETS = {
    "daily": (
        "Subscribe to the Daily Planet for just one dollar a week!",
        ["© Daily Planet. All rights reserved."],
    ),
    "wire": (
        "WIRE SERVICE — news as it happens",
        ["Reporting by our correspondents; editing by the desk."],
    ),
    "post": ("Follow the Evening Post on every social network today", ["Evening Post, since 1901"]),
}


def build_corpus(root: Path) -> dict[str, str]:
    """One story copied five ways, other stories and bad files; returns id -> story."""
    truth: dict[str, str] = {}
    title, paras = story(1)
    promo, footer = OUTLETS["daily"]
    write(root / "daily/original.txt", article_text(title, paras, promo=promo, footer=footer))
    truth["daily/original.txt"] = "s1"
    promo, footer = OUTLETS["wire"]
    write(
        root / "wire/copy.txt",
        article_text(
            "A Rewritten Headline For The Same Story", paras[:5], promo=promo, footer=footer
        ),
        encoding="cp1252",
    )
    truth["wire/copy.txt"] = "s1"
    write(
        root / "post/copy.html",
        "<html><head><title>{}</title></head><body><article><h1>{}</h1>{}"
        "</article></body></html>".format(title, title, "".join(f"<p>{p}</p>" for p in paras)),
    )
    truth["post/copy.html"] = "s1"
    write(root / "post/copy.txt.gz", gzip.compress(article_text(title, paras).encode("utf-16")))
    truth["post/copy.txt.gz"] = "s1"
    rows = []
    for seed in (2, 3):
        t, p = story(seed)
        rows.append(json.dumps({"title": t, "text": "\n\n".join(p)}))
        truth[f"feed.jsonl#{len(rows)}"] = f"s{seed}"
    rows.append(json.dumps({"title": title, "text": "\n\n".join(paras[:4])}))
    truth["feed.jsonl#3"] = "s1"
    rows.append("{not json")
    write(root / "feed.jsonl", "\n".join(rows) + "\n")
    for seed in range(4, 10):
        t, p = story(seed)
        name = list(OUTLETS)[seed % 3]
        promo, footer = OUTLETS[name]
        write(root / f"{name}/story{seed}.txt", article_text(t, p, promo=promo, footer=footer))
        truth[f"{name}/story{seed}.txt"] = f"s{seed}"
    write_rejected_files(root)
    return truth


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("corpus")
    return root, build_corpus(root)


def _snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_iter_articles_yields_one_row_per_document(corpus: tuple[Path, dict[str, str]]) -> None:
    root, truth = corpus
    rows = list(iter_articles([root]))
    ids = [r.id for r in rows]
    assert len(ids) == len(set(ids))
    assert set(truth) <= set(ids)
    rejected = {r.id: r for r in rows if isinstance(r, Rejection)}
    assert set(rejected) == {"empty.txt", "image.txt", "notes.pdf", "feed.jsonl#4"}
    assert rejected["image.txt"].stage == "decode"
    assert rejected["feed.jsonl#4"].stage == "extract"
    assert "unsupported file type" in rejected["notes.pdf"].reason


def test_iter_articles_same_result_with_two_workers(corpus: tuple[Path, dict[str, str]]) -> None:
    root, _ = corpus
    assert list(iter_articles([root], jobs=2)) == list(iter_articles([root], jobs=1))


def test_dedup_groups_the_copies_and_nothing_else(corpus: tuple[Path, dict[str, str]]) -> None:
    root, truth = corpus
    before = _snapshot(root)
    result = dedup([root])
    assert _snapshot(root) == before, "inputs must never be modified"
    by_id = {d.id: d for d in result.decisions}
    clusters = {d.cluster for i, d in by_id.items() if truth.get(i) == "s1"}
    assert len(clusters) == 1, "every copy of story 1 is in one cluster"
    (c,) = clusters
    assert by_id[c].status == "kept"
    assert {i for i, d in by_id.items() if d.cluster == c} == {
        i for i, s in truth.items() if s == "s1"
    }
    others = [d for i, d in by_id.items() if truth.get(i, "s1") != "s1"]
    assert all(d.status == "kept" and d.cluster == d.id for d in others)
    # All copies carry the same date, so the most complete body wins.
    assert by_id[c].id in {"daily/original.txt", "post/copy.html", "post/copy.txt.gz"}


def test_dedup_accounts_for_every_input(corpus: tuple[Path, dict[str, str]]) -> None:
    root, truth = corpus
    result = dedup([root])
    statuses = [d.status for d in result.decisions]
    assert len(result.decisions) == len(truth) + 4
    assert statuses.count("kept") + statuses.count("duplicate") + statuses.count("rejected") == len(
        statuses
    )
    assert statuses.count("rejected") == len(result.rejections) == 4
    assert [d.id for d in result.decisions] == sorted(d.id for d in result.decisions)
    for d in result.decisions:
        if d.status == "duplicate":
            assert d.duplicate_of == d.cluster
            assert d.similarity is not None
        if d.status == "rejected":
            assert d.cluster is None
            assert d.reason


def test_dedup_same_with_two_workers(corpus: tuple[Path, dict[str, str]]) -> None:
    root, _ = corpus
    assert dedup([root], DedupConfig(jobs=2)).decisions == dedup([root]).decisions


@pytest.fixture(scope="module")
def articles(corpus: tuple[Path, dict[str, str]]) -> list[Article]:
    root, _ = corpus
    return [a for a in iter_articles([root]) if isinstance(a, Article)]


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1))
def test_dedup_does_not_depend_on_input_order(articles: list[Article], seed: int) -> None:
    shuffled = list(articles)
    random.Random(seed).shuffle(shuffled)
    assert dedup(shuffled).decisions == dedup(articles).decisions


def test_clusters_partition_the_articles(articles: list[Article]) -> None:
    result = dedup(articles)
    members = [m for c in result.clusters for m in c.members]
    assert len(members) == len(set(members))
    for c in result.clusters:
        assert c.canonical in c.members
        assert len(c.members) >= 2
        assert all(d.cluster == c.id for d in result.decisions if d.id in c.members)


def test_ingest_document_raises_typed_errors() -> None:
    raw = RawDocument(id="x", path="x", format="text", data=b"\x00" * 64)
    with pytest.raises(DecodeError):
        ingest_document(raw)
    with pytest.raises(ExtractError):
        ingest_document(RawDocument(id="j", path="j", format="jsonl", data=b"[1, 2]"))


def test_mojibake_text_is_repaired_before_rewrapping() -> None:
    title, paras = story(11)
    paras = [p.replace(" ", " \u201cquoted\u201d ", 3) for p in paras]
    wrapped = "\n\n".join(
        [title, "May 1, 2024"]
        + ["\n".join(p[i : i + 70] for i in range(0, len(p), 70)) for p in paras]
    )
    # UTF-8 read as Windows-1252 the way browsers do (undefined bytes kept as C1
    # controls), then saved as UTF-8: the common, recoverable kind of mojibake.
    mangled = wrapped.encode("utf-8").decode("sloppy-windows-1252").encode("utf-8")
    article = ingest_document(RawDocument(id="m", path="m", format="text", data=mangled))
    assert "\u201cquoted\u201d" in article.body
    assert any(f.field == "text" for f in article.fixes)


def test_texts_without_words_are_not_clustered_together(tmp_path: Path) -> None:
    for name, text in {"a.txt": "★★★ ☆☆ ★", "b.txt": "🙂🙂🙂 🙂", "c.txt": "— … —"}.items():
        write(tmp_path / name, text + "\n")
    result = dedup([tmp_path])
    assert [d.status for d in result.decisions] == ["kept", "kept", "kept"]
    assert result.clusters == ()


# --- issue 17 ------------------------------------------------------------------------------

BODY = (
    "The harbour council voted on Monday to build new bike lanes along the waterfront, "
    "after a year of meetings with residents and shop owners who had asked for safer streets."
)


def short_story(title: str, body: str = BODY) -> bytes:
    return f"{title}\n\n{body}\n".encode()


# --- fault 4: names that used to share an id --------------------------------------------


@pytest.mark.skipif(sys.platform in {"darwin", "win32"}, reason="names must be raw bytes")
def test_raw_byte_and_escaped_names_are_two_documents(tmp_path: Path) -> None:
    Path(os.fsdecode(os.fsencode(tmp_path) + b"/a\xff.txt")).write_bytes(short_story("One"))
    (tmp_path / "a\\xff.txt").write_bytes(short_story("Two", "A different story altogether."))
    (tmp_path / "feed.jsonl").write_bytes(b'{"text": "one"}\n{"text": "two words"}\n')
    (tmp_path / "feed.jsonl#2").write_bytes(b"x")
    result = dedup([tmp_path])
    got = [d.id for d in result.decisions]
    assert len(got) == len(set(got)) == 5
    assert {"a\\xff.txt", "a\\\\xff.txt", "feed.jsonl#2", "feed.jsonl\\#2"} <= set(got)


# --- fault 10: a lone surrogate in any JSON field ----------------------------------------

SURROGATES = (
    b'{"id": "\\ud800x", "date": "2016-08-03\\udc00", "title": "T\\ud800itle", '
    b'"text": "August 3, 2016 \\udfff\\n\\nBody \\udfff text with enough words to keep."}\n'
    b'{"id": 7, "title": "Fine", "text": "b\\ud83dc and more words here"}\n'
)


def test_lone_surrogates_are_repaired_fields(tmp_path: Path) -> None:
    (tmp_path / "s.jsonl").write_bytes(SURROGATES)
    items = list(iter_articles(tmp_path))
    assert all(isinstance(a, Article) for a in items)
    first = items[0]
    assert isinstance(first, Article)
    assert first.source_id == "\ufffdx"
    assert first.date_raw is not None
    assert "\ufffd" in first.date_raw
    fixed = {(f.field, f.parameter) for f in first.fixes}
    assert {("source_id", "fix_surrogates"), ("date_raw", "fix_surrogates")} <= fixed
    for item in items:
        to_json_line(item).encode("utf-8")  # raised UnicodeEncodeError before


def test_lone_surrogates_reach_every_output(tmp_path: Path) -> None:
    (tmp_path / "s.jsonl").write_bytes(SURROGATES)
    result = dedup([tmp_path], keep_articles=True)
    assert not result.rejections
    assert write_kept_jsonl(result, tmp_path / "kept.jsonl") == 2
    (tmp_path / "kept.jsonl").read_text(encoding="utf-8")
    with Index.open(tmp_path / "index.db") as index:
        index.add([tmp_path / "s.jsonl"])


# --- fault 13 and 20: one path, and a config that is not one -------------------------------


def test_one_path_is_one_input_not_its_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Relative, so that without the fix the characters are missing paths, not "/".
    monkeypatch.chdir(tmp_path)
    (tmp_path / "news").mkdir()
    (tmp_path / "news/a.txt").write_bytes(short_story("One"))
    (tmp_path / "news/b.txt").write_bytes(short_story("Two"))
    for one in ("news", Path("news"), b"news"):
        result = dedup(one)  # type: ignore[arg-type]
        assert [d.id for d in result.decisions] == ["a.txt", "b.txt"]
        got = [getattr(a, "id", None) for a in iter_articles(one)]  # type: ignore[arg-type]
        assert got == ["a.txt", "b.txt"]


def test_a_missing_config_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="dedup: config must be a DedupConfig, not NoneType"):
        dedup([tmp_path], None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="dedup: config must be a DedupConfig, not IngestConfig"):
        dedup([tmp_path], IngestConfig())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="iter_articles: config must be an IngestConfig"):
        iter_articles([tmp_path], DedupConfig())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="dedup: inputs must be a path or an iterable"):
        dedup(5)  # type: ignore[arg-type]


# --- ingest's own output is read back -----------------------------------------------------


def test_dedup_reads_the_output_of_ingest(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_bytes(short_story("Bike lanes", BODY))
    (src / "b.txt").write_bytes(short_story("Bike lanes again", BODY))
    (src / "c.txt").write_bytes(
        short_story("Other", "A story about something else entirely, at length.")
    )
    (src / "bad.pdf").write_bytes(b"%PDF")
    direct = dedup([src])
    out = tmp_path / "articles.jsonl"
    out.write_text("".join(to_json_line(x) for x in iter_articles([src])), encoding="utf-8")
    again = dedup([out])
    statuses = [d.status for d in again.decisions]
    assert statuses == [d.status for d in direct.decisions]
    # The rejection row of the first run stays a rejection, saying why.
    (rejected,) = again.rejections
    assert isinstance(rejected, Rejection)
    assert "newsingest rejection row" in rejected.reason
    assert "bad.pdf" in rejected.reason
    articles = [a for a in iter_articles([out]) if isinstance(a, Article)]
    assert [a.source_id for a in articles] == ["a.txt", "b.txt", "c.txt"]
    first = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert articles[0].title == first["title"]
    assert "\n\n".join(articles[0].paragraphs) == first["body"]
