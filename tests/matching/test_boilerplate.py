from __future__ import annotations

import json
import random
import re
import unicodedata
from collections.abc import Iterable

import attrs
import numpy as np
import pytest
import xxhash
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsingest.config import BoilerplateConfig
from newsingest.matching._kernels import xxh64
from newsingest.matching.boilerplate import (
    ALL_BOILERPLATE_NOTE,
    BoilerplateModel,
    boilerplate_keys,
    distinct_keys,
    drop_paragraphs,
    key_paragraph_groups,
    key_paragraphs,
    learn_boilerplate,
    line_key,
    normalize_line,
    strip_boilerplate,
    stripped_text,
)
from newsingest.records import Article, Decoding, DroppedLine

UTF8 = Decoding(encoding="utf-8", method="utf-8", confidence=1.0)


# --- fixture factories -------------------------------------------------------------------


class Words:
    """Invented words and sentences from a seeded generator: every paragraph is distinct."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def word(self) -> str:
        syllables = ["ka", "lo", "mi", "tre", "sun", "bar", "vel", "or", "qui", "dan", "ep"]
        return "".join(self.rng.choice(syllables) for _ in range(self.rng.randint(1, 4)))

    def text(self, n_words: int) -> str:
        words = [self.word() for _ in range(n_words)]
        words[0] = words[0].capitalize()
        return " ".join(words) + "."

    def paragraph(self, low: int = 25, high: int = 45) -> str:
        return self.text(self.rng.randint(low, high))


@attrs.frozen
class Story:
    title: str
    paragraphs: tuple[str, ...]


@attrs.frozen
class Outlet:
    name: str
    header: tuple[str, ...]
    footer: tuple[str, ...]

    def publish(self, story: Story, doc_id: str) -> Article:
        return make_article(doc_id, story.title, (*self.header, *story.paragraphs, *self.footer))


def make_article(doc_id: str, title: str | None, paragraphs: Iterable[str]) -> Article:
    return Article(
        id=doc_id,
        path=doc_id,
        format="text",
        title=title,
        paragraphs=tuple(paragraphs),
        decoding=UTF8,
    )


def make_story(words: Words, n_paragraphs: int = 5) -> Story:
    return Story(
        title=words.text(8), paragraphs=tuple(words.paragraph() for _ in range(n_paragraphs))
    )


def make_outlet(words: Words, name: str, header_lines: int = 1, footer_lines: int = 2) -> Outlet:
    header = tuple(f"Join the {name} channel: " + words.text(8) for _ in range(header_lines))
    footer = tuple(f"{name} " + words.text(10) for _ in range(footer_lines))
    return Outlet(name=name, header=header, footer=footer)


def outlets_corpus(seed: int = 1) -> tuple[list[Article], list[Outlet], list[Story]]:
    """Case 1: 5 outlets, 10 distinct stories each, each with a header and a 2-line footer."""
    words = Words(seed)
    outlets = [make_outlet(words, f"outlet{i}") for i in range(5)]
    stories: list[Story] = []
    articles: list[Article] = []
    for outlet in outlets:
        for j in range(10):
            story = make_story(words)
            stories.append(story)
            articles.append(outlet.publish(story, f"{outlet.name}/{j}"))
    return articles, outlets, stories


def syndicated_corpus(seed: int = 2) -> tuple[list[Article], list[Outlet], Story, list[Story]]:
    """Case 2: one story syndicated by 10 outlets, each also with 5 stories of its own."""
    words = Words(seed)
    wire = make_story(words, n_paragraphs=6)
    outlets = [make_outlet(words, f"synd{i}") for i in range(10)]
    own: list[Story] = []
    articles: list[Article] = []
    for outlet in outlets:
        articles.append(outlet.publish(wire, f"{outlet.name}/wire"))
        for j in range(5):
            story = make_story(words)
            own.append(story)
            articles.append(outlet.publish(story, f"{outlet.name}/{j}"))
    return articles, outlets, wire, own


def single_outlet_copies(seed: int = 3) -> tuple[list[Article], Story, list[str]]:
    """Case 3: 10 copies of one story, each from an outlet seen only once, own one-line header."""
    words = Words(seed)
    wire = make_story(words, n_paragraphs=6)
    headers = [f"From the once{i} desk: " + words.text(8) for i in range(10)]
    articles = [
        make_article(f"once{i}/wire", wire.title, (headers[i], *wire.paragraphs)) for i in range(10)
    ]
    return articles, wire, headers


def briefs_corpus(seed: int = 4) -> tuple[list[Article], list[str], tuple[str, ...]]:
    """Case 4: 20 short distinct briefs sharing one 4-paragraph, ~150-word disclaimer."""
    words = Words(seed)
    disclaimer = tuple(
        "The views expressed " + words.text(34) for _ in range(4)
    )  # 4 x 37 = ~150 words
    briefs = [words.paragraph(30, 40) for _ in range(20)]
    articles = [
        make_article(f"briefs/{i}", words.text(6), (brief, *disclaimer))
        for i, brief in enumerate(briefs)
    ]
    return articles, briefs, disclaimer


def earnings_corpus(seed: int = 6) -> tuple[list[Article], str]:
    """Case 6: templated earnings reports (quarter and year) that differ by their figures."""
    rng = random.Random(seed)
    note = "Note: results restated to reflect the two-for-one stock split."
    articles = []
    for i in range(30):
        lines = []
        for period in ("Qtr", "Year"):
            lines += [
                f"{period} shr {rng.randint(1, 300) / 100:.2f} vs {rng.randint(1, 300) / 100:.2f}",
                f"Net {rng.randint(1, 900) / 10:.1f} mln vs {rng.randint(1, 900) / 10:.1f} mln",
                f"Revs {rng.randint(10, 900)} mln vs {rng.randint(10, 900)} mln",
            ]
        if i % 3 == 0:
            lines.append(note)
        articles.append(make_article(f"earn/{i}", f"COMPANY {i} RESULTS", lines))
    return articles, note


def mixed_corpus() -> list[Article]:
    return [
        *outlets_corpus()[0],
        *syndicated_corpus()[0],
        *single_outlet_copies()[0],
        *briefs_corpus()[0],
        *earnings_corpus()[0],
    ]


def flagged(model: BoilerplateModel, lines: Iterable[str]) -> list[str]:
    return [line for line in lines if model.is_boilerplate(line)]


# --- line keys -----------------------------------------------------------------------------


def test_line_key_ignores_case_punctuation_and_spacing_but_keeps_digits() -> None:
    assert line_key("Share  this article!") == line_key("share this ARTICLE")
    assert line_key("Shr 1.20 dlrs") != line_key("Shr 1.10 dlrs")
    assert normalize_line("  (Reporting by A. Smith; Editing by B.) ") == (
        "reporting by a smith editing by b"
    )


def test_line_key_is_pinned() -> None:
    # A change of normalisation or hash invalidates stored models: never silently.
    key = line_key("Join our Telegram channel!")
    assert key == line_key("join our telegram channel")
    assert -(2**63) <= key < 2**63
    assert key == GOLDEN_KEY


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127)) | st.text(max_size=30))
def test_ascii_fast_path_matches_the_unicode_rule(text: str) -> None:
    reference = re.sub(r"[\W_]+", " ", unicodedata.normalize("NFKC", text).casefold()).strip()
    assert normalize_line(text) == reference


# XXH64 (seed 0) of b"join our telegram channel", as a signed 64-bit integer.
GOLDEN_KEY = 3621571235757235572


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_the_kernel_hash_is_xxh64(data: bytes) -> None:
    padded = np.frombuffer(b"\xff" + data + b"\xff", dtype=np.uint8)
    assert int(xxh64(padded, 1, 1 + len(data))) == xxhash.xxh64_intdigest(data)


def reference_line(text: str) -> str:
    return re.sub(r"[\W_]+", " ", unicodedata.normalize("NFKC", text).casefold()).strip()


def test_plain_separators_never_compose_with_ascii_neighbours() -> None:
    from newsingest.matching import boilerplate  # noqa: PLC0415

    separators = boilerplate._PLAIN_SEPARATORS
    assert set("\u2019\u201c\xa0") <= set(separators)
    for sep in separators:
        for ascii_char in map(chr, range(128)):
            text = f"{ascii_char}{sep}{ascii_char}"
            assert normalize_line(text) == reference_line(text), (hex(ord(sep)), ascii_char)


mixed_text = st.text(
    alphabet=st.sampled_from(
        "aZ9_ .,\t\n\0-'\u2019\u201c\u201d\xa0\u2014\u2026\u0301\xe9\u00a8\u2122\xb2"
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(mixed_text | st.text(max_size=40))
def test_line_key_is_xxh64_of_the_normal_form(text: str) -> None:
    normal = normalize_line(text).encode("utf-8")
    assert line_key(text) == _signed(xxhash.xxh64_intdigest(normal))


@settings(max_examples=150, deadline=None)
@given(st.lists(mixed_text | st.text(max_size=20), max_size=8))
def test_key_paragraphs_equals_line_key_per_paragraph(paragraphs: list[str]) -> None:
    keyed = key_paragraphs(paragraphs)
    assert keyed.shape == (2, len(paragraphs))
    for i, paragraph in enumerate(paragraphs):
        normal = reference_line(paragraph)
        assert normalize_line(paragraph) == normal
        assert keyed[0, i] == line_key(paragraph)
        assert keyed[1, i] == (len(normal.split(" ")) if normal else 0)


def test_key_paragraphs_of_nothing_is_empty() -> None:
    assert key_paragraphs(()).shape == (2, 0)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(mixed_text | st.text(max_size=20), max_size=5), max_size=6))
def test_key_paragraph_groups_equals_key_paragraphs_per_group(groups: list[list[str]]) -> None:
    flat, lengths = key_paragraph_groups(groups)
    assert lengths.tolist() == [len(g) for g in groups]
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    for i, group in enumerate(groups):
        part = flat[:, offsets[i] : offsets[i + 1]]
        assert np.array_equal(part, key_paragraphs(group).reshape(2, -1))


# --- the corpus cases ----------------------------------------------------------------------


def test_outlet_headers_and_footers_are_boilerplate() -> None:
    articles, outlets, stories = outlets_corpus()
    model = learn_boilerplate(articles)
    for outlet in outlets:
        assert flagged(model, outlet.header + outlet.footer) == [*outlet.header, *outlet.footer]
    assert flagged(model, [p for s in stories for p in s.paragraphs]) == []


def test_syndicated_story_is_kept_while_outlet_lines_go() -> None:
    articles, outlets, wire, own = syndicated_corpus()
    model = learn_boilerplate(articles)
    assert flagged(model, wire.paragraphs) == []
    assert all(line_key(p) in model.df for p in wire.paragraphs)  # a candidate, decided: kept
    assert flagged(model, [p for s in own for p in s.paragraphs]) == []
    for outlet in outlets:
        assert flagged(model, outlet.header + outlet.footer) == [*outlet.header, *outlet.footer]
    assert model.explain(wire.paragraphs[0]).startswith("kept")
    assert model.explain(outlets[0].header[0]).startswith("boilerplate")


def test_syndicated_story_from_single_appearance_outlets_is_kept() -> None:
    articles, wire, headers = single_outlet_copies()
    model = learn_boilerplate(articles)
    assert flagged(model, [*wire.paragraphs, *headers]) == []
    assert model.boilerplate == frozenset()
    assert strip_boilerplate(articles[0], model) == articles[0]


def test_shared_disclaimer_of_short_briefs_is_boilerplate() -> None:
    articles, briefs, disclaimer = briefs_corpus()
    assert sum(len(normalize_line(p).split()) for p in disclaimer) >= 140
    model = learn_boilerplate(articles)
    assert flagged(model, disclaimer) == list(disclaimer)
    assert flagged(model, briefs) == []
    stripped = strip_boilerplate(articles[0], model)
    assert stripped.paragraphs == (briefs[0],)
    assert stripped.dropped == tuple(DroppedLine(text=p, reason="boilerplate") for p in disclaimer)


def test_mixed_corpus_gives_the_same_verdicts() -> None:
    model = learn_boilerplate(mixed_corpus())
    _, outlets, stories = outlets_corpus()
    _, synd_outlets, wire, own = syndicated_corpus()
    _, once_wire, _ = single_outlet_copies()
    _, briefs, disclaimer = briefs_corpus()
    for outlet in [*outlets, *synd_outlets]:
        assert flagged(model, outlet.header + outlet.footer) == [*outlet.header, *outlet.footer]
    story_lines = [p for s in [*stories, *own, wire, once_wire] for p in s.paragraphs]
    assert flagged(model, story_lines) == []
    assert flagged(model, disclaimer) == list(disclaimer)
    assert flagged(model, briefs) == []


def test_templated_reports_are_not_boilerplate() -> None:
    articles, note = earnings_corpus()
    model = learn_boilerplate(articles)
    assert flagged(model, [p for a in articles for p in a.paragraphs]) == [note] * 10
    # The note is shared by different reports (their figures differ): it goes, which
    # makes the reports look less alike, never more.
    stripped = strip_boilerplate(articles[0], model)
    assert stripped.paragraphs == articles[0].paragraphs[:-1]


def test_same_story_from_one_outlet_twice_does_not_make_it_boilerplate() -> None:
    words = Words(7)
    outlet = make_outlet(words, "dup")
    story = make_story(words)
    articles = [outlet.publish(story, f"dup/{i}") for i in range(4)]
    model = learn_boilerplate(articles)
    # Every line is in every document: nothing tells the header from the story.
    assert flagged(model, story.paragraphs) == []


# --- strip -------------------------------------------------------------------------------


def test_strip_keeps_order_title_and_records_drops() -> None:
    articles, outlets, _ = outlets_corpus()
    model = learn_boilerplate(articles)
    article = articles[3]
    stripped = strip_boilerplate(article, model)
    assert stripped.title == article.title
    assert stripped.paragraphs == article.paragraphs[1:-2]
    assert [d.text for d in stripped.dropped] == [*outlets[0].header, *outlets[0].footer]
    assert {d.reason for d in stripped.dropped} == {"boilerplate"}


def test_article_made_only_of_boilerplate_keeps_its_body() -> None:
    articles, _, disclaimer = briefs_corpus()
    model = learn_boilerplate(articles)
    only = make_article("only", "Disclaimer", disclaimer)
    stripped = strip_boilerplate(only, model)
    assert stripped.paragraphs == disclaimer
    assert stripped.notes == (ALL_BOILERPLATE_NOTE,)
    assert strip_boilerplate(stripped, model) == stripped


def test_disabled_config_learns_nothing() -> None:
    model = learn_boilerplate(outlets_corpus()[0], BoilerplateConfig(enabled=False))
    assert model.boilerplate == frozenset()
    assert learn_boilerplate([]).boilerplate == frozenset()


def test_max_line_words_protects_long_paragraphs() -> None:
    articles, _, disclaimer = briefs_corpus()
    model = learn_boilerplate(articles, BoilerplateConfig(max_line_words=20))
    assert flagged(model, disclaimer) == []


def test_model_round_trips_through_json() -> None:
    model = learn_boilerplate(mixed_corpus())
    data = json.loads(json.dumps(model.to_dict()))
    again = BoilerplateModel.from_dict(data)
    assert again == model
    assert again.boilerplate == model.boilerplate


def test_model_from_another_scheme_is_refused() -> None:
    data = learn_boilerplate(briefs_corpus()[0]).to_dict()
    data["scheme"] = "line-key-v0"
    with pytest.raises(ValueError, match="learn the model again"):
        BoilerplateModel.from_dict(data)


# --- properties ----------------------------------------------------------------------------

MIXED = mixed_corpus()
MIXED_MODEL = learn_boilerplate(MIXED)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_model_does_not_depend_on_article_order(rnd: random.Random) -> None:
    shuffled = list(MIXED)
    rnd.shuffle(shuffled)
    assert learn_boilerplate(shuffled) == MIXED_MODEL


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(MIXED))
def test_strip_is_idempotent_and_keeps_title(article: Article) -> None:
    once = strip_boilerplate(article, MIXED_MODEL)
    assert once.title == article.title
    assert strip_boilerplate(once, MIXED_MODEL) == once
    assert len(once.paragraphs) + len(once.dropped) == len(article.paragraphs)
    assert once.paragraphs


short_text = st.text(st.sampled_from("ab .!1"), min_size=0, max_size=12)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["t", None]), st.lists(short_text, max_size=5)),
        max_size=12,
    )
)
def test_random_corpora_strip_safely_and_round_trip(
    docs: list[tuple[str | None, list[str]]],
) -> None:
    articles = [make_article(f"d{i}", t, ps) for i, (t, ps) in enumerate(docs)]
    model = learn_boilerplate(articles, BoilerplateConfig(min_docs=2))
    assert BoilerplateModel.from_dict(model.to_dict()) == model
    assert learn_boilerplate(reversed(articles), BoilerplateConfig(min_docs=2)) == model
    for article in articles:
        once = strip_boilerplate(article, model)
        assert once.title == article.title
        assert strip_boilerplate(once, model) == once
        assert bool(once.paragraphs) == bool(article.paragraphs)


# --- the decision in blocks --------------------------------------------------------------

small_corpus = st.tuples(
    # Each document's distinct keys, from a small alphabet so that keys are shared.
    st.lists(st.lists(st.integers(0, 24), min_size=1, max_size=7, unique=True), max_size=40),
    # Each key's word count: headers are short, story paragraphs long.
    st.lists(st.sampled_from([1, 3, 8, 15, 25, 40, 90]), min_size=25, max_size=25),
)


def decide(docs: list[list[int]], words: list[int], **kw: int) -> list[int]:
    flat = [k for doc in docs for k in doc]
    keys = np.asarray(flat, dtype=np.int64)
    counts = np.asarray([words[k] for k in flat], dtype=np.int64)
    lengths = np.asarray([len(doc) for doc in docs], dtype=np.int64)
    return boilerplate_keys(keys, counts, lengths, BoilerplateConfig(min_docs=2), **kw).tolist()


@settings(max_examples=200, deadline=None)
@given(small_corpus, st.sampled_from([1, 2, 5, 13, 40]))
def test_decision_in_blocks_equals_one_block(
    corpus: tuple[list[list[int]], list[int]], block_triples: int
) -> None:
    # A limit below one group's rows splits that group: counted in runs, then judged.
    docs, words = corpus
    assert decide(docs, words, block_triples=block_triples) == decide(
        docs, words, block_triples=1 << 40
    )


def test_decision_in_tiny_blocks_on_outlets_and_syndication() -> None:
    articles = mixed_corpus()
    flat, lengths = key_paragraph_groups([a.paragraphs for a in articles])
    keys, counts = distinct_keys(flat, lengths)
    whole = boilerplate_keys(keys[0], keys[1], counts, block_triples=1 << 40)
    assert whole.size  # the outlets' lines
    for limit in (1, 3, 50, 400):
        assert np.array_equal(
            boilerplate_keys(keys[0], keys[1], counts, block_triples=limit), whole
        )


def test_truncated_syndicated_copies_are_kept() -> None:
    words = Words(8)
    wire = make_story(words, n_paragraphs=6)
    articles: list[Article] = []
    for i in range(10):
        outlet = make_outlet(words, f"trunc{i}")
        cut = 6 if i < 4 else 3
        short = Story(title=wire.title, paragraphs=wire.paragraphs[:cut])
        articles.append(outlet.publish(short, f"{outlet.name}/wire"))
        articles += [outlet.publish(make_story(words), f"{outlet.name}/{j}") for j in range(4)]
    model = learn_boilerplate(articles)
    assert flagged(model, wire.paragraphs) == []


def test_longer_unique_headers_on_a_long_syndicated_story_are_not_enough() -> None:
    # Two unique lines (~26 words) per copy are above min_own_words but small
    # next to the 8-paragraph story (min_own_ratio): still one story.
    words = Words(9)
    wire = make_story(words, n_paragraphs=8)
    articles = [
        make_article(f"u{i}", wire.title, (words.text(13), *wire.paragraphs, words.text(13)))
        for i in range(10)
    ]
    model = learn_boilerplate(articles)
    assert model.boilerplate == frozenset()


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(st.none(), st.sampled_from(["", "A title"])),
    st.lists(
        st.tuples(st.sampled_from(["One.", "Two words", "Shared footer", "x"]), st.booleans()),
        max_size=6,
    ),
)
def test_stripped_text_is_the_text_of_the_stripped_article(
    title: str | None, marked: list[tuple[str, bool]]
) -> None:
    article = make_article("a", title, [p for p, _ in marked])
    hits = [hit for _, hit in marked][: len(article.paragraphs)]
    hits += [False] * (len(article.paragraphs) - len(hits))
    assert stripped_text(article, hits) == drop_paragraphs(article, hits).text


def test_paragraph_hits_flags_only_documents_with_boilerplate() -> None:
    from newsingest.matching.boilerplate import paragraph_hits  # noqa: PLC0415

    keys = np.array([7, 1, 2, 3, 7, 9], dtype=np.int64)  # documents of 2, 0, 1 and 3 keys
    lengths = np.array([2, 0, 1, 3], dtype=np.int64)
    hits = paragraph_hits(keys, lengths, np.array([7, 9], dtype=np.int64))
    assert hits == {0: [True, False], 3: [False, True, True]}
    assert paragraph_hits(keys, lengths, np.empty(0, dtype=np.int64)) == {}
