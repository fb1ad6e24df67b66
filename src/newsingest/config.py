"""Configuration records, validated on construction.

Each stage takes its own frozen ``*Config``; :class:`IngestConfig` and
:class:`DedupConfig` bundle them. Invalid values raise
:class:`~newsingest.errors.ConfigError` at once, never halfway through a run.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Callable, Iterable
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

# Every field is checked for its type as well as its range: a float num_perm or a
# bool jobs would otherwise pass and fail deep inside a compiled kernel or a worker.
# The converters only normalise numbers of the right kind (numpy integers to int,
# ints to float where a float is meant, so the stored index settings are plain JSON);
# anything else is left as it is for the validator to refuse with the field's name.


def _as_int(value: object) -> object:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    return value


def _as_float(value: object) -> object:
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    return value


def _refuse(attr: attrs.Attribute[Any], wanted: str, value: object) -> ConfigError:
    return ConfigError(f"{attr.name} must be {wanted}, got {value!r} ({type(value).__name__})")


def _integer(
    low: int, high: int | None = None, *, shown: str = ""
) -> Callable[[object, attrs.Attribute[Any], object], None]:
    """An int in ``[low, high)`` (no upper bound without ``high``); never a bool or a float.

    ``shown`` is how the message writes ``high``.
    """
    span = f"at least {low}" if high is None else f"in [{low}, {shown or high})"

    def check(_inst: object, attr: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            raise _refuse(attr, f"an integer {span}", value)
        if value < low or (high is not None and value >= high):
            raise ConfigError(f"{attr.name} must be {span}, got {value!r}")

    return check


def _real(*, low_open: bool) -> Callable[[object, attrs.Attribute[Any], object], None]:
    """A finite float: in (0, 1] with ``low_open`` (a fraction), else positive."""
    span = "in (0, 1]" if low_open else "positive and finite"

    def check(_inst: object, attr: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, float):
            raise _refuse(attr, f"a number {span}", value)
        ok = 0.0 < value <= 1.0 if low_open else 0.0 < value < math.inf
        if not ok:  # also refuses nan, which compares false with everything
            raise ConfigError(f"{attr.name} must be {span}, got {value!r}")

    return check


_fraction = _real(low_open=True)
_positive_real = _real(low_open=False)


def _optional_bands(_inst: object, attr: attrs.Attribute[Any], value: object) -> None:
    # The range depends on num_perm: DedupConfig.__attrs_post_init__ checks it.
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise _refuse(attr, "an integer or None", value)


def _bool(_inst: object, attr: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, bool):
        raise _refuse(attr, "True or False", value)


def _optional_bool(_inst: object, attr: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, bool):
        raise _refuse(attr, "True, False or None", value)


def _text(_inst: object, attr: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str):
        raise _refuse(attr, "a string", value)


def _instance_of(cls: type) -> Callable[[object, attrs.Attribute[Any], object], None]:
    def check(_inst: object, attr: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, cls):
            raise _refuse(attr, f"a {cls.__name__}", value)

    return check


_NORMAL_FORMS = (None, "NFC", "NFD", "NFKC", "NFKD")


def _normal_form(_inst: object, attr: attrs.Attribute[Any], value: str | None) -> None:
    if value not in _NORMAL_FORMS:
        raise ConfigError(f"{attr.name} must be one of {_NORMAL_FORMS}, got {value!r}")


def _str_tuple(value: object) -> object:
    """A glob or a list of globs as a tuple of str; anything else is left for :func:`_globs`."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, bytes | bytearray) or not isinstance(value, Iterable):
        return value
    items = tuple(value)
    if all(isinstance(v, str | os.PathLike) for v in items):
        return tuple(str(v) for v in items)
    return items


def _globs(_inst: object, attr: attrs.Attribute[Any], value: object) -> None:
    if not (isinstance(value, tuple) and all(isinstance(v, str) for v in value)):
        raise _refuse(attr, "a glob or a list of globs (strings)", value)


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

    include: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple, validator=_globs)
    exclude: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple, validator=_globs)
    max_document_bytes: int = attrs.field(
        default=16 * MiB, converter=_as_int, validator=_integer(1)
    )
    max_stream_bytes: int = attrs.field(
        default=4096 * MiB, converter=_as_int, validator=_integer(1)
    )
    max_ratio: float = attrs.field(default=200.0, converter=_as_float, validator=_positive_real)
    follow_symlinks: bool = attrs.field(default=True, validator=_bool)
    prefix_ids: bool | None = attrs.field(default=None, validator=_optional_bool)
    """Start each id with its folder argument as typed (``2024-06-01/story.txt``).

    ``None`` does so only when several arguments are given, so ids never
    collide within a run; an index that receives a new folder every day wants
    ``True``, so that ``story.txt`` of two days are two documents."""


@attrs.frozen(kw_only=True)
class DecodeConfig:
    """Decoder settings. ``min_confidence`` is the chardet confidence below
    which a guess is not trusted and cp1252 (the most common legacy encoding
    of Western news) is tried before the lossy fallback."""

    min_confidence: float = attrs.field(default=0.5, converter=_as_float, validator=_fraction)
    max_stray_fraction: float = attrs.field(default=0.01, converter=_as_float, validator=_fraction)
    """Mostly-UTF-8 input may have at most this fraction of non-UTF-8 bytes
    to be decoded as UTF-8 with per-byte cp1252 fallback."""


