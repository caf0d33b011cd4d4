"""Who may see the error queue (console.md §5): operators and the help desk, nobody else."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from console.access import is_operator, is_staff_role
from helpdesk.models import ErrorItem, ReplyTemplate
from onboarding.models import User


def error_items_for(user) -> QuerySet[ErrorItem]:
    if not is_staff_role(user):
        raise PermissionDenied
    return ErrorItem.objects.select_related("integration__municipality", "assignee")


def get_error_item_for_user(user, pk: int) -> ErrorItem:
    try:
        return error_items_for(user).select_related("last_submission").get(pk=pk)
    except ErrorItem.DoesNotExist:
        raise Http404 from None


def get_reply_template_for_operator(user, pk: int) -> ReplyTemplate:
    if not is_operator(user):
        raise PermissionDenied
    try:
        return ReplyTemplate.objects.get(pk=pk)
    except ReplyTemplate.DoesNotExist:
        raise Http404 from None


def assignable_users() -> QuerySet[User]:
    return (
        User.objects.filter(is_active=True, groups__name__in=["operator", "helpdesk"])
        .distinct()
        .order_by("username")
    )
