"""The heartbeat bar and uptime over 24 hours, 7 days and 30 days on the per-integration
reachability page and on the target page, not only on the list (issue 18.13)."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from connectivity import services
from connectivity.lib.probe import ProbeRun


def _runs(probe, pattern):
    now = timezone.now()
    for n, ok in enumerate(reversed(pattern)):
        run = ProbeRun(url=probe.url, kind="http", ok=ok, error_class=None if ok else "timeout")
        services.probe_record_result(
            probe=probe, run=run, started_at=now - datetime.timedelta(minutes=n)
        )


def _queries(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_target_page_shows_the_heartbeat_bar_and_three_windows(cast, make_target, client_for):
    probe = make_target("https://a.lgwan.test/", name="A の API")
    _runs(probe, [True, True, True, False])
    html = client_for(cast.helpdesk).get(f"/reachability/targets/{probe.pk}/").content.decode()
    assert 'class="heartbeat"' in html
    assert html.count("hb hb-ok") == 3 and html.count("hb hb-fail") == 1
    assert "直近の実行" in html
    for label in ("24時間", "7日", "30日"):
        assert label in html.replace(" ", "")
    assert html.count("75.00 %") == 3


def test_integration_page_shows_heartbeats_and_uptime_per_target(cast, make_target, client_for):
    first = make_target("https://a.lgwan.test/", name="A の API")
    second = make_target("https://a2.lgwan.test/", name="A の SFTP")
    _runs(first, [True, False])
    _runs(second, [True, True, True, True])
    client = client_for(cast.alice)
    html = client.get(f"/reachability/integrations/{cast.integration_a.pk}/").content.decode()
    assert html.count('class="heartbeat"') == 2
    assert html.count("hb hb-ok") == 5 and html.count("hb hb-fail") == 1
    assert html.count("50.00 %") == 3 and html.count("100.00 %") == 3  # 24 h, 7 d, 30 d
    text = html.replace(" ", "")
    assert "30日" in text and "7日" in text and "24時間" in text


def test_list_shows_seven_days_too(cast, make_target, client_for):
    probe = make_target("https://a.lgwan.test/", name="A の API")
    _runs(probe, [True, False])
    html = client_for(cast.operator).get("/reachability/").content.decode().replace(" ", "")
    assert "7日間:50%" in html and "24時間:50%" in html and "30日間:50%" in html


def test_query_count_does_not_grow_with_targets_or_runs(cast, make_target, client_for):
    client = client_for(cast.operator)
    probes = [make_target(f"https://t{n}.lgwan.test/", name=f"t{n}") for n in range(2)]
    for probe in probes:
        _runs(probe, [True, False])
    page = f"/reachability/integrations/{cast.integration_a.pk}/"
    few_matrix, _ = _queries(client, page)
    few_target, _ = _queries(client, f"/reachability/targets/{probes[0].pk}/")
    for n in range(2, 12):
        _runs(make_target(f"https://t{n}.lgwan.test/", name=f"t{n}"), [True] * 5)
    _runs(probes[0], [True, False] * 20)
    many_matrix, html = _queries(client, page)
    many_target, _ = _queries(client, f"/reachability/targets/{probes[0].pk}/")
    assert html.count('class="heartbeat"') == 12
    assert many_matrix == few_matrix
    assert many_target == few_target
