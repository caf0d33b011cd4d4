from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = _("Remote channels")

    def ready(self) -> None:
        from intake import channels
        from uploads import hooks

        hooks.set_channel_deliverer(channels.deliverer_for)
        from intake.mail.deliver import deliver_failed

        hooks.add_problem_reporter(deliver_failed)

        from console.personal import mask_on_save
        from intake.models import MailItem, MailMessage

        mask_on_save(MailMessage, "subject", "notes")
        mask_on_save(MailItem, "filename")
