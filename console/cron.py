"""rqcron configuration: `python manage.py rqcron console.cron` (run exactly one per Redis)."""

from django.utils.module_loading import import_string
from rq import cron

from console.schedule import periodic_jobs

for task in periodic_jobs():
    cron.register(
        import_string(task.func),
        queue_name=task.queue,
        interval=task.seconds,
        job_timeout=task.timeout,
        name=task.name,
    )
