"""Why two articles were, or were not, merged: the numbers, the shared text, the stripped lines.

:func:`explain` runs the same steps as :func:`~newsingest.pipeline.dedup` on two
documents — ingest, boilerplate stripping (learned from ``corpus`` when given),
fingerprints, the duplicate rule — and reports every intermediate value, so a
surprising decision can be traced to its cause.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import attrs
import numpy as np

from newsingest.config import DedupConfig
from newsingest.errors import InputError
from newsingest.ingest.run import iter_articles
from newsingest.matching.boilerplate import learn_boilerplate, strip_boilerplate
from newsingest.matching.fingerprint import fingerprint_article
from newsingest.matching.shingle import find_shared_passages, shingle_set
from newsingest.matching.verify import accept_pairs, estimate_containment
from newsingest.records import Article, Rejection

__all__ = ["Explanation", "explain", "format_explanation", "load_article"]

PathLike = str | os.PathLike[str]


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


def _strip(
    articles: Sequence[Article], corpus: Iterable[Article], config: DedupConfig
) -> list[Article]:
    model = learn_boilerplate(list(corpus), config.boilerplate)
    return [strip_boilerplate(a, model) for a in articles]


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
    outlet), and ``boilerplate_learned`` is false. Note that a dedup run also
    joins documents transitively (A~B and B~C puts A and C in one cluster),
    which a pairwise explanation cannot show.
    """
    first, second = load_article(a, config), load_article(b, config)
    learned = False
    if corpus is not None and config.boilerplate.enabled:
        docs = [x for x in iter_articles(corpus, config.ingest) if isinstance(x, Article)]
        # Ids depend on how a path was typed (x.txt in the corpus, a/x.txt alone):
        # compare files, so that A or B inside the corpus is counted once.
        known = {_where(d) for d in docs}
        docs += [x for x in (first, second) if _where(x) not in known]
        first, second = _strip([first, second], docs, config)
        learned = True

    fa = fingerprint_article(first, config.fingerprint)
    fb = fingerprint_article(second, config.fingerprint)
    jaccard = float(np.count_nonzero(fa.signature == fb.signature)) / fa.signature.size
    if fa.shingles == 0 or fb.shingles == 0:
        jaccard = 0.0
    containment = float(estimate_containment(np.array([jaccard]), fa.shingles, fb.shingles)[0])
    sa = shingle_set(first.text, config.fingerprint)
    sb = shingle_set(second.text, config.fingerprint)
    shared = len(sa & sb)
    union = len(sa | sb)
    exact_j = shared / union if union else 0.0
    smaller = min(len(sa), len(sb))
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
        shared_a=_passages(first.text, second.text, config),
        shared_b=_passages(second.text, first.text, config),
        duplicate=ok,
        reason=_reason(jaccard, containment, fa.shingles, fb.shingles, config),
        boilerplate_learned=learned,
    )


def _where(article: Article) -> tuple[str, int | None]:
    return os.path.realpath(article.path), article.line


def _passages(text: str, other: str, config: DedupConfig) -> tuple[str, ...]:
    return tuple(text[s:e] for s, e in find_shared_passages(text, other, config.fingerprint))


def _reason(j: float, c: float, size_a: int, size_b: int, config: DedupConfig) -> str:
    small, large = min(size_a, size_b), max(size_a, size_b)
    if small == 0:
        return "not copies: one text has no shingles (empty after stripping)"
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
    if not e.boilerplate_learned:
        lines.append("  (no --corpus given: corpus-level boilerplate was not learned or stripped)")
    lines.append("")
    lines.append(f"shared passages in A ({len(e.shared_a)}):")
    for passage in e.shared_a[:max_passages]:
        snippet = " ".join(passage.split())
        lines.append(f"  «{snippet[:300]}{'…' if len(snippet) > 300 else ''}»")
    if len(e.shared_a) > max_passages:
        lines.append(f"  … and {len(e.shared_a) - max_passages} more")
    return "\n".join(lines)
