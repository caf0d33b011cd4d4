import rq


class ConsoleWorker(rq.Worker):
    """An RQ worker that notices a dead colleague's abandoned job within about a minute.

    RQ's defaults look for abandoned jobs only every 10 minutes; the submission reconciler
    then re-enqueues what the database still shows as waiting.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("maintenance_interval", 10)
        kwargs.setdefault("job_monitoring_interval", 5)
        super().__init__(*args, **kwargs)
