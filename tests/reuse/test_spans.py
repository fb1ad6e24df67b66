"""Token offsets: the fast ASCII path agrees with the shingle module's definition."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from newsingest.matching.shingle import token_spans
from newsingest.reuse.relate import text_spans


@settings(deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_spans_are_the_shingle_modules(text: str) -> None:
    assert text_spans(text).tolist() == [list(s) for s in token_spans(text)]


@settings(deadline=None)
@given(st.text(alphabet="ab ،۔كی漢字\u0651\u064e-"))
def test_other_text_uses_the_shingle_module(text: str) -> None:
    assert text_spans(text).tolist() == [list(s) for s in token_spans(text)]


@settings(deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            "ab Z9 -'’.\u00e9\u00df\u0130\u00bd\ufb01\u00ad\u200b\u0301،۔كی漢字\u0e01\u0e34"
            "\u0651\u064e\U0001f600\u2460\uff21\u3000\t\n"
        )
    )
)
def test_unicode_spans_are_the_shingle_modules(text: str) -> None:
    assert text_spans(text).tolist() == [list(s) for s in token_spans(text)]


@settings(deadline=None, max_examples=500)
@given(st.text())
def test_any_text_spans_are_the_shingle_modules(text: str) -> None:
    assert text_spans(text).tolist() == [list(s) for s in token_spans(text)]
