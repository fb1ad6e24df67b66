"""A persistent, incremental dedup index in one SQLite file.

A media monitor dedups today's folder against everything seen before without
reading the old articles again: :meth:`Index.add` ingests a batch, links it
to the stored documents and updates the clusters, in one transaction.
Adding corpus A then corpus B gives the same clusters and canonicals as
adding A ∪ B at once, and as the batch :func:`newsingest.pipeline.dedup`
(tested on generated corpora). Everything is plain data: signatures are
``uint32`` BLOBs, articles zstd-compressed JSON, configs JSON text; nothing
is ever pickled.

How it stays equal to the batch run (see ``docs/index.md``):

* **Boilerplate** is corpus-level. Each document's paragraph keys and every
  key's document frequency are stored. A batch touches some candidate keys;
  the boilerplate verdicts are recomputed with the detector's own rule on the
  connected component (keys ↔ documents) of those keys, which holds every
  document that can influence them, so the verdicts equal the batch ones.
  Stored documents whose verdicts flipped are stripped again from their stored
  article and, if their text changed, fingerprinted and linked again.
* **Exact copies** (equal digests) are joined without LSH: only the first
  document of a digest group (its *representative*) carries band keys and
  edges, as in the batch run; the others join it through the digest.
* **Near copies**: a representative's candidates are all stored documents
  sharing a band key (buckets larger than ``bucket_cap`` contribute only their
  ``bucket_cap`` oldest members), verified with the batch rule; accepted pairs
  are stored as edges, so a cluster can be recomputed when a member goes.
  New band keys go to sorted arrays in BLOBs (*runs*), merged into the
  ``bands`` B-tree in one sorted pass now and then, so a day does not rewrite
  the big B-tree; per band, a sorted array of 32-bit fingerprints of ``bands``'s keys
  (``band_filter``) lets most of a day's keys skip their B-tree search.
* **Clusters** affected by a batch (those of new, changed or newly linked
  documents) are recomputed as connected components of their stored edges,
  and their canonicals chosen by the linking core (:mod:`newsingest.matching.link`).

The modules, by concern: :mod:`~newsingest.store.index` (the public
:class:`Index`), :mod:`~newsingest.store.update` (one update, step by step),
:mod:`~newsingest.store.verdicts` (boilerplate verdicts),
:mod:`~newsingest.store.bands` (band keys, runs, filter, candidates),
:mod:`~newsingest.store.clusters` (stored clusters),
:mod:`~newsingest.store.schema` (the file) and :mod:`~newsingest.store.migrate`
(format upgrades).
"""

from __future__ import annotations

from newsingest.errors import StoreError
from newsingest.records import ClusterChange
from newsingest.store.index import DEFAULT_BUCKET_CAP, Index, format_index_summary
from newsingest.store.query import Match
from newsingest.store.schema import APPLICATION_ID, FORMAT_VERSION

__all__ = [
    "APPLICATION_ID",
    "DEFAULT_BUCKET_CAP",
    "FORMAT_VERSION",
    "ClusterChange",
    "Index",
    "Match",
    "StoreError",
    "format_index_summary",
]
