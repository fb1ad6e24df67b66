"""Output paths checked before a run reads anything: never onto an input, never twice.

Outputs are written atomically, by renaming a new file onto the old: an output
that names an input file replaces that input; a ``--kept`` folder that holds an
input is rebuilt around it; an output inside an input folder is read as an
input on the next run. :func:`check_outputs` refuses all of these, and two
outputs naming one file (the second would replace the first), before a run
starts, comparing real paths (symlinks and ``..`` resolved).
:func:`check_writable` refuses, just as early, an output that cannot be
written at all, so that a long run does not fail at its very end.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path

from newsingest.errors import OutputPathError
from newsingest.output.terminal import printable

__all__ = ["check_output_paths", "check_outputs", "check_writable", "shown"]

PathArg = str | os.PathLike[str]


def shown(path: PathArg) -> str:
    """A path as the user typed it, quoted, safe to print (odd bytes and controls escaped)."""
    text = os.fsdecode(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return f"'{printable(text)}'"


def _is_special(real: str) -> bool:
    """A device, FIFO or socket: written in place, never replaced (``/dev/null``)."""
    try:
        mode = os.stat(real).st_mode  # noqa: PTH116 (a str path, no Path needed)
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _within(inner: str, outer: str) -> bool:
    """``inner`` is ``outer`` or lies under it (both real, absolute paths)."""
    return inner == outer or inner.startswith(outer.rstrip(os.sep) + os.sep)


def _same_file(a: str, b: str) -> bool:
    """Two names of one existing file (a hard link, a bind mount)."""
    try:
        return Path(a).samefile(b)
    except OSError:
        return False


def check_outputs(
    inputs: Iterable[PathArg],
    outputs: Mapping[str, PathArg | None],
    *,
    folders: Collection[str] = (),
) -> None:
    """Refuse outputs that would overwrite, hold or sit inside an input, or each other.

    ``outputs`` maps a label the user knows (an option: ``"--report"``) to a
    path; ``None`` and ``"-"`` (stdout) are skipped, and so are devices and
    pipes (``/dev/null``), which are written in place. ``folders`` names the
    labels whose path is a folder (``--kept``): such an output must not hold an
    input either. Raises :class:`~newsingest.errors.OutputPathError` naming the
    option, its path and the input.
    """
    real_inputs = [(p, os.path.realpath(p)) for p in inputs]
    seen: list[tuple[str, str]] = []
    for label, path in outputs.items():
        if path is None or os.fspath(path) == "-":
            continue
        real = os.path.realpath(path)
        if _is_special(real):
            continue
        for given, real_in in real_inputs:
            problem = None
            if real == real_in or _same_file(real, real_in):
                problem = "is the input"
            elif _within(real, real_in):
                problem = "lies inside the input"
            elif label in folders and _within(real_in, real):
                problem = "holds the input"
            if problem:
                raise OutputPathError(
                    f"{label} {shown(path)} {problem} {shown(given)}: newsingest never "
                    "writes over or among its inputs; choose a path outside them"
                )
        for other_label, other_real in seen:
            if real == other_real or _same_file(real, other_real):
                raise OutputPathError(
                    f"{other_label} and {label} both name {shown(path)}: one would replace "
                    "the other; give each output its own file"
                )
            for (a, a_real), (b, b_real) in (
                ((label, real), (other_label, other_real)),
                ((other_label, other_real), (label, real)),
            ):
                if b in folders and _within(a_real, b_real):
                    raise OutputPathError(
                        f"{a} {shown(outputs[a] or '')} lies inside the {b} folder "
                        f"{shown(outputs[b] or '')}, which is rebuilt to hold only kept "
                        "documents; write it elsewhere"
                    )
        seen.append((label, real))


def check_writable(label: str, path: PathArg | None, *, folder: bool = False) -> None:
    """Raise an OSError naming ``label`` and ``path`` if the output cannot be written there.

    A file output needs an existing folder it may write in and must not be a
    folder; a folder output (``folder=True``) is created with its parents, so
    the nearest existing ancestor must be a writable folder.
    """
    if path is None or os.fspath(path) == "-":
        return
    target = Path(os.path.realpath(path))
    name = f"{label} {shown(path)}"
    if target.exists():
        if folder and not target.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "exists and is not a folder", name)
        if not folder and target.is_dir():
            raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", name)
        if not folder and _is_special(str(target)):
            return
    parent = target if folder and target.is_dir() else target.parent
    if folder:
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
    if not parent.is_dir():
        raise FileNotFoundError(
            errno.ENOENT, f"the folder {shown(parent)} does not exist; create it first", name
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, f"cannot write in the folder {shown(parent)}", name)


def check_output_paths(
    inputs: Iterable[PathArg],
    outputs: Mapping[str, PathArg | None],
    *,
    folders: Collection[str] = (),
) -> None:
    """:func:`check_outputs`, then :func:`check_writable` for each output: the checks a
    command makes before it reads any input."""
    check_outputs(inputs, outputs, folders=folders)
    for label, path in outputs.items():
        check_writable(label, path, folder=label in folders)
