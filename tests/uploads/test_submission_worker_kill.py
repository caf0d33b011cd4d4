"""A real RQ worker killed with SIGKILL in the middle of a large file (needs PostgreSQL + Redis).

Under CI (CI=true) a missing service fails the test; locally it is skipped.
"""

import datetime as dt

import pytest
from django.utils import timezone

from tests.faults.workers import RQWorker, queue_large_file
from uploads import lifecycle
from uploads.models import Status, StoredRecord, Submission, Verdict

ROWS = 150_000

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_a_worker_killed_mid_file_leaves_nothing_half_done(cast, settings, tmp_path):
    import django_rq
    from rq import SimpleWorker

    submission, redis = queue_large_file(cast.integration_a, settings, ROWS)

    with RQWorker(tmp_path / "worker.log", "validation") as worker:
        worker.wait_for(
            lambda: Submission.objects.filter(
                pk=submission.pk, status=Status.VALIDATING, progress_bytes__gt=0
            ).exists(),
            60,
            "the worker to be in the middle of the file",
        )
        worker.kill()  # the worker and its work horse, kill -9

    submission.refresh_from_db()
    assert submission.status == Status.VALIDATING
    assert 0 < submission.progress_bytes < submission.size
    assert submission.verdict is None and submission.attempts == 1
    assert not StoredRecord.objects.exists()

    later = timezone.now() + dt.timedelta(hours=1)  # the lease has run out by then
    done = lifecycle.submissions_reconcile(now=later)
    assert done.requeued == [submission.pk]
    assert django_rq.get_queue("validation").count == 1

    django_rq.get_worker("validation", worker_class=SimpleWorker).work(burst=True)
    submission.refresh_from_db()
    assert submission.status == Status.RETURNED, submission.failure_reason
    assert submission.verdict == Verdict.ACCEPTED
    assert (submission.rows, submission.valid_rows, submission.attempts) == (ROWS, ROWS, 2)
    assert submission.report["diff"] == {
        "added": ROWS,
        "changed": 0,
        "unchanged": 0,
        "removed": 0,
    }
    assert StoredRecord.objects.filter(integration=cast.integration_a).count() == ROWS
    assert submission.issues.count() == 0
    redis.flushdb()
