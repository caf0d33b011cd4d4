from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HelpdeskConfig(AppConfig):
    name = "helpdesk"
    verbose_name = _("Help desk")

    def ready(self) -> None:
        from console.personal import mask_on_save
        from helpdesk.models import ErrorComment, ErrorItem, ErrorOccurrence

        mask_on_save(ErrorItem, "title")
        mask_on_save(ErrorOccurrence, "detail")
        mask_on_save(ErrorComment, "text")
