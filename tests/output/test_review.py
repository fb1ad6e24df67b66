"""The HTML review page: structure, highlighting, escaping, limits, the CLI option."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

import newsingest.cli
from newsingest.config import DedupConfig
from newsingest.output.review import render_review, write_review
from newsingest.pipeline import dedup
from newsingest.records import DedupResult
from tests.factories import article_text, story, write

HOSTILE = '<script>alert(1)</script> "><img src=x onerror=alert(2)>'
OUTLETS = {
    "daily": "Subscribe to the Daily Planet for just one dollar a week!",
    "wire": "WIRE SERVICE — news as it happens",
    "post": "Follow the Evening Post on every social network today",
}
FOOTERS = {
    "daily": ["© Daily Planet. All rights reserved."],
    "wire": ["Reporting by our correspondents; editing by the desk."],
    "post": ["Evening Post, since 1901"],
}


def build_corpus(root: Path) -> None:
    """Story 1 in four copies, story 2 in two, unrelated stories, a hostile copy, a bad file."""
    title, paras = story(1)
    write(root / "daily/s1.txt", article_text(title, paras, footer=FOOTERS["daily"]))
    write(root / "wire/s1.txt", article_text(title, paras[:5], footer=FOOTERS["wire"]))
    write(root / "post/s1.txt", article_text(title, paras, footer=FOOTERS["post"]))
    hostile = [*paras[:5], HOSTILE]
    write(root / "evil/s1.txt", article_text(title + " " + HOSTILE, hostile))
    t2, p2 = story(2)
    write(root / "daily/s2.txt", article_text(t2, p2, footer=FOOTERS["daily"]))
    write(root / "wire/s2.txt", article_text(t2, p2, footer=FOOTERS["wire"]))
    for seed in range(3, 9):
        t, p = story(seed)
        name = list(FOOTERS)[seed % 3]
        write(root / f"{name}/s{seed}.txt", article_text(t, p, footer=FOOTERS[name]))
    write(root / "broken.txt", b"")
    write(root / "notes.pdf", b"%PDF-1.4")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    build_corpus(root)
    return root


@pytest.fixture(scope="module")
def result(corpus: Path) -> DedupResult:
    return dedup([corpus], keep_articles=True)


@pytest.fixture(scope="module")
def page(result: DedupResult) -> str:
    return render_review(result)


class Outline(HTMLParser):
    """The parts of the page the tests look at."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict[str, str | None]]] = []
        self.sections: list[dict[str, str | None]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.marks: list[str] = []
        self.dropped: list[str] = []
        self.scores: list[str] = []
        self.rejected_rows: list[list[str]] = []
        self.scripts: list[str] = []
        self._text: dict[int, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        self.stack.append((tag, a))
        if tag == "section" and "cluster" in (a.get("class") or ""):
            self.sections.append(a)
        if tag == "tr" and self._inside("table", "rejected"):
            self.rejected_rows.append([])
        self._text[len(self.stack)] = []

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            open_tag, a = self.stack.pop()
            text = "".join(self._text.pop(len(self.stack) + 1, []))
            if self.stack:
                self._text.setdefault(len(self.stack), []).append(text)
            cls = a.get("class") or ""
            if open_tag == "mark" and self._inside("div", "doc"):
                self.marks.append(text)
            elif open_tag == "div" and "dropped" in cls.split():
                self.dropped.append(text)
            elif open_tag == "span" and "score" in cls.split():
                self.scores.append(text)
            elif open_tag == "script":
                self.scripts.append(text)
            elif open_tag == "td" and self._inside("table", "rejected") and self.rejected_rows:
                self.rejected_rows[-1].append(text)
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        self._text.setdefault(len(self.stack), []).append(data)

    def _inside(self, tag: str, cls: str) -> bool:
        return any(t == tag and cls in (a.get("class") or "").split() for t, a in self.stack)


def outline(page: str) -> Outline:
    parser = Outline()
    parser.feed(page)
    parser.close()
    return parser


def test_one_section_per_cluster_largest_first(result: DedupResult, page: str) -> None:
    sizes = sorted((len(c.members) for c in result.clusters), reverse=True)
    assert sizes == [4, 2]
    found = outline(page)
    assert [int(s["data-size"] or 0) for s in found.sections] == sizes
    assert [s["id"] for s in found.sections] == ["cluster-1", "cluster-2"]
    for i in (1, 2):
        assert f'href="#cluster-{i}"' in page


def test_every_copy_shows_its_similarity(result: DedupResult, page: str) -> None:
    found = outline(page)
    for d in result.decisions:
        if d.status == "duplicate":
            assert d.id in page
            assert d.similarity is not None
            assert f"similarity {d.similarity:.2f}" in found.scores
            assert f"containment {d.containment:.2f}" in found.scores


def test_shared_text_is_marked(page: str) -> None:
    _, paras = story(1)
    found = outline(page)
    assert found.marks
    # The first paragraph is shared by every copy of story 1: it is marked whole.
    assert any(paras[0].rstrip(".") in m for m in found.marks)
    # Text unique to one copy is never marked: the footers differ between outlets.
    assert not any("Daily Planet" in m for m in found.marks)


def test_boilerplate_lines_are_greyed_with_their_reason(result: DedupResult, page: str) -> None:
    dropped = {line.text for a in result.articles for line in a.dropped}
    assert "© Daily Planet. All rights reserved." in dropped
    found = outline(page)
    greyed = [d for d in found.dropped if "Daily Planet" in d]
    assert greyed
    assert all(d.startswith("boilerplate") for d in greyed)


def test_rejected_files_are_listed_with_stage_and_reason(result: DedupResult, page: str) -> None:
    found = outline(page)
    rows = [r for r in found.rejected_rows if r]
    assert len(rows) == len(result.rejections) >= 2
    assert {r[0] for r in rows} == {r.id for r in result.rejections}
    for row, rejection in zip(rows, result.rejections, strict=True):
        assert row == [rejection.id, rejection.stage, rejection.reason]


def assert_self_contained(page: str) -> None:
    """Nothing on ``page`` loads from elsewhere: no external script, style, image or link."""
    found = outline(page)
    for tag, a in found.tags:
        assert not (tag == "script" and "src" in a), "external script"
        assert tag not in ("link", "img", "iframe", "object", "embed")
        for name in ("src", "href", "action", "srcset"):
            value = a.get(name) or ""
            assert not value or value.startswith("#"), (tag, name, value)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.IGNORECASE)
    assert "@import" not in page
    assert "url(" not in page


def test_page_is_self_contained(page: str) -> None:
    assert_self_contained(page)


def test_hostile_text_is_rendered_inert(page: str) -> None:
    found = outline(page)
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not any(tag == "img" for tag, _ in found.tags)
    assert not any(name.startswith("on") for _, a in found.tags for name in a)
    assert len(found.scripts) == 1
    assert "alert" not in found.scripts[0]


def test_hostile_file_names_are_escaped(tmp_path: Path) -> None:
    title, paras = story(11)
    write(tmp_path / 'a"><b onclick=x>.txt', article_text(title, paras))
    write(tmp_path / "b<i>.txt", article_text(title, paras))
    write(tmp_path / "c<u>.pdf", b"%PDF")
    found = outline(render_review(dedup([tmp_path], keep_articles=True)))
    assert not any(tag in ("i", "u") for tag, _ in found.tags)
    assert not any(name.startswith("on") for _, a in found.tags for name in a)
    assert len(found.sections) == 1


def test_limits_cap_the_output(result: DedupResult) -> None:
    page = render_review(result, max_clusters=1, max_copies=1, max_chars=50)
    found = outline(page)
    assert len(found.sections) == 1
    assert "showing the 1 largest of 2 clusters" in page
    assert "2 more copies not shown side by side" in page
    assert "more characters not shown" in page


def test_without_articles_the_page_still_lists_clusters(corpus: Path) -> None:
    page = render_review(dedup([corpus]))
    found = outline(page)
    assert len(found.sections) == 2
    assert not found.marks
    assert "keep_articles=True" in page


def test_write_review_writes_the_rendered_page(result: DedupResult, tmp_path: Path) -> None:
    out = tmp_path / "review.html"
    write_review(result, out, max_clusters=1)
    assert out.read_text(encoding="utf-8") == render_review(result, max_clusters=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["review.html"]


def test_highlighting_uses_the_given_shingle_size(result: DedupResult) -> None:
    wide = render_review(result, config=DedupConfig())
    assert wide == render_review(result)  # the run's own parameters, read from params


def test_cli_writes_the_review_atomically(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "review.html"
    code = newsingest.cli.main(
        ["-q", "dedup", str(corpus), "--report", str(tmp_path / "r.jsonl"), "--html", str(out)]
    )
    assert code == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    found = outline(page)
    assert len(found.sections) == 2
    assert found.marks
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    capsys.readouterr()


def test_cli_leaves_the_old_review_when_writing_fails(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "review.html"
    out.write_text("old", encoding="utf-8")

    def fail(*_args: object, **_kwargs: object) -> str:
        raise OSError("disk full")

    monkeypatch.setattr("newsingest.output.review.render_review", fail)
    code = newsingest.cli.main(
        ["-q", "dedup", str(corpus), "--report", str(tmp_path / "r.jsonl"), "--html", str(out)]
    )
    assert code == 1
    assert out.read_text(encoding="utf-8") == "old"


CHROMIUM = shutil.which("chromium")


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine")
def test_page_renders_in_a_headless_browser(page: str, tmp_path: Path) -> None:
    path = tmp_path / "review.html"
    path.write_text(page, encoding="utf-8")
    profile = tmp_path / "profile"
    run = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--dump-dom",
            path.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    found = outline(run.stdout)
    assert [s["id"] for s in found.sections] == ["cluster-1", "cluster-2"]
    assert found.marks


def test_clusters_table_gives_each_clusters_lowest_scores_to_sort_by(
    result: DedupResult, page: str
) -> None:
    nav = page.split("<nav>", 1)[1].split("</nav>", 1)[0]
    assert '<th data-sort="n"' in nav
    assert "lowest similarity" in nav
    decisions = {d.id: d for d in result.decisions}
    for cluster in result.clusters:
        copies = [decisions[m] for m in cluster.members if m != cluster.canonical]
        lowest = min(d.similarity for d in copies if d.similarity is not None)
        assert f'data-v="{lowest:.6f}">{lowest:.3f}</td>' in nav
