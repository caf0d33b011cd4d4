from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = _("Remote channels")

    def ready(self) -> None:
        from intake import deliverers  # noqa: F401 (registers the folder, mail and media ones)
