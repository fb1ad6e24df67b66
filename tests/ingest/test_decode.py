"""Tests of the decode stage: properties, golden cases, binary refusal."""

from __future__ import annotations

import base64
import codecs
import json
import pathlib
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsingest.config import DecodeConfig
from newsingest.errors import DecodeError
from newsingest.ingest.decode import decode_bytes, decode_document, looks_western
from newsingest.records import RawDocument

GOLDEN = pathlib.Path(__file__).parent / "golden" / "decode" / "cases.json"
CASES: list[dict[str, Any]] = json.loads(GOLDEN.read_text(encoding="utf-8"))

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text characters: no C0/C1 controls (besides tab and line ends) and no surrogates,
# which the decoder treats as signs of binary data or cannot encode.
text_chars = st.characters(
    blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufeff"
) | st.sampled_from("\t\n\r")
texts = st.text(text_chars, min_size=1, max_size=200)

# Western European news vocabulary: words with accents, curly quotes, dashes.
# Measured: with this vocabulary a single word already decodes exactly; the
# limit is the kind of text, not its length: a word with three accented
# letters in a row (rare in Western languages, the rule for Cyrillic read as
# cp1252) or with ð/þ/ý (Icelandic) is not taken for cp1252 when chardet
# proposes another code page.
WESTERN_WORDS = [
    "président",
    "déclaré",
    "réunion",
    "très",
    "été",
    "après",
    "où",
    "déjà",
    "façade",
    "naïve",
    "café",
    "Bürgermeister",
    "äußerte",
    "über",
    "Straße",
    "München",
    "niño",
    "piña",
    "mañana",
    "después",
    "qué",
    "São",
    "eleições",
    "começarão",
    "Smörgåsbord",
    "Åland",
    "Björn",
    "crème",
    "brûlée",
    "août",
    "sûr",
    "coûte",
    "“bonjour”",
    "‘yes’",
    "—",
    "–",
    "…",
    "€",
    "l’État",
    "Ministère",
    "Québec",
    "Málaga",
    "Zürich",
    "Cannes",
    "Genève",
]
ASCII_WORDS = [
    "the",
    "a",
    "of",
    "and",
    "in",
    "to",
    "said",
    "on",
    "Monday",
    "police",
    "city",
    "government",
    "talks",
]
western_texts = st.lists(
    st.sampled_from(WESTERN_WORDS) | st.sampled_from(ASCII_WORDS), min_size=1, max_size=30
).map(" ".join)


@SETTINGS
@given(st.binary(max_size=300))
def test_arbitrary_bytes_decode_or_raise_decode_error(data: bytes) -> None:
    try:
        text, decoding = decode_bytes(data)
    except DecodeError as exc:
        message = str(exc)
    else:
        message = ""
    if message:
        assert message.startswith("binary data")
        return
    assert isinstance(text, str)
    assert decoding.replaced <= text.count("\ufffd")
    if not decoding.lossy:
        assert decoding.replaced == 0


@SETTINGS
@given(texts)
def test_utf8_round_trips(text: str) -> None:
    got, decoding = decode_bytes(text.encode("utf-8"))
    assert got == text
    assert decoding.method == "utf-8"
    assert decoding.encoding == "utf-8"
    assert decoding.confidence == 1.0
    assert not decoding.lossy


@SETTINGS
@given(
    texts,
    st.sampled_from(
        ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "utf-32"]
    ),
)
def test_bom_encodings_round_trip(text: str, encoding: str) -> None:
    data = text.encode(encoding)
    bom = {
        "utf-16-le": codecs.BOM_UTF16_LE,
        "utf-16-be": codecs.BOM_UTF16_BE,
        "utf-32-le": codecs.BOM_UTF32_LE,
        "utf-32-be": codecs.BOM_UTF32_BE,
    }.get(encoding, b"")
    got, decoding = decode_bytes(bom + data)
    assert got == text
    assert decoding.method == "bom"
    assert (bom + data).decode(decoding.encoding) == text


@SETTINGS
@given(western_texts)
def test_western_text_in_cp1252_decodes_exactly(text: str) -> None:
    data = text.encode("cp1252")
    got, decoding = decode_bytes(data)
    assert got == text
    if any(b >= 0x80 for b in data):
        assert decoding.encoding == "cp1252"
        assert decoding.method == "detected"


