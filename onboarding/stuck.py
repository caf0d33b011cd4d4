"""Integrations stuck in their stage: waiting longer than the stage's threshold (issue 22).

The thresholds are the setting `PMH_STUCK_DAYS` (days per stage; 0 = never stuck). The board
highlights stuck cards, the integration list filters them, the dashboard lists them and a daily
job mails their vendor and contacts.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from onboarding.models import Integration, Stage


def thresholds() -> dict[str, int]:
    return {stage: int(settings.PMH_STUCK_DAYS.get(stage, 0)) for stage in Stage.values}


def stuck_q(now: datetime | None = None) -> Q:
    """Integrations past their stage's threshold, as one condition on the database."""
    now = now or timezone.now()
    condition = Q(pk__in=[])
    for stage, days in thresholds().items():
        if days > 0:
            condition |= Q(stage=stage, stage_changed_at__lt=now - timedelta(days=days))
    return condition


def is_stuck(integration: Integration, now: datetime | None = None) -> bool:
    days = thresholds().get(integration.stage, 0)
    now = now or timezone.now()
    return days > 0 and integration.stage_changed_at < now - timedelta(days=days)


def days_waiting(integration: Integration, now: datetime | None = None) -> int:
    return ((now or timezone.now()) - integration.stage_changed_at).days
