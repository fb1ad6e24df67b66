"""Text for a terminal: control characters shown as escapes, never sent raw.

File names, JSON fields and document text reach the summary, the logs and the
error messages. A name holding ``ESC ] 0;...BEL`` or ``ESC [2J`` would retitle
or clear the user's terminal if printed as it is, and a carriage return could
hide a line under another; :func:`printable` shows them as ``\\x1b``, ``\\r``.
"""

from __future__ import annotations

import logging
import re

__all__ = ["PrintableFormatter", "printable"]

# C0 controls, DEL and the C1 controls (U+0080-U+009F: CSI U+009B is ESC [ on
# terminals that read 8-bit controls).
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROLS_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or f"\\x{ord(char):02x}"


def printable(text: str, *, newlines: bool = False) -> str:
    r"""``text`` with every control character escaped; ``newlines=True`` keeps ``\n``.

    >>> printable("a\x1b]0;PWNED\x07b")
    'a\\x1b]0;PWNED\\x07b'
    """
    pattern = _CONTROLS_BUT_NEWLINE if newlines else _CONTROLS
    return pattern.sub(_escape, text)


class PrintableFormatter(logging.Formatter):
    """Log lines with control characters escaped: ids come from file names and documents."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        return printable(super().formatMessage(record))
