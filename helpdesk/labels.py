"""How an error item's reason code, source and detail read on the Japanese pages
(issue 18 point 7). The spec's issue codes (record-layout.md §5, e.g. ``V_KANA``) are shown as
they are: vendors look them up. The console's own codes (``failed``, ``unknown_sender``,
``folder_not_text``...) get a Japanese label; an unknown one reads as "other reason"."""

import re
from pathlib import PurePath

from django.utils.translation import gettext_lazy as _

from intake.mail.lib.mailbox import QUARANTINE
from uploads.models import Channel

SPEC_CODE = re.compile(r"^[A-Z]_[A-Z0-9_]+$")
FOLDER = "folder_"

CODE_LABELS = {
    "failed": _("Processing failed"),
    "own_result": _("PMH's own result mail came back"),
    "bounce": _("Delivery failure notice"),
    "auto_reply": _("Automatic reply"),
    "unknown_sender": _("Unregistered sender"),
    "auth_failed": _("Sender authentication failed"),
    "auth_missing": _("No sender authentication result"),
    "modes": _("Both full and difference asked for"),
    "foreign_integration": _("Another integration named"),
    "ambiguous_integration": _("Integration not identified"),
    "integration_required": _("Integration must be named"),
    "broken_encoding": _("Garbled mail"),
    "broken_mime": _("Broken mail structure"),
    "gateway_removed": _("Attachment removed by a mail gateway"),
    "ppap": _("Password-protected ZIP"),
    "smime": _("Encrypted mail"),
    "tnef": _("Outlook attachment wrapper"),
    "uuencode": _("Old-style encoded attachment"),
    "zip": _("ZIP file"),
    "too_large": _("File too large"),
    "symlink": _("Symbolic link"),
    "special": _("Not a regular file"),
    "hardlink": _("Hard link"),
    "unreadable": _("Unreadable file"),
    "not_text": _("Not a text file"),
}


def code_label(code: str) -> str:
    if not code or SPEC_CODE.match(code):
        return code or "—"
    if code.startswith(FOLDER):
        inner = CODE_LABELS.get(code.removeprefix(FOLDER), _("Other reason"))
        return _("Shared folder: %(reason)s") % {"reason": inner}
    return str(CODE_LABELS.get(code, _("Other reason")))


def channel_label(channel: str) -> str:
    return str(Channel(channel).label) if channel in Channel.values else (channel or "—")


def source_label(source: str) -> str:
    """Where an occurrence came from, without the server's own paths."""
    if not source:
        return "—"
    if source.startswith(f"{QUARANTINE} "):
        return _("Quarantined mail %(id)s") % {"id": source.removeprefix(f"{QUARANTINE} ")}
    if source.startswith("/"):
        return _("Error folder: %(name)s") % {"name": PurePath(source).name}
    return source


_MAIL_HEADERS = {"From:": _("Sender:"), "Subject:": _("Subject:")}


def detail_label(detail: str) -> str:
    lines = []
    for line in detail.splitlines():
        for header, label in _MAIL_HEADERS.items():
            if line.startswith(header):
                line = f"{label} {line.removeprefix(header).strip()}"
        lines.append(line)
    return "\n".join(lines)
