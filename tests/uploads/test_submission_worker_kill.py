"""A real RQ worker killed with SIGKILL in the middle of a large file (needs PostgreSQL + Redis).

Under CI (CI=true) a missing service fails the test; locally it is skipped.
"""

import datetime as dt
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from uploads import services
from uploads.lib.validation import samples
from uploads.models import Status, StoredRecord, Submission, Verdict

ROOT = Path(__file__).resolve().parents[2]
ROWS = 150_000

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _require_services():
    missing = []
    if connection.vendor != "postgresql":
        missing.append("PostgreSQL (DATABASE_URL)")
    if not settings.REDIS_URL:
        missing.append("Redis (REDIS_URL)")
    else:
        import django_rq

        try:
            django_rq.get_connection("validation").ping()
        except Exception:
            missing.append(f"Redis at {settings.REDIS_URL}")
    if missing:
        message = "needs " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _large_file(rows: int) -> bytes:
    """Distinct valid records fast: one sample row, its history key numbered."""
    header, line = samples.csv_bytes(samples.records(1)).decode().splitlines()[:2]
    assert "H00000000" in line
    head, tail = line.split("H00000000")
    body = "\r\n".join(f"{head}H{i:08d}{tail}" for i in range(rows))
    return f"{header}\r\n{body}\r\n".encode()


def _wait(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _worker_env(tmp_path) -> dict:
    db = connection.settings_dict
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "PMH_STORAGE_ROOT": str(settings.PMH_STORAGE_ROOT),
        "SECRET_KEY": "worker-kill-test-" + "k" * 40,
        "PYTHONUNBUFFERED": "1",
    }


def test_a_worker_killed_mid_file_leaves_nothing_half_done(cast, settings, tmp_path):
    _require_services()
    import django_rq
    from rq import SimpleWorker

    settings.PMH_JOBS_MODE = "rq"
    redis = django_rq.get_connection("validation")
    redis.flushdb()
    submission = services.submission_receive(
        integration=cast.integration_a,
        channel="web",
        original_name="large.csv",
        stream=io.BytesIO(_large_file(ROWS)),
        sender="alice",
    )
    assert django_rq.get_queue("validation").count == 1

    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "rqworker", "validation", "--worker-ttl", "30"],
        cwd=ROOT,
        env=_worker_env(tmp_path),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        try:
            _wait(
                lambda: (
                    worker.poll() is not None
                    or Submission.objects.filter(
                        pk=submission.pk, status=Status.VALIDATING, progress_bytes__gt=0
                    ).exists()
                ),
                60,
                "the worker to be in the middle of the file",
            )
        except AssertionError as exc:
            log.flush()
            output = (tmp_path / "worker.log").read_text(errors="replace")[-3000:]
            raise AssertionError(f"{exc}; worker output:\n{output}") from None
        assert worker.poll() is None, "the worker stopped by itself"
        os.killpg(worker.pid, signal.SIGKILL)  # the worker and its work horse, kill -9
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        log.close()

    submission.refresh_from_db()
    assert submission.status == Status.VALIDATING
    assert 0 < submission.progress_bytes < submission.size
    assert submission.verdict is None and submission.attempts == 1
    assert not StoredRecord.objects.exists()

    later = timezone.now() + dt.timedelta(hours=1)  # the lease has run out by then
    done = services.submissions_reconcile(now=later)
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
