"""Results back on the channel their file came from (``intake.channels``).

Each deliverer is idempotent and raises on failure. A duplicate (the same bytes again) is not
validated again: it is answered with the first submission's result.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from intake.models import FolderItem, MailItem
from uploads import results
from uploads.lib import dropbox
from uploads.lib.mail import ParsedMail, build_reply
from uploads.models import Status, Submission

MAX_ISSUES_IN_MAIL = 10


def result_source(submission: Submission) -> Submission:
    """The submission whose report answers this one: itself, or the first of its bytes."""
    return submission.duplicate_of or submission


def result_files(submission: Submission) -> tuple[bytes, bytes]:
    """(``F.result.json``, ``F.result.csv``) for the submission's own file name."""
    source = result_source(submission)
    if source.status != Status.RETURNED:
        # The first copy is still being validated (or waits for review): say so, no issues.
        report = {
            "id": submission.pk,
            "status": "duplicate",
            "duplicate_of": source.pk,
            "accepted": None,
        }
        header = next(iter(results.result_csv(submission)))
        return json.dumps(report, ensure_ascii=False, indent=2).encode(), header
    data = results.result_json(source)
    if source.pk != submission.pk:
        report = json.loads(data)
        report["duplicate_of"] = source.pk
        data = json.dumps(report, ensure_ascii=False, indent=2).encode()
    return data, b"".join(results.result_csv(source))


def deliver_folder(submission: Submission) -> None:
    item = FolderItem.objects.get(submission=submission)
    claimed = Path(item.claimed_path)
    if not item.archived_path and claimed.exists():
        when = timezone.localtime(submission.received_at)
        item.archived_path = str(dropbox.archive(claimed, submission_id=submission.pk, when=when))
    report_json, result_csv = result_files(submission)
    layout = dropbox.Layout(Path(settings.PMH_DROPBOX_ROOT) / item.dropbox_name)
    dropbox.write_outbox(layout, item.name, report_json=report_json, result_csv=result_csv)
    item.outbox_written_at = timezone.now()
    item.save(update_fields=["archived_path", "outbox_written_at"])


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
    source = result_source(submission)
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
    from intake.mail import PreparedReply

    json_name, csv_name = results.result_names(submission)
    report_json, result_csv = result_files(submission)
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


def deliver_media(submission: Submission) -> None:
    """An operator hands the result files over (downloads on the handover page)."""
