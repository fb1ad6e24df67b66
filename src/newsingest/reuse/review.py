"""A visual review of a reuse run: one self-contained HTML page, in the dedup page's style.

A person checks a derivation by reading the two texts side by side. The page
lists the derived targets, highest share first; under each, every source it
derives from with its label, share and rule, and the target beside the source
with the aligned passages highlighted (``<mark>``) in both. Pointing at a
passage in one text outlines the same passage in the other. Targets derived
from no source and rejected inputs follow.

The page needs no network: the dedup page's inline CSS plus a few rules of its
own, and a few lines of inline script. Every input string is escaped (articles
are untrusted). Output is bounded: at most ``max_targets`` targets,
``max_sources`` sources per target and ``max_chars`` characters per text are
rendered, and the page says what it left out.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import attrs

from newsingest._atomic import atomic_writer

# The dedup page's pieces: one look for both pages, and its escaping for both.
from newsingest.output.review import _CSS as _DEDUP_CSS
from newsingest.output.review import _JS as _DEDUP_JS
from newsingest.output.review import _badges, _esc, _mark_spans, _rejections
from newsingest.records import Article
from newsingest.reuse.records import Derivation, Passage, ReuseResult

__all__ = ["render_reuse_review", "write_reuse_review"]

Key = tuple[str, str]
_Mark = tuple[int, int, int]
"""A highlighted span: start, end, and the passage's number within its pair."""

_CSS = (
    _DEDUP_CSS
    + """
.role.target{background:var(--accent)}.role.source{background:#1a7f37}
.label{font-size:11px;font-weight:700;text-transform:uppercase;letter-spacing:.04em;
padding:1px 7px;border-radius:10px}
.label.wholly{background:#ffd8b5;color:#762c00}.label.partially{background:#fff1cc;color:#7d4e00}
.label.none{background:#eef1f4;color:var(--muted)}
mark.on{outline:2px solid #bf8700;background:#ffd33d}
#underived{max-width:1320px;margin:0 auto 18px;padding:0 20px}
"""
)

_JS = (
    _DEDUP_JS
    + """
document.querySelectorAll("details.pair").forEach(function (pair) {
  var marks = pair.querySelectorAll("mark[data-p]");
  var light = function (p, on) {
    marks.forEach(function (m) {
      if (m.getAttribute("data-p") === p) { m.classList.toggle("on", on); }
    });
  };
  marks.forEach(function (m) {
    m.addEventListener("mouseenter", function () { light(m.getAttribute("data-p"), true); });
    m.addEventListener("mouseleave", function () { light(m.getAttribute("data-p"), false); });
  });
});
"""
)


@attrs.frozen(kw_only=True)
class _Limits:
    max_targets: int
    max_sources: int
    max_chars: int
    open_pairs: int


def _marked(text: str, marks: Sequence[_Mark], start: int, end: int) -> str:
    """``text[start:end]`` escaped, each span of ``marks`` (sorted, disjoint) in a numbered
    ``<mark>``: the same number marks the same passage in the other text."""
    return _mark_spans(text, [(a, b, f' data-p="{n}"') for a, b, n in marks], start, end)


def _marks(passages: Sequence[Passage], *, target: bool) -> list[_Mark]:
    if target:
        found = [(p.target_start, p.target_end, i) for i, p in enumerate(passages)]
    else:
        found = [(p.source_start, p.source_end, i) for i, p in enumerate(passages)]
    return sorted(found)


def _document(
    role: str,
    key: Key,
    article: Article | None,
    text: str | None,
    marks: Sequence[_Mark],
    *,
    max_chars: int,
) -> str:
    """One column: the text's trace as badges (when the article was kept), its title and
    body with the passages marked."""
    doc_id, path = key
    head = (
        f'<div class="who"><span class="role {role}">{role}</span>'
        f'<code title="{_esc(path)}">{_esc(doc_id)}</code></div>'
    )
    if article is not None:
        text = article.text
    if text is None:
        return f'<div class="doc">{head}<p class="note">text not kept in this result</p></div>'
    badges, title, body_start = "", "", 0
    if article is not None:
        badges = f'<div class="badges">{_badges(article)}</div>'
        if article.title:
            body_start = len(article.title) + 2
            title = (
                f'<h4 class="title" dir="auto">{_marked(text, marks, 0, len(article.title))}</h4>'
            )
        else:
            title = '<h4 class="title none">(no title)</h4>'
    end = min(len(text), body_start + max_chars)
    cut = ""
    if end < len(text):
        cut = f'<p class="note">… {len(text) - end:,} more characters not shown</p>'
    body = _marked(text, marks, body_start, end)
    body = f'<div class="body" dir="auto">{body}</div>'
    return f'<div class="doc">{head}{badges}{title}{body}{cut}</div>'


def _label(label: str) -> str:
    return f'<span class="label {_esc(label)}">{_esc(label)}</span>'


