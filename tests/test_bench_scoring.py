"""Tests of the quality benchmark's scoring math and corpus generator, on tiny made-up input."""

from __future__ import annotations

import gzip
import json
import random
import sys
from itertools import combinations
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

# benchmarks/ is a top-level folder, not part of the installed package; until pytest's
# ``pythonpath = ["."]`` is configured, put the repo root on the path explicitly
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.baselines import datatrove_simplify, iter_naive_texts, run_datasketch
from benchmarks.generate import (
    OUTLETS,
    Document,
    Source,
    SourcePools,
    apply_edits,
    apply_typography,
    encode_text,
    plan_corpus,
    render_html,
    rewrap,
    split_paragraphs,
    truncate,
    write_corpus,
)
from benchmarks.scoring import (
    adjusted_rand_index,
    false_merges_by_kind,
    pair_scores,
    recall_by_transform,
    score_clustering,
)

labelings = st.integers(min_value=0, max_value=14).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 4), min_size=n, max_size=n),
        st.lists(st.integers(0, 4), min_size=n, max_size=n),
    )
)


def brute_pairs(labels: list[int]) -> set[tuple[int, int]]:
    return {(i, j) for i, j in combinations(range(len(labels)), 2) if labels[i] == labels[j]}


def brute_ari(a: list[int], b: list[int]) -> float:
    n = len(a)
    total = n * (n - 1) // 2
    pa, pb = brute_pairs(a), brute_pairs(b)
    if total == 0:
        return 1.0
    expected = len(pa) * len(pb) / total
    maximum = (len(pa) + len(pb)) / 2
    if maximum == expected:
        return 1.0
    return (len(pa & pb) - expected) / (maximum - expected)


@settings(max_examples=60, deadline=None)
@given(labelings)
def test_pair_scores_match_brute_force(pair: tuple[list[int], list[int]]) -> None:
    predicted, truth = pair
    scores = pair_scores(predicted, truth)
    pp, tp = brute_pairs(predicted), brute_pairs(truth)
    assert scores.true_positive == len(pp & tp)
    assert scores.predicted_pairs == len(pp)
    assert scores.true_pairs == len(tp)
    if pp:
        assert scores.precision == len(pp & tp) / len(pp)
    if tp:
        assert scores.recall == len(pp & tp) / len(tp)


@settings(max_examples=60, deadline=None)
@given(labelings)
def test_ari_matches_brute_force(pair: tuple[list[int], list[int]]) -> None:
    predicted, truth = pair
    assert abs(adjusted_rand_index(predicted, truth) - brute_ari(predicted, truth)) < 1e-9


def test_ari_known_values() -> None:
    assert adjusted_rand_index([0, 0, 1, 1], [5, 5, 7, 7]) == 1.0
    # sklearn.metrics.adjusted_rand_score([0, 0, 1, 1], [0, 1, 0, 1]) == -0.5
    assert abs(adjusted_rand_index([0, 0, 1, 1], [0, 1, 0, 1]) + 0.5) < 1e-12


def test_f1_of_half_right_clustering() -> None:
    scores = pair_scores(["a", "a", "a", "b"], ["x", "x", "y", "y"])
    assert (scores.true_positive, scores.predicted_pairs, scores.true_pairs) == (1, 3, 2)
    assert abs(scores.f1 - 2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2)) < 1e-12


TRUTH = [
    {"id": "o1", "story": "s1", "transform": ["original"], "kind": "story"},
    {"id": "c1", "story": "s1", "transform": ["outlet", "truncate"], "kind": "story"},
    {"id": "c2", "story": "s1", "transform": ["outlet", "html"], "kind": "story"},
    {"id": "b1", "story": "b1", "transform": ["brief"], "kind": "brief"},
    {"id": "b2", "story": "b2", "transform": ["brief"], "kind": "brief"},
    {"id": "b3", "story": "b3", "transform": ["brief"], "kind": "brief"},
]


