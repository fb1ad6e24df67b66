"""Tests for extraction as a whole: the dispatch on format, the golden set, repaired text."""

from __future__ import annotations

from typing import cast

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsingest.errors import ExtractError
from newsingest.ingest import extract
from newsingest.ingest.extract import extract_article
from newsingest.records import Fix, Format
from tests.ingest.extract_helpers import FORMATS, golden_inputs, make_doc


def test_golden_cases_exist() -> None:
    inputs = golden_inputs()
    assert len(inputs) >= 15
    assert {p.suffix for p in inputs} == set(FORMATS)
    for path in inputs:
        assert path.with_suffix(".json").exists(), path.name


def test_unknown_format_raises_extract_error() -> None:
    with pytest.raises(ExtractError, match="unknown format 'pdf'"):
        extract_article(make_doc("text", cast(Format, "pdf")))


@pytest.mark.parametrize(
    "name",
    [
        "MAX_TITLE_CHARS",
        "TYPICAL_WRAP_WIDTH",
        "WRAP_MAX_WIDTH",
        "extract_article",
        "extract_repaired_text",
        "parse_byline",
        "split_paragraphs",
    ],
)
def test_public_names_import_from_the_package(name: str) -> None:
    assert name in extract.__all__
    assert getattr(extract, name) is not None


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                ["", "Join our channel today!", "August 03, 2016", "By Jane Doe | Reuters"]
            ),
            st.text(alphabet=st.sampled_from(list("abc XYZ.,-\n’é")), min_size=1, max_size=90),
        ),
        min_size=1,
        max_size=12,
    ),
    st.booleans(),
)
def test_extract_repaired_text_is_extract_of_the_repaired_doc(
    lines: list[str], fixed: bool
) -> None:
    doc = make_doc("unrepaired\n\ntext")
    text = "\n".join(lines)
    fixes = (Fix(field="text", action="apply", parameter="unescape_html"),) if fixed else ()
    try:
        want = attrs.evolve(extract_article(attrs.evolve(doc, text=text)), fixes=fixes)
    except ExtractError as exc:
        with pytest.raises(ExtractError, match=str(exc).split(":")[0]):
            extract.extract_repaired_text(doc, text, fixes)
        return
    assert extract.extract_repaired_text(doc, text, fixes) == want


def test_extract_repaired_text_takes_plain_text_only() -> None:
    with pytest.raises(ValueError, match="plain text"):
        extract.extract_repaired_text(make_doc("{}", "jsonl"), "{}", ())
