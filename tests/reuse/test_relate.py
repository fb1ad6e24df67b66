"""The reuse relation on small Latin and Arabic-script fixtures."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsingest.config import BoilerplateConfig
from newsingest.errors import ConfigError
from newsingest.ingest.run import iter_articles
from newsingest.matching.boilerplate import learn_boilerplate, strip_boilerplate
from newsingest.matching.shingle import simplify_tokens
from newsingest.records import Article
from newsingest.reuse import Derivation, ReuseConfig, find_reuse, label_for, relate_articles
from newsingest.reuse.records import ReuseResult
from newsingest.reuse.relate import _strip_outlet_lines
from tests.factories import write
from tests.reuse.fixtures import PAIRS, write_pairs

RANK = {"none": 0, "partially": 1, "wholly": 2}


def _articles(folder: Path) -> list[Article]:
    found = [a for a in iter_articles([folder]) if isinstance(a, Article)]
    assert found
    return found


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_pairs(tmp_path_factory.mktemp("reuse"))


@pytest.fixture(scope="module")
def result(corpus: tuple[Path, Path]) -> ReuseResult:
    papers, wire = corpus
    return find_reuse([papers], sources=[wire], keep_texts=True)


@pytest.mark.parametrize("script", sorted(PAIRS))
def test_derived_story_is_found_and_independent_one_is_not(
    result: ReuseResult, script: str
) -> None:
    by_target = {d.target: d for d in result.derivations}
    derived = by_target[f"{script}-derived.txt"]
    assert derived.source == f"{script}.txt"
    assert derived.label == "wholly"
    assert derived.share > 0.8
    assert f"{script}-independent.txt" not in by_target
    assert f"{script}-independent.txt" in result.underived


def test_derived_is_not_a_duplicate_of_an_unrelated_script(result: ReuseResult) -> None:
    for d in result.derivations:
        assert d.target.split("-")[0] == d.source.removesuffix(".txt")


def test_passage_offsets_point_at_equal_words(result: ReuseResult) -> None:
    assert result.derivations
    for d in result.derivations:
        target = result.texts[d.target, d.target_path]
        source = result.texts[d.source, d.source_path]
        assert sum(p.words for p in d.passages) <= d.aligned_words
        assert all(p.words >= ReuseConfig().min_passage_words for p in d.passages)
        for p in d.passages:
            t_words = simplify_tokens(target[p.target_start : p.target_end])
            s_words = simplify_tokens(source[p.source_start : p.source_end])
            assert t_words == s_words
            assert len(t_words) == p.words


def test_passages_are_in_target_order_and_do_not_overlap(result: ReuseResult) -> None:
    for d in result.derivations:
        ends = [(p.target_start, p.target_end, p.source_start, p.source_end) for p in d.passages]
        for (_, t_end, _, s_end), (t_start, _, s_start, _) in itertools.pairwise(ends):
            assert t_end <= t_start
            assert s_end <= s_start


def test_share_is_aligned_words_over_target_words(result: ReuseResult) -> None:
    for d in result.derivations:
        assert 0.0 <= d.share <= 1.0
        assert d.share == pytest.approx(d.aligned_words / d.target_words)


def test_results_do_not_depend_on_input_order(corpus: tuple[Path, Path]) -> None:
    papers, wire = corpus
    targets, sources = _articles(papers), _articles(wire)
    first = find_reuse(targets, sources)
    rng = random.Random(7)
    for _ in range(3):
        rng.shuffle(targets)
        rng.shuffle(sources)
        again = find_reuse(targets, sources)
        assert again.derivations == first.derivations
        assert again.underived == first.underived


def test_an_article_derives_from_each_of_its_sources(tmp_path: Path) -> None:
    latin, urdu = PAIRS["latin"][0], PAIRS["urdu"][0]
    write(tmp_path / "wire" / "a.txt", latin)
    write(tmp_path / "wire" / "b.txt", urdu)
    write(tmp_path / "papers" / "both.txt", PAIRS["latin"][1] + "\n\n" + PAIRS["urdu"][1])
    found = find_reuse([tmp_path / "papers"], sources=[tmp_path / "wire"])
    assert {d.source for d in found.derivations} == {"a.txt", "b.txt"}
    # Each source accounts for its half: together nearly the whole target.
    assert all(0.3 < d.share < 0.7 for d in found.derivations)
    assert sum(d.share for d in found.derivations) > 0.8


def _jsonl_line(id_: str, text: str, date: str | None) -> str:
    title, _, body = text.partition("\n\n")
    record = {"id": id_, "title": title, "text": body}
    if date:
        record["date"] = date
    return json.dumps(record, ensure_ascii=False)


def test_within_a_corpus_the_earlier_article_is_the_source(tmp_path: Path) -> None:
    source, derived, _ = PAIRS["latin"]
    # The derived text is dated first here: dates decide, not length.
    lines = [_jsonl_line("long", source, "2024-03-02"), _jsonl_line("short", derived, "2024-03-01")]
    write(tmp_path / "feed.jsonl", "\n".join(lines) + "\n")
    found = find_reuse([tmp_path])
    assert [(d.target, d.source) for d in found.derivations] == [("feed.jsonl#1", "feed.jsonl#2")]
    assert found.params is not None
    assert found.params.mode == "dated"


def test_undated_pairs_take_the_shorter_text_as_derived(tmp_path: Path) -> None:
    source, derived, _ = PAIRS["urdu"]
    write(tmp_path / "a.txt", derived)
    write(tmp_path / "b.txt", source)
    (d,) = find_reuse([tmp_path]).derivations
    assert (d.target, d.source) == ("a.txt", "b.txt")
    assert any("undated" in note for note in d.notes)


def test_rejected_inputs_are_reported_not_raised(tmp_path: Path) -> None:
    papers, wire = write_pairs(tmp_path)
    write(papers / "empty.txt", b"")
    found = find_reuse([papers], sources=[wire])
    assert [r.id for r in found.rejections] == ["empty.txt"]
    assert found.derivations


def test_relate_articles_aligns_a_pair_without_candidates(corpus: tuple[Path, Path]) -> None:
    papers, wire = corpus
    targets = {a.id: a for a in _articles(papers)}
    sources = {a.id: a for a in _articles(wire)}
    d = relate_articles(targets["latin-independent.txt"], sources["latin.txt"])
    assert isinstance(d, Derivation)
    assert d.label == "none"
    assert d.passages == ()
    assert 0.0 < d.share < ReuseConfig().partial_share


@given(
    shares=st.lists(st.floats(0, 1), min_size=2, max_size=2),
    passage_shares=st.lists(st.floats(0, 1), min_size=2, max_size=2),
    target_words=st.integers(1, 5000),
    source_words=st.integers(1, 5000),
)
def test_labels_never_go_down_as_either_share_goes_up(
    shares: list[float], passage_shares: list[float], target_words: int, source_words: int
) -> None:
    low, high = sorted(shares)
    p_low, p_high = sorted(passage_shares)
    a, _ = label_for(low, target_words, source_words, passage_share=p_low)
    for share, passage_share in ((high, p_low), (low, p_high), (high, p_high)):
        b, _ = label_for(share, target_words, source_words, passage_share=passage_share)
        assert RANK[a] <= RANK[b]


def test_scattered_shared_words_are_not_reuse() -> None:
    config = ReuseConfig()
    label, why = label_for(0.5, 100, 100, config, passage_share=0.1)
    assert label == "none"
    assert "passages" in why
    assert label_for(0.5, 100, 100, config, passage_share=0.2)[0] == "wholly"
    assert label_for(0.3, 100, 100, config, passage_share=0.2)[0] == "partially"


def test_passage_words_are_the_words_of_the_passages(corpus: tuple[Path, Path]) -> None:
    papers, wire = corpus
    found = find_reuse([papers], [wire])
    assert found.derivations
    for d in found.derivations:
        assert d.passage_words == sum(p.words for p in d.passages) <= d.aligned_words


def test_a_much_longer_target_is_at_most_partially_derived() -> None:
    config = ReuseConfig()
    label, why = label_for(0.9, 300, 100, config, passage_share=0.9)
    assert label == "partially"
    assert "long" in why
    assert label_for(0.9, 100, 100, config, passage_share=0.9)[0] == "wholly"


@pytest.mark.parametrize(
    "change",
    [
        {"wholly_share": 1.5},
        {"partial_share": -0.1},
        {"partial_passage_share": 1.1},
        {"max_candidates": 0},
    ],
)
def test_bad_settings_are_config_errors(change: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        attrs.evolve(ReuseConfig(), **change)


def test_a_batch_run_agrees_with_each_pair_aligned_alone(corpus: tuple[Path, Path]) -> None:
    papers, wire = corpus
    targets = {a.id: a for a in _articles(papers)}
    sources = {a.id: a for a in _articles(wire)}
    found = find_reuse(list(targets.values()), list(sources.values()))
    assert found.derivations
    for d in found.derivations:
        assert relate_articles(targets[d.target], sources[d.source]) == d


_FOOTER = (
    "The Valley Courier publishes community briefs as a public service. Items are submitted "
    "by local organisations and are edited only for length and style.\n\n"
    "The Valley Courier does not verify every claim made in submitted items and is not "
    "responsible for changes to dates, times or locations made after publication.\n\n"
    "To submit a brief, write to our community desk at least ten days before your event. "
    "We cannot guarantee that every item will be published."
)
_BRIEFS = {
    "cleanup.txt": "River cleanup on Saturday\n\nVolunteers meet at the boat ramp at eight "
    "to clear litter from the riverbank; gloves and bags are provided, and lunch is "
    "served at noon by the rowing club.",
    "blood.txt": "Blood drive at the fire station\n\nThe regional blood bank holds a drive "
    "from noon to six on June 9; donors should bring photo identification and eat a "
    "full meal beforehand.",
    "choir.txt": "Community choir seeks new members\n\nRehearsals are on Tuesday evenings "
    "in the library hall, no audition is needed, and the altos and tenors especially "
    "welcome new voices.",
}


def test_an_outlets_shared_footer_is_not_reuse(tmp_path: Path) -> None:
    for name, text in _BRIEFS.items():
        write(tmp_path / name, f"{text}\n\n{_FOOTER}\n")
    assert find_reuse([tmp_path]).derivations == ()
    # The same briefs with the footer kept look derived from one another: the footer
    # is most of each text.
    kept = attrs.evolve(ReuseConfig(), boilerplate=BoilerplateConfig(enabled=False))
    assert find_reuse([tmp_path], config=kept).derivations


def test_passages_point_into_the_stripped_texts(tmp_path: Path) -> None:
    papers, wire = write_pairs(tmp_path)
    for folder in (papers, wire):
        for path in sorted(folder.iterdir()):
            path.write_text(path.read_text(encoding="utf-8") + f"\n\n{_FOOTER}\n", encoding="utf-8")
    found = find_reuse([papers], sources=[wire], keep_texts=True)
    assert found.derivations
    for d in found.derivations:
        text = found.texts[d.target, d.target_path]
        assert "Valley Courier" not in text
        assert all(p.target_end <= len(text) for p in d.passages)
        assert any(
            "boilerplate" in line.reason for line in found.articles[d.target, d.target_path].dropped
        )


def test_stripping_in_one_call_equals_the_learner_article_by_article(tmp_path: Path) -> None:
    for name, text in _BRIEFS.items():
        write(tmp_path / "courier" / name, f"{text}\n\n{_FOOTER}\n")
    write_pairs(tmp_path / "pairs")
    articles = _articles(tmp_path)
    model = learn_boilerplate(articles, BoilerplateConfig())
    assert model.boilerplate
    expected = [strip_boilerplate(a, model) for a in articles]
    assert _strip_outlet_lines(articles, BoilerplateConfig()) == expected
