"""The command line, run in-process: exit codes, data on stdout, the summary on stderr."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from newsingest import __version__, cli
from newsingest._progress import Progress
from newsingest.cli import main
from newsingest.output.kept import write_kept_jsonl
from newsingest.pipeline import dedup
from tests.factories import article_text, story, write, write_rejected_files

REJECTED = {
    "empty.txt": "read",
    "image.txt": "decode",
    "notes.pdf": "read",
    "feed.jsonl#3": "extract",
}
STORY_ONE = {"daily/original.txt", "wire/copy.txt", "post/copy.html", "feed.jsonl#2"}
UNIQUE = {"feed.jsonl#1", "other/story4.txt", "other/story5.txt", "other/story6.txt"}
ALL_IDS = set(REJECTED) | STORY_ONE | UNIQUE


def build_corpus(root: Path) -> None:
    """Story 1 copied four ways, unique stories, and one file for each kind of rejection."""
    title, paras = story(1)
    write(
        root / "daily/original.txt",
        article_text(title, paras, promo="Subscribe to the Daily Planet for one dollar a week!"),
    )
    write(
        root / "wire/copy.txt",
        article_text("A Rewritten Headline For The Same Story", paras[:5]),
        encoding="cp1252",
    )
    write(
        root / "post/copy.html",
        "<html><head><title>{0}</title></head><body><article><h1>{0}</h1>{1}"
        "</article></body></html>".format(title, "".join(f"<p>{p}</p>" for p in paras)),
    )
    t2, p2 = story(2)
    rows = [
        json.dumps({"title": t2, "text": "\n\n".join(p2)}),
        json.dumps({"title": title, "text": "\n\n".join(paras[:5])}),
        "{not json",
    ]
    write(root / "feed.jsonl", "\n".join(rows) + "\n")
    for seed in (4, 5, 6):
        t, p = story(seed)
        write(root / f"other/story{seed}.txt", article_text(t, p))
    write_rejected_files(root)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    build_corpus(root)
    return root


def snapshot(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def assert_no_progress_bar(err: str) -> None:
    assert "\r" not in err
    assert "\x1b" not in err


# ------------------------------------------------------------------ help, version, usage


@pytest.mark.parametrize("command", ["ingest", "dedup", "explain"])
def test_help_of_each_subcommand_shows_examples(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    code, out, err = run(capsys, command, "--help")
    assert code == 0
    assert f"usage: newsingest {command}" in out
    assert "examples:" in out
    assert f"newsingest {command} " in out.split("examples:", 1)[1]
    assert err == ""


def test_top_level_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in ("ingest", "dedup", "explain"):
        assert command in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert out == f"newsingest {__version__}\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["ingest", "x", "--no-such-option"],
        ["dedup", "x", "--format", "xml"],
        ["dedup", "x", "--threshold", "high"],
        ["frobnicate"],
        [],
        ["ingest"],
        ["dedup", "x", "--kept", "a", "--kept-jsonl", "b"],
    ],
)
def test_a_wrong_command_line_exits_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert "usage:" in err


# ------------------------------------------------------------------ ingest


def test_ingest_writes_one_json_object_per_document(
    capsys: pytest.CaptureFixture[str], corpus: Path, tmp_path: Path
) -> None:
    before = snapshot(corpus)
    out_file = tmp_path / "out.jsonl"
    code, out, err = run(capsys, "ingest", str(corpus), "-o", str(out_file))
    assert code == 0
    assert out == "", "data goes to the file named, nothing to stdout"
    rows = json_lines(out_file.read_text(encoding="utf-8"))
    by_id = {r["id"]: r for r in rows}
    assert len(by_id) == len(rows), "one row per document"
    assert set(by_id) == ALL_IDS
    for doc_id, stage in REJECTED.items():
        assert by_id[doc_id]["type"] == "rejection"
        assert by_id[doc_id]["stage"] == stage
        assert by_id[doc_id]["reason"]
    assert "unsupported file type" in by_id["notes.pdf"]["reason"]
    for doc_id in STORY_ONE | UNIQUE:
        assert by_id[doc_id]["type"] == "article"
        assert by_id[doc_id]["body"]
    assert by_id["wire/copy.txt"]["title"] == "A Rewritten Headline For The Same Story"
    assert "ingested 12 documents" in err
    assert "8 articles, 4 rejected" in err
    assert_no_progress_bar(err)
    assert snapshot(corpus) == before


def test_ingest_to_stdout_keeps_stdout_for_data(
    capsys: pytest.CaptureFixture[str], corpus: Path
) -> None:
    code, out, err = run(capsys, "ingest", str(corpus))
    assert code == 0
    rows = json_lines(out)
    assert {r["id"] for r in rows} == ALL_IDS
    assert {r["type"] for r in rows} == {"article", "rejection"}
    assert "ingested" in err
    assert "ingested" not in out
    assert_no_progress_bar(err)


def test_ingest_of_a_folder_with_nothing_readable_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    write(empty / ".hidden.txt", "hidden files are skipped")
    code, out, err = run(capsys, "ingest", str(empty), "-o", str(tmp_path / "out.jsonl"))
    assert code == 1
    assert out == ""
    assert "no documents found" in err


def test_ingest_to_a_folder_that_does_not_exist_exits_1(
    capsys: pytest.CaptureFixture[str], corpus: Path, tmp_path: Path
) -> None:
    code, out, err = run(capsys, "ingest", str(corpus), "-o", str(tmp_path / "no/such/out.jsonl"))
    assert code == 1
    assert out == ""
    assert "newsingest: error:" in err
    assert not (tmp_path / "no").exists()


# ------------------------------------------------------------------ dedup


def kept_ids(report: Path) -> set[str]:
    rows = json_lines(report.read_text(encoding="utf-8"))
    return {r["id"] for r in rows if r["status"] == "kept"}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_dedup_csv_report_has_one_row_per_document(
    capsys: pytest.CaptureFixture[str], corpus: Path, tmp_path: Path
) -> None:
    before = snapshot(corpus)
    report = tmp_path / "r.csv"
    code, out, err = run(capsys, "dedup", str(corpus), "--report", str(report), "--format", "csv")
    assert code == 0
    assert out == ""
    rows = read_csv(report)
    by_id = {r["id"]: r for r in rows}
    assert len(by_id) == len(rows)
    assert set(by_id) == ALL_IDS
    assert {r["status"] for r in rows} == {"kept", "duplicate", "rejected"}
    for doc_id, stage in REJECTED.items():
        assert by_id[doc_id]["status"] == "rejected"
        assert by_id[doc_id]["cluster"] == ""
        assert by_id[doc_id]["reason"].startswith(stage + ":")
    for row in rows:
        if row["status"] == "duplicate":
            target = by_id[row["duplicate_of"]]
            assert target["status"] == "kept"
            assert target["cluster"] == row["cluster"]
            assert 0.0 <= float(row["similarity"]) <= 1.0
        elif row["status"] == "kept":
            assert row["duplicate_of"] == ""
            assert row["cluster"] == row["id"]
    assert len({by_id[i]["cluster"] for i in STORY_ONE}) == 1, (
        "the copies of story 1 are one cluster"
    )
    assert sum(by_id[i]["status"] == "kept" for i in STORY_ONE) == 1
    assert all(by_id[i]["status"] == "kept" for i in UNIQUE)
    assert "12 documents: 5 kept, 3 duplicates in 1 cluster, 4 rejected" in err
    assert_no_progress_bar(err)
    assert snapshot(corpus) == before


def test_dedup_report_on_stdout_and_summary_on_stderr(
    capsys: pytest.CaptureFixture[str], corpus: Path
) -> None:
    code, out, err = run(capsys, "dedup", str(corpus))
    assert code == 0
    rows = json_lines(out)
    assert {r["id"] for r in rows} == ALL_IDS
    assert "documents:" in err
    assert "documents:" not in out
    assert_no_progress_bar(err)


def test_dedup_kept_copies_only_the_kept_documents(
    capsys: pytest.CaptureFixture[str], corpus: Path, tmp_path: Path
) -> None:
    before = snapshot(corpus)
    report, kept_dir = tmp_path / "r.jsonl", tmp_path / "kept"
    code, out, _ = run(
        capsys, "dedup", str(corpus), "--report", str(report), "--kept", str(kept_dir)
    )
    assert code == 0
    assert out == ""
    kept = {
        r["id"] for r in json_lines(report.read_text(encoding="utf-8")) if r["status"] == "kept"
    }
    files = {p.relative_to(kept_dir).as_posix() for p in kept_dir.rglob("*") if p.is_file()}
    assert files == {k.partition("#")[0] for k in kept}
    for rel in files - {"feed.jsonl"}:
        assert (kept_dir / rel).read_bytes() == (corpus / rel).read_bytes()
    if "feed.jsonl" in files:
        kept_lines = sorted(int(k.partition("#")[2]) for k in kept if k.startswith("feed.jsonl#"))
        source = (corpus / "feed.jsonl").read_text(encoding="utf-8").splitlines()
        expected = "".join(source[n - 1] + "\n" for n in kept_lines)
        assert (kept_dir / "feed.jsonl").read_text(encoding="utf-8") == expected
    assert snapshot(corpus) == before


def test_dedup_kept_jsonl_writes_the_kept_articles(
    capsys: pytest.CaptureFixture[str], corpus: Path, tmp_path: Path
) -> None:
    report, kept_file = tmp_path / "r.jsonl", tmp_path / "kept.jsonl"
    code, out, _ = run(
        capsys, "dedup", str(corpus), "--report", str(report), "--kept-jsonl", str(kept_file)
    )
    assert code == 0
    assert out == ""
    kept = {
        r["id"] for r in json_lines(report.read_text(encoding="utf-8")) if r["status"] == "kept"
    }
    articles = json_lines(kept_file.read_text(encoding="utf-8"))
    assert {a["id"] for a in articles} == kept
    assert len(articles) == len(kept)
    assert all(a["type"] == "article" and a["body"] for a in articles)


def test_dedup_kept_jsonl_reads_the_articles_back_instead_of_holding_them(
    capsys: pytest.CaptureFixture[str],
    corpus: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    held = tmp_path / "held.jsonl"
    write_kept_jsonl(dedup([str(corpus)], keep_articles=True), held)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the CLI held every article in memory")

    monkeypatch.setattr(cli, "dedup", refuse)
    kept_file = tmp_path / "kept.jsonl"
    code, _, _ = run(capsys, "-q", "dedup", str(corpus), "--kept-jsonl", str(kept_file))
    assert code == 0
    assert kept_file.read_bytes() == held.read_bytes()


def test_dedup_quiet_prints_no_summary(capsys: pytest.CaptureFixture[str], corpus: Path) -> None:
    code, out, err = run(capsys, "-q", "dedup", str(corpus))
    assert code == 0
    assert len(out.splitlines()) == len(ALL_IDS)
    assert err == ""


# ------------------------------------------------------------------ progress


def test_progress_draws_only_on_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Terminal()
    progress = Progress("dedup", tty)
    progress.update()
    progress.update(rejected=True)
    progress.close()
    assert progress.done == 2
    assert progress.rejected == 1
    assert "\r" in tty.getvalue()

    pipe = io.StringIO()
    quiet = Progress("dedup", pipe)
    quiet.update()
    quiet.close()
    assert pipe.getvalue() == ""


# ------------------------------------------------------------------ known CLI bugs


def test_ingest_quiet_prints_no_summary(
    capsys: pytest.CaptureFixture[str], corpus: Path, tmp_path: Path
) -> None:
    code, _, err = run(capsys, "-q", "ingest", str(corpus), "-o", str(tmp_path / "o.jsonl"))
    assert code == 0
    assert err == ""


@pytest.mark.parametrize(
    "argv",
    [
        ["dedup", "x", "--threshold", "1.5"],
        ["dedup", "x", "--containment", "0"],
        ["dedup", "x", "--min-size-ratio", "1.5"],
        ["ingest", "x", "--max-document-mb", "0"],
    ],
)
def test_an_out_of_range_option_value_exits_2(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert "usage:" in err


@pytest.mark.parametrize("command", ["ingest", "dedup"])
def test_a_path_that_does_not_exist_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    code, _, err = run(capsys, command, str(tmp_path / "typo"))
    assert code == 1
    assert "typo" in err


def test_a_failed_ingest_leaves_the_existing_output_alone(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "empty").mkdir()
    out_file = write(tmp_path / "out.jsonl", '{"type": "article"}\n')
    code, _, _ = run(capsys, "ingest", str(tmp_path / "empty"), "-o", str(out_file))
    assert code == 1
    assert out_file.read_text(encoding="utf-8") == '{"type": "article"}\n'


@pytest.mark.parametrize("option", [["--kept-jsonl", "k.jsonl"], ["--html", "r.html"]])
def test_index_runs_refuse_outputs_that_need_articles(
    capsys: pytest.CaptureFixture[str], corpus: Path, tmp_path: Path, option: list[str]
) -> None:
    db = tmp_path / "news.db"
    code, _, err = run(capsys, "dedup", str(corpus), "--index", str(db), *option)
    assert code == 2
    assert "without --index" in err
    assert not db.exists()


def write_excerpt_pair(full: Path, excerpt: Path, seed: int, paragraphs: int, kept: int) -> None:
    """A story of ``paragraphs`` paragraphs at ``full`` and its first ``kept`` at ``excerpt``."""
    title, body = story(seed, paragraphs=paragraphs)
    write(full, article_text(title, body))
    write(excerpt, article_text(title, body[:kept]))


def test_min_size_ratio_lets_a_short_excerpt_match(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # An excerpt of the first 3 of 9 paragraphs: about a third of the story, wholly contained.
    write_excerpt_pair(tmp_path / "in" / "full.txt", tmp_path / "in" / "excerpt.txt", 41, 9, 3)
    statuses = {}
    for ratio in ("0.4", "0.3"):
        report = tmp_path / f"r{ratio}.jsonl"
        code, _, _ = run(
            capsys,
            "dedup",
            str(tmp_path / "in"),
            "--min-size-ratio",
            ratio,
            "--report",
            str(report),
        )
        assert code == 0
        rows = json_lines(report.read_text(encoding="utf-8"))
        statuses[ratio] = {r["id"]: r["status"] for r in rows}
    assert statuses["0.4"] == {"full.txt": "kept", "excerpt.txt": "kept"}
    assert statuses["0.3"] == {"full.txt": "kept", "excerpt.txt": "duplicate"}


def test_an_index_run_takes_the_rule_options_it_is_not_given_from_the_index(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # An excerpt of a quarter of the story: a copy under the index's ratio 0.2 only.
    write_excerpt_pair(tmp_path / "day1" / "full.txt", tmp_path / "day2" / "excerpt.txt", 43, 8, 2)
    db, report = str(tmp_path / "news.db"), tmp_path / "r.jsonl"
    day1 = ["dedup", str(tmp_path / "day1"), "--index", db, "--report", str(report)]
    assert run(capsys, *day1, "--min-size-ratio", "0.2")[0] == 0
    day2 = ["dedup", str(tmp_path / "day2"), "--index", db, "--report", str(report)]
    code, _, err = run(capsys, *day2, "--min-size-ratio", "0.4")
    assert code == 1
    assert "min_size_ratio: index has 0.2, asked for 0.4" in err
    assert run(capsys, *day2, "--jobs", "2")[0] == 0
    rows = json_lines(report.read_text(encoding="utf-8"))
    assert [r["status"] for r in rows] == ["duplicate"]
    assert rows[0]["id"].endswith("day2/excerpt.txt")


def test_without_an_index_the_rule_options_have_their_defaults(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    write_excerpt_pair(tmp_path / "in" / "full.txt", tmp_path / "in" / "excerpt.txt", 43, 8, 2)
    report = tmp_path / "r.jsonl"
    assert run(capsys, "dedup", str(tmp_path / "in"), "--report", str(report))[0] == 0
    rows = json_lines(report.read_text(encoding="utf-8"))
    assert {r["status"] for r in rows} == {"kept"}
