"""The records of the reuse relation: which article derives from which source, and how much.

A derivation is directed: its ``target`` was written (at least partly) from its
``source``. It is a relation beside the dedup clusters, not a kind of cluster:
a newspaper story rewritten from agency copy is derived from it and is still
its own article, kept by a dedup run.
"""

from __future__ import annotations

from typing import Literal

import attrs

from newsingest.config import BoilerplateConfig
from newsingest.errors import ConfigError
from newsingest.records import Article, Rejection

__all__ = [
    "Derivation",
    "Label",
    "Passage",
    "ReuseConfig",
    "ReuseParams",
    "ReuseResult",
]

Label = Literal["wholly", "partially", "none"]
"""How much of the target derives from the source (:func:`newsingest.reuse.relate.label_for`)."""


def _fraction(_inst: object, attr: attrs.Attribute[float], value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"{attr.name} must be between 0 and 1, got {value!r}")


def _positive(_inst: object, attr: attrs.Attribute[float], value: float) -> None:
    if not value > 0:
        raise ConfigError(f"{attr.name} must be positive, got {value!r}")


def _at_least_one(_inst: object, attr: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{attr.name} must be a whole number of at least 1, got {value!r}")


@attrs.frozen(kw_only=True)
class ReuseConfig:
    """The candidate search, the alignment and the label thresholds.

    The label thresholds were chosen on the COUNTER development pairs
    (docs/reuse.md gives the fit, the held-out check and the figures).
    """

    wholly_share: float = attrs.field(default=0.43, validator=_fraction)
    """A target with at least this share of its words aligned to the source is
    wholly derived, when it is also not much longer than the source."""
    wholly_max_length_ratio: float = attrs.field(default=1.4, validator=_positive)
    """A target more than this many times as long as its source adds text of its own:
    it is at most partially derived, whatever its share."""
    partial_share: float = attrs.field(default=0.25, validator=_fraction)
    """A target with at least this share aligned is partially derived (when its
    passages also cover ``partial_passage_share``). Two texts on one subject in one
    language share function words in order: the share of two independent stories is
    not 0, which is why this is well above 0."""
    partial_passage_share: float = attrs.field(default=0.13, validator=_fraction)
    """A target derives from a source at all only when at least this share of its words
    lies in passages (aligned runs of at least ``min_passage_words`` words): the words
    two independent stories share in order are mostly single words scattered through
    both texts, where reused text comes in runs."""
    candidate_ngram: int = attrs.field(default=2, validator=_at_least_one)
    """Words per key of the inverted index the candidates come from."""
    candidate_sample: int = attrs.field(default=1, validator=_at_least_one)
    """Index one key in this many (chosen by hash, so the same keys in every text):
    less memory and time on large corpora, a noisier candidate containment."""
    min_candidate_containment: float = attrs.field(default=0.1, validator=_fraction)
    """Share of a target's indexed keys a source must hold to be aligned with it."""
    max_candidates: int = attrs.field(default=3, validator=_at_least_one)
    """At most this many sources per target are aligned, most shared keys first."""
    max_key_documents: int = attrs.field(default=50, validator=_at_least_one)
    """A key found in more texts than this is a stock phrase: not used for candidates."""
    min_passage_words: int = attrs.field(default=2, validator=_at_least_one)
    """Runs shorter than this count in the share but are not listed as passages: one
    shared word says little to a reader, and listing them all costs time and memory."""
    max_align_tokens: int = attrs.field(default=5000, validator=_at_least_one)
    """Longer texts are aligned on their first this many shared-vocabulary words (noted)."""
    boilerplate: BoilerplateConfig = attrs.field(
        default=BoilerplateConfig(), validator=attrs.validators.instance_of(BoilerplateConfig)
    )
    """Outlet boilerplate (promos, footers) is learnt over targets and sources together and
    stripped before alignment, by dedup's own detector: two briefs of one outlet share its
    footer, not a story."""


@attrs.frozen(kw_only=True)
class Passage:
    """One run of consecutive words found, in the same order, in both texts.

    Offsets are character offsets into each article's ``text`` (title, blank line,
    body): ``target_text[target_start:target_end]`` and
    ``source_text[source_start:source_end]`` hold the same ``words`` words once
    simplified as dedup simplifies them (case, punctuation and width aside).
    """

    target_start: int
    target_end: int
    source_start: int
    source_end: int
    words: int


@attrs.frozen(kw_only=True)
class Derivation:
    """How much of ``target`` derives from ``source``: one row of a reuse report.

    ``share`` is the aligned target words over all the target's words (0..1);
    ``passages`` are the aligned runs of at least ``ReuseConfig.min_passage_words``
    words, in target order (so their words add up to ``passage_words``, at most
    ``aligned_words``); they are listed for derived pairs only.
    """

    target: str
    target_path: str
    source: str
    source_path: str
    share: float
    label: Label
    target_words: int
    source_words: int
    aligned_words: int
    passage_words: int = 0
    """Aligned words in runs of at least ``ReuseConfig.min_passage_words`` words: the
    words the passages cover (the label's second measure, over ``target_words``)."""
    passages: tuple[Passage, ...] = ()
    why: str = ""
    """The rule that gave the label, with the numbers it compared."""
    notes: tuple[str, ...] = ()
    """What the run noticed, e.g. an orientation chosen without dates."""


@attrs.frozen(kw_only=True)
class ReuseParams:
    """The settings a reuse run decided with, and what its candidate search found."""

    config: ReuseConfig
    mode: Literal["sources", "dated"]
    """``sources``: targets against given sources; ``dated``: within one corpus."""
    targets: int = 0
    sources: int = 0
    candidate_pairs: int = 0
    aligned_pairs: int = 0


@attrs.frozen(kw_only=True)
class ReuseResult:
    """Everything a reuse run found.

    ``derivations`` holds every aligned pair labelled ``wholly`` or ``partially``,
    sorted by target then share (highest first); ``underived`` the targets with
    no such source, sorted. Rejected inputs are in ``rejections``.
    """

    derivations: tuple[Derivation, ...]
    underived: tuple[str, ...] = ()
    paths: dict[str, str] = attrs.field(factory=dict, eq=False, repr=False)
    """Each target's path, by id (for the report's rows of underived targets)."""
    rejections: tuple[Rejection, ...] = ()
    params: ReuseParams | None = attrs.field(default=None, eq=False)
    timings: dict[str, float] = attrs.field(factory=dict, eq=False, repr=False)
    texts: dict[tuple[str, str], str] = attrs.field(factory=dict, eq=False, repr=False)
    """The text (title and body) of each article in a derivation, by ``(id, path)``:
    what passage offsets point into; empty unless the run was asked to keep them."""
    articles: dict[tuple[str, str], Article] = attrs.field(factory=dict, eq=False, repr=False)
    """Each article in a derivation, by ``(id, path)`` (its title, date and decoding for
    the review page); kept with ``texts``."""
