from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HelpdeskConfig(AppConfig):
    name = "helpdesk"
    verbose_name = _("Help desk")

    def ready(self) -> None:
        from helpdesk.services import (
            error_item_record,
            error_item_record_submission,
            error_items_resolve_for_submission,
        )
        from intake import hooks as intake_hooks
        from uploads import hooks as uploads_hooks

        uploads_hooks.add_problem_reporter(error_item_record_submission)
        uploads_hooks.add_acceptance_listener(error_items_resolve_for_submission)
        intake_hooks.add_refusal_reporter(error_item_record)

        from console.personal import mask_on_save
        from helpdesk.models import ErrorComment, ErrorItem, ErrorOccurrence

        mask_on_save(ErrorItem, "title")
        mask_on_save(ErrorOccurrence, "detail")
        mask_on_save(ErrorComment, "text")
