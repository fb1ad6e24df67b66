"""Configuration records refuse bad values at construction, with ConfigError."""

from __future__ import annotations

import math
from pathlib import PurePosixPath
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsingest import config as config_module
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
from newsingest.errors import ConfigError


@pytest.mark.parametrize(
    "make",
    [
        lambda: ReadConfig(max_document_bytes=0),
        lambda: ExtractConfig(max_promo_lines=-1),
        lambda: RepairConfig(normalization="nfc"),
        lambda: BoilerplateConfig(min_docs=1),
        lambda: FingerprintConfig(seed=-1),
        lambda: FingerprintConfig(seed=2**32),
        lambda: DedupConfig(threshold=1.5),
        lambda: DedupConfig(min_shingles=0),
        lambda: DedupConfig(jobs=-1),
        lambda: DedupConfig(bands=0),
        lambda: DedupConfig(bands=129),
    ],
)
def test_bad_values_raise_config_error(make: object) -> None:
    assert callable(make)
    with pytest.raises(ConfigError):
        make()


def test_good_values_pass() -> None:
    assert RepairConfig(normalization=None).normalization is None
    assert DedupConfig(bands=128, fingerprint=FingerprintConfig(num_perm=128)).bands == 128
    assert FingerprintConfig(seed=2**32 - 1).seed == 2**32 - 1


# ------------------------------------------------------------------ every numeric field

INTEGERS: dict[tuple[type, str], tuple[int, int | None]] = {
    (ReadConfig, "max_document_bytes"): (1, None),
    (ReadConfig, "max_stream_bytes"): (1, None),
    (ExtractConfig, "max_promo_lines"): (0, None),
    (BoilerplateConfig, "min_docs"): (2, None),
    (BoilerplateConfig, "max_line_words"): (1, None),
    (FingerprintConfig, "num_perm"): (1, None),
    (FingerprintConfig, "seed"): (0, 2**32),
    (FingerprintConfig, "shingle_size"): (1, None),
    (FingerprintConfig, "cjk_shingle_size"): (1, None),
    (DedupConfig, "min_shingles"): (1, None),
    (DedupConfig, "jobs"): (0, None),
    (DedupConfig, "bands"): (1, 129),  # up to num_perm (128 by default)
}
"""Integer fields: ``(lowest valid, highest valid + 1 or None)``."""

FRACTIONS = {
    (DecodeConfig, "min_confidence"),
    (DecodeConfig, "max_stray_fraction"),
    (DedupConfig, "threshold"),
    (DedupConfig, "containment"),
    (DedupConfig, "min_size_ratio"),
}
"""Float fields in (0, 1]."""

POSITIVE = {(ReadConfig, "max_ratio")}
"""Float fields that are positive and finite."""

CONFIGS = [
    ReadConfig,
    DecodeConfig,
    ExtractConfig,
    RepairConfig,
    IngestConfig,
    BoilerplateConfig,
    FingerprintConfig,
    DedupConfig,
]


def test_every_numeric_field_is_covered_here() -> None:
    # A new numeric field must be added to the tables above (and validated).
    numeric = {
        (cls, f.name)
        for cls in CONFIGS
        for f in attrs.fields(cls)
        if str(f.type) in ("int", "float", "int | None", "float | None")
    }
    assert numeric == set(INTEGERS) | FRACTIONS | POSITIVE
    assert set(CONFIGS) == {
        getattr(config_module, n) for n in config_module.__all__ if n.endswith("Config")
    }


def _refused(cls: type, name: str, value: object) -> None:
    with pytest.raises(ConfigError) as caught:
        cls(**{name: value})
    message = str(caught.value)
    assert name in message, message
    assert repr(value)[:40] in message or str(value)[:40] in message, message


not_a_number = st.one_of(
    st.booleans(),
    st.text(max_size=5),
    st.binary(max_size=3),
    st.lists(st.integers(0, 9), max_size=2),
    st.just(object()),
)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), field=st.sampled_from(sorted(INTEGERS, key=str)))
def test_integer_fields_refuse_wrong_types_and_ranges(
    data: st.DataObject, field: tuple[type, str]
) -> None:
    cls, name = field
    low, high = INTEGERS[field]
    bad = data.draw(
        st.one_of(
            not_a_number,
            st.floats(allow_nan=True, allow_infinity=True),  # 2.0 too: not an integer
            st.integers(max_value=low - 1),
            st.integers(min_value=high) if high is not None else st.nothing(),
        )
    )
    _refused(cls, name, bad)
    good = data.draw(st.integers(low, (high or 2**40) - 1))
    made = cls(**{name: good})
    assert getattr(made, name) == good
    assert type(getattr(made, name)) is int
    # numpy integers are integers, and are stored as plain ints (the index writes JSON).
    as_numpy = cls(**{name: np.int64(good)})
    assert type(getattr(as_numpy, name)) is int


@settings(max_examples=300, deadline=None)
@given(data=st.data(), field=st.sampled_from(sorted(FRACTIONS | POSITIVE, key=str)))
def test_float_fields_refuse_wrong_types_non_finite_and_ranges(
    data: st.DataObject, field: tuple[type, str]
) -> None:
    cls, name = field
    top = 1.0 if field in FRACTIONS else math.inf

    def valid(x: float) -> bool:
        return 0.0 < x <= top and math.isfinite(x)

    bad = data.draw(
        st.one_of(
            not_a_number,
            st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -0.0, -1.0, 0, 2]).filter(
                lambda x: not valid(x)
            ),
            st.floats(allow_nan=True, allow_infinity=True).filter(lambda x: not valid(x)),
        )
    )
    _refused(cls, name, bad)
    good = data.draw(
        st.floats(min_value=0.0, max_value=top, exclude_min=True, allow_infinity=False)
    )
    assert getattr(cls(**{name: good}), name) == good
    if field in FRACTIONS:
        assert cls(**{name: 1}).__getattribute__(name) == 1.0  # an int is a number


@pytest.mark.parametrize(
    ("cls", "name", "value"),
    [
        (ReadConfig, "follow_symlinks", 1),
        (ReadConfig, "prefix_ids", "yes"),
        (ReadConfig, "include", 5),
        (ReadConfig, "exclude", b"*.txt"),
        (ReadConfig, "include", ("*.txt", 3)),
        (ExtractConfig, "jsonl_text_field", None),
        (ExtractConfig, "title_from_first_line", "no"),
        (RepairConfig, "fix_encoding", None),
        (BoilerplateConfig, "enabled", 0),
        (IngestConfig, "read", None),
        (DedupConfig, "fingerprint", None),
        (DedupConfig, "boilerplate", FingerprintConfig()),
        (DedupConfig, "ingest", {"read": None}),
    ],
)
def test_other_fields_refuse_wrong_types(cls: type, name: str, value: Any) -> None:
    _refused(cls, name, value)


def test_globs_and_paths_still_convert() -> None:
    assert ReadConfig(include="*.txt").include == ("*.txt",)
    assert ReadConfig(exclude=[PurePosixPath("a/*"), "b"]).exclude == ("a/*", "b")
    assert ReadConfig(include=iter(["x"])).include == ("x",)
