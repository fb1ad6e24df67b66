"""Tests for newsingest.matching.shingle: simplification, tokens, shingles, spans."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsingest.config import FingerprintConfig
from newsingest.matching import shingle
from newsingest.matching.shingle import (
    DEFAULT_CONFIG,
    ShingledText,
    char_classes,
    find_shared_passages,
    find_shared_spans,
    iter_shingle_ranges,
    iter_shingles,
    shingle_set,
    shingle_text,
    simplify_text,
    simplify_tokens,
    token_spans,
)
from tests import strategies

CFG = FingerprintConfig()

news_text = strategies.news_text(60)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("“Don’t” — he said…\nTwice!", "don t he said twice"),
        ('"Don\'t" - he said...\n\nTwice!', "don t he said twice"),
        ("con\u00adtent zero\u200bwidth", "content zerowidth"),
        ("Ａｂｃ　１２３", "abc 123"),
        ("Straße", "strasse"),
        ("北京时间3月15日，iPhone", "北 京 时 间 3 月 15 日 iphone"),
        ("ภาษาไทย", "ภ า ษ า ไ ท ย"),
        ("ที่", "ที่"),
        ("", ""),
        ("  \n\t ", ""),
        ("Profit rose 76% to $1.13bn", "profit rose 76 to 1 13bn"),
    ],
)
def test_simplify_text(text: str, expected: str) -> None:
    assert simplify_text(text) == expected


@given(st.text())
@settings(max_examples=150)
def test_simplify_is_idempotent_and_normalisation_blind(text: str) -> None:
    simple = simplify_text(text)
    assert simplify_text(simple) == simple
    assert simplify_text(unicodedata.normalize("NFD", text)) == simplify_text(
        unicodedata.normalize("NFC", text)
    )
    assert "  " not in simple
    assert simple == simple.strip()


@given(news_text)
@settings(max_examples=100)
def test_rewrapping_and_typography_vanish(text: str) -> None:
    variant = (
        text.replace(" ", "\n", 3)
        .replace(" ", "  ", 2)
        .replace("’", "'")
        .replace("“", '"')
        .replace("—", "-")
        .replace("…", "...")
    )
    assert simplify_text(variant) == simplify_text(text)


def test_short_text_is_one_shingle() -> None:
    assert list(iter_shingles("Three words only", CFG)) == ["three words only"]
    assert shingle_set("", CFG) == set()
    assert shingle_set("...", CFG) == set()


def test_shingle_windows_by_script() -> None:
    words = "one two three four five six"
    assert list(iter_shingles(words, CFG)) == ["one two three four five", "two three four five six"]
    assert list(iter_shingles("北京时间", CFG)) == ["北 京 时", "京 时 间"]
    thai = list(iter_shingles("ภาษาไทยดี", CFG))
    assert thai == ["ภ า ษ า ไ ท", "า ษ า ไ ท ย", "ษ า ไ ท ย ดี"]


def test_digits_are_kept() -> None:
    a = "Acme reported revenue of 120 million dollars in the third quarter of 2023"
    b = "Acme reported revenue of 135 million dollars in the third quarter of 2024"
    assert shingle_set(a, CFG) != shingle_set(b, CFG)


def test_distinct_chinese_articles_share_little() -> None:
    a = "国务院总理今天在北京会见了来访的法国外交部长，双方就经贸合作交换了意见。"
    b = "上海证券交易所今日收盘，科技股普遍上涨，成交量较上周明显放大。"
    sa, sb = shingle_set(a, CFG), shingle_set(b, CFG)
    assert len(sa & sb) / len(sa | sb) < 0.05
    assert shingle_set(a + "（新华社）", CFG) >= sa


@given(news_text)
@settings(max_examples=100)
def test_token_spans_map_back(text: str) -> None:
    tokens = simplify_tokens(text)
    spans = token_spans(text)
    assert len(spans) == len(tokens)
    for token, (start, end) in zip(tokens, spans, strict=True):
        assert simplify_text(text[start:end]) == token


def test_find_shared_passages() -> None:
    shared = "the central bank raised interest rates by half a point on tuesday"
    a = "Markets fell sharply. " + shared + ". Analysts were surprised."
    b = "In other news, " + shared.upper() + "! More soon."
    passages = find_shared_passages(a, b, CFG)
    assert passages == [(a.index(shared), a.index(shared) + len(shared))]
    assert find_shared_passages(a, "nothing in common at all here", CFG) == []


def test_vectorised_class_table_equals_the_per_code_point_rule() -> None:
    from newsingest.matching import shingle  # noqa: PLC0415

    table = char_classes()
    assert not table.flags.writeable
    for lo, hi in shingle._CLASSIFIED_PLANES:
        expected = np.array([shingle._classify(cp) for cp in range(lo, hi)], dtype=np.uint8)
        mismatch = np.flatnonzero(table[lo:hi] != expected)
        assert mismatch.size == 0, [hex(lo + int(i)) for i in mismatch[:10]]
    assert (table[0x32400:0xE0000] == shingle.WORD).all()
    assert (table[0xE0200:] == shingle.WORD).all()


def test_token_spans_match_the_reference() -> None:
    samples = [
        "“Don’t” — he said…\nTwice!",
        "con\u00adtent and ½ cup, ﬁne Ｆｕｌｌ",
        "Café naïve e\u0301lan",
        "東京で会議 and Thai ภาษาไทย mixed",
        "",
        "İstanbul straße",
    ]
    for text in samples:
        assert token_spans(text) == shingle._token_spans_by_character(text), text


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60))
def test_token_spans_match_the_reference_on_any_text(text: str) -> None:
    assert token_spans(text) == shingle._token_spans_by_character(text)


def _reference_ranges(tokens: list[str], config: FingerprintConfig) -> list[tuple[int, int]]:
    """The shingle windows by the definition: one per token whose window fits."""
    ends = [(i, i + shingle._window(t, config)) for i, t in enumerate(tokens)]
    fitting = [(a, b) for a, b in ends if b <= len(tokens)]
    return fitting or ([(0, len(tokens))] if tokens else [])


def _reference_passages(text: str, other: str, config: FingerprintConfig) -> list[tuple[int, int]]:
    """Shared passages by the definition, one character cluster at a time."""
    tokens, spans = simplify_tokens(text), shingle._token_spans_by_character(text)
    if len(spans) != len(tokens):
        return []
    theirs_tokens = simplify_tokens(other)
    theirs = {" ".join(theirs_tokens[a:b]) for a, b in _reference_ranges(theirs_tokens, config)}
    covered: list[tuple[int, int]] = []
    for a, b in _reference_ranges(tokens, config):
        if " ".join(tokens[a:b]) not in theirs:
            continue
        if covered and a <= covered[-1][1]:
            covered[-1] = (covered[-1][0], max(covered[-1][1], b))
        else:
            covered.append((a, b))
    return [(spans[a][0], spans[b - 1][1]) for a, b in covered]


WORDS = st.sampled_from(["alpha", "beta", "gamma", "délta", "—", "x\u00ady", "東", "ภา"])


@settings(max_examples=100, deadline=None)
@given(st.lists(WORDS, max_size=30), st.integers(1, 6))
def test_shingle_ranges_match_the_definition(words: list[str], size: int) -> None:
    config = FingerprintConfig(shingle_size=size, cjk_shingle_size=max(1, size - 2))
    tokens = simplify_tokens(" ".join(words))
    assert list(iter_shingle_ranges(tokens, config)) == _reference_ranges(tokens, config)


@settings(max_examples=60, deadline=None)
@given(st.lists(WORDS, max_size=30), st.lists(WORDS, max_size=30))
def test_shared_spans_match_find_shared_passages(a: list[str], b: list[str]) -> None:
    text, other = " ".join(a), " ".join(b)
    mine = shingle_text(text, DEFAULT_CONFIG)
    theirs = shingle_text(other, DEFAULT_CONFIG)
    assert find_shared_spans(mine, theirs) == find_shared_passages(text, other, DEFAULT_CONFIG)
    assert find_shared_spans(mine, theirs) == _reference_passages(text, other, DEFAULT_CONFIG)


@given(news_text)
@settings(max_examples=60)
def test_shingle_text_holds_the_shingle_set(text: str) -> None:
    shingled = shingle_text(text, CFG)
    assert shingled.shingles == shingle_set(text, CFG)
    assert [w[0] for w in shingled.windows] == (
        list(iter_shingles(text, CFG)) if shingled.spans else []
    )


def test_shingle_text_without_a_mapping_back_still_has_its_shingles(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = "the central bank raised interest rates on tuesday"
    monkeypatch.setattr(shingle, "token_spans", lambda _text: [])  # as if NFKC joined tokens
    shingled = shingle_text(text, CFG)
    assert shingled == ShingledText(
        windows=(), spans=(), shingles=frozenset(shingle_set(text, CFG))
    )
    assert find_shared_spans(shingled, shingled) == []
    assert find_shared_passages(text, text, CFG) == []
