"""Text for a terminal: every control character escaped, in summaries and log lines alike."""

from __future__ import annotations

import io
import logging

from hypothesis import given
from hypothesis import strategies as st

from newsingest.output.terminal import PrintableFormatter, printable

EVIL = "\x1b]0;PWNED\x07\x1b[2J\r\x9b31m\x7f"


def test_controls_are_escaped_and_the_rest_kept() -> None:
    assert printable(EVIL) == "\\x1b]0;PWNED\\x07\\x1b[2J\\r\\x9b31m\\x7f"
    assert printable("café — 東京\tx\ny") == "café — 東京\\tx\\ny"
    assert printable("a\nb\rc", newlines=True) == "a\nb\\rc"


@given(st.text())
def test_nothing_a_terminal_acts_on_survives(text: str) -> None:
    out = printable(text)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in out)


def test_the_log_formatter_escapes_the_message_and_its_arguments() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(PrintableFormatter("newsingest: %(message)s"))
    logger = logging.getLogger("newsingest.test_terminal")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)  # whatever an earlier CLI test left on "newsingest"
    try:
        logger.warning("rejected %s: %s", f"{EVIL}.txt", "read: empty file")
    finally:
        logger.removeHandler(handler)
    line = stream.getvalue()
    assert line.startswith("newsingest: rejected \\x1b]0;PWNED")
    assert line.endswith(": read: empty file\n")
    assert "\x1b" not in line
