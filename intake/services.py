"""State changes of the remote channels: the folder sweep, the mailbox poll, media handovers
and sending a result again (console.md §3)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import BinaryIO

from django.db import transaction
from django.utils import timezone

from intake.channels import deliverer_for
from intake.deliverers import send_result_mail
from intake.folder import FolderSweep, folder_sweep
from intake.mail import MailPoll, mail_poll
from intake.models import MediaFile, MediaHandover, Redelivery
from onboarding.models import Integration
from uploads.lifecycle import submission_receive
from uploads.models import Channel, Status, Submission

__all__ = [
    "FolderSweep",
    "MailPoll",
    "NotRedeliverable",
    "folder_sweep",
    "mail_poll",
    "media_files_import",
    "media_handover_create",
    "round_trip",
    "submission_redeliver",
]

REDELIVERABLE = (Channel.FOLDER, Channel.MAIL)


def round_trip(submission: Submission) -> timedelta | None:
    """Time from receipt to the result being delivered on its channel; None until then."""
    if submission.delivered_at is None:
        return None
    return submission.delivered_at - submission.received_at


class NotRedeliverable(Exception):
    pass


def can_redeliver(submission: Submission) -> bool:
    """A final result on a channel that sends it: returned, or failed only in delivery."""
    if submission.channel not in REDELIVERABLE:
        return False
    if submission.status == Status.RETURNED:
        return True
    return submission.status == Status.FAILED and submission.verdict is not None


def submission_redeliver(*, submission: Submission, by) -> Submission:
    """Send the result again: a new reply for mail, the outbox rewritten for the folder.

    A submission that failed in delivery (a mail could not be sent) is returned once the new
    delivery succeeds; the first delivery time is kept, as the round trip.
    """
    submission = Submission.objects.select_related("integration").get(pk=submission.pk)
    if not can_redeliver(submission):
        raise NotRedeliverable
    deliver = deliverer_for(submission.channel)
    if submission.channel == Channel.MAIL:
        send_result_mail(submission, force=True)
    else:
        deliver(submission)
    now = timezone.now()
    with transaction.atomic():
        Redelivery.objects.create(submission=submission, by=by, at=now)
        if submission.status == Status.FAILED:
            Submission.objects.filter(pk=submission.pk, status=Status.FAILED).update(
                status=Status.RETURNED, failed_at=None, failure_reason="", returned_at=now
            )
        Submission.objects.filter(pk=submission.pk, delivered_at=None).update(delivered_at=now)
    submission.refresh_from_db()
    return submission


@transaction.atomic
def media_handover_create(
    *,
    integration: Integration,
    brought_by: str,
    medium: str,
    received_at: datetime | None = None,
    note: str = "",
    by,
) -> MediaHandover:
    return MediaHandover.objects.create(
        integration=integration,
        brought_by=brought_by.strip(),
        medium=medium.strip(),
        received_at=received_at or timezone.now(),
        note=note.strip(),
        recorded_by=by,
    )


def media_files_import(
    *, handover: MediaHandover, files: Iterable[tuple[str, BinaryIO]], by, mode: str | None = None
) -> list[MediaFile]:
    """One submission per file (channel ``media``), each with its custody record.

    The SHA-256 is the one computed while the bytes were stored: what was imported is exactly
    what was validated and kept.
    """
    imported = []
    for name, stream in files:
        with transaction.atomic():
            submission = submission_receive(
                integration=handover.integration,
                channel=Channel.MEDIA,
                original_name=name,
                stream=stream,
                sender=handover.brought_by[:254],
                mode=mode,
                received_by=by,
                received_at=timezone.now(),
            )
            imported.append(
                MediaFile.objects.create(
                    handover=handover,
                    submission=submission,
                    name=submission.original_name,
                    size=submission.size,
                    sha256=submission.sha256,
                    imported_by=by,
                )
            )
    return imported
