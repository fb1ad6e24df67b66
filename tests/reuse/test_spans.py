"""Token offsets: the fast ASCII path agrees with the shingle module's definition."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from newsingest.matching.shingle import token_spans
from newsingest.reuse.relate import text_spans


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_spans_are_the_shingle_modules(text: str) -> None:
    assert text_spans(text).tolist() == [list(s) for s in token_spans(text)]


@given(st.text(alphabet="ab ،۔كی漢字\u0651\u064e-"))
def test_other_text_uses_the_shingle_module(text: str) -> None:
    assert text_spans(text).tolist() == [list(s) for s in token_spans(text)]
