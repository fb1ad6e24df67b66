"""Tests for HTML extraction: golden pages, the fast path's choices, metadata, limits."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsingest.config import ExtractConfig
from newsingest.errors import ExtractError
from newsingest.ingest.extract import extract_article
from newsingest.ingest.extract import html as html_extract
from newsingest.ingest.extract.html import MAX_HTML_CHARS, MAX_NESTING, _fast, extract_html
from newsingest.ingest.extract.html._meta import clean_title
from newsingest.records import Article, DecodedText, Decoding
from tests.ingest.extract.golden_html import as_golden, extract_page, golden_pages

UTF8 = Decoding(encoding="utf-8", method="utf-8", confidence=1.0)
PARA = (
    "The council met on Tuesday evening to discuss the budget for the coming year, "
    "and officials said the library would stay open on Sundays after all."
)


def doc(html: str) -> DecodedText:
    return DecodedText(id="page-1", path="page-1.html", format="html", text=html, decoding=UTF8)


def extract(html: str) -> Article:
    return extract_article(doc(html))


def page(body: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"


def no_trafilatura(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(html: str, notes: list[str]) -> None:
        notes.append("html: trafilatura unavailable (test)")

    monkeypatch.setattr(html_extract, "_run_trafilatura", refuse)


# ---------------------------------------------------------------- golden pages


@pytest.mark.parametrize("path", golden_pages(), ids=lambda p: p.name)
def test_golden_page(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    if any("trafilatura" in n for n in expected["notes"]):
        pytest.importorskip("trafilatura")
    assert as_golden(extract_page(path)) == expected


def test_golden_pages_cover_the_layouts() -> None:
    names = {p.stem for p in golden_pages()}
    assert {
        "news_jsonld",
        "opengraph_only",
        "no_metadata",
        "paywall_stub",
        "live_blog",
        "photo_gallery",
    } <= names


# ---------------------------------------------------------------- the fast path


def test_boilerplate_is_left_out_and_order_kept() -> None:
    body = (
        "<nav><ul><li><a href='/'>Home</a></li><li><a href='/n'>News</a></li></ul></nav>"
        "<div class='share-buttons'><a href='#'>Share this story on social media now</a></div>"
        f"<article><h2>Heading one</h2><p>{PARA}</p><ul><li>{PARA} One.</li></ul>"
        f"<blockquote>{PARA} Two.</blockquote></article>"
        "<div class='related-posts'><p>You may also like this other story about the budget "
        "of the council and its library, which is long enough to score.</p></div>"
        "<footer><p>Copyright 2024 The Daily Example, all rights reserved worldwide.</p></footer>"
    )
    article = extract(page(body))
    assert article.paragraphs == ("Heading one", PARA, PARA + " One.", PARA + " Two.")
    assert "html: fast" in article.notes


def test_split_article_is_kept_whole() -> None:
    sections = "".join(
        f"<div class='section'><div class='inner'><h2>Part {i}</h2><p>{PARA} {i}.</p></div></div>"
        for i in range(6)
    )
    article = extract(page(f"<div class='sidebar'><a href='/x'>Other story</a></div>{sections}"))
    assert len(article.paragraphs) == 12
    assert article.paragraphs[1] == PARA + " 0."
    assert article.paragraphs[-1] == PARA + " 5."


def test_text_in_divs_with_line_breaks_is_kept() -> None:
    body = f"<div class='entry'>{PARA}<br>{PARA} Again.<br><br>Last words of the article.</div>"
    article = extract(page(body))
    assert "Last words of the article." in article.body
    # The <br> separates words: none are glued together.
    assert "sundays.the" not in article.body.lower()


def test_hidden_and_scripts_are_never_text() -> None:
    body = (
        f"<article><p>{PARA}</p><p style='display:none'>{PARA} Hidden copy.</p>"
        f"<script>var x = 'not text';</script><p>{PARA} Visible.</p></article>"
    )
    article = extract(page(body))
    assert article.paragraphs == (PARA, PARA + " Visible.")


# The fast path's class judging, as plainly as it is described: searches of the class and
# id strings, each judged apart, then combined.
_PLAIN_NEGATIVE_RE = re.compile("|".join(map(re.escape, _fast._NEGATIVE_STEMS)))


def _plain_classify(words: str) -> tuple[bool, float]:
    text = words.lower()
    names = text.replace("-", " ").replace("_", " ").split()
    positive = _fast._POSITIVE_RE.search(text) is not None or bool(
        _fast._POSITIVE_WORDS & set(names)
    )
    negative = _PLAIN_NEGATIVE_RE.search(text) is not None or bool(
        _fast._NEGATIVE_WORDS & set(names)
    )
    hint = _fast._CONTENT_HINT_RE.search(text) is not None
    return not positive and negative, 0.4 if positive else (0.15 if hint else 0.0)


def _plain_judge(tag: str, cls: str | None, ident: str | None) -> tuple[bool, float]:
    neg_c, bonus_c = _plain_classify(cls) if cls else (False, 0.0)
    neg_i, bonus_i = _plain_classify(ident) if ident else (False, 0.0)
    bonus = max(bonus_c, bonus_i)
    return (neg_c or neg_i) and bonus < 0.4, bonus + _fast._STRUCTURAL_BONUS.get(tag, 1.0)


_NAME_PARTS = [
    *_fast._NEGATIVE_STEMS, *_fast._NEGATIVE_WORDS, *_fast._POSITIVE_WORDS, "post", "body",
    "text", "news", "entry", "Article", "AD", "x", "s", "lot", "-", "_", " ", "--", "\t", "é",
]  # fmt: skip
_CLASS_STRINGS = st.lists(st.sampled_from(_NAME_PARTS), max_size=8).map("".join)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["div", "article", "main", "section"]),
    st.none() | _CLASS_STRINGS,
    st.none() | _CLASS_STRINGS,
)
def test_class_names_are_judged_as_a_search_of_the_whole_strings(
    tag: str, cls: str | None, ident: str | None
) -> None:
    _fast._token_cache.clear()
    assert _fast._judge_names(tag, cls, ident) == _plain_judge(tag, cls, ident)
    # Again, from the names remembered.
    assert _fast._judge_names(tag, cls, ident) == _plain_judge(tag, cls, ident)


def test_the_stems_are_searched_as_a_list_of_words_would_be() -> None:
    stems = ["ab", "abc", "b-c", "bcd", "c"]
    trie = re.compile(_fast._any_of(stems))
    plain = re.compile("|".join(map(re.escape, stems)))
    texts = ["", "a", "ab", "b-", "b-c", "xbcd", "ba", "abcd", "dd", "bb-cc"]
    assert [trie.search(t) is not None for t in texts] == [
        plain.search(t) is not None for t in texts
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(["<svg>", "<template>", "<math>", "<button>", "<noscript>",
                                 "<style>", "<iframe>", "<select>", "<textarea>", "</div>",
                                 "<div>", "<p>", "x", "<object>", "<canvas>", "</svg>"]),
                max_size=30).map("".join))  # fmt: skip
def test_never_text_elements_are_found_as_a_css_search_finds_them(markup: str) -> None:
    body = html_extract._parse(page(markup + "<script>1</script>")).body
    assert body is not None
    found = [n.mem_id for n in body.traverse() if n.tag_id in _fast._STRIPPED_TAG_IDS]
    assert found == [n.mem_id for n in body.css(", ".join(_fast._STRIPPED_TAGS))]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(["<div>", "</div>", "<p>", "</p>", "<li>", "<ul>", "</ul>",
                                 "<span>", "</span>", "<a>", "</a>", "<table><td>", "<nav>",
                                 "<custom-box>", "<!--c-->", PARA]),
                max_size=40).map("".join))  # fmt: skip
def test_the_walk_numbers_subtrees_in_document_order(markup: str) -> None:
    body = html_extract._parse(page(markup)).body
    assert body is not None
    walk = _fast.walk_tree(body)
    # The last element inside each subtree, from the parents alone.
    ends = list(range(len(walk.parents)))
    for i in range(len(walk.parents) - 1, 0, -1):
        ends[walk.parents[i]] = max(ends[walk.parents[i]], ends[i])
    assert walk.ends == ends
    assert [b.element for b in walk.blocks] == sorted(b.element for b in walk.blocks)


def test_a_wrapper_with_a_negative_class_still_holds_the_article() -> None:
    body = (
        "<div class='layout-with-sidebar'><div class='col'>"
        f"<h1>Title</h1><p>{PARA}</p><p>{PARA} More.</p><p>{PARA} End.</p>"
        "</div></div>"
    )
    article = extract(page(body))
    assert article.paragraphs == (PARA, PARA + " More.", PARA + " End.")


STORY = "Shares of the mill rose sharply on Monday after the takeover bid was announced."
OTHER = (
    "A different piece of writing, with commas, clauses, and asides, that fills a side "
    "column of the page, as columns of teasers, reviews and opinion often do."
)


def side_columns(count: int = 5) -> str:
    """Columns of running text and links that outscore a short story (no class marks them)."""
    links = "".join(
        f"<li><a href='/{k}'>Another headline worth a click, {k}</a></li>" for k in range(30)
    )
    return "".join(
        f"<section><div><div class='col{i}'>"
        + "".join(f"<p>{OTHER} {i}.{j}</p>" for j in range(6))
        + f"<ul>{links}</ul></div></div></section>"
        for i in range(count)
    )


def fail_on_trafilatura(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(html: str, notes: list[str]) -> str:
        raise AssertionError("trafilatura called on a page the fast path should be sure of")

    monkeypatch.setattr(html_extract, "_run_trafilatura", fail)


def test_short_story_holding_the_page_summary_is_sure(monkeypatch: pytest.MonkeyPatch) -> None:
    fail_on_trafilatura(monkeypatch)
    head = f'<meta property="og:description" content="{STORY[:60]}">'
    article = extract(page(f"<div class='story'><p>{STORY}</p></div>", head))
    assert article.paragraphs == (STORY,)
    assert article.notes[0] == "html: fast (the page's summary is in it)"


def test_short_story_right_after_the_headline_is_sure(monkeypatch: pytest.MonkeyPatch) -> None:
    fail_on_trafilatura(monkeypatch)
    head = "<title>Mill shares jump on takeover bid | The Example</title>"
    body = (
        f"<h1>Mill shares jump on takeover bid</h1><p>By A. Reporter</p><div><p>{STORY}</p></div>"
    )
    article = extract(page(body, head))
    assert article.paragraphs == (STORY,)
    assert article.notes[0] == "html: fast (it follows the headline)"


def test_the_page_summary_moves_the_choice_off_side_columns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fail_on_trafilatura(monkeypatch)
    head = f'<meta name="description" content="{STORY[:70]}...">'
    body = f"<div class='story'><p>{STORY}</p><p>{STORY} Again.</p></div>{side_columns()}"
    article = extract(page(body, head))
    assert article.paragraphs == (STORY, STORY + " Again.")
    assert article.notes[0] == "html: fast (moved to the block holding the page's summary)"


def test_unrelated_headline_and_summary_leave_the_page_unsure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []

    def fake(html: str, notes: list[str]) -> str:
        calls.append(html)
        return STORY

    monkeypatch.setattr(html_extract, "_run_trafilatura", fake)
    head = (
        "<title>Council keeps the library open</title>"
        '<meta property="og:description" content="The council voted to keep the library open.">'
    )
    body = f"<h1>Mill shares jump on takeover bid</h1><p>{STORY}</p>{side_columns()}"
    article = extract(page(body, head))
    assert len(calls) == 1
    assert article.notes[0] == "html: trafilatura fallback (no clear main block)"
    # A summary too short to be the article's own phrase anchors nothing either.
    calls.clear()
    head = '<meta property="og:description" content="Mill shares">'
    extract(page(f"<p>{STORY}</p>", head))
    assert len(calls) == 1


def test_date_line_is_removed_from_the_body_with_a_note() -> None:
    body = (
        "<article><h1>Storm hits coast</h1><p>August 03, 2016</p>"
        f"<p>{PARA}</p><p>{PARA} Two.</p></article>"
    )
    article = extract(page(body))
    assert article.paragraphs == (PARA, PARA + " Two.")
    assert [(d.text, d.reason) for d in article.dropped] == [("August 03, 2016", "date")]
    assert article.date is not None
    assert article.date.isoformat() == "2016-08-03"
    assert "html: date line removed from body" in article.notes
    assert "html: date from the date line" in article.notes


def test_unsure_page_goes_to_trafilatura(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def fake(html: str, notes: list[str]) -> str:
        calls.append(html)
        return "Text trafilatura found.\n\nSecond paragraph."

    monkeypatch.setattr(html_extract, "_run_trafilatura", fake)
    article = extract(page("<h1>Short</h1><p>Only a line.</p>"))
    assert len(calls) == 1
    assert article.paragraphs == ("Text trafilatura found.", "Second paragraph.")
    assert article.notes[0].startswith("html: trafilatura fallback (")


def test_sure_page_never_calls_trafilatura(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(html: str, notes: list[str]) -> str:
        raise AssertionError("trafilatura called on a clear page")

    monkeypatch.setattr(html_extract, "_run_trafilatura", fail)
    article = extract(page(f"<article><p>{PARA}</p><p>{PARA} Two.</p></article>"))
    assert article.notes[0] == "html: fast"


def test_paragraph_dump_is_last_and_description_after_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    no_trafilatura(monkeypatch)
    article = extract(page("<h1>Headline here</h1><p>First para text.</p><p>Second.</p>"))
    assert article.title == "Headline here"
    assert article.paragraphs == ("First para text.", "Second.")
    assert "html: trafilatura found no body, <p> fallback" in article.notes
    head = '<meta property="og:description" content="What the page is about.">'
    article = extract(page("<div id='app'></div>", head))
    assert article.paragraphs == ("What the page is about.",)
    assert "html: no <p> either, body from the page's description" in article.notes


def test_fast_path_alone_keeps_an_unsure_body(monkeypatch: pytest.MonkeyPatch) -> None:
    no_trafilatura(monkeypatch)
    article = extract_html(
        doc(page("<p>Only a short line of text here.</p>")), ExtractConfig(), fallback=False
    )
    assert article.paragraphs == ("Only a short line of text here.",)
    assert article.notes[0].startswith("html: fast, unsure (")


# ---------------------------------------------------------------- metadata


def test_json_ld_graph_and_lists() -> None:
    head = (
        '<script type="application/ld+json">[{"@type":"BreadcrumbList"},'
        '{"@graph":[{"@type":"WebPage","name":"Page"},{"@type":["Thing","BlogPosting"],'
        '"headline":"Real headline","datePublished":"2020-02-29T10:00:00+01:00",'
        '"author":[{"name":"A. Writer"},"B. Writer",{"name":"https://x.example/a"}]}]}]'
        "</script><title>Other words entirely | Site</title>"
    )
    article = extract(page(f"<article><p>{PARA}</p><p>{PARA}</p></article>", head))
    assert article.title == "Real headline"
    assert article.date is not None
    assert article.date.isoformat() == "2020-02-29"
    assert article.date_raw == "2020-02-29T10:00:00+01:00"
    assert article.byline == "A. Writer, B. Writer"
    assert "html: title from json-ld" in article.notes
    assert "html: date from json-ld" in article.notes
    assert "html: byline from json-ld" in article.notes


def test_broken_json_ld_is_ignored() -> None:
    head = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": </script>'
        '<meta property="og:title" content="From OpenGraph">'
        '<meta property="article:published_time" content="2021-07-01">'
    )
    article = extract(page(f"<p>{PARA}</p><p>{PARA}</p>", head))
    assert article.title == "From OpenGraph"
    assert "html: title from meta og:title" in article.notes
    assert "html: date from meta article:published_time" in article.notes


def test_h1_preferred_when_metadata_title_is_rewritten() -> None:
    head = '<meta property="og:title" content="Budget vote: library stays open | City News">'
    body = f"<h1>Library stays open after budget vote</h1><article><p>{PARA}</p></article>"
    article = extract(page(body, head))
    assert article.title == "Library stays open after budget vote"
    assert "html: title from <h1> (near meta og:title)" in article.notes


def test_time_element_gives_the_date() -> None:
    body = (
        "<article><h1>Headline</h1><time datetime='2019-05-06T08:00:00Z'>Monday</time>"
        f"<p>{PARA}</p></article>"
    )
    article = extract(page(body))
    assert article.date is not None
    assert article.date.isoformat() == "2019-05-06"
    assert "html: date from <time datetime>" in article.notes


ARTICLE = "".join(f"<p>{PARA}</p>" for _ in range(4))


def _date_of(article: Article) -> str | None:
    return article.date.isoformat() if article.date is not None else None


def _ld(date: str) -> str:
    data = {"@type": "NewsArticle", "headline": "Library stays open", "datePublished": date}
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def test_a_date_split_from_its_label_is_read() -> None:
    # "Published" and the date in two elements: their texts must not join.
    body = (
        "<h1>Library stays open</h1>" + "<div><div></div></div>" * 4 + f"<article>{ARTICLE}"
        "<div class='dateline'><span>Published</span><span>Feb 2, 2023</span></div></article>"
    )
    article = extract(page(body))
    assert _date_of(article) == "2023-02-02"
    assert "html: date from a date element's text" in article.notes


@pytest.mark.parametrize("name", ["published-date", "w-published-date", "published"])
def test_publication_meta_tags_by_other_names(name: str) -> None:
    head = f'<meta name="{name}" content="2021-02-16">'
    article = extract(page(f"<article>{ARTICLE}</article>", head))
    assert _date_of(article) == "2021-02-16"
    assert f"html: date from meta {name}" in article.notes


def test_a_json_ld_date_not_in_iso_form_yields_to_the_headline_date() -> None:
    body = (
        "<article><header><h1>Library stays open</h1><span>By Ann Lee, August 25, 2024</span>"
        f"</header>{ARTICLE}</article>"
    )
    article = extract(page(body, _ld("Jun 24, 2025")))
    assert _date_of(article) == "2024-08-25"
    assert "html: date from the text by the <h1>" in article.notes
    # An ISO 8601 one is the publisher's field: it stays.
    article = extract(page(body, _ld("2025-06-24T10:00:00Z")))
    assert _date_of(article) == "2025-06-24"
    assert "html: date from json-ld" in article.notes


def test_a_json_ld_date_not_in_iso_form_is_kept_without_a_printed_one() -> None:
    body = f"<article><h1>Library stays open</h1>{ARTICLE}</article>"
    article = extract(page(body, _ld("Jun 24, 2025")))
    assert _date_of(article) == "2025-06-24"
    assert "html: date from json-ld (not ISO 8601)" in article.notes


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2025-12-19T02:41:41+00:00", "2025-12-18"),  # a day off: another time zone
        ("2025-12-17T22:00:00-05:00", "2025-12-18"),
        ("2025-12-18T09:00:00+00:00", "2025-12-18"),
        ("2025-12-21T09:00:00+00:00", "2025-12-21"),  # further off: another date, kept
    ],
)
def test_the_url_date_settles_a_time_zone_shift(stamp: str, expected: str) -> None:
    head = (
        '<meta property="og:url" content="https://example.org/2025/12/18/library-open/">'
        f'<meta property="article:published_time" content="{stamp}">'
    )
    article = extract(page(f"<article>{ARTICLE}</article>", head))
    assert _date_of(article) == expected


def test_the_url_date_when_the_metadata_has_none() -> None:
    head = '<link rel="canonical" href="https://example.org/2016/08/03/library-open/">'
    article = extract(page(f"<article>{ARTICLE}</article>", head))
    assert _date_of(article) == "2016-08-03"
    assert "html: date from the page's URL" in article.notes


def test_headline_date_is_read_by_the_h1_showing_the_title() -> None:
    # The first <h1> is the site's logo; the date sits by the second, the headline's.
    body = (
        "<div><h1>City News</h1></div>"
        "<main><div><h1>Library stays open after budget vote</h1>"
        f"<div>By Ann Lee, March 4, 2024</div></div>{ARTICLE}</main>"
    )
    head = '<meta property="og:title" content="Library stays open after budget vote">'
    article = extract(page(body, head))
    assert _date_of(article) == "2024-03-04"
    assert "html: date from the text by the <h1>" in article.notes


def test_a_date_line_beats_the_last_change() -> None:
    head = '<meta property="article:modified_time" content="2026-01-10T10:00:00Z">'
    article = extract(page(f"<article><h1>Headline</h1><p>August 03, 2016</p>{ARTICLE}</article>",
                           head))  # fmt: skip
    assert _date_of(article) == "2016-08-03"
    assert "html: date from the date line" in article.notes


def test_a_labelled_date_below_the_article_beats_the_last_change() -> None:
    body = (
        f"<article><h1>Headline</h1>{ARTICLE * 4}"
        "<div class='end'>Posted on the 15/12/2025 at 19:00 by the editor</div></article>"
    )
    head = '<meta property="article:modified_time" content="2026-01-10T10:00:00Z">'
    article = extract(page(body, head))
    assert _date_of(article) == "2025-12-15"
    assert "html: date from a labelled date in the page's text" in article.notes
    # Without the label, the last change is all there is.
    article = extract(page(body.replace("Posted on the", "See"), head))
    assert _date_of(article) == "2026-01-10"
    assert "html: date from meta article:modified_time" in article.notes


@pytest.mark.parametrize(
    ("title", "sites", "expected"),
    [
        (
            "Harbour expansion approved | Coastal Times",
            ["Coastal Times"],
            "Harbour expansion approved",
        ),
        (
            "Coastal Times - Harbour expansion approved",
            ["Coastal Times"],
            "Harbour expansion approved",
        ),
        ("Harbour expansion approved – Coastal Times", [], "Harbour expansion approved"),
        ("Harbour expansion approved :: News :: Coastal Times", [], "Harbour expansion approved"),
        ("Left - right: a debate that never ends", [], "Left - right: a debate that never ends"),
        ("A headline with no site name", ["Site"], "A headline with no site name"),
    ],
)
def test_clean_title(title: str, sites: list[str], expected: str) -> None:
    assert clean_title(title, sites) == expected


# ---------------------------------------------------------------- limits and bad input


def test_deep_nesting_is_refused_quickly() -> None:
    deep = "<div>" * 1_000_000 + "<p>text</p>" + "</div>" * 1_000_000
    with pytest.raises(ExtractError, match="nests elements more than"):
        extract(page(deep))


def test_stray_end_tags_do_not_hide_deep_nesting() -> None:
    deep = "<div></span>" * (MAX_NESTING + 1) + "<p>text</p>"
    with pytest.raises(ExtractError, match="nests elements more than"):
        extract(page(deep))


def test_nesting_at_the_limit_is_extracted() -> None:
    depth = MAX_NESTING - 10
    html = page("<div>" * depth + f"<p>{PARA}</p><p>{PARA}</p>" + "</div>" * depth)
    article = extract(html)
    assert article.paragraphs == (PARA, PARA)


def test_many_unclosed_paragraphs_are_not_nesting() -> None:
    html = page("<div>" + f"<p>{PARA}" * (MAX_NESTING + 100) + "</div>")
    article = extract(html)
    assert len(article.paragraphs) == MAX_NESTING + 100


def test_page_over_the_size_limit_is_refused() -> None:
    html = page("<p>" + "x" * (MAX_HTML_CHARS + 1) + "</p>")
    with pytest.raises(ExtractError, match="more than the"):
        extract(html)


def test_big_page_within_the_limit_is_extracted() -> None:
    paragraphs = f"<p>{PARA}</p>" * 40_000  # about 7 MB
    article = extract(page(f"<nav><a href='/'>Home</a></nav><article>{paragraphs}</article>"))
    assert len(article.paragraphs) == 40_000


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise_other_errors(data: bytes) -> None:
    with contextlib.suppress(ExtractError):
        extract(data.decode("utf-8", errors="surrogateescape"))


TAGS = ["<p>", "</p>", "<div>", "</div>", "<h1>", "</h1>", "<li>", "<ul>", "<a href=x>", "</a>"]
TAGS += ["<article>", "<nav>", "</nav>", "<script>", "</script>", "<br>", "<table><td>", "<!--"]
TAGS += ['<script type="application/ld+json">{"@type":"NewsArticle","headline":"H"}</script>']
TAGS += ["<time datetime='2020-01-02'>", "<meta property='og:title' content='T'>", "&amp;"]
TAGS += ["<div class='share'>", "<div hidden>", "<title>", "</title>", "<", ">", "\x00"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from([*TAGS, PARA, "word words"]), max_size=60).map("".join)
    | st.text(max_size=400)
)
def test_arbitrary_markup_never_raises_other_errors(html: str) -> None:
    try:
        article = extract(html)
    except ExtractError:
        return
    # The body may be empty only when its one paragraph was the title.
    assert article.paragraphs or "no body" in article.notes
    assert all(p.strip() for p in article.paragraphs)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=1, max_value=3000), st.sampled_from(["div", "span", "b", "li"]))
def test_arbitrary_nesting_never_raises_other_errors(depth: int, tag: str) -> None:
    html = page(f"<{tag}>" * depth + PARA + f"</{tag}>" * depth)
    try:
        article = extract(html)
    except ExtractError:
        return
    assert PARA in article.body
