"""Smoke tests of the ingestion benchmark's corpus builder and helpers, on made-up articles."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

# benchmarks/ is a top-level folder, not part of the installed package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import format_table
from benchmarks.corpus import (
    build_corpus,
    encode_variant,
    ensure_corpus,
    read_file_list,
    render_article,
    sample_files,
)
from benchmarks.ingest import _throughput_rows, baseline_title

from newsingest.ingest.decode import decode_bytes

PAIRS = [
    (
        "Council Votes on Harbor Street",
        "The council voted 7 to 2 on Tuesday.\nIt was a long night.",
    ),
    ("“Quoted” headline — with a dash", "She said: “we’re done.” Prices fell 11 percent."),
    ("Café owners protest", "Crème brûlée sales in Zürich dropped, façade repairs continue."),
    ("Not cp1252: Ωmega and 漢字", "This body has characters cp1252 cannot hold: Ω, 漢字."),
    ("Title-only stub", ""),
]
SHARES = {"cp1252": 0.2, "utf16": 0.15, "mojibake": 0.2, "jsonl": 0.15}


def undo_variant(data: bytes, variant: str) -> str:
    """The inverse of encode_variant, for checking what the builder wrote."""
    if variant == "cp1252":
        return data.decode("cp1252").replace("\r\n", "\n")
    if variant == "utf16":
        return data.decode("utf-16")
    if variant == "mojibake":
        return data.decode("utf-8").encode("sloppy-windows-1252").decode("utf-8")
    return data.decode("utf-8")


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    build_corpus(PAIRS, out, target_bytes=200_000, seed=3, shares=SHARES)
    return out


def test_corpus_reaches_size_and_lists_every_file(corpus_dir: Path) -> None:
    manifest = json.loads((corpus_dir / "manifest.json").read_text(encoding="utf-8"))
    files = read_file_list(corpus_dir)
    assert manifest["bytes"] >= 200_000
    assert manifest["files"] == len(files)
    assert sum(size for _, size, _ in files) == manifest["bytes"]
    for rel, size, _ in files:
        assert (corpus_dir / "docs" / rel).stat().st_size == size
    assert {v for _, _, v in files} == {"utf8", "cp1252", "utf16", "mojibake", "jsonl"}
    # the article cp1252 cannot hold was written as UTF-8 instead
    assert manifest["cp1252_unencodable_written_as_utf8"] > 0


def test_corpus_files_decode_to_the_articles(corpus_dir: Path) -> None:
    rendered = {render_article(t, b) for t, b in PAIRS if t.strip() or b.strip()}
    records = {(t, b) for t, b in PAIRS}
    for rel, _, variant in read_file_list(corpus_dir):
        data = (corpus_dir / "docs" / rel).read_bytes()
        text, _ = decode_bytes(data)
        assert "\ufffd" not in text, rel
        if variant == "jsonl":
            assert rel.endswith(".jsonl")
            for line in data.decode("utf-8").splitlines():
                record = json.loads(line)
                assert (record["title"], record["text"]) in records
        else:
            assert rel.endswith(".txt")
            assert undo_variant(data, variant) in rendered, rel


def test_corpus_is_deterministic(corpus_dir: Path, tmp_path: Path) -> None:
    build_corpus(PAIRS, tmp_path, target_bytes=200_000, seed=3, shares=SHARES)

    def digest(root: Path) -> str:
        h = hashlib.sha256()
        for rel, _, _ in read_file_list(root):
            h.update(rel.encode() + (root / "docs" / rel).read_bytes())
        return h.hexdigest()

    assert (tmp_path / "files.tsv").read_bytes() == (corpus_dir / "files.tsv").read_bytes()
    assert digest(tmp_path) == digest(corpus_dir)


def test_sample_is_an_even_subset(corpus_dir: Path) -> None:
    files = read_file_list(corpus_dir)
    sample = sample_files(files, 50_000)
    assert set(sample) < set(files)
    assert 25_000 < sum(size for _, size, _ in sample) < 100_000
    assert sample == sample_files(files, 50_000)
    assert sample_files(files, 10**9) == files


def test_build_corpus_rejects_empty_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="non-empty"):
        build_corpus([("", " ")], tmp_path, target_bytes=1000, seed=1)


def test_work_folder_inside_the_repo_is_refused(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[1]
    with pytest.raises(SystemExit, match="inside the repository"):
        ensure_corpus(tmp_path, repo / "bench-work", size_mb=0.1, seed=1)


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=200), variant=st.sampled_from(["utf8", "cp1252", "utf16", "mojibake"]))
def test_encode_variant_is_reversible(text: str, variant: str) -> None:
    data = encode_variant(text, variant)
    if data is None:
        assert variant == "cp1252"
        with pytest.raises(UnicodeEncodeError):
            text.encode("cp1252")
    else:
        assert undo_variant(data, variant) == text


def test_baseline_title_is_the_first_non_empty_line() -> None:
    assert baseline_title("\n  \n  Headline here \n\nBody") == "Headline here"
    assert baseline_title(" \n\t\n") is None


def test_format_table_aligns_columns() -> None:
    table = format_table(("metric", "value"), [("a", 1), ("longer name", 22)]).splitlines()
    assert len(table) == 4
    assert len({len(line) for line in table}) == 1
    assert table[0].startswith("| metric ")
    assert table[3] == "| longer name | 22    |"


def _run(mb_per_s: float, files: int = 1000, mb: float = 1.0) -> dict[str, object]:
    cpu = mb / mb_per_s
    return {
        "files": files,
        "bytes": int(mb * 1e6),
        "mb": mb,
        "cpu_seconds": cpu,
        "wall_seconds": cpu,
        "mb_per_s_cpu": mb_per_s,
        "mb_per_s_wall": mb_per_s,
        "peak_rss_mb": 100.0,
        "peak_rss_workers_mb": 50.0,
        "rejections": {"count": 0, "by_stage": {}, "examples": []},
    }


def test_throughput_rows_compare_with_the_baseline_and_show_the_read_ceiling() -> None:
    runs = {
        "newsingest_full_j1": _run(10.0),
        "newsingest_sample_j1": _run(10.0),
        "baseline_sample": _run(2.0),
        "newsingest_full_j2": _run(15.0),
        "read_floor": _run(50.0),
    }
    rows = _throughput_rows({"runs": runs, "sample": {"stride": 8}})
    by_label = {row[0].split(".")[0]: row for row in rows}
    assert by_label["5a"][1] == "10.0 (5.0×)"
    assert by_label["5a"][4] == "NO"  # 5× is short of 20×
    assert by_label["5g"][1] == "50.0 (20.0 µs/file)"
    assert by_label["5g"][3] == "20× baseline = 40.0"
