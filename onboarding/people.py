"""People of the console (issue 18.10): operators invite users of every role but their own,
send a new password-setting link and deactivate them, here rather than in the Django admin.

An invited user has no usable password; the mailed link (Django's password-reset token) dies
once used, and also when the password changes or the user signs in.
"""

from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from console.access import Role, is_operator
from onboarding.models import Municipality, User, Vendor

ROLE_LABELS = {
    Role.OPERATOR: gettext_lazy("Operator"),
    Role.HELPDESK: gettext_lazy("Help desk"),
    Role.VENDOR: gettext_lazy("Vendor staff"),
    Role.MUNICIPALITY: gettext_lazy("Municipal staff"),
}
# Operators are made by the deployment (createsuperuser), not invited from the console.
INVITABLE = (Role.HELPDESK, Role.VENDOR, Role.MUNICIPALITY)


def users_for(user) -> QuerySet[User]:
    """The access helper of users: operators manage everyone, nobody else anyone."""
    if not is_operator(user):
        return User.objects.none()
    return User.objects.select_related("vendor", "municipality").prefetch_related("groups")


def role_label(user: User) -> str:
    names = {g.name for g in user.groups.all()}
    for role, label in ROLE_LABELS.items():
        if role.value in names:
            return str(label)
    return _("No role")


def _link(user: User, site_url: str) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return site_url + reverse("password_set", args=[uid, default_token_generator.make_token(user)])


def _mail(user: User, kind: str, context: dict) -> None:
    subject = render_to_string(f"emails/user-{kind}-subject.txt", context).strip()
    body = render_to_string(f"emails/user-{kind}-body.txt", context)
    email = user.email
    transaction.on_commit(lambda: send_mail(subject, body, None, [email]))


@transaction.atomic
def user_invite(
    *,
    role: Role,
    username: str,
    email: str,
    by,
    site_url: str,
    vendor: Vendor | None = None,
    municipality: Municipality | None = None,
) -> User:
    """Create a user of `role` without a password and mail it a one-time link to set one."""
    if role not in INVITABLE:
        raise ValidationError({"role": _("This role cannot be invited.")})
    if role is Role.VENDOR and vendor is None:
        raise ValidationError({"vendor": _("A vendor user needs its vendor.")})
    if role is Role.MUNICIPALITY and municipality is None:
        raise ValidationError({"municipality": _("A municipal user needs its municipality.")})
    user = User.objects.create_user(
        username=username,
        email=email,
        vendor=vendor if role is Role.VENDOR else None,
        municipality=municipality if role is Role.MUNICIPALITY else None,
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])
    user.groups.add(Group.objects.get_or_create(name=role.value)[0])
    context = {
        "user": user,
        "role": ROLE_LABELS[role],
        "place": municipality or vendor or "",
        "link": _link(user, site_url),
        "by": by,
    }
    _mail(user, "invite", context)
    return user


@transaction.atomic
def user_send_reset(*, user: User, by, site_url: str) -> None:
    """Mail a new link to set the password; the current password keeps working until then."""
    if not user.is_active or not user.email:
        raise ValidationError(_("Only an active user with an e-mail address gets a link."))
    _mail(user, "reset", {"user": user, "link": _link(user, site_url), "by": by})


@transaction.atomic
def user_set_active(*, user: User, active: bool, by) -> bool:
    """Deactivate (the user's sessions stop working at once: Django checks is_active on every
    request) or reactivate. Nobody deactivates themself. True when something changed."""
    if user.pk == by.pk and not active:
        raise ValidationError(_("You cannot deactivate yourself."))
    return bool(User.objects.filter(pk=user.pk, is_active=not active).update(is_active=active))
