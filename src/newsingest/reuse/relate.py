"""The reuse relation: for each target article, the sources it derives from, and how much.

``find_reuse`` reads its inputs through :func:`newsingest.ingest.run.iter_articles`,
so decoding, extraction and repair are those of ``dedup``; it finds candidate
sources with :mod:`newsingest.reuse.candidates`, aligns each candidate pair with
:mod:`newsingest.reuse.align`, and labels the pair with :func:`label_for`.

Which text is the source:

* with ``sources`` given, every target is compared with every candidate source;
* without, within one corpus, an article dated earlier is the source of one
  dated later. When the dates do not order two articles (either is undated, or
  both have the same date), the shorter one is taken as the target (equal
  lengths: the lower id): both share the same aligned words, so the shorter is
  the one more of whose text is reused, which is what a rewrite that trims its
  source looks like. The derivation's notes say so.

Alignment runs on candidate pairs only, all of them in one compiled call
(:meth:`newsingest.reuse.align.Aligner.align_batch`); records are made for the
derived pairs only.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from newsingest._gc import pausing
from newsingest.config import IngestConfig
from newsingest.ingest.run import PathLike, check_inputs, iter_articles
from newsingest.matching._kernels import jit
from newsingest.matching.shingle import token_spans
from newsingest.records import Article, Rejection
from newsingest.reuse.align import Aligner, align_tokens, runs
from newsingest.reuse.candidates import Tokenized, Vocabulary, find_candidates
from newsingest.reuse.records import (
    Derivation,
    Label,
    Passage,
    ReuseConfig,
    ReuseParams,
    ReuseResult,
)

__all__ = ["find_reuse", "label_for", "relate_articles"]

DEFAULT_CONFIG = ReuseConfig()


def label_for(
    share: float, target_words: int, source_words: int, config: ReuseConfig = DEFAULT_CONFIG
) -> tuple[Label, str]:
    """The label of a pair and the rule that gave it.

    For fixed lengths the label never goes down as the share goes up.
    """
    ratio = target_words / max(source_words, 1)
    if share >= config.wholly_share:
        if ratio <= config.wholly_max_length_ratio:
            return "wholly", f"share {share:.2f} >= {config.wholly_share}"
        return "partially", (
            f"share {share:.2f} >= {config.wholly_share} but the target is {ratio:.1f}x "
            f"as long as the source (> {config.wholly_max_length_ratio}): it adds text"
        )
    if share >= config.partial_share:
        return "partially", f"share {share:.2f} >= {config.partial_share}"
    return "none", f"share {share:.2f} < {config.partial_share}"


def _derivation(
    target: Article,
    source: Article,
    t_tokens: Tokenized,
    s_tokens: Tokenized,
    config: ReuseConfig,
) -> Derivation:
    pos_t, pos_s, cut = align_tokens(t_tokens.ids, s_tokens.ids, config.max_align_tokens)
    found = [r for r in runs(pos_t, pos_s) if r[2] >= config.min_passage_words]
    derivation = _make_derivation(
        target,
        source,
        (len(t_tokens), len(s_tokens), int(pos_t.shape[0])),
        found,
        config,
        notes=_cut_note(config) if cut else (),
        spans=_Spans(),
    )
    assert derivation is not None
    return derivation


def _cut_note(config: ReuseConfig) -> tuple[str]:
    return (f"aligned on the first {config.max_align_tokens} shared words only",)


def _make_derivation(
    target: Article,
    source: Article,
    counts: tuple[int, int, int],
    found: list[tuple[int, int, int]],
    config: ReuseConfig,
    *,
    notes: Sequence[str],
    spans: _Spans,
    keep_none: bool = True,
) -> Derivation | None:
    """The labelled record of one aligned pair; ``counts`` are target, source and aligned
    words, ``found`` the runs long enough to be passages. ``None`` for an underived pair
    unless ``keep_none``."""
    words, s_words, aligned = counts
    share = aligned / words if words else 0.0
    label, why = label_for(share, words, s_words, config)
    if label == "none" and not keep_none:
        return None
    notes = list(notes)
    passages: tuple[Passage, ...] = ()
    if label != "none":
        passages, note = _passages(spans, target, source, found, words, s_words, config)
        if note:
            notes.append(note)
    return Derivation(
        target=target.id,
        target_path=target.path,
        source=source.id,
        source_path=source.path,
        share=share,
        label=label,
        target_words=words,
        source_words=s_words,
        aligned_words=aligned,
        passages=passages,
        why=why,
        notes=tuple(notes),
    )


_ASCII_WORD = np.zeros(256, dtype=np.bool_)
_ASCII_WORD[[ord(c) for c in map(chr, range(128)) if c.isalnum()]] = True


@jit
def _ascii_spans(codes: Any, word: Any) -> Any:
    """``(start, end)`` of each maximal run of word bytes."""
    out = np.empty((codes.shape[0] // 2 + 1, 2), dtype=np.int32)
    n = 0
    inside = False
    for i in range(codes.shape[0]):
        w = word[codes[i]]
        if w and not inside:
            out[n, 0] = i
            inside = True
        elif not w and inside:
            out[n, 1] = i
            n += 1
            inside = False
    if inside:
        out[n, 1] = codes.shape[0]
        n += 1
    return out[:n]


def text_spans(text: str) -> npt.NDArray[np.int32]:
    """:func:`~newsingest.matching.shingle.token_spans` as an ``(n, 2)`` array.

    ASCII text takes a compiled path: there a token is a maximal run of ASCII
    letters and digits, as in the shingle module's own table for those characters.
    """
    if not text.isascii():
        spans = token_spans(text)
        return np.array(spans, dtype=np.int32).reshape(len(spans), 2)
    found: npt.NDArray[np.int32] = _ascii_spans(
        np.frombuffer(text.encode("ascii"), dtype=np.uint8), _ASCII_WORD
    )
    return found


class _Spans:
    """Each article's token spans, computed once however many pairs it is in."""

    def __init__(self) -> None:
        # Arrays, not lists of tuples: a large corpus keeps one per article.
        self._spans: dict[tuple[str, str], npt.NDArray[np.int32]] = {}

    def of(self, article: Article) -> npt.NDArray[np.int32]:
        key = (article.id, article.path)
        found = self._spans.get(key)
        if found is None:
            found = text_spans(article.text)
            self._spans[key] = found
        return found


