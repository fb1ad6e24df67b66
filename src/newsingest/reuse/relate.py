"""The reuse relation: for each target article, the sources it derives from, and how much.

``find_reuse`` reads its inputs through :func:`newsingest.ingest.run.iter_articles`,
so decoding, extraction and repair are those of ``dedup``; it strips outlet
boilerplate learnt over targets and sources together with dedup's detector
(``ReuseConfig.boilerplate``; passage offsets point into the stripped texts); it finds candidate
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

import functools
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from newsingest._gc import pausing
from newsingest.config import BoilerplateConfig, IngestConfig
from newsingest.ingest.run import PathLike, check_inputs, iter_articles
from newsingest.matching._kernels import jit
from newsingest.matching.boilerplate import (
    boilerplate_keys,
    distinct_keys,
    drop_paragraphs,
    key_paragraph_groups,
    paragraph_hits,
)
from newsingest.matching.shingle import (
    CJK,
    DROP,
    MARK,
    SEA,
    SEP,
    WORD,
    char_classes,
    normalize_text,
    token_spans,
)
from newsingest.records import Article, Rejection
from newsingest.reuse.align import Aligner, align_tokens, runs
from newsingest.reuse.candidates import Tokenized, Vocabulary, candidate_pairs
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
    share: float,
    target_words: int,
    source_words: int,
    config: ReuseConfig = DEFAULT_CONFIG,
    *,
    passage_share: float,
) -> tuple[Label, str]:
    """The label of a pair and the rule that gave it.

    ``share`` is the aligned share of the target's words, ``passage_share`` the share
    in passages (runs of at least ``config.min_passage_words`` words). For fixed
    lengths the label never goes down as either share goes up.
    """
    ratio = target_words / max(source_words, 1)
    if passage_share < config.partial_passage_share:
        return "none", (
            f"share {share:.2f}, but only {passage_share:.2f} in passages of "
            f"{config.min_passage_words}+ words (< {config.partial_passage_share}): "
            "scattered shared words"
        )
    if share >= config.wholly_share:
        if ratio <= config.wholly_max_length_ratio:
            return "wholly", f"share {share:.2f} >= {config.wholly_share}"
        return "partially", (
            f"share {share:.2f} >= {config.wholly_share} but the target is {ratio:.1f}x "
            f"as long as the source (> {config.wholly_max_length_ratio}): it adds text"
        )
    if share >= config.partial_share:
        return "partially", (
            f"share {share:.2f} >= {config.partial_share}, {passage_share:.2f} in passages"
        )
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
        (len(t_tokens), len(s_tokens), int(pos_t.shape[0]), sum(r[2] for r in found)),
        config,
        notes=_cut_note(config) if cut else (),
        passages=lambda: _passages(
            _Spans(), target, source, found, len(t_tokens), len(s_tokens), config
        ),
    )
    assert derivation is not None
    return derivation


def _cut_note(config: ReuseConfig) -> tuple[str]:
    return (f"aligned on the first {config.max_align_tokens} shared words only",)


def _make_derivation(
    target: Article,
    source: Article,
    counts: tuple[int, int, int, int],
    config: ReuseConfig,
    *,
    notes: Sequence[str],
    passages: Callable[[], tuple[tuple[Passage, ...], str]],
    keep_none: bool = True,
) -> Derivation | None:
    """The labelled record of one aligned pair; ``counts`` are target, source, aligned
    and passage words, ``passages`` gives the passages and a note on them (asked for
    derived pairs only). ``None`` for an underived pair unless ``keep_none``."""
    words, s_words, aligned, in_passages = counts
    share = aligned / words if words else 0.0
    passage_share = in_passages / words if words else 0.0
    label, why = label_for(share, words, s_words, config, passage_share=passage_share)
    if label == "none" and not keep_none:
        return None
    notes = list(notes)
    shown: tuple[Passage, ...] = ()
    if label != "none":
        shown, note = passages()
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
        passage_words=in_passages,
        passages=shown,
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


# How each code point tokenises on its own, filled in as texts bring new ones.
_K_SEP, _K_WORD, _K_DROP, _K_ALONE, _K_SLOW, _K_UNKNOWN = 0, 1, 2, 3, 4, 255
_kinds: npt.NDArray[np.uint8] | None = None


def _kind(ch: str) -> int:
    """The class of one character for token offsets; ``_K_SLOW`` when it needs the
    shingle module's character-cluster path (combining marks, and compatibility
    characters that normalise to mixed classes)."""
    if unicodedata.category(ch)[0] == "M":
        return _K_SLOW
    table = char_classes()
    kinds = [int(table[ord(c)]) for c in normalize_text(ch)]
    if not kinds or all(k == DROP for k in kinds):
        return _K_DROP
    if all(k == SEP for k in kinds):
        return _K_SEP
    if kinds[0] == WORD and all(k in (WORD, MARK) for k in kinds):
        return _K_WORD
    if len(kinds) == 1 and kinds[0] in (CJK, SEA):
        return _K_ALONE
    return _K_SLOW


@jit
def _kind_spans(kinds: Any) -> Any:
    """``(start, end)`` of each token: a character alone, or word characters joined
    through dropped ones (a token ends on a word character)."""
    n = kinds.shape[0]
    out = np.empty((n, 2), dtype=np.int32)
    found = 0
    i = 0
    while i < n:
        k = kinds[i]
        if k == _K_ALONE:
            out[found, 0] = i
            out[found, 1] = i + 1
            found += 1
            i += 1
        elif k == _K_WORD:
            end = i + 1
            j = i + 1
            while j < n and (kinds[j] == _K_WORD or kinds[j] == _K_DROP):
                if kinds[j] == _K_WORD:
                    end = j + 1
                j += 1
            out[found, 0] = i
            out[found, 1] = end
            found += 1
            i = end
        else:
            i += 1
    return out[:found]


def _unicode_spans(text: str) -> npt.NDArray[np.int32] | None:
    """Token offsets of a non-ASCII text by a per-code-point class table, or ``None``
    when a character needs the shingle module's slower path."""
    global _kinds  # noqa: PLW0603 - one lazily built table per process
    if _kinds is None:
        _kinds = np.full(0x110000, _K_UNKNOWN, dtype=np.uint8)
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    kinds = _kinds[codes]
    if (kinds == _K_UNKNOWN).any():
        for cp in np.unique(codes[kinds == _K_UNKNOWN]).tolist():
            _kinds[cp] = _kind(chr(cp))
        kinds = _kinds[codes]
    if (kinds == _K_SLOW).any():
        return None
    found: npt.NDArray[np.int32] = _kind_spans(kinds)
    return found


