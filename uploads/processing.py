"""One attempt at validating a submission, claimed with a lease in the database.

The claim is a conditional UPDATE (queued, or validating with an expired lease) that sets a new
lease token. While the file streams through the engine the attempt renews its lease with each
progress report and each batch of issues; the final transaction locks the row and checks the
token before it applies the test store changes and writes the verdict. A second worker, a
retried job or a worker that was killed can therefore never leave double or partial results:
only the attempt holding the lease at the end commits, and rows written by any other attempt
(issues) are removed in that same transaction.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.services import error_item_record_submission
from uploads import results, services
from uploads.lib import storage
from uploads.lib.validation import Issue, validate_file
from uploads.models import Status, Submission, SubmissionIssue, Verdict
from uploads.teststore import Staging, StoreChanged, load_index

log = logging.getLogger(__name__)
ISSUE_BATCH = 5000
PROGRESS_SECONDS = 0.5


def lease_seconds() -> int:
    return getattr(settings, "PMH_SUBMISSION_LEASE_SECONDS", 120)


class LeaseLost(Exception):
    """Another attempt holds the submission now; this one must stop without writing."""


def claim(submission_id: int) -> uuid.UUID | None:
    now = timezone.now()
    token = uuid.uuid4()
    claimed = (
        Submission.objects.filter(pk=submission_id, attempts__lt=services.max_attempts())
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


def renew(submission_id: int, token: uuid.UUID, **values) -> None:
    expires = timezone.now() + timedelta(seconds=lease_seconds())
    mine = Submission.objects.filter(pk=submission_id, lease_token=token, status=Status.VALIDATING)
    if not mine.update(lease_expires_at=expires, **values):
        raise LeaseLost


class IssueWriter:
    """Every issue, in file order, inserted in batches (each batch renews the lease)."""

    def __init__(self, submission_id: int, attempt: int, token: uuid.UUID):
        self.submission_id, self.attempt, self.token = submission_id, attempt, token
        self.buffer: list[SubmissionIssue] = []
        self.seq = 0
        self.overflow = results.IssueOverflow(submission_id, attempt)  # past the bound (17.5)
        self.bound = settings.PMH_ISSUE_ROWS_MAX

    def add(self, issue: Issue) -> None:
        self.seq += 1
        (self.buffer if self.seq <= self.bound else self.overflow).append(
            SubmissionIssue(
                submission_id=self.submission_id,
                attempt=self.attempt,
                seq=self.seq,
                row=issue.row,
                line=issue.line,
                field=(issue.field or "")[:200],
                code=issue.code,
                severity=issue.severity,
                message=issue.message,
                value=issue.value,
                extra=issue.extra or None,
            )
        )
        if len(self.buffer) + len(self.overflow.lines) >= ISSUE_BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.buffer and not self.overflow.lines:
            return
        with transaction.atomic():
            renew(self.submission_id, self.token)
            SubmissionIssue.objects.bulk_create(self.buffer, batch_size=ISSUE_BATCH)
            self.overflow.flush()
        self.buffer = []


class Progress:
    def __init__(self, submission_id: int, token: uuid.UUID):
        self.submission_id, self.token = submission_id, token
        self.last = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last >= PROGRESS_SECONDS:
            self.last = now
            renew(self.submission_id, self.token, progress_bytes=done)


def process(submission_id: int) -> None:
    token = claim(submission_id)
    if token is None:
        return
    submission = Submission.objects.select_related("integration__municipality").get(
        pk=submission_id
    )
    try:
        path = services.stored_path(submission)
        storage.verify(path, submission.sha256)
    except storage.Corrupted as exc:
        services.submission_fail(
            submission_id=submission_id,
            reason=_("The received file cannot be read back unchanged: %(error)s") % {"error": exc},
            lease_token=token,
        )
        return
    staging = Staging(integration_id=submission.integration_id, submission_id=submission.pk)
    try:
        try:
            report = _validate(submission, token, path, staging)
            _finish(submission, token, report, staging)
        except StoreChanged:
            # Another submission changed this store while this one was validated: records
            # staged as unchanged may not be any more. Once more, staging every value.
            log.info(
                "Submission %s: the test store changed meanwhile, validating again", submission_id
            )
            staging.drop()
            staging = Staging(
                integration_id=submission.integration_id,
                submission_id=submission.pk,
                unchanged_values=True,
            )
            with transaction.atomic():
                renew(submission.pk, token)
                SubmissionIssue.objects.filter(
                    submission_id=submission.pk, attempt=submission.attempts
                ).delete()
            report = _validate(submission, token, path, staging)
            _finish(submission, token, report, staging)
    except LeaseLost:
        log.warning("Submission %s: lease lost, attempt %s stops", submission_id, token)
    except (OperationalError, InterfaceError):
        # The database went away (a restart, a failover): not the file's fault, and failing
        # the submission needs the database too. Give it back for another attempt.
        log.warning("Submission %s: the database connection broke", submission_id, exc_info=True)
        _give_back_when_database_returns(submission_id, token)
    except Exception as exc:
        log.exception("Submission %s: validation crashed", submission_id)
        services.submission_fail(
            submission_id=submission_id,
            reason=_("Validation stopped with an internal error: %(error)s") % {"error": repr(exc)},
            lease_token=token,
        )
    finally:
        staging.drop()


def _give_back_when_database_returns(submission_id: int, token: uuid.UUID) -> None:
    """Retried until the lease would run out anyway; after that the reconciler takes it back."""
    deadline = time.monotonic() + lease_seconds()
    delay = 0.5
    while True:
        connection.close()  # the broken connection; the next query opens a new one
        try:
            services.submission_give_back(submission_id=submission_id, lease_token=token)
            log.info("Submission %s: given back after the database returned", submission_id)
            return
        except (OperationalError, InterfaceError):
            if time.monotonic() + delay > deadline:
                log.warning(
                    "Submission %s: the database is still unavailable; the reconciler takes "
                    "it back when the lease runs out",
                    submission_id,
                )
                return
        time.sleep(delay)
        delay = min(delay * 2, 5)


def _validate(submission: Submission, token: uuid.UUID, path, staging: Staging):
    integration = submission.integration
    writer = IssueWriter(submission.pk, submission.attempts, token)
    index = load_index(integration.pk)
    staging.snapshot_size = len(index)
    renew(submission.pk, token)  # loading a large store takes a while: a full lease to validate
    report = validate_file(
        path,
        mode=submission.mode,
        municipality_code=integration.municipality.code,
        programs=tuple(integration.programs or ()),
        mynumber_check="warning" if integration.mynumber_check_warning else "error",
        insurer_check="warning" if integration.insurer_check_warning else "error",
        insurer_check_programs=tuple(integration.insurer_check_programs or ()),
        today=timezone.localdate(submission.received_at),
        store=index,
        max_issues=settings.PMH_REPORT_MAX_ISSUES,
        max_bytes=settings.PMH_MAX_UPLOAD_MB * services.MIB,
        on_issue=writer.add,
        stage=staging.spec,
        on_progress=Progress(submission.pk, token),
    )
    writer.flush()
    return report


@transaction.atomic
def _finish(submission: Submission, token: uuid.UUID, report, staging: Staging) -> None:
    locked = (
        Submission.objects.select_for_update()
        .filter(pk=submission.pk, lease_token=token, status=Status.VALIDATING)
        .first()
    )
    if locked is None:
        raise LeaseLost
    SubmissionIssue.objects.filter(submission=locked).exclude(attempt=locked.attempts).delete()
    if report.accepted:
        staging.apply(
            integration_id=locked.integration_id, submission_id=locked.pk, mode=locked.mode
        )
    now = timezone.now()
    locked.verdict = Verdict.ACCEPTED if report.accepted else Verdict.REJECTED
    locked.report = report.to_dict()
    locked.rows, locked.valid_rows = report.rows, report.valid_rows
    locked.errors, locked.warnings = report.errors, report.warnings
    locked.validated_at = now
    locked.progress_bytes = locked.size
    locked.lease_token = locked.lease_expires_at = None
    if submission.integration.needs_review:
        locked.status, locked.review_at = Status.REVIEW, now
    else:
        locked.status, locked.returned_at = Status.RETURNED, now
    locked.save()
    services.result_ready(locked)
    if locked.verdict == Verdict.REJECTED:
        error_item_record_submission(submission_id=locked.pk)
