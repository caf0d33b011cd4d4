"""Background jobs of submissions: they take ids and call the lifecycle (or the validation)."""

from console.schedule import periodic
from uploads import lifecycle, processing, services


def process_submission(submission_id: int) -> None:
    processing.process(submission_id)


def deliver_submission(submission_id: int) -> None:
    lifecycle.submission_deliver(submission_id=submission_id)


@periodic("submissions_reconcile", seconds=60, timeout=120)
def reconcile_sweep() -> dict:
    done = lifecycle.submissions_reconcile()
    return {name: len(ids) for name, ids in vars(done).items()}


@periodic("submission_retention", seconds=3600, timeout=1800)
def retention_sweep() -> int:
    return services.files_purge()
