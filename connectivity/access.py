"""What each user may see of targets, runs and incidents (console.md §5).

Vendors and municipal users see the targets of their own integrations; targets of PMH itself
(no integration) are for operators and the help desk. Anything else is a 404.
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from connectivity.models import MaintenanceWindow, Probe
from console.access import Role, role_of
from onboarding.access import integrations_for


def probes_for(user) -> QuerySet[Probe]:
    role = role_of(user)
    qs = Probe.objects.select_related("integration__municipality", "integration__vendor")
    if role in (Role.OPERATOR, Role.HELPDESK):
        return qs
    if role in (Role.VENDOR, Role.MUNICIPALITY):
        return qs.filter(integration__in=integrations_for(user).values("pk"))
    return qs.none()


def can_issue_inbound(user) -> bool:
    """Operators, and municipal staff for their own integrations: they call it themselves."""
    return role_of(user) in (Role.OPERATOR, Role.MUNICIPALITY)


def get_probe_for_user(user, pk: int) -> Probe:
    try:
        return probes_for(user).get(pk=pk)
    except Probe.DoesNotExist:
        raise Http404 from None


def maintenance_windows_for(user) -> QuerySet[MaintenanceWindow]:
    role = role_of(user)
    qs = MaintenanceWindow.objects.select_related("integration__municipality", "probe")
    if role in (Role.OPERATOR, Role.HELPDESK):
        return qs
    if role in (Role.VENDOR, Role.MUNICIPALITY):
        own = Q(integration__in=integrations_for(user).values("pk"))
        return qs.filter(own | Q(integration__isnull=True, probe__isnull=True))
    return qs.none()