def test_false_merges_and_transform_recall() -> None:
    clusters: dict[str, str | None] = {
        "o1": "A",
        "c1": "A",
        "c2": "B",
        "b1": "B",
        "b2": "B",
        "b3": None,
    }
    score = score_clustering(TRUTH, clusters)
    # cluster B holds c2 (story) with b1, b2 (two briefs): 2 story|brief + 1 brief|brief
    assert score.false_merges_by_kind == {"brief|brief": 1, "brief|story": 2}
    assert score.hard_negative_merges == {
        "brief": 3,
        "template": 0,
        "same-event": 0,
        "shared-captions": 0,
        "shared-teaser": 0,
        "update": 0,
    }
    assert score.recall_by_transform == {"html": 0.0, "outlet": 0.5, "truncate": 1.0}
    assert score.min_transform_recall == 0.0
    assert score.rejected == 1
    assert score.missing == 0


def test_rejected_and_missing_are_singletons() -> None:
    labels = {"o1": "x", "c1": "x", "c2": ("rejected", "c2"), "b1": 1, "b2": 2, "b3": 3}
    assert recall_by_transform(TRUTH, labels)["html"] == (0, 1)
    assert false_merges_by_kind(TRUTH, labels) == {}
    score = score_clustering(TRUTH, {"o1": "x", "c1": "x"})
    assert score.missing == 4
    assert score.precision == 1.0
    assert score.recall == 1 / 3


# ---------------------------------------------------------------- generator

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india"]
WORDS += ["juliet", "kilo", "lima", "mike"]


def fake_sources(n: int, seed: int) -> list[Source]:
    rng = random.Random(seed)
    sources = []
    for i in range(n):
        paragraphs = tuple(
            " ".join(rng.choice(WORDS) for _ in range(40)) + f' "quote {i}" -- done...'
            for _ in range(rng.randint(2, 6))
        )
        sources.append(Source(title=f"Headline number {i}", paragraphs=paragraphs))
    return sources


def fake_pools() -> SourcePools:
    return SourcePools(
        stories=fake_sources(12, 1),
        briefs=fake_sources(3, 2),
        templates=[Source(title="ACME NET", paragraphs=("Shr 1 ct vs 2 cts", "Net 5 vs 6"))],
        events=fake_sources(2, 3),
    )


def write_fake(tmp: Path, seed: int) -> tuple[list[dict[str, object]], dict[str, bytes]]:
    truth = write_corpus(plan_corpus(fake_pools(), seed), tmp, seed)
    files = {
        p.relative_to(tmp).as_posix(): p.read_bytes() for p in sorted(tmp.rglob("*")) if p.is_file()
    }
    return truth, files


def test_generator_is_deterministic(tmp_path: Path) -> None:
    first = write_fake(tmp_path / "a", 7)
    second = write_fake(tmp_path / "b", 7)
    other = write_fake(tmp_path / "c", 8)
    assert first == second
    assert first != other


def test_generator_truth_matches_files(tmp_path: Path) -> None:
    truth, _ = write_fake(tmp_path, 7)
    ids = [str(row["id"]) for row in truth]
    naive_ids = [doc_id for doc_id, _ in iter_naive_texts(tmp_path / "docs")]
    assert sorted(ids) == sorted(naive_ids)
    originals = {row["story"] for row in truth if row["transform"] == ["original"]}
    assert len(originals) == 12
    kinds = {str(row["kind"]) for row in truth}
    assert kinds == {"story", "brief", "template", "same-event"}
    assert all(len(row["transform"]) >= 1 for row in truth)  # type: ignore[arg-type]


def test_truncate_keeps_ratio_of_paragraphs_or_words() -> None:
    paragraphs = [f"p{i}" for i in range(10)]
    assert truncate(paragraphs, 0.7) == tuple(paragraphs[:7])
    words = " ".join(f"w{i}" for i in range(100))
    (cut,) = truncate([words], 0.6)
    assert cut.split() == words.split()[:60]


def test_edits_change_about_the_rate() -> None:
    paragraph = " ".join(f"w{i}" for i in range(2000))
    edited, count = apply_edits([paragraph], random.Random(1), 0.04)
    assert 40 <= count <= 130
    assert edited[0] != paragraph


