"""Who may see which media handovers (console.md §5): through the integration's access helper,
so another vendor's handover is a 404 like the integration itself."""

from django.db.models import QuerySet
from django.http import Http404

from console.access import is_operator
from intake.models import MediaHandover
from onboarding.access import integrations_for


def handovers_for(user) -> QuerySet[MediaHandover]:
    return MediaHandover.objects.filter(integration__in=integrations_for(user)).select_related(
        "integration__municipality", "recorded_by"
    )


def get_handover_for_user(user, pk: int) -> MediaHandover:
    try:
        return handovers_for(user).get(pk=pk)
    except MediaHandover.DoesNotExist:
        raise Http404 from None


def can_record_media(user) -> bool:
    """Operators receive media and import them; the help desk and vendors only read."""
    return is_operator(user)
