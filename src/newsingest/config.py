"""Configuration records, validated on construction.

Each stage takes its own frozen ``*Config``; :class:`IngestConfig` and
:class:`DedupConfig` bundle them. Invalid values raise
:class:`~newsingest.errors.ConfigError` at once, never halfway through a run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from newsingest.errors import ConfigError

__all__ = [
    "BoilerplateConfig",
    "DecodeConfig",
    "DedupConfig",
    "ExtractConfig",
    "FingerprintConfig",
    "IngestConfig",
    "ReadConfig",
    "RepairConfig",
]

MiB = 1024 * 1024


def _positive(_inst: object, attr: attrs.Attribute[Any], value: float) -> None:
    if not value > 0:
        raise ConfigError(f"{attr.name} must be positive, got {value!r}")


def _at_least(low: int) -> Callable[[object, attrs.Attribute[Any], int], None]:
    def check(_inst: object, attr: attrs.Attribute[Any], value: int) -> None:
        if not value >= low:
            raise ConfigError(f"{attr.name} must be at least {low}, got {value!r}")

    return check


_NORMAL_FORMS = (None, "NFC", "NFD", "NFKC", "NFKD")


def _normal_form(_inst: object, attr: attrs.Attribute[Any], value: str | None) -> None:
    if value not in _NORMAL_FORMS:
        raise ConfigError(f"{attr.name} must be one of {_NORMAL_FORMS}, got {value!r}")


def _seed(_inst: object, attr: attrs.Attribute[Any], value: int) -> None:
    # numpy's RandomState, which draws the permutations, takes 32-bit seeds.
    if not 0 <= value < 2**32:
        raise ConfigError(f"{attr.name} must be in [0, 2**32), got {value!r}")


def _fraction(_inst: object, attr: attrs.Attribute[Any], value: float) -> None:
    if not 0.0 < value <= 1.0:
        raise ConfigError(f"{attr.name} must be in (0, 1], got {value!r}")


def _str_tuple(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)  # type: ignore[attr-defined]


@attrs.frozen(kw_only=True)
class ReadConfig:
    """What the reader accepts.

    ``include``/``exclude`` are glob patterns matched against the path relative
    to the folder given (``fnmatch`` rules, ``*`` crosses ``/``). The size caps
    bound memory: one document (a file, or one JSON line) above
    ``max_document_bytes`` is rejected, and a compressed stream is abandoned
    once it inflates past ``max_stream_bytes`` or past ``max_ratio`` times its
    compressed size (a decompression bomb).
    """

    include: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    exclude: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    max_document_bytes: int = attrs.field(default=16 * MiB, validator=_positive)
    max_stream_bytes: int = attrs.field(default=4096 * MiB, validator=_positive)
    max_ratio: float = attrs.field(default=200.0, validator=_positive)
    follow_symlinks: bool = True
    prefix_ids: bool | None = None
    """Start each id with its folder argument as typed (``2024-06-01/story.txt``).

    ``None`` does so only when several arguments are given, so ids never
    collide within a run; an index that receives a new folder every day wants
    ``True``, so that ``story.txt`` of two days are two documents."""


@attrs.frozen(kw_only=True)
class DecodeConfig:
    """Decoder settings. ``min_confidence`` is the chardet confidence below
    which a guess is not trusted and cp1252 (the most common legacy encoding
    of Western news) is tried before the lossy fallback."""

    min_confidence: float = attrs.field(default=0.5, validator=_fraction)
    max_stray_fraction: float = attrs.field(default=0.01, validator=_fraction)
    """Mostly-UTF-8 input may have at most this fraction of non-UTF-8 bytes
    to be decoded as UTF-8 with per-byte cp1252 fallback."""


@attrs.frozen(kw_only=True)
class ExtractConfig:
    """Article extraction settings; the ``jsonl_*`` names say which JSON fields hold what.

    When ``jsonl_title_field`` is absent from a record, the first line of the
    text field is taken as the title if ``title_from_first_line`` is set (the
    layout of most news exports).
    """

    jsonl_id_field: str = "id"
    jsonl_title_field: str = "title"
    jsonl_text_field: str = "text"
    jsonl_date_field: str = "date"
    title_from_first_line: bool = True
    max_promo_lines: int = attrs.field(default=3, validator=_at_least(0))


# cache_hash: the repair screens are cached per config, and looked up per document.
@attrs.frozen(kw_only=True, cache_hash=True)
class RepairConfig:
    """Which text repairs run on stored text (all meaning-preserving).

    Quote uncurling and other lossy simplifications never run here: they belong
    to fingerprinting, which does not store its text.
    """

    fix_encoding: bool = True
    unescape_html: bool = True
    fix_line_breaks: bool = True
    remove_control_chars: bool = True
    normalization: str | None = attrs.field(default="NFC", validator=_normal_form)
    fast_path: bool = True
    """Skip ftfy for text that provably cannot need it (tested to match ftfy exactly)."""


@attrs.frozen(kw_only=True)
class IngestConfig:
    """The per-document stages' settings: read, decode, extract, repair."""

    read: ReadConfig = ReadConfig()
    decode: DecodeConfig = DecodeConfig()
    extract: ExtractConfig = ExtractConfig()
    repair: RepairConfig = RepairConfig()


