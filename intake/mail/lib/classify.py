"""Which attachments become submissions, and the Japanese reason for those that do not.

Decisions (console.md §3.2 names ``.csv`` and ``.json``):

- Usable: ``.csv`` or ``.json`` (any case) by the extension of the sanitised name, whatever the
  bytes or the declared type: an XLSX renamed ``.csv`` or a gzip goes to the validation engine,
  whose ``F_NOT_TEXT`` report then goes back to the sender in the reply. ``.jsonl``, ``.txt``,
  ``.tsv`` are not taken (the spec names two types; a municipality sends what it was told).
- A part with no name but declared ``text/csv`` or ``application/json`` is usable as
  ``attachment.csv`` / ``attachment.json``.
- Never usable, each with its own reason: our own result files (inside a returned result mail,
  or named ``*.result.json`` / ``*.result.csv``), undecodable base64, password-protected ZIP
  (the encryption flag read from the ZIP headers, nothing extracted), other ZIP (never
  extracted: bombs, slips), Excel files, S/MIME encrypted or opaque-signed ``smime.p7m``, TNEF
  ``winmail.dat``, stubs left by a sanitising gateway (see ``GATEWAY_PHRASES``), oversized.
- Detached S/MIME signatures (``smime.p7s``) and inline images are ignored without a reason.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from dataclasses import dataclass

from intake.lib.safe_names import extension, safe_name

from .parse import Attachment
from .text import decode_bytes

USABLE_EXTENSIONS = (".csv", ".json")
_UNNAMED = {"text/csv": "attachment.csv", "application/json": "attachment.json"}

# What Japanese and international sanitising gateways (無害化) leave in place of a file.
# A heuristic: a short text stub or body containing one of these phrases. Checked only for
# attachments that are not usable anyway, so a false match can only change which reason a
# quarantined message shows.
GATEWAY_PHRASES = (
    "添付ファイルは削除されました",
    "添付ファイルを削除しました",
    "添付ファイルが削除されました",
    "添付ファイルは削除しました",
    "添付ファイルを削除いたしました",
    "添付ファイルは無害化",
    "ファイルを無害化",
    "無害化処理",
    "添付ファイルを分離しました",
    "添付ファイルは分離されました",
    "attachment has been removed",
    "attachment was removed",
    "attachments have been removed",
    "attachment removed",
    "removed attachment",
    "has been quarantined",
    "malware alert text",
)
_UUENCODE = re.compile(r"(?ms)^begin [0-7]{3,4} [^\n]+\n.*?^end[ \t]*$")

REASONS = {
    "own_result": (
        "PMH から返信した結果ファイルは受け付けません。送りたいファイルを添付してください。"
    ),
    "broken_encoding": "添付ファイルの符号化が壊れていて読めません。添付し直して送ってください。",
    "too_large": "添付ファイルが大きすぎます。ファイルを分けて送ってください。",
    "broken_mime": (
        "メールの構造（MIME の区切り）が壊れていて添付ファイルを取り出せません。"
        "添付し直して送ってください。"
    ),
    "ppap": (
        "パスワード付きZIP（PPAP）は受け付けていません。"
        "ZIPにせず、CSV または JSON のファイルをそのまま添付してください。"
    ),
    "smime": (
        "S/MIME で暗号化されたメール（smime.p7m）は読めません。"
        "暗号化せずに CSV または JSON のファイルを添付してください。"
    ),
    "tnef": (
        "Outlook のリッチテキスト形式（winmail.dat）で送られたため添付ファイルを読めません。"
        "HTML 形式かテキスト形式で送り直してください。"
    ),
    "gateway_removed": (
        "添付ファイルがメールの無害化（添付ファイル削除）で取り除かれていました。"
        "共有フォルダや Web 画面から送るか、無害化の対象外となる経路で送り直してください。"
    ),
    "uuencode": (
        "uuencode 形式の添付は受け付けていません。通常の添付ファイル（MIME）として送ってください。"
    ),
    "zip": (
        "ZIPファイルは受け付けていません。展開した CSV または JSON のファイルを添付してください。"
    ),
    "excel": "Excel ファイルは受け付けていません。CSV で保存したファイルを添付してください。",
    "unsupported": "CSV（.csv）または JSON（.json）のファイルを添付してください。",
    "no_attachment": "添付ファイルがありません。CSV または JSON のファイルを添付してください。",
}
# The most telling reason first: it names what the sender must change.
PRIORITY = (
    "own_result",
    "broken_encoding",
    "broken_mime",
    "too_large",
    "ppap",
    "smime",
    "tnef",
    "gateway_removed",
    "uuencode",
    "zip",
    "excel",
    "unsupported",
    "no_attachment",
)
_SILENT = ("signature", "inline_image")


@dataclass(frozen=True)
class Verdict:
    usable: bool
    code: str  # "usable" or a key of REASONS, or "signature" / "inline_image" (no reason)
    name: str  # the safe name to store the attachment under

    @property
    def reason(self) -> str:
        return REASONS.get(self.code, "")


def classify(att: Attachment, *, max_bytes: int | None = None) -> Verdict:
    name = _name(att)
    ext = extension(name)
    lower = name.lower()
    ctype = att.content_type
    if att.from_own_result or lower.endswith((".result.json", ".result.csv")):
        return Verdict(False, "own_result", name)
    if att.decode_problem:
        return Verdict(False, "broken_encoding", name)
    if max_bytes is not None and att.size > max_bytes:
        return Verdict(False, "too_large", name)
    if ext in USABLE_EXTENSIONS:
        return Verdict(True, "usable", name)
    if ext in (".p7m", ".p7z") or ctype in ("application/pkcs7-mime", "application/x-pkcs7-mime"):
        return Verdict(False, "smime", name)
    if ext == ".p7s" or ctype in ("application/pkcs7-signature", "application/x-pkcs7-signature"):
        return Verdict(False, "signature", name)
    if lower == "winmail.dat" or ctype in ("application/ms-tnef", "application/vnd.ms-tnef"):
        return Verdict(False, "tnef", name)
    if is_gateway_text(att):
        return Verdict(False, "gateway_removed", name)
    if ext in (".xlsx", ".xlsm", ".xls"):
        return Verdict(False, "excel", name)
    if ext == ".zip" or att.content[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return Verdict(False, "ppap" if zip_encrypted(att.content) else "zip", name)
    if att.filename is None and ctype.startswith("image/"):
        return Verdict(False, "inline_image", name)
    return Verdict(False, "unsupported", name)


def _name(att: Attachment) -> str:
    if att.filename:
        return safe_name(att.filename)
    return _UNNAMED.get(att.content_type, "attachment")


def is_gateway_text(att: Attachment) -> bool:
    if not (att.content_type.startswith("text/") or extension(_name(att)) == ".txt"):
        return False
    if att.size > 64 * 1024:
        return False
    return mentions_removal(decode_bytes(att.content, att.charset)) or mentions_removal(
        att.filename or ""
    )


def mentions_removal(body: str) -> bool:
    folded = " ".join(body.split()).lower()
    return any(phrase in folded for phrase in GATEWAY_PHRASES)


def has_uuencoded(body: str) -> bool:
    return bool(_UUENCODE.search(body.replace("\r\n", "\n")))


def zip_encrypted(data: bytes) -> bool:
    """Whether any ZIP entry has the encryption flag (bit 0; also set for WinZip AES).

    Reads the central directory only; if that is unreadable, the local file headers.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(info.flag_bits & 0x1 for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        pass
    offset = data.find(b"PK\x03\x04")
    while 0 <= offset and offset + 8 <= len(data):
        (flags,) = struct.unpack_from("<H", data, offset + 6)
        if flags & 0x1:
            return True
        offset = data.find(b"PK\x03\x04", offset + 4)
    return False


def best_reason(codes: list[str]) -> str:
    """The code to quarantine under when nothing is usable."""
    for code in PRIORITY:
        if code in codes:
            return code
    return "no_attachment"


def is_silent(code: str) -> bool:
    return code in _SILENT
