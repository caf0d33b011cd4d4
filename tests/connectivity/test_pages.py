import datetime

import pytest
from django.utils import timezone

from connectivity import services
from connectivity.lib.probe import ProbeRun
from connectivity.models import MaintenanceWindow, Probe, ProbeResult


@pytest.fixture
def targets(cast, make_target):
    a = make_target("https://a.lgwan.test/", name="A の API")
    b = make_target("https://b.lgwan.test/", name="B の API", integration=cast.integration_b)
    pmh = make_target("10.0.0.1:443", kind="tcp", name="PMH 対照", integration=None)
    now = timezone.now()
    for n in range(29, -1, -1):
        run = ProbeRun(
            url=a.url,
            kind="http",
            ok=n % 5 != 0,
            error_class=None if n % 5 else "timeout",
            dns_ms=1.0,
            connect_ms=2.0,
            tls_ms=3.0,
            first_byte_ms=4.0,
            total_ms=10.0,
            cert_subject="CN=a.lgwan.test",
            cert_days_left=12,
            tls_version="TLSv1.3",
        )
        services.probe_record_result(
            probe=a, run=run, started_at=now - datetime.timedelta(minutes=n)
        )
    return {"a": a, "b": b, "pmh": pmh}


@pytest.mark.parametrize("who", ["operator", "helpdesk", "alice"])
def test_overview_lists_what_each_role_may_see(cast, targets, client_for, who):
    response = client_for(getattr(cast, who)).get("/reachability/")
    assert response.status_code == 200
    names = {p.name for p in response.context["table"].data}
    if who == "alice":
        assert names == {"A の API"}
    else:
        assert names == {"A の API", "B の API", "PMH 対照"}


def test_overview_filters(cast, targets, client_for):
    client = client_for(cast.operator)
    response = client.get("/reachability/", {"kind": "tcp"})
    assert {p.name for p in response.context["table"].data} == {"PMH 対照"}
    response = client.get("/reachability/", {"q": "011002"})
    assert {p.name for p in response.context["table"].data} == {"B の API"}


def test_overview_query_count_does_not_grow_with_targets(
    cast, make_target, client_for, django_assert_max_num_queries
):
    client = client_for(cast.operator)
    for n in range(40):
        probe = make_target(f"https://t{n}.lgwan.test/", name=f"t{n}")
        services.probe_record_result(probe=probe, run=ProbeRun(url="x", kind="http", ok=True))
    with django_assert_max_num_queries(14):
        assert client.get("/reachability/").status_code == 200


def test_matrix_query_count(cast, make_target, client_for, django_assert_max_num_queries):
    client = client_for(cast.operator)
    for n in range(20):
        probe = make_target(f"https://t{n}.lgwan.test/", name=f"t{n}")
        services.probe_record_result(probe=probe, run=ProbeRun(url="x", kind="http", ok=True))
    with django_assert_max_num_queries(20):
        response = client.get(f"/reachability/integrations/{cast.integration_a.pk}/")
    assert response.status_code == 200


