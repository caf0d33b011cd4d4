"""PostgreSQL restarted while a worker validates a file (issue #11).

The worker runs against a throwaway cluster holding a copy of the test database, so the shared
PostgreSQL is never restarted; the test reads the outcome from that cluster.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.faults.postgres import free_port
from tests.faults.workers import RQWorker, queue_large_file, wait, worker_env

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROWS = 100_000


@pytest.mark.parametrize("mode", ["fast", "immediate"])  # sessions closed; a crash
def test_postgres_restarted_mid_job_retries_it_with_the_right_counts(
    cast, settings, tmp_path, throwaway_postgres, mode
):
    submission, redis = queue_large_file(cast.integration_a, settings, ROWS)
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


def test_the_web_reconnects_after_a_postgres_restart(tmp_path, throwaway_postgres):
    """A kept connection is checked before reuse: the first request after a restart succeeds."""
    pg = throwaway_postgres
    port = free_port()
    env = worker_env(DATABASE_URL=pg.url("postgres"), DEBUG="0", ALLOWED_HOSTS="127.0.0.1")
    env.pop("REDIS_URL", None)
    command = [
        str(Path(sys.executable).with_name("gunicorn")), "pmhadmin.wsgi", "-w", "1",
        "-b", f"127.0.0.1:{port}", "--log-level", "warning",
    ]  # fmt: skip
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(command, env=env, stdout=log, stderr=log, start_new_session=True)

    def health():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:  # noqa: S310
                return r.status, json.load(r)["database"]
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)["database"]

    def up():
        with contextlib.suppress(OSError):
            return health()
        return None

    try:
        assert wait(up, 30, "gunicorn to answer") == (200, "ok")
        pg.restart("fast")  # the worker's kept connection is now dead
        assert health() == (200, "ok")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
