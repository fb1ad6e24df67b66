"""Input trees for the safety properties: file names, folder layouts, JSON Lines content.

Every file knows how many report rows it must produce, worked out here from its
name and bytes by the documented rules, not by asking newsingest: one row per
file; one per non-blank line of a JSON Lines file (one for the file if it has
none); for a damaged compressed JSON Lines file, one per complete line before
the damage and one for the damage; none for a hidden entry inside a folder.
"""

# Paths are bytes here (raw, undecodable names are the point), which pathlib does not take.
# ruff: noqa: PTH103, PTH118, PTH120, PTH123, PTH208

from __future__ import annotations

import gzip
import json
import os
import tempfile
import zlib
from pathlib import Path

import attrs
from hypothesis import strategies as st

from tests.factories import article_text, story


def _raw_names_allowed() -> bool:
    """Whether this filesystem stores a name that is not valid UTF-8 as it was given."""
    with tempfile.TemporaryDirectory() as folder:
        name = b"probe\xff.txt"
        try:
            Path(os.fsdecode(os.path.join(os.fsencode(folder), name))).write_bytes(b"")
        except (OSError, UnicodeError):
            return False
        return name in os.listdir(os.fsencode(folder))


RAW_NAMES_ALLOWED = _raw_names_allowed()

RESERVED = frozenset({b"sub", b"other", b"loose", b"out", b"work"})
"""Folder names the layouts use for places and outputs; no input takes them."""

JUNK = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
STALE = b"a copy left by an earlier run\n"

_JSONL_EXTENSIONS = (b".jsonl", b".ndjson")


@attrs.frozen(kw_only=True)
class InputFile:
    """A file under a root: ``rel`` is its path inside a folder root (``/``-separated
    bytes), or its name for a file argument."""

    rel: bytes
    data: bytes


@attrs.frozen(kw_only=True)
class Root:
    """One input argument: a folder (walked) or a file, at ``place`` under the working folder."""

    place: str
    name: bytes
    folder: bool
    files: tuple[InputFile, ...]

    @property
    def arg(self) -> str:
        """The argument as typed on the command line, run from the working folder."""
        return os.fsdecode(self.place.encode() + self.name)

    def path(self, work: Path) -> bytes:
        return os.path.normpath(os.path.join(os.fsencode(work), os.fsencode(self.arg)))

    def documents(self) -> int:
        return sum(documents_of(f.rel, f.data, walked=self.folder) for f in self.files)

    def file_paths(self, work: Path) -> list[bytes]:
        base = self.path(work)
        return [os.path.join(base, f.rel) if self.folder else base for f in self.files]


@attrs.frozen(kw_only=True)
class Layout:
    """The inputs of one run and the arguments that name them (an argument may repeat)."""

    roots: tuple[Root, ...]
    args: tuple[str, ...]

    def documents(self) -> int:
        """Rows the run must report: a repeated argument is the same documents again."""
        return sum(root.documents() for root in self.roots)

    def build(self, work: Path) -> None:
        for root in self.roots:
            for path, item in zip(root.file_paths(work), root.files, strict=True):
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as out:
                    out.write(item.data)
            if root.folder:
                os.makedirs(root.path(work), exist_ok=True)

    def whole_files(self) -> set[bytes]:
        """The bytes of every input that is not JSON Lines: what a kept copy may hold."""
        return {
            f.data
            for root in self.roots
            for f in root.files
            if not _split_format(f.rel)[0].endswith(_JSONL_EXTENSIONS)
        }

    def json_lines(self) -> set[bytes]:
        """Every line of every JSON Lines input (decompressed): what a kept line may be."""
        lines: set[bytes] = set()
        for root in self.roots:
            for f in root.files:
                stem, compressed = _split_format(f.rel)
                if stem.endswith(_JSONL_EXTENSIONS):
                    data = _gunzip(f.data)[0] if compressed else f.data
                    lines.update(_strip_cr(line) for line in data.split(b"\n"))
        return lines


def documents_of(rel: bytes, data: bytes, *, walked: bool) -> int:
    """Report rows one input file must produce."""
    if walked and any(part.startswith(b".") for part in rel.split(b"/")):
        return 0
    stem, compressed = _split_format(rel)
    if not stem.endswith(_JSONL_EXTENSIONS):
        return 1
    if not data:
        return 1
    if compressed:
        text, damaged = _gunzip(data)
        if damaged:
            complete = text.split(b"\n")[:-1]
            return sum(1 for line in complete if line.strip()) + 1
        data = text
    return max(1, sum(1 for line in data.split(b"\n") if line.strip()))


