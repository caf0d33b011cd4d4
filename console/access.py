"""Roles of the console (console.md §5) and the decorators views use to require them.

Which objects a user may see is decided per model by the access helper of its app
(`onboarding.access`, …); this module only answers "what role does this user have".
"""

from collections.abc import Callable
from enum import StrEnum
from functools import wraps

from django.core.exceptions import PermissionDenied


class Role(StrEnum):
    OPERATOR = "operator"
    HELPDESK = "helpdesk"
    VENDOR = "vendor"
    MUNICIPALITY = "municipality"


_ROLE_ORDER = (Role.OPERATOR, Role.HELPDESK, Role.VENDOR, Role.MUNICIPALITY)


def role_of(user) -> Role | None:
    """The user's role, cached on the user object for the request."""
    if not user.is_authenticated:
        return None
    if not hasattr(user, "_pmh_role"):
        names = set(user.groups.values_list("name", flat=True))
        role = next((r for r in _ROLE_ORDER if r.value in names), None)
        # A vendor user without a vendor would see everything a vendor's filter lets through.
        if role is Role.VENDOR and user.vendor_id is None:
            role = None
        # Likewise a municipal user must be tied to its one municipality.
        if role is Role.MUNICIPALITY and user.municipality_id is None:
            role = None
        user._pmh_role = role
    return user._pmh_role


def is_operator(user) -> bool:
    return role_of(user) is Role.OPERATOR


def is_staff_role(user) -> bool:
    """Operators and the help desk: they see every municipality's data."""
    return role_of(user) in (Role.OPERATOR, Role.HELPDESK)


def is_vendor(user) -> bool:
    return role_of(user) is Role.VENDOR


def is_municipal(user) -> bool:
    return role_of(user) is Role.MUNICIPALITY


def role_required(*roles: Role) -> Callable:
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if role_of(request.user) not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


any_role = role_required(*_ROLE_ORDER)
staff_required = role_required(Role.OPERATOR, Role.HELPDESK)
operator_required = role_required(Role.OPERATOR)
