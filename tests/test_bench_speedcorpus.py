"""Tests of the speed benchmark's folders (real-page wrappers, the realistic mix), made-up pages."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import lxml.html
import pytest
from benchmarks import speed
from benchmarks.outlet_pages import (
    BODY_MARK,
    PageTemplate,
    fill_page,
    load_templates,
    make_template,
)
from benchmarks.report import render_markdown
from benchmarks.speedcorpus import corpus_root, ensure_corpus
from hypothesis import given, settings
from hypothesis import strategies as st

ARTICLE = (
    "The harbour authority approved the new ferry timetable after a long public hearing.",
    "Commuters will see boats every twenty minutes during the morning rush from next month.",
    "The operator said the change needs two more crews and a refitted vessel.",
)


def outlet_page(site: str, headline: str, paragraphs: tuple[str, ...] = ARTICLE) -> str:
    """A news page as sites serve them: menu, scripts, comments, article, related links."""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    ld = json.dumps({"@type": "NewsArticle", "headline": headline})
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{headline} | {site}</title>
<meta property="og:title" content="{headline}">
<meta name="description" content="{paragraphs[0]}">
<script type="application/ld+json">{ld}</script>
<script>window.tracker = {{"site": "{site}"}};</script>
<style>nav {{ color: red; }}</style></head>
<body><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World news desk</a></li></ul></nav>
<!-- ad slot: leaderboard -->
<main><article><h1>{headline}</h1><div class="byline">By Staff</div>
<div class="share">Share this story on every network</div>
{body}
</article>
<aside><h3>Related stories</h3>
<ul><li><a href="/x">Council {site} budget passes at last</a></li></ul></aside>
</main><footer><p>Copyright {site} Media Group, all rights reserved.</p></footer></body></html>
"""


def write_pages(folder: Path, pages: dict[str, tuple[str, str]]) -> Path:
    """A pages folder in the layout the speed corpus reads: html/*.html.gz + ground-truth."""
    (folder / "html").mkdir(parents=True)
    (folder / "ground-truth").mkdir()
    for number, (site, headline) in pages.items():
        page = outlet_page(site, headline)
        (folder / "html" / f"{number}.html.gz").write_bytes(gzip.compress(page.encode()))
        truth = {"title": headline, "main_content": "\n\n".join(ARTICLE)}
        (folder / "ground-truth" / f"{number}.json").write_text(
            json.dumps({"url": f"https://www.{site}/a", "ground_truth": truth})
        )
    return folder


def write_news(data: Path, stories: int = 30) -> None:
    rng = random.Random(7)
    vocabulary = [f"word{i}" for i in range(500)]
    (data / "news").mkdir(parents=True)
    with (data / "news" / "fake.jsonl").open("w", encoding="utf-8") as out:
        for n in range(stories):
            paragraphs = [" ".join(rng.choices(vocabulary, k=40)) + "." for _ in range(3)]
            text = f"Story number {n} headline\n" + "\n\n".join(paragraphs)
            out.write(json.dumps({"id": f"s{n}", "text": text}) + "\n")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    write_news(root)
    write_pages(
        root / "html" / "wcxb-articles",
        {"0001": ("ledger.example", "Ferry timetable approved"), "0002": ("post.example", "Boats")},
    )
    return root


def template(
    site: str = "ledger.example", headline: str = "Ferry timetable approved"
) -> PageTemplate:
    truth = {"title": headline, "main_content": "\n\n".join(ARTICLE)}
    return make_template("t", outlet_page(site, headline), truth, site)


def test_a_wrapper_keeps_the_page_and_loses_the_article() -> None:
    page = template().text
    assert page.count(BODY_MARK) == 1
    for kept in ("World news desk", "window.tracker", "ad slot: leaderboard", "Related stories",
                 "Share this story", "Copyright ledger.example"):  # fmt: skip
        assert kept in page
    for paragraph in ARTICLE:
        assert paragraph not in page
    assert "Ferry timetable approved" not in page


def test_a_filled_page_shows_the_story_everywhere_a_publisher_prints_a_headline() -> None:
    paragraphs = ("Fish & chips <cheaper> this week.", "Second paragraph of the story.")
    page = fill_page(template(), 'Prices "fall" </script> sharply', paragraphs, "From a wire")
    root = lxml.html.document_fromstring(page)
    headline = 'Prices "fall" </script> sharply'
    assert root.findtext(".//title") == f"{headline} | ledger.example"
    assert root.findtext(".//h1") == headline
    og = root.xpath("//meta[@property='og:title']/@content")
    assert og == [headline]
    ld = root.xpath("//script[@type='application/ld+json']/text()")
    assert json.loads(ld[0])["headline"] == headline
    texts = [" ".join(p.text_content().split()) for p in root.iter("p")]
    assert texts[:3] == ["From a wire", *paragraphs]
    assert "World news desk" in page


def test_a_page_whose_article_is_not_in_blocks_is_refused() -> None:
    truth = {"title": "X", "main_content": "A text that this page does not hold anywhere at all."}
    with pytest.raises(ValueError, match="article not found"):
        make_template("t", outlet_page("a.example", "X"), truth)


