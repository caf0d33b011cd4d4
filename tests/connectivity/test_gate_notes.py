"""Issue 18.9: the 疎通確認済 gate says which targets it left out, and why."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from connectivity import services
from onboarding import services as onboarding_services
from onboarding.models import IntegrationEvent, Stage
from tests.connectivity.test_evidence import ok_run, passed_inbound


@pytest.fixture(autouse=True)
def _japanese():
    with translation.override("ja"):
        yield


@pytest.fixture
def lgwan(cast):
    integration = cast.integration_a
    integration.route = "lgwan"
    integration.source_ranges = ["10.20.0.0/16"]
    integration.rework_method, integration.data_mode = "api", "full"
    integration.test_access, integration.data_format = "internet", "csv"
    integration.stage = Stage.DECIDED
    integration.save()
    return integration


def test_paused_and_other_route_targets_are_named_with_the_reason(lgwan, make_target):
    now = timezone.now()
    web = make_target("https://pmh.lgwan.test/", name="PMH API")
    make_target("https://broken.lgwan.test/", name="壊れた送信先", paused=True)
    make_target("https://pmh.example.jp/", name="インターネット", route="internet")
    passed_inbound(lgwan, now - datetime.timedelta(days=1))
    ok_run(web, now - datetime.timedelta(hours=1))
    evidence = services.network_evidence(integration=lgwan, now=now)
    assert evidence.ok  # the paused target does not hold the gate, as before …
    left_out = [n for n in evidence.notes if "判定に含めていません" in n]
    assert len(left_out) == 2  # … but the gate says so
    paused = next(n for n in evidence.notes if "壊れた送信先" in n)
    assert "一時停止中" in paused and "成功していません" in paused
    other = next(n for n in evidence.notes if "インターネット" in n)
    assert "経路「Internet」" in other or "経路「インターネット」" in other


def test_the_notes_are_shown_and_recorded_with_the_move(lgwan, make_target, client_for, cast):
    now = timezone.now()
    web = make_target("https://pmh.lgwan.test/", name="PMH API")
    make_target("https://broken.lgwan.test/", name="壊れた送信先", paused=True)
    passed_inbound(lgwan, now - datetime.timedelta(days=1))
    ok_run(web, now - datetime.timedelta(hours=1))
    page = client_for(cast.operator).get(lgwan.get_absolute_url()).content.decode()
    assert "判定に含めていません: 疎通先「壊れた送信先」は一時停止中" in page
    targets = client_for(cast.operator).get(reverse("connectivity:integration", args=[lgwan.pk]))
    assert "壊れた送信先" in targets.content.decode()
    onboarding_services.integration_move(integration=lgwan, to=Stage.NETWORK_OK, by=cast.operator)
    event = IntegrationEvent.objects.filter(new_value=Stage.NETWORK_OK).get()
    assert "壊れた送信先" in event.reason and "一時停止中" in event.reason
