"""Periodic work of the onboarding registry (console/schedule.py)."""

from console.schedule import periodic
from onboarding import services


@periodic("stuck_digest", seconds=3600, timeout=900)
def stuck_digest() -> int:
    """Hourly check, daily mail: the first run of each day sends the stuck digests."""
    run = services.stuck_digest_send()
    return run.recipients if run else 0
