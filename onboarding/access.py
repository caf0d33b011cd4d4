"""What each user may see of municipalities, vendors and integrations (console.md §5).

Every view and export reaches these models through the functions here; vendor scoping is
decided in this module only, and so is a municipal user's (its one municipality's integrations,
whatever their vendor; no vendor page). An object outside a user's scope is a 404, never a 403,
so that nothing tells a vendor or a municipality whether another one's object exists.
"""

from django.db.models import QuerySet
from django.http import Http404

from console.access import Role, role_of
from onboarding.models import Integration, Municipality, Vendor


def integrations_for(user, *, retired: bool = False) -> QuerySet[Integration]:
    """Lists hide retired integrations; `retired=True` keeps them (their page, history)."""
    role = role_of(user)
    manager = Integration.all_objects if retired else Integration.objects
    qs = manager.select_related("municipality", "vendor")
    if role in (Role.OPERATOR, Role.HELPDESK):
        return qs
    if role is Role.VENDOR:
        return qs.filter(vendor_id=user.vendor_id)
    if role is Role.MUNICIPALITY:
        return qs.filter(municipality_id=user.municipality_id)
    return qs.none()


def municipalities_for(user) -> QuerySet[Municipality]:
    role = role_of(user)
    if role in (Role.OPERATOR, Role.HELPDESK):
        return Municipality.objects.all()
    if role is Role.VENDOR:
        return Municipality.objects.filter(integrations__vendor_id=user.vendor_id).distinct()
    if role is Role.MUNICIPALITY:
        return Municipality.objects.filter(pk=user.municipality_id)
    return Municipality.objects.none()


def vendors_for(user) -> QuerySet[Vendor]:
    role = role_of(user)
    if role in (Role.OPERATOR, Role.HELPDESK):
        return Vendor.objects.all()
    if role is Role.VENDOR:
        return Vendor.objects.filter(pk=user.vendor_id)
    return Vendor.objects.none()


def can_edit_contacts(user) -> bool:
    return role_of(user) in (Role.OPERATOR, Role.VENDOR, Role.MUNICIPALITY)


def can_manage_tokens(user) -> bool:
    """Operators for every vendor, vendor staff for their own (issue 18.11)."""
    return role_of(user) in (Role.OPERATOR, Role.VENDOR)


def _get(qs: QuerySet, **lookup):
    try:
        return qs.get(**lookup)
    except qs.model.DoesNotExist:
        raise Http404 from None


def get_integration_for_user(user, pk: int) -> Integration:
    return _get(integrations_for(user, retired=True), pk=pk)


def get_municipality_for_user(user, code: str) -> Municipality:
    return _get(municipalities_for(user), code=code)


def get_vendor_for_user(user, slug: str) -> Vendor:
    return _get(vendors_for(user), slug=slug)
