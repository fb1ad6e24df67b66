"""Which stored documents an article is a copy of: what ``Index.query`` answers."""

from __future__ import annotations

import sqlite3

import attrs
import numpy as np
import numpy.typing as npt

from newsingest.config import DedupConfig
from newsingest.matching.verify import verify_pairs
from newsingest.store.bands import BandStore
from newsingest.store.schema import id_list, stored_signatures

__all__ = ["Match", "find_matches"]


@attrs.frozen(kw_only=True)
class Match:
    """A stored document that a queried article is a copy of."""

    id: str
    jaccard: float
    containment: float
    cluster: str


def find_matches(
    conn: sqlite3.Connection,
    bands: BandStore,
    config: DedupConfig,
    *,
    sig: npt.NDArray[np.uint32],
    size: int,
    digest: bytes,
    cap: int,
) -> list[Match]:
    """The stored documents that a fingerprint matches by the batch rule, most similar first.

    Candidates share a band key or the digest; a match's exact copies (same
    digest, up to ``cap`` of them) match with the same scores.
    """
    cands: set[int] = set()
    if size > 0:
        cands |= bands.docs_sharing(bands.keys_of(sig[None, :])[0])
    cands.update(
        r[0]
        for r in conn.execute("SELECT doc FROM documents WHERE digest = ? AND rep = 1", (digest,))
    )
    if not cands:
        return []
    rows = conn.execute(
        "SELECT d.doc, d.signature, d.shingles, d.digest FROM documents d "
        "WHERE d.doc IN (SELECT value FROM json_each(?))",
        (id_list(cands),),
    ).fetchall()
    stored = stored_signatures([r[1] for r in rows], config.fingerprint.num_perm)
    all_sigs = np.vstack([sig[None, :], stored])
    all_sizes = np.array([size] + [r[2] for r in rows], dtype=np.int64)
    pairs = np.stack([np.zeros(len(rows), np.int64), np.arange(1, len(rows) + 1)], axis=1)
    jac, cont, ok = verify_pairs(all_sigs, all_sizes, pairs, config)
    scores: dict[int, tuple[float, float]] = {}
    for k in np.flatnonzero(ok):
        doc, copy_digest = rows[k][0], rows[k][3]
        score = (float(jac[k]), float(cont[k]))
        for (twin,) in conn.execute(
            "SELECT doc FROM documents WHERE digest = ? LIMIT ?",
            (copy_digest, cap),
        ):
            scores[twin] = score
        scores[doc] = score
    info = conn.execute(
        "SELECT d.doc, d.id, c.id FROM documents d JOIN documents c ON c.doc = d.cluster "
        "WHERE d.doc IN (SELECT value FROM json_each(?))",
        (id_list(scores),),
    ).fetchall()
    matches = [
        Match(id=i, jaccard=scores[d][0], containment=scores[d][1], cluster=c) for d, i, c in info
    ]
    matches.sort(key=lambda m: (-m.jaccard, -m.containment, m.id))
    return matches
