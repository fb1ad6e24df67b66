"""Runs each property must pass every time, not only when the search finds them: the faults
of issue 17 in their smallest form."""

from __future__ import annotations

import gzip
import json

from tests.factories import article_text, story
from tests.safety.layouts import RAW_NAMES_ALLOWED, InputFile, Layout, Root, json_line


def _story(seed: int) -> bytes:
    return article_text(*story(seed)).encode()


def _folder(place: str, name: bytes, *files: tuple[bytes, bytes]) -> Root:
    return Root(
        place=place,
        name=name,
        folder=True,
        files=tuple(InputFile(rel=rel, data=data) for rel, data in files),
    )


def _layout(*roots: Root) -> Layout:
    return Layout(roots=roots, args=tuple(r.arg for r in roots))


SAME_BASE_NAME = _layout(
    _folder("../", b"d1", (b"s.txt", _story(1))), _folder("", b"d1", (b"s.txt", _story(2)))
)
"""``../d1`` and ``d1``: two kept stories, which must not land on one copy."""

_TWO_LINES = json_line("valid", 5) + b"\n" + json_line("valid", 6) + b"\n"
IDS_THAT_COLLIDE = _layout(
    _folder(
        "",
        b"d1",
        (b"feed.jsonl", _TWO_LINES),
        (b"feed.jsonl#2", _story(7)),
        *(((b"a\xff.txt", _story(3)), (b"a\\xff.txt", _story(4))) if RAW_NAMES_ALLOWED else ()),
    )
)
"""A file named like a line id, and a raw-byte name beside its ``\\xNN`` spelling."""

_LINES = b"".join(json_line("valid", seed) + b"\n" for seed in range(4))
CUT_GZIP = _layout(_folder("", b"d1", (b"dump.jsonl.gz", gzip.compress(_LINES, mtime=0)[:-40])))
"""A gzip stream cut short: the complete lines before the cut each get a row."""

LONE_SURROGATES = _layout(
    _folder(
        "",
        b"d1",
        (
            b"feed.jsonl",
            b"\n".join(json_line(k, 1) for k in ("surrogate id", "surrogate date", "valid")),
        ),
    )
)

NEAR_NAME_MAX = _layout(_folder("", b"d1", (b"s" * 251 + b".txt", _story(1))))
"""A name of 255 bytes: a temporary name made from it must still fit NAME_MAX."""

TERMINAL_AND_FORMULA = _layout(
    _folder(
        "",
        b"d1",
        (b"=HYPERLINK(1).txt", _story(1)),
        (b"\x1b]0;PWNED\x07\x1b[2J.txt", b""),
        (b"feed.jsonl", json.dumps({"title": "t"}).encode()),
    )
)
"""A CSV formula for a name, terminal escapes in a rejected file's name."""

_STORY_FILE = Root(
    place="", name=b"s.txt", folder=False, files=(InputFile(rel=b"s.txt", data=_story(1)),)
)
REPEATED = Layout(roots=(_STORY_FILE,), args=(_STORY_FILE.arg, _STORY_FILE.arg))
"""One file named twice: one document, one row."""
