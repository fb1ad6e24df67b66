"""The reuse review page: structure, highlighted passages, escaping, limits, the CLI option."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from newsingest.cli import main
from newsingest.matching.shingle import simplify_tokens
from newsingest.reuse import ReuseResult, find_reuse
from newsingest.reuse.review import render_reuse_review, write_reuse_review
from tests.factories import write
from tests.output.test_review import assert_self_contained, outline
from tests.reuse.fixtures import LATIN_DERIVED, LATIN_SOURCE, write_pairs

HOSTILE = '<script>alert(1)</script> "><img src=x onerror=alert(2)>'


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("reuse-review")
    papers, wire = write_pairs(root)
    # A hostile rewrite: the markup must come out as text, in the target and the source.
    write(papers / "hostile-derived.txt", LATIN_DERIVED.replace("Monday", HOSTILE))
    write(wire / "hostile.txt", LATIN_SOURCE.replace("Monday", HOSTILE))
    write(papers / "broken.txt", b"")
    return papers, wire


@pytest.fixture(scope="module")
def result(inputs: tuple[Path, Path]) -> ReuseResult:
    papers, wire = inputs
    return find_reuse([papers], sources=[wire], keep_texts=True)


@pytest.fixture(scope="module")
def page(result: ReuseResult) -> str:
    return render_reuse_review(result)


def _pairs(page: str) -> list[str]:
    return re.findall(r'<details class="pair".*?</details>', page, re.DOTALL)


def _sections(page: str) -> list[dict[str, str | None]]:
    return [s for s in outline(page).sections if "target" in (s.get("class") or "").split()]


def _marked(column: str) -> dict[str, str]:
    """Each numbered mark's text in one column (a passage split by the title's end is joined)."""
    found: dict[str, str] = {}
    for number, text in re.findall(r'<mark data-p="(\d+)">(.*?)</mark>', column, re.DOTALL):
        found[number] = found.get(number, "") + " " + text
    return found


def test_one_section_per_derived_target_highest_share_first(result: ReuseResult, page: str) -> None:
    targets = {(d.target, d.target_path) for d in result.derivations}
    assert len(_sections(page)) == len(targets) == 3
    nav = page.split("<nav>", 1)[1].split("</nav>", 1)[0]
    shares = [float(s) for s in re.findall(r'<td class="n" data-v="(\d\.\d{6})">', nav)]
    assert len(shares) == 3
    assert shares == sorted(shares, reverse=True)
    assert len(_pairs(page)) == len(result.derivations)


def _ids(pair: str) -> tuple[str, str]:
    """The target's and the source's ids, from the pair's two columns."""
    found = re.findall(r'<span class="role (?:target|source)">\w+</span><code[^>]*>([^<]*)<', pair)
    assert len(found) == 2
    return found[0], found[1]


def test_the_same_passage_is_marked_in_both_texts(result: ReuseResult, page: str) -> None:
    derivations = {(d.target, d.source): d for d in result.derivations}
    pairs = _pairs(page)
    assert sorted(_ids(p) for p in pairs) == sorted(derivations)
    for pair in pairs:
        d = derivations[_ids(pair)]
        target_col, source_col = pair.split('<span class="role source">', 1)
        in_target, in_source = _marked(target_col), _marked(source_col)
        assert len(in_target) == len(in_source) == len(d.passages) > 0
        for number, text in in_target.items():
            # Escaped text on both sides: compare the words as dedup simplifies them.
            assert simplify_tokens(text) == simplify_tokens(in_source[number])


def test_each_pair_shows_its_source_label_and_share(result: ReuseResult, page: str) -> None:
    derivations = {(d.target, d.source): d for d in result.derivations}
    for pair in _pairs(page):
        d = derivations[_ids(pair)]
        summary = pair.split("</summary>", 1)[0]
        assert f"<code>{d.source}</code>" in summary
        assert f'<span class="label {d.label}">{d.label}</span>' in summary
        assert f"share {d.share:.2f}" in summary
        assert f"{len(d.passages):,} passage" in summary


