from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    name = "console"
    verbose_name = _("Console")

    def ready(self) -> None:
        from console import audit, checks, roles  # noqa: F401  (checks register on import)

        roles.connect()
        audit.connect()

        from console.models import AuditRecord
        from console.personal import mask_on_save

        mask_on_save(AuditRecord, "username", "object_repr", "detail")
