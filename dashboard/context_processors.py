from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from console.access import Role, role_of
from console.tables import PAGE_SIZES
from helpdesk.models import ErrorItem, State
from uploads.models import Status, Submission

ALL = {Role.OPERATOR, Role.HELPDESK, Role.VENDOR, Role.MUNICIPALITY}

# (label, url name, roles that see it); pages of later apps join this list as they land.
NAVIGATION = [
    (_("My integrations"), "dashboard:vendor_home", {Role.VENDOR}),
    (_("Dashboard"), "dashboard:dashboard", ALL),
    (_("Municipalities"), "onboarding:municipality_list", ALL),
    (_("Onboarding board"), "onboarding:board", ALL),
    (_("Integrations"), "onboarding:integration_list", ALL),
    # The national chart is PMH's view of the country, not a vendor's (issue 18.11).
    (_("Prefectures"), "onboarding:prefectures", {Role.OPERATOR, Role.HELPDESK, Role.MUNICIPALITY}),
    (_("Vendors"), "onboarding:vendor_list", {Role.OPERATOR, Role.HELPDESK}),
    (_("Scorecards"), "dashboard:scorecards", {Role.OPERATOR, Role.HELPDESK, Role.VENDOR}),
    (_("Review queue"), "uploads:review_queue", {Role.OPERATOR, Role.HELPDESK}),
    (_("Submission history"), "helpdesk:history", ALL),
    (_("Error queue"), "helpdesk:queue", {Role.OPERATOR, Role.HELPDESK}),
    (_("Reachability"), "connectivity:overview", ALL),
]
ADMIN_NAVIGATION = [
    (_("People"), "onboarding:user_list", {Role.OPERATOR}),
    (_("Administration"), "admin:index", {Role.OPERATOR}),
    (_("Job queues"), "django_rq:home", {Role.OPERATOR}),
    (_("Audit record"), "dashboard:audit", {Role.OPERATOR}),
]


def _waiting_for_review() -> int:
    return Submission.objects.filter(status=Status.REVIEW).count()


def _open_errors() -> int:
    return ErrorItem.objects.exclude(state=State.RESOLVED).count()


# Counts shown beside a navigation entry (issue 18 point 14): one COUNT query each, only for
# the roles that see the entry.
COUNTS = {"uploads:review_queue": _waiting_for_review, "helpdesk:queue": _open_errors}


def navigation(request):
    role = role_of(getattr(request, "user", None)) if hasattr(request, "user") else None
    if role is None:
        return {"nav_items": [], "nav_admin_items": [], "user_role": None, "page_sizes": PAGE_SIZES}
    path = request.path

    def items(entries):
        out = []
        for label, name, roles in entries:
            if role in roles:
                url = reverse(name)
                active = path == url or (url != "/" and path.startswith(url))
                count = COUNTS[name]() if name in COUNTS else None
                out.append({"label": label, "url": url, "active": active, "count": count})
        return out

    return {
        "nav_items": items(NAVIGATION),
        "nav_admin_items": items(ADMIN_NAVIGATION),
        "user_role": role.value,
        "page_sizes": PAGE_SIZES,
    }
