"""Document ids: file names written so that every id names one document, and back.

An id is the file's path as the reader reports it (relative to the folder
given, or with its argument as a prefix), then ``#N`` for line N of a JSON
Lines file. In the path part three things are escaped, so that no two files
and no file and a line share an id:

=====================  ==============================
in the file name        in the id
=====================  ==============================
``\\``                  ``\\\\``
``#``                   ``\\#``
an undecodable byte     ``\\xNN`` (two lower-case hex digits)
=====================  ==============================

A name that is valid UTF-8 with no ``\\`` and no ``#`` is its own id.
:func:`split_document_id` undoes the escaping: it gives the path (with
undecodable bytes as :func:`os.fsdecode` gives them, so :func:`os.fsencode`
returns the bytes) and the line number.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["escape_name", "split_document_id"]

_SPECIAL: Final = re.compile(r"[\\#\ud800-\udfff]")
_ESCAPE: Final = re.compile(r"\\(?:x([89a-f][0-9a-f])|u(d[89a-f][0-9a-f]{2})|([\\#]))")
_ID: Final = re.compile(
    r"((?:[^\\#]|\\(?:x[89a-f][0-9a-f]|ud[89a-f][0-9a-f]{2}|[\\#]))*)(?:#([0-9]+))?", re.S
)


def escape_name(name: str) -> str:
    """The id form of a file name (as :func:`os.fsdecode` gives it).

    >>> escape_name("sport/199.txt")
    'sport/199.txt'
    >>> escape_name("feed.jsonl#2"), escape_name("a\\\\b.txt"), escape_name("a\\udcff.txt")
    ('feed.jsonl\\\\#2', 'a\\\\\\\\b.txt', 'a\\\\xff.txt')
    """
    if name.isascii() and "\\" not in name and "#" not in name:
        return name
    return _SPECIAL.sub(_escape_char, name)


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    if char in "\\#":
        return "\\" + char
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, as surrogateescape holds it
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}"  # a lone surrogate given in a str path: not a byte


def split_document_id(doc_id: str) -> tuple[str, int | None]:
    """The path and JSON Lines line number an id names: ``(path, line or None)``.

    The path is relative to the folder the run was given (or starts with the
    argument, as the id does). Raises ValueError for text that no id can be.

    >>> split_document_id("feed.jsonl#2")
    ('feed.jsonl', 2)
    >>> split_document_id("feed.jsonl\\\\#2")
    ('feed.jsonl#2', None)
    """
    match = _ID.fullmatch(doc_id)
    if match is None:
        raise ValueError(
            f"{doc_id!r} is not a document id: an unescaped '#' must be followed by a line "
            "number at the end, and a backslash must start \\\\, \\#, \\xNN or \\uNNNN"
        )
    name, line = match.groups()
    if "\\" in name:
        name = _ESCAPE.sub(_unescape, name)
    return name, int(line) if line is not None else None


def _unescape(match: re.Match[str]) -> str:
    byte, code, char = match.groups()
    if byte is not None:
        return chr(0xDC00 + int(byte, 16))
    if code is not None:
        return chr(int(code, 16))
    return str(char)
