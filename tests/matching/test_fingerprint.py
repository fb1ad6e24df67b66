"""Tests for newsingest.matching.fingerprint: the fast kernel equals the datasketch reference.

Regenerate the golden file (only after bumping a version in FingerprintParams)
with ``python tests/matching/test_fingerprint.py --regenerate``.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import unicodedata
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

import newsingest.matching.fingerprint as fingerprint_module
from newsingest.config import FingerprintConfig
from newsingest.errors import FingerprintError
from newsingest.matching.fingerprint import (
    Fingerprint,
    FingerprintParams,
    _murmur3_32,
    fingerprint_article,
    fingerprint_batch,
    fingerprint_text,
    hash_shingle,
    to_datasketch,
)
from newsingest.matching.shingle import shingle_set, simplify_text
from newsingest.records import Article, Decoding
from tests import strategies

GOLDEN = Path(__file__).parent / "golden" / "fingerprint" / "signatures.json"
CFG = FingerprintConfig()
SMALL = FingerprintConfig(num_perm=16, seed=7, shingle_size=3, cjk_shingle_size=2)

news_text = strategies.news_text(80)
any_text = st.text(max_size=200)


def datasketch_signature(text: str, config: FingerprintConfig) -> np.ndarray:
    m = MinHash(
        num_perm=config.num_perm, seed=config.seed, scheme="affine32", hashfunc=hash_shingle
    )
    m.update_batch([s.encode("utf-8") for s in shingle_set(text, config)])
    return np.asarray(m.hashvalues)


@given(st.one_of(any_text, news_text), st.sampled_from([CFG, SMALL]))
@settings(max_examples=120, deadline=None)
def test_equals_datasketch_bit_for_bit(text: str, config: FingerprintConfig) -> None:
    fp = fingerprint_text(text, config)
    assert np.array_equal(fp.signature, datasketch_signature(text, config))
    assert fp.shingles == len(shingle_set(text, config))


@given(st.lists(st.one_of(any_text, news_text), max_size=8))
@settings(max_examples=60, deadline=None)
def test_batch_equals_single_and_is_deterministic(texts: list[str]) -> None:
    sigs, sizes, digests = fingerprint_batch(texts, CFG)
    again, _, _ = fingerprint_batch(texts, CFG)
    assert sigs.shape == (len(texts), CFG.num_perm)
    assert sigs.dtype == np.uint32
    assert np.array_equal(sigs, again)
    for i, text in enumerate(texts):
        fp = fingerprint_text(text, CFG)
        assert np.array_equal(sigs[i], fp.signature)
        assert sizes[i] == fp.shingles
        assert digests[i] == fp.digest


def test_batch_crosses_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fingerprint_module, "_CHUNK_BYTES", 10)
    texts = ["one two three four five six", "", "北京时间三月十五日", "x " * 30]
    sigs, sizes, digests = fingerprint_batch(texts, CFG)
    for i, text in enumerate(texts):
        fp = fingerprint_text(text, CFG)
        assert np.array_equal(sigs[i], fp.signature)
        assert (sizes[i], digests[i]) == (fp.shingles, fp.digest)


@given(news_text)
@settings(max_examples=60, deadline=None)
def test_typography_and_rewrapping_do_not_change_the_fingerprint(text: str) -> None:
    variant = (
        unicodedata.normalize("NFD", text)
        .replace(" ", "\n", 4)
        .replace(" ", "  ", 3)
        .replace("’", "'")
        .replace("“", '"')
        .replace("—", "--")
        .replace("–", "-")
        .replace("…", "...")
    )
    a, b = fingerprint_text(text, CFG), fingerprint_text(variant, CFG)
    assert np.array_equal(a.signature, b.signature)
    if a.shingles:  # a text with no words at all is digested as it is (see below)
        assert a.digest == b.digest
        assert a == b


def test_digits_make_different_fingerprints() -> None:
    a = fingerprint_text("Acme Corp quarterly revenue rose 12% to $1.5bn, up from $1.3bn")
    b = fingerprint_text("Acme Corp quarterly revenue rose 14% to $1.7bn, up from $1.5bn")
    assert a.digest != b.digest
    assert not np.array_equal(a.signature, b.signature)


def test_empty_text() -> None:
    fp = fingerprint_text("", CFG)
    assert fp.shingles == 0
    assert (fp.signature == np.uint32(2**32 - 1)).all()


def test_fingerprint_record() -> None:
    fp = fingerprint_text("some words here and there", CFG, id="x")
    assert fp.id == "x"
    assert len(fp.digest) == 16
    assert not fp.signature.flags.writeable
    assert "signature" not in repr(fp)
    with pytest.raises(ValueError, match="read-only"):
        fp.signature[0] = 0
    with pytest.raises(FingerprintError, match="num_perm"):
        Fingerprint(
            id="y",
            digest=fp.digest,
            signature=fp.signature[:5],
            shingles=1,
            params=fp.params,
        )


def test_fingerprint_article_uses_title_and_body() -> None:
    article = Article(
        id="a/1",
        path="a/1.txt",
        format="text",
        title="Big news today",
        paragraphs=("First paragraph of the story.", "Second one."),
        decoding=Decoding(encoding="utf-8", method="utf-8", confidence=1.0),
    )
    fp = fingerprint_article(article, CFG)
    assert fp.id == "a/1"
    assert fp == fingerprint_text(article.text, CFG, id="a/1")


def test_params_mismatch_raises() -> None:
    a = FingerprintParams.from_config(CFG)
    a.check_compatible(FingerprintParams.from_config(FingerprintConfig()))
    b = FingerprintParams.from_config(FingerprintConfig(num_perm=64, seed=2))
    with pytest.raises(FingerprintError, match=r"num_perm: 128 != 64.*seed: 1 != 2"):
        a.check_compatible(b)
    with pytest.raises(FingerprintError, match="simplifier"):
        a.check_compatible(attrs.evolve(a, simplifier="other"))


def test_to_datasketch_round_trip() -> None:
    a = fingerprint_text("the quick brown fox jumps over the lazy dog near the river bank")
    b = fingerprint_text("the quick brown fox jumps over the lazy dog near the river bend")
    ma, mb = to_datasketch(a), to_datasketch(b)
    assert np.array_equal(ma.hashvalues, a.signature)
    assert ma.scheme == "affine32"
    assert 0.0 < ma.jaccard(mb) < 1.0


def test_hash_shingle_is_two_level_murmur3() -> None:
    # murmur3_x86_32(b"abc", seed=0) == 0xB3DD93FA is the published test value.
    assert _murmur3_32(b"abc") == 0xB3DD93FA
    assert _murmur3_32(b"") == 0
    expected = _murmur3_32(
        _murmur3_32(b"ab").to_bytes(4, "little") + _murmur3_32(b"c").to_bytes(4, "little")
    )
    assert hash_shingle(b"ab c") == expected


GOLDEN_TEXTS = {
    "english": "Ad sales boost Time Warner profit\n\nQuarterly profits at US media giant "
    "TimeWarner jumped 76% to $1.13bn (£600m) for the three months to December.",
    "french": "Le président a déclaré mercredi à l’Élysée que la réforme des retraites "
    "serait présentée «dès l’automne», après une concertation avec les syndicats.",
    "chinese": "国务院总理今天在北京会见了来访的法国外交部长，双方就经贸合作交换了意见。",
    "japanese": "東京都は15日、新型ウイルスの感染者が新たに確認されたと発表した。",
    "thai": "นายกรัฐมนตรีกล่าวว่ารัฐบาลจะเร่งแก้ปัญหาเศรษฐกิจภายในปีนี้",
    "empty": "",
    "three_words": "Breaking news today",
}


def golden_record() -> dict[str, Any]:
    cases = {}
    for name, text in GOLDEN_TEXTS.items():
        fp = fingerprint_text(text, CFG)
        cases[name] = {
            "text": text,
            "digest": fp.digest.hex(),
            "shingles": fp.shingles,
            "signature_head": fp.signature[:16].tolist(),
        }
    return {"params": attrs.asdict(FingerprintParams.from_config(CFG)), "cases": cases}


def test_golden_signatures() -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    current = golden_record()
    hint = (
        "the fingerprint scheme changed: if intentional, bump FORMAT_VERSION (or "
        "SIMPLIFIER_VERSION) and regenerate with "
        "`python tests/matching/test_fingerprint.py --regenerate`"
    )
    assert current["params"] == golden["params"], hint
    for name, case in golden["cases"].items():
        assert current["cases"][name] == case, f"{name}: {hint}"
    assert (
        datasketch_signature(GOLDEN_TEXTS["french"], CFG)[:16].tolist()
        == (golden["cases"]["french"]["signature_head"])
    )
    assert (
        bytes.fromhex(golden["cases"]["english"]["digest"])
        == fingerprint_text(simplify_text(GOLDEN_TEXTS["english"])).digest
    )


if __name__ == "__main__" and "--regenerate" in sys.argv:
    GOLDEN.write_text(
        json.dumps(golden_record(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"wrote {GOLDEN} ({dt.date.today()})")


def test_kernels_compile_uncached_when_numba_has_no_cache_directory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A read-only install with an unwritable home: numba refuses cache=True at decoration.
    from newsingest.matching import _kernels  # noqa: PLC0415

    if not _kernels.HAVE_NUMBA:
        pytest.skip("numba not installed")
    calls: list[dict[str, Any]] = []

    def fake_njit(**options: Any) -> Any:
        calls.append(options)
        if options.get("cache"):
            raise RuntimeError("cannot cache function 'f': no locator available for file 'x'")
        return lambda func: func

    monkeypatch.setattr(_kernels, "_njit", fake_njit)

    def double(x: int) -> int:
        return 2 * x

    assert _kernels.jit(double)(21) == 42
    assert [c.get("cache", False) for c in calls] == [True, False]


def test_texts_with_nothing_to_shingle_are_not_exact_copies() -> None:
    stars, smiles = fingerprint_text("★★★ ☆☆"), fingerprint_text("🙂🙂🙂")
    assert stars.shingles == smiles.shingles == 0
    assert stars.digest != smiles.digest
    assert fingerprint_text("★★★ ☆☆").digest == stars.digest
    assert fingerprint_text("").digest != stars.digest


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127)) | st.text(max_size=40))
def test_the_ascii_shortcut_normalises_as_nfkc_casefold(text: str) -> None:
    want = unicodedata.normalize("NFKC", text).casefold().encode("utf-8", "surrogatepass")
    assert fingerprint_module._normalize_encode(text) == want


# --- issue 17, fault 17: long texts in pieces ----------------------------------------------

# Texts that stress the cuts: CJK and Thai (tokens of one character, other windows),
# combining marks, zero-width (dropped) characters, emoji, long runs with no place to cut.
piece_text = st.lists(
    st.sampled_from(
        [
            "the",
            "cat",
            "sat",
            " ",
            "  ",
            "\n",
            ",",
            "中",
            "文字",
            "ไทย",
            "é",
            "a\u0301",
            "\u200b",
            "🙂",
            "x" * 40,
            "ﬁ",
            "İ",
            "\ud800",
            "ＡＢ",
            "-",
            "42",
        ]
    ),
    max_size=120,
).map("".join)


@given(
    texts=st.lists(st.one_of(piece_text, news_text, any_text), min_size=1, max_size=5),
    piece=st.integers(1, 64),
    config=st.sampled_from([CFG, SMALL, FingerprintConfig(shingle_size=1, cjk_shingle_size=1)]),
)
@settings(max_examples=200, deadline=None)
def test_long_texts_in_pieces_fingerprint_as_a_whole(
    texts: list[str], piece: int, config: FingerprintConfig
) -> None:
    whole = fingerprint_batch(texts, config)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fingerprint_module, "_LONG_BYTES", 0)
        patch.setattr(fingerprint_module, "_PIECE_BYTES", piece)
        patch.setattr(fingerprint_module, "_MERGE_PIECES", 3)
        pieces = fingerprint_batch(texts, config)
    assert np.array_equal(whole[0], pieces[0])
    assert np.array_equal(whole[1], pieces[1])
    assert whole[2] == pieces[2]


def test_a_long_text_never_reaches_the_whole_text_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    # The whole-text kernel's scratch memory is many times its longest text: a 200 MB
    # document ran out of memory there. Long texts must go in pieces of bounded size.
    monkeypatch.setattr(fingerprint_module, "_LONG_BYTES", 1000)
    monkeypatch.setattr(fingerprint_module, "_PIECE_BYTES", 100)
    sizes: list[int] = []
    kernel = fingerprint_module._kernels.fingerprint_docs

    def watch(data: np.ndarray, offsets: np.ndarray, *args: Any) -> None:
        sizes.append(int(np.diff(offsets).max(initial=0)))
        kernel(data, offsets, *args)

    monkeypatch.setattr(fingerprint_module._kernels, "fingerprint_docs", watch)
    long_text = " ".join(f"word{i}" for i in range(2000))
    sigs, counts, _ = fingerprint_batch(["short text here", long_text, "another short one"])
    assert max(sizes) <= 1000
    assert counts[1] == 2000 - 4
    monkeypatch.setattr(fingerprint_module, "_LONG_BYTES", 10**9)
    assert np.array_equal(fingerprint_batch([long_text])[0][0], sigs[1])
