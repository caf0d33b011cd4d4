import logging

import rq
from django.db import connections

log = logging.getLogger(__name__)


class ConsoleWorker(rq.Worker):
    """An RQ worker that notices a dead colleague's abandoned job within about a minute, and
    gives a submission back at once when its own work horse is killed.

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
    so instead of waiting for it to run out, the submission goes back to the queue now, or
    fails once every attempt is used up (a file that kills its validator every time)."""
    if job.func_name != "uploads.jobs.process_submission":
        return
    from uploads.lifecycle import submission_horse_killed

    try:
        submission_horse_killed(submission_id=job.args[0], job_id=job.id)
    except Exception:
        log.exception("Could not give back the submission of job %s", job.id)
    finally:
        # The next work horse is forked from this process: it must not inherit a connection.
        connections.close_all()
