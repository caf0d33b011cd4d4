import threading

import pytest
from django.core.management import call_command
from django.db import transaction

from console import jobs, schedule

CALLS = []


def record(*args, **kwargs):
    CALLS.append((args, kwargs, threading.current_thread().name))


@pytest.fixture(autouse=True)
def _clear():
    CALLS.clear()


@pytest.mark.django_db(transaction=True)
def test_sync_mode_runs_at_commit_not_before(settings):
    settings.PMH_JOBS_MODE = "sync"
    with transaction.atomic():
        jobs.enqueue("default", record, 1, key="v")
        assert CALLS == []
    assert CALLS[0][:2] == ((1,), {"key": "v"})


@pytest.mark.django_db(transaction=True)
def test_thread_mode_runs_in_a_background_thread(settings):
    settings.PMH_JOBS_MODE = "thread"
    jobs.enqueue("default", record, 2)
    jobs._thread_pool().submit(lambda: None).result(timeout=10)  # the pool runs in order
    jobs._thread_pool().shutdown(wait=True)
    jobs._executor = None
    assert CALLS and CALLS[0][0] == (2,) and CALLS[0][2].startswith("pmh-job")


@pytest.mark.django_db(transaction=True)
def test_rq_mode_with_redis_down_does_not_break_the_caller(settings, caplog):
    settings.PMH_JOBS_MODE = "rq"
    settings.RQ_QUEUES = {
        name: {"URL": "redis://127.0.0.1:1/0", "DEFAULT_TIMEOUT": 5} for name in settings.RQ_QUEUES
    }
    with transaction.atomic():
        jobs.enqueue("default", record, 3)
    assert CALLS == []
    assert "reconciler will retry" in caplog.text


@pytest.mark.django_db
def test_run_periodic_once_runs_every_task(monkeypatch):
    monkeypatch.setattr(
        schedule, "PERIODIC", [schedule.Periodic("t", "tests.console.test_jobs.record", 60)]
    )
    monkeypatch.setattr("console.management.commands.run_periodic.PERIODIC", schedule.PERIODIC)
    call_command("run_periodic", "--once")
    assert len(CALLS) == 1


def test_cron_config_registers_every_periodic_task():
    import fakeredis
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=fakeredis.FakeRedis())
    scheduler.load_config_from_file("console.cron")
    registered = {job.name for job in scheduler.get_jobs()}
    assert registered == {task.name for task in schedule.PERIODIC}
