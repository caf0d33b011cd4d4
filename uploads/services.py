"""Submissions: receive, queue, process, review, deliver, retain (console.md §2, §3).

Channel-agnostic: the web page here and the API, shared folder, mail and media intake of
issue #6 all call `submission_receive` with a binary stream; results go back through the
per-channel deliverers of `uploads.delivery`.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from console.jobs import enqueue, jobs_mode
from helpdesk.services import error_item_record_submission
from onboarding.models import DataMode, Integration, Stage
from uploads.delivery import deliverer_for
from uploads.lib import storage
from uploads.models import (
    Channel,
    FileDeletion,
    Mode,
    Status,
    Submission,
    Verdict,
)

log = logging.getLogger(__name__)
MIB = 1024 * 1024


def max_attempts() -> int:
    return getattr(settings, "PMH_SUBMISSION_MAX_ATTEMPTS", 3)


def reconcile_after() -> timedelta:
    """How long a submission may wait in `received`/`queued` before the reconciler steps in."""
    return timedelta(seconds=getattr(settings, "PMH_SUBMISSION_REQUEUE_SECONDS", 120))


# -- files ----------------------------------------------------------------------------------


def storage_root() -> Path:
    return Path(settings.PMH_STORAGE_ROOT)


def stored_path(submission: Submission) -> Path:
    return storage_root() / submission.storage_name


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def clean_name(name: str) -> str:
    """The file's own name, without any path, control or bidi characters, NFC, ≤ 255 chars."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = _UNSAFE_NAME.sub("", name).strip().strip(".")
    return name[:255] or "upload"


class SubmissionTooLarge(Exception):
    """The file was over PMH_MAX_UPLOAD_MB; nothing was stored."""

    def __init__(self, limit_mb: int):
        super().__init__(f"over {limit_mb} MB")
        self.limit_mb = limit_mb


# -- receive --------------------------------------------------------------------------------


def submission_receive(
    *,
    integration: Integration,
    channel: str,
    original_name: str,
    stream: BinaryIO,
    sender: str = "",
    mode: str | None = None,
    received_by=None,
    received_at: datetime | None = None,
) -> Submission:
    """Store the stream's bytes and queue them for validation; returns the new submission.

    The bytes are streamed to disk while hashed, never held in memory; over the size limit
    nothing is kept (`SubmissionTooLarge`). The same bytes already received for this
    integration give a submission linked to the first (`duplicate_of`), not validated again.
    """
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    if mode is not None and mode not in Mode.values:
        raise ValueError(f"unknown mode {mode!r}")
    limit_mb = settings.PMH_MAX_UPLOAD_MB
    try:
        incoming, size, sha256 = storage.receive_stream(
            stream, storage_root() / "incoming", max_bytes=limit_mb * MIB
        )
    except storage.TooLarge:
        raise SubmissionTooLarge(limit_mb) from None
    try:
        return _record_received(
            integration=integration,
            channel=channel,
            original_name=clean_name(original_name),
            incoming=incoming,
            size=size,
            sha256=sha256,
            sender=sender[:254],
            mode=mode or integration.data_mode or DataMode.FULL,
            received_by=received_by,
            received_at=received_at or timezone.now(),
        )
    finally:
        incoming.unlink(missing_ok=True)


@transaction.atomic
def _record_received(*, integration, incoming: Path, **values) -> Submission:
    # One receive at a time per integration, so that two copies of the same bytes arriving
    # together cannot both become "the first".
    locked = Integration.objects.select_for_update().get(pk=integration.pk)
    first = (
        Submission.objects.filter(
            integration=locked,
            sha256=values["sha256"],
            duplicate_of=None,
            file_purged_at=None,
        )
        .exclude(status=Status.FAILED)
        .order_by("received_at", "pk")
        .first()
    )
    name = f"{locked.pk}/{values['sha256'][:2]}/{values['sha256']}"
    submission = Submission.objects.create(
        integration=locked,
        stage_at_receipt=locked.stage,
        storage_name=name,
        duplicate_of=first,
        **values,
    )
    if first is not None:
        submission.status = Status.RETURNED
        submission.returned_at = submission.delivered_at = values["received_at"]
        submission.save(update_fields=["status", "returned_at", "delivered_at"])
        return submission
    storage.keep(incoming, storage_root() / name)
    _queue(submission)
    return submission


