from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectivityConfig(AppConfig):
    name = "connectivity"
    verbose_name = _("Reachability")

    def ready(self) -> None:
        from connectivity import services
        from onboarding import evidence

        evidence.register(evidence.NETWORK, services.network_evidence)
