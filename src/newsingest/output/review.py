"""A visual review of a dedup run: one self-contained HTML page.

People judge duplicate decisions by looking at the copies, not by reading
JSONL. The page lists the clusters largest first; each copy is shown beside the
canonical copy with the text they share highlighted (``<mark>``), the lines the
pipeline removed (promo, boilerplate) greyed with their reason, and the
decoding and repair trace as badges. Rejected files follow with their reasons.

The page needs no network: inline CSS and a few lines of inline script, no
external asset. Every input string is escaped (articles are untrusted). Output
is bounded: at most ``max_clusters`` clusters, ``max_copies`` side-by-side
copies per cluster and ``max_chars`` characters per body are rendered, and the
page says what it left out.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterable, Mapping, Sequence

import attrs

from newsingest._atomic import atomic_writer
from newsingest.config import DedupConfig, FingerprintConfig
from newsingest.matching.shingle import find_shared_spans, shingle_text
from newsingest.records import Article, Cluster, Decision, DedupResult, Rejection

__all__ = ["render_review", "write_review"]

Span = tuple[int, int]

# ---------------------------------------------------------------- HTML pieces


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _highlight(text: str, spans: Sequence[Span], start: int, end: int) -> str:
    """``text[start:end]`` escaped, with the parts inside ``spans`` in ``<mark>``."""
    return _mark_spans(text, [(a, b, "") for a, b in spans], start, end)


def _mark_spans(text: str, spans: Sequence[tuple[int, int, str]], start: int, end: int) -> str:
    """``text[start:end]`` escaped, each ``(start, end, attributes)`` of ``spans`` (sorted,
    disjoint) in a ``<mark attributes>``; the dedup and reuse pages both mark this way."""
    out: list[str] = []
    pos = start
    for span_start, span_end, attributes in spans:
        if span_end <= pos:
            continue
        if span_start >= end:
            break
        a, b = max(span_start, pos), min(span_end, end)
        if a > pos:
            out.append(_esc(text[pos:a]))
        out.append(f"<mark{attributes}>{_esc(text[a:b])}</mark>")
        pos = b
    if pos < end:
        out.append(_esc(text[pos:end]))
    return "".join(out)


def _badge(label: str, *, kind: str = "", tip: str = "") -> str:
    cls = f"badge {kind}".strip()
    title = f' title="{_esc(tip)}"' if tip else ""
    return f'<span class="{cls}"{title}>{_esc(label)}</span>'


def _badges(article: Article) -> str:
    d = article.decoding
    parts = [_badge(article.format, tip="; ".join(article.notes))]
    parts.append(
        _badge(article.date.isoformat(), tip=article.date_raw or "")
        if article.date
        else _badge("no date", kind="warn")
    )
    enc = d.encoding if d.method in ("utf-8", "bom", "json") else f"{d.encoding} · {d.method}"
    warn = d.lossy or d.method in ("detected", "fallback", "utf-8+cp1252")
    enc_tip = f"decoded by {d.method}, confidence {d.confidence:.0%}"
    if d.replaced:
        enc_tip += f", {d.replaced} replacement characters"
    parts.append(_badge(enc, kind="warn" if warn else "", tip=enc_tip))
    if article.fixes:
        n = len(article.fixes)
        tip = "; ".join(f"{f.field}: {f.action} {f.parameter}" for f in article.fixes)
        parts.append(_badge(f"{n} repair{'s' * (n != 1)}", kind="fix", tip=tip))
    if article.byline:
        parts.append(_badge(article.byline, tip="byline"))
    return "".join(parts)


def _document(
    role: str,
    doc_id: str,
    article: Article | None,
    spans: Sequence[Span],
    *,
    max_chars: int,
) -> str:
    """One column: the document's trace as badges, its title and body highlighted."""
    head = (
        f'<div class="who"><span class="role {role}">{role}</span>'
        f'<code title="{_esc(article.path if article else doc_id)}">{_esc(doc_id)}</code>'
        "</div>"
    )
    if article is None:
        return f'<div class="doc">{head}<p class="note">text not kept in this result</p></div>'
    text = article.text
    body_start = len(article.title) + 2 if article.title else 0
    title = (
        f'<h4 class="title">{_highlight(text, spans, 0, len(article.title))}</h4>'
        if article.title
        else '<h4 class="title none">(no title)</h4>'
    )
    dropped = "".join(
        f'<div class="dropped"><span class="why">{_esc(line.reason)}</span>{_esc(line.text)}</div>'
        for line in article.dropped
    )
    end = min(len(text), body_start + max_chars)
    cut = ""
    if end < len(text):
        cut = f'<p class="note">… {len(text) - end:,} more characters not shown</p>'
    body = _highlight(text, spans, body_start, end)
    return (
        f'<div class="doc">{head}<div class="badges">{_badges(article)}</div>{title}'
        f'{dropped}<div class="body">{body}</div>{cut}</div>'
    )


