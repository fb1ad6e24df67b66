"""Tasks on the articles: ingest a partition, count its boilerplate keys, fingerprint a group.

The articles stay on the worker that ingested them; what leaves these tasks is
integers and a :class:`GroupTable` of arrays.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

import attrs
import numpy as np
import numpy.typing as npt

from newsingest._arrays import equal_runs, expand_ranges, sorted_unique
from newsingest._gc import pausing
from newsingest.config import BoilerplateConfig, DedupConfig, IngestConfig
from newsingest.ingest.read import iter_documents
from newsingest.ingest.run import ingest_or_reject
from newsingest.matching.boilerplate import (
    ParagraphKeys,
    boilerplate_keys,
    distinct_keys,
    is_candidate,
    key_paragraph_groups,
    stripped_texts,
)
from newsingest.matching.fingerprint import fingerprint_batch
from newsingest.matching.link import count_repairs, day_number
from newsingest.records import Article, RawDocument, Rejection

_Int = npt.NDArray[np.int64]
_NO_ROWS = np.empty((3, 0), dtype=np.int64)


@attrs.frozen(eq=False)
class IngestedPart:
    """One partition, ingested: it stays on the worker that made it."""

    articles: list[Article]
    flat: ParagraphKeys  # the articles' paragraph keys (2, total) ...
    lengths: _Int  # ... and how many each article has
    distinct: ParagraphKeys  # each article's distinct (key, words), when learning ...
    counts: _Int  # ... and how many each article has (see boilerplate.distinct_keys)
    rejections: list[Rejection]
    text_bytes: int

    def __sizeof__(self) -> int:
        # What dask weighs before moving the partition to another worker: the
        # default would count the list, not the articles in it (a thousandth).
        return 2 * self.text_bytes + self.flat.nbytes + self.distinct.nbytes + 1000


@pausing
def ingest_partition(
    items: Iterable[object], config: IngestConfig, boilerplate: bool
) -> IngestedPart:
    """Read (for path items), ingest and key every document of one partition."""
    # Each item is one argument of the local pipeline's several: prefix its ids.
    read_config = config.read
    if read_config.prefix_ids is None:
        read_config = attrs.evolve(read_config, prefix_ids=True)
    articles: list[Article] = []
    rejections: list[Rejection] = []

    def take(item: Article | Rejection) -> None:
        if isinstance(item, Rejection):
            rejections.append(item)
        else:
            articles.append(item)

    for item in items:
        if isinstance(item, Article | Rejection):
            take(item)
        elif isinstance(item, RawDocument):
            take(ingest_or_reject(item, config))
        else:
            # Ids as the local pipeline gives them for several arguments.
            arg = os.fsdecode(item)  # type: ignore[arg-type]
            for doc in iter_documents([arg], read_config):
                take(doc if isinstance(doc, Rejection) else ingest_or_reject(doc, config))
    flat, lengths = key_paragraph_groups([a.paragraphs for a in articles])  # one kernel call
    size = sum(len(p) for a in articles for p in a.paragraphs)
    if not boilerplate:
        none = np.empty((2, 0), dtype=np.int64)
        empty = np.zeros_like(lengths)
        return IngestedPart(articles, flat, lengths, none, empty, rejections, size)
    distinct, counts = distinct_keys(flat, lengths)
    return IngestedPart(articles, flat, lengths, distinct, counts, rejections, size)


# ---------------------------------------------------------------- boilerplate


def key_stats(*parts: IngestedPart) -> ParagraphKeys:
    """Rows (key, documents holding it, its word count) of a group's partitions."""
    return sum_key_stats(np.concatenate([part.distinct for part in parts], axis=1), None)


def sum_key_stats(keys: ParagraphKeys, counts: _Int | None) -> ParagraphKeys:
    """Rows (key, documents holding it, its word count) from rows (key, word count)
    weighted by ``counts`` (one document each when None)."""
    if keys.shape[1] == 0:
        return _NO_ROWS
    order = np.argsort(keys[0], kind="stable")
    key = keys[0, order]
    starts, _ = equal_runs(key)
    weights = np.ones(key.size, np.int64) if counts is None else counts[order]
    return np.stack([key[starts], np.add.reduceat(weights, starts), keys[1, order[starts]]])


def merge_key_stats(parts: list[ParagraphKeys]) -> ParagraphKeys:
    """The rows of :func:`sum_key_stats` of several groups as one."""
    both = np.concatenate(parts, axis=1)
    return sum_key_stats(both[[0, 2]], both[1])


