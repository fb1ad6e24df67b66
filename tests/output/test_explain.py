"""explain(), and deduplication of scripts written without spaces (Chinese, Japanese, Thai)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from newsingest.cli import main
from newsingest.config import DedupConfig
from newsingest.errors import InputError
from newsingest.output.explain import (
    explain,
    explanation_to_dict,
    format_explanation,
    format_explanation_json,
    load_article,
)
from newsingest.pipeline import dedup
from tests.factories import article_text, story, write

# Character pools: frequent function characters make distinct texts share some
# short n-grams, as real text does, so "kept apart" is a real test.
HAN_COMMON = (
    "的一是在不了有和人这中大为上个国我以要他时来用们"
    "生到作地于出就分对成会可主发年动同工也能下过子说"
    "产种面而方后多定行学法所民得经"
)
HAN_RARE = "".join(chr(c) for c in range(0x5200, 0x5800))
JIS_HAN = "".join(c for c in HAN_RARE if c.encode("shift_jis", errors="ignore"))
KANA = "".join(chr(c) for c in range(0x3042, 0x3094))
THAI = "".join(chr(c) for c in range(0x0E01, 0x0E2F)) + "าิีึืุูเแโใไ่้"


def han_text(seed: int, sentences: int = 12) -> list[str]:
    rng = random.Random(seed)
    paras = []
    for _ in range(sentences // 3):
        sent = []
        for _ in range(3):
            chars = [
                rng.choice(HAN_COMMON) if rng.random() < 0.3 else rng.choice(HAN_RARE)
                for _ in range(rng.randint(18, 30))
            ]
            sent.append("".join(chars) + "。")
        paras.append("".join(sent))
    return paras


def japanese_text(seed: int) -> list[str]:
    rng = random.Random(seed)
    paras = []
    for _ in range(4):
        chars = []
        for _ in range(70):
            chars.append(rng.choice(KANA) if rng.random() < 0.5 else rng.choice(JIS_HAN))
        paras.append("".join(chars) + "。")
    return paras


def thai_text(seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(THAI) for _ in range(160)) for _ in range(4)]


@pytest.mark.parametrize(
    ("make", "encoding"),
    # Thai is written as UTF-8: these random letter strings are not Thai words, and
    # chardet rightly does not recognise them as TIS-620/cp874 text.
    [(han_text, "gb18030"), (japanese_text, "shift_jis"), (thai_text, "utf-8")],
    ids=["chinese", "japanese", "thai"],
)
def test_copies_found_and_distinct_articles_kept_apart(
    tmp_path: Path, make: object, encoding: str
) -> None:
    assert callable(make)

    def title(seed: int) -> str:
        return str(make(1000 + seed)[0][:12])  # type: ignore[operator]

    original = make(1)
    write(tmp_path / "a/original.txt", article_text(title(1), original, date="2024-03-03"))
    # A copy with a different header, full-width vs ASCII punctuation, truncated,
    # saved in the script's legacy encoding.
    copy = [p.replace("。", ". ") for p in original[:3]]
    write(
        tmp_path / "b/copy.txt",
        article_text(title(99), copy, promo="Follow us for more", date="2024-03-04"),
        encoding=encoding,
    )
    for seed in range(2, 8):
        write(tmp_path / f"c/other{seed}.txt", article_text(title(seed), make(seed)))
    result = dedup([tmp_path])
    by_id = {d.id: d for d in result.decisions}
    assert by_id["b/copy.txt"].status == "duplicate", by_id["b/copy.txt"]
    assert by_id["b/copy.txt"].duplicate_of == "a/original.txt"
    others = [d for i, d in by_id.items() if i.startswith("c/")]
    assert all(d.status == "kept" for d in others)


def test_explain_shows_shared_text_and_stripped_lines(tmp_path: Path) -> None:
    title, paras = story(5)
    promo = "Subscribe to the Morning Bugle for one dollar a week!"
    write(tmp_path / "one.txt", article_text(title, paras, promo=promo))
    write(tmp_path / "two.txt", article_text("Another Headline Entirely", paras[:4]))
    for seed in range(6, 9):  # the footer repeats across the outlet: boilerplate
        t, p = story(seed)
        write(tmp_path / f"more{seed}.txt", article_text(t, [*p, "Morning Bugle, est. 1888."]))
    e = explain(tmp_path / "one.txt", tmp_path / "two.txt", corpus=[tmp_path])
    assert e.duplicate
    assert e.containment > 0.9
    assert e.exact_containment == pytest.approx(1.0, abs=0.05)
    assert any(paras[1][:40] in passage for passage in e.shared_a)
    assert [d.reason for d in e.a.dropped] == ["promo"]
    text = format_explanation(e)
    assert "copies" in text
    assert "[promo]" in text

    far = explain(tmp_path / "one.txt", tmp_path / "more6.txt", corpus=[tmp_path])
    assert not far.duplicate
    assert far.reason.startswith("not copies")
    assert far.shared_a == ()


def test_explain_strips_boilerplate_only_with_a_corpus(tmp_path: Path) -> None:
    footer = "This brief is published as a community service and lightly edited for length."
    for seed in range(3):
        t, p = story(40 + seed)
        write(tmp_path / f"brief{seed}.txt", article_text(t, [p[0][:200], footer, footer + " 2"]))
    with_corpus = explain(tmp_path / "brief0.txt", tmp_path / "brief1.txt", corpus=[tmp_path])
    assert with_corpus.boilerplate_learned
    assert {d.reason for d in with_corpus.a.dropped} == {"boilerplate"}
    alone = explain(tmp_path / "brief0.txt", tmp_path / "brief1.txt")
    assert not alone.boilerplate_learned
    assert alone.a.dropped == ()


def test_load_article_by_jsonl_line_and_errors(tmp_path: Path) -> None:
    write(tmp_path / "f.jsonl", '{"title": "One", "text": "First body."}\n{"text": ""}\n')
    assert load_article(f"{tmp_path / 'f.jsonl'}#1").title == "One"
    with pytest.raises(InputError, match="rejected at extract"):
        load_article(f"{tmp_path / 'f.jsonl'}#2")
    with pytest.raises(InputError, match="no such document"):
        load_article(f"{tmp_path / 'f.jsonl'}#7")


def test_explain_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    title, paras = story(9)
    write(tmp_path / "x.txt", article_text(title, paras))
    write(tmp_path / "y.txt", article_text(title, paras[:5]))
    assert main(["explain", str(tmp_path / "x.txt"), str(tmp_path / "y.txt")]) == 0
    out = capsys.readouterr().out
    assert "verdict      copies" in out
    assert main(["explain", str(tmp_path / "x.txt"), str(tmp_path / "y.txt"), "--json"]) == 0
    assert '"duplicate": true' in capsys.readouterr().out
    assert main(["explain", str(tmp_path / "x.txt"), str(tmp_path / "missing.txt")]) == 1


def test_threshold_is_configurable() -> None:
    assert DedupConfig(threshold=0.9).threshold == 0.9


def test_explain_counts_a_document_inside_the_corpus_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    footer = "Brought to you by the Morning Bugle newsroom, every single weekday morning."
    for seed in range(2):  # the footer is in only two documents: below min_docs (3)
        t, p = story(60 + seed)
        write(tmp_path / f"c/s{seed}.txt", article_text(t, [*p, footer]))
    monkeypatch.chdir(tmp_path)
    e = explain("c/s0.txt", "c/s1.txt", corpus=["c"])
    # Counted twice, the footer would reach three documents and be stripped.
    assert [d.reason for d in e.a.dropped if d.reason == "boilerplate"] == []


def test_explanation_to_dict_holds_every_number_and_the_stripped_lines(tmp_path: Path) -> None:
    title, paras = story(5)
    promo = "Subscribe to the Morning Bugle for one dollar a week!"
    write(tmp_path / "one.txt", article_text(title, paras, promo=promo))
    write(tmp_path / "two.txt", article_text(title, paras[:4]))
    e = explain(tmp_path / "one.txt", tmp_path / "two.txt")
    row = explanation_to_dict(e)
    assert list(row) == [
        "a",
        "b",
        "duplicate",
        "reason",
        "jaccard",
        "containment",
        "exact_jaccard",
        "exact_containment",
        "shingles_a",
        "shingles_b",
        "shared_shingles",
        "shared_passages_a",
        "shared_passages_b",
        "stripped_a",
        "stripped_b",
        "boilerplate_learned",
        "chain",
    ]
    assert (row["a"], row["b"]) == (e.a.id, e.b.id)
    assert row["duplicate"] is True
    assert row["reason"] == e.reason
    assert (row["jaccard"], row["exact_containment"]) == (e.jaccard, e.exact_containment)
    assert row["shared_passages_a"] == list(e.shared_a)
    assert row["stripped_a"] == [{"text": promo, "reason": "promo"}]
    assert row["stripped_b"] == []
    assert row["chain"] is None
    line = format_explanation_json(e)
    assert "\n" not in line
    assert json.loads(line) == row


def test_the_reason_agrees_with_the_verdict_for_short_texts(tmp_path: Path) -> None:
    """Short items sharing one teaser line: below the near-identical bar, not copies."""
    teaser = "Read the full story on our website, where our reporters follow it every day."
    paths = []
    for k, title in enumerate(("Mayor Opens Bridge", "Storm Closes Schools", "Team Wins Title")):
        paths.append(write(tmp_path / f"t{k}.txt", f"{title}\n\n{teaser}\n"))
    for a, b in ((paths[0], paths[1]), (paths[0], paths[0])):
        e = explain(a, b)
        assert e.duplicate == e.reason.startswith("copies"), e.reason
    assert not explain(paths[0], paths[1]).duplicate


def _chained_corpus(root: Path) -> tuple[Path, Path, Path]:
    """A (paragraphs 1-6) and B (4-9) share a third of their text; X (1-9) holds both."""
    title, paras = story(61, paragraphs=9)
    a = write(root / "a.txt", article_text(title, paras[:6]))
    b = write(root / "b.txt", article_text(title, paras[3:]))
    x = write(root / "x.txt", article_text(title, paras))
    write(root / "other.txt", article_text(*story(62)))
    return a, b, x


def test_the_chain_shows_the_verified_pairs_that_join_two_documents(tmp_path: Path) -> None:
    a, b, _ = _chained_corpus(tmp_path)
    e = explain(a, b, corpus=[tmp_path])
    assert not e.duplicate
    assert e.chain is not None
    assert [(link.a, link.b) for link in e.chain] == [("a.txt", "x.txt"), ("x.txt", "b.txt")]
    for link in e.chain:
        assert link.containment >= DedupConfig().containment
    # The run puts the three in one cluster, which the chain accounts for.
    clusters = dedup([tmp_path]).clusters
    assert [set(c.members) for c in clusters] == [{"a.txt", "b.txt", "x.txt"}]
    text = format_explanation(e)
    assert "2 verified pairs join A and B" in text
    assert "a.txt ~ x.txt" in text
    assert explanation_to_dict(e)["chain"][1]["a"] == "x.txt"


def test_the_chain_is_one_pair_for_copies_and_empty_for_unrelated(tmp_path: Path) -> None:
    a, _, x = _chained_corpus(tmp_path)
    direct = explain(a, x, corpus=[tmp_path])
    assert direct.duplicate
    assert direct.chain is not None
    assert len(direct.chain) == 1
    apart = explain(a, tmp_path / "other.txt", corpus=[tmp_path])
    assert apart.chain == ()
    assert "no chain of verified pairs" in format_explanation(apart)
    assert explain(a, x).chain is None
