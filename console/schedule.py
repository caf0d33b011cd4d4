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
    Periodic("submissions_reconcile", "uploads.jobs.reconcile_sweep", 60, "default", 120),
    Periodic("submission_retention", "uploads.jobs.retention_sweep", 3600, "default", 1800),
    Periodic(
        "layout_diagnosis_retention", "uploads.mappings.diagnosis_retention_sweep", 3600, "default"
    ),
    Periodic("probe_due", "connectivity.jobs.probe_due_sweep", 60, "probes", 900),
    Periodic("intake_folder", "intake.jobs.folder_sweep", 10, "intake", 600),
    Periodic("intake_mail", "intake.jobs.mail_poll", 60, "intake", 600),
    Periodic("probe_retention", "connectivity.jobs.results_maintain", 3600, "probes", 1800),
]