def _pair(
    d: Derivation,
    *,
    articles: Mapping[Key, Article],
    texts: Mapping[Key, str],
    limits: _Limits,
    is_open: bool,
) -> str:
    t_key, s_key = (d.target, d.target_path), (d.source, d.source_path)
    tip = "aligned target words over the target's words"
    summary = (
        f"<code>{_esc(d.source)}</code>{_label(d.label)}"
        f'<span class="score" title="{tip}">share {d.share:.2f}</span>'
        f'<span class="score" title="passages of at least two words, highlighted below">'
        f"{len(d.passages):,} passage{'s' * (len(d.passages) != 1)}</span>"
        f'<span class="sub">{_esc(_title_of(articles.get(s_key)))}</span>'
    )
    notes = "".join(f"; {_esc(n)}" for n in d.notes)
    why = (
        f'<p class="why">{d.aligned_words:,} of the target\'s {d.target_words:,} words '
        f"aligned to the source's {d.source_words:,}, {d.passage_words:,} of them in passages "
        f"— {_esc(d.why)}{notes}</p>"
    )
    cols = (
        '<div class="cols">'
        + _document(
            "target",
            t_key,
            articles.get(t_key),
            texts.get(t_key),
            _marks(d.passages, target=True),
            max_chars=limits.max_chars,
        )
        + _document(
            "source",
            s_key,
            articles.get(s_key),
            texts.get(s_key),
            _marks(d.passages, target=False),
            max_chars=limits.max_chars,
        )
        + "</div>"
    )
    opened = " open" if is_open else ""
    return f'<details class="pair"{opened}><summary>{summary}</summary>{why}{cols}</details>'


def _title_of(article: Article | None) -> str:
    return (article.title or "") if article else ""


