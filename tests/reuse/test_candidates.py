"""Candidate sources: the inverted index over short word n-grams."""

from __future__ import annotations

import zlib

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from newsingest.matching.shingle import simplify_tokens
from newsingest.reuse import ReuseConfig
from newsingest.reuse.candidates import (
    Tokenized,
    Vocabulary,
    _keys,
    _usable_groups,
    candidate_pairs,
    sort_postings,
)
from tests.reuse.fixtures import PAIRS


def find_candidates(
    texts: list[Tokenized],
    hashes: np.ndarray,
    is_target: np.ndarray,
    is_source: np.ndarray,
    config: ReuseConfig,
) -> dict[int, list[tuple[int, float]]]:
    """:func:`candidate_pairs` by target: ``{target: [(source, containment), ...]}``."""
    out: dict[int, list[tuple[int, float]]] = {}
    found = candidate_pairs(texts, hashes, is_target, is_source, config)
    for t, s_, c in zip(*(a.tolist() for a in found), strict=True):
        out.setdefault(t, []).append((s_, c))
    return out


def _candidates(
    texts: list[str], targets: list[bool], config: ReuseConfig | None = None
) -> dict[int, list[tuple[int, float]]]:
    config = config or ReuseConfig()
    vocabulary = Vocabulary()
    tokens = [vocabulary.tokenize(t) for t in texts]
    is_target = np.array(targets)
    return find_candidates(tokens, vocabulary.hashes(), is_target, ~is_target, config)


def test_the_source_of_a_rewrite_is_a_candidate_and_another_script_is_not() -> None:
    latin, urdu = PAIRS["latin"], PAIRS["urdu"]
    found = _candidates([latin[1], urdu[1], latin[0], urdu[0]], [True, True, False, False])
    assert [s for s, _ in found[0]] == [2]
    assert [s for s, _ in found[1]] == [3]
    assert all(0 < c <= 1 for found_ in found.values() for _, c in found_)


def test_a_stock_phrase_in_many_texts_brings_no_candidates() -> None:
    texts = ["the minister said on monday"] + [f"the minister said on monday {i}" for i in range(5)]
    config = ReuseConfig(max_key_documents=3)
    assert _candidates(texts, [True] + [False] * 5, config) == {}
    assert 0 in _candidates(texts, [True] + [False] * 5)


def test_at_most_max_candidates_per_target() -> None:
    source = PAIRS["latin"][0]
    texts = [PAIRS["latin"][1]] + [source + f" copy {i}" for i in range(6)]
    found = _candidates(texts, [True] + [False] * 6, ReuseConfig(max_candidates=2))
    assert [s for s, _ in found[0]] == [1, 2]  # equal containment: lower index first


def test_tokens_match_dedups_tokenisation() -> None:
    vocabulary = Vocabulary()
    first = vocabulary.tokenize("Ｆｕｌｌ-width ＴＥＸＴ and text")
    assert first.ids[1] != first.ids[2]
    assert len(first) == 5  # "full", "width", "text", "and", "text"
    assert first.ids[2] == first.ids[4]


@settings(deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 6), min_size=0, max_size=12), min_size=1, max_size=12),
    st.integers(1, 3),
)
def test_counting_each_pair_once_finds_what_each_target_alone_finds(
    texts: list[list[int]], most: int
) -> None:
    tokens = [Tokenized(ids=np.array(t, dtype=np.int32)) for t in texts]
    hashes = np.array([zlib.crc32(bytes([i])) for i in range(7)], dtype=np.uint64)
    config = ReuseConfig(max_candidates=most, min_candidate_containment=0.3, candidate_ngram=1)
    everyone = np.ones(len(texts), dtype=bool)
    together = find_candidates(tokens, hashes, everyone, everyone, config)
    for i in range(len(texts)):
        alone = np.zeros(len(texts), dtype=bool)
        alone[i] = True
        assert find_candidates(tokens, hashes, alone, everyone, config).get(i, []) == (
            together.get(i, [])
        )


def test_one_corpus_counts_each_pair_once_with_the_same_result() -> None:
    texts = [text for triple in PAIRS.values() for text in triple]
    texts += [PAIRS["latin"][0][:400], PAIRS["urdu"][1] + " " + PAIRS["urdu"][2]]
    vocabulary = Vocabulary()
    tokens = [vocabulary.tokenize(t) for t in texts]
    config = ReuseConfig(max_candidates=100, min_candidate_containment=0.01)
    everyone = np.ones(len(texts), dtype=bool)
    together = find_candidates(tokens, vocabulary.hashes(), everyone, everyone, config)
    assert together
    for i in range(len(texts)):
        alone = np.zeros(len(texts), dtype=bool)
        alone[i] = True
        one = find_candidates(tokens, vocabulary.hashes(), alone, everyone, config)
        assert one.get(i, []) == together.get(i, [])


