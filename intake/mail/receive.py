"""The mailbox poll (console.md §3.2) on top of ``intake.mail.lib``, and the replies.

Per message: seen before (Message-ID + raw hash) → ``processed`` without new submissions;
otherwise ``decide()``: one submission per usable attachment, or quarantine with an error item
and, unless the sender is unknown (or the message is a bounce or an auto-reply), a Japanese
reply saying what to fix. The record of the message and its submissions commits before the
message is moved: a crash in between leaves a message that the next poll sees as a duplicate.
"""

from __future__ import annotations

import dataclasses
import io
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from intake.hooks import report_refusal
from intake.lib.safe_names import display_name
from intake.mail.deliver import PreparedReply, deliver_mail
from intake.mail.lib import (
    PROCESSED,
    QUARANTINE,
    Ingest,
    ParsedMail,
    Quarantine,
    build_reply,
    decide,
    open_mailbox,
    parse_message,
)
from intake.models import MailItem, MailMessage
from onboarding.models import Integration, IntegrationContact
from uploads.lifecycle import submission_receive
from uploads.models import Channel
from uploads.services import MIB

log = logging.getLogger(__name__)


@dataclass
class MailPoll:
    processed: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    submissions: list[int] = field(default_factory=list)


def dropbox_names_for(address: str) -> list[str]:
    """The dropbox names of the integrations that list ``address`` among their contacts."""
    return sorted(
        set(
            IntegrationContact.objects.filter(email__iexact=address.strip()).values_list(
                "integration__dropbox_name", flat=True
            )
        )
    )


def mail_poll(*, url: str | None = None, ssl_context=None, limit: int | None = None) -> MailPoll:
    """Take every waiting message of the mailbox at ``url`` (default ``PMH_MAIL_URL``)."""
    done = MailPoll()
    url = url or settings.PMH_MAIL_URL
    if not url:
        return done
    with open_mailbox(url, ssl_context=ssl_context) as box:
        for uid, raw in box.list_new(limit=limit):
            try:
                folder = _handle(raw, done)
            except Exception:
                # Left in the inbox for the next poll; the others still go through.
                log.exception("Mail %s could not be taken", uid)
                continue
            box.move(uid, folder)
    return done


def _storable(text: str) -> str:
    """PostgreSQL text cannot hold NUL: shown the way ``display_name`` shows invisibles."""
    return text.replace("\x00", "<U+0000>")


def _parse(raw: bytes) -> ParsedMail:
    mail = parse_message(raw)
    return dataclasses.replace(
        mail,
        message_id=_storable(mail.message_id),
        sender=_storable(mail.sender),
        subject=_storable(mail.subject),
        references=[_storable(r) for r in mail.references],
    )


def _handle(raw: bytes, done: MailPoll) -> str:
    mail = _parse(raw)
    if MailMessage.objects.filter(
        message_id=mail.message_id[:998], raw_sha256=mail.raw_sha256
    ).exists():
        done.duplicates.append(mail.message_id)
        return PROCESSED
    limit = settings.PMH_MAX_UPLOAD_MB * MIB
    outcome = decide(mail, dropbox_names_for=dropbox_names_for, max_attachment_bytes=limit)
    if isinstance(outcome, Ingest):
        _ingest(mail, outcome, done)
        return PROCESSED
    _quarantine(mail, outcome, done)
    return QUARANTINE


def _message(mail: ParsedMail, **values) -> MailMessage:
    return MailMessage.objects.create(
        message_id=mail.message_id[:998],
        message_id_synthetic=mail.message_id_synthetic,
        raw_sha256=mail.raw_sha256,
        sender=mail.sender[:254],
        subject=mail.subject[:2000],
        references=" ".join(mail.references),
        **values,
    )


def _ingest(mail: ParsedMail, outcome: Ingest, done: MailPoll) -> None:
    integration = Integration.objects.get(dropbox_name=outcome.dropbox_name)
    unnamed = _("(no name)")
    notes = "\n".join(
        f"・{display_name(s.attachment.filename or unnamed)}: {s.reason}" for s in outcome.skipped
    )
    duplicates = []
    with transaction.atomic():
        message = _message(
            mail,
            integration=integration,
            outcome=MailMessage.Outcome.PROCESSED,
            notes=notes,
        )
        for item in outcome.items:
            submission = submission_receive(
                integration=integration,
                channel=Channel.MAIL,
                original_name=item.name,
                stream=io.BytesIO(item.attachment.content),
                sender=mail.sender,
                mode=item.mode,
            )
            MailItem.objects.create(
                message=message,
                submission=submission,
                filename=display_name(item.attachment.filename or item.name)[:1000],
            )
            done.submissions.append(submission.pk)
            if submission.duplicate_of_id is not None:
                duplicates.append(submission)
    done.processed.append(mail.message_id)
    for submission in duplicates:  # not validated again: answer with the first's result
        deliver_mail(submission)


def _quarantine(mail: ParsedMail, outcome: Quarantine, done: MailPoll) -> None:
    integration = None
    if outcome.dropbox_name:
        integration = Integration.objects.filter(dropbox_name=outcome.dropbox_name).first()
    with transaction.atomic():
        _message(
            mail,
            integration=integration,
            outcome=MailMessage.Outcome.QUARANTINED,
            code=outcome.code[:40],
            reason=outcome.reason,
        )
        report_refusal(
            kind="quarantine",
            code=outcome.code,
            title=outcome.reason,
            integration=integration,
            channel=Channel.MAIL,
            source=f"{QUARANTINE} {mail.message_id}",
            detail=f"From: {mail.sender}\nSubject: {mail.subject}",
        )
    done.quarantined.append(mail.message_id)
    if outcome.notify and mail.sender:
        body = render_to_string(
            "intake/mail_quarantine_body.txt", {"mail": mail, "reason": outcome.reason}
        )
        reply = build_reply(
            mail, from_addr=settings.DEFAULT_FROM_EMAIL, body_ja=body, result_marker="quarantine"
        )
        try:
            PreparedReply(reply).send()
        except Exception:
            # The message is quarantined and recorded either way; the help desk can answer.
            log.exception("Could not send the quarantine reply for %s", mail.message_id)
