"""Small helpers shared by the benchmark scripts: tables, JSON output, memory, machine info.

Benchmarks are scripts, not timed tests: they print one table and can write every number
(with the machine they ran on) to JSON. Peak memory is only meaningful per process, so
:func:`run_child` runs a measurement in a fresh interpreter and reads back its JSON.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import resource
import subprocess
import sys
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = [
    "MB",
    "RESULT_PREFIX",
    "cpu_seconds",
    "format_table",
    "machine_info",
    "peak_rss_mb",
    "print_result",
    "ru_maxrss_mb",
    "run_child",
    "warm_page_cache",
    "write_json",
]

MB = 1_000_000
"""Throughput and sizes are in decimal megabytes."""

RESULT_PREFIX = "@@RESULT@@ "
"""Marks the one stdout line a child measurement returns its JSON on."""


def format_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table, columns padded so it also reads well in a terminal."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def write_json(path: Path, payload: object) -> None:
    """Write ``payload`` as indented UTF-8 JSON; anything JSON does not know becomes a string."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n", "utf-8")


def ru_maxrss_mb(*, children: bool = False) -> float:
    """``ru_maxrss`` of this process (or of its largest waited-for child), in MB.

    On Linux it survives fork and exec: a child started by a big parent reports at least
    the parent's peak, so prefer :func:`peak_rss_mb` for "this program's own memory".
    ``ru_maxrss`` is in kilobytes on Linux and in bytes on macOS.
    """
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    peak = resource.getrusage(who).ru_maxrss
    scale = 1 if sys.platform == "darwin" else 1024
    return peak * scale / MB


def peak_rss_mb() -> float:
    """Peak resident set size of this process since it was exec'd, in MB.

    Linux's ``VmHWM`` belongs to the address space, which exec replaces, so unlike
    ``ru_maxrss`` it does not inherit the parent's peak; elsewhere ``ru_maxrss``.
    """
    try:
        with Path("/proc/self/status").open(encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / MB
    except (OSError, ValueError, IndexError):
        pass
    return ru_maxrss_mb()


def cpu_seconds(*, children: bool = False) -> float:
    """User + system CPU time of this process, or of its waited-for children."""
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(packages: Iterable[str] = ()) -> dict[str, Any]:
    """What the numbers were measured on: CPU, cores, Python and package versions."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 1
    versions: dict[str, str | None] = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "packages": versions,
    }


def print_result(payload: object) -> None:
    """The child side of :func:`run_child`: one marked JSON line on stdout."""
    print(RESULT_PREFIX + json.dumps(payload, default=str), flush=True)


def run_child(module: str, args: Sequence[str], *, timeout: float | None = None) -> dict[str, Any]:
    """Run ``python -m module args`` in a fresh interpreter and return its :func:`print_result`.

    A fresh process per measurement keeps one method's memory (and imports) out of
    another's peak RSS. A failing child gives ``{"error": ...}``, never an exception.
    """
    cmd = [sys.executable, "-m", module, *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s: {' '.join(cmd)}"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            result: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
            return result
    tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
    return {"error": f"exit code {proc.returncode}, no result: {tail}"}


def warm_page_cache(folder: Path) -> None:
    """Read every file under ``folder`` (or the file it names) once, so no method pays
    for the first read from disk.

    The methods run one after another: without this the first one would pay
    the cold cache alone and the ratio would measure the disk, not the code.
    """
    if folder.is_file():
        folder.read_bytes()
        return
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                Path(dirpath, name).read_bytes()
