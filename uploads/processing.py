"""One attempt at validating a submission: the file streamed through the engine.

The attempt's moves (claim, renew, ready, fail, give back) are those of `uploads.lifecycle`.
While the file streams the attempt renews its lease with each progress report and each batch
of issues; `submission_ready` locks the row and checks the token before the test store
changes are applied and the verdict written, so only the attempt holding the lease at the end
commits.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from uploads import context as verdict_context
from uploads import lifecycle, mappings, results, services
from uploads.lib import storage
from uploads.lib.validation import Issue, validate_file
from uploads.lifecycle import LeaseLost
from uploads.models import Submission, SubmissionIssue
from uploads.teststore import Staging, StoreChanged, load_index, store_holds_records

log = logging.getLogger(__name__)
ISSUE_BATCH = 5000
PROGRESS_SECONDS = 0.5


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
            lifecycle.submission_renew(submission_id=self.submission_id, lease_token=self.token)
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
            lifecycle.submission_renew(
                submission_id=self.submission_id, lease_token=self.token, progress_bytes=done
            )


class Verifying:
    """``storage.verify`` of a stored file on a second thread: while this one reads the store's
    index (``start``), or, when the store is empty and there is no index to read, while the
    database copies the accepted records in (``start`` called by ``_finish``). The hash and
    the reads let go of the GIL, the index and the copy are mostly the database's work.
    ``result()`` waits for it and raises what it raised (``storage.Corrupted``). It is never
    running while the engine validates, so a validation worker process may still be forked;
    and it is always over before the verdict commits (``result()`` in the verdict's
    transaction), so bytes that changed never give a verdict or reach the store."""

    def __init__(self, path, sha256: str, *, start: bool = True):
        self.path, self.sha256 = path, sha256
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None
        if start:
            self.start()

    @property
    def started(self) -> bool:
        return self.thread is not None

    def start(self) -> None:
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, name="verify-sha256", daemon=True)
            self.thread.start()

    def _run(self) -> None:
        try:
            storage.verify(self.path, self.sha256)
        except BaseException as exc:  # handed to the caller by result()
            self.error = exc

    def join(self) -> None:
        if self.thread is not None:
            self.thread.join()

    def result(self) -> None:
        self.start()
        self.thread.join()
        if self.error is not None:
            raise self.error


def process(submission_id: int) -> None:
    token = lifecycle.submission_claim(submission_id=submission_id)
    if token is None:
        return
    submission = Submission.objects.select_related("integration__municipality").get(
        pk=submission_id
    )
    path = services.stored_path(submission)
    verified = Verifying(path, submission.sha256, start=False)
    staging = Staging(integration_id=submission.integration_id, submission_id=submission.pk)
    try:
        # Beside the index read; into an empty store (nothing to read), beside the copy at the
        # end (started by _finish).
        if store_holds_records(submission.integration_id):
            verified.start()
        context = verdict_context.verdict_context(
            integration=submission.integration, mode=submission.mode
        )
        try:
            report = _validate(submission, token, path, staging, verified)
            _finish(submission, token, report, staging, context, verified)
        except StoreChanged:
            # Another submission changed this store while this one was validated: records
            # staged as unchanged may not be any more. Once more, staging every value.
            log.info(
                "Submission %s: the test store changed meanwhile, validating again", submission_id
            )
            staging.drop()
            verified.join()  # no thread beside the engine (a worker process is forked)
            staging = Staging(
                integration_id=submission.integration_id,
                submission_id=submission.pk,
                unchanged_values=True,
            )
            with transaction.atomic():
                lifecycle.submission_renew(submission_id=submission.pk, lease_token=token)
                SubmissionIssue.objects.filter(
                    submission_id=submission.pk, attempt=submission.attempts
                ).delete()
            context = verdict_context.verdict_context(
                integration=submission.integration, mode=submission.mode
            )
            report = _validate(submission, token, path, staging)
            _finish(submission, token, report, staging, context, verified)
    except storage.Corrupted as exc:
        _fail_unreadable(submission, token, exc)
    except LeaseLost:
        log.warning("Submission %s: lease lost, attempt %s stops", submission_id, token)
    except (OperationalError, InterfaceError):
        # The database went away (a restart, a failover): not the file's fault, and failing
        # the submission needs the database too. Give it back for another attempt.
        log.warning("Submission %s: the database connection broke", submission_id, exc_info=True)
        _give_back_when_database_returns(submission_id, token)
    except Exception:
        # The exception and its traceback go to the log, under the submission and attempt
        # that the reason people read names (no English, no internals, on a page).
        log.exception(
            "Submission %s: validation crashed (attempt %s)", submission_id, submission.attempts
        )
        try:
            verified.result()  # changed bytes are the cause to report, if they changed
        except storage.Corrupted as corrupted:
            return _fail_unreadable(submission, token, corrupted)
        except Exception:  # the check failed otherwise (the crash itself, or beside it)
            log.warning("Submission %s: the stored file could not be checked", submission_id,
                        exc_info=True)  # fmt: skip
        reason = _(
            "Validation stopped with an internal error. The details are in the server log "
            "under submission #%(submission)s, attempt %(attempt)s."
        ) % {"submission": submission_id, "attempt": submission.attempts}
        lifecycle.submission_fail(submission_id=submission_id, reason=reason, lease_token=token)
    finally:
        verified.join()
        staging.drop()


def _fail_unreadable(submission: Submission, token: uuid.UUID, exc: storage.Corrupted) -> None:
    """The stored file is gone or its bytes changed: the submission fails with that reason,
    and the issues found in those bytes (verified only at the end, see Verifying) go."""
    log.error("Submission %s: the stored file cannot be read back: %s", submission.pk, exc)
    if exc.missing:
        reason = _("The received file cannot be read back: it is no longer in the file store.")
    else:
        reason = _("The received file cannot be read back unchanged: its bytes have changed.")
    if lifecycle.submission_fail(submission_id=submission.pk, reason=reason, lease_token=token):
        SubmissionIssue.objects.filter(
            submission_id=submission.pk, attempt=submission.attempts
        ).delete()
        results.overflow_path(submission.pk, submission.attempts).unlink(missing_ok=True)


def _give_back_when_database_returns(submission_id: int, token: uuid.UUID) -> None:
    """Retried until the lease would run out anyway; after that the reconciler takes it back."""
    deadline = time.monotonic() + lifecycle.lease_seconds()
    delay = 0.5
    while True:
        connection.close()  # the broken connection; the next query opens a new one
        try:
            lifecycle.submission_give_back(submission_id=submission_id, lease_token=token)
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


def _validate(submission: Submission, token: uuid.UUID, path, staging: Staging,
              verified: Verifying | None = None):  # fmt: skip
    """``verified``: the check of the stored file's bytes, still running (raises Corrupted)."""
    integration = submission.integration
    writer = IssueWriter(submission.pk, submission.attempts, token)
    index = load_index(integration.pk)
    staging.index = index
    if verified is not None and verified.started:
        verified.result()
    # Loading a large store takes a while: a full lease to validate.
    lifecycle.submission_renew(submission_id=submission.pk, lease_token=token)
    # Records source for a submission: the stored file, or that file through the integration's
    # layout doctor mapping when it validates through one (uploads.mappings, issue 24).
    with mappings.records_source(submission, path) as records:
        report = _validate_records(submission, token, records, writer, index, staging)
    writer.flush()
    return report


