"""Configuration records refuse bad values at construction, with ConfigError."""

from __future__ import annotations

import pytest

from newsingest.config import (
    BoilerplateConfig,
    DedupConfig,
    ExtractConfig,
    FingerprintConfig,
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
