import threading

import pytest
from django.apps import apps
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
    console = apps.get_app_config("console")
    console.executor().submit(lambda: None).result(timeout=10)  # the pool runs in order
    console.executor().shutdown(wait=True)
    console._executor = None
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


@pytest.mark.django_db(transaction=True)
def test_inline_jobs_runs_the_block_s_jobs_here_without_changing_settings(settings):
    settings.PMH_JOBS_MODE = None
    settings.PMH_JOBS_INLINE = True
    with jobs.inline_jobs():
        assert jobs.jobs_mode() == "sync"
        jobs.enqueue("default", record, 4)
    assert settings.PMH_JOBS_MODE is None and jobs.jobs_mode() == "thread"
    assert CALLS[0][0] == (4,) and CALLS[0][2] == threading.current_thread().name


@pytest.mark.django_db
def test_run_periodic_once_runs_every_task(monkeypatch):
    only = schedule.Periodic("t", "tests.console.test_jobs.record", 60)
    monkeypatch.setattr(schedule, "_REGISTRY", {"t": only})
    monkeypatch.setattr(schedule, "autodiscover_modules", lambda name: None)
    call_command("run_periodic", "--once")
    assert len(CALLS) == 1


def test_every_app_declares_its_periodic_jobs_in_its_jobs_module():
    declared = {task.name: task.func.split(".")[0] for task in schedule.periodic_jobs()}
    assert declared == {
        "clear_sessions": "console",
        "clear_login_attempts": "console",
        "forget_form_tokens": "console",
        "submissions_reconcile": "uploads",
        "submission_retention": "uploads",
        "layout_diagnosis_retention": "uploads",
        "probe_due": "connectivity",
        "probe_retention": "connectivity",
        "intake_folder": "intake",
        "intake_mail": "intake",
        "stuck_digest": "onboarding",
        "intake_retention": "intake",
    }
    with pytest.raises(ValueError):
        schedule.periodic("intake_folder", seconds=1)(record)


def test_cron_config_registers_every_periodic_task():
    import fakeredis
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=fakeredis.FakeRedis())
    scheduler.load_config_from_file("console.cron")
    registered = {job.name for job in scheduler.get_jobs()}
    assert registered == {task.name for task in schedule.periodic_jobs()}
