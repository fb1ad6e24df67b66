"""Running the command line in-process on a scratch tree, and what a run may change there."""

# Paths are bytes here (raw, undecodable names are the point), which pathlib does not take.
# ruff: noqa: PTH118, PTH123

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path

import attrs

from newsingest.cli import main

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
REFUSED = frozenset({EXIT_ERROR, EXIT_USAGE})
"""A refusal exits 1 or 2 (see docs/usage.md); either way before anything is written."""


@attrs.frozen(kw_only=True)
class Outcome:
    code: int
    out: str
    err: str


def run_cli(argv: Sequence[str], cwd: Path) -> Outcome:
    """``main(argv)`` from ``cwd``, with stdout and stderr captured as a terminal would take them.

    stdout is strict UTF-8 (data must be valid text); stderr replaces what it
    cannot encode with backslash escapes, as Python's own stderr does. pytest's
    ``capsys`` is strict on both, which would fail a run for a name a real
    terminal shows.
    """
    out_bytes, err_bytes = io.BytesIO(), io.BytesIO()
    out = io.TextIOWrapper(out_bytes, encoding="utf-8", newline="", write_through=True)
    err = io.TextIOWrapper(
        err_bytes, encoding="utf-8", errors="backslashreplace", newline="", write_through=True
    )
    with contextlib.chdir(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return Outcome(
        code=code,
        out=out_bytes.getvalue().decode("utf-8"),
        err=err_bytes.getvalue().decode("utf-8"),
    )


@contextlib.contextmanager
def scratch_root(base: Path) -> Iterator[Path]:
    """A fresh folder per example, removed after it (examples must not see each other)."""
    root = Path(tempfile.mkdtemp(dir=base))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


Snapshot = dict[bytes, tuple[bool, bytes, int, int]]


def snapshot(root: Path) -> Snapshot:
    """Every entry under ``root`` (bytes paths): is it a folder, its bytes, mtime_ns, inode."""
    top = os.fsencode(root)
    entries: Snapshot = {}
    for folder, dirs, files in os.walk(top):
        for name in dirs:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            entries[os.path.relpath(path, top)] = (True, b"", 0, info.st_ino)
        for name in files:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            with open(path, "rb") as f:
                data = f.read()
            entries[os.path.relpath(path, top)] = (False, data, info.st_mtime_ns, info.st_ino)
    return entries


def _within(path: bytes, outputs: Sequence[bytes]) -> bool:
    return any(path == o or path.startswith(o + b"/") for o in outputs)


def assert_only_outputs_changed(
    before: Snapshot, after: Snapshot, outputs: Sequence[bytes]
) -> None:
    """Nothing outside ``outputs`` (paths relative to the scratch root) was added, changed or
    removed: inputs keep their bytes, mtime and inode, and no file appears beside them."""
    changed = sorted(p for p, v in before.items() if not _within(p, outputs) and after.get(p) != v)
    added = sorted(p for p in after if p not in before and not _within(p, outputs))
    assert not changed, f"changed or removed outside the named outputs: {changed}"
    assert not added, f"written outside the named outputs: {added}"


def output_paths(root: Path, cwd: Path, names: Sequence[str]) -> list[bytes]:
    """The named outputs as paths relative to the scratch root."""
    top = os.fsencode(root)
    return [
        os.path.relpath(os.path.normpath(os.path.join(os.fsencode(cwd), os.fsencode(n))), top)
        for n in names
    ]


def overlapped_inputs(output: str, args: Sequence[str], cwd: Path) -> list[str]:
    """The input arguments that ``output`` is, contains, or lies inside."""

    def real(p: str) -> bytes:
        return os.path.realpath(os.path.join(os.fsencode(cwd), os.fsencode(p)))

    out = real(output)
    hits = []
    for arg in args:
        path = real(arg)
        if out == path or out.startswith(path + b"/") or path.startswith(out + b"/"):
            hits.append(arg)
    return hits


def report_rows(text: str, fmt: str) -> list[dict[str, str]]:
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(text, newline="")))
    # Not splitlines(): U+2028 and friends are valid inside a JSON string.
    return [json.loads(line) for line in text.split("\n") if line]


def kept_units(kept: Path) -> list[bytes]:
    """What a --kept folder holds: each copied file, and each line of a JSON Lines file."""
    units: list[bytes] = []
    for folder, _, files in os.walk(os.fsencode(kept)):
        for name in files:
            with open(os.path.join(folder, name), "rb") as f:
                data = f.read()
            if name.lower().endswith((b".jsonl", b".ndjson")):
                units += [line for line in data.split(b"\n") if line.strip()]
            else:
                units.append(data)
    return units


def assert_terminal_safe(err: str) -> None:
    """No control character but the newline reaches the terminal (names are escaped)."""
    raw = sorted({c for c in err if unicodedata.category(c) == "Cc" and c != "\n"})
    assert not raw, f"raw control characters on stderr: {raw!r}"
