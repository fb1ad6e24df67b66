"""The slow path: trafilatura's main-content extraction, and the ``<p>`` dump after it.

trafilatura is imported on the first page the fast path is unsure of only.
"""

from __future__ import annotations

import logging
from typing import Any

from selectolax.lexbor import LexborHTMLParser

__all__ = ["paragraph_dump", "run_trafilatura"]

_logger = logging.getLogger(__name__)


def _quiet_loggers() -> None:
    # trafilatura and htmldate log every page they find little in; keep that
    # out of the user's logs unless the user configured those loggers.
    for name in ("trafilatura", "htmldate", "courlan", "justext"):
        lg = logging.getLogger(name)
        if lg.level == logging.NOTSET:
            lg.setLevel(logging.CRITICAL)


def run_trafilatura(html: str, notes: list[str]) -> str | None:
    """The main text trafilatura's ``bare_extraction`` finds in ``html``, or ``None``.

    Metadata is not asked for: the fast path reads it from the page already, and
    trafilatura's date search is the slowest part of its extraction on some pages.
    """
    try:
        import trafilatura  # noqa: PLC0415 (heavy import, only for pages the fast path doubts)
    except ImportError as exc:
        notes.append(f"html: trafilatura unavailable ({exc.__class__.__name__})")
        _logger.debug("trafilatura cannot be imported: %s", exc)
        return None
    _quiet_loggers()
    try:
        result = trafilatura.bare_extraction(
            html, with_metadata=False, include_comments=False, include_tables=True
        )
    except Exception as exc:  # a third-party parser on arbitrary input: fall back
        notes.append(f"html: trafilatura failed ({exc.__class__.__name__})")
        return None
    if result is None:
        return None
    data: dict[str, Any] = result if isinstance(result, dict) else result.as_dict()
    text = data.get("text")
    return text if isinstance(text, str) and text.strip() else None


def paragraph_dump(tree: LexborHTMLParser) -> list[str]:
    """The text of every ``<p>``: crude but safe."""
    out = []
    for node in tree.css("p"):
        text = " ".join(node.text().split())
        if text:
            out.append(text)
    return out
