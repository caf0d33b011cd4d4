from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from console.access import is_operator


class ConsoleAdminSite(admin.AdminSite):
    site_header = _("PMH onboarding console administration")
    site_title = _("PMH administration")

    def has_permission(self, request) -> bool:
        # Only operators: a help-desk account flagged is_staff by mistake still stays out.
        return super().has_permission(request) and is_operator(request.user)

    def admin_view(self, view, cacheable=False):
        wrapped = super().admin_view(view, cacheable)

        def inner(request, *args, **kwargs):
            # A signed-in user without the right would be sent to the sign-in page, which sends
            # a signed-in user back here: answer 403 instead of that endless loop.
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied
            return wrapped(request, *args, **kwargs)

        return inner


class ConsoleAdminConfig(AdminConfig):
    default_site = "console.admin_site.ConsoleAdminSite"
