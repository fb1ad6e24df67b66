"""Reuse results as report rows (JSON Lines, CSV), a summary and explained passages."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from typing import Any, Literal

import attrs

from newsingest._atomic import atomic_writer
from newsingest.errors import ConfigError
from newsingest.output.report import csv_cell
from newsingest.output.terminal import printable
from newsingest.reuse.records import Derivation, ReuseResult

__all__ = [
    "REUSE_COLUMNS",
    "format_reuse_explanation",
    "format_reuse_summary",
    "iter_reuse_rows",
    "write_reuse_report",
]

ReuseFormat = Literal["jsonl", "csv"]

REUSE_COLUMNS = (
    "target",
    "target_path",
    "source",
    "source_path",
    "label",
    "share",
    "passages",
    "aligned_words",
    "passage_words",
    "target_words",
    "source_words",
    "why",
)
"""One row per derivation, then one per target with no source (label ``none``,
no source) and one per rejected input (label ``rejected``, the reason in ``why``)."""

_SHOWN_PASSAGE_WORDS = 3
"""Explanations show runs of at least this many words: single shared words are
counted in the share but say little to a reader."""


def _row(d: Derivation) -> dict[str, Any]:
    return {
        "target": d.target,
        "target_path": d.target_path,
        "source": d.source,
        "source_path": d.source_path,
        "label": d.label,
        "share": round(d.share, 4),
        "passages": len(d.passages),
        "aligned_words": d.aligned_words,
        "passage_words": d.passage_words,
        "target_words": d.target_words,
        "source_words": d.source_words,
        "why": d.why,
    }


def iter_reuse_rows(result: ReuseResult) -> Iterator[dict[str, Any]]:
    """The report rows (:data:`REUSE_COLUMNS`), in the result's order."""
    for d in result.derivations:
        yield _row(d)
    empty = dict.fromkeys(REUSE_COLUMNS)
    for target in result.underived:
        yield empty | {
            "target": target,
            "target_path": result.paths.get(target),
            "label": "none",
            "passages": 0,
            "why": "no candidate source reaches the partial share",
        }
    for r in result.rejections:
        yield empty | {"target": r.id, "target_path": r.path, "label": "rejected", "why": r.summary}


def write_reuse_report(
    result: ReuseResult, path: str | os.PathLike[str], fmt: ReuseFormat = "jsonl"
) -> None:
    """Write the report atomically (``"-"``: stdout); JSON Lines rows also hold the passages."""
    if fmt not in ("jsonl", "csv"):
        raise ConfigError(f"report format {fmt!r} is not 'jsonl' or 'csv'")
    passages = {
        (d.target, d.target_path, d.source, d.source_path): d.passages for d in result.derivations
    }
    with atomic_writer(path) as out:
        if fmt == "csv":
            writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
            writer.writerow(REUSE_COLUMNS)
            for row in iter_reuse_rows(result):
                writer.writerow([csv_cell(row[c]) for c in REUSE_COLUMNS])
            return
        for row in iter_reuse_rows(result):
            key = (row["target"], row["target_path"], row["source"], row["source_path"])
            row["passage_offsets"] = [attrs.asdict(p) for p in passages.get(key, ())]
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def format_reuse_summary(result: ReuseResult) -> str:
    """A few lines for a person: how many targets derive from a source, and how."""
    targets = {(d.target, d.target_path) for d in result.derivations}
    wholly = {(d.target, d.target_path) for d in result.derivations if d.label == "wholly"}
    params = result.params
    n_targets = params.targets if params else len(targets) + len(result.underived)
    lines = [
        f"{n_targets:,} targets, {params.sources if params else 0:,} sources "
        f"({'given' if params and params.mode == 'sources' else 'earlier dated, same corpus'}): "
        f"{len(targets):,} derive from at least one source "
        f"({len(wholly):,} wholly), {len(result.underived):,} from none; "
        f"{len(result.derivations):,} derivations; {len(result.rejections):,} rejected inputs"
    ]
    if params:
        lines.append(
            f"  {params.candidate_pairs:,} candidate pairs, {params.aligned_pairs:,} aligned"
        )
    for d in sorted(result.derivations, key=lambda d: (-d.share, d.target, d.source))[:5]:
        lines.append(f"  {d.share:6.1%} {d.label:9} {printable(d.target)} <- {printable(d.source)}")
    if result.timings:
        lines.append(f"  in {sum(result.timings.values()):.2f}s")
    return "\n".join(lines)


def format_reuse_explanation(result: ReuseResult, max_passages: int = 20) -> str:
    """Each derivation with its longer passages, quoted from both texts (``explain`` style).

    Needs the texts (``find_reuse(..., keep_texts=True)``); without them only offsets.
    """
    blocks: list[str] = []
    for d in result.derivations:
        lines = [
            f"{d.target} derives {d.label} from {d.source}: "
            f"{d.aligned_words} of {d.target_words} words ({d.share:.1%}) in "
            f"{len(d.passages)} passages; {d.why}"
        ]
        lines += [f"  note: {n}" for n in d.notes]
        t_text = result.texts.get((d.target, d.target_path))
        s_text = result.texts.get((d.source, d.source_path))
        shown = [p for p in d.passages if p.words >= _SHOWN_PASSAGE_WORDS]
        for p in shown[:max_passages]:
            where = (
                f"  target {p.target_start}:{p.target_end} = source "
                f"{p.source_start}:{p.source_end} ({p.words} words)"
            )
            lines.append(where)
            if t_text is not None and s_text is not None:
                lines.append(f"    target: {t_text[p.target_start : p.target_end]!r}")
                lines.append(f"    source: {s_text[p.source_start : p.source_end]!r}")
        if len(shown) > max_passages:
            lines.append(f"  ... {len(shown) - max_passages} more passages")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
