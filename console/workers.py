import logging
from collections.abc import Callable

import rq
from django.db import connections

log = logging.getLogger(__name__)

# What to do when the work horse of a job dies, by the job's function name. Filled by the apps
# whose jobs hold a claim that must be given back (uploads: the submission's lease).
_HORSE_KILLED: dict[str, Callable[[rq.job.Job], None]] = {}


def on_horse_killed(func_name: str, handler: Callable[[rq.job.Job], None]) -> None:
    """Register `handler(job)` for the jobs of `func_name` whose work horse dies."""
    _HORSE_KILLED[func_name] = handler


class ConsoleWorker(rq.Worker):
    """An RQ worker that notices a dead colleague's abandoned job within about a minute, and
    gives a job's claim back at once when its own work horse is killed.

    RQ's defaults look for abandoned jobs only every 10 minutes; the submission reconciler
    then re-enqueues what the database still shows as waiting.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("maintenance_interval", 10)
        kwargs.setdefault("job_monitoring_interval", 5)
        kwargs.setdefault("work_horse_killed_handler", work_horse_killed)
        super().__init__(*args, **kwargs)


def work_horse_killed(job, retpid: int, ret_val: int, rusage) -> None:
    """The horse died (OOM killer, kill -9, a crash in C code): its lease cannot be renewed,
    so instead of waiting for it to run out, the job's registered handler gives its claim
    back now, or fails it once every attempt is used up (a file that kills its validator
    every time)."""
    handler = _HORSE_KILLED.get(job.func_name)
    if handler is None:
        return
    try:
        handler(job)
    except Exception:
        log.exception("Could not give back the claim of job %s", job.id)
    finally:
        # The next work horse is forked from this process: it must not inherit a connection.
        connections.close_all()
