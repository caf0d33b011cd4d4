"""The vendor's home (issue 18.11): its integrations, where to upload, their stage and what
the next gate still needs, in one list."""

from django.utils import timezone
from django.utils.translation import gettext as _

from onboarding import evidence, services
from onboarding.models import Integration, Stage
from uploads.access import can_upload


def _next_gate(integration: Integration, now) -> tuple[Stage | None, list[str]]:
    forward = services.forward_stage(integration)
    if forward is None:
        return None, []
    if (
        forward == Stage.TEST_PASSED
        and evidence.ask(evidence.HELD, integration=integration, now=now)[0]
    ):
        # The gate's reasons could tell the verdict still held in review (issue 17.3).
        return Stage(forward), [_("A result is waiting for review by PMH.")]
    if forward == Stage.LIVE:
        return Stage(forward), [_("PMH confirms the go-live on the day itself.")]
    gate = services.gate(integration=integration, to=forward, now=now)
    return Stage(forward), list(gate.reasons)


def vendor_rows(user, integrations) -> list[dict]:
    now = timezone.now()
    rows = []
    for integration in integrations:
        forward, needs = _next_gate(integration, now)
        rows.append(
            {
                "integration": integration,
                "can_upload": can_upload(user, integration),
                "forward": forward,
                "needs": needs,
                "days": (now - integration.stage_changed_at).days,
            }
        )
    return rows
