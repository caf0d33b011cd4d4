"""Background jobs of submissions: they take ids and call a service."""

from uploads import services, teststore


def process_submission(submission_id: int) -> None:
    services.submission_process(submission_id=submission_id)


def deliver_submission(submission_id: int) -> None:
    services.submission_deliver(submission_id=submission_id)


def reconcile_sweep() -> dict:
    done = services.submissions_reconcile()
    return {name: len(ids) for name, ids in vars(done).items()}


def retention_sweep() -> int:
    """Received bytes past retention, then the test stores without a recent submission."""
    return services.files_purge() + teststore.stores_purge()
