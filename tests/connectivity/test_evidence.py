import datetime

import pytest
from django.utils import timezone, translation

from connectivity import services
from connectivity.lib.probe import ProbeRun


@pytest.fixture(autouse=True)
def _japanese():
    with translation.override("ja"):
        yield


@pytest.fixture
def lgwan(cast):
    cast.integration_a.route = "lgwan"
    cast.integration_a.source_ranges = ["10.20.0.0/16"]
    cast.integration_a.save()
    return cast.integration_a


def passed_inbound(integration, at):
    _, token = services.inbound_check_issue(integration=integration, now=at)
    return services.inbound_check_record(token=token, source_address="10.20.1.1", now=at)


def ok_run(probe, at):
    run = ProbeRun(url=probe.url, kind=probe.kind, ok=True)
    services.probe_record_result(probe=probe, run=run, started_at=at)


def test_nothing_recorded_lists_both_gaps(lgwan):
    evidence = services.network_evidence(integration=lgwan)
    assert not evidence.ok
    assert evidence.reasons == [
        "受信疎通確認が7日以内に成功していません",
        "この経路の送信先が登録されていません",
    ]


def test_gate_holds_with_inbound_and_every_route_target(lgwan, make_target):
    now = timezone.now()
    web = make_target("https://pmh.lgwan.test/", name="PMH API")
    dns = make_target("pmh.lgwan.test", kind="dns", name="LGWAN DNS")
    make_target("https://pmh.example.jp/", name="internet", route="internet")  # other route
    passed_inbound(lgwan, now - datetime.timedelta(days=1))
    ok_run(web, now - datetime.timedelta(hours=2))
    evidence = services.network_evidence(integration=lgwan, now=now)
    assert evidence.reasons == ["経路 LGWAN の送信先「LGWAN DNS」が7日以内に成功していません"]
    ok_run(dns, now - datetime.timedelta(hours=1))
    evidence = services.network_evidence(integration=lgwan, now=now)
    assert evidence.ok and evidence.reasons == []


def test_evidence_older_than_seven_days_does_not_count(lgwan, make_target):
    now = timezone.now()
    web = make_target("https://pmh.lgwan.test/", name="PMH API")
    passed_inbound(lgwan, now - datetime.timedelta(days=8))
    ok_run(web, now - datetime.timedelta(days=8))
    evidence = services.network_evidence(integration=lgwan, now=now)
    assert len(evidence.reasons) == 2 and not evidence.ok


def test_failed_inbound_check_does_not_count(lgwan, make_target):
    now = timezone.now()
    ok_run(make_target("https://pmh.lgwan.test/"), now)
    _, token = services.inbound_check_issue(integration=lgwan)
    services.inbound_check_record(token=token, source_address="192.0.2.1")
    assert services.network_evidence(integration=lgwan).reasons == [
        "受信疎通確認が7日以内に成功していません"
    ]


def test_evidence_is_frozen(lgwan):
    evidence = services.network_evidence(integration=lgwan)
    with pytest.raises(AttributeError):
        evidence.ok = True
