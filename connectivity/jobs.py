"""Background jobs of the reachability checks: they take ids and call a service."""

from connectivity import services
from console.schedule import periodic


@periodic("probe_due", seconds=60, queue="probes", timeout=900)
def probe_due_sweep() -> int:
    """Periodic: run the due targets (console/schedule.py)."""
    sweep = services.run_due()
    return sweep.targets if sweep else 0


def probe_run(probe_id: int) -> None:
    services.run_target(probe_id)


def incident_notify(incident_id: int, event: str) -> None:
    services.incident_notify(incident_id=incident_id, event=event)


@periodic("probe_retention", seconds=3600, queue="probes", timeout=1800)
def results_maintain() -> dict[str, int]:
    """Periodic: hourly roll-ups and retention of raw runs."""
    return services.results_maintain()
