"""Tests for newsingest.matching.shingle: simplification, tokens, shingles, spans."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsingest.config import FingerprintConfig
from newsingest.matching.shingle import (
    char_classes,
    find_shared_passages,
    iter_shingles,
    shingle_set,
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