def text_spans(text: str) -> npt.NDArray[np.int32]:
    """:func:`~newsingest.matching.shingle.token_spans` as an ``(n, 2)`` array.

    ASCII text takes a compiled path: there a token is a maximal run of ASCII
    letters and digits, as in the shingle module's own table for those characters.
    Other text takes a compiled path over a per-code-point class table built as
    the shingle module's fast path classifies characters, and that module itself
    when a character needs its character-cluster path.
    """
    if not text.isascii():
        fast = _unicode_spans(text)
        if fast is not None:
            return fast
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


_UNMAPPED = "word offsets cannot be mapped back to the text: no passages"


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
        return (), _UNMAPPED
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


def _run_offsets(  # noqa: PLR0917 - the batch's arrays
    articles: Sequence[Article],
    words: npt.NDArray[np.int64],
    pair_t: npt.NDArray[np.int64],
    pair_s: npt.NDArray[np.int64],
    run_ptr: npt.NDArray[np.int64],
    runs_: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """The character offsets of every run of a batch, as ``(runs, 4)`` target start,
    target end, source start, source end; and which texts' tokens map to offsets.

    One lookup per text for all the runs it is in, not one per pair: a large corpus has
    a few runs per pair and many pairs per text.
    """
    rt, rs, rn = runs_
    nruns = rt.shape[0]
    run_pair = np.repeat(np.arange(pair_t.shape[0], dtype=np.int64), np.diff(run_ptr))
    # Four lookups per run into the flattened (words, 2) span arrays of its two texts.
    text = np.concatenate((pair_t[run_pair], pair_t[run_pair], pair_s[run_pair], pair_s[run_pair]))
    flat = np.concatenate((2 * rt, 2 * (rt + rn - 1) + 1, 2 * rs, 2 * (rs + rn - 1) + 1))
    out = np.zeros(4 * nruns, dtype=np.int64)
    mapped = np.zeros(len(articles), dtype=np.bool_)
    order = np.argsort(text, kind="stable")
    text_sorted = text[order]
    cuts = np.flatnonzero(np.diff(text_sorted)) + 1
    starts = np.concatenate(([0], cuts)).tolist()
    ends = np.concatenate((cuts, [text_sorted.shape[0]])).tolist()
    spans = _Spans()
    for a, b in zip(starts, ends, strict=True):
        if a == b:
            continue
        i = int(text_sorted[a])
        found = spans.of(articles[i])
        if found.shape[0] != words[i]:
            continue
        mapped[i] = True
        where = order[a:b]
        out[where] = found.reshape(-1)[flat[where]]
    return out.reshape(4, nruns).T, mapped


def relate_articles(
    target: Article, source: Article, config: ReuseConfig = DEFAULT_CONFIG
) -> Derivation:
    """How much of ``target`` derives from ``source``: align the two and label the pair.

    No candidate search: the pair is aligned whatever it shares.
    """
    vocabulary = Vocabulary()
    t_tokens, s_tokens = vocabulary.tokenize_all([target.text, source.text])
    return _derivation(target, source, t_tokens, s_tokens, config)


def _strip_outlet_lines(articles: list[Article], config: BoilerplateConfig) -> list[Article]:
    """The articles without their boilerplate paragraphs, learnt over all of them.

    ``learn_boilerplate`` and ``strip_boilerplate`` article by article, in one kernel
    call for all the paragraph keys and dedup's rule (``boilerplate_keys``, the keys that
    model strips): the same stripped articles.
    """
    keys, lengths = key_paragraph_groups([a.paragraphs for a in articles])
    distinct, counts = distinct_keys(keys, lengths)
    found = boilerplate_keys(distinct[0], distinct[1], counts, config)
    if not found.size:
        return articles
    hits = paragraph_hits(keys[0], lengths, found)
    return [drop_paragraphs(a, hits[d]) if d in hits else a for d, a in enumerate(articles)]


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
    ``keep_texts`` keeps the texts the passages point into (``ReuseResult.texts``) and
    their articles (``ReuseResult.articles``, for the review page).

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
    if config.boilerplate.enabled:
        articles = _strip_outlet_lines(articles, config.boilerplate)
        roles = {k: (a, roles[k][1], roles[k][2]) for k, a in zip(keys, articles, strict=True)}
    timings["boilerplate"] = time.perf_counter() - clock

    clock = time.perf_counter()
    is_target = np.array([roles[k][1] for k in keys], dtype=bool)
    is_source = np.array([roles[k][2] for k in keys], dtype=bool)
    vocabulary = Vocabulary()
    tokens = vocabulary.tokenize_all([a.text for a in articles])
    timings["tokenize"] = time.perf_counter() - clock

    clock = time.perf_counter()
    found_t, found_s, _ = candidate_pairs(tokens, vocabulary.hashes(), is_target, is_source, config)
    pairs = _oriented_pairs(found_t, found_s, articles, tokens, dated=sources is None)
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
    kept: dict[tuple[str, str], Article] = {}
    if keep_texts:
        for d in derived:
            for key in ((d.target, d.target_path), (d.source, d.source_path)):
                kept[key] = roles[key][0]
                texts[key] = kept[key].text
    params = ReuseParams(
        config=config,
        mode="dated" if sources is None else "sources",
        targets=int(is_target.sum()),
        sources=int(is_source.sum()),
        candidate_pairs=int(found_t.shape[0]),
        aligned_pairs=int(pairs[0].shape[0]),
    )
    return ReuseResult(
        derivations=tuple(derived),
        underived=underived,
        paths={a.id: a.path for a in articles},
        rejections=tuple(sorted(rejections, key=lambda r: (r.id, r.path))),
        params=params,
        timings=timings,
        texts=texts,
        articles=kept,
    )


def _align_pairs(
    articles: Sequence[Article],
    tokens: Sequence[Tokenized],
    pairs: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int8]],
    vocabulary_size: int,
    config: ReuseConfig,
) -> list[Derivation]:
    """Align every pair in one kernel call; a record only for the derived ones."""
    pair_t, pair_s, why_ = pairs
    if not pair_t.shape[0]:
        return []
    lengths = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens))
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    ids = np.concatenate([t.ids for t in tokens])
    aligner = Aligner(vocabulary_size, config.max_align_tokens)
    # Underived pairs get no record, so one that cannot reach the partial share needs no table.
    aligned, cut, run_ptr, rt, rs, rn = aligner.align_batch(
        ids, offsets, pair_t, pair_s, config.min_passage_words, min_share=config.partial_share
    )
    words = lengths.tolist()
    counts = aligned.tolist()
    run_words = np.concatenate(([0], np.cumsum(rn)))
    in_passages = (run_words[run_ptr[1:]] - run_words[run_ptr[:-1]]).tolist()
    cuts = cut.tolist()
    ptr = run_ptr.tolist()
    offsets_, mapped = _run_offsets(articles, lengths, pair_t, pair_s, run_ptr, (rt, rs, rn))
    ts_, te_, ss_, se_ = (offsets_[:, k].tolist() for k in range(4))
    ok = mapped.tolist()
    rn_ = rn.tolist()

    def passages_of(p: int, t: int, s: int) -> tuple[tuple[Passage, ...], str]:
        a, b = ptr[p], ptr[p + 1]
        if a == b:
            return (), ""
        if not (ok[t] and ok[s]):
            return (), _UNMAPPED
        return tuple(
            Passage(
                target_start=ts_[k],
                target_end=te_[k],
                source_start=ss_[k],
                source_end=se_[k],
                words=rn_[k],
            )
            for k in range(a, b)
        ), ""

    derived: list[Derivation] = []
    for p, (t, s, why) in enumerate(
        zip(pair_t.tolist(), pair_s.tolist(), why_.tolist(), strict=True)
    ):
        notes = _ORIENTED[why]
        d = _make_derivation(
            articles[t],
            articles[s],
            (words[t], words[s], counts[p], in_passages[p]),
            config,
            notes=(*notes, *_cut_note(config)) if cuts[p] else notes,
            passages=functools.partial(passages_of, p, t, s),
            keep_none=False,
        )
        if d is not None:
            derived.append(d)
    return derived


