"""Document ids: file names written so that every id names one document, and back.

An id is the file's path as the reader reports it (relative to the folder
given, or with its argument as a prefix), then ``#N`` for line N of a JSON
Lines file, or ``#@N`` for the record at byte N of a WARC file (``#@N+K`` for
the Kth further record FastWARC reports at the same position, which only a
``.warc.gz`` compressed as one stream has). In the path part three things are
escaped, so that no two files and no file and a line or record share an id:

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
returns the bytes) and the line number; :func:`split_record_id` gives the
path and the byte offset of a WARC record's id.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["escape_name", "split_document_id", "split_record_id"]

_SPECIAL: Final = re.compile(r"[\\#\ud800-\udfff]")
_ESCAPE: Final = re.compile(r"\\(?:x([89a-f][0-9a-f])|u(d[89a-f][0-9a-f]{2})|([\\#]))")
_ID: Final = re.compile(
    r"((?:[^\\#]|\\(?:x[89a-f][0-9a-f]|ud[89a-f][0-9a-f]{2}|[\\#]))*)"
    r"(?:#([0-9]+)|#@([0-9]+)(?:\+([1-9][0-9]*))?)?",
    re.S,
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

    A WARC record's id is not a file and a line: it raises ValueError, and
    :func:`split_record_id` reads it.
    """
    name, line, offset, _ = _parse(doc_id)
    if offset is not None:
        raise ValueError(f"{doc_id!r} is a WARC record's id: split_record_id reads it")
    return name, line


def split_record_id(doc_id: str) -> tuple[str, int, int]:
    """The path, byte offset and repeat a WARC record's id names: ``(path, offset, repeat)``.

    ``repeat`` is 0 but for a record FastWARC reported at the same position as
    the one before it. Raises ValueError for an id that is not a record's.

    >>> split_record_id("crawl.warc.gz#@48213")
    ('crawl.warc.gz', 48213, 0)
    """
    name, _, offset, repeat = _parse(doc_id)
    if offset is None:
        raise ValueError(f"{doc_id!r} is not a WARC record's id (no '#@' and an offset)")
    return name, offset, repeat


def _parse(doc_id: str) -> tuple[str, int | None, int | None, int]:
    match = _ID.fullmatch(doc_id)
    if match is None:
        raise ValueError(
            f"{doc_id!r} is not a document id: an unescaped '#' must be followed by a line "
            "number or '@' and a byte offset at the end, and a backslash must start \\\\, "
            "\\#, \\xNN or \\uNNNN"
        )
    name, line, offset, repeat = match.groups()
    if "\\" in name:
        name = _ESCAPE.sub(_unescape, name)
    return (
        name,
        int(line) if line is not None else None,
        int(offset) if offset is not None else None,
        int(repeat) if repeat is not None else 0,
    )


def _unescape(match: re.Match[str]) -> str:
    byte, code, char = match.groups()
    if byte is not None:
        return chr(0xDC00 + int(byte, 16))
    if code is not None:
        return chr(int(code, 16))
    return str(char)
