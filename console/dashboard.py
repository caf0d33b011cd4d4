"""The figures of the dashboard, each scoped through the access helpers."""

from django.db.models import Count

from onboarding.access import integrations_for, municipalities_for
from onboarding.models import Stage


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
    return {
        "municipality_count": municipalities_for(user).count(),
        "integration_count": sum(by_stage.values()),
        "live_count": by_stage.get(Stage.LIVE, 0),
        "stages": stages,
    }