_SCRIPTS = st.sampled_from(
    [
        "Abc Zé-ﬁ ½ İı ß ẞ Ǆ",  # letters that case-fold or NFKC-normalise to others
        "\u00ad\u200b\u200d\ufeff\u0301\u0308a e",  # dropped characters, combining marks
        "漢字かなカナ한국어ｶﾀｶﾅ",  # CJK (one token each), Hangul (words), halfwidth kana
        "ภาษาไทย\u0e31\u0e48ກ\u0eb4ក\u17b6",  # SEA letters with their marks
        "اردو۱۲ ١٢ \u064b",  # Arabic script and digits
        "\ud800\udfff\U0001f600\U00020000\ue000 \t\n.,;!",  # surrogates, emoji, private use
    ]
)


@st.composite
def _mixed_text(draw: st.DrawFn) -> str:
    alphabet = "".join(draw(st.lists(_SCRIPTS, min_size=1, max_size=3)))
    return draw(st.text(alphabet=st.sampled_from(alphabet) | st.characters(), max_size=60))


@settings(deadline=None)
@given(st.lists(_mixed_text(), max_size=6))
def test_vocabulary_tokens_are_the_shingle_modules(texts: list[str]) -> None:
    vocabulary = Vocabulary()
    together = vocabulary.tokenize_all(texts)
    for text, tokens in zip(texts, together, strict=True):
        assert [vocabulary.token(i) for i in tokens.ids.tolist()] == simplify_tokens(text)
        assert vocabulary.tokenize(text).ids.tolist() == tokens.ids.tolist()
    words = [vocabulary.token(i) for i in range(vocabulary.size)]
    assert len(set(words)) == vocabulary.size
    assert vocabulary.hashes().tolist() == [
        zlib.crc32(w.encode("utf-8", "surrogatepass")) for w in words
    ]


def test_the_vocabulary_grows_past_its_first_arrays() -> None:
    # More distinct tokens and longer texts than the first table, arena and id arrays hold.
    texts = [" ".join(f"w{i}x{j}" for j in range(3000)) for i in range(6)] + ["Ａ" * 70000]
    vocabulary = Vocabulary()
    tokens = vocabulary.tokenize_all(texts)
    assert vocabulary.size == 6 * 3000 + 1
    for text, found in zip(texts, tokens, strict=True):
        assert [vocabulary.token(i) for i in found.ids.tolist()] == simplify_tokens(text)


@settings(deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([0, 1, 255, 256, 2**40 + 3, 2**63 + 5, 2**64 - 1]), st.integers(0, 9)
        )
    )
)
def test_postings_sort_as_a_lexsort_does(rows: list[tuple[int, int]]) -> None:
    rows.sort(key=lambda r: r[1])  # postings come in text order
    keys = np.array([r[0] for r in rows], dtype=np.uint64)
    docs = np.array([r[1] for r in rows], dtype=np.int64)
    order = np.lexsort((docs, keys))
    got_keys, got_docs = sort_postings(keys.copy(), docs.copy())
    assert got_keys.tolist() == keys[order].tolist()
    assert got_docs.tolist() == docs[order].tolist()


def _plain_keys(
    texts: list[list[int]], hashes: np.ndarray, n: int, sample: int
) -> list[tuple[int, int]]:
    found = []
    for t, ids in enumerate(texts):
        for start in range(len(ids) - n + 1):
            key = 0
            for k in range(n):
                key = (key * 0x9E3779B97F4A7C15 + int(hashes[ids[start + k]])) % 2**64
            key ^= key >> 29
            key = key * 0xBF58476D1CE4E5B9 % 2**64
            key ^= key >> 32
            if key % sample == 0:
                found.append((key, t))
    return found


@settings(deadline=None)
@given(
    texts=st.lists(st.lists(st.integers(0, 5), max_size=8), max_size=5),
    n=st.integers(1, 3),
    sample=st.sampled_from([1, 3]),
)
def test_keys_are_every_window_inside_one_text(texts: list[list[int]], n: int, sample: int) -> None:
    hashes = np.array([zlib.crc32(bytes([i])) for i in range(6)], dtype=np.uint64)
    tokens = [Tokenized(ids=np.array(t, dtype=np.int32)) for t in texts]
    config = ReuseConfig(candidate_ngram=n, candidate_sample=sample)
    keys, docs = _keys(tokens, hashes, config)
    assert list(zip(keys.tolist(), docs.tolist(), strict=True)) == _plain_keys(
        texts, hashes, n, sample
    )


@settings(deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 7)), max_size=60),
    st.integers(1, 4),
)
def test_usable_groups_are_each_keys_distinct_texts(
    rows: list[tuple[int, int]], max_docs: int
) -> None:
    rows.sort()  # postings by key, then text, repeats kept
    keys = np.array([k for k, _ in rows], dtype=np.uint64)
    docs = np.array([d for _, d in rows], dtype=np.int64)
    sizes, group_docs, group_ptr, group_of = _usable_groups(keys, docs.copy(), 8, max_docs)
    held = {(k, d) for k, d in rows}
    assert sizes.tolist() == [sum(1 for _, d in held if d == t) for t in range(8)]
    texts = {k: sorted(d for k2, d in held if k2 == k) for k in sorted({k for k, _ in held})}
    usable = [t for t in texts.values() if 2 <= len(t) <= max_docs]
    assert group_docs.tolist() == [d for t in usable for d in t]
    assert np.diff(group_ptr).tolist() == [len(t) for t in usable]
    assert group_of.tolist() == [g for g, t in enumerate(usable) for _ in t]
