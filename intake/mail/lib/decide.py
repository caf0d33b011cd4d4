"""What to do with one parsed message: a pure function of the message and a contact lookup.

Order, and who hears back (``notify``):

1. Our own result coming back (``X-PMH-Result``), a bounce (DSN, ``X-Failed-Recipients``,
   null sender from MAILER-DAEMON), an ``Auto-Submitted: auto-replied`` answer: quarantined,
   never answered (mail loops). Other ``Auto-Submitted`` values (``auto-generated``: a
   municipality's batch job mailing its CSV) are taken like any mail; our reply carries
   ``Auto-Submitted: auto-replied`` and ``X-PMH-Result``, so a loop stops after one turn.
2. Unknown sender (From: not a registered contact): quarantined, never answered.
3. Failed sender authentication (DMARC fail, or SPF fail without DKIM pass, in the topmost
   Authentication-Results): quarantined, not answered (the From: may be forged).
4. Everything after this point is answered with the reason: too complex a message; the
   integration (a sender registered for several needs ``[<dropbox_name>]`` in the subject; a
   name-like token that is not the sender's is refused); ``[full]`` and ``[diff]`` together;
   no usable attachment (the most telling reason of ``classify.PRIORITY``).

The mode of each file: the subject's ``[full]``/``[diff]`` (explicit) over the file name's
token (``daily.full.csv``) over the integration's own (``mode=None``: the caller decides).
The same bytes attached twice become one submission.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from intake.lib.safe_names import MODES, mode_from_name

from .classify import REASONS, best_reason, classify, has_uuencoded, is_silent, mentions_removal
from .parse import Attachment, ParsedMail

_BOUNDARY_DEFECTS = {
    "StartBoundaryNotFoundDefect",
    "CloseBoundaryNotFoundDefect",
    "MultipartInvariantViolationDefect",
    "NoBoundaryInMultipartDefect",
}
# A token that names an integration: the municipality code with an optional "-n".
_DROPBOX_TOKEN = re.compile(r"^[0-9]{6}(-[0-9]+)?$")


@dataclass(frozen=True)
class IngestItem:
    dropbox_name: str
    attachment: Attachment
    name: str  # safe name to store and show (attachment.filename keeps the original)
    mode: str | None  # "full", "diff", or None for the integration's mode


@dataclass(frozen=True)
class Skipped:
    attachment: Attachment
    code: str
    reason: str


@dataclass(frozen=True)
class Ingest:
    dropbox_name: str
    items: list[IngestItem]
    skipped: list[Skipped] = field(default_factory=list)  # mention them in the reply
    notify: bool = True


@dataclass(frozen=True)
class Quarantine:
    code: str
    reason: str  # Japanese, for the error queue and (when notify) the reply
    notify: bool
    dropbox_name: str | None = None  # when the integration was known


_REASONS = {
    "own_result": "PMH が送った結果メールが戻ってきたものです。",
    "bounce": "配送エラー通知（バウンス）です。",
    "auto_reply": "自動応答メールです。",
    "unknown_sender": "登録されていない送信者からのメールです。",
    "auth_failed": "送信者の認証（SPF・DKIM・DMARC）に失敗したメールです。",
    "modes": "件名に [full] と [diff] の両方があります。どちらか一方にしてください。",
}


def decide(
    mail: ParsedMail,
    *,
    dropbox_names_for: Callable[[str], Sequence[str]],
    max_attachment_bytes: int | None = None,
) -> Ingest | Quarantine:
    """``dropbox_names_for(address)``: the dropbox names of integrations listing it as contact."""
    silent = _silent_code(mail)
    if silent:
        return Quarantine(silent, _REASONS[silent], notify=False)
    names = list(dropbox_names_for(mail.sender)) if mail.sender else []
    if not names:
        return Quarantine("unknown_sender", _REASONS["unknown_sender"], notify=False)
    if mail.auth_failed:
        return Quarantine("auth_failed", _REASONS["auth_failed"], notify=False)
    if mail.problem:
        return Quarantine(mail.problem.code, mail.problem.reason, notify=True)
    picked = _integration(mail, names)
    if isinstance(picked, Quarantine):
        return picked
    modes = {t for t in mail.tokens if t in MODES}
    if len(modes) > 1:
        return Quarantine("modes", _REASONS["modes"], notify=True, dropbox_name=picked)
    return _attachments(mail, picked, modes.pop() if modes else None, max_attachment_bytes)


def _silent_code(mail: ParsedMail) -> str | None:
    if mail.own_result:
        return "own_result"
    if mail.bounce:
        return "bounce"
    if mail.auto_submitted == "auto-replied":
        return "auto_reply"
    return None


def _integration(mail: ParsedMail, names: list[str]) -> str | Quarantine:
    by_token = {n.lower(): n for n in names}
    named = [t for t in mail.tokens if _DROPBOX_TOKEN.match(t) or t in by_token]
    matched = sorted({by_token[t] for t in named if t in by_token})
    foreign = sorted({t for t in named if t not in by_token})
    if len(matched) == 1 and not foreign:
        return matched[0]
    if foreign:
        listed = "、".join(f"[{t}]" for t in foreign)
        return Quarantine(
            "foreign_integration",
            f"件名の {listed} は、この送信者が連絡先として登録された連携ではありません。",
            notify=True,
        )
    if len(matched) > 1:
        return Quarantine(
            "ambiguous_integration",
            "件名に複数の連携が指定されています。1通のメールでは1つの連携だけを指定してください。",
            notify=True,
        )
    if len(names) == 1:
        return names[0]
    listed = "、".join(f"[{n}]" for n in sorted(names))
    return Quarantine(
        "integration_required",
        f"この送信者は複数の連携（{listed}）に登録されています。"
        f"件名に [{sorted(names)[0]}] のように連携を指定してください。",
        notify=True,
    )


def _attachments(
    mail: ParsedMail, dropbox_name: str, subject_mode: str | None, max_bytes: int | None
) -> Ingest | Quarantine:
    items: list[IngestItem] = []
    skipped: list[Skipped] = []
    hashes: set[str] = set()
    for att in mail.attachments:
        verdict = classify(att, max_bytes=max_bytes)
        if verdict.usable:
            if att.sha256 in hashes:
                continue  # the same file attached twice: one submission
            hashes.add(att.sha256)
            mode = subject_mode or mode_from_name(verdict.name)
            items.append(IngestItem(dropbox_name, att, verdict.name, mode))
        elif not is_silent(verdict.code):
            skipped.append(Skipped(att, verdict.code, verdict.reason))
    if items:
        return Ingest(dropbox_name, items, skipped)
    codes = [s.code for s in skipped]
    if _BOUNDARY_DEFECTS.intersection(mail.defects):
        codes.append("broken_mime")
    if any(mentions_removal(body) for body in mail.texts):
        codes.append("gateway_removed")
    if any(has_uuencoded(body) for body in mail.texts):
        codes.append("uuencode")
    code = best_reason(codes)
    return Quarantine(code, REASONS[code], notify=True, dropbox_name=dropbox_name)
