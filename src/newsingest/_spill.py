"""Article texts written to a temporary file in pass 1 and read back a range at a time.

Between the two passes of a batch run (:mod:`newsingest.pipeline`) every
article waits for the corpus's boilerplate to be learned. Held as
:class:`~newsingest.records.Article` objects that costs several times the
text's size, for the whole corpus at once; a :class:`SpillFile` keeps only two
numbers per article in memory and the texts on disk, in the order they came.

Pass 2 needs of an article only its text and where its paragraphs are in it
(to strip the boilerplate ones), so that is what is written: the article's
``text`` (UTF-8, lone surrogates kept), and per article a row ``(title length,
text length)`` followed by one row ``(paragraph length, paragraph key)`` per
paragraph. Lengths are in characters. The stripped text is then rebuilt
exactly as :func:`~newsingest.matching.boilerplate.stripped_text` builds it.

A run whose caller wants the articles themselves after the run (the kept
articles as JSON Lines, the review page) also writes each whole article, as a
pickle, to an :class:`ArticleFile`; :class:`ArticleReader` reads one back by
its position, in any process, once the writer has closed the file.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Sequence
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from newsingest.matching import boilerplate as _bp
from newsingest.records import Article

__all__ = ["ArticleFile", "ArticleReader", "SpillFile", "text_bytes"]

_IntArray = npt.NDArray[np.int64]
_SEP = "\n\n"  # what Article.text puts between the title and paragraphs
_ENCODING = "utf-8"
_ERRORS = "surrogatepass"  # a repaired text may still hold lone surrogates


def text_bytes(articles: Sequence[Article]) -> int:
    """About how many bytes the articles' texts take: what the spill budget counts."""
    return sum(len(a.title or "") + sum(map(len, a.paragraphs)) for a in articles)


def _read_at(file: BinaryIO, offset: int, size: int) -> bytes:
    file.seek(offset)
    return file.read(size)


class SpillFile:
    """One process's spilled articles: two files in ``folder``, appended to in order.

    The caller owns ``folder`` (a temporary directory it removes); :meth:`close`
    only closes the files.
    """

    def __init__(self, folder: str) -> None:
        fd, self.path = tempfile.mkstemp(prefix="texts-", suffix=".bin", dir=folder)
        self._texts = os.fdopen(fd, "w+b")
        fd, self.rows_path = tempfile.mkstemp(prefix="rows-", suffix=".bin", dir=folder)
        self._rows = os.fdopen(fd, "w+b")
        self._byte_ends: list[_IntArray] = []  # per call of add: each article's end, in bytes
        self._row_ends: list[_IntArray] = []  # and in rows
        self._bytes = 0
        self._nrows = 0
        self._count = 0
        self._ends: tuple[_IntArray, _IntArray] | None = None

    def __len__(self) -> int:
        return self._count

    def add(self, articles: Sequence[Article], keys: _IntArray) -> None:
        """Write ``articles``; ``keys`` are their paragraphs' line keys, one article after
        another (as :func:`~newsingest.matching.boilerplate.key_paragraph_groups` makes them)."""
        if not articles:
            return
        texts = [a.text for a in articles]
        counts = np.fromiter((len(a.paragraphs) for a in articles), np.int64, len(articles))
        if keys.size != int(counts.sum()):
            raise ValueError(f"{keys.size} keys for {int(counts.sum())} paragraphs")
        rows = np.empty((len(articles) + keys.size, 2), dtype=np.int64)
        # Each article's header row comes before its paragraphs' rows.
        heads = np.cumsum(counts + 1) - (counts + 1)
        is_head = np.zeros(rows.shape[0], dtype=bool)
        is_head[heads] = True
        rows[heads, 0] = [len(a.title) if a.title else 0 for a in articles]
        rows[heads, 1] = [len(t) for t in texts]
        rows[~is_head, 0] = [len(p) for a in articles for p in a.paragraphs]
        rows[~is_head, 1] = keys
        encoded = [t.encode(_ENCODING, _ERRORS) for t in texts]
        sizes = np.fromiter(map(len, encoded), np.int64, len(encoded))
        # A read may have moved the files' positions: appends go at the end.
        self._texts.seek(0, os.SEEK_END)
        self._texts.write(b"".join(encoded))
        self._rows.seek(0, os.SEEK_END)
        self._rows.write(rows.tobytes())
        self._byte_ends.append(self._bytes + np.cumsum(sizes))
        self._row_ends.append(self._nrows + np.cumsum(counts + 1))
        self._bytes += int(sizes.sum())
        self._nrows += rows.shape[0]
        self._count += len(articles)
        self._ends = None

    def _all_ends(self) -> tuple[_IntArray, _IntArray]:
        if self._ends is None:
            zero = [np.zeros(1, dtype=np.int64)]
            self._ends = (
                np.concatenate(zero + self._byte_ends),
                np.concatenate(zero + self._row_ends),
            )
            self._byte_ends = [self._ends[0][1:]]
            self._row_ends = [self._ends[1][1:]]
        return self._ends

    def read(self, lo: int, hi: int) -> tuple[str, _IntArray, _IntArray]:
        """Articles ``lo:hi``: their texts one after another, each one's header and
        paragraph rows (as written), and where each article's rows start among them."""
        if not 0 <= lo <= hi <= self._count:
            raise IndexError(f"articles {lo}:{hi} of {self._count}")
        byte_ends, row_ends = self._all_ends()
        b0, b1 = int(byte_ends[lo]), int(byte_ends[hi])
        r0, r1 = int(row_ends[lo]), int(row_ends[hi])
        data = _read_at(self._texts, b0, b1 - b0)
        raw = _read_at(self._rows, r0 * 16, (r1 - r0) * 16)
        if len(data) != b1 - b0 or len(raw) != (r1 - r0) * 16:
            raise OSError(f"short read from the spill file {self.path}")
        rows = np.frombuffer(raw, dtype=np.int64).reshape(-1, 2)
        return data.decode(_ENCODING, _ERRORS), rows, row_ends[lo : hi + 1] - r0

    def stripped_texts(
        self, lo: int, hi: int, boilerplate: _IntArray
    ) -> tuple[list[str], _IntArray, _IntArray]:
        """Articles ``lo:hi``'s texts without their boilerplate paragraphs, with their
        paragraph keys and counts.

        Equal to :func:`~newsingest.matching.boilerplate.stripped_texts` of the
        articles as they were added.
        """
        whole, rows, starts = self.read(lo, hi)
        heads = starts[:-1]
        counts = np.diff(starts) - 1
        is_head = np.zeros(rows.shape[0], dtype=bool)
        is_head[heads] = True
        keys = np.ascontiguousarray(rows[~is_head, 1])
        text_ends = np.cumsum(rows[heads, 1])
        ends = text_ends.tolist()
        begins = (text_ends - rows[heads, 1]).tolist()
        texts = [whole[b:e] for b, e in zip(begins, ends, strict=True)]
        hits = _bp.paragraph_hits(keys, counts, boilerplate)
        for d, flags in hits.items():
            if all(flags):
                continue  # every paragraph is boilerplate: the text stays whole
            head = int(heads[d])
            title_len = int(rows[head, 0])
            lengths = rows[head + 1 : head + 1 + int(counts[d]), 0].tolist()
            at = begins[d] + (title_len + len(_SEP) if title_len else 0)
            kept: list[str] = []
            for length, hit in zip(lengths, flags, strict=True):
                if not hit:
                    kept.append(whole[at : at + length])
                at += length + len(_SEP)
            body = _SEP.join(kept)
            title = whole[begins[d] : begins[d] + title_len]
            texts[d] = f"{title}{_SEP}{body}" if title_len else body
        return texts, keys, counts

    def close(self) -> None:
        self._texts.close()
        self._rows.close()


