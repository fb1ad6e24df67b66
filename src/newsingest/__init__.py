"""newsingest: ingest scraped news, repair its text, and find the copies.

>>> import newsingest
>>> result = newsingest.dedup(["examples/articles"])  # doctest: +SKIP
>>> for cluster in result.clusters:  # doctest: +SKIP
...     print(cluster.canonical, "kept over", len(cluster.members) - 1, "copies:", cluster.why)

The names in ``__all__`` are the public API; modules and names starting with
an underscore are internal.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING

from newsingest.config import (
    BoilerplateConfig,
    DecodeConfig,
    DedupConfig,
    ExtractConfig,
    FingerprintConfig,
    IngestConfig,
    ReadConfig,
    RepairConfig,
)
from newsingest.errors import (
    ConfigError,
    DecodeError,
    ExtractError,
    FingerprintError,
    InputError,
    NewsIngestError,
    ReadError,
    StoreError,
)
from newsingest.ingest.decode import decode_bytes, decode_document
from newsingest.ingest.extract import extract_article
from newsingest.ingest.read import iter_documents
from newsingest.ingest.repair import repair_article, repair_text
from newsingest.matching.fingerprint import (
    Fingerprint,
    FingerprintParams,
    fingerprint_article,
    fingerprint_text,
)
from newsingest.output.explain import Explanation, explain
from newsingest.output.report import write_report
from newsingest.pipeline import dedup, ingest_document, iter_articles
from newsingest.records import (
    Article,
    Cluster,
    ClusterChange,
    Decision,
    DecodedText,
    Decoding,
    DedupResult,
    DroppedLine,
    Fix,
    IndexUpdate,
    RawDocument,
    Rejection,
    RunParams,
)
from newsingest.store import Index

if TYPE_CHECKING:
    from newsingest.reuse import (
        Derivation,
        Passage,
        ReuseConfig,
        ReuseParams,
        ReuseResult,
        find_reuse,
        relate_articles,
    )

__version__ = "0.1.0"

_LAZY = dict.fromkeys(
    (
        "Derivation",
        "Passage",
        "ReuseConfig",
        "ReuseParams",
        "ReuseResult",
        "find_reuse",
        "relate_articles",
    ),
    "newsingest.reuse",
)
"""Public names imported on first use: ``import newsingest`` (and every command but
``reuse``) does not pay for loading the reuse package."""


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "Article",
    "BoilerplateConfig",
    "Cluster",
    "ClusterChange",
    "ConfigError",
    "Decision",
    "DecodeConfig",
    "DecodeError",
    "DecodedText",
    "Decoding",
    "DedupConfig",
    "DedupResult",
    "Derivation",
    "DroppedLine",
    "Explanation",
    "ExtractConfig",
    "ExtractError",
    "Fingerprint",
    "FingerprintConfig",
    "FingerprintError",
    "FingerprintParams",
    "Fix",
    "Index",
    "IndexUpdate",
    "IngestConfig",
    "InputError",
    "NewsIngestError",
    "Passage",
    "RawDocument",
    "ReadConfig",
    "ReadError",
    "Rejection",
    "RepairConfig",
    "ReuseConfig",
    "ReuseParams",
    "ReuseResult",
    "RunParams",
    "StoreError",
    "__version__",
    "decode_bytes",
    "decode_document",
    "dedup",
    "explain",
    "extract_article",
    "find_reuse",
    "fingerprint_article",
    "fingerprint_text",
    "ingest_document",
    "iter_articles",
    "iter_documents",
    "relate_articles",
    "repair_article",
    "repair_text",
    "write_report",
]
