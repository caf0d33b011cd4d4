"""Real RQ workers dying (issue #11): the lease and the reconciler finish what they left.

The workers run with a short lease (``LEASE`` seconds instead of 120) so that the test sees,
in seconds, what production sees within lease + reconciler interval.
"""

import contextlib
import io
import os
import signal
import sys
import time

import psutil
import pytest
from django.db.models import Count

from helpdesk.models import ErrorItem
from tests.faults.poison_worker import MARKER
from tests.faults.workers import FINAL, RQWorker, large_file, require_services, worker_env
from uploads import lifecycle
from uploads.models import Status, StoredRecord, Submission, SubmissionIssue, Verdict

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROWS = 200_000
WARNED = 6_000  # more than one batch of issues
LEASE = 5


@pytest.fixture
def rq(settings):
    require_services()
    import django_rq

    settings.PMH_JOBS_MODE = "rq"
    redis = django_rq.get_connection("validation")
    redis.flushdb()
    yield django_rq
    redis.flushdb()


def _env(**extra):
    return worker_env(**{"PMH_SUBMISSION_LEASE_SECONDS": str(LEASE), **extra})


def _receive(integration, data: bytes, name: str) -> Submission:
    return lifecycle.submission_receive(
        integration=integration,
        channel="web",
        original_name=name,
        stream=io.BytesIO(data),
        sender="alice",
    )


def _reconciled(pk: int) -> bool:
    """One pass of the periodic reconciler (rqcron runs it every minute)."""
    return pk in lifecycle.submissions_reconcile().requeued


def _final(pk: int) -> Submission | None:
    return Submission.objects.filter(pk=pk, status__in=FINAL).first()


def _in_the_middle(worker: RQWorker, submission: Submission) -> None:
    worker.wait_for(
        lambda: Submission.objects.filter(pk=submission.pk, progress_bytes__gt=0).exists(),
        90,
        "the worker to be in the middle of the file",
    )


def _exactly_once(done: Submission, *, warnings: int = 0) -> None:
    """Returned by the second attempt with exact counts, every record and issue once."""
    assert done.status == Status.RETURNED, done.failure_reason
    assert done.verdict == Verdict.ACCEPTED and done.attempts == 2
    assert (done.rows, done.valid_rows, done.warnings, done.errors) == (ROWS, ROWS, warnings, 0)
    assert done.report["diff"] == {"added": ROWS, "changed": 0, "unchanged": 0, "removed": 0}
    stored = StoredRecord.objects.filter(integration=done.integration_id)
    assert stored.count() == stored.values("key").distinct().count() == ROWS
    assert set(stored.values_list("submission_id", flat=True).distinct()) == {done.pk}
    issues = SubmissionIssue.objects.filter(submission=done)
    assert issues.count() == warnings
    assert set(issues.values_list("attempt", flat=True)) == ({2} if warnings else set())
    assert not issues.values("row", "code").annotate(n=Count("pk")).filter(n__gt=1).exists()


def test_a_work_horse_killed_mid_file_is_given_back_at_once(cast, rq, tmp_path):
    submission = _receive(cast.integration_a, large_file(ROWS), "large.csv")
    # A lease far longer than the test, and no reconciler: the worker itself gives it back.
    env = worker_env(PMH_SUBMISSION_LEASE_SECONDS="600")
    with RQWorker(tmp_path / "worker.log", "validation", env=env) as worker:
        _in_the_middle(worker, submission)
        killed_processes = worker.kill_horse()
        killed = time.monotonic()
        assert len(killed_processes) == 2, "the horse validates on two cores"
        # Nothing it started lives on (stuck, holding memory and a database session).
        _, alive = psutil.wait_procs(killed_processes, timeout=10)
        for process in alive:  # not left behind for the next tests
            process.kill()
        assert not alive, f"still running after the horse was killed: {alive}"
        done = worker.wait_for(lambda: _final(submission.pk), 90, "a final state")
        elapsed = time.monotonic() - killed
        assert "Work-horse terminated unexpectedly" in worker.output()

    _exactly_once(done)
    print(f"kill -9 of the work horse → final state in {elapsed:.1f} s")


