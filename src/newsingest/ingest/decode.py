"""Bytes to text: find the encoding of one document, and say how it was found.

The attempts run from certain to guessed, and the first that fits decides
(:data:`~newsingest.records.DecodeMethod` names them)::

    magic numbers, NUL and control bytes  → DecodeError("binary data: ...")
    byte-order mark                       → "bom"
    strict UTF-8 (ASCII included)         → "utf-8"          (the fast path: one C call)
    BOM-less UTF-16/32 (zero-byte lanes)  → "utf-16/32"
    UTF-8 with a few stray cp1252 bytes   → "utf-8+cp1252"
    chardet, checked and corrected        → "detected"
    cp1252 with C1 pass-through           → "fallback", lossy

chardet is corrected in three ways, each measured on real data (see
``benchmarks/decode_eval.py``): the narrowest codec of a family that decodes
strictly wins (GB2312 before GBK before GB18030, Shift_JIS before CP932...);
an ISO-8859 guess for bytes that hold C1 controls becomes the Windows code page;
and cp1252 wins over a weak or exotic guess when its text looks Western
European (short cp1252 news is often called cp1250, cp424 or mac-roman).
"""

from __future__ import annotations

import codecs
import re

import chardet

from newsingest.config import DecodeConfig
from newsingest.errors import DecodeError
from newsingest.records import DecodedText, Decoding, RawDocument

__all__ = ["decode_bytes", "decode_document"]

_DEFAULT_CONFIG = DecodeConfig()

SLOPPY_CP1252 = "sloppy-windows-1252"
"""cp1252 whose five undefined bytes decode to the same-valued C1 control (ftfy's name)."""


def _build_sloppy_table() -> str:
    chars = []
    for byte in range(256):
        try:
            chars.append(bytes([byte]).decode("cp1252"))
        except UnicodeDecodeError:
            chars.append(chr(byte))
    return "".join(chars)


_SLOPPY_TABLE = _build_sloppy_table()

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"PK\x03\x04", "zip archive"),
    (b"PK\x05\x06", "zip archive"),
    (b"\x1f\x8b", "gzip stream"),
    (b"\x28\xb5\x2f\xfd", "zstd stream"),
    (b"\xfd7zXZ\x00", "xz stream"),
    (b"7z\xbc\xaf\x27\x1c", "7z archive"),
    (b"\x7fELF", "ELF executable"),
    (b"%PDF-", "PDF document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "OLE2 (old MS Office) file"),
)

_MAGIC_PREFIXES = tuple(magic for magic, _ in _MAGIC)

_BOMS: tuple[tuple[bytes, str, str], ...] = (
    # UTF-32 LE first: its BOM starts with the UTF-16 LE one.
    (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32"),
    (codecs.BOM_UTF8, "utf-8", "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16"),
)

_BOM_PREFIXES = tuple(bom for bom, _, _ in _BOMS)
_UTF8 = Decoding(encoding="utf-8", method="utf-8", confidence=1.0)
"""The decoding of almost every document: records are frozen, so one serves all."""

# C0 controls that never occur in text; ESC, SO and SI are kept out because
# ISO-2022 encodings use them, \x1a because old DOS files end with it.
_CONTROL_BYTES = bytes(b for b in range(1, 32) if b not in b"\t\n\v\f\r\x0e\x0f\x1a\x1b")
_MAX_CONTROL_SHARE = 0.05
_CONTROL_CHARS_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f]")

_STRAY_RE = re.compile("[\udc80-\udcff]")
_MULTIBYTE_RE = re.compile("[\u0080-\udc7f\udd00-\U0010ffff]")

# The smart punctuation of cp1252 (0x80-0x9f); in ISO-8859 these bytes are C1 controls.
_CP1252_PUNCT = frozenset("€‚„…†‡‰‹›‘’“”•–—˜™")
_C1_BYTES_RE = re.compile(b"[\x80-\x9f]")
_HIGH_BYTES_RE = re.compile(b"[\xa0-\xff]")
_NON_ASCII_RUN_RE = re.compile("[^\x00-\x7f]+")
# Latin-1 letters that Western European news rarely uses but cp1250/1254/1257
# text read as cp1252 produces all the time (ð þ ý for Turkish ğ ş ı, ...).
_RARE_IN_WESTERN = frozenset("ðþýÐÞÝ¹³¾¤¦¨´¸¯¬µ¼½ªº")
_MAX_WESTERN_BAD_SHARE = 0.1

