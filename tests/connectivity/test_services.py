import datetime

import pytest
from django.utils import timezone

from connectivity import services
from connectivity.lib.probe import ProbeRun
from connectivity.models import MaintenanceWindow, Probe, ProbeIncident, ProbeResult, Status
from onboarding.models import IntegrationContact

TOKYO = datetime.timezone(datetime.timedelta(hours=9))


def failed(error_class="timeout") -> ProbeRun:
    return ProbeRun(url="x", kind="http", ok=False, error_class=error_class, failed_phase="connect")


def passed() -> ProbeRun:
    return ProbeRun(url="x", kind="http", ok=True, total_ms=12.0, connect_ms=1.0)


@pytest.fixture
def notified(cast, settings):
    settings.PMH_PROBE_ALERT_EMAILS = ["noc@pmh.invalid"]
    cast.vendor_a.contact_email = "support@vendor-a.invalid"
    cast.vendor_a.save()
    IntegrationContact.objects.create(integration=cast.integration_a, email="131016@demo.invalid")
    return cast


def record(probe, run, at=None, **kwargs):
    return services.probe_record_result(probe=probe, run=run, started_at=at, **kwargs)


def test_incident_opens_after_threshold_and_first_success_closes_it(
    notified, make_target, mailoutbox, django_capture_on_commit_callbacks
):
    probe = make_target("http://127.0.0.1:9/", failure_threshold=3)
    with django_capture_on_commit_callbacks(execute=True):
        record(probe, failed())
        record(probe, failed())
    probe.refresh_from_db()
    assert probe.status == Status.FAILING and not ProbeIncident.objects.exists()
    assert mailoutbox == []

    with django_capture_on_commit_callbacks(execute=True):
        record(probe, failed("refused"))
        record(probe, failed())
    incident = ProbeIncident.objects.get()
    assert incident.is_open and incident.failures == 4 and incident.error_class == "refused"
    assert Probe.objects.get().status == Status.DOWN
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert sorted(mail.to) == ["131016@demo.invalid", "noc@pmh.invalid", "support@vendor-a.invalid"]
    assert "停止" in mail.subject or "到達" in mail.subject
    assert "ファイアウォール" in mail.body or "接続" in mail.body

    with django_capture_on_commit_callbacks(execute=True):
        record(probe, passed())
    incident.refresh_from_db()
    assert incident.closed_at is not None
    assert Probe.objects.get().status == Status.UP
    assert len(mailoutbox) == 2 and "131016" in mailoutbox[1].body


def test_notification_is_sent_once(notified, make_target, mailoutbox):
    probe = make_target("http://127.0.0.1:9/", failure_threshold=1)
    record(probe, failed())
    incident = ProbeIncident.objects.get()
    assert services.incident_notify(incident_id=incident.pk, event="opened") is True
    assert services.incident_notify(incident_id=incident.pk, event="opened") is False
    assert len(mailoutbox) == 1


def test_retries_hide_a_blip_and_count_attempts(make_target, http_server, monkeypatch):
    server = http_server()
    probe = make_target(server.url, retries=2)
    calls = []
    real = services.run_probe

    def flaky(spec):
        calls.append(spec)
        return failed() if len(calls) == 1 else real(spec)

    monkeypatch.setattr(services, "run_probe", flaky)
    result = services.run_target(probe.pk)
    assert result.ok and result.attempts == 2


def test_retries_exhausted_records_one_failed_run(make_target, closed_port):
    probe = make_target(f"127.0.0.1:{closed_port}", kind="tcp", retries=2)
    result = services.run_target(probe.pk)
    assert not result.ok and result.error_class == "refused" and result.attempts == 3
    assert ProbeResult.objects.count() == 1


def test_maintenance_window_on_a_public_holiday_suppresses_failures(
    make_target, mailoutbox, django_capture_on_commit_callbacks
):
    probe = make_target("http://127.0.0.1:9/", failure_threshold=1)
    MaintenanceWindow.objects.create(name="祝日", on_public_holidays=True)
    culture_day = datetime.datetime(2025, 11, 3, 10, 0, tzinfo=TOKYO)  # 文化の日
    with django_capture_on_commit_callbacks(execute=True):
        result = record(probe, failed(), at=culture_day)
    assert result.suppressed == "maintenance"
    assert not ProbeIncident.objects.exists() and mailoutbox == []
    assert Probe.objects.get().consecutive_failures == 0

    workday = datetime.datetime(2025, 11, 4, 10, 0, tzinfo=TOKYO)
    with django_capture_on_commit_callbacks(execute=True):
        result = record(probe, failed(), at=workday)
    assert result.suppressed == "" and ProbeIncident.objects.count() == 1


