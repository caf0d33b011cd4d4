"""The reachability list as a monitor (issue 18.13): heartbeat bar and uptime per target in a
fixed number of queries, alert recipients per integration, test before save, fields by kind."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from connectivity import selectors, services
from connectivity.lib.probe import ProbeRun
from connectivity.models import AlertSettings, Probe, ProbeIncident
from console.models import AuditRecord
from onboarding.models import IntegrationContact
from tests.connectivity.servers import Reply

pytestmark = pytest.mark.django_db


def _runs(probe, pattern: str, now=None):
    now = now or timezone.now()
    for n, mark in enumerate(reversed(pattern)):
        run = ProbeRun(
            url=probe.url,
            kind="http",
            ok=mark == "+",
            error_class=None if mark == "+" else "timeout",
        )
        services.probe_record_result(
            probe=probe, run=run, started_at=now - datetime.timedelta(minutes=n)
        )


def test_heartbeats_are_the_last_n_runs_oldest_first_in_one_query(
    cast, make_target, django_assert_num_queries
):
    a = make_target("https://a.lgwan.test/", name="a")
    b = make_target("https://b.lgwan.test/", name="b")
    _runs(a, "-" + "+" * 30 + "-")  # 32 runs: the first one falls out of a bar of 30
    _runs(b, "+-")
    with django_assert_num_queries(1):
        beats = selectors.heartbeats([a.pk, b.pk, 999999])
    assert len(beats[a.pk]) == 30
    assert [x.ok for x in beats[a.pk]] == [True] * 29 + [False]
    assert [x.ok for x in beats[b.pk]] == [True, False] and beats[999999] == []


def test_overview_shows_heartbeat_and_uptime_without_n_plus_one(
    cast, make_target, client_for, django_assert_max_num_queries
):
    client = client_for(cast.operator)
    probe = make_target("https://a.lgwan.test/", name="a")
    _runs(probe, "+++-")
    page = client.get("/reachability/").content.decode()
    assert page.count('class="hb hb-ok"') == 3 and page.count('class="hb hb-fail"') == 1
    assert page.count('class="hb hb-none"') == selectors.HEARTBEATS - 4
    assert "24時間: 75%" in page
    with django_assert_max_num_queries(17) as few:
        client.get("/reachability/")
    for n in range(30):
        extra = make_target(f"https://t{n}.lgwan.test/", name=f"t{n}")
        _runs(extra, "+-")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/reachability/").content.decode()
    assert page.count('class="hb hb-fail"') == 31


def test_alert_recipients_are_edited_per_integration_and_used_for_the_mails(
    cast, make_target, client_for, settings, django_capture_on_commit_callbacks
):
    settings.PMH_PROBE_ALERT_EMAILS = ["noc@pmh.example"]
    IntegrationContact.objects.create(integration=cast.integration_a, email="kenko@city.example")
    probe = make_target("https://a.lgwan.test/", name="a")
    assert services.incident_recipients(probe) == ["kenko@city.example", "noc@pmh.example"]
    client = client_for(cast.alice)
    url = f"/reachability/integrations/{cast.integration_a.pk}/alerts/"
    page = client.get(f"/reachability/integrations/{cast.integration_a.pk}/").content.decode()
    assert url in page and "kenko@city.example" in page
    bad = client.post(url, {"emails": "not-an-address"}, follow=True)
    assert "メールアドレスではありません" in bad.content.decode()
    assert not AlertSettings.objects.exists()
    client.post(url, {"emails": "Ops@Vendor-A.example\nkenko@city.example"})
    assert services.incident_recipients(probe) == [
        "kenko@city.example",
        "noc@pmh.example",
        "ops@vendor-a.example",
    ]
    assert AuditRecord.objects.get(action="alert_recipients").object_id == str(
        cast.integration_a.pk
    )
    incident = ProbeIncident.objects.create(
        probe=probe, opened_at=timezone.now(), first_failure_at=timezone.now(), failures=3
    )
    services.incident_notify(incident_id=incident.pk, event="down")
    assert sorted(mail.outbox[0].to) == sorted(services.incident_recipients(probe))
    # Another vendor cannot change them; the help desk only reads.
    assert client_for(cast.bob).post(url, {"emails": "x@y.example"}).status_code == 404
    assert client_for(cast.helpdesk).post(url, {"emails": "x@y.example"}).status_code == 403


def _target(cast, url, **extra):
    return {
        "integration": cast.integration_a.pk,
        "name": "API",
        "kind": "http",
        "url": url,
        "route": "lgwan",
        "interval_seconds": 300,
        "timeout_seconds": 5,
        "retries": 0,
        "failure_threshold": 3,
        **extra,
    }


def test_test_before_save_runs_the_entered_values_and_saves_nothing(cast, client_for, http_server):
    server = http_server(Reply(status=200, body=b"PMH OK"))
    client = client_for(cast.operator)
    ok = client.post(
        "/reachability/targets/new/",
        _target(cast, server.url, expect_keyword="PMH OK", test="1"),
    )
    assert ok.status_code == 200 and ok.context["trial"].ok
    assert "この値で確認に成功しました" in ok.content.decode()
    assert not Probe.objects.exists()
    failing = http_server(Reply(status=503))
    bad = client.post("/reachability/targets/new/", _target(cast, failing.url, test="1"))
    assert bad.context["trial"].ok is False and "503" in bad.content.decode()
    assert not Probe.objects.exists()
    assert AuditRecord.objects.filter(action="probe_test").count() == 2
    saved = client.post("/reachability/targets/new/", _target(cast, server.url, save="1"))
    assert saved.status_code == 302 and Probe.objects.count() == 1
    assert (
        client_for(cast.helpdesk)
        .post("/reachability/targets/new/", _target(cast, server.url, test="1"))
        .status_code
        == 403
    )


def test_edit_form_tests_changed_values_without_saving(cast, client_for, make_target, closed_port):
    probe = make_target("https://a.lgwan.test/", name="a")
    response = client_for(cast.operator).post(
        f"/reachability/targets/{probe.pk}/edit/",
        _target(cast, f"127.0.0.1:{closed_port}", kind="tcp", test="1"),
    )
    assert response.status_code == 200 and response.context["trial"].ok is False
    probe.refresh_from_db()
    assert probe.url == "https://a.lgwan.test/" and probe.kind == "http"


def test_the_form_marks_the_fields_of_each_kind_for_the_vendored_script(cast, client_for):
    page = client_for(cast.operator).get("/reachability/targets/new/").content.decode()
    assert 'data-kind-fields="http"' in page and 'data-kind-fields="http tls"' in page
    assert "/static/js/target_form.js" in page and "<script>" not in page
