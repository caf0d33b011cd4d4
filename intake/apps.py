from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = _("Remote channels")

    def ready(self) -> None:
        from intake import channels
        from uploads import hooks

        hooks.set_channel_deliverer(channels.deliverer_for)
