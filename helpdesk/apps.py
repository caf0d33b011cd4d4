from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HelpdeskConfig(AppConfig):
    name = "helpdesk"
    verbose_name = _("Help desk")

    def ready(self) -> None:
        from helpdesk.services import error_item_record, error_item_record_submission
        from intake import hooks as intake_hooks
        from uploads import hooks as uploads_hooks

        uploads_hooks.add_problem_reporter(error_item_record_submission)
        intake_hooks.add_refusal_reporter(error_item_record)