# Codec families, narrowest first: the first that decodes strictly is taken,
# so text is decoded exactly as its (usually subset) label says.
_FAMILIES: tuple[tuple[str, ...], ...] = (
    ("gb2312", "gbk", "gb18030"),
    ("shift_jis", "cp932", "shift_jis_2004"),
    ("euc_jp", "euc_jis_2004"),
    ("euc_kr", "cp949"),
    ("big5", "cp950", "big5hkscs"),
    ("tis-620", "cp874"),
)

# An ISO-8859 guess for bytes holding C1 controls: the Windows code page is meant.
_WINDOWS_FOR_ISO = {
    "iso8859-1": "cp1252",
    "iso8859-15": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-2": "cp1250",
    "iso8859-7": "cp1253",
    "iso8859-8": "cp1255",
    "iso8859-13": "cp1257",
}

# Escape sequences that designate a double-byte set: 7-bit ISO-2022 text, which
# is also valid ASCII, so it must be recognised before strict UTF-8.
_ISO2022 = (
    (re.compile(b"\x1b\\$\\)C"), ("iso2022_kr",)),
    (re.compile(b"\x1b(?:\\$[@AB(]|\\([IJ])"), ("iso2022_jp", "iso2022_jp_2", "iso2022_jp_ext")),
)

# Latin code pages whose text, read as cp1252, looks much like Western text:
# chardet's choice between them and cp1252 is trusted down to a lower confidence
# (it was right at 0.38-0.49 on Czech, Slovak and Hungarian samples).
_LATIN_SIBLINGS = frozenset(
    {
        "cp1250",
        "iso8859-2",
        "cp1254",
        "iso8859-9",
        "cp1257",
        "iso8859-13",
        "iso8859-3",
        "iso8859-4",
        "iso8859-10",
        "iso8859-14",
        "iso8859-15",
        "iso8859-16",
        "cp1258",
    }
)
_SIBLING_FACTOR = 0.6

# Code pages chardet proposes for short Western texts that news is almost never in.
_EXOTIC_PREFIXES = ("cp4", "cp5", "cp8", "cp10", "cp11", "cp27", "mac-", "mac_", "ibm", "kz", "hp")

_PUNCT_CONFIDENCE = 0.9
"""Confidence recorded when cp1252 wins because all high bytes are its smart punctuation."""
_WESTERN_CONFIDENCE = 0.6
"""Confidence recorded when cp1252 wins over chardet because its text looks Western."""


def decode_bytes(data: bytes, config: DecodeConfig = _DEFAULT_CONFIG) -> tuple[str, Decoding]:
    """Decode one document's bytes, returning the text and how it was decoded.

    Raises :class:`~newsingest.errors.DecodeError` for bytes that are not text
    (images, archives, executables, NUL-filled or control-heavy data).

    >>> decode_bytes("café".encode("utf-8"))[1].method
    'utf-8'
    """
    if not data:
        return "", _UTF8
    check_magic(data)
    if data.startswith(_BOM_PREFIXES):
        found = decode_bom(data)
        if found is not None:
            return found
        if data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8) :]  # a UTF-8 BOM over bad UTF-8: go on
    if b"\x00" in data:
        wide = decode_wide(data)
        if wide is None:
            raise DecodeError(
                f"binary data: {data.count(0)} NUL bytes in {len(data)} and no UTF-16/32 pattern"
            )
        return wide
    check_controls(data)
    if b"\x1b" in data:
        iso2022 = decode_iso2022(data)
        if iso2022 is not None:
            return iso2022
    try:
        return data.decode("utf-8"), _UTF8
    except UnicodeDecodeError:
        pass
    mixed = decode_mixed(data, config)
    if mixed is not None:
        return mixed
    detected = decode_detected(data, config)
    if detected is not None:
        return detected
    return decode_fallback(data)


def decode_document(raw: RawDocument, config: DecodeConfig = _DEFAULT_CONFIG) -> DecodedText:
    """Decode a :class:`RawDocument`; raises DecodeError naming the document."""
    try:
        text, decoding = decode_bytes(raw.data, config)
    except DecodeError as exc:
        raise DecodeError(f"{raw.path}: {exc}") from exc
    return DecodedText(
        id=raw.id, path=raw.path, format=raw.format, text=text, decoding=decoding, line=raw.line
    )


