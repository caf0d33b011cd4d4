"""What a file is, decided from its bytes alone and deterministically (record-layout §2, §8).

- Binary look-alikes (archives, spreadsheets, PDF, images, UTF-16) and NUL bytes: ``F_NOT_TEXT``.
- Encoding: a UTF-8 BOM gives ``utf-8-sig``; otherwise the first 64 KiB from the first non-ASCII
  byte decide: valid UTF-8 gives ``utf-8``, anything else ``cp932``. A pure ASCII file is UTF-8.
- Format: the first non-blank character: ``[`` JSON, ``{`` JSON Lines, anything else CSV.
- A file read as CP932 whose bytes are valid EUC-JP with kana in them is probably EUC-JP (not
  accepted): ``euc_jp`` lets the messages say so.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import BinaryIO

from .report import Issue, file_issue

HEAD_BYTES = 1 << 16
WINDOW_BYTES = 1 << 16
BLOCK_BYTES = 1 << 20

_MAGIC = (
    (b"PK\x03\x04", "ZIP（Excel の .xlsx を含む）"),
    (b"PK\x05\x06", "ZIP"),
    (b"PK\x07\x08", "ZIP"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Excel（.xls）などの Office 文書"),
    (b"%PDF", "PDF"),
    (b"\x89PNG", "PNG 画像"),
    (b"\xff\xd8\xff", "JPEG 画像"),
    (b"GIF8", "GIF 画像"),
    (b"\x1f\x8b", "gzip 圧縮ファイル"),
    (b"BZh9", "bzip2 圧縮ファイル"),
    (b"\xfd7zXZ\x00", "xz 圧縮ファイル"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip 圧縮ファイル"),
    (b"Rar!\x1a\x07", "RAR 圧縮ファイル"),
    (b"\xff\xfe", "UTF-16 のテキスト"),
    (b"\xfe\xff", "UTF-16 のテキスト"),
    (b"MZ\x90\x00", "実行ファイル"),
    (b"\x7fELF", "実行ファイル"),
)
_NON_ASCII = re.compile(rb"[\x80-\xff]")
_NON_BLANK = re.compile(rb"[^ \t\r\n]")
_KANA = re.compile("[\u3041-\u30ff]")
_HALFWIDTH_KANA = re.compile("[\uff61-\uff9f]")


@dataclass(frozen=True)
class Sniffed:
    encoding: str | None
    format: str | None
    problem: Issue | None = None
    euc_jp: bool = False


class _Bounded:
    """The first ``end`` bytes of a seekable file (a trailing EOF byte left out)."""

    def __init__(self, fh: BinaryIO, end: int):
        self.fh, self.end = fh, end

    def seek(self, pos: int) -> None:
        self.fh.seek(pos)

    def read(self, size: int) -> bytes:
        return self.fh.read(max(0, min(size, self.end - self.fh.tell())))


def not_text(what: str, line: int | None = None) -> Issue:
    return file_issue(
        "F_NOT_TEXT",
        f"テキストファイルではありません（{what}）。CSV（UTF-8 または Shift_JIS）か "
        "JSON（UTF-8）で保存したファイルを送ってください。"
        "圧縮ファイルや Excel ファイルは使えません。",
        line=line,
    )


def nul_issue(line: int) -> Issue:
    return not_text("NUL 文字を含んでいます", line)


def empty_issue() -> Issue:
    return file_issue(
        "F_EMPTY",
        "レコードが1件もありません。全件データが空だとテスト環境のデータがすべて消えるため受け付けません。"
        "出力条件を確認してください。",
    )


def sniff(fh: BinaryIO, end: int | None = None) -> Sniffed:
    """Inspect a seekable binary file (its first ``end`` bytes) from its start; leaves the
    position at 0."""
    if end is not None:
        fh = _Bounded(fh, end)  # type: ignore[assignment]
    fh.seek(0)
    head = fh.read(HEAD_BYTES)
    try:
        return _sniff(fh, head)
    finally:
        fh.seek(0)


def _sniff(fh: BinaryIO, head: bytes) -> Sniffed:
    if not head:
        return Sniffed(None, None, empty_issue())
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return Sniffed(None, None, not_text(what))
    nul = head.find(b"\x00")
    if nul >= 0:
        return Sniffed(None, None, nul_issue(head.count(b"\n", 0, nul) + 1))
    bom = head.startswith(codecs.BOM_UTF8)
    fmt = _format(fh, head, 3 if bom else 0)
    if fmt is None:
        return Sniffed("utf-8-sig" if bom else None, None, empty_issue())
    if bom:
        return Sniffed("utf-8-sig", fmt)
    encoding, window = _encoding(fh, head)
    return Sniffed(encoding, fmt, euc_jp=encoding == "cp932" and euc_jp_likely(window))


def _format(fh: BinaryIO, head: bytes, start: int) -> str | None:
    block, offset = head, start
    while block:
        match = _NON_BLANK.search(block, offset)
        if match:
            first = block[match.start() : match.start() + 1]
            return {b"[": "json", b"{": "jsonl"}.get(first, "csv")
        block, offset = fh.read(BLOCK_BYTES), 0
    return None


def _encoding(fh: BinaryIO, head: bytes) -> tuple[str, bytes]:
    """The encoding, and the window from the first non-ASCII byte that decided it."""
    fh.seek(len(head))
    block = head
    while block:
        match = _NON_ASCII.search(block)
        if match:
            window = block[match.start() : match.start() + WINDOW_BYTES]
            if len(window) < WINDOW_BYTES:
                window += fh.read(WINDOW_BYTES - len(window))
            at_end = len(window) < WINDOW_BYTES
            try:
                codecs.getincrementaldecoder("utf-8")().decode(window, at_end)
            except UnicodeDecodeError:
                return "cp932", window
            return "utf-8", window
        block = fh.read(BLOCK_BYTES)
    return "utf-8", b""


def euc_jp_likely(window: bytes) -> bool:
    """Valid EUC-JP holding kana, which CP932 reads as mostly half-width katakana.

    CP932 text fails EUC-JP at its first kana or common kanji (lead bytes 0x81-0x9F); what
    passes is mostly half-width katakana, which EUC-JP reads as kanji, rarely as kana."""
    try:
        text = codecs.getincrementaldecoder("euc_jp")().decode(window, False)
    except UnicodeDecodeError:
        return False
    if not _KANA.search(text):
        return False
    as_cp932 = window.decode("cp932", "replace")
    non_ascii = sum(1 for ch in as_cp932 if ch > "\x7f")
    halfwidth = len(_HALFWIDTH_KANA.findall(as_cp932))
    return non_ascii >= 4 and halfwidth * 2 >= non_ascii
