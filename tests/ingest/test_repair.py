"""Tests for the repair stage: the fast path must give exactly ftfy's output."""

from __future__ import annotations

import datetime as dt
import json
import sys
import unicodedata
from pathlib import Path

import ftfy
import ftfy.fixes
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsingest.config import RepairConfig
from newsingest.ingest import repair
from newsingest.ingest.repair import ftfy_config, needs_repair, repair_article, repair_text
from newsingest.records import Article, Decoding, Fix

GOLDEN = Path(__file__).parent / "golden" / "repair" / "cases.json"
CONFIG = ftfy_config()

WORDS = ["The", "minister", "said", "café", "Zürich", "Łódź", "naïve", "España", "résumé", "  "]
PIECES = [
    "’", "‘", "“", "”", "—", "–", "…", "£", "€", "é", "É", "ß", "ñ", "«", "»", "\u00a0", "°",
    "&amp;", "&#39;", "&lt;", "&gt;", "&#3;", "&eacute;", "AT&T", "&", ";", "<",
    "\r\n", "\r", "\n", "\u2028", "\x07", "\x00", "\ufeff", "\x1b[0m", "\x85", "\x9d",
    "e\u0301", "A\u0302", "\u037e", ". ", ", ",
]  # fmt: skip


def mangle(text: str, codec: str) -> str:
    """Mojibake made on purpose: UTF-8 bytes read in a single-byte code page."""
    return text.encode("utf-8").decode(codec, errors="replace")


@st.composite
def news_text(draw: st.DrawFn, pieces: tuple[str, ...] = tuple(PIECES)) -> str:
    parts = draw(st.lists(st.sampled_from(WORDS + list(pieces)), max_size=30))
    text = " ".join(parts)
    codec = draw(st.sampled_from([None, None, "cp1252", "latin-1", "cp1251", "mac_roman"]))
    if codec and draw(st.booleans()):
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + mangle(text[cut:], codec)
    elif codec:
        text = mangle(text, codec)
    return text


any_text = st.one_of(st.text(), news_text())


def ftfy_steps(text: str) -> set[tuple[str, str]]:
    """The union of ftfy's explanations, segment by segment as ftfy.fix_text fixes it."""
    steps = set()
    for segment in repair._iter_segments(text, CONFIG.max_decode_length):
        explanation = ftfy.fix_and_explain(segment, CONFIG).explanation or []
        steps.update((step[0], step[1]) for step in explanation)
    return steps


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_text)
def test_repair_text_equals_ftfy(text: str) -> None:
    fixed, fixes = repair_text(text)
    assert fixed == ftfy.fix_text(text, config=CONFIG)
    assert {(f.action, f.parameter) for f in fixes} == ftfy_steps(text)
    assert all(f.field == "text" for f in fixes)
    if not needs_repair(text):
        assert ftfy.fix_text(text, config=CONFIG) == unicodedata.normalize("NFC", text)


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_fast_path_off_equals_on(text: str) -> None:
    assert repair_text(text, RepairConfig(fast_path=False)) == repair_text(text)


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_mojibake_screen_is_ftfy_badness(text: str) -> None:
    # The rewritten regex finds exactly what ftfy's (made MULTILINE) finds...
    assert repair._maybe_bad(text) == bool(repair._BAD_RE.search(text))
    # ...and a text it passes is not bad in any of the lines ftfy looks at.
    if not repair._maybe_bad(text):
        assert not any(ftfy.badness.is_bad(line) for line in text.splitlines(keepends=True))


def test_mojibake_screen_was_rewritten_and_skips_common_characters() -> None:
    assert repair._BAD_SCREEN_RE is not repair._BAD_RE
    clean = "L’État — déjà « vu »… naïve Zürich Łódź ’s"
    assert not repair._maybe_bad(clean)
    assert not needs_repair(clean)


# ftfy fixes line by line, and fix_line_breaks makes new lines of '\r', U+2028 and U+2029 that
# a second run then fixes separately: 'café \r â€\ufffd' changes again on a second run (ftfy
# does the same). Idempotence is claimed for text whose lines are already split by '\n'.
LINE_SPLITTING = ("\r\n", "\r", "\u2028")


@settings(max_examples=300, deadline=None)
@given(news_text(tuple(p for p in PIECES if p not in LINE_SPLITTING)))
def test_repair_is_idempotent_on_news_like_text(text: str) -> None:
    once, _ = repair_text(text)
    assert repair_text(once)[0] == once