def frequent_keys(bp: BoilerplateConfig, *stats: ParagraphKeys) -> _Int:
    """The keys of the merged ``stats`` that are boilerplate candidates, sorted."""
    total = merge_key_stats(list(stats))
    keep = is_candidate(total[1], total[2], bp)
    return np.sort(total[0, keep])


def frequent_rows(frequent: _Int, *parts: IngestedPart) -> tuple[list[str], ParagraphKeys, _Int]:
    """The distinct keys of a group's documents holding a frequent key: (ids, keys, lengths)."""
    ids: list[str] = []
    keys: list[ParagraphKeys] = []
    lengths: list[_Int] = []
    for part in parts:
        doc = np.repeat(np.arange(part.counts.size, dtype=np.int64), part.counts)
        docs = sorted_unique(doc[np.isin(part.distinct[0], frequent)])
        keys.append(part.distinct[:, np.isin(doc, docs)])  # grouped by document, in order
        lengths.append(part.counts[docs])
        ids += [part.articles[d].id for d in docs.tolist()]
    return ids, np.concatenate(keys, axis=1), np.concatenate(lengths)


@pausing
def decide_boilerplate(
    gathered: Sequence[tuple[list[str], ParagraphKeys, _Int]], bp: BoilerplateConfig
) -> _Int:
    """The boilerplate keys, sorted, from the :func:`frequent_rows` of every group."""
    ids = np.array([i for got in gathered for i in got[0]], dtype=object)
    if not ids.size:
        return np.empty(0, np.int64)
    lengths = np.concatenate([got[2] for got in gathered])
    flat = np.concatenate([got[1] for got in gathered], axis=1)
    # Documents in id order, as the local pipeline lays them out.
    order = np.argsort(ids, kind="stable")
    _, take = expand_ranges((np.cumsum(lengths) - lengths)[order], lengths[order])
    return boilerplate_keys(flat[0, take], flat[1, take], lengths[order], bp)


# ---------------------------------------------------------------- fingerprints


@attrs.frozen
class GroupTable:
    """Fingerprinted documents as arrays, sorted by node id: all the linking needs.

    Made where the partition's articles are, so only these arrays (about
    600 bytes a document) ever move between workers, never the articles.
    """

    node: _Int
    ids: npt.NDArray[np.object_]
    paths: npt.NDArray[np.object_]
    sigs: npt.NDArray[np.uint32]
    sizes: _Int
    digests: npt.NDArray[np.bytes_]
    day: _Int  # date ordinal, 0 when undated
    repairs: _Int
    lengths: _Int
    rejections: list[Rejection]

    def row_of(self, nodes: _Int) -> _Int:
        """The rows of these node ids (all of them in this table)."""
        return np.searchsorted(self.node, nodes)


@pausing
def group_table(
    numbers: Sequence[int], boilerplate: _Int, config: DedupConfig, *parts: IngestedPart
) -> GroupTable:
    """Strip and fingerprint a group's partitions (``numbers`` are their partition numbers)."""
    articles = [a for part in parts for a in part.articles]
    # Only the stripped texts are needed (and id, path, date, fixes, which
    # stripping keeps): no stripped Article is built.
    none = np.empty(0, dtype=np.int64)
    keys = np.concatenate([part.flat[0] for part in parts] or [none])
    lengths = np.concatenate([part.lengths for part in parts] or [none])
    texts = stripped_texts(articles, keys, lengths, boilerplate)
    sigs, sizes, digests = fingerprint_batch(texts, config.fingerprint)
    n = len(articles)
    node = [
        (np.int64(p) << 32) + np.arange(len(part.articles), dtype=np.int64)
        for p, part in zip(numbers, parts, strict=True)
    ]
    return GroupTable(
        node=np.concatenate(node) if node else np.empty(0, np.int64),
        ids=np.array([a.id for a in articles], dtype=object).reshape(n),
        paths=np.array([a.path for a in articles], dtype=object).reshape(n),
        sigs=sigs,
        sizes=sizes.astype(np.int64),
        digests=np.array(digests, dtype="S16").reshape(n),
        day=np.fromiter((day_number(a.date) for a in articles), dtype=np.int64, count=n),
        repairs=np.fromiter((count_repairs(a.fixes) for a in articles), dtype=np.int64, count=n),
        lengths=np.fromiter(map(len, texts), dtype=np.int64, count=n),
        rejections=[r for part in parts for r in part.rejections],
    )