def _split_format(rel: bytes) -> tuple[bytes, bool]:
    """The lower-cased name without ``.gz``, and whether it had it."""
    name = rel.rpartition(b"/")[2].lower()
    if name.endswith(b".gz") and name.rfind(b".") > 0:
        return name[:-3], True
    return name, False


def _gunzip(data: bytes) -> tuple[bytes, bool]:
    """What a gzip stream decompresses to, and whether it is damaged (cut short)."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        text = inflater.decompress(data)
    except zlib.error:
        return b"", True
    return text, not inflater.eof


def _strip_cr(line: bytes) -> bytes:
    return line[:-1] if line.endswith(b"\r") else line


# ------------------------------------------------------------------ strategies

SPECIALS = (
    " ", "#", "\\", "-", "=", "+", "@", "'", '"', ",", ";", "%", "*", "?", "[",
    "é", "北", "🙂", "\u202e", "\x1b", "\x07", "\t", "\n",
)  # fmt: skip
"""Characters that have broken file handling somewhere: separators, CSV formula
leads, quoting, bidi and terminal controls."""

_name_chars = st.one_of(
    st.sampled_from(SPECIALS), st.characters(codec="utf-8", exclude_characters="/.\x00")
)
_LEADS = ("", "", "", "-", "=", "+", "@", ".")
_RAW_BYTES = (b"", b"\xff", b"\x80\xfe", b"\xe9") if RAW_NAMES_ALLOWED else (b"",)
EXTENSIONS = (".txt", ".html", ".jsonl", ".jsonl.gz", ".pdf", "")
NAME_MAX = 255


@st.composite
def file_names(draw: st.DrawFn, *, hidden: bool = True) -> bytes:
    """A file name: odd characters, a leading ``-``/``=``/``.``, raw bytes, up to 255 bytes."""
    lead: str = draw(st.sampled_from(_LEADS if hidden else _LEADS[:-1]))
    text: str = draw(st.text(_name_chars, min_size=1, max_size=8))
    raw: bytes = draw(st.sampled_from(_RAW_BYTES))
    stem = lead.encode() + text.encode() + raw
    extension: str = draw(st.sampled_from(EXTENSIONS))
    ext = extension.encode()
    if draw(st.integers(0, 5)) == 5:  # near NAME_MAX, where temporary names overflow
        total: int = draw(st.integers(240, NAME_MAX))
        stem += b"n" * max(0, total - len(stem) - len(ext))
    return stem + ext


_LINE_KINDS = (
    "valid",
    "valid",
    "invalid",
    "not an object",
    "blank",
    "surrogate id",
    "surrogate date",
    "surrogate title",
    "other id",
    "bad utf-8",
)
_OTHER_IDS = ("feed.jsonl#1", "a.txt", "=1+1", "../../x", "d1/a/s.txt")


def json_line(kind: str, seed: int) -> bytes:
    """One line of a JSON Lines file; ``json.dumps`` writes lone surrogates as ``\\udXXX``."""
    title, paras = story(seed)
    record: dict[str, str] = {"title": title, "text": "\n\n".join(paras)}
    if kind == "invalid":
        return b"{not json"
    if kind == "not an object":
        return b"[1, 2]"
    if kind == "blank":
        return b"  \t" if seed % 2 else b""
    if kind == "surrogate id":
        record["id"] = "\ud800"
    elif kind == "surrogate date":
        record["date"] = "2024-03-0\udfff"
    elif kind == "surrogate title":
        record["title"] = title + "\ud83d"
    elif kind == "other id":
        record["id"] = _OTHER_IDS[seed % len(_OTHER_IDS)]
    elif kind == "bad utf-8":
        return json.dumps(record, ensure_ascii=False).encode()[:-2] + b'\xff\xfe"}'
    return json.dumps(record).encode()


@st.composite
def jsonl_data(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(st.tuples(st.sampled_from(_LINE_KINDS), st.integers(0, 3)), max_size=6))
    end = b"\n" if draw(st.booleans()) else b""
    return b"\n".join(json_line(kind, seed) for kind, seed in lines) + end


@st.composite
def file_data(draw: st.DrawFn, name: bytes) -> bytes:
    stem, compressed = _split_format(name)
    if stem.endswith(_JSONL_EXTENSIONS):
        data = draw(jsonl_data())
        if not compressed:
            return data
        packed = gzip.compress(data, mtime=0)
        if draw(st.booleans()):  # cut short, as by a full disk or an interrupted copy
            packed = packed[: draw(st.integers(0, len(packed) - 1))]
        return packed
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return b""
    if kind == 1:
        return JUNK
    return article_text(*story(draw(st.integers(0, 3)))).encode()


_DIR_NAMES = (b"a", b"b c", b"#2", b"-x", b"=y", b".hid") + (
    (b"\xe9t\xe9",) if RAW_NAMES_ALLOWED else ()
)


def _twins(rel: bytes) -> list[bytes]:
    """Names that a careless id scheme confuses with ``rel``: its ``\\xNN`` display form, ``#N``."""
    folder, slash, name = rel.rpartition(b"/")
    shown = name.decode("utf-8", "backslashreplace").encode()
    names = [shown] if shown != name else []
    if _split_format(name)[0].endswith(_JSONL_EXTENSIONS):
        names += [name + b"#1", name + b"#2"]
    return [folder + slash + n for n in names if len(n) <= NAME_MAX]


