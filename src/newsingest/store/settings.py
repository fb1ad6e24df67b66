"""The settings an index file stores, checked when it is opened.

The ``meta`` table holds the fingerprint parameters and the duplicate rule as
JSON. On opening they are parsed (a damaged or crafted entry is refused with
the file named, never a bare ``JSONDecodeError`` or ``KeyError``), compared with
what this version of the code computes, and with the settings asked for.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs

from newsingest.config import BoilerplateConfig, DedupConfig, FingerprintConfig
from newsingest.errors import FingerprintError, StoreError
from newsingest.matching.boilerplate import BOILERPLATE_DEFAULTS, KEY_SCHEME
from newsingest.matching.fingerprint import FingerprintParams
from newsingest.matching.lsh import bands_for_config

__all__ = ["check_config", "damaged_meta", "semantic_config"]


def semantic_config(config: DedupConfig) -> dict[str, Any]:
    """The parts of the config that decide stored edges and verdicts (stored, compared)."""
    bands, rows = bands_for_config(config, config.fingerprint.num_perm)
    return {
        "threshold": config.threshold,
        "containment": config.containment,
        "min_shingles": config.min_shingles,
        "min_size_ratio": config.min_size_ratio,
        "bands_option": config.bands,
        "bands": bands,
        "rows": rows,
        "boilerplate": attrs.asdict(config.boilerplate),
        "boilerplate_rule": attrs.asdict(BOILERPLATE_DEFAULTS),
        "line_key_scheme": KEY_SCHEME,
    }


def _config_from_meta(dedup: dict[str, Any], params: dict[str, Any]) -> DedupConfig:
    return DedupConfig(
        threshold=dedup["threshold"],
        containment=dedup["containment"],
        min_shingles=dedup["min_shingles"],
        min_size_ratio=dedup["min_size_ratio"],
        bands=dedup["bands_option"],
        boilerplate=BoilerplateConfig(**dedup["boilerplate"]),
        fingerprint=FingerprintConfig(
            num_perm=params["num_perm"],
            seed=params["seed"],
            shingle_size=params["shingle_size"],
            cjk_shingle_size=params["cjk_shingle_size"],
        ),
    )


def damaged_meta(file: Path, what: str) -> StoreError:
    return StoreError(
        f"{file}: the settings stored in the index are damaged ({what}); "
        "restore it from a backup or build it again"
    )


def _meta_object(file: Path, meta: dict[str, Any], name: str) -> dict[str, Any]:
    """A JSON object stored in ``meta``, refused with the file named if it is not one."""
    raw = meta.get(name)
    if not isinstance(raw, str):
        raise damaged_meta(file, f"{name} is {raw!r}, not JSON text")
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise damaged_meta(file, f"{name} is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise damaged_meta(file, f"{name} is {type(value).__name__} JSON, not an object")
    return value


def _stored_settings(
    file: Path, meta: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], DedupConfig, FingerprintParams]:
    """The stored dedup and fingerprint settings, as dicts and as records."""
    stored_params = _meta_object(file, meta, "fingerprint")
    stored_dedup = _meta_object(file, meta, "dedup")
    try:
        stored = _config_from_meta(stored_dedup, stored_params)
        params = FingerprintParams(**stored_params)
    except KeyError as exc:
        raise damaged_meta(file, f"no {exc.args[0]!r} setting") from exc
    except (TypeError, ValueError) as exc:  # ValueError: also ConfigError, for a bad value
        raise damaged_meta(file, str(exc)) from exc
    return stored_dedup, stored_params, stored, params


def _same_fingerprints(file: Path, stored: FingerprintParams, wanted: FingerprintParams) -> None:
    try:
        stored.check_compatible(wanted)
    except FingerprintError as exc:
        raise FingerprintError(f"{file}: {exc}") from exc


def _check_code(
    file: Path, stored_dedup: dict[str, Any], params: FingerprintParams, stored: DedupConfig
) -> None:
    """Refuse an index whose stored keys this version of the code would compute otherwise.

    No setting chooses these: the paragraph-key scheme, the boilerplate rule and
    the fingerprint definition. Opening such an index (even with its own settings)
    would mix two kinds of keys in one table without a word.
    """
    current = {
        "line_key_scheme": KEY_SCHEME,
        "boilerplate_rule": attrs.asdict(BOILERPLATE_DEFAULTS),
    }
    diffs = [
        f"{k}: index has {stored_dedup.get(k)!r}, this version uses {v!r}"
        for k, v in current.items()
        if stored_dedup.get(k) != v
    ]
    if diffs:
        raise StoreError(
            f"{file}: the index was built by a version of newsingest that keys or judges "
            f"paragraphs differently ({'; '.join(diffs)}); build a new index with this version"
        )
    _same_fingerprints(file, params, FingerprintParams.from_config(stored.fingerprint))


def check_config(file: Path, meta: dict[str, str], config: DedupConfig | None) -> DedupConfig:
    """The config to use: ``config`` if it agrees with the stored one, else the stored one."""
    stored_dedup, _, stored, params = _stored_settings(file, meta)
    _check_code(file, stored_dedup, params, stored)
    if config is None:
        return stored
    _same_fingerprints(file, params, FingerprintParams.from_config(config.fingerprint))
    wanted = semantic_config(config)
    diffs = [
        f"{k}: index has {stored_dedup.get(k)!r}, asked for {v!r}"
        for k, v in wanted.items()
        if k != "bands_option" and stored_dedup.get(k) != v
    ]
    if diffs:
        raise StoreError(
            f"{file}: the index was built with other dedup settings ({'; '.join(diffs)}); "
            "open it without settings to use its own, or build a new index"
        )
    return config
