"""Why two articles were, or were not, merged: the numbers, the shared text, the stripped lines.

:func:`explain` runs the same steps as :func:`~newsingest.pipeline.dedup` on two
documents — ingest, boilerplate stripping (learned from ``corpus`` when given),
fingerprints, the duplicate rule — and reports every intermediate value, so a
surprising decision can be traced to its cause.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from newsingest.config import DedupConfig
from newsingest.errors import InputError
from newsingest.ingest.run import iter_articles
from newsingest.matching.boilerplate import learn_boilerplate, strip_boilerplate
from newsingest.matching.fingerprint import fingerprint_article, fingerprint_batch
from newsingest.matching.link import link_documents
from newsingest.matching.shingle import ShingledText, find_shared_spans, shingle_text
from newsingest.matching.verify import (
    NEAR_IDENTICAL_JACCARD,
    accept_pairs,
    estimate_containment,
    score_against,
)
from newsingest.records import Article, Rejection
from newsingest.serialize import to_dict

__all__ = [
    "ChainLink",
    "Explanation",
    "explain",
    "explanation_to_dict",
    "format_explanation",
    "format_explanation_json",
    "load_article",
]

PathLike = str | os.PathLike[str]


@attrs.frozen(kw_only=True)
class ChainLink:
    """One verified pair on the chain that joins two documents in a dedup run."""

    a: str
    b: str
    jaccard: float
    containment: float


@attrs.frozen(kw_only=True)
class Explanation:
    """Everything the duplicate decision for one pair depends on.

    ``jaccard``/``containment`` are the signature estimates the deduplicator
    uses; ``exact_jaccard``/``exact_containment`` come from the full shingle
    sets, so the estimation error is visible too. ``shared_a``/``shared_b``
    are the passages of each text that the other also has.
    """

    a: Article
    b: Article
    jaccard: float
    containment: float
    exact_jaccard: float
    exact_containment: float
    shingles_a: int
    shingles_b: int
    shared_shingles: int
    shared_a: tuple[str, ...]
    shared_b: tuple[str, ...]
    duplicate: bool
    reason: str
    boilerplate_learned: bool
    chain: tuple[ChainLink, ...] | None = None
    """With a corpus: the shortest chain of verified pairs (exact copies and LSH
    candidates that pass the rule, as a dedup run of the corpus finds them) from A to
    B, one link when they are copies of each other and none when nothing joins them,
    so nothing puts them in one cluster. ``None`` without a corpus."""


def load_article(ref: PathLike | Article, config: DedupConfig = DedupConfig()) -> Article:
    """An article from a file path, a ``FILE.jsonl#N`` reference, or an Article as is.

    Raises :class:`~newsingest.errors.InputError` naming the file if it cannot be used.
    """
    if isinstance(ref, Article):
        return ref
    path, line = os.fspath(ref), None
    base, sep, number = path.rpartition("#")
    if sep and number.isdigit() and not Path(path).exists():
        path, line = base, int(number)
    for item in iter_articles([path], config.ingest):
        if line is not None and item.line != line:
            continue
        if isinstance(item, Rejection):
            raise InputError(f"{ref}: rejected at {item.summary}")
        return item
    raise InputError(f"{ref}: no such document" + (f" (line {line})" if line else ""))


def explain(
    a: PathLike | Article,
    b: PathLike | Article,
    config: DedupConfig = DedupConfig(),
    *,
    corpus: Iterable[PathLike] | None = None,
) -> Explanation:
    """Compare two documents the way :func:`~newsingest.pipeline.dedup` would.

    Boilerplate is corpus-level: pass the folder that was deduplicated as
    ``corpus`` to strip the same lines the run stripped. Without it, nothing is
    stripped (two documents alone say nothing about what repeats across an
    outlet), and ``boilerplate_learned`` is false. A dedup run also joins
    documents transitively (A~B and B~C puts A and C in one cluster): with a
    corpus, ``chain`` shows the verified pairs that join A and B.
    """
    first, second = load_article(a, config), load_article(b, config)
    learned = False
    chain: tuple[ChainLink, ...] | None = None
    if corpus is not None:
        docs = [x for x in iter_articles(corpus, config.ingest) if isinstance(x, Article)]
        # Ids depend on how a path was typed (x.txt in the corpus, a/x.txt alone):
        # compare files, so that A or B inside the corpus is counted once.
        known = {_where(d) for d in docs}
        docs += [x for x in (first, second) if _where(x) not in known]
        if config.boilerplate.enabled:
            model = learn_boilerplate(docs, config.boilerplate)
            first, second = strip_boilerplate(first, model), strip_boilerplate(second, model)
            docs = [strip_boilerplate(d, model) for d in docs]
            learned = True
        at = {_where(d): i for i, d in enumerate(docs)}
        chain = _chain(docs, at[_where(first)], at[_where(second)], config)

    fa = fingerprint_article(first, config.fingerprint)
    fb = fingerprint_article(second, config.fingerprint)
    jaccard = float(np.count_nonzero(fa.signature == fb.signature)) / fa.signature.size
    if fa.shingles == 0 or fb.shingles == 0:
        jaccard = 0.0
    containment = float(estimate_containment(np.array([jaccard]), fa.shingles, fb.shingles)[0])
    sa = shingle_text(first.text, config.fingerprint)
    sb = shingle_text(second.text, config.fingerprint)
    shared = len(sa.shingles & sb.shingles)
    union = len(sa.shingles | sb.shingles)
    exact_j = shared / union if union else 0.0
    smaller = min(len(sa.shingles), len(sb.shingles))
    exact_c = shared / smaller if smaller else 0.0
    ok = bool(accept_pairs([jaccard], [containment], [fa.shingles], [fb.shingles], config)[0])
    return Explanation(
        a=first,
        b=second,
        jaccard=jaccard,
        containment=containment,
        exact_jaccard=exact_j,
        exact_containment=exact_c,
        shingles_a=fa.shingles,
        shingles_b=fb.shingles,
        shared_shingles=shared,
        shared_a=_passages(first.text, sa, sb),
        shared_b=_passages(second.text, sb, sa),
        duplicate=ok,
        reason=_reason(jaccard, containment, fa.shingles, fb.shingles, config),
        boilerplate_learned=learned,
        chain=chain,
    )


def _chain(docs: list[Article], a: int, b: int, config: DedupConfig) -> tuple[ChainLink, ...]:
    """The shortest chain of verified pairs between ``docs[a]`` and ``docs[b]`` (or none)."""
    sigs, sizes, digests = fingerprint_batch([d.text for d in docs], config.fingerprint)
    edges = link_documents(sigs, sizes, digests, config).edges
    path = _shortest_path(len(docs), edges, a, b)
    if len(path) < 2:
        return ()
    steps = np.asarray(path, dtype=np.int64)
    jac, cont = score_against(sigs, sizes, steps[:-1], steps[1:])
    return tuple(
        ChainLink(a=docs[i].id, b=docs[j].id, jaccard=float(x), containment=float(y))
        for i, j, x, y in zip(path[:-1], path[1:], jac.tolist(), cont.tolist(), strict=True)
    )


def _shortest_path(n: int, edges: npt.NDArray[np.int64], a: int, b: int) -> list[int]:
    """Nodes from ``a`` to ``b`` along ``edges`` (breadth first, smallest index first: the
    same path whatever the edge order), or ``[]`` when they are not connected."""
    if a == b:
        return [a]
    neighbours: list[list[int]] = [[] for _ in range(n)]
    for x, y in edges.tolist():
        neighbours[x].append(y)
        neighbours[y].append(x)
    came_from = {a: a}
    frontier = [a]
    while frontier and b not in came_from:
        following = []
        for node in frontier:
            for nxt in sorted(neighbours[node]):
                if nxt not in came_from:
                    came_from[nxt] = node
                    following.append(nxt)
        frontier = sorted(following)
    if b not in came_from:
        return []
    path = [b]
    while path[-1] != a:
        path.append(came_from[path[-1]])
    return path[::-1]


def _where(article: Article) -> tuple[str, int | None]:
    return os.path.realpath(article.path), article.line


def _passages(text: str, mine: ShingledText, theirs: ShingledText) -> tuple[str, ...]:
    return tuple(text[s:e] for s, e in find_shared_spans(mine, theirs))


def _reason(j: float, c: float, size_a: int, size_b: int, config: DedupConfig) -> str:
    small, large = min(size_a, size_b), max(size_a, size_b)
    if small == 0:
        return "not copies: one text has no shingles (empty after stripping)"
    if small < config.min_shingles and j >= config.threshold:
        if j >= NEAR_IDENTICAL_JACCARD:
            return (
                f"copies: Jaccard {j:.3f} >= {NEAR_IDENTICAL_JACCARD} (near-identical; the "
                f"shorter text has {small} shingles < {config.min_shingles})"
            )
        return (
            f"not copies: the shorter text has {small} shingles (< {config.min_shingles}), so "
            f"Jaccard {j:.3f} must reach {NEAR_IDENTICAL_JACCARD} (near-identical) and "
            "containment does not apply"
        )
    if j >= config.threshold:
        return f"copies: Jaccard {j:.3f} >= threshold {config.threshold}"
    ratio = small / large
    checks = [
        (
            c >= config.containment,
            f"containment {c:.3f} {'>=' if c >= config.containment else '<'} {config.containment}",
        ),
        (
            small >= config.min_shingles,
            f"shorter text has {small} shingles "
            f"({'>=' if small >= config.min_shingles else '<'} {config.min_shingles})",
        ),
        (
            ratio >= config.min_size_ratio,
            f"size ratio {ratio:.2f} "
            f"({'>=' if ratio >= config.min_size_ratio else '<'} {config.min_size_ratio})",
        ),
    ]
    if all(ok for ok, _ in checks):
        return "copies by containment: " + ", ".join(text for _, text in checks)
    failed = [text for ok, text in checks if not ok]
    return (
        f"not copies: Jaccard {j:.3f} < threshold {config.threshold}, and no containment match: "
        + ", ".join(failed)
    )


def format_explanation(e: Explanation, *, max_passages: int = 5) -> str:
    """A readable report of an :class:`Explanation`."""
    lines = [
        f"A: {e.a.id}  ({e.a.title or 'no title'})",
        f"B: {e.b.id}  ({e.b.title or 'no title'})",
        "",
        f"verdict      {e.reason}",
        f"Jaccard      {e.jaccard:.3f} estimated from signatures, {e.exact_jaccard:.3f} exact",
        f"containment  {e.containment:.3f} estimated, {e.exact_containment:.3f} exact "
        "(share of the shorter text found in the longer)",
        f"shingles     A {e.shingles_a}, B {e.shingles_b}, shared {e.shared_shingles}",
    ]
    for label, art in (("A", e.a), ("B", e.b)):
        dropped = [d for d in art.dropped if d.reason in ("boilerplate", "promo")]
        lines.append("")
        lines.append(f"stripped from {label}: {len(dropped)} line(s)")
        lines.extend(f"  [{d.reason}] {d.text[:120]}" for d in dropped)
    if e.chain is None:
        lines.append("  (no --corpus given: corpus-level boilerplate was not learned or stripped)")
    lines.append("")
    lines.extend(_format_chain(e))
    lines.append("")
    lines.append(f"shared passages in A ({len(e.shared_a)}):")
    for passage in e.shared_a[:max_passages]:
        snippet = " ".join(passage.split())
        lines.append(f"  «{snippet[:300]}{'…' if len(snippet) > 300 else ''}»")
    if len(e.shared_a) > max_passages:
        lines.append(f"  … and {len(e.shared_a) - max_passages} more")
    return "\n".join(lines)


def _format_chain(e: Explanation) -> list[str]:
    if e.chain is None:
        return ["chain        (needs --corpus: which verified pairs join A and B in a dedup run)"]
    if not e.chain:
        return ["chain        none: no chain of verified pairs joins A and B in the corpus"]
    steps = len(e.chain)
    head = "A and B are a verified pair" if steps == 1 else f"{steps} verified pairs join A and B"
    lines = [f"chain        {head}:"]
    lines.extend(
        f"  {link.a} ~ {link.b}  (Jaccard {link.jaccard:.3f}, containment {link.containment:.3f})"
        for link in e.chain
    )
    return lines


def explanation_to_dict(e: Explanation) -> dict[str, Any]:
    """A JSON-ready dict of an :class:`Explanation`: the articles by id, lines stripped as rows."""
    return {
        "a": e.a.id,
        "b": e.b.id,
        "duplicate": e.duplicate,
        "reason": e.reason,
        "jaccard": e.jaccard,
        "containment": e.containment,
        "exact_jaccard": e.exact_jaccard,
        "exact_containment": e.exact_containment,
        "shingles_a": e.shingles_a,
        "shingles_b": e.shingles_b,
        "shared_shingles": e.shared_shingles,
        "shared_passages_a": list(e.shared_a),
        "shared_passages_b": list(e.shared_b),
        "stripped_a": to_dict(e.a)["dropped"],
        "stripped_b": to_dict(e.b)["dropped"],
        "boilerplate_learned": e.boilerplate_learned,
        "chain": None if e.chain is None else [attrs.asdict(link) for link in e.chain],
    }


def format_explanation_json(e: Explanation) -> str:
    """:func:`explanation_to_dict` as one line of JSON (non-ASCII kept)."""
    return json.dumps(explanation_to_dict(e), ensure_ascii=False)
