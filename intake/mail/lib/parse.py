"""A raw message (bytes) into what intake needs: who, about what, which files.

Parsed with ``email.policy.compat32``: it never raises on broken headers and keeps raw values,
which we decode ourselves (``text.py``); the new policy raises from deep inside its header
parser on some malformed input. The headers are read first on their own, so a message whose
body cannot be walked still has a sender, subject and Message-ID for the error queue.

Bounds (bad-inputs.md, Mail/MIME): more than ``max_parts`` ``Content-Type`` lines is refused
before the body is parsed; nesting deeper than ``max_depth`` — or deep enough to exhaust the
stdlib parser's recursion — is refused too. Both give a ``problem``, never an exception.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.utils
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesHeaderParser

from . import text

MAX_PARTS = 500
MAX_DEPTH = 20
MAX_TEXT_CHARS = 64 * 1024
MAX_SUBJECT_CHARS = 2000
RESULT_HEADER = "X-PMH-Result"
SYNTHETIC_DOMAIN = "pmh.invalid"

_MESSAGE_ID = re.compile(r"<[^<>\s]{1,995}>")
# [131016] [131016-2] [full]; also 【】 and, after NFKC, full-width ［］ and digits.
_TOKEN = re.compile(r"[\[【]\s*([^\[\]【】\s]{1,64})\s*[\]】]")
_CONTENT_TYPE_LINE = re.compile(rb"(?im)^content-type[ \t]*:")
_B64_CLEAN = re.compile(rb"[ \t\r\n]+")
_B64_VALID = re.compile(rb"[A-Za-z0-9+/]*={0,2}")
_BOUNCE_SENDERS = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)
_BODY_TYPES = ("text/plain", "text/html")


@dataclass(frozen=True)
class Problem:
    code: str  # too_many_parts, too_deep
    reason: str  # Japanese


@dataclass(frozen=True)
class Attachment:
    """One file carried by the message, as received.

    ``filename`` is the decoded name as the sender wrote it (for display and the record; use
    ``safe_names.safe_name()`` for any path). ``other_name`` is the Content-Type ``name=`` when
    it disagreed with ``filename=``, which wins (RFC 2183; ``name=`` is the older convention).
    """

    filename: str | None
    content: bytes
    content_type: str
    charset: str | None = None  # declared, for text parts
    other_name: str | None = None
    forwarded: bool = False  # inside a message/rfc822 part
    from_own_result: bool = False  # inside a message carrying our X-PMH-Result marker
    decode_problem: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass
class ParsedMail:
    raw_sha256: str
    message_id: str
    message_id_synthetic: bool
    sender: str  # From: addr-spec, lower case; "" if none could be read
    sender_name: str
    envelope_sender: str | None  # Return-Path as delivered; may differ from From
    subject: str
    tokens: list[str]
    references: list[str]
    auto_submitted: str | None  # the Auto-Submitted value unless absent or "no"
    bounce: bool
    own_result: bool
    auth_failed: bool
    attachments: list[Attachment] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # body text parts, for heuristics
    defects: list[str] = field(default_factory=list)
    problem: Problem | None = None

    @property
    def dedupe_key(self) -> tuple[str, str]:
        """Message-ID with the raw hash: a resend under the same ID with other bytes is new."""
        return self.message_id, self.raw_sha256


def parse_message(
    raw: bytes, *, max_parts: int = MAX_PARTS, max_depth: int = MAX_DEPTH
) -> ParsedMail:
    """Parse ``raw`` (the message as stored, bytes); never raises on hostile input."""
    digest = hashlib.sha256(raw).hexdigest()
    head = BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
    mail = _from_headers(head, digest)
    if len(_CONTENT_TYPE_LINE.findall(raw)) > max_parts:
        mail.problem = Problem(
            "too_many_parts",
            f"メールの構成要素（MIME パート）が多すぎます（上限 {max_parts}）。"
            "添付ファイルを減らして送ってください。",
        )
        return mail
    try:
        msg = email.message_from_bytes(raw, policy=policy.compat32)
    except RecursionError:
        mail.problem = _too_deep(max_depth)
        return mail
    _walk(msg, mail, max_parts=max_parts, max_depth=max_depth)
    return mail


def _too_deep(max_depth: int) -> Problem:
    return Problem(
        "too_deep",
        f"メールの入れ子（MIME の階層）が深すぎます（上限 {max_depth}）。"
        "転送を重ねず、添付ファイルを直接付けて送ってください。",
    )


def _headers(msg: Message, name: str) -> list[str]:
    name = name.lower()
    return [value for key, value in msg.raw_items() if key.lower() == name]


def _first(msg: Message, name: str) -> str | None:
    values = _headers(msg, name)
    return values[0] if values else None


def _from_headers(head: Message, digest: str) -> ParsedMail:
    message_id, synthetic = _message_id(_first(head, "Message-ID"), digest)
    sender_name, sender = _address(_first(head, "From") or "")
    envelope = _first(head, "Return-Path")
    envelope_sender = _address(envelope)[1] if envelope is not None else None
    subject = text.decode_words(_first(head, "Subject") or "")[:MAX_SUBJECT_CHARS]
    auto = (_first(head, "Auto-Submitted") or "").strip().lower() or None
    refs = " ".join(_headers(head, "References") + _headers(head, "In-Reply-To"))
    bounce = bool(_headers(head, "X-Failed-Recipients")) or (
        envelope_sender == "" and bool(_BOUNCE_SENDERS.match(sender))
    )
    return ParsedMail(
        raw_sha256=digest,
        message_id=message_id,
        message_id_synthetic=synthetic,
        sender=sender,
        sender_name=sender_name,
        envelope_sender=envelope_sender,
        subject=subject,
        tokens=subject_tokens(subject),
        references=_MESSAGE_ID.findall(refs),
        auto_submitted=None if auto in (None, "no") else auto.split(";")[0].strip(),
        bounce=bounce or head.get_content_type() == "multipart/report",
        own_result=bool(_headers(head, RESULT_HEADER)),
        auth_failed=_auth_failed(_first(head, "Authentication-Results")),
    )


def _message_id(value: str | None, digest: str) -> tuple[str, bool]:
    match = _MESSAGE_ID.search(text.unescape(value or ""))
    if match:
        return match.group(0), False
    return f"<{digest[:40]}@{SYNTHETIC_DOMAIN}>", True


def _address(value: str) -> tuple[str, str]:
    try:
        pairs = email.utils.getaddresses([text.unescape(value)])
    except Exception:  # noqa: BLE001 - unparseable From: treated as no sender
        return "", ""
    for name, addr in pairs:
        if "@" in addr:
            return text.decode_words(name), addr.strip().lower()
    return "", ""  # also the null sender "<>" of a bounce


def subject_tokens(subject: str) -> list[str]:
    """Bracketed tokens of a subject, NFKC-normalised: ``【１３１０１６】`` → ``131016``."""
    return [t.lower() for t in _TOKEN.findall(unicodedata.normalize("NFKC", subject))]


def _auth_failed(value: str | None) -> bool:
    # Only the topmost Authentication-Results (added by our own MTA) is read, and only ever to
    # refuse: a forged "pass" further down gains nothing.
    if not value:
        return False
    results = dict(re.findall(r"\b(spf|dkim|dmarc)=([a-z]+)", value.lower()))
    return results.get("dmarc") == "fail" or (
        results.get("spf") == "fail" and results.get("dkim") != "pass"
    )


def _walk(msg: Message, mail: ParsedMail, *, max_parts: int, max_depth: int) -> None:
    # Iterative: Message.walk() recurses, and hostile nesting must not reach the stack limit.
    stack: list[tuple[Message, int, bool, bool]] = [(msg, 0, False, False)]
    seen = 0
    while stack:
        part, depth, forwarded, own = stack.pop()
        seen += 1
        if seen > max_parts:
            mail.problem = Problem(
                "too_many_parts",
                f"メールの構成要素（MIME パート）が多すぎます（上限 {max_parts}）。",
            )
            return
        if depth > max_depth:
            mail.problem = _too_deep(max_depth)
            return
        mail.defects.extend(type(d).__name__ for d in part.defects)
        ctype = part.get_content_type()
        payload = part.get_payload()
        if ctype in ("multipart/report", "message/delivery-status"):
            mail.bounce = True
        if part.is_multipart() and isinstance(payload, list):
            inner_own = own or (ctype == "message/rfc822" and _is_own(payload))
            inner_forwarded = forwarded or ctype.startswith("message/")
            for child in reversed(payload):
                stack.append((child, depth + 1, inner_forwarded, inner_own))
            continue
        if ctype == "text/rfc822-headers" and RESULT_HEADER.lower() in str(payload).lower():
            mail.own_result = mail.own_result or mail.bounce
        _leaf(part, ctype, mail, forwarded=forwarded, own=own)


def _is_own(payload: list[Message]) -> bool:
    return bool(payload) and bool(_headers(payload[0], RESULT_HEADER))


def _leaf(part: Message, ctype: str, mail: ParsedMail, *, forwarded: bool, own: bool) -> None:
    filename = text.param(part, "filename", "content-disposition")
    name = text.param(part, "name", "content-type")
    disposition = part.get_content_disposition()
    if filename is None and name is None and disposition != "attachment" and ctype in _BODY_TYPES:
        if ctype == "text/plain" and len(mail.texts) < 20:
            mail.texts.append(_body_text(part))
        return
    content, problem = decode_payload(part)
    mail.attachments.append(
        Attachment(
            filename=filename if filename is not None else name,
            content=content,
            content_type=ctype,
            charset=part.get_content_charset(),
            other_name=name if filename is not None and name not in (None, filename) else None,
            forwarded=forwarded,
            from_own_result=own,
            decode_problem=problem,
        )
    )


def _body_text(part: Message) -> str:
    content, _problem = decode_payload(part)
    return text.decode_bytes(content[: MAX_TEXT_CHARS * 4], part.get_content_charset())[
        :MAX_TEXT_CHARS
    ]


def decode_payload(part: Message) -> tuple[bytes, str | None]:
    """The part's bytes per its Content-Transfer-Encoding, and a Japanese reason if broken.

    Base64 is lenient about missing padding and line breaks (harmless, and common) but strict
    about foreign characters: skipping them would shift every following bit and hand the
    validator silent garbage.
    """
    payload = part.get_payload()
    if not isinstance(payload, str):
        return b"", None
    cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if cte == "base64":
        return _b64(payload)
    # 7bit/8bit/binary (raw 8-bit bytes restored), quoted-printable, uuencode: the stdlib's own.
    decoded = part.get_payload(decode=True)
    decoded = decoded if isinstance(decoded, bytes) else b""
    if cte in ("x-uuencode", "uuencode", "x-uue", "uue") and decoded.lstrip().startswith(b"begin "):
        return b"", "添付ファイルの uuencode 符号化を解読できませんでした。"
    return decoded, None


def _b64(payload: str) -> tuple[bytes, str | None]:
    broken = "添付ファイルの符号化（base64）が壊れています。添付し直して送ってください。"
    try:
        clean = _B64_CLEAN.sub(b"", payload.encode("ascii"))
    except UnicodeEncodeError:
        return b"", broken
    if not _B64_VALID.fullmatch(clean):
        return b"", broken
    clean = clean.rstrip(b"=")
    if len(clean) % 4 == 1:
        return b"", broken
    try:
        return base64.b64decode(clean + b"=" * (-len(clean) % 4), validate=True), None
    except (binascii.Error, ValueError):
        return b"", broken