def _score(decision: Decision | None, threshold: float) -> str:
    if decision is None or decision.similarity is None:
        return ""
    sim, cont = decision.similarity, decision.containment or 0.0
    low = " low" if sim < threshold else ""
    tip = "estimated Jaccard similarity with the canonical copy" + (
        " (below the threshold: joined by containment or through another copy)" if low else ""
    )
    return (
        f'<span class="score{low}" title="{_esc(tip)}">similarity {sim:.2f}</span>'
        f'<span class="score" title="share of the shorter text found in the longer">'
        f"containment {cont:.2f}</span>"
    )


@attrs.frozen(kw_only=True)
class _Limits:
    max_clusters: int
    max_copies: int
    max_chars: int
    open_pairs: int


def _cluster_section(
    number: int,
    cluster: Cluster,
    *,
    articles: Mapping[str, Article],
    decisions: Mapping[str, Decision],
    config: FingerprintConfig,
    threshold: float,
    limits: _Limits,
) -> str:
    canon_id = cluster.canonical
    canon = articles.get(canon_id)
    copies = sorted(
        (m for m in cluster.members if m != canon_id),
        key=lambda m: (_similarity(decisions.get(m)), m),
    )
    shown, rest = copies[: limits.max_copies], copies[limits.max_copies :]
    # Each text is shingled once; the canonical copy is compared with every copy.
    canon_sh = shingle_text(canon.text, config) if canon else None
    title = canon.title if canon and canon.title else canon_id
    out = [
        f'<section class="cluster" id="cluster-{number}" data-size="{len(cluster.members)}">',
        f'<h2><span class="num">#{number}</span>{_esc(title)}'
        f'<span class="count">{len(cluster.members)} documents</span></h2>',
        f'<p class="why">kept <code>{_esc(canon_id)}</code> — {_esc(cluster.why)}; '
        "copies least similar first</p>",
    ]
    for i, copy_id in enumerate(shown):
        copy = articles.get(copy_id)
        decision = decisions.get(copy_id)
        canon_spans: list[Span] = []
        copy_spans: list[Span] = []
        if copy is not None and canon_sh is not None:
            copy_sh = shingle_text(copy.text, config)
            canon_spans = find_shared_spans(canon_sh, copy_sh)
            copy_spans = find_shared_spans(copy_sh, canon_sh)
        score = _score(decision, threshold)
        is_open = " open" if i < limits.open_pairs else ""
        out.append(
            f'<details class="pair"{is_open}><summary><code>{_esc(copy_id)}</code>{score}'
            f'<span class="sub">{_esc(_title_of(copy))}</span></summary><div class="cols">'
            + _document("kept", canon_id, canon, canon_spans, max_chars=limits.max_chars)
            + _document("copy", copy_id, copy, copy_spans, max_chars=limits.max_chars)
            + "</div></details>"
        )
    if rest:
        rows = "".join(
            f"<tr><td><code>{_esc(m)}</code></td><td>{_esc(_title_of(articles.get(m)))}</td>"
            f"<td>{_fmt(decisions.get(m), 'similarity')}</td>"
            f"<td>{_fmt(decisions.get(m), 'containment')}</td></tr>"
            for m in rest
        )
        out.append(
            f'<p class="note">{len(rest):,} more copies not shown side by side:</p>'
            '<table class="rest"><thead><tr><th>id</th><th>title</th><th>similarity</th>'
            f"<th>containment</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    out.append("</section>")
    return "\n".join(out)


def _similarity(decision: Decision | None) -> float:
    return -1.0 if decision is None or decision.similarity is None else decision.similarity


def _fmt(decision: Decision | None, field: str) -> str:
    value = getattr(decision, field, None) if decision else None
    return "" if value is None else f"{value:.2f}"


def _title_of(article: Article | None) -> str:
    return (article.title or "") if article else ""


def _sort_clusters(clusters: Iterable[Cluster]) -> list[Cluster]:
    return sorted(clusters, key=lambda c: (-len(c.members), c.id))


def _header(result: DedupResult, threshold: float) -> str:
    statuses = [d.status for d in result.decisions]
    kept, dup = statuses.count("kept"), statuses.count("duplicate")
    stats = [
        ("documents", len(statuses)),
        ("kept", kept),
        ("duplicates", dup),
        ("clusters", len(result.clusters)),
        ("rejected", len(statuses) - kept - dup),
    ]
    p = result.params
    params = [f"threshold {threshold:g}"]
    if p is not None:
        fp = p.fingerprint
        params += [
            f"containment {p.containment}",
            f"min shingles {p.min_shingles}",
            f"LSH {p.bands} bands × {p.rows} rows",
            f"{fp.shingle_size}-word shingles, {fp.num_perm} permutations",
            "boilerplate stripped" if p.boilerplate else "boilerplate kept",
        ]
    if "total" in result.timings:
        params.append(f"time {result.timings['total']:.2f}s")
    cells = "".join(
        f'<div class="stat"><b>{n:,}</b><span>{_esc(label)}</span></div>' for label, n in stats
    )
    return (
        "<header><h1>newsingest · dedup review</h1>"
        f'<div class="stats">{cells}</div>'
        f'<p class="params">{" · ".join(_esc(x) for x in params)}</p>'
        '<p class="legend"><mark>text shared with the other copy</mark>'
        '<span class="dropped"><span class="why">reason</span>line removed before comparing</span>'
        '<button type="button" data-toggle="1">expand all</button>'
        '<button type="button" data-toggle="0">collapse all</button></p></header>'
    )


def _lowest(cluster: Cluster, decisions: Mapping[str, Decision], field: str) -> float | None:
    """The lowest score of a cluster's copies against its kept copy: the borderline member."""
    scores = [
        getattr(d, field)
        for m in cluster.members
        if m != cluster.canonical
        and (d := decisions.get(m)) is not None
        and getattr(d, field) is not None
    ]
    return min(scores) if scores else None


def _score_cell(value: float | None) -> str:
    if value is None:
        return '<td class="n" data-v="">–</td>'
    return f'<td class="n" data-v="{value:.6f}">{value:.3f}</td>'


def _toc(
    clusters: Sequence[Cluster],
    articles: Mapping[str, Article],
    decisions: Mapping[str, Decision],
    total: int,
) -> str:
    rows = "".join(
        f'<tr><td data-v="{i}"><a href="#cluster-{i}">#{i}</a></td>'
        f'<td class="n" data-v="{len(c.members)}">{len(c.members)}</td>'
        f"{_score_cell(_lowest(c, decisions, 'similarity'))}"
        f"{_score_cell(_lowest(c, decisions, 'containment'))}"
        f"<td>{_esc(_title_of(articles.get(c.canonical)))}</td>"
        f"<td><code>{_esc(c.canonical)}</code></td></tr>"
        for i, c in enumerate(clusters, 1)
    )
    capped = (
        f'<p class="note">showing the {len(clusters):,} largest of {total:,} clusters</p>'
        if len(clusters) < total
        else ""
    )
    if not clusters:
        return '<nav><h2>Clusters</h2><p class="note">no copies found</p></nav>'
    return (
        f'<nav><h2>Clusters</h2>{capped}<table class="toc"><thead><tr>'
        '<th data-sort="n" title="sort">#</th><th data-sort="n" title="sort">docs</th>'
        '<th data-sort="n" title="sort: the most borderline clusters first">lowest similarity</th>'
        '<th data-sort="n" title="sort">lowest containment</th>'
        "<th>kept copy's title</th><th>kept copy</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></nav>"
    )


def _rejections(rejections: Sequence[Rejection], limit: int) -> str:
    if not rejections:
        return '<section id="rejected"><h2>Rejected files</h2><p class="note">none</p></section>'
    rows = "".join(
        f'<tr><td><code title="{_esc(r.path)}">{_esc(r.id)}</code></td>'
        f"<td>{_esc(r.stage)}</td><td>{_esc(r.reason)}</td></tr>"
        for r in rejections[:limit]
    )
    capped = (
        f'<p class="note">showing {limit:,} of {len(rejections):,}</p>'
        if len(rejections) > limit
        else ""
    )
    return (
        f'<section id="rejected"><h2>Rejected files ({len(rejections):,})</h2>{capped}'
        '<table class="rejected"><thead><tr><th>id</th><th>stage</th><th>reason</th></tr>'
        f"</thead><tbody>{rows}</tbody></table></section>"
    )


_CSS = """
:root{--ink:#1f2328;--muted:#6a737d;--line:#d8dee4;--bg:#f6f8fa;--mark:#fff1a8;--accent:#0b5cad}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);
background:var(--bg)}
header,nav,main>section,#rejected{max-width:1320px;margin:0 auto;padding:0 20px}
header{padding-top:18px}
h1{font-size:22px;margin:0 0 10px}
h2{font-size:17px;margin:0 0 6px}
code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all}
.stats{display:flex;gap:10px;flex-wrap:wrap}
.stat{background:#fff;border:1px solid var(--line);border-radius:8px;padding:6px 14px;
min-width:96px}
.stat b{display:block;font-size:20px}
.stat span{color:var(--muted);font-size:12px}
.params{color:var(--muted);margin:10px 0 4px}
.legend{display:flex;gap:14px;align-items:center;flex-wrap:wrap;margin:6px 0 14px}
.legend .dropped{margin:0}
button{font:inherit;font-size:12px;padding:2px 10px;border:1px solid var(--line);border-radius:6px;
background:#fff;cursor:pointer}
nav{margin-bottom:18px}
table{border-collapse:collapse;background:#fff;border:1px solid var(--line);width:100%}
th,td{text-align:left;padding:4px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#eef1f4;font-weight:600;font-size:12px}
td.n{text-align:right}
a{color:var(--accent);text-decoration:none}
.cluster{margin-bottom:26px}
.cluster h2{display:flex;gap:10px;align-items:baseline;border-top:3px solid var(--accent);
padding-top:10px}
.num{color:var(--accent)}
.count{margin-left:auto;font-size:13px;font-weight:400;color:var(--muted)}
.why{color:var(--muted);margin:0 0 8px}
details.pair{background:#fff;border:1px solid var(--line);border-radius:8px;margin:8px 0}
details.pair>summary{cursor:pointer;padding:6px 12px;display:flex;gap:10px;align-items:center;
background:#eef1f4;border-radius:8px 8px 0 0}
details.pair:not([open])>summary{border-radius:8px}
.cols{display:grid;grid-template-columns:1fr 1fr}
.doc{padding:10px 14px;min-width:0}
.doc+.doc{border-left:1px solid var(--line)}
.who{display:flex;gap:8px;align-items:center;flex-wrap:wrap}
.role{font-size:11px;font-weight:700;text-transform:uppercase;letter-spacing:.04em;
padding:1px 6px;border-radius:4px;color:#fff}
.role.kept{background:#1a7f37}.role.copy{background:var(--accent)}
.score{font-size:12px;padding:1px 7px;border-radius:10px;background:#ddf4ff;color:#0a3069}
.score.low{background:#fff1cc;color:#7d4e00}
summary .sub{color:var(--muted);overflow:hidden;text-overflow:ellipsis;white-space:nowrap;
min-width:0;flex:1}
.badges{margin:6px 0 2px}
.badge{display:inline-block;font-size:11px;padding:0 6px;margin:0 4px 2px 0;border-radius:4px;
border:1px solid var(--line);color:var(--muted);background:var(--bg)}
.badge.warn{border-color:#e3b341;color:#7d4e00;background:#fff8e1}
.badge.fix{border-color:#9ec5ee;color:#0a3069;background:#eef6ff}
h4.title{font-size:15px;margin:6px 0}
h4.none{color:var(--muted);font-weight:400;font-style:italic}
.body{white-space:pre-wrap;overflow-wrap:anywhere;font-family:Georgia,"Times New Roman",serif;
font-size:14px;line-height:1.55}
mark{background:var(--mark);color:inherit;padding:0 1px;border-radius:2px}
.dropped{color:#8c959f;font-size:12.5px;margin:2px 0 6px;padding:2px 8px;
border-left:3px solid #d0d7de;background:#f6f8fa}
.dropped .why{display:inline-block;font-size:10px;text-transform:uppercase;letter-spacing:.05em;
border:1px solid #d0d7de;border-radius:3px;padding:0 4px;margin-right:6px;color:#8c959f}
.note{color:var(--muted);font-style:italic;margin:6px 0}
#rejected{padding-bottom:40px}
"""

_JS = """
document.querySelectorAll("table.toc th[data-sort]").forEach(function (th) {
  th.style.cursor = "pointer";
  th.addEventListener("click", function () {
    var body = th.closest("table").tBodies[0];
    var up = th.getAttribute("data-dir") !== "up";
    th.setAttribute("data-dir", up ? "up" : "down");
    var key = function (tr) {
      var v = tr.cells[th.cellIndex].getAttribute("data-v");
      return v === "" ? Infinity : parseFloat(v);
    };
    Array.prototype.slice.call(body.rows)
      .sort(function (a, b) { return up ? key(a) - key(b) : key(b) - key(a); })
      .forEach(function (tr) { body.appendChild(tr); });
  });
});
document.querySelectorAll("button[data-toggle]").forEach(function (b) {
  b.addEventListener("click", function () {
    var open = b.getAttribute("data-toggle") === "1";
    document.querySelectorAll("details.pair").forEach(function (d) { d.open = open; });
  });
});
"""


def render_review(
    result: DedupResult,
    *,
    config: DedupConfig | None = None,
    max_clusters: int = 500,
    max_copies: int = 20,
    max_chars: int = 20_000,
    open_pairs: int = 2,
    articles: Mapping[str, Article] | None = None,
) -> str:
    """The review page for ``result`` as one HTML string.

    Bodies need ``result.articles`` (``dedup(..., keep_articles=True)``);
    without them the page still lists clusters, scores and rejections.
    ``config`` gives the shingle parameters for highlighting; by default they
    are read from ``result.params``. ``articles`` by id replaces ``result.articles``
    (the articles ``pipeline.dedup_articles`` reads back from disk).
    """
    run = config or result.params or DedupConfig()
    fingerprint, threshold = run.fingerprint, run.threshold
    limits = _Limits(
        max_clusters=max(0, max_clusters),
        max_copies=max(0, max_copies),
        max_chars=max(0, max_chars),
        open_pairs=open_pairs,
    )
    if articles is None:
        articles = {a.id: a for a in result.articles}
    decisions = {d.id: d for d in result.decisions}
    ordered = _sort_clusters(result.clusters)
    shown = ordered[: limits.max_clusters]
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>newsingest dedup review</title>",
        f"<style>{_CSS}</style></head><body>",
        _header(result, threshold),
        _toc(shown, articles, decisions, len(ordered)),
        "<main>",
    ]
    if not articles and result.clusters:
        parts.append(
            '<section><p class="note">The articles were not kept in this result: run '
            "dedup(..., keep_articles=True) to see their text.</p></section>"
        )
    parts.extend(
        _cluster_section(
            i,
            c,
            articles=articles,
            decisions=decisions,
            config=fingerprint,
            threshold=threshold,
            limits=limits,
        )
        for i, c in enumerate(shown, 1)
    )
    parts.append("</main>")
    parts.append(_rejections(result.rejections, 5000))
    parts.append(f"<script>{_JS}</script></body></html>\n")
    return "\n".join(parts)


def write_review(
    result: DedupResult,
    path: str | os.PathLike[str],
    *,
    config: DedupConfig | None = None,
    max_clusters: int = 500,
    max_copies: int = 20,
    max_chars: int = 20_000,
    articles: Mapping[str, Article] | None = None,
) -> None:
    """Write :func:`render_review` to ``path`` atomically (``"-"`` for stdout)."""
    page = render_review(
        result,
        config=config,
        max_clusters=max_clusters,
        max_copies=max_copies,
        max_chars=max_chars,
        articles=articles,
    )
    with atomic_writer(path) as out:
        out.write(page)
