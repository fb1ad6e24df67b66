"""The PNG plots of docs/benchmarks.md, drawn with matplotlib's Agg backend (no display).

Each function takes the part of a benchmark's JSON it needs and returns False, drawing
nothing, when that part is missing, so a partial run still renders a report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl

mpl.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter

__all__ = ["plot_pr_threshold", "plot_throughput", "plot_transform_recall"]

COLORS = {
    "newsingest": "#1f77b4",
    "datasketch-defaults": "#ff7f0e",
    "datasketch": "#ff7f0e",
    "text-dedup": "#2ca02c",
    "datatrove": "#d62728",
}
DPI = 110


def _color(name: str) -> str | None:
    for key, color in COLORS.items():
        if name.startswith(key):
            return color
    return None


MODE_COLORS = {"local-1": "#1f77b4", "local-2": "#9467bd", "dask": "#8c564b"}


def _mode_color(name: str) -> str | None:
    """Same colour for a mode on both corpora; the baseline keeps its own."""
    if name.startswith("datasketch"):
        return COLORS["datasketch"]
    return next((c for mode, c in MODE_COLORS.items() if mode in name), None)


def _save(fig: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    # no timestamp in the PNG, so a re-render of the same numbers gives the same file
    fig.savefig(path, dpi=DPI, metadata={"Software": None})
    plt.close(fig)


def plot_throughput(
    scale_rows: Sequence[Mapping[str, Any]],
    speed_rows: Sequence[Mapping[str, Any]],
    path: Path,
) -> bool:
    """Articles per second of wall time against corpus size: scale's modes, speed's methods."""
    series: dict[str, list[tuple[int, float]]] = {}
    for row in scale_rows:
        if row.get("wall_s") and row.get("size") and "error" not in row:
            series.setdefault(f"newsingest {row['mode']}", []).append(
                (int(row["size"]), row["size"] / row["wall_s"])
            )
    for row in speed_rows:
        if row.get("wall_s") and row.get("docs") and "error" not in row:
            name = str(row["method"]).replace("newsingest jobs=", "newsingest local-")
            if "cProfile" in name:
                continue
            series.setdefault(f"{name} (speed corpus)", []).append(
                (int(row["docs"]), row["docs"] / row["wall_s"])
            )
    if not series:
        return False
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for name, points in sorted(series.items()):
        points.sort()
        xs, ys = zip(*points, strict=True)
        style = "s--" if "speed corpus" in name else "o-"
        ax.plot(xs, ys, style, label=name, color=_mode_color(name))
    ax.set_xscale("log")
    sizes = sorted({x for points in series.values() for x, _ in points})
    ax.set_xticks(sizes, [f"{x:,}" for x in sizes])
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda x, _: ""))
    ax.set_xlabel("articles in the corpus")
    ax.set_ylabel("articles per second (wall, end to end)")
    ax.set_title("Dedup throughput against corpus size")
    ax.set_ylim(bottom=0)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    _save(fig, path)
    return True


def plot_pr_threshold(sweep: Mapping[str, Any], path: Path) -> bool:
    """Precision and recall against the similarity threshold, one line per method."""
    methods: Mapping[str, Sequence[Mapping[str, Any]]] = sweep.get("methods") or {}
    if not methods:
        return False
    fig, axes = plt.subplots(1, 3, figsize=(12, 4), sharex=True)
    for name, points in methods.items():
        xs = [p["threshold"] for p in points]
        for ax, key in zip(axes, ("precision", "recall", "f1"), strict=True):
            ax.plot(xs, [p[key] for p in points], "o-", label=name, color=_color(name))
    for ax, title in zip(axes, ("precision", "recall", "F1"), strict=True):
        ax.set_title(f"pairwise {title}")
        ax.set_xlabel("threshold (newsingest: Jaccard; baselines: LSH)")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(True, alpha=0.3)
    axes[0].legend(fontsize=8, loc="lower right")
    _save(fig, path)
    return True


def plot_transform_recall(scores: Mapping[str, Mapping[str, Any]], path: Path) -> bool:
    """Grouped bars: recall of each transformation's copies, one bar per method."""
    per_method = {
        name: s["recall_by_transform"] for name, s in scores.items() if s.get("recall_by_transform")
    }
    if not per_method:
        return False
    labels = sorted({t for r in per_method.values() for t in r})
    width = 0.8 / len(per_method)
    fig, ax = plt.subplots(figsize=(min(12.0, max(7.0, 0.8 * len(labels))), 4.5))
    for i, (name, recall) in enumerate(per_method.items()):
        xs = [j + (i - (len(per_method) - 1) / 2) * width for j in range(len(labels))]
        ax.bar(xs, [recall.get(t, 0.0) for t in labels], width, label=name, color=_color(name))
    ax.axhline(0.9, color="grey", linestyle=":", linewidth=1, label="goal 0.9")
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_ylabel("recall (copy clustered with its original)")
    ax.set_ylim(0, 1.05)
    ax.set_title("Recall per transformation")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=len(per_method) + 1)
    ax.grid(True, axis="y", alpha=0.3)
    _save(fig, path)
    return True
