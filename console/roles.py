"""The four groups of console.md §5 and the model permissions each one holds.

Views decide access through console.access and the apps' access helpers; these permissions
serve the Django admin (operators only) and make the roles visible there.
"""

from django.apps import apps
from django.contrib.auth.models import Group, Permission

from console.access import Role

_APPS = ("onboarding", "uploads", "connectivity")


def ensure_groups(**kwargs) -> None:
    perms = Permission.objects.filter(content_type__app_label__in=_APPS)
    view_perms = perms.filter(codename__startswith="view_")
    wanted = {
        Role.OPERATOR: perms,
        Role.HELPDESK: view_perms,
        Role.VENDOR: view_perms.none(),
        Role.MUNICIPALITY: view_perms.none(),
    }
    for role, granted in wanted.items():
        group, _ = Group.objects.get_or_create(name=role.value)
        group.permissions.set(granted)


def connect() -> None:
    from django.db.models.signals import post_migrate

    post_migrate.connect(ensure_groups, sender=apps.get_app_config("console"))
