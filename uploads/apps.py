from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UploadsConfig(AppConfig):
    name = "uploads"
    verbose_name = _("Submissions")

    def ready(self) -> None:
        from console import workers
        from console.personal import mask_on_save
        from onboarding import evidence
        from uploads import lifecycle, services, teststore  # noqa: F401 (teststore: its signal)
        from uploads.models import FileDeletion, Status, Submission

        mask_on_save(Submission, "original_name", "review_comment")
        mask_on_save(FileDeletion, "original_name")

        evidence.register(
            evidence.TESTS,
            lambda *, integration, now: services.test_evidence(integration=integration),
        )
        evidence.register(
            evidence.HELD,
            lambda *, integration, now: services.Evidence(
                integration.submissions.filter(status=Status.REVIEW).exists(), []
            ),
        )
        workers.on_horse_killed(
            "uploads.jobs.process_submission",
            lambda job: lifecycle.submission_horse_killed(submission_id=job.args[0], job_id=job.id),
        )