@attrs.frozen(kw_only=True)
class BoilerplateConfig:
    """Corpus-level boilerplate detection.

    A line is a boilerplate candidate when it appears in at least ``min_docs``
    documents; it is removed only when those documents are otherwise unrelated
    (see :mod:`newsingest.matching.boilerplate`), so that a paragraph repeated because a
    whole article was syndicated stays.
    """

    enabled: bool = True
    min_docs: int = attrs.field(default=3, validator=_at_least(2))
    max_line_words: int = attrs.field(default=120, validator=_at_least(1))


@attrs.frozen(kw_only=True)
class FingerprintConfig:
    """What makes a fingerprint. Stored with every signature: a mismatch is an error."""

    num_perm: int = attrs.field(default=128, validator=_positive)
    seed: int = attrs.field(default=1, validator=_seed)
    shingle_size: int = attrs.field(default=5, validator=_positive)
    """Words per shingle; for scripts written without spaces, characters per shingle."""
    cjk_shingle_size: int = attrs.field(default=3, validator=_positive)


@attrs.frozen(kw_only=True)
class DedupConfig:
    """The duplicate decision.

    Two articles are copies when the estimated Jaccard similarity of their
    shingle sets reaches ``threshold``, or when the shorter is contained in the
    longer at least ``containment``, has at least ``min_shingles`` shingles
    (short texts are too easily contained by chance) and is at least
    ``min_size_ratio`` of the longer's size.
    """

    threshold: float = attrs.field(default=0.5, validator=_fraction)
    containment: float = attrs.field(default=0.65, validator=_fraction)
    min_shingles: int = attrs.field(default=40, validator=_at_least(1))
    min_size_ratio: float = attrs.field(default=0.4, validator=_fraction)
    """A containment match also needs the shorter text to be at least this share
    of the longer: a 40-shingle brief inside a long digest is not a copy of it."""
    bands: int | None = None
    """LSH bands; ``None`` chooses bands for 99% recall at the lowest Jaccard an
    accepted pair can have (see :func:`newsingest.matching.lsh.design_threshold`)."""
    jobs: int = attrs.field(default=1, validator=_at_least(0))
    """Worker processes for the per-document stages; 0 means one per core."""
    ingest: IngestConfig = IngestConfig()
    boilerplate: BoilerplateConfig = BoilerplateConfig()
    fingerprint: FingerprintConfig = FingerprintConfig()

    def __attrs_post_init__(self) -> None:
        if self.bands is not None and not 1 <= self.bands <= self.fingerprint.num_perm:
            raise ConfigError(
                f"bands must be between 1 and num_perm ({self.fingerprint.num_perm}), "
                f"got {self.bands}"
            )