def test_typography_swaps_quotes_and_dashes() -> None:
    text = 'He said "yes" -- and left... It\'s 3 pm. Then more.'
    curly = apply_typography(text, random.Random(0), curly=True)
    assert "\u201cyes\u201d" in curly
    assert "\u2014" in curly
    assert "\u2026" in curly
    assert "\u00a0" in curly
    assert ".  Then" in curly
    plain = apply_typography(curly, random.Random(0), curly=False, spacing=False)
    assert '"yes"' in plain
    assert "--" in plain


def test_rewrap_limits_line_width() -> None:
    paragraph = " ".join(WORDS * 5)
    wrapped = rewrap(paragraph, 60)
    assert max(len(line) for line in wrapped.split("\n")) <= 60
    assert wrapped.split() == paragraph.split()


def test_encodings_decode_back() -> None:
    text = "Caf\u00e9 \u201cquoted\u201d \u2014 na\u00efve"
    assert encode_text(text, "cp1252").decode("cp1252") == text
    utf16 = encode_text(text, "utf16")
    assert utf16[:2] in (b"\xff\xfe", b"\xfe\xff")
    assert utf16.decode("utf-16") == text
    assert encode_text(text, "utf8bom").startswith(b"\xef\xbb\xbf")
    assert encode_text(text, "utf8bom").decode("utf-8-sig") == text
    mojibake = encode_text(text, "mojibake").decode("utf-8")
    assert mojibake != text
    # the double encoding is undone by reading the characters back as cp1252 bytes
    raw = bytes(ord(c) if ord(c) < 256 else c.encode("cp1252")[0] for c in mojibake)
    assert raw.decode("utf-8") == text


def test_gzip_files_are_valid(tmp_path: Path) -> None:
    truth, files = write_fake(tmp_path, 11)
    gz = [name for name in files if name.endswith(".gz")]
    for name in gz:
        assert gzip.decompress(files[name])
    labelled = [row for row in truth if "gzip" in row["transform"]]  # type: ignore[operator]
    assert len(labelled) == len(gz)


def test_html_contains_title_and_paragraphs() -> None:
    doc = Document(
        story="s",
        kind="story",
        transform=("outlet", "html"),
        outlet=OUTLETS[0],
        title="A <b> title",
        date="May 01, 2010",
        paragraphs=("First & one.", "Second one."),
        container="html",
    )
    page = render_html(doc)
    assert "<h1>A &lt;b&gt; title</h1>" in page
    assert "<p>First &amp; one.</p>" in page
    assert "<p>Second one.</p>" in page
    assert "<nav>" in page
    assert "<footer>" in page


def test_jsonl_records_have_the_contract_fields(tmp_path: Path) -> None:
    write_fake(tmp_path, 3)
    for path in (tmp_path / "docs").rglob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            assert set(json.loads(line)) == {"id", "title", "text", "date"}


def test_split_paragraphs_handles_indents_and_long_blocks() -> None:
    assert split_paragraphs("one\ntwo\n\nthree") == ("one two", "three")
    assert split_paragraphs("a b\n    c d\n    e") == ("a b", "c d", "e")
    long = " ".join(f"Sentence {i} is here with words." for i in range(30))
    assert len(split_paragraphs(long)) > 1


# ---------------------------------------------------------------- baselines


def test_datatrove_simplify_defaults() -> None:
    assert datatrove_simplify("Caf\u00e9 SOLD 3,5 units -- today!") == "cafe sold 0 units today"


def test_datasketch_baseline_groups_identical_texts(tmp_path: Path) -> None:
    body = " ".join(WORDS * 3)
    (tmp_path / "a.txt").write_text(body, encoding="utf-8")
    (tmp_path / "b.txt").write_text(body, encoding="utf-8")
    (tmp_path / "c.txt").write_text(" ".join(reversed(WORDS * 3)), encoding="utf-8")
    clusters = run_datasketch(tmp_path)
    assert clusters["a.txt"] == clusters["b.txt"]
    assert clusters["c.txt"] != clusters["a.txt"]
