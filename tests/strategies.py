"""Hypothesis strategies shared by the tests."""

from __future__ import annotations

from hypothesis import strategies as st

NEWS_WORDS = (
    "the",
    "a",
    "of",
    "said",
    "minister",
    "Paris",
    "2024",
    "1.13bn",
    "£600m",
    "profit",
    "rose",
    "café",
    "naïve",
    "don’t",
    "“quoted”",
    "—",
    "–",
    "…",
    "北京",
    "時間",
    "ひらがな",
    "ภาษา",
    "ไทย",
    "서울",
    "e\u0301te\u0301",
    "🙂",
)
"""Words of the kinds news text mixes: digits, currency, accents, typography,
CJK, Thai, Hangul, combining marks and an emoji."""

news_words = st.sampled_from(NEWS_WORDS)


def news_text(max_words: int = 80) -> st.SearchStrategy[str]:
    """Space-separated news-like words."""
    return st.lists(news_words, max_size=max_words).map(" ".join)