@SETTINGS
@given(western_texts, st.sampled_from(["utf-16-le", "utf-16-be"]))
def test_utf16_without_bom_for_western_text(words: str, encoding: str) -> None:
    # Recognition needs zero bytes, i.e. some Latin-1 characters: a lone "—"
    # in BOM-less UTF-16 is two bytes that nothing can tell from binary.
    text = "News: " + words
    data = text.encode(encoding)
    got, decoding = decode_bytes(data)
    assert got == text
    assert decoding.method == "utf-16/32"
    assert decoding.encoding == encoding


@SETTINGS
@given(
    st.lists(st.sampled_from(WESTERN_WORDS + ASCII_WORDS), min_size=3, max_size=30),
    st.sampled_from([b"\x93", b"\x94", b"\x92", b"\x96", b"\x85", b"\x81", b"\x9d"]),
)
def test_utf8_with_one_stray_cp1252_byte(words: list[str], stray: bytes) -> None:
    text = " ".join(words) + " café"  # real multi-byte UTF-8 is present
    data = text.encode("utf-8") + b" " + stray + b" end"
    got, decoding = decode_bytes(data)
    expected_char = stray.decode("cp1252", errors="ignore") or chr(stray[0])
    assert got == text + " " + expected_char + " end"
    assert decoding.method == "utf-8+cp1252"
    assert not decoding.lossy


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_golden(case: dict[str, Any]) -> None:
    data = base64.b64decode(case["base64"])
    text, decoding = decode_bytes(data)
    assert text == case["text"]
    assert decoding.encoding == case["encoding"]
    assert decoding.method == case["method"]
    assert decoding.replaced == 0


def test_golden_has_enough_cases() -> None:
    assert len(CASES) >= 30
    assert len({c["name"] for c in CASES}) == len(CASES)


BINARY = {
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06",
    "zip": b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(40)),
    "gzip": b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03abc",
    "elf": b"\x7fELF\x02\x01\x01" + b"\x00" * 9,
    "nul-filled": b"\x00" * 1000,
    "one-nul": b"\x00",
    "text-with-nuls": b"hello\x00\x00\x00world\x00\x01\x02\x03binary",
    "controls": bytes(range(1, 9)) * 20,
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_is_refused(name: str) -> None:
    with pytest.raises(DecodeError, match="binary data"):
        decode_bytes(BINARY[name])


def test_empty_input_is_empty_utf8() -> None:
    assert decode_bytes(b"") == decode_bytes(b"")  # deterministic
    text, decoding = decode_bytes(b"")
    assert text == ""
    assert decoding.encoding == "utf-8"


def test_utf8_bom_over_stray_byte_uses_the_rest() -> None:
    data = codecs.BOM_UTF8 + "Zürich ".encode() + b"\x96 news"
    text, decoding = decode_bytes(data)
    assert text == "Zürich – news"
    assert decoding.method == "utf-8+cp1252"


def test_fallback_is_lossy_without_replacement_characters() -> None:
    # Invalid UTF-8 everywhere and undefined cp1252 bytes: nothing fits.
    data = bytes([0x81, 0x8D, 0x8F, 0x90, 0x9D]) * 10
    text, decoding = decode_bytes(data)
    assert "\ufffd" not in text
    assert len(text) == len(data)
    assert decoding.replaced == 0


def test_cyrillic_does_not_look_western() -> None:
    russian = "Президент России заявил журналистам о переговорах"
    assert not looks_western(russian.encode("cp1251").decode("cp1252"))
    assert looks_western("Le président a déclaré « très » vite")


def test_stray_fraction_is_configurable() -> None:
    data = "ñ".encode() + b"\x93" * 3 + b"x" * 10
    assert decode_bytes(data)[1].method != "utf-8+cp1252"
    lenient = DecodeConfig(max_stray_fraction=0.5)
    assert decode_bytes(data, lenient) == ("ñ“““" + "x" * 10, decode_bytes(data, lenient)[1])
    assert decode_bytes(data, lenient)[1].method == "utf-8+cp1252"


def test_decode_document_copies_identity() -> None:
    raw = RawDocument(id="a/b.txt#3", path="/x/a/b.txt", format="jsonl", data=b"caf\xe9", line=3)
    decoded = decode_document(raw)
    assert (decoded.id, decoded.path, decoded.format, decoded.line) == (
        "a/b.txt#3",
        "/x/a/b.txt",
        "jsonl",
        3,
    )
    assert decoded.text == "café"


def test_decode_document_error_names_the_path() -> None:
    raw = RawDocument(id="img.txt", path="/x/img.txt", format="text", data=BINARY["png"])
    with pytest.raises(DecodeError, match=re.escape("/x/img.txt")):
        decode_document(raw)
