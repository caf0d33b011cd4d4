"""The mail channel (console.md §3.2) without Django: parse, decide, reply, mailbox access.

The ``intake_mail`` command, per message::

    with open_mailbox(settings.PMH_MAIL_URL) as box:
        for uid, raw in box.list_new():
            mail = parse_message(raw)
            # seen before? (mail.dedupe_key) → box.move(uid, PROCESSED); continue
            outcome = decide(mail, dropbox_names_for=contacts_lookup,
                             max_attachment_bytes=limit)
            if isinstance(outcome, Ingest):
                for item in outcome.items: submission_receive(..., channel="mail",
                    name=item.name, data=item.attachment.content, mode=item.mode, ...)
                box.move(uid, PROCESSED)
            else:
                record outcome.reason in the error queue (keep raw)
                if outcome.notify: send build_reply(mail, body_ja=outcome.reason, ...)
                box.move(uid, QUARANTINE)
"""

from .classify import Verdict, classify
from .decide import Ingest, IngestItem, Quarantine, Skipped, decide
from .mailbox import (
    PROCESSED,
    QUARANTINE,
    Mailbox,
    MailboxError,
    MailboxURL,
    MailboxURLError,
    open_mailbox,
    parse_mailbox_url,
)
from .parse import RESULT_HEADER, Attachment, ParsedMail, Problem, parse_message
from .reply import ReplyMessage, build_reply

__all__ = [
    "PROCESSED",
    "QUARANTINE",
    "RESULT_HEADER",
    "Attachment",
    "Ingest",
    "IngestItem",
    "Mailbox",
    "MailboxError",
    "MailboxURL",
    "MailboxURLError",
    "ParsedMail",
    "Problem",
    "Quarantine",
    "ReplyMessage",
    "Skipped",
    "Verdict",
    "build_reply",
    "classify",
    "decide",
    "open_mailbox",
    "parse_mailbox_url",
    "parse_message",
]
