"""Decoding header text and attachment names the way Japanese mail actually arrives.

Mailers disagree: RFC 2231 ``filename*`` (UTF-8, ISO-2022-JP, Shift_JIS, continuations split
inside an escape sequence), RFC 2047 encoded words inside ``filename=``/``name=`` (not allowed
by the RFC, sent anyway), and raw 8-bit CP932 with no declaration at all. Everything here is
total: it returns a string (with U+FFFD at worst), never raises.
"""

from __future__ import annotations

import codecs
import email.header
import re
from email.message import Message

# Shift_JIS as declared by Windows mailers is CP932 (① ㈱ 髙 ～ fail in strict shift_jis), and
# their ISO-2022-JP is really ISO-2022-JP-MS: half-width kana (ESC ( I) and NEC row 13 (①),
# which Python's JIS X 0213 codecs cover.
_SJIS = ("cp932", "shift_jis_2004")
_JIS = ("iso2022_jp_ext", "iso2022_jp_2004", "iso2022_jp_3")
_CHARSET_ALIASES: dict[str, tuple[str, ...]] = {
    "shift_jis": _SJIS,
    "shift-jis": _SJIS,
    "sjis": _SJIS,
    "x-sjis": _SJIS,
    "ms_kanji": _SJIS,
    "windows-31j": _SJIS,
    "cp932": _SJIS,
    "iso-2022-jp": _JIS,
    "iso-2022-jp-ms": _JIS,
    "unknown-8bit": (),
    "us-ascii": (),
    "": (),
}
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_LINE_BREAKS = re.compile(r"[\r\n]+")


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Bytes in a declared charset; undeclared or wrong: UTF-8, then CP932, then Latin-1."""
    name = (charset or "").strip().strip('"').lower()
    for codec in _CHARSET_ALIASES.get(name, (name,)):
        try:
            codecs.lookup(codec)
            return data.decode(codec)
        except (LookupError, UnicodeDecodeError):
            continue
    for guess in ("utf-8", "cp932"):
        try:
            return data.decode(guess)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


def unescape(text: str) -> str:
    """Undo the parser's surrogateescape of raw 8-bit header bytes (CP932 names sent bare)."""
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    return decode_bytes(text.encode("utf-8", errors="surrogateescape"))


def decode_words(value: str) -> str:
    """A header value with RFC 2047 encoded words decoded, unfolded, on one line."""
    value = _FOLD.sub("", value)
    if "=?" not in value:
        return _LINE_BREAKS.sub(" ", unescape(value))
    try:
        chunks = email.header.decode_header(value)
    except Exception:  # noqa: BLE001 - malformed encoded words: show them as they came
        return _LINE_BREAKS.sub(" ", unescape(value))
    out = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            out.append(unescape(chunk))
        else:
            out.append(decode_bytes(chunk, charset))
    return _LINE_BREAKS.sub(" ", "".join(out))


def param(part: Message, key: str, header: str) -> str | None:
    """A Content-Type/-Disposition parameter, decoded whichever way it was encoded."""
    raw = next((v for k, v in part.raw_items() if k.lower() == header), None)
    if raw is None:
        return None
    if raw != unescape(raw):
        # Raw 8-bit bytes: compat32 would hand get_param() a str with U+FFFD in their place.
        # Decode them first, on a throwaway message holding only this header.
        part = Message()
        part[header] = unescape(raw)
    try:
        value = part.get_param(key, header=header)
    except Exception:  # noqa: BLE001 - a broken parameter list is as good as none
        return None
    if value is None:
        return None
    if isinstance(value, tuple):  # RFC 2231: (charset, language, %-decoded octets as Latin-1)
        charset, _language, text = value
        try:
            raw = text.encode("latin-1", errors="surrogateescape")
        except UnicodeEncodeError:
            raw = text.encode("utf-8", errors="surrogateescape")
        return decode_bytes(raw, charset)
    return decode_words(value)
