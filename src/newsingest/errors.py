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
    ├── FingerprintError       fingerprints made with other parameters or another scheme
    └── StoreError             an index file that cannot be used: missing, foreign,
                               damaged, newer, made with another duplicate rule, read-only
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DecodeError",
    "ExtractError",
    "FingerprintError",
    "InputError",
    "NewsIngestError",
    "OutputPathError",
    "ReadError",
    "StoreError",
]


class NewsIngestError(Exception):
    """Base class of every error newsingest raises on purpose."""


class ConfigError(NewsIngestError, ValueError):
    """A configuration value is out of range or inconsistent."""


class OutputPathError(ConfigError):
    """An output would overwrite, hold or sit inside an input, or another output."""


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


class StoreError(NewsIngestError):
    """An index file cannot be used: missing, foreign, damaged, newer, or read-only.

    The message names the file and says what to do (e.g. which setting differs).
    """