def _queue(submission: Submission, *, now: datetime | None = None) -> None:
    submission.status = Status.QUEUED
    submission.queued_at = now or timezone.now()
    submission.job_id = f"submission-{submission.pk}-{uuid.uuid4().hex[:12]}"
    submission.save(update_fields=["status", "queued_at", "job_id"])
    from uploads import jobs

    enqueue("validation", jobs.process_submission, submission.pk, job_id=submission.job_id)


@transaction.atomic
def submission_retry(*, submission: Submission, by=None) -> Submission:
    """A failed submission goes back to the queue with its attempts counted afresh."""
    locked = Submission.objects.select_for_update().get(pk=submission.pk)
    if locked.status != Status.FAILED or locked.file_purged_at is not None:
        return locked
    locked.issues.all().delete()
    locked.attempts = 0
    locked.failure_reason = ""
    locked.lease_token = None
    locked.verdict = None
    locked.save(update_fields=["attempts", "failure_reason", "lease_token", "verdict"])
    _queue(locked)
    return locked


# -- processing -----------------------------------------------------------------------------


def submission_process(*, submission_id: int) -> None:
    """Validate a queued submission, if this caller wins its lease (see uploads.processing)."""
    from uploads.processing import process

    process(submission_id)


def submission_fail(*, submission_id: int, reason: str, lease_token=None) -> bool:
    filters = Q(pk=submission_id)
    if lease_token is not None:
        filters &= Q(lease_token=lease_token)
    now = timezone.now()
    failed = Submission.objects.filter(filters).update(
        status=Status.FAILED,
        failed_at=now,
        failure_reason=reason[:4000],
        lease_token=None,
        lease_expires_at=None,
    )
    if failed:
        error_item_record_submission(submission_id=submission_id)
    return bool(failed)


# -- review and delivery --------------------------------------------------------------------


def result_ready(submission: Submission) -> None:
    """After validation committed: deliver now, or wait for review (called in the commit)."""
    if submission.status == Status.RETURNED:
        _schedule_delivery(submission)


def _schedule_delivery(submission: Submission) -> None:
    if deliverer_for(submission.channel) is None:
        Submission.objects.filter(pk=submission.pk, delivered_at=None).update(
            delivered_at=timezone.now()
        )
        return
    from uploads import jobs

    enqueue("intake", jobs.deliver_submission, submission.pk)


class NotInReview(Exception):
    pass


@transaction.atomic
def submission_release(*, submission: Submission, by, comment: str = "") -> Submission:
    """Release a reviewed result: it goes back to the municipality, with the comment."""
    locked = Submission.objects.select_for_update().get(pk=submission.pk)
    if locked.status != Status.REVIEW:
        raise NotInReview
    now = timezone.now()
    comment = comment.strip()
    locked.review_comment = comment
    locked.report = {**(locked.report or {}), "comment": comment or None}
    locked.status = Status.RETURNED
    locked.released_by = by
    locked.released_at = locked.returned_at = now
    locked.save(
        update_fields=[
            "review_comment",
            "report",
            "status",
            "released_by",
            "released_at",
            "returned_at",
        ]
    )
    _schedule_delivery(locked)
    return locked


def submission_deliver(*, submission_id: int) -> None:
    submission = Submission.objects.select_related("integration").get(pk=submission_id)
    if submission.status != Status.RETURNED or submission.delivered_at is not None:
        return
    deliver = deliverer_for(submission.channel)
    if deliver is not None:
        try:
            deliver(submission)
        except Exception as exc:
            log.exception("Delivery of submission %s failed", submission_id)
            submission_fail(submission_id=submission_id, reason=_delivery_reason(exc))
            return
    Submission.objects.filter(pk=submission_id, delivered_at=None).update(
        delivered_at=timezone.now()
    )


