from django.contrib import admin
from django.contrib.admin.apps import AdminConfig

from console.access import is_operator


class ConsoleAdminSite(admin.AdminSite):
    site_header = "PMH オンボーディングコンソール 管理"
    site_title = "PMH 管理"

    def has_permission(self, request) -> bool:
        # Only operators: a help-desk account flagged is_staff by mistake still stays out.
        return super().has_permission(request) and is_operator(request.user)


class ConsoleAdminConfig(AdminConfig):
    default_site = "console.admin_site.ConsoleAdminSite"