@attrs.frozen(kw_only=True)
class ExtractConfig:
    """Article extraction settings; the ``jsonl_*`` names say which JSON fields hold what.

    When ``jsonl_title_field`` is absent from a record, the first line of the
    text field is taken as the title if ``title_from_first_line`` is set (the
    layout of most news exports).
    """

    jsonl_id_field: str = attrs.field(default="id", validator=_text)
    jsonl_title_field: str = attrs.field(default="title", validator=_text)
    jsonl_text_field: str = attrs.field(default="text", validator=_text)
    jsonl_date_field: str = attrs.field(default="date", validator=_text)
    title_from_first_line: bool = attrs.field(default=True, validator=_bool)
    max_promo_lines: int = attrs.field(default=3, converter=_as_int, validator=_integer(0))


# cache_hash: the repair screens are cached per config, and looked up per document.
@attrs.frozen(kw_only=True, cache_hash=True)
class RepairConfig:
    """Which text repairs run on stored text (all meaning-preserving).

    Quote uncurling and other lossy simplifications never run here: they belong
    to fingerprinting, which does not store its text.
    """

    fix_encoding: bool = attrs.field(default=True, validator=_bool)
    unescape_html: bool = attrs.field(default=True, validator=_bool)
    fix_line_breaks: bool = attrs.field(default=True, validator=_bool)
    remove_control_chars: bool = attrs.field(default=True, validator=_bool)
    normalization: str | None = attrs.field(default="NFC", validator=_normal_form)
    fast_path: bool = attrs.field(default=True, validator=_bool)
    """Skip ftfy for text that provably cannot need it (tested to match ftfy exactly)."""


@attrs.frozen(kw_only=True)
class IngestConfig:
    """The per-document stages' settings: read, decode, extract, repair."""

    read: ReadConfig = attrs.field(default=ReadConfig(), validator=_instance_of(ReadConfig))
    decode: DecodeConfig = attrs.field(default=DecodeConfig(), validator=_instance_of(DecodeConfig))
    extract: ExtractConfig = attrs.field(
        default=ExtractConfig(), validator=_instance_of(ExtractConfig)
    )
    repair: RepairConfig = attrs.field(default=RepairConfig(), validator=_instance_of(RepairConfig))


@attrs.frozen(kw_only=True)
class BoilerplateConfig:
    """Corpus-level boilerplate detection.

    A line is a boilerplate candidate when it appears in at least ``min_docs``
    documents; it is removed only when those documents are otherwise unrelated
    (see :mod:`newsingest.matching.boilerplate`), so that a paragraph repeated because a
    whole article was syndicated stays.
    """

    enabled: bool = attrs.field(default=True, validator=_bool)
    min_docs: int = attrs.field(default=3, converter=_as_int, validator=_integer(2))
    max_line_words: int = attrs.field(default=120, converter=_as_int, validator=_integer(1))


@attrs.frozen(kw_only=True)
class FingerprintConfig:
    """What makes a fingerprint. Stored with every signature: a mismatch is an error."""

    num_perm: int = attrs.field(default=128, converter=_as_int, validator=_integer(1))
    # numpy's RandomState, which draws the permutations, takes 32-bit seeds.
    seed: int = attrs.field(
        default=1, converter=_as_int, validator=_integer(0, 2**32, shown="2**32")
    )
    shingle_size: int = attrs.field(default=5, converter=_as_int, validator=_integer(1))
    """Words per shingle; for scripts written without spaces, characters per shingle."""
    cjk_shingle_size: int = attrs.field(default=3, converter=_as_int, validator=_integer(1))


@attrs.frozen(kw_only=True)
class DedupConfig:
    """The duplicate decision.

    Two articles are copies when the estimated Jaccard similarity of their
    shingle sets reaches ``threshold`` (and, when the shorter text has fewer
    than ``min_shingles`` shingles, the near-identical level
    ``verify.NEAR_IDENTICAL_JACCARD``: short items sharing one teaser line are
    not copies), or when the shorter is contained in the longer at least
    ``containment``, has at least ``min_shingles`` shingles (short texts are too
    easily contained by chance) and is at least ``min_size_ratio`` of the
    longer's size.
    """

    threshold: float = attrs.field(default=0.5, converter=_as_float, validator=_fraction)
    containment: float = attrs.field(default=0.65, converter=_as_float, validator=_fraction)
    min_shingles: int = attrs.field(default=40, converter=_as_int, validator=_integer(1))
    min_size_ratio: float = attrs.field(default=0.3, converter=_as_float, validator=_fraction)
    """A containment match also needs the shorter text to be at least this share
    of the longer: a 40-shingle brief inside a long digest is not a copy of it.
    0.3 rather than 0.4 finds more truncated copies (``docs/similarity.md``)."""
    bands: int | None = attrs.field(default=None, converter=_as_int, validator=_optional_bands)
    """LSH bands; ``None`` chooses bands for 99% recall at the lowest Jaccard an
    accepted pair can have (see :func:`newsingest.matching.lsh.design_threshold`)."""
    jobs: int = attrs.field(default=1, converter=_as_int, validator=_integer(0))
    """Worker processes for the per-document stages; 0 means one per core."""
    ingest: IngestConfig = attrs.field(default=IngestConfig(), validator=_instance_of(IngestConfig))
    boilerplate: BoilerplateConfig = attrs.field(
        default=BoilerplateConfig(), validator=_instance_of(BoilerplateConfig)
    )
    fingerprint: FingerprintConfig = attrs.field(
        default=FingerprintConfig(), validator=_instance_of(FingerprintConfig)
    )

    def __attrs_post_init__(self) -> None:
        if self.bands is not None and not 1 <= self.bands <= self.fingerprint.num_perm:
            raise ConfigError(
                f"bands must be between 1 and num_perm ({self.fingerprint.num_perm}), "
                f"got {self.bands}"
            )
