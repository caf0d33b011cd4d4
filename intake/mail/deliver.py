"""The mail channel's result: a reply to the message the file came in, both result files
attached (console.md §3.2). Idempotent: a reply already sent is not sent again.

A message with several attachments gets ONE reply, once every attachment's result is in, listing
each result (issue 17.11: 400 attachments made 400 replies); the result files of the first
``MAX_RESULT_FILES_IN_MAIL`` attachments are attached, the rest are on the console."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from intake.mail.lib import ParsedMail, build_reply
from intake.models import MailItem, MailMessage
from uploads import results
from uploads.models import Status, Submission

log = logging.getLogger(__name__)
MAX_ISSUES_IN_MAIL = 10
MAX_RESULT_FILES_IN_MAIL = 20  # attachments whose two result files ride in the one reply
MAX_ISSUES_PER_FILE_IN_MAIL = 3
FINAL = (Status.RETURNED, Status.FAILED)


class PreparedReply(EmailMessage):
    """A reply built by ``intake.mail.lib.build_reply``, sent through Django's backend as is."""

    def __init__(self, reply, connection=None):
        super().__init__(from_email=reply["From"], to=[reply["To"]], connection=connection)
        self.reply = reply

    def message(self):
        return self.reply


def _original(item: MailItem) -> ParsedMail:
    message = item.message
    return ParsedMail(
        raw_sha256=message.raw_sha256,
        message_id=message.message_id,
        message_id_synthetic=message.message_id_synthetic,
        sender=message.sender,
        sender_name="",
        envelope_sender=None,
        subject=message.subject,
        tokens=[],
        references=message.references.split(),
        auto_submitted=None,
        bounce=False,
        own_result=False,
        auth_failed=False,
    )


def mail_body(submission: Submission, item: MailItem) -> str:
    source = results.result_source(submission)
    report = source.report or {}
    return render_to_string(
        "intake/mail_result_body.txt",
        {
            "submission": submission,
            "source": source,
            "finished": source.status == Status.RETURNED,
            "issues": (report.get("issues") or [])[:MAX_ISSUES_IN_MAIL],
            "more": max(0, (source.errors or 0) + (source.warnings or 0) - MAX_ISSUES_IN_MAIL),
            "comment": source.review_comment or submission.review_comment,
            "notes": item.message.notes,
            "filename": item.filename or submission.original_name,
        },
    )


def send_result_mail(submission: Submission, *, force: bool = False) -> None:
    """Reply to the message the file came in, with both result files attached."""
    item = MailItem.objects.select_related("message").get(submission=submission)
    if item.replied_at is not None and not force:
        return  # sent before the worker died: a second copy would only confuse
    json_name, csv_name = results.result_names(submission.original_name)
    report_json, result_csv = results.result_files(submission)
    reply = build_reply(
        _original(item),
        from_addr=settings.DEFAULT_FROM_EMAIL,
        body_ja=mail_body(submission, item),
        attachments=[
            (json_name, report_json, "application/json"),
            (csv_name, result_csv, "text/csv"),
        ],
        result_marker=str(submission.pk),
    )
    PreparedReply(reply).send()
    item.reply_message_id = reply["Message-ID"]
    item.replied_at = timezone.now()
    item.save(update_fields=["reply_message_id", "replied_at"])


def deliver_mail(submission: Submission) -> None:
    item = MailItem.objects.select_related("message").get(submission=submission)
    if item.message.items.count() == 1:
        send_result_mail(submission)
    else:
        send_message_results(message_id=item.message_id)


def deliver_failed(*, submission_id: int) -> None:
    """A problem hook: an attachment that failed for good may be the last one a message's
    reply waits for."""
    item = (
        MailItem.objects.filter(submission_id=submission_id, submission__status=Status.FAILED)
        .select_related("message")
        .first()
    )
    if item is None or item.message.items.count() == 1:
        return
    try:
        send_message_results(message_id=item.message_id)
    except Exception:
        # The failure is recorded either way; the reconciler or the help desk answers later.
        log.exception("Could not send the reply of mail message %s", item.message_id)


def _item_result(item: MailItem) -> dict:
    submission = item.submission
    source = results.result_source(submission)
    report = source.report or {}
    return {
        "item": item,
        "submission": submission,
        "source": source,
        "filename": item.filename or submission.original_name,
        "finished": source.status == Status.RETURNED,
        "failed": submission.status == Status.FAILED or source.status == Status.FAILED,
        "issues": (report.get("issues") or [])[:MAX_ISSUES_PER_FILE_IN_MAIL],
        "comment": source.review_comment or submission.review_comment,
    }


@transaction.atomic
def send_message_results(*, message_id: int) -> bool:
    """One reply for every attachment of the message not answered yet, once all are final.

    Returns whether a reply went out. The message row is locked, so two attachments finishing
    at once cannot both send it."""
    message = MailMessage.objects.select_for_update().get(pk=message_id)
    items = list(message.items.select_related("submission").order_by("pk"))
    if any(item.submission.status not in FINAL for item in items):
        return False  # the last attachment to finish sends it
    waiting = [item for item in items if item.replied_at is None]
    if not waiting:
        return False
    entries = [_item_result(item) for item in waiting]
    attachments = []
    for entry in entries[:MAX_RESULT_FILES_IN_MAIL]:
        if entry["failed"]:
            continue
        submission = entry["submission"]
        json_name, csv_name = results.result_names(submission.original_name)
        report_json, result_csv = results.result_files(submission)
        attachments += [
            (f"{submission.pk}_{json_name}", report_json, "application/json"),
            (f"{submission.pk}_{csv_name}", result_csv, "text/csv"),
        ]
    body = render_to_string(
        "intake/mail_results_body.txt",
        {
            "entries": entries,
            "count": len(entries),
            "with_files": min(len(entries), MAX_RESULT_FILES_IN_MAIL),
            "notes": message.notes,
        },
    )
    reply = build_reply(
        _original(waiting[0]),
        from_addr=settings.DEFAULT_FROM_EMAIL,
        body_ja=body,
        attachments=attachments,
        result_marker=",".join(str(e["submission"].pk) for e in entries)[:900],
    )
    PreparedReply(reply).send()
    MailItem.objects.filter(pk__in=[item.pk for item in waiting]).update(
        reply_message_id=reply["Message-ID"], replied_at=timezone.now()
    )
    return True
