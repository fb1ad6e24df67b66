"""Candidate sources: the inverted index over short word n-grams."""

from __future__ import annotations

import numpy as np

from newsingest.reuse import ReuseConfig
from newsingest.reuse.candidates import Vocabulary, find_candidates
from tests.reuse.fixtures import PAIRS


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
