"""Every status move of a submission, in one place (console.md §2, §3).

    received ─▶ queued ─claim▶ validating ─ready▶ returned ─deliver▶ (delivered_at)
                  ▲               │  │                ▲
                  └── give back ──┘  └─ready▶ review ─┘ release
    any of them ─fail▶ failed ─retry▶ queued;  the reconciler puts back what waits too long.

Channel-agnostic: the web page, the API, the shared folder, mail and media all call
`submission_receive` with a binary stream. What runs the validation is `uploads.processing`;
what goes up a floor (a result to its channel, a problem to the help desk) goes through
`uploads.hooks`. Jobs are named by dotted path, so this module does not import `uploads.jobs`.

A claim is a conditional UPDATE (queued, or validating with an expired lease) that sets a new
lease token; every later move of that attempt checks the token, so a second worker, a retried
job or a worker that was killed can never leave double or partial results.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import django_rq
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from console.jobs import enqueue, jobs_mode
from onboarding.models import DataMode, Integration
from uploads import context as verdict_context
from uploads import hooks
from uploads.lib import storage
from uploads.models import Channel, Mode, Status, Submission, Verdict
from uploads.services import MIB, clean_name, storage_root

log = logging.getLogger(__name__)
PROCESS_JOB = "uploads.jobs.process_submission"
DELIVER_JOB = "uploads.jobs.deliver_submission"


def max_attempts() -> int:
    return settings.PMH_SUBMISSION_MAX_ATTEMPTS


def lease_seconds() -> int:
    return settings.PMH_SUBMISSION_LEASE_SECONDS


def reconcile_after() -> timedelta:
    """How long a submission may wait in `received`/`queued` before the reconciler steps in."""
    return timedelta(seconds=settings.PMH_SUBMISSION_REQUEUE_SECONDS)


def too_large_message(limit_mb: int) -> str:
    """The one message, on every channel, for a file over PMH_MAX_UPLOAD_MB."""
    return _("The file is too large (at most %(limit)s MB). Split it and send the parts.") % {
        "limit": limit_mb
    }


class SubmissionTooLarge(Exception):
    """The file was over PMH_MAX_UPLOAD_MB; nothing was stored."""

    def __init__(self, limit_mb: int):
        super().__init__(f"over {limit_mb} MB")
        self.limit_mb = limit_mb

    @property
    def message(self) -> str:
        return too_large_message(self.limit_mb)


class LeaseLost(Exception):
    """Another attempt holds the submission now; this one must stop without writing."""


# -- locks --------------------------------------------------------------------------------
#
# LOCK ORDER. A transaction that takes more than one of these locks takes them in this order,
# and never the other way round (two transactions taking them in opposite orders deadlocked:
# a receive holding the integration waited for a finishing validation's submission, which
# waited for the integration to write the test store):
#   1. the integration row, FOR NO KEY UPDATE (`lock_integration`): receive, re-validation,
#      the end of a validation (`submission_ready`), a store purge, discarding unrecorded bytes;
#   2. a submission row (FOR NO KEY UPDATE where a copy may reference it meanwhile);
#   3. the integration's test store (`uploads.teststore`: its advisory lock, then its rows);
#   4. what the hooks lock inside `submission_ready` (the help desk's error items).
# Rows that only reference the integration (a new submission, the store's records) take a
# key-share lock on it, which FOR NO KEY UPDATE does not block. On SQLite every transaction
# takes the database's write lock at BEGIN (IMMEDIATE), which serialises them anyway.


def lock_integration(integration_id: int) -> Integration:
    """Lock the integration's row (step 1 of LOCK ORDER) in the current transaction."""
    return (
        Integration.objects.select_for_update(no_key=True, of=("self",))
        .select_related("municipality")
        .get(pk=integration_id)
    )


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
    integration and judged in the same verdict context (`uploads.context`) give a submission
    linked to the first (`duplicate_of`), not validated again.
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
    # One receive at a time per integration, and none while a validation of the integration
    # ends (it takes the same lock first, see LOCK ORDER): the verdict context (which names the
    # test store's state) and the duplicate looked up with it are read under the one lock, so
    # two copies of the same bytes cannot both become "the first", and a copy cannot read the
    # store before a first's acceptance and that first's context after it.
    locked = lock_integration(integration.pk)
    context = verdict_context.verdict_context(integration=locked, mode=values["mode"])
    stamp = verdict_context.fingerprint(context)
    first = (
        Submission.objects.filter(
            integration=locked,
            sha256=values["sha256"],
            context_fingerprint=stamp,
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
        context=context,
        context_fingerprint=stamp,
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


class CannotRevalidate(Exception):
    """The submission is still being validated, or its bytes are gone."""


@transaction.atomic
def submission_revalidate(*, submission: Submission, by) -> Submission:
    """A new submission of the same stored bytes, validated under the current context
    (issue 18.4): its own id, linked to the one it re-validates, never a duplicate."""
    # LOCK ORDER: the integration, then the submission.
    locked = lock_integration(submission.integration_id)
    source = Submission.objects.select_for_update(no_key=True).get(pk=submission.pk)
    original = source.duplicate_of or source
    if not source.is_finished or original.file_purged_at is not None:
        raise CannotRevalidate
    path = storage_root() / original.storage_name
    try:
        storage.verify(path, original.sha256)
    except (storage.Corrupted, OSError):
        raise CannotRevalidate from None
    context = verdict_context.verdict_context(integration=locked, mode=source.mode)
    again = Submission.objects.create(
        integration=locked,
        channel=source.channel,
        original_name=source.original_name,
        size=original.size,
        sha256=original.sha256,
        sender=source.sender,
        received_by=by,
        mode=source.mode,
        stage_at_receipt=locked.stage,
        storage_name=original.storage_name,
        revalidation_of=source,
        context=context,
        context_fingerprint=verdict_context.fingerprint(context),
    )
    _queue(again)
    return again


@transaction.atomic
def discard_unrecorded(submission: Submission) -> None:
    """The transaction that recorded ``submission`` rolled back: remove the bytes it stored,
    unless another submission (committed since) holds the same file."""
    # LOCK ORDER step 1 (the integration may be gone with the rolled-back work: no error).
    Integration.objects.select_for_update(no_key=True).filter(pk=submission.integration_id).first()
    if Submission.objects.filter(
        storage_name=submission.storage_name, file_purged_at=None
    ).exists():
        return
    (storage_root() / submission.storage_name).unlink(missing_ok=True)


def _queue(submission: Submission, *, now: datetime | None = None) -> None:
    submission.status = Status.QUEUED
    submission.queued_at = now or timezone.now()
    submission.job_id = f"submission-{submission.pk}-{uuid.uuid4().hex[:12]}"
    submission.save(update_fields=["status", "queued_at", "job_id"])
    enqueue("validation", PROCESS_JOB, submission.pk, job_id=submission.job_id)


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


# -- one attempt at validating -------------------------------------------------------------


def submission_claim(*, submission_id: int) -> uuid.UUID | None:
    """The lease of a new attempt, or None when another attempt holds it or none is left."""
    now = timezone.now()
    token = uuid.uuid4()
    claimed = (
        Submission.objects.filter(pk=submission_id, attempts__lt=max_attempts())
        .filter(Q(status=Status.QUEUED) | Q(status=Status.VALIDATING, lease_expires_at__lt=now))
        .update(
            status=Status.VALIDATING,
            lease_token=token,
            lease_expires_at=now + timedelta(seconds=lease_seconds()),
            attempts=F("attempts") + 1,
            validating_at=now,
            progress_bytes=0,
        )
    )
    return token if claimed else None


def submission_renew(*, submission_id: int, lease_token: uuid.UUID, **values) -> None:
    """Keep the lease of a running attempt (with its progress); LeaseLost when it is gone."""
    expires = timezone.now() + timedelta(seconds=lease_seconds())
    mine = Submission.objects.filter(
        pk=submission_id, lease_token=lease_token, status=Status.VALIDATING
    )
    if not mine.update(lease_expires_at=expires, **values):
        raise LeaseLost


@transaction.atomic
def submission_ready(
    *,
    submission_id: int,
    lease_token: uuid.UUID,
    report,
    before: Callable | None = None,
    context: dict | None = None,
) -> Submission:
    """The attempt holding the lease writes its verdict: returned, or review when the
    integration wants one. ``before(locked)`` runs first, in the same transaction (the test
    store changes); issues of any other attempt are removed."""
    # LOCK ORDER: the integration first, so that no receive of it reads the verdict context
    # (the test store's state) or looks up a duplicate while this verdict and the store's
    # change are being written; then the submission, FOR NO KEY UPDATE (a copy received
    # meanwhile with duplicate_of this one takes only a key-share lock on it); then the store.
    integration_id = (
        Submission.objects.filter(pk=submission_id).values_list("integration_id", flat=True).first()
    )
    if integration_id is None:
        raise LeaseLost
    lock_integration(integration_id)
    locked = (
        Submission.objects.select_for_update(no_key=True, of=("self",))
        .select_related("integration")
        .filter(pk=submission_id, lease_token=lease_token, status=Status.VALIDATING)
        .first()
    )
    if locked is None:
        raise LeaseLost
    locked.issues.exclude(attempt=locked.attempts).delete()
    if report.accepted and before is not None:
        before(locked)
    now = timezone.now()
    if context is not None:
        # The context the verdict was made in; an applied file leaves the store named by itself,
        # so the same bytes sent again next are still its duplicate (uploads.context).
        final = verdict_context.after_applying(context, locked.pk) if report.accepted else context
        locked.context = final
        locked.context_fingerprint = verdict_context.fingerprint(final)
    locked.verdict = Verdict.ACCEPTED if report.accepted else Verdict.REJECTED
    locked.report = report.to_dict()
    locked.rows, locked.valid_rows = report.rows, report.valid_rows
    locked.errors, locked.warnings = report.errors, report.warnings
    locked.validated_at = now
    locked.progress_bytes = locked.size
    locked.lease_token = locked.lease_expires_at = None
    if locked.integration.needs_review:
        locked.status, locked.review_at = Status.REVIEW, now
    else:
        locked.status, locked.returned_at = Status.RETURNED, now
    locked.save()
    if locked.status == Status.RETURNED:
        _schedule_delivery(locked)
    if locked.verdict == Verdict.REJECTED:
        hooks.report_problem(submission_id=locked.pk)
    else:
        hooks.report_accepted(submission_id=locked.pk)
    return locked


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
        hooks.report_problem(submission_id=submission_id)
    return bool(failed)


# -- review and delivery --------------------------------------------------------------------


def _schedule_delivery(submission: Submission) -> None:
    # A re-validation was asked for in the console: its result is shown there and on the API,
    # not sent again on the channel the file once came by (docs/DECISIONS.md).
    if submission.revalidation_of_id or hooks.deliverer_for(submission.channel) is None:
        Submission.objects.filter(pk=submission.pk, delivered_at=None).update(
            delivered_at=timezone.now()
        )
        return
    enqueue("intake", DELIVER_JOB, submission.pk)


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
    deliver = hooks.deliverer_for(submission.channel)
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
        hooks.report_problem(submission_id=submission_id)
        return "failed"
    mine.update(status=Status.QUEUED, lease_token=None, lease_expires_at=None)
    submission.refresh_from_db()
    _queue(submission, now=now)
    return "requeued"