class ArticleFile:
    """Whole articles appended to a file in ``folder``, in order; :meth:`close` says
    where each one ends."""

    def __init__(self, folder: str) -> None:
        fd, self.path = tempfile.mkstemp(prefix="articles-", suffix=".bin", dir=folder)
        self._file = os.fdopen(fd, "wb")
        self._ends: list[_IntArray] = []
        self._bytes = 0

    def add(self, articles: Sequence[Article]) -> None:
        if not articles:
            return
        blobs = [pickle.dumps(a, protocol=pickle.HIGHEST_PROTOCOL) for a in articles]
        self._file.write(b"".join(blobs))
        self._ends.append(self._bytes + np.cumsum(np.fromiter(map(len, blobs), np.int64)))
        self._bytes += sum(map(len, blobs))

    def close(self) -> ArticleReader:
        """Close the file; the reader of what was written."""
        self._file.close()
        ends = np.concatenate([np.zeros(1, dtype=np.int64), *self._ends])
        self._ends = []
        return ArticleReader(self.path, ends)


class ArticleReader:
    """Reads article ``i`` of an :class:`ArticleFile` (``ends[i]:ends[i + 1]`` of it).

    Plain data, so a worker can send it to the process that reads; :meth:`close`
    closes what :meth:`get` opened.
    """

    def __init__(self, path: str, ends: _IntArray) -> None:
        self.path = path
        self.ends = ends
        self._fd: int | None = None

    def __len__(self) -> int:
        return int(self.ends.size) - 1

    def __getstate__(self) -> tuple[str, _IntArray]:
        return self.path, self.ends

    def __setstate__(self, state: tuple[str, _IntArray]) -> None:
        self.path, self.ends = state
        self._fd = None

    def get(self, i: int) -> Article:
        if not 0 <= i < len(self):
            raise IndexError(f"article {i} of {len(self)}")
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY)
        lo, hi = int(self.ends[i]), int(self.ends[i + 1])
        data = os.pread(self._fd, hi - lo, lo)
        if len(data) != hi - lo:
            raise OSError(f"short read from the spill file {self.path}")
        article: Article = pickle.loads(data)  # a file this run wrote
        return article

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
