"""The mail channel's result: a reply to the message the file came in, both result files
attached (console.md §3.2). Idempotent: a reply already sent is not sent again."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone

from intake.mail.lib import ParsedMail, build_reply
from intake.models import MailItem
from uploads import results
from uploads.models import Status, Submission

MAX_ISSUES_IN_MAIL = 10


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
    send_result_mail(submission)
