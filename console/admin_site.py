from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _

from console.access import is_operator


class ConsoleAdminSite(admin.AdminSite):
    site_header = _("PMH onboarding console administration")
    site_title = _("PMH administration")

    def has_permission(self, request) -> bool:
        # Only operators: a help-desk account flagged is_staff by mistake still stays out.
        return super().has_permission(request) and is_operator(request.user)


class ConsoleAdminConfig(AdminConfig):
    default_site = "console.admin_site.ConsoleAdminSite"
