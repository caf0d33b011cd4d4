"""Periodic work: one list, run by RQ's cron scheduler (`manage.py rqcron console.cron`) in
production and by `manage.py run_periodic` in the embedded mode."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Periodic:
    name: str
    func: str  # dotted path of a function that takes no arguments
    seconds: int
    queue: str = "default"
    timeout: int = 300


PERIODIC: list[Periodic] = [
    Periodic("clear_sessions", "console.tasks.clear_expired_sessions", 3600),
    Periodic("clear_login_attempts", "console.tasks.clear_old_login_attempts", 3600),
    Periodic("probe_due", "connectivity.jobs.probe_due_sweep", 60, "probes", 290),
    Periodic("probe_retention", "connectivity.jobs.results_maintain", 3600, "probes", 1800),
]
