"""Derived stories: which article was written from which source, and how much of it is reused.

>>> from newsingest.reuse import find_reuse
>>> result = find_reuse(["papers/"], sources=["wire/"])  # doctest: +SKIP

See docs/reuse.md for what "derived" means here and how the share is computed.
"""

from __future__ import annotations

from newsingest.reuse.records import (
    Derivation,
    Label,
    Passage,
    ReuseConfig,
    ReuseParams,
    ReuseResult,
)
from newsingest.reuse.relate import find_reuse, label_for, relate_articles

__all__ = [
    "Derivation",
    "Label",
    "Passage",
    "ReuseConfig",
    "ReuseParams",
    "ReuseResult",
    "find_reuse",
    "label_for",
    "relate_articles",
]
