from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UploadsConfig(AppConfig):
    name = "uploads"
    verbose_name = _("Submissions")

    def ready(self) -> None:
        from console import workers
        from onboarding import evidence
        from uploads import lifecycle, services

        evidence.register(
            evidence.TESTS,
            lambda *, integration, now: services.test_evidence(integration=integration),
        )
        workers.on_horse_killed(
            "uploads.jobs.process_submission",
            lambda job: lifecycle.submission_horse_killed(submission_id=job.args[0], job_id=job.id),
        )