def _target_section(
    number: int,
    key: Key,
    derivations: Sequence[Derivation],
    *,
    articles: Mapping[Key, Article],
    texts: Mapping[Key, str],
    limits: _Limits,
    opened: int,
) -> tuple[str, int]:
    """The section of one derived target, and how many pairs are now shown open."""
    best = derivations[0]
    title = _title_of(articles.get(key)) or key[0]
    n = len(derivations)
    out = [
        f'<section class="cluster target" id="target-{number}" data-sources="{n}">',
        f'<h2><span class="num">#{number}</span>{_esc(title)}'
        f'<span class="count">{n} source{"s" * (n != 1)}</span></h2>',
        f'<p class="why"><code>{_esc(key[0])}</code> derives {_label(best.label)} from '
        f"<code>{_esc(best.source)}</code> (share {best.share:.2f}); sources by share</p>",
    ]
    shown, rest = derivations[: limits.max_sources], derivations[limits.max_sources :]
    for d in shown:
        out.append(
            _pair(
                d, articles=articles, texts=texts, limits=limits, is_open=opened < limits.open_pairs
            )
        )
        opened += 1
    if rest:
        rows = "".join(
            f"<tr><td><code>{_esc(d.source)}</code></td><td>{_label(d.label)}</td>"
            f'<td class="n">{d.share:.3f}</td><td class="n">{len(d.passages)}</td></tr>'
            for d in rest
        )
        out.append(
            f'<p class="note">{len(rest):,} more sources not shown side by side:</p>'
            '<table class="rest"><thead><tr><th>source</th><th>label</th><th>share</th>'
            f"<th>passages</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    out.append("</section>")
    return "\n".join(out), opened


def _header(result: ReuseResult, targets: int, wholly: int) -> str:
    p = result.params
    n_targets = p.targets if p else targets + len(result.underived)
    stats = [
        ("targets", n_targets),
        ("sources", p.sources if p else 0),
        ("derived", targets),
        ("wholly", wholly),
        ("from none", len(result.underived)),
        ("derivations", len(result.derivations)),
        ("rejected", len(result.rejections)),
    ]
    params: list[str] = []
    if p is not None:
        c = p.config
        params += [
            "sources given" if p.mode == "sources" else "sources: earlier dated, same corpus",
            f"wholly: share ≥ {c.wholly_share:g}, at most {c.wholly_max_length_ratio:g}× "
            "the source's length",
            f"partially: share ≥ {c.partial_share:g}",
            f"any: ≥ {c.partial_passage_share:g} of the target in passages of "
            f"{c.min_passage_words}+ words",
            f"{p.candidate_pairs:,} candidate pairs, {p.aligned_pairs:,} aligned",
        ]
    if result.timings:
        params.append(f"time {sum(result.timings.values()):.2f}s")
    cells = "".join(
        f'<div class="stat"><b>{n:,}</b><span>{_esc(label)}</span></div>' for label, n in stats
    )
    return (
        "<header><h1>newsingest · reuse review</h1>"
        f'<div class="stats">{cells}</div>'
        f'<p class="params">{" · ".join(_esc(x) for x in params)}</p>'
        '<p class="legend"><mark>passage found, in order, in both texts</mark>'
        '<span class="note">point at a passage to outline it in the other text</span>'
        '<button type="button" data-toggle="1">expand all</button>'
        '<button type="button" data-toggle="0">collapse all</button></p></header>'
    )


def _toc(
    ordered: Sequence[tuple[Key, Sequence[Derivation]]],
    articles: Mapping[Key, Article],
    total: int,
) -> str:
    if not ordered:
        return (
            '<nav><h2>Derived targets</h2><p class="note">no target derives from a source</p></nav>'
        )
    rows = "".join(
        f'<tr><td data-v="{i}"><a href="#target-{i}">#{i}</a></td>'
        f'<td class="n" data-v="{ds[0].share:.6f}">{ds[0].share:.3f}</td>'
        f"<td>{_label(ds[0].label)}</td>"
        f'<td class="n" data-v="{len(ds)}">{len(ds)}</td>'
        f"<td>{_esc(_title_of(articles.get(key)))}</td>"
        f"<td><code>{_esc(key[0])}</code></td><td><code>{_esc(ds[0].source)}</code></td></tr>"
        for i, (key, ds) in enumerate(ordered, 1)
    )
    capped = (
        f'<p class="note">showing the {len(ordered):,} highest shares of {total:,} derived '
        "targets</p>"
        if len(ordered) < total
        else ""
    )
    return (
        f'<nav><h2>Derived targets</h2>{capped}<table class="toc"><thead><tr>'
        '<th data-sort="n" title="sort">#</th>'
        '<th data-sort="n" title="sort: the most borderline targets first">share</th>'
        '<th>label</th><th data-sort="n" title="sort">sources</th>'
        "<th>target's title</th><th>target</th><th>main source</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></nav>"
    )


def _underived(result: ReuseResult, limit: int) -> str:
    targets = result.underived
    if not targets:
        return ""
    rows = "".join(
        f'<tr><td><code title="{_esc(result.paths.get(t, ""))}">{_esc(t)}</code></td></tr>'
        for t in targets[:limit]
    )
    capped = (
        f'<p class="note">showing {limit:,} of {len(targets):,}</p>' if len(targets) > limit else ""
    )
    return (
        f'<section id="underived"><h2>Derived from no source ({len(targets):,})</h2>{capped}'
        '<p class="note">no candidate source reaches the partial share</p>'
        f'<table class="underived"><thead><tr><th>target</th></tr></thead><tbody>{rows}</tbody>'
        "</table></section>"
    )


def render_reuse_review(
    result: ReuseResult,
    *,
    max_targets: int = 500,
    max_sources: int = 5,
    max_chars: int = 20_000,
    open_pairs: int = 2,
) -> str:
    """The review page for ``result`` as one HTML string.

    Texts need ``find_reuse(..., keep_texts=True)``; without them the page still
    lists the derivations, their labels and shares.
    """
    limits = _Limits(
        max_targets=max(0, max_targets),
        max_sources=max(0, max_sources),
        max_chars=max(0, max_chars),
        open_pairs=open_pairs,
    )
    by_target: dict[Key, list[Derivation]] = {}
    for d in result.derivations:
        by_target.setdefault((d.target, d.target_path), []).append(d)
    for ds in by_target.values():
        ds.sort(key=lambda d: (-d.share, d.source, d.source_path))
    ordered = sorted(by_target.items(), key=lambda kv: (-kv[1][0].share, kv[0]))
    shown = ordered[: limits.max_targets]
    wholly = sum(1 for ds in by_target.values() if any(d.label == "wholly" for d in ds))
    articles = result.articles
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>newsingest reuse review</title>",
        f"<style>{_CSS}</style></head><body>",
        _header(result, len(by_target), wholly),
        _toc(shown, articles, len(ordered)),
        "<main>",
    ]
    if not result.texts and not articles and result.derivations:
        parts.append(
            '<section><p class="note">The texts were not kept in this result: run '
            "find_reuse(..., keep_texts=True) to see them.</p></section>"
        )
    opened = 0
    for i, (key, ds) in enumerate(shown, 1):
        section, opened = _target_section(
            i, key, ds, articles=articles, texts=result.texts, limits=limits, opened=opened
        )
        parts.append(section)
    parts.append("</main>")
    parts.append(_underived(result, 5000))
    parts.append(_rejections(result.rejections, 5000))
    parts.append(f"<script>{_JS}</script></body></html>\n")
    return "\n".join(parts)


def write_reuse_review(
    result: ReuseResult,
    path: str | os.PathLike[str],
    *,
    max_targets: int = 500,
    max_sources: int = 5,
    max_chars: int = 20_000,
) -> None:
    """Write :func:`render_reuse_review` to ``path`` atomically (``"-"`` for stdout)."""
    page = render_reuse_review(
        result, max_targets=max_targets, max_sources=max_sources, max_chars=max_chars
    )
    with atomic_writer(path) as out:
        out.write(page)