def check_magic(data: bytes) -> None:
    """Refuse well-known binary formats by their first bytes, naming them."""
    if not data.startswith(_MAGIC_PREFIXES):
        return
    for magic, name in _MAGIC:
        if data.startswith(magic):
            raise DecodeError(f"binary data: starts like a {name}")


def check_controls(data: bytes) -> None:
    """Refuse data whose share of C0 control bytes no text has."""
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    if controls > _MAX_CONTROL_SHARE * len(data):
        raise DecodeError(f"binary data: {controls} control bytes in {len(data)}")


def decode_bom(data: bytes) -> tuple[str, Decoding] | None:
    """Decode by byte-order mark; a UTF-16/32 BOM over undecodable data is decoded lossily."""
    for bom, codec, name in _BOMS:
        if not data.startswith(bom):
            continue
        body = data[len(bom) :]
        try:
            text = body.decode(codec)
        except UnicodeDecodeError:
            if codec == "utf-32-le":
                continue  # FF FE 00 00 may be a UTF-16 LE BOM and a U+0000
            if codec == "utf-8":
                return None  # UTF-8 with stray bytes: the later steps know better
            text = body.decode(codec, errors="replace")
            replaced = text.count("\ufffd") - body.count("\ufffd".encode(codec))
            return text, Decoding(
                encoding=name, method="bom", confidence=1.0, lossy=True, replaced=max(replaced, 1)
            )
        return text, Decoding(encoding=name, method="bom", confidence=1.0)
    return None


def decode_wide(data: bytes) -> tuple[str, Decoding] | None:
    """Recognise BOM-less UTF-32/UTF-16 by where the zero bytes fall."""
    n = len(data)
    candidates: list[str] = []
    if n % 4 == 0:
        quarter = n // 4
        lanes = [data[i::4].count(0) for i in range(4)]
        if lanes[3] == quarter and lanes[2] * 2 >= quarter and lanes[0] * 2 < quarter:
            candidates.append("utf-32-le")
        if lanes[0] == quarter and lanes[1] * 2 >= quarter and lanes[3] * 2 < quarter:
            candidates.append("utf-32-be")
    if n % 2 == 0:
        half = n // 2
        even, odd = data[0::2].count(0), data[1::2].count(0)
        if odd > 2 * even and odd * 20 >= half:
            candidates.append("utf-16-le")
        if even > 2 * odd and even * 20 >= half:
            candidates.append("utf-16-be")
    for codec in candidates:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if len(_CONTROL_CHARS_RE.findall(text)) <= _MAX_CONTROL_SHARE * len(text):
            return text, Decoding(encoding=codec, method="utf-16/32", confidence=1.0)
    return None


def _stray_char(match: re.Match[str]) -> str:
    return _SLOPPY_TABLE[ord(match.group()) - 0xDC00]


def decode_mixed(data: bytes, config: DecodeConfig) -> tuple[str, Decoding] | None:
    """UTF-8 with a few stray bytes (a pasted cp1252 quote): each stray byte as cp1252.

    Needs real multi-byte UTF-8 in the data, and one stray byte, or at most
    ``config.max_stray_fraction`` of the bytes, or fewer stray bytes than
    valid multi-byte characters.
    """
    text = data.decode("utf-8", errors="surrogateescape")
    strays = len(_STRAY_RE.findall(text))
    if strays > max(1, config.max_stray_fraction * len(data)):
        # Short texts: one pasted quote pair in a 50-byte line is 4% of its bytes.
        # Legacy text almost never forms valid UTF-8 by chance, so real UTF-8
        # outnumbering the strays is as good a sign.
        if strays >= len(_MULTIBYTE_RE.findall(text)):
            return None
    elif _MULTIBYTE_RE.search(text) is None:
        return None
    text = _STRAY_RE.sub(_stray_char, text)
    return text, Decoding(encoding="utf-8+cp1252", method="utf-8+cp1252", confidence=1.0)


def normalize_codec(name: str) -> str | None:
    """Python's canonical codec name for an encoding label, or None if Python has none."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _try_decode(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def candidate_codecs(guess: str, data: bytes) -> list[str]:
    """The codecs to try for chardet's guess, in order: family subsets first."""
    codec = normalize_codec(guess)
    if codec is None:
        return []
    if codec == "ascii":
        return ["utf-8"]
    for family in _FAMILIES:
        names = [normalize_codec(f) for f in family]
        if codec in names:
            return [n for n in names if n is not None]
    windows = _WINDOWS_FOR_ISO.get(codec)
    if windows is not None and _C1_BYTES_RE.search(data) is not None:
        return [windows, codec]
    if codec == "iso8859-1":
        return ["cp1252", codec]  # identical without C1 bytes; right for real text with them
    return [codec]