def test_target_page_shows_chart_uptime_history_and_certificate_warning(
    cast, targets, client_for, django_assert_max_num_queries
):
    client = client_for(cast.helpdesk)
    with django_assert_max_num_queries(25):
        response = client.get(f"/reachability/targets/{targets['a'].pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in html and "<rect" in html
    assert "style=" not in html.split("<main", 1)[1] and "<script>" not in html
    assert "12 日" in html  # certificate warning within 30 days
    assert response.context["uptime"]["24h"] == pytest.approx(80.0)
    assert "ファイアウォール" in html  # the remedy for the last run, a timeout
    assert len(response.context["results"].page.object_list) == 30


def test_vendor_gets_404_for_another_vendors_target_and_integration(cast, targets, client_for):
    client = client_for(cast.alice)
    assert client.get(f"/reachability/targets/{targets['b'].pk}/").status_code == 404
    assert client.get(f"/reachability/targets/{targets['pmh'].pk}/").status_code == 404
    assert client.get(f"/reachability/integrations/{cast.integration_b.pk}/").status_code == 404
    assert client.get(f"/reachability/targets/{targets['a'].pk}/").status_code == 200
    assert client.get(f"/reachability/integrations/{cast.integration_a.pk}/").status_code == 200


def test_vendor_and_helpdesk_cannot_edit(cast, targets, client_for):
    for user in (cast.alice, cast.helpdesk):
        client = client_for(user)
        assert client.get("/reachability/targets/new/").status_code == 403
        assert client.post(f"/reachability/targets/{targets['a'].pk}/run/").status_code == 403
        assert client.post(f"/reachability/targets/{targets['a'].pk}/delete/").status_code == 403
    assert Probe.objects.count() == 3


def test_operator_creates_a_target_with_japanese_errors(cast, client_for, pki):
    client = client_for(cast.operator)
    bad = {
        "integration": cast.integration_a.pk,
        "name": "API",
        "kind": "http",
        "url": "pmh.lgwan.test:443",
        "route": "lgwan",
        "interval_seconds": 300,
        "timeout_seconds": 10,
        "retries": 1,
        "failure_threshold": 3,
        "resolver": "dns.lgwan",
        "ca_pem": "not a certificate",
    }
    response = client.post("/reachability/targets/new/", bad)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "http:// または https://" in errors["url"][0]
    assert "IP アドレス" in errors["resolver"][0]
    assert "PEM" in errors["ca_pem"][0]
    good = {**bad, "url": "https://pmh.lgwan.test/", "resolver": "10.0.0.53", "ca_pem": pki.ca_pem}
    response = client.post("/reachability/targets/new/", good)
    probe = Probe.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{probe.pk}/")
    assert probe.resolver == "10.0.0.53" and "BEGIN CERTIFICATE" in probe.ca_pem


def test_operator_edits_and_deletes(cast, targets, client_for):
    client = client_for(cast.operator)
    probe = targets["a"]
    form = client.get(f"/reachability/targets/{probe.pk}/edit/").context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k != "paused"}
    data.update(name="改名", integration=cast.integration_a.pk)
    response = client.post(f"/reachability/targets/{probe.pk}/edit/", data)
    assert response.status_code == 302
    assert Probe.objects.get(pk=probe.pk).name == "改名"
    response = client.post(f"/reachability/targets/{probe.pk}/delete/")
    assert response.status_code == 302 and not Probe.objects.filter(pk=probe.pk).exists()


def test_run_now_runs_the_check(
    cast, make_target, http_server, client_for, django_capture_on_commit_callbacks
):
    probe = make_target(http_server().url)
    client = client_for(cast.operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/reachability/targets/{probe.pk}/run/")
    assert response.status_code == 302
    assert ProbeResult.objects.get(probe=probe).ok


def test_maintenance_page(cast, client_for):
    client = client_for(cast.operator)
    response = client.post(
        "/reachability/maintenance/", {"name": "祝日", "on_public_holidays": "on"}
    )
    assert response.status_code == 302
    window = MaintenanceWindow.objects.get()
    assert window.on_public_holidays and window.created_by == cast.operator
    empty = client.post("/reachability/maintenance/", {"name": "空"})
    assert "適用する時間" in empty.content.decode()
    assert client_for(cast.alice).get("/reachability/maintenance/").status_code == 200


def test_navigation_has_the_reachability_entry(cast, client_for):
    html = client_for(cast.alice).get("/reachability/").content.decode()
    assert 'href="/reachability/"' in html


def test_vendor_sees_global_and_own_maintenance_windows_only(cast, client_for):
    MaintenanceWindow.objects.create(name="祝日", on_public_holidays=True)
    MaintenanceWindow.objects.create(name="A作業", integration=cast.integration_a, on_new_year=True)
    MaintenanceWindow.objects.create(name="B作業", integration=cast.integration_b, on_new_year=True)
    response = client_for(cast.alice).get("/reachability/maintenance/")
    assert {w.name for w in response.context["windows"]} == {"祝日", "A作業"}