def _delivery_reason(exc: Exception) -> str:
    return _("The result could not be delivered: %(error)s") % {"error": repr(exc)}


# -- reconciler -----------------------------------------------------------------------------


def _job_alive(job_id: str) -> bool:
    if jobs_mode() != "rq" or not job_id:
        return False
    import django_rq
    from rq.exceptions import NoSuchJobError
    from rq.job import Job, JobStatus

    try:
        job = Job.fetch(job_id, connection=django_rq.get_connection("validation"))
        status = job.get_status()
    except NoSuchJobError:
        return False
    except Exception:
        log.exception("Could not look up job %s", job_id)
        return True  # Redis unreachable: re-enqueueing would fail too; try next time
    return status in (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED)


@dataclass
class Reconciled:
    queued: list[int] = field(default_factory=list)
    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    redelivered: list[int] = field(default_factory=list)


def submissions_reconcile(*, now: datetime | None = None) -> Reconciled:
    """Put back to work what the database shows waiting with no job to do it (console.md §3)."""
    now = now or timezone.now()
    stale = now - reconcile_after()
    done = Reconciled()
    waiting = Submission.objects.filter(
        Q(status=Status.RECEIVED, received_at__lt=stale, duplicate_of=None)
        | Q(status=Status.QUEUED, queued_at__lt=stale)
    ).only("pk", "status", "job_id")
    for submission in waiting:
        if submission.status == Status.QUEUED and _job_alive(submission.job_id):
            continue
        with transaction.atomic():
            if Submission.objects.filter(pk=submission.pk, status=submission.status).exists():
                _queue(submission, now=now)
                done.queued.append(submission.pk)
    expired = Submission.objects.filter(status=Status.VALIDATING, lease_expires_at__lt=now)
    for submission in expired.only("pk", "attempts", "lease_token"):
        _take_back(submission, now, done)
    undelivered = Submission.objects.filter(
        status=Status.RETURNED, delivered_at=None, returned_at__lt=stale
    )
    for submission in undelivered:
        _schedule_delivery(submission)
        done.redelivered.append(submission.pk)
    return done


def _take_back(submission: Submission, now: datetime, done: Reconciled) -> None:
    """An attempt whose lease ran out (its worker died): queue again, or give up."""
    outcome = submission_give_back(
        submission_id=submission.pk, lease_token=submission.lease_token, now=now
    )
    if outcome == "failed":
        done.failed.append(submission.pk)
    elif outcome == "requeued":
        done.requeued.append(submission.pk)


def submission_horse_killed(*, submission_id: int, job_id: str) -> str | None:
    """The work horse running job ``job_id`` died: give back the attempt it held, if any."""
    token = (
        Submission.objects.filter(pk=submission_id, job_id=job_id, status=Status.VALIDATING)
        .values_list("lease_token", flat=True)
        .first()
    )
    if token is None:
        return None
    return submission_give_back(submission_id=submission_id, lease_token=token)


@transaction.atomic
def submission_give_back(
    *, submission_id: int, lease_token, now: datetime | None = None
) -> str | None:
    """An attempt that cannot finish (its worker died, the database went away) gives the
    submission back: queued again, or failed once it has had every attempt.

    Only the attempt holding the lease is given back; returns "requeued", "failed", or None
    when the lease was not (or no longer) that attempt's.
    """
    now = now or timezone.now()
    mine = Submission.objects.select_for_update().filter(
        pk=submission_id, status=Status.VALIDATING, lease_token=lease_token
    )
    submission = mine.first()
    if submission is None:
        return None
    if submission.attempts >= max_attempts():
        reason = _(
            "Validation did not finish after %(attempts)d attempts "
            "(the worker stopped or was stopped)."
        ) % {"attempts": submission.attempts}
        mine.update(
            status=Status.FAILED,
            failed_at=now,
            failure_reason=reason,
            lease_token=None,
            lease_expires_at=None,
        )
        error_item_record_submission(submission_id=submission_id)
        return "failed"
    mine.update(status=Status.QUEUED, lease_token=None, lease_expires_at=None)
    submission.refresh_from_db()
    _queue(submission, now=now)
    return "requeued"


