"""PostgreSQL restarted while a worker validates a file (issue #11).

The worker runs against a throwaway cluster holding a copy of the test database, so the shared
PostgreSQL is never restarted; the test reads the outcome from that cluster.
"""

import io
import time

import pytest

from tests.faults.workers import RQWorker, large_file, require_services, worker_env
from uploads import services

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROWS = 100_000


@pytest.mark.parametrize("mode", ["fast", "immediate"])  # sessions closed; a crash
def test_postgres_restarted_mid_job_retries_it_with_the_right_counts(
    cast, settings, tmp_path, throwaway_postgres, mode
):
    require_services()
    import django_rq

    settings.PMH_JOBS_MODE = "rq"
    redis = django_rq.get_connection("validation")
    redis.flushdb()
    submission = services.submission_receive(
        integration=cast.integration_a,
        channel="web",
        original_name="large.csv",
        stream=io.BytesIO(large_file(ROWS)),
        sender="alice",
    )
    assert django_rq.get_queue("validation").count == 1
    pg = throwaway_postgres
    url = pg.copy_of_test_database()

    def state():
        return pg.query(
            "SELECT status, progress_bytes, attempts FROM uploads_submission WHERE id = %s",
            submission.pk,
        )

    env = worker_env(DATABASE_URL=url, PMH_SUBMISSION_LEASE_SECONDS="30")
    try:
        with RQWorker(tmp_path / "worker.log", "validation", env=env) as worker:
            worker.wait_for(
                lambda: state()[0] == "validating" and 0 < state()[1] < submission.size,
                60,
                "the worker to be in the middle of the file",
            )
            started = time.monotonic()
            pg.restart(mode)  # every session ends, the horse's too
            restarted = time.monotonic() - started
            worker.wait_for(
                lambda: state()[0] in ("returned", "failed"), 60, "a final state after the restart"
            )
            elapsed = time.monotonic() - started
            output = worker.output()
    finally:
        redis.flushdb()

    status, verdict, rows, valid_rows, attempts, reason = pg.query(
        "SELECT status, verdict, rows, valid_rows, attempts, failure_reason "
        "FROM uploads_submission WHERE id = %s",
        submission.pk,
    )
    assert (status, verdict, reason) == ("returned", "accepted", ""), output
    assert (rows, valid_rows, attempts) == (ROWS, ROWS, 2)
    assert pg.query(
        "SELECT count(*), count(DISTINCT key), min(submission_id), max(submission_id) "
        "FROM uploads_storedrecord WHERE integration_id = %s",
        cast.integration_a.pk,
    ) == (ROWS, ROWS, submission.pk, submission.pk)
    assert pg.query("SELECT count(*) FROM helpdesk_erroritem") == (0,)
    assert "given back after the database returned" in output
    print(f"PostgreSQL restart ({mode}) {restarted:.1f} s; final state {elapsed:.1f} s after")