def test_arabic_script_passages_are_marked(page: str) -> None:
    pair = next(p for p in _pairs(page) if "<code>urdu.txt</code>" in p)
    marks = _marked(pair.split('<span class="role source">', 1)[0])
    assert any("وزیر اعظم" in text for text in marks.values())
    assert 'dir="auto"' in pair


def test_underived_targets_and_rejections_are_listed(result: ReuseResult, page: str) -> None:
    underived = page.split('<section id="underived">', 1)[1].split("</section>", 1)[0]
    for target in result.underived:
        assert f">{target}</code>" in underived
    assert "latin-independent.txt" in underived
    found = outline(page)
    rows = [r for r in found.rejected_rows if r]  # the header row has no cells
    assert {r[0] for r in rows} == {r.id for r in result.rejections} != set()


def test_page_is_self_contained(page: str) -> None:
    assert_self_contained(page)


def test_hostile_text_is_rendered_inert(page: str) -> None:
    found = outline(page)
    assert HOSTILE not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 2  # target and source
    assert not any(name.startswith("on") for _, a in found.tags for name in a)
    assert len(found.scripts) == 1
    assert "alert" not in found.scripts[0]


def test_limits_cap_the_output(result: ReuseResult) -> None:
    page = render_reuse_review(result, max_targets=1, max_chars=40)
    assert len(_sections(page)) == 1
    assert "showing the 1 highest shares of 3 derived targets" in page
    assert "more characters not shown" in page
    no_pairs = render_reuse_review(result, max_sources=0)
    assert not _pairs(no_pairs)
    assert "more sources not shown side by side" in no_pairs


def test_without_texts_the_page_still_lists_the_derivations(inputs: tuple[Path, Path]) -> None:
    papers, wire = inputs
    bare = find_reuse([papers], sources=[wire])
    page = render_reuse_review(bare)
    assert len(_pairs(page)) == len(bare.derivations) >= 3
    assert "<mark data-p" not in page
    assert "keep_texts=True" in page


def test_an_empty_result_says_so() -> None:
    page = render_reuse_review(ReuseResult(derivations=()))
    assert "no target derives from a source" in page
    assert not _pairs(page)


def test_write_reuse_review_writes_the_rendered_page(result: ReuseResult, tmp_path: Path) -> None:
    out = tmp_path / "reuse.html"
    write_reuse_review(result, out, max_targets=1)
    assert out.read_text(encoding="utf-8") == render_reuse_review(result, max_targets=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reuse.html"]


def test_cli_writes_the_review_page(
    inputs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    papers, wire = inputs
    out = tmp_path / "reuse.html"
    report = tmp_path / "reuse.jsonl"
    args = ["-q", "reuse", str(papers), "--sources", str(wire), "--report", str(report)]
    assert main([*args, "--html", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert len(_sections(page)) == 3
    assert "<mark data-p" in page
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reuse.html", "reuse.jsonl"]
    capsys.readouterr()


def test_cli_refuses_a_review_page_inside_an_input(inputs: tuple[Path, Path]) -> None:
    papers, wire = inputs
    inside = papers / "reuse.html"
    assert main(["reuse", str(papers), "--sources", str(wire), "--html", str(inside)]) == 2
    assert not inside.exists()


def test_cli_leaves_the_old_page_when_writing_fails(
    inputs: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    papers, wire = inputs
    out = tmp_path / "reuse.html"
    out.write_text("old", encoding="utf-8")

    def fail(*_args: object, **_kwargs: object) -> str:
        raise OSError("disk full")

    monkeypatch.setattr("newsingest.reuse.review.render_reuse_review", fail)
    args = ["-q", "reuse", str(papers), "--sources", str(wire), "--html", str(out)]
    assert main([*args, "--report", str(tmp_path / "r.jsonl")]) == 1
    assert out.read_text(encoding="utf-8") == "old"