@settings(max_examples=40, deadline=None)
@given(
    title=st.text(min_size=1, max_size=40).filter(lambda t: t.strip() and t.isprintable()),
    paragraphs=st.lists(
        st.text(min_size=1, max_size=80).filter(lambda t: t.strip() and t.isprintable()),
        min_size=1,
        max_size=4,
    ),
)
def test_any_story_text_survives_the_page_markup(title: str, paragraphs: list[str]) -> None:
    root = lxml.html.document_fromstring(fill_page(template(), title, paragraphs))
    assert " ".join(root.findtext(".//h1").split()) == " ".join(title.split())
    texts = [" ".join(p.text_content().split()) for p in root.iter("p")]
    assert texts[: len(paragraphs)] == [" ".join(p.split()) for p in paragraphs]


def test_load_templates_skips_unusable_pages(tmp_path: Path) -> None:
    pages = write_pages(
        tmp_path / "pages", {"0001": ("a.example", "Ferry"), "0002": ("b.example", "Boat")}
    )
    (pages / "ground-truth" / "0002.json").write_text(
        json.dumps(
            {"ground_truth": {"title": "Boat", "main_content": "not on the page at all, no"}}
        )
    )
    assert [t.name for t in load_templates(pages)] == ["0001"]


def files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_the_realistic_folder_is_a_quarter_pages_and_deterministic(
    data: Path, tmp_path: Path
) -> None:
    info = ensure_corpus(data, tmp_path / "w1", 40, 3, html_share=0.25)
    built = files(info.folder)
    pages = [name for name in built if name.endswith((".html", ".html.gz"))]
    assert info.html == len(pages) == 10
    assert info.gzipped == sum(name.endswith(".gz") for name in built)
    assert info.bytes == sum(len(b) for b in built.values())
    assert info.wrappers == 2
    assert info.folder.parent == corpus_root(tmp_path / "w1", 40, 3, 0.25)
    again = ensure_corpus(data, tmp_path / "w2", 40, 3, html_share=0.25)
    assert files(again.folder) == built
    other = ensure_corpus(data, tmp_path / "w3", 40, 4, html_share=0.25)
    assert files(other.folder) != built


def test_every_page_carries_a_story_in_a_real_wrapper(data: Path, tmp_path: Path) -> None:
    info = ensure_corpus(data, tmp_path / "w", 40, 1, html_share=0.5)
    headlines = set()
    for path in info.folder.rglob("*.html*"):
        raw = path.read_bytes()
        page = (gzip.decompress(raw) if path.name.endswith(".gz") else raw).decode("utf-8")
        root = lxml.html.document_fromstring(page)
        headline = root.findtext(".//h1")
        assert "Story number" in headline
        assert "Home" in page
        assert "harbour authority" not in page
        headlines.add(headline)
    assert len(headlines) > 1


def test_share_zero_is_the_plain_text_folder(data: Path, tmp_path: Path) -> None:
    info = ensure_corpus(data, tmp_path / "w", 20, 1)
    assert info.folder.parent == tmp_path / "w" / "corpus-s1-n20"
    assert {p.suffix for p in info.folder.rglob("*") if p.is_file()} == {".txt"}
    assert info.html == 0


def speed_row(method: str, wall: float, ingest: float = 0.0) -> dict[str, object]:
    return {
        "method": method,
        "docs": 100,
        "wall_s": wall,
        "cpu_s": wall,
        "clusters": 3,
        "timings": {"ingest": ingest, "total": ingest},
    }


def test_ingest_share_is_of_the_one_job_wall_time() -> None:
    rows = [speed_row("newsingest jobs=1", 10.0, 8.0), speed_row("datasketch", 5.0)]
    assert speed.ingest_share(rows) == pytest.approx(0.8)
    assert speed.ingest_share([speed_row("datasketch", 5.0)]) is None


def test_report_renders_the_realistic_folder_and_its_goal(tmp_path: Path) -> None:
    body = {
        "corpus": {"docs": 100, "megabytes": 1.0},
        "results": [speed_row("newsingest jobs=1", 2.0), speed_row("datasketch", 10.0)],
        "html_corpus": {
            "docs": 100,
            "megabytes": 25.0,
            "html": 25,
            "html_share": 0.25,
            "wrappers": 20,
            "gzipped": 30,
        },
        "html_goal_ratio": 0.5,
        "html_results": [speed_row("newsingest jobs=1", 30.0, 27.0), speed_row("datasketch", 10.0)],
        "html_ingest_share": 0.9,
        "html_extractors": {
            "pages": 10,
            "notes": {"html: trafilatura": 10, "html: title from <h1>": 9},
            "extractor_notes": {"html: trafilatura": 10},
            "cpu_ms_per_page": 40.0,
        },
    }
    text = render_markdown({"speed": {"result": body, "machine": {}}}, tmp_path / "img")
    goals = [line for line in text.splitlines() if "x datasketch recipe" in line]
    assert "0.200" in goals[0]
    assert "| met" in goals[0]
    assert "25% of the files real web pages" in goals[1]
    assert "3.000" in goals[1]
    assert "**not met**" in goals[1]
    assert "Ingestion is 90% of newsingest's wall time" in text
    assert "`html: trafilatura` 10" in text
    assert "title from" not in text
    assert "25 of them full web pages" in text
