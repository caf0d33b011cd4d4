"""Shared by the fault tests: the real services, large files, and real `rqworker` processes.

Under CI (CI=true) a missing service fails the test; locally it is skipped.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from django.conf import settings
from django.db import connection

from uploads import lifecycle
from uploads.lib.validation import samples

ROOT = Path(__file__).resolve().parents[2]
FINAL = ("returned", "review", "failed")


def require_services() -> None:
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


def large_file(rows: int, *, warnings: int = 0) -> bytes:
    """Distinct valid records fast: one sample row, its history key numbered.

    The first ``warnings`` rows carry a My Number with a wrong check digit, a warning (not an
    error) for an integration with ``mynumber_check_warning``.
    """
    header, line = samples.csv_bytes(samples.records(1)).decode().splitlines()[:2]
    assert "H00000000" in line
    head, tail = line.split("H00000000")
    number = head.split(",")[1]
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    warned = head.replace(f",{number},", f",{wrong},", 1)
    body = "\r\n".join(f"{warned if i < warnings else head}H{i:08d}{tail}" for i in range(rows))
    return f"{header}\r\n{body}\r\n".encode()


def queue_large_file(integration, settings, rows: int):
    """A large file received through the web and queued on a clean RQ validation queue."""
    require_services()
    import django_rq

    settings.PMH_JOBS_MODE = "rq"
    redis = django_rq.get_connection("validation")
    redis.flushdb()
    submission = lifecycle.submission_receive(
        integration=integration,
        channel="web",
        original_name="large.csv",
        stream=io.BytesIO(large_file(rows)),
        sender="alice",
    )
    assert django_rq.get_queue("validation").count == 1
    return submission, redis


def wait(predicate, seconds: float, what: str, *, on_timeout=None):
    """Poll ``predicate`` until it returns something true, or fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    detail = f"\n{on_timeout()}" if on_timeout else ""
    raise AssertionError(f"timed out after {seconds} s waiting for {what}{detail}")


def database_url(**override) -> str:
    db = {**connection.settings_dict, **override}
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_env(**extra: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "PMH_STORAGE_ROOT": str(settings.PMH_STORAGE_ROOT),
        "PMH_DROPBOX_ROOT": str(settings.PMH_DROPBOX_ROOT),
        "SECRET_KEY": "worker-fault-test-" + "k" * 40,
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


class RQWorker:
    """A real ``manage.py rqworker`` in its own session, so that kill -9 can take the parent
    and its work horse together; its output goes to a log shown when a wait fails."""

    def __init__(self, log: Path, *queues: str, env: dict | None = None, argv=None):
        self.log_path = log
        self._log = open(log, "wb")  # noqa: SIM115 (closed in stop())
        command = argv or [sys.executable, "manage.py", "rqworker", *queues, "--worker-ttl", "30"]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env or worker_env(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def horses(self) -> list[psutil.Process]:
        """The work horse and what it started (RQ puts the horse in a process group of its
        own, so killing the worker's group alone would leave it running as an orphan)."""
        try:
            return psutil.Process(self.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def output(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def wait_for(self, predicate, seconds: float, what: str):
        """Like ``wait``, but fails at once (with the output) if the worker stops by itself."""

        def check():
            if not self.alive():
                raise AssertionError(f"the worker stopped by itself:\n{self.output()}")
            return predicate()

        return wait(check, seconds, what, on_timeout=lambda: f"worker output:\n{self.output()}")

    def kill(self) -> None:
        """kill -9 of the whole worker: the rqworker parent and its work horse."""
        horses = self.horses()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        for horse in horses:
            with contextlib.suppress(psutil.NoSuchProcess):
                horse.kill()
        self.process.wait(timeout=10)
        psutil.wait_procs(horses, timeout=10)

    def kill_horse(self) -> list[psutil.Process]:
        """kill -9 of the work horse alone (the OOM killer's way); the parent lives on.
        Returns the horse and the processes it had started."""
        (horse,) = [p for p in self.horses() if p.ppid() == self.pid]
        started = horse.children(recursive=True)
        horse.kill()
        horse.wait(timeout=10)
        return [horse, *started]

    def stop(self) -> None:
        if self.alive():
            self.kill()
        self._log.close()

    def __enter__(self) -> RQWorker:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