@pytest.mark.parametrize(
    ("name", "triggers"),
    [
        ("fix_line_breaks", repair._LINE_BREAKS),
        ("remove_control_chars", "".join(map(chr, ftfy.chardata.CONTROL_CHARS))),
        ("fix_c1_controls", "".join(map(chr, range(0x80, 0xA0)))),
        ("remove_terminal_escapes", repair._ESCAPE),
    ],
)
def test_character_fixers_touch_only_their_triggers(name: str, triggers: str) -> None:
    everything = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
    rest = everything.translate(dict.fromkeys(map(ord, triggers)))
    assert ftfy.FIXERS[name](rest) == rest
    for char in triggers:
        assert repair._screen_hits(f"x{char}y", RepairConfig())


def test_lone_surrogate_replaced() -> None:
    fixed, fixes = repair_text("x\ud800y")
    assert fixed == "x\ufffdy"
    assert fixes == (Fix(field="text", action="apply", parameter="fix_surrogates"),)


def load_golden() -> list[dict[str, object]]:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.mark.parametrize("case", load_golden(), ids=lambda c: str(c["label"]))
def test_golden(case: dict[str, object]) -> None:
    text = str(case["original"])
    fixed, fixes = repair_text(text)
    assert fixed == case["fixed"]
    assert [[f.action, f.parameter] for f in fixes] == case["fixes"]
    assert fixed == ftfy.fix_text(text, config=CONFIG)


def test_config_switches_off_fixers() -> None:
    config = RepairConfig(unescape_html=False, fix_line_breaks=False, normalization=None)
    assert repair_text("a&amp;b\r\nCafe\u0301", config)[0] == "a&amp;b\r\nCafe\u0301"
    assert repair_text("Itâ€™s", RepairConfig(fix_encoding=False))[0] == "Itâ€™s"


def make_article(**fields: object) -> Article:
    decoding = Decoding(encoding="utf-8", method="utf-8", confidence=1.0)
    return Article(
        id="a", path="a.txt", format="text", decoding=decoding, date=dt.date(2020, 1, 1), **fields
    )  # type: ignore[arg-type]


def test_repair_article_records_fixes_per_field() -> None:
    article = make_article(
        title="Itâ€™s here",
        byline="By Jane &amp; John",
        paragraphs=("Fine “text”.", "Cafe\u0301 a\u2028b", "Shares rose.\n&#3;"),
        fixes=(Fix(field="raw", action="apply", parameter="earlier"),),
    )
    repaired = repair_article(article)
    assert repaired.title == "It’s here"
    assert repaired.byline == "By Jane & John"
    # (Article strips newlines at paragraph edges, so "Shares rose.\n" loses its "\n".)
    assert repaired.paragraphs == ("Fine “text”.", "Café a\nb", "Shares rose.")
    assert repaired.fixes == (
        Fix(field="raw", action="apply", parameter="earlier"),
        Fix(field="title", action="encode", parameter="sloppy-windows-1252"),
        Fix(field="title", action="decode", parameter="utf-8"),
        Fix(field="byline", action="apply", parameter="unescape_html"),
        Fix(field="paragraphs[1]", action="apply", parameter="fix_line_breaks"),
        Fix(field="paragraphs[1]", action="normalize", parameter="NFC"),
        Fix(field="paragraphs[2]", action="apply", parameter="unescape_html"),
    )
    assert repaired.date == article.date
    assert repaired.id == article.id


def test_repair_article_keeps_paragraph_count_and_missing_fields() -> None:
    article = make_article(paragraphs=("&#3;", "ok"))
    repaired = repair_article(article)
    # Each paragraph is repaired on its own; Article's own invariant (no blank paragraphs)
    # then applies to what repair made of them.
    assert repaired.paragraphs == make_article(paragraphs=("", "ok")).paragraphs
    assert repaired.title is None
    assert repaired.byline is None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60))
def test_ascii_byte_screen_equals_the_ascii_regex(text: str) -> None:
    ascii_re = repair._screens(RepairConfig())[0]
    data = text.encode("ascii")
    by_bytes = len(data.translate(None, repair._ASCII_HARD_BYTES)) != len(data)
    assert by_bytes == bool(ascii_re.search(text))