# -- retention and audit --------------------------------------------------------------------


def files_purge(*, now: datetime | None = None, by=None) -> int:
    """Delete received bytes older than PMH_RETENTION_DAYS, leaving a deletion record."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PMH_RETENTION_DAYS)
    old = Submission.objects.filter(
        received_at__lt=cutoff, file_purged_at=None, duplicate_of=None
    ).exclude(status__in=(Status.RECEIVED, Status.QUEUED, Status.VALIDATING))
    purged = 0
    for submission in old.iterator():
        with transaction.atomic():
            _purge_one(submission, now=now, by=by)
        purged += 1
    return purged


def _purge_one(submission: Submission, *, now: datetime, by) -> None:
    still_used = (
        Submission.objects.filter(
            integration_id=submission.integration_id,
            sha256=submission.sha256,
            file_purged_at=None,
            duplicate_of=None,
        )
        .exclude(pk=submission.pk)
        .exists()
    )
    if not still_used:
        stored_path(submission).unlink(missing_ok=True)
    FileDeletion.objects.create(
        submission=submission,
        sha256=submission.sha256,
        size=submission.size,
        original_name=submission.original_name,
        reason=f"retention {settings.PMH_RETENTION_DAYS} days",
        deleted_by=by,
        deleted_at=now,
    )
    Submission.objects.filter(pk=submission.pk).update(file_purged_at=now)
    Submission.objects.filter(duplicate_of=submission).update(file_purged_at=now)


class OriginalGone(Exception):
    pass


def original_open(*, submission: Submission) -> BinaryIO:
    """The original bytes, verified against their SHA-256 (the view records the read)."""
    original = submission.duplicate_of or submission
    if original.file_purged_at is not None:
        raise OriginalGone
    path = stored_path(original)
    try:
        storage.verify(path, original.sha256)
    except storage.Corrupted as exc:
        log.error("Stored file of submission %s is corrupted: %s", original.pk, exc)
        raise OriginalGone from exc
    return open(path, "rb")  # noqa: SIM115 (the response closes it)


# -- the test_passed gate -------------------------------------------------------------------


@dataclass
class Evidence:
    ok: bool
    reasons: list[str]
    full: Submission | None = None
    diff: Submission | None = None


def test_evidence(*, integration: Integration) -> Evidence:
    """The `test_passed` gate (console.md §2): an accepted full submission received while in
    `testing`, and for data mode `diff` an accepted diff submission after it.

    Only the current stay in `testing` counts: a move back means the earlier tests no longer
    describe the integration.
    """
    accepted = Submission.objects.filter(
        integration=integration,
        stage_at_receipt=Stage.TESTING,
        verdict=Verdict.ACCEPTED,
        duplicate_of=None,
    )
    if integration.stage == Stage.TESTING:
        accepted = accepted.filter(received_at__gte=integration.stage_changed_at)
    full = accepted.filter(mode=Mode.FULL).order_by("received_at", "pk").first()
    if full is None:
        return Evidence(
            False,
            [_("No accepted full data set has been received while the integration was testing.")],
        )
    if integration.data_mode != DataMode.DIFF:
        return Evidence(True, [], full=full)
    diff = (
        accepted.filter(mode=Mode.DIFF, received_at__gt=full.received_at)
        .order_by("received_at", "pk")
        .first()
    )
    if diff is None:
        return Evidence(
            False,
            [
                _(
                    "An accepted differential file is still needed, received after "
                    "the accepted full data set (submission %(id)s)."
                )
                % {"id": full.pk}
            ],
            full=full,
        )
    return Evidence(True, [], full=full, diff=diff)