_ORIENTED = (
    (),
    ("same date: the shorter text taken as the derived one",),
    ("undated: the shorter text taken as the derived one",),
)


def _oriented_pairs(
    found_t: npt.NDArray[np.int64],
    found_s: npt.NDArray[np.int64],
    articles: Sequence[Article],
    tokens: Sequence[Tokenized],
    *,
    dated: bool,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int8]]:
    """The distinct (target, source) pairs to align, sorted, each with how it was
    oriented (an index into ``_ORIENTED``). ``articles`` are in ``(id, path)`` order,
    so an index decides a tie of lengths as the ``(id, path)`` would."""
    if dated:
        dates = [a.date for a in articles]
        # Ranks, not ordinals: the same order and equality whatever the dates' type.
        rank = {d: i for i, d in enumerate(sorted({d for d in dates if d is not None}), 1)}
        day = np.fromiter(
            (0 if d is None else rank[d] for d in dates), dtype=np.int64, count=len(dates)
        )
        lengths = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens))
        a, b = day[found_t], day[found_s]
        known = (a > 0) & (b > 0) & (a != b)
        # Same date or undated: the shorter text is the derived one (ties: the lower id).
        shorter = lengths[found_t] < lengths[found_s]
        shorter |= (lengths[found_t] == lengths[found_s]) & (found_t < found_s)
        keep = np.where(known, a > b, shorter)
        why = np.where(known, 0, np.where((a > 0) & (a == b), 1, 2)).astype(np.int8)
        found_t, found_s = np.where(keep, found_t, found_s), np.where(keep, found_s, found_t)
    else:
        why = np.zeros(found_t.shape[0], dtype=np.int8)
    order = np.lexsort((found_s, found_t))
    found_t, found_s, why = found_t[order], found_s[order], why[order]
    first = np.ones(found_t.shape[0], dtype=bool)
    first[1:] = (found_t[1:] != found_t[:-1]) | (found_s[1:] != found_s[:-1])
    return found_t[first], found_s[first], why[first]