def _passages(  # noqa: PLR0917 - the pair, its runs and the settings
    spans: _Spans,
    target: Article,
    source: Article,
    found: list[tuple[int, int, int]],
    t_words: int,
    s_words: int,
    config: ReuseConfig,
) -> tuple[tuple[Passage, ...], str]:
    shown = [r for r in found if r[2] >= config.min_passage_words]
    if not shown:
        return (), ""
    t_spans, s_spans = spans.of(target), spans.of(source)
    if t_spans.shape[0] != t_words or s_spans.shape[0] != s_words:
        return (), "word offsets cannot be mapped back to the text: no passages"
    t_starts, t_ends = t_spans[:, 0].tolist(), t_spans[:, 1].tolist()
    s_starts, s_ends = s_spans[:, 0].tolist(), s_spans[:, 1].tolist()
    return tuple(
        Passage(
            target_start=t_starts[ts],
            target_end=t_ends[ts + n - 1],
            source_start=s_starts[ss],
            source_end=s_ends[ss + n - 1],
            words=n,
        )
        for ts, ss, n in shown
    ), ""


def relate_articles(
    target: Article, source: Article, config: ReuseConfig = DEFAULT_CONFIG
) -> Derivation:
    """How much of ``target`` derives from ``source``: align the two and label the pair.

    No candidate search: the pair is aligned whatever it shares.
    """
    vocabulary = Vocabulary()
    t_tokens, s_tokens = vocabulary.tokenize(target.text), vocabulary.tokenize(source.text)
    return _derivation(target, source, t_tokens, s_tokens, config)


def _read(
    inputs: object, caller: str, ingest: IngestConfig, jobs: int
) -> tuple[list[Article], list[Rejection]]:
    items = check_inputs(inputs, caller)
    articles = [a for a in items if isinstance(a, Article)]
    paths: list[PathLike] = [p for p in items if not isinstance(p, Article)]
    rejections: list[Rejection] = []
    if paths:
        for item in iter_articles(paths, ingest, jobs=jobs):
            if isinstance(item, Rejection):
                rejections.append(item)
            else:
                articles.append(item)
    return articles, rejections


