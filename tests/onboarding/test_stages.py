import datetime as dt

import pytest
from django.utils import timezone

from onboarding import services
from onboarding.models import IntegrationEvent, Stage

pytestmark = pytest.mark.django_db


def _decide(integration, **overrides):
    values = {
        "rework_method": "manual",
        "route": "usb",
        "data_mode": "full",
        "test_access": "offline",
        "data_format": "csv",
        **overrides,
    }
    for key, value in values.items():
        setattr(integration, key, value)
    integration.save()
    return integration


def test_decided_gate_refuses_missing_choices_with_reasons(cast):
    with pytest.raises(services.StageRefused) as refused:
        services.integration_move(
            integration=cast.integration_a, to=Stage.DECIDED, by=cast.operator
        )
    assert any("改修方法" in r for r in refused.value.reasons)
    cast.integration_a.refresh_from_db()
    assert cast.integration_a.stage == Stage.REGISTERED


def test_decided_gate_allows_complete_consistent_choices_and_records_who(cast):
    integration = _decide(cast.integration_a)
    services.integration_move(integration=integration, to=Stage.DECIDED, by=cast.operator)
    integration.refresh_from_db()
    assert integration.stage == Stage.DECIDED
    event = integration.events.filter(kind=IntegrationEvent.Kind.STAGE).first()
    assert (event.old_value, event.new_value, event.by) == ("registered", "decided", cast.operator)


def test_usb_or_offline_skips_the_network_stage(cast):
    integration = _decide(cast.integration_a)
    services.integration_move(integration=integration, to=Stage.DECIDED, by=cast.operator)
    assert services.forward_stage(integration) == Stage.TESTING
    with pytest.raises(services.StageRefused):
        services.integration_move(integration=integration, to=Stage.NETWORK_OK, by=cast.operator)
    services.integration_move(integration=integration, to=Stage.TESTING, by=cast.operator)
    integration.refresh_from_db()
    assert integration.stage == Stage.TESTING


def test_stages_cannot_be_jumped(cast):
    integration = _decide(cast.integration_a)
    with pytest.raises(services.StageRefused) as refused:
        services.integration_move(integration=integration, to=Stage.TESTING, by=cast.operator)
    assert "一段階ずつ" in refused.value.reasons[0]


def test_moving_back_needs_a_reason(cast):
    integration = _decide(cast.integration_a)
    services.integration_move(integration=integration, to=Stage.DECIDED, by=cast.operator)
    with pytest.raises(services.StageRefused):
        services.integration_move(integration=integration, to=Stage.REGISTERED, by=cast.operator)
    services.integration_move(
        integration=integration, to=Stage.REGISTERED, by=cast.operator, reason="選択の見直し"
    )
    integration.refresh_from_db()
    assert integration.stage == Stage.REGISTERED
    assert integration.events.first().reason == "選択の見直し"


def test_ready_needs_a_go_live_date_and_live_needs_the_day(cast):
    integration = _decide(cast.integration_a)
    integration.stage = Stage.TEST_PASSED
    integration.save()
    with pytest.raises(services.StageRefused):
        services.integration_move(integration=integration, to=Stage.READY, by=cast.operator)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    integration.go_live_date = tomorrow
    integration.save()
    services.integration_move(integration=integration, to=Stage.READY, by=cast.operator)
    with pytest.raises(services.StageRefused) as refused:
        services.integration_move(integration=integration, to=Stage.LIVE, by=cast.operator)
    assert "本番開始日" in refused.value.reasons[0]
    later = timezone.now() + dt.timedelta(days=2)
    services.integration_move(integration=integration, to=Stage.LIVE, by=cast.operator, now=later)
    integration.refresh_from_db()
    assert integration.stage == Stage.LIVE


def test_changing_route_after_decided_goes_back_to_decided(cast):
    integration = _decide(cast.integration_a)
    services.integration_move(integration=integration, to=Stage.DECIDED, by=cast.operator)
    services.integration_move(integration=integration, to=Stage.TESTING, by=cast.operator)
    changed = services.integration_update(
        integration=integration,
        by=cast.operator,
        values={"route": "lgwan", "test_access": "internet"},
    )
    assert set(changed) == {"route", "test_access"}
    integration.refresh_from_db()
    assert integration.stage == Stage.DECIDED
    fields = set(integration.events.filter(kind="choice").values_list("field", flat=True))
    assert {"route", "test_access"} <= fields


def test_changing_another_choice_keeps_the_stage_but_is_recorded(cast):
    integration = _decide(cast.integration_a)
    services.integration_move(integration=integration, to=Stage.DECIDED, by=cast.operator)
    services.integration_move(integration=integration, to=Stage.TESTING, by=cast.operator)
    services.integration_update(
        integration=integration, by=cast.operator, values={"rework_method": "manual_edit"}
    )
    integration.refresh_from_db()
    assert integration.stage == Stage.TESTING
    event = integration.events.filter(kind="choice").first()
    assert event.field == "rework_method" and event.by == cast.operator


def test_service_refuses_inconsistent_choices(cast):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        services.integration_update(
            integration=cast.integration_a,
            by=cast.operator,
            values={"rework_method": "api", "route": "usb"},
        )
    assert "route" in exc.value.error_dict or "rework_method" in exc.value.error_dict


def test_second_integration_of_a_municipality_gets_numbered_folder(cast):
    second = services.integration_create(
        by=cast.operator, municipality=cast.chiyoda, business_system="ひとり親医療"
    )
    assert second.dropbox_name == "131016-2"
    assert second.events.get().new_value == Stage.REGISTERED


def test_suggested_stage_when_gate_holds(cast):
    integration = _decide(cast.integration_a)
    assert services.suggested_stage(integration) == Stage.DECIDED
    assert services.suggested_stage(cast.integration_b) is None