def test_a_whole_worker_killed_mid_file_is_finished_by_another(cast, rq, tmp_path):
    cast.integration_a.mynumber_check_warning = True
    cast.integration_a.save()
    submission = _receive(cast.integration_a, large_file(ROWS, warnings=WARNED), "large.csv")

    with RQWorker(tmp_path / "first.log", "validation", env=_env()) as first:
        _in_the_middle(first, submission)
        assert first.horses(), "no work horse"
        first.kill()
        killed = time.monotonic()

    submission.refresh_from_db()
    assert submission.status == Status.VALIDATING and submission.attempts == 1
    assert 0 < submission.progress_bytes < submission.size
    assert not StoredRecord.objects.exists()

    with RQWorker(tmp_path / "second.log", "validation", env=_env()) as second:
        second.wait_for(lambda: _reconciled(submission.pk), LEASE + 10, "the lease to run out")
        done = second.wait_for(lambda: _final(submission.pk), 120, "a final state")
        elapsed = time.monotonic() - killed

    _exactly_once(done, warnings=WARNED)
    print(f"kill -9 of the whole worker → final state in {elapsed:.1f} s (lease {LEASE} s)")


def test_a_stalled_orphan_horse_cannot_commit_after_another_attempt_won(cast, rq, tmp_path):
    submission = _receive(cast.integration_a, large_file(ROWS), "large.csv")

    with RQWorker(tmp_path / "first.log", "validation", env=_env()) as first:
        _in_the_middle(first, submission)
        orphan = first.horses()
        assert orphan, "no work horse"
        os.kill(first.pid, signal.SIGKILL)
        first.process.wait(timeout=10)
        # The orphan then stalls (a paused VM, swapping). Stopped only now: a process group
        # orphaned while one of its members is stopped gets SIGHUP from the kernel.
        for process in orphan:
            process.suspend()
        try:
            with RQWorker(tmp_path / "second.log", "validation", env=_env()) as second:
                second.wait_for(
                    lambda: _reconciled(submission.pk), LEASE + 10, "the lease to run out"
                )
                done = second.wait_for(lambda: _final(submission.pk), 120, "a final state")
            for process in orphan:
                with contextlib.suppress(psutil.NoSuchProcess):
                    process.resume()
            gone, alive = psutil.wait_procs(orphan, timeout=60)
            assert not alive, "the orphan horse did not stop"
        finally:
            for process in orphan:
                with contextlib.suppress(psutil.NoSuchProcess):
                    process.kill()

    assert "lease lost" in first.output()
    assert done.status == Status.RETURNED and done.attempts == 2
    submission.refresh_from_db()
    assert (submission.status, submission.attempts, submission.returned_at) == (
        Status.RETURNED,
        2,
        done.returned_at,
    )
    assert (submission.rows, submission.valid_rows) == (ROWS, ROWS)
    assert StoredRecord.objects.filter(integration=cast.integration_a).count() == ROWS


def test_a_file_that_kills_its_work_horse_is_failed_after_bounded_attempts(cast, rq, tmp_path):
    good = large_file(3)
    poison = _receive(cast.integration_a, good + MARKER + b"\r\n", "poison.csv")
    fine = [_receive(cast.integration_b, large_file(n + 1), f"good-{n}.csv") for n in range(3)]
    argv = [sys.executable, "-m", "tests.faults.poison_worker", "validation", "--worker-ttl", "30"]
    with RQWorker(tmp_path / "worker.log", env=_env(), argv=argv) as worker:
        started = time.monotonic()
        for submission in fine:  # they flow while the poison is still being retried
            done = worker.wait_for(lambda s=submission: _final(s.pk), 60, "a good file")
            assert done.status == Status.RETURNED and done.verdict == Verdict.ACCEPTED
        # No reconciler here: the worker gives the submission back as soon as a horse dies.
        worker.wait_for(lambda: _final(poison.pk), 30, "the poison file to end")
        elapsed = time.monotonic() - started
        later = _receive(cast.integration_b, large_file(7), "after.csv")
        after = worker.wait_for(lambda: _final(later.pk), 60, "a file after the poison")
        assert worker.output().count("Work-horse terminated unexpectedly") == 3

    poison.refresh_from_db()
    assert poison.status == Status.FAILED and poison.verdict is None
    assert poison.attempts == lifecycle.max_attempts() == 3
    assert "3" in poison.failure_reason
    item = ErrorItem.objects.get(kind="failure")
    assert item.last_submission == poison and item.occurrences == 1
    assert after.status == Status.RETURNED and after.rows == 7
    assert max(Submission.objects.get(pk=s.pk).returned_at for s in fine) < poison.failed_at
    assert not StoredRecord.objects.filter(submission_id=poison.pk).exists()
    print(f"poison file failed after 3 killed horses in {elapsed:.1f} s")