@pausing  # a run keeps every article and derivation: see newsingest._gc
def find_reuse(
    targets: Iterable[PathLike | Article] | PathLike | Article,
    sources: Iterable[PathLike | Article] | PathLike | Article | None = None,
    config: ReuseConfig = DEFAULT_CONFIG,
    *,
    ingest: IngestConfig = IngestConfig(),
    jobs: int = 1,
    keep_texts: bool = False,
) -> ReuseResult:
    """The reuse relation of ``targets``: which sources each derives from, and how much.

    ``targets`` and ``sources`` are paths (folders, files) or Articles, read as
    ``dedup`` reads them; ``jobs`` is for that reading. Without ``sources``, the
    targets are their own sources, earlier dated first (see the module docstring).
    ``keep_texts`` keeps the texts the passages point into (``ReuseResult.texts``).

    >>> result = find_reuse(["papers/"], sources=["wire/"])  # doctest: +SKIP
    >>> for d in result.derivations:  # doctest: +SKIP
    ...     print(d.target, "from", d.source, d.label, f"{d.share:.0%}")
    """
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    t_articles, rejections = _read(targets, "find_reuse", ingest, jobs)
    s_articles: list[Article] = []
    if sources is not None:
        s_articles, s_rejections = _read(sources, "find_reuse", ingest, jobs)
        rejections.extend(s_rejections)
    timings["ingest"] = time.perf_counter() - clock

    clock = time.perf_counter()
    # One entry per distinct (id, path): a text given as target and source is both.
    roles: dict[tuple[str, str], tuple[Article, bool, bool]] = {}
    for a in t_articles:
        roles[a.id, a.path] = (a, True, sources is None)
    for a in s_articles:
        old = roles.get((a.id, a.path))
        roles[a.id, a.path] = (a, old is not None and old[1], True)
    keys = sorted(roles)
    articles = [roles[k][0] for k in keys]
    is_target = np.array([roles[k][1] for k in keys], dtype=bool)
    is_source = np.array([roles[k][2] for k in keys], dtype=bool)
    vocabulary = Vocabulary()
    tokens = [vocabulary.tokenize(a.text) for a in articles]
    timings["tokenize"] = time.perf_counter() - clock

    clock = time.perf_counter()
    found = find_candidates(tokens, vocabulary.hashes(), is_target, is_source, config)
    pairs = _oriented_pairs(found, articles, tokens, dated=sources is None)
    timings["candidates"] = time.perf_counter() - clock

    clock = time.perf_counter()
    derived = _align_pairs(articles, tokens, pairs, vocabulary.size, config)
    timings["align"] = time.perf_counter() - clock

    derived.sort(key=lambda d: (d.target, d.target_path, -d.share, d.source, d.source_path))
    with_source = {(d.target, d.target_path) for d in derived}
    underived = tuple(
        a.id for k, a in zip(keys, articles, strict=True) if roles[k][1] and k not in with_source
    )
    texts: dict[tuple[str, str], str] = {}
    if keep_texts:
        for d in derived:
            for key in ((d.target, d.target_path), (d.source, d.source_path)):
                texts[key] = roles[key][0].text
    params = ReuseParams(
        config=config,
        mode="dated" if sources is None else "sources",
        targets=int(is_target.sum()),
        sources=int(is_source.sum()),
        candidate_pairs=sum(len(v) for v in found.values()),
        aligned_pairs=len(pairs),
    )
    return ReuseResult(
        derivations=tuple(derived),
        underived=underived,
        paths={a.id: a.path for a in articles},
        rejections=tuple(sorted(rejections, key=lambda r: (r.id, r.path))),
        params=params,
        timings=timings,
        texts=texts,
    )


def _align_pairs(
    articles: Sequence[Article],
    tokens: Sequence[Tokenized],
    pairs: dict[tuple[int, int], tuple[str, ...]],
    vocabulary_size: int,
    config: ReuseConfig,
) -> list[Derivation]:
    """Align every pair in one kernel call; a record only for the derived ones."""
    ordered = sorted(pairs.items())
    if not ordered:
        return []
    lengths = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens))
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    ids = np.concatenate([t.ids for t in tokens])
    pair_t = np.fromiter((t for (t, _), _ in ordered), dtype=np.int64, count=len(ordered))
    pair_s = np.fromiter((s for (_, s), _ in ordered), dtype=np.int64, count=len(ordered))
    aligner = Aligner(vocabulary_size, config.max_align_tokens)
    aligned, cut, run_ptr, rt, rs, rn = aligner.align_batch(
        ids, offsets, pair_t, pair_s, config.min_passage_words
    )
    words = lengths.tolist()
    counts = aligned.tolist()
    cuts = cut.tolist()
    ptr = run_ptr.tolist()
    rt_, rs_, rn_ = rt.tolist(), rs.tolist(), rn.tolist()
    spans = _Spans()
    derived: list[Derivation] = []
    for p, ((t, s), notes) in enumerate(ordered):
        a, b = ptr[p], ptr[p + 1]
        d = _make_derivation(
            articles[t],
            articles[s],
            (words[t], words[s], counts[p]),
            list(zip(rt_[a:b], rs_[a:b], rn_[a:b], strict=True)),
            config,
            notes=(*notes, *_cut_note(config)) if cuts[p] else notes,
            spans=spans,
            keep_none=False,
        )
        if d is not None:
            derived.append(d)
    return derived


def _oriented_pairs(
    found: dict[int, list[tuple[int, float]]],
    articles: Sequence[Article],
    tokens: Sequence[Tokenized],
    *,
    dated: bool,
) -> dict[tuple[int, int], tuple[str, ...]]:
    """The (target, source) pairs to align, each with the note on how it was oriented."""
    pairs: dict[tuple[int, int], tuple[str, ...]] = {}
    for t, candidates in found.items():
        for s, _ in candidates:
            if not dated:
                pairs[t, s] = ()
                continue
            a, b = articles[t].date, articles[s].date
            if a is not None and b is not None and a != b:
                pair = (t, s) if a > b else (s, t)
                pairs.setdefault(pair, ())
                continue
            # Same date or undated: the shorter text is the derived one (ties: the lower id).
            key_t = (len(tokens[t]), articles[t].id, articles[t].path)
            key_s = (len(tokens[s]), articles[s].id, articles[s].path)
            pair = (t, s) if key_t < key_s else (s, t)
            why = "same date" if a is not None and a == b else "undated"
            pairs.setdefault(pair, (f"{why}: the shorter text taken as the derived one",))
    return pairs
