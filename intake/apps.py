from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = _("Remote channels")

    def ready(self) -> None:
        from console.personal import mask_on_save
        from intake import deliverers  # noqa: F401 (registers the folder, mail and media ones)
        from intake.models import MailItem, MailMessage

        mask_on_save(MailMessage, "subject", "notes")
        mask_on_save(MailItem, "filename")
