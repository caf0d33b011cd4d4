"""The result reply: a threaded answer to the sender's message, marked as ours.

- Goes to the From: address (the registered contact), never to Reply-To: a forged Reply-To
  must not divert a municipality's validation result.
- ``In-Reply-To`` and ``References`` thread it (not for a synthetic Message-ID: the sender's
  mailer never saw that one); ``Auto-Submitted: auto-replied`` (RFC 3834) and
  ``X-Auto-Response-Suppress`` keep vacation responders quiet; ``X-PMH-Result`` lets intake
  recognise the reply, or a bounce of it, should it ever come back.
- Attachment names in RFC 2231 UTF-8 (``filename*=utf-8''…``), also as ``name*`` on the
  Content-Type for mailers that only read that; the body in UTF-8, base64.

The returned message's ``as_bytes(linesep="\\r\\n")`` matches what Django's SMTP backend calls on
``EmailMessage.message()``, so the Django side can wrap it without re-encoding anything.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from intake.lib.safe_names import safe_name

from .parse import RESULT_HEADER, ParsedMail

MAX_REFERENCES = 20
_RE_PREFIX = re.compile(r"^\s*(re|ｒｅ|ＲＥ|Ｒｅ)\s*[:：]", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


class ReplyMessage(EmailMessage):
    """An ``EmailMessage`` whose ``as_bytes`` also takes ``linesep`` (as Django's do)."""

    def as_bytes(self, unixfrom: bool = False, policy=None, linesep: str | None = None) -> bytes:
        policy = self.policy if policy is None else policy
        if linesep is not None:
            policy = policy.clone(linesep=linesep)
        return super().as_bytes(unixfrom=unixfrom, policy=policy)


def reply_subject(subject: str) -> str:
    subject = _CONTROL.sub(" ", subject).strip()
    return subject if _RE_PREFIX.match(subject) else f"Re: {subject}".rstrip()


def build_reply(
    original: ParsedMail,
    *,
    from_addr: str,
    body_ja: str,
    attachments: Sequence[tuple[str, bytes, str]] = (),
    result_marker: str = "1",
) -> ReplyMessage:
    """The reply to ``original``; ``attachments`` are (name, bytes, MIME type) triples."""
    msg = ReplyMessage(policy=policy.SMTP)
    msg["From"] = from_addr
    msg["To"] = original.sender
    msg["Subject"] = reply_subject(original.subject)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=_domain(from_addr))
    if not original.message_id_synthetic:
        msg["In-Reply-To"] = original.message_id
        refs = [*original.references, original.message_id]
        msg["References"] = " ".join(dict.fromkeys(refs[-MAX_REFERENCES:]))
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Auto-Response-Suppress"] = "All"
    msg[RESULT_HEADER] = _CONTROL.sub(" ", result_marker)
    msg.set_content(body_ja, charset="utf-8", cte="base64")
    for name, data, mimetype in attachments:
        maintype, _, subtype = mimetype.partition("/")
        name = safe_name(unicodedata.normalize("NFC", name))
        msg.add_attachment(
            data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=name,
        )
        part = msg.get_payload()[-1]
        part.set_param("name", name)
        if maintype == "text" and _is_utf8(data):
            part.set_param("charset", "utf-8")  # mailers that display text/csv decode it right
    return msg


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _domain(address: str) -> str:
    domain = address.rpartition("@")[2].strip(" >")
    return domain or "pmh.invalid"
