"""Read-only queries other apps build on (the dashboard's late-upload watch, console.md §1)."""

from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from onboarding.models import Stage
from uploads.models import Submission, Verdict


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The day in the console's time zone (Asia/Tokyo) as an aware [start, end) range."""
    tz = timezone.get_default_timezone()
    start = timezone.make_aware(datetime.combine(day, time.min), tz)
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min), tz)
    return start, end


def late_integrations(integrations: QuerySet, *, today: date) -> QuerySet:
    """Integrations in production (`live`) with no accepted submission received on `today`."""
    start, end = day_bounds(today)
    accepted_today = Submission.objects.filter(
        integration=OuterRef("pk"),
        verdict=Verdict.ACCEPTED,
        received_at__gte=start,
        received_at__lt=end,
    )
    return integrations.filter(stage=Stage.LIVE).filter(~Exists(accepted_today))