@st.composite
def folder_files(draw: st.DrawFn) -> tuple[InputFile, ...]:
    """A small tree: nested folders, hidden entries, and sometimes names that collide by id."""
    entries = draw(
        st.lists(
            st.tuples(st.lists(st.sampled_from(_DIR_NAMES), max_size=2), file_names()),
            min_size=1,
            max_size=4,
        )
    )
    rels = list(dict.fromkeys(b"/".join([*dirs, name]) for dirs, name in entries))
    if draw(st.booleans()):
        rels += [t for rel in rels for t in _twins(rel)]
        rels = list(dict.fromkeys(rels))
    # A name cannot be both a file and a folder.
    rels = [r for r in rels if not any(o.startswith(r + b"/") for o in rels)]
    return tuple(InputFile(rel=rel, data=draw(file_data(rel))) for rel in rels)


FOLDER_NAMES = (b"d1", b"d1", b"news", b"=x", b"-in")
FOLDER_PLACES = ("", "sub/", "../", "other/")
"""``../d1`` and ``d1`` (and ``sub/d1``) share a base name: a kept layout must still keep both."""
FILE_PLACES = ("", "loose/")


@st.composite
def roots(draw: st.DrawFn) -> Root:
    if draw(st.integers(0, 3)) > 0:
        return Root(
            place=draw(st.sampled_from(FOLDER_PLACES)),
            name=draw(st.sampled_from(FOLDER_NAMES)),
            folder=True,
            files=draw(folder_files()),
        )
    name = draw(file_names(hidden=False).filter(lambda n: n not in RESERVED))
    return Root(
        place=draw(st.sampled_from(FILE_PLACES)),
        name=name,
        folder=False,
        files=(InputFile(rel=name, data=draw(file_data(name))),),
    )


@st.composite
def layouts(draw: st.DrawFn, max_roots: int = 3) -> Layout:
    """Folder and file arguments, sometimes with the same base name, sometimes repeated."""
    chosen = draw(
        st.lists(roots(), min_size=1, max_size=max_roots, unique_by=lambda r: (r.place, r.name))
    )
    args = [r.arg for r in chosen]
    if draw(st.booleans()):
        args.append(draw(st.sampled_from(args)))
    return Layout(roots=tuple(chosen), args=tuple(draw(st.permutations(args))))


@st.composite
def jsonl_layouts(draw: st.DrawFn) -> Layout:
    """One folder of JSON Lines files (plain and gzip), the content varied, names plain."""
    files = [InputFile(rel=b"feed.jsonl", data=draw(jsonl_data()))]
    if draw(st.booleans()):
        files.append(InputFile(rel=b"dump.jsonl.gz", data=draw(file_data(b"dump.jsonl.gz"))))
    root = Root(place="", name=b"d1", folder=True, files=tuple(files))
    return Layout(roots=(root,), args=(root.arg,))
