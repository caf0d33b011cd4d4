from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from console.access import Role, role_of

ALL = {Role.OPERATOR, Role.HELPDESK, Role.VENDOR, Role.MUNICIPALITY}

# (label, url name, roles that see it); pages of later apps join this list as they land.
NAVIGATION = [
    (_("Dashboard"), "dashboard:dashboard", ALL),
    (_("Municipalities"), "onboarding:municipality_list", ALL),
    (_("Onboarding board"), "onboarding:board", ALL),
    (_("Integrations"), "onboarding:integration_list", ALL),
    (_("Prefectures"), "onboarding:prefectures", ALL),
    (_("Vendors"), "onboarding:vendor_list", {Role.OPERATOR, Role.HELPDESK}),
    (_("Scorecards"), "dashboard:scorecards", {Role.OPERATOR, Role.HELPDESK, Role.VENDOR}),
    (_("Review queue"), "uploads:review_queue", {Role.OPERATOR, Role.HELPDESK}),
    (_("Submission history"), "helpdesk:history", ALL),
    (_("Error queue"), "helpdesk:queue", {Role.OPERATOR, Role.HELPDESK}),
    (_("Reachability"), "connectivity:overview", ALL),
]
ADMIN_NAVIGATION = [
    (_("Administration"), "admin:index", {Role.OPERATOR}),
    (_("Job queues"), "django_rq:home", {Role.OPERATOR}),
    (_("Audit record"), "dashboard:audit", {Role.OPERATOR}),
]


def navigation(request):
    role = role_of(getattr(request, "user", None)) if hasattr(request, "user") else None
    if role is None:
        return {"nav_items": [], "nav_admin_items": [], "user_role": None}
    path = request.path

    def items(entries):
        out = []
        for label, name, roles in entries:
            if role in roles:
                url = reverse(name)
                active = path == url or (url != "/" and path.startswith(url))
                out.append({"label": label, "url": url, "active": active})
        return out

    return {
        "nav_items": items(NAVIGATION),
        "nav_admin_items": items(ADMIN_NAVIGATION),
        "user_role": role.value,
    }
