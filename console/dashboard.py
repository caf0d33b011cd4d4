"""The figures of the dashboard, each scoped through the access helpers."""

from django.db.models import Count
from django.utils import timezone

from onboarding.access import integrations_for, municipalities_for
from onboarding.models import Stage
from uploads.selectors import late_integrations

LATE_SHOWN = 20


def context_for(user) -> dict:
    integrations = integrations_for(user)
    by_stage = dict(
        integrations.order_by()
        .values_list("stage")
        .annotate(n=Count("id"))
        .values_list("stage", "n")
    )
    stages = [
        {"value": value, "label": label, "count": by_stage.get(value, 0)}
        for value, label in Stage.choices
    ]
    late = late_integrations(integrations, today=timezone.localdate()).order_by(
        "municipality__code"
    )
    return {
        "late": late[:LATE_SHOWN],
        "late_count": late.count(),
        "municipality_count": municipalities_for(user).count(),
        "integration_count": sum(by_stage.values()),
        "live_count": by_stage.get(Stage.LIVE, 0),
        "stages": stages,
    }
