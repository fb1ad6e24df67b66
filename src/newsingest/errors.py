"""Exceptions raised by newsingest.

Single-document functions raise these; batch runs turn them into
:class:`~newsingest.records.Rejection` rows instead, so one bad file never
stops a run::

    NewsIngestError
    ├── ConfigError            a configuration value is invalid
    ├── InputError             a document cannot be used
    │   ├── ReadError          cannot be read: missing, unreadable, too large, bad compression
    │   ├── DecodeError        bytes that are not text in any encoding we accept
    │   └── ExtractError       text that holds no article (empty, invalid JSON, no body)
    └── FingerprintError       fingerprints made with other parameters or another scheme
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DecodeError",
    "ExtractError",
    "FingerprintError",
    "InputError",
    "NewsIngestError",
    "ReadError",
]


class NewsIngestError(Exception):
    """Base class of every error newsingest raises on purpose."""


class ConfigError(NewsIngestError, ValueError):
    """A configuration value is out of range or inconsistent."""


class InputError(NewsIngestError):
    """A document cannot be used; ``stage`` names the step that gave up."""

    stage = "input"


class ReadError(InputError):
    stage = "read"


class DecodeError(InputError):
    stage = "decode"


class ExtractError(InputError):
    stage = "extract"


class FingerprintError(NewsIngestError):
    """Fingerprints were made with other parameters or another scheme."""
