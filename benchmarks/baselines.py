"""Three baseline dedup recipes, reimplemented with datasketch as their users would run them.

Every baseline reads the folder the way a naive user would (:func:`iter_naive_texts`):
each file's bytes decoded as UTF-8 with ``errors="replace"`` (so cp1252 bytes become
U+FFFD and UTF-16 becomes noise), ``.gz`` gunzipped first, HTML taken as raw markup
(tags, menu and all), ``.jsonl`` one record per line using only its ``"text"`` field,
plain text files whole (promo, title, date, footer included). Ids are those newsingest
gives: the path relative to the folder (POSIX), ``file.jsonl#N`` for the Nth line (1-based).

Candidate pairs from LSH are merged by union-find, which is how all three tools cluster.
A document with no shingles (fewer words than the n-gram size) is its own cluster here.
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

from datasketch import MinHash, MinHashLSH

__all__ = [
    "BASELINES",
    "cluster_minhash",
    "datatrove_simplify",
    "iter_naive_texts",
    "run_datasketch",
    "run_datatrove",
    "run_textdedup",
]


def iter_naive_texts(folder: Path) -> Iterator[tuple[str, str]]:
    """Yield (id, text) for every document under ``folder``, read the naive way."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        data = path.read_bytes()
        name = rel
        if name.endswith(".gz"):
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError):
                data = b""
            name = name[:-3]
        text = data.decode("utf-8", errors="replace")
        if name.endswith(".jsonl"):
            for number, line in enumerate(text.split("\n"), start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    yield f"{rel}#{number}", str(record.get("text", ""))
                except (ValueError, AttributeError):
                    yield f"{rel}#{number}", ""
        else:
            yield rel, text


def find(parent: dict[str, str], item: str) -> str:
    root = item
    while parent[root] != root:
        root = parent[root]
    while parent[item] != root:
        parent[item], item = root, parent[item]
    return root


def cluster_minhash(
    docs: Iterator[tuple[str, str]],
    shingle: Callable[[str], set[bytes]],
    lsh: MinHashLSH,
    num_perm: int,
    seed: int = 1,
) -> dict[str, str]:
    """MinHash every document, insert into ``lsh``, union each with its query results.

    The cluster label is the smallest id of the component, so it does not depend on order.
    """
    signatures: dict[str, MinHash] = {}
    parent: dict[str, str] = {}
    for doc_id, text in docs:
        parent[doc_id] = doc_id
        shingles = shingle(text)
        if not shingles:
            continue
        mh = MinHash(num_perm=num_perm, seed=seed)
        mh.update_batch(list(shingles))
        signatures[doc_id] = mh
        lsh.insert(doc_id, mh)
    return union_query_results(lsh, signatures, parent)


def union_query_results(
    lsh: MinHashLSH, signatures: dict[str, MinHash], parent: dict[str, str]
) -> dict[str, str]:
    """Union each document with what ``lsh`` returns for it; label = smallest id of the component.

    ``parent`` holds every document (those without a signature stay singletons).
    """
    for doc_id, mh in signatures.items():
        for other in lsh.query(mh):
            a, b = find(parent, doc_id), find(parent, other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return {doc_id: find(parent, doc_id) for doc_id in parent}


def word_ngrams(tokens: list[str], n: int) -> set[bytes]:
    if len(tokens) < n:
        return set()
    return {" ".join(tokens[i : i + n]).encode("utf-8") for i in range(len(tokens) - n + 1)}


def shingle_datasketch(text: str) -> set[bytes]:
    return word_ngrams(text.split(), 5)


def run_datasketch(folder: Path) -> dict[str, str]:
    """datasketch with its defaults, as its README shows.

    Word 5-grams split on whitespace, no normalisation; ``MinHash(num_perm=128)`` (seed 1,
    datasketch 2's default ``affine32`` scheme); ``MinHashLSH(threshold=0.8, num_perm=128)``,
    whose bands are chosen to balance false positives and negatives (b=9, r=13).
    The 0.8 threshold is the one in datasketch's LSH documentation example.
    """
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    return cluster_minhash(iter_naive_texts(folder), shingle_datasketch, lsh, num_perm=128)


NON_ALPHA = re.compile(r"\W", re.UNICODE)


def shingle_textdedup(text: str) -> set[bytes]:
    """text-dedup's tokenisation: lowercase, split on every single ``\\W`` character.

    Splitting on single characters keeps empty tokens between adjacent separators
    (e.g. ``", "`` gives one), exactly as ``NON_ALPHA.split`` does in text-dedup; documents
    with fewer than ``min_length=5`` tokens get no shingles.
    """
    return word_ngrams(NON_ALPHA.split(text.lower()), 5)


def run_textdedup(folder: Path) -> dict[str, str]:
    """text-dedup's MinHash recipe (``text_dedup.minhash``) with its sample config.

    ``--ngram 5 --num_perm 240 --threshold 0.7`` (its README example), seed 42; the band
    count comes from the same false-positive/false-negative optimisation datasketch uses
    (``optimal_param`` with equal weights), so ``MinHashLSH(threshold=0.7, num_perm=240)``
    reproduces it. text-dedup hashes shingles with SHA-1 and its own permutations; here
    datasketch's hash and permutations stand in, which changes nothing in expectation.
    """
    lsh = MinHashLSH(threshold=0.7, num_perm=240)
    docs = iter_naive_texts(folder)
    return cluster_minhash(docs, shingle_textdedup, lsh, num_perm=240, seed=42)


NUMBERS = re.compile(r"\d+([.,]\d+)?")
WHITESPACE = re.compile(r"\s+")


def is_punctuation(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] in "PS" or (category == "Cc" and char not in "\t\n\r")


def datatrove_simplify(text: str) -> str:
    """datatrove's ``simplify_text`` with its default ``TextNormConfig``.

    In datatrove's order: lowercase; numbers (digits with an optional decimal part) to
    ``0``; punctuation to a space (datatrove lists its characters; here every Unicode
    punctuation or symbol character and the control characters); diacritics stripped
    (NFD, combining marks dropped); whitespace runs to one space. Weekday and month-name
    normalisation are off by default and not done.
    """
    text = text.lower()
    text = NUMBERS.sub("0", text)
    text = "".join(" " if is_punctuation(c) else c for c in text)
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return WHITESPACE.sub(" ", text.strip())


def shingle_datatrove(text: str) -> set[bytes]:
    return word_ngrams(datatrove_simplify(text).split(" "), 5)


def run_datatrove(folder: Path) -> dict[str, str]:
    """datatrove's MinHash dedup with its default ``MinhashConfig``.

    ``n_grams=5, num_buckets=14, hashes_per_bucket=8, seed=1`` on ``simplify_text``ed
    text; two documents are candidates when all 8 hashes of any bucket agree (its
    docstring: threshold ~(1/14)^(1/8) ~ 0.72, P(candidate | s=0.8) ~ 0.92), then
    ``MinhashDedupCluster`` joins candidates by union-find. datatrove tokenises with a
    language word tokenizer; after punctuation removal, splitting on spaces matches it
    for English. Its 32/64-bit shingle hashes are replaced by datasketch's.
    """
    lsh = MinHashLSH(num_perm=112, params=(14, 8))
    return cluster_minhash(iter_naive_texts(folder), shingle_datatrove, lsh, num_perm=112)


BASELINES: dict[str, Callable[[Path], dict[str, str]]] = {
    "datasketch-defaults": run_datasketch,
    "text-dedup": run_textdedup,
    "datatrove": run_datatrove,
}
