"""Sending a result again, on any channel that sends one (console.md §3); how a file comes in
and how its result goes back are each channel's own (``intake.<channel>``)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from intake.channels import deliverer_for
from intake.mail.deliver import send_result_mail
from intake.models import Redelivery
from uploads.models import Channel, Status, Submission

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