def _validate_records(submission, token, records, writer, index, staging):
    integration = submission.integration
    report = validate_file(
        records.path,
        mode=submission.mode,
        municipality_code=integration.municipality.code,
        programs=tuple(integration.programs or ()),
        mynumber_check="warning" if integration.mynumber_check_warning else "error",
        insurer_check="warning" if integration.insurer_check_warning else "error",
        insurer_check_programs=tuple(integration.insurer_check_programs or ()),
        today=timezone.localdate(submission.received_at),
        read_once=True,  # a received file: it leaves the page cache as it is read
        store=index,
        max_issues=settings.PMH_REPORT_MAX_ISSUES,
        max_bytes=records.max_bytes(settings.PMH_MAX_UPLOAD_MB * services.MIB),
        on_issue=records.sink(writer.add),
        stage=staging.spec,
        on_progress=Progress(submission.pk, token),
    )
    records.finish(report, writer.add, settings.PMH_REPORT_MAX_ISSUES)
    return report


def _finish(submission: Submission, token: uuid.UUID, report, staging: Staging,
            context: dict | None = None, verified: Verifying | None = None) -> None:  # fmt: skip
    """The verdict and the store's changes in one transaction; ``verified``, if its check has
    not run yet, runs beside the copy and must pass before that transaction commits."""
    if verified is not None:
        verified.start()
        if not report.accepted:
            verified.result()  # nothing to copy: the check is waited for at once

    def apply_staging(locked: Submission) -> None:
        staging.apply(
            integration_id=locked.integration_id, submission_id=locked.pk, mode=locked.mode
        )
        if verified is not None:
            verified.result()  # Corrupted: the transaction rolls back, nothing is stored

    lifecycle.submission_ready(
        submission_id=submission.pk,
        lease_token=token,
        report=report,
        before=apply_staging,
        context=context,
    )
