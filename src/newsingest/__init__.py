"""newsingest: ingest scraped news, repair its text, and find the copies.

The public API is listed in ``__all__``; everything else is internal.
"""

from __future__ import annotations

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["__version__"]