def test_maintenance_windows_one_off_weekly_and_new_year(make_target, cast):
    probe = make_target("http://127.0.0.1:9/")
    other = make_target("http://127.0.0.1:10/", integration=cast.integration_b)
    MaintenanceWindow.objects.create(
        name="作業",
        integration=cast.integration_a,
        starts_at=datetime.datetime(2025, 6, 2, 9, tzinfo=TOKYO),
        ends_at=datetime.datetime(2025, 6, 2, 12, tzinfo=TOKYO),
    )
    MaintenanceWindow.objects.create(
        name="夜間",
        weekdays=[5],  # Saturday night into Sunday
        start_time=datetime.time(22, 0),
        end_time=datetime.time(6, 0),
    )
    MaintenanceWindow.objects.create(name="年末年始", on_new_year=True)
    at = services.maintenance_window_for
    assert at(probe, datetime.datetime(2025, 6, 2, 10, tzinfo=TOKYO)).name == "作業"
    assert at(other, datetime.datetime(2025, 6, 2, 10, tzinfo=TOKYO)) is None
    assert at(other, datetime.datetime(2025, 6, 7, 23, tzinfo=TOKYO)).name == "夜間"
    assert at(other, datetime.datetime(2025, 6, 8, 5, tzinfo=TOKYO)).name == "夜間"
    assert at(other, datetime.datetime(2025, 6, 8, 7, tzinfo=TOKYO)) is None
    assert at(other, datetime.datetime(2025, 12, 30, 12, tzinfo=TOKYO)).name == "年末年始"
    assert at(other, datetime.datetime(2026, 1, 5, 12, tzinfo=TOKYO)) is None


def test_sweep_records_runs_against_loopback_servers(make_target, http_server, closed_port):
    good = make_target(http_server().url, expect_keyword="PMH OK")
    bad = make_target(f"127.0.0.1:{closed_port}", kind="tcp")
    sweep = services.run_due()
    assert sweep.targets == 2 and sweep.failures == 1 and not sweep.guard_tripped
    assert ProbeResult.objects.get(probe=good).ok
    assert ProbeResult.objects.get(probe=bad).error_class == "refused"
    assert services.run_due() is None  # nothing is due any more
    good.refresh_from_db()
    assert good.next_due_at > timezone.now()


def test_guard_holds_failures_when_every_control_target_fails(
    notified, make_target, closed_port, mailoutbox, django_capture_on_commit_callbacks
):
    target = make_target(f"127.0.0.1:{closed_port}", kind="tcp", failure_threshold=1)
    make_target(f"127.0.0.1:{closed_port}", kind="tcp", integration=None, is_control=True)
    with django_capture_on_commit_callbacks(execute=True):
        sweep = services.run_due()
    assert sweep.guard_tripped and "control" in sweep.guard_reason.lower() or sweep.guard_tripped
    result = ProbeResult.objects.get(probe=target)
    assert result.suppressed == "network"
    assert not ProbeIncident.objects.exists() and mailoutbox == []
    target.refresh_from_db()
    assert target.consecutive_failures == 0


def test_guard_lets_failures_count_when_the_control_target_answers(
    make_target, closed_port, http_server
):
    target = make_target(f"127.0.0.1:{closed_port}", kind="tcp", failure_threshold=1)
    make_target(http_server().url, integration=None, is_control=True)
    sweep = services.run_due()
    assert not sweep.guard_tripped
    assert ProbeIncident.objects.filter(probe=target).exists()


def test_guard_trips_when_nearly_every_target_fails(make_target, closed_port, settings):
    settings.PMH_PROBE_GUARD_MIN_TARGETS = 4
    for n in range(4):
        make_target(f"127.0.0.1:{closed_port}", kind="tcp", name=f"t{n}", failure_threshold=1)
    sweep = services.run_due()
    assert sweep.guard_tripped and sweep.failures == 4
    assert set(ProbeResult.objects.values_list("suppressed", flat=True)) == {"network"}
    assert not ProbeIncident.objects.exists()


def test_success_closes_an_incident_even_in_a_maintenance_window(make_target):
    probe = make_target("http://127.0.0.1:9/", failure_threshold=1)
    record(probe, failed())
    MaintenanceWindow.objects.create(
        name="常時", weekdays=[], start_time=datetime.time(0), end_time=datetime.time(0)
    )
    record(probe, passed())
    assert ProbeIncident.objects.get().closed_at is not None


def test_rollup_then_prune_keeps_uptime(make_target):
    from connectivity.models import ProbeRollup
    from connectivity.selectors import uptime_figures

    probe = make_target("http://127.0.0.1:9/")
    # Roll-ups count whole hours, so the oldest hour of a window counts whole: pin the minute
    # (runs in the first half of their hour) so the figures do not depend on the clock.
    now = timezone.now().replace(minute=15, second=0, microsecond=0) - datetime.timedelta(hours=1)
    for hours_ago in range(1, 24 * 6):
        at = now - datetime.timedelta(hours=hours_ago, minutes=30)
        record(probe, failed() if hours_ago % 4 == 0 else passed(), at=at)
    before = uptime_figures([probe.pk], now=now)[probe.pk]
    written = services.results_rollup(now=now)
    assert written > 0 and ProbeRollup.objects.filter(probe=probe).exists()
    deleted = services.results_prune(now=now)
    assert deleted > 0
    after = uptime_figures([probe.pk], now=now)[probe.pk]
    assert after["7d"] == pytest.approx(before["7d"], abs=1.0)
    assert after["24h"] == pytest.approx(before["24h"], abs=2.0)
    assert services.results_rollup(now=now) == 0  # idempotent: nothing new to roll up