def is_smart_punctuation_only(data: bytes, text: str) -> bool:
    """All high bytes are cp1252 quotes/dashes: ASCII text pasted from a word processor."""
    if _HIGH_BYTES_RE.search(data) is not None:
        return False
    return all(
        c in _CP1252_PUNCT or "\x80" <= c <= "\x9f"
        for run in _NON_ASCII_RUN_RE.findall(text)
        for c in run
    )


def looks_western(text: str) -> bool:
    """Whether cp1252-decoded text reads like Western European text.

    Accented letters there are sparse inside ASCII words; Cyrillic, Greek or
    Central European text read as cp1252 gives runs of three or more accented
    letters and letters that Western languages rarely use (ð þ ý ¹ ¾ ...).
    """
    runs = _NON_ASCII_RUN_RE.findall(text)
    total = sum(len(run) for run in runs)
    if total == 0:
        return True
    bad = 0
    for run in runs:
        letters = sum(1 for c in run if c.isalpha())
        if letters >= 3:
            bad += letters
        bad += sum(1 for c in run if c in _RARE_IN_WESTERN)
    return bad <= _MAX_WESTERN_BAD_SHARE * total


def decode_iso2022(data: bytes) -> tuple[str, Decoding] | None:
    """7-bit ISO-2022-JP/KR text, recognised by its designation escapes."""
    for pattern, codecs_ in _ISO2022:
        if pattern.search(data) is None:
            continue
        for codec in codecs_:
            text = _try_decode(data, codec)
            if text is not None:
                return text, Decoding(encoding=codec, method="detected", confidence=1.0)
    return None


def _is_exotic(codec: str) -> bool:
    return codec.startswith(_EXOTIC_PREFIXES)


def decode_detected(data: bytes, config: DecodeConfig) -> tuple[str, Decoding] | None:
    """chardet's guess, corrected toward cp1252 for Western text and checked strictly."""
    # cp1252 as browsers read it: the five undefined bytes become C1 controls.
    western = codecs.charmap_decode(data, "strict", _SLOPPY_TABLE)[0]
    name = "cp1252" if _try_decode(data, "cp1252") is not None else SLOPPY_CP1252
    if is_smart_punctuation_only(data, western):
        # ASCII with a word processor's quotes and dashes: cp1252 whatever chardet would
        # say (and chardet is the slow step of decoding), and the same text as its
        # cp1252 guess would give.
        return western, Decoding(encoding=name, method="detected", confidence=_PUNCT_CONFIDENCE)
    result = chardet.detect(data, compat_names=False, prefer_superset=False)
    guess = result.get("encoding") or "cp1252"
    confidence = float(result.get("confidence") or 0.0)
    guessed: tuple[str, str] | None = None
    for codec in candidate_codecs(guess, data):
        text = _try_decode(data, codec)
        if text is not None:
            guessed = text, codec
            break
    if guessed is not None and guessed[1] == "cp1252":
        return guessed[0], Decoding(encoding="cp1252", method="detected", confidence=confidence)
    bar = config.min_confidence
    if guessed is not None and guessed[1] in _LATIN_SIBLINGS:
        bar *= _SIBLING_FACTOR
    weak = guessed is None or confidence < bar or _is_exotic(guessed[1])
    if weak and looks_western(western):
        return western, Decoding(encoding=name, method="detected", confidence=_WESTERN_CONFIDENCE)
    if guessed is not None:
        return guessed[0], Decoding(encoding=guessed[1], method="detected", confidence=confidence)
    return None


def decode_fallback(data: bytes) -> tuple[str, Decoding]:
    """Last resort: cp1252 with C1 pass-through, which decodes any bytes.

    It introduces no U+FFFD (``replaced`` stays 0) and keeps every byte
    recoverable, but the text may be wrong, so the decoding is marked lossy.
    """
    text = codecs.charmap_decode(data, "strict", _SLOPPY_TABLE)[0]
    return text, Decoding(encoding=SLOPPY_CP1252, method="fallback", confidence=0.0, lossy=True)
