"""The living demo (issue 15.5): a fresh seed shows real, plausible content everywhere."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from connectivity.models import MaintenanceWindow, Probe, ProbeIncident, ProbeResult, ProbeRollup
from connectivity.selectors import latency_chart, uptime_figures
from dashboard.figures import context_for
from helpdesk.models import ErrorItem, State
from onboarding.models import Integration, Stage, User
from uploads.models import Channel, Status, Submission, Verdict

pytestmark = pytest.mark.django_db(transaction=True)
TYPICAL_MISTAKES = {"V_CHECK_DIGIT", "V_KANA", "F_HEADER_MISSING"}


def test_seed_demo_brings_the_demo_to_life(settings, capsys):
    """One seed (it replays a month), every part of the demo checked on it."""
    settings.PMH_DEMO_PASSWORD = "demo-Pass-123"
    # As `make run` serves the demo (DEBUG off): mail without an authentication verdict of our
    # MTA is quarantined, so the demo's mail must carry one.
    settings.PMH_MAIL_ACCEPT_UNAUTHENTICATED = False
    call_command("seed_demo")
    seeded = capsys.readouterr().out
    check_two_weeks_of_files_on_every_channel()
    check_error_queue_has_open_items_in_several_states()
    check_integrations_wait_for_different_times()
    check_thirty_days_of_probes_with_an_incident_and_a_maintenance()
    check_every_panel_has_content_for_each_role()
    check_banner_tells_each_login_truly_and_seed_is_idempotent(seeded)
    check_probe_targets_follow_the_console_address(settings)


def _counts(submissions) -> set[str]:
    return {code for s in submissions for code in (s.report or {}).get("counts", {})}


def check_two_weeks_of_files_on_every_channel():
    now = timezone.now()
    recent = Submission.objects.filter(received_at__gte=now - timedelta(days=14))
    assert set(recent.values_list("channel", flat=True)) == set(Channel.values)
    accepted = recent.filter(verdict=Verdict.ACCEPTED)
    rejected = recent.filter(verdict=Verdict.REJECTED)
    assert accepted.count() >= 10 and rejected.count() >= 8
    # Clean files are clean: no warning at all, above all no V_PREFECTURE.
    assert set(accepted.values_list("warnings", flat=True)) == {0}
    assert "V_PREFECTURE" not in _counts(Submission.objects.all())
    assert _counts(rejected) == TYPICAL_MISTAKES
    assert recent.filter(status=Status.REVIEW).count() == 1
    assert Submission.objects.filter(released_at__isnull=False).count() >= 5
    days = {timezone.localdate(t) for t in recent.values_list("received_at", flat=True)}
    assert len(days) >= 10
    assert not Submission.objects.filter(status=Status.FAILED).exists()


def check_error_queue_has_open_items_in_several_states():
    states = set(ErrorItem.objects.values_list("state", flat=True))
    assert {State.NEW, State.INVESTIGATING, State.WAITING_VENDOR, State.RESOLVED} <= states
    open_items = ErrorItem.objects.exclude(state=State.RESOLVED)
    assert len(set(open_items.values_list("state", flat=True))) >= 3
    assert open_items.filter(kind="quarantine").exists()
    first_seen = sorted(open_items.values_list("first_seen", flat=True))
    assert first_seen[-1] - first_seen[0] > timedelta(days=7)
    assert ErrorItem.objects.filter(assignee__username="helpdesk", comments__isnull=False).exists()


def check_integrations_wait_for_different_times():
    now = timezone.now()
    waits = [now - i.stage_changed_at for i in Integration.objects.all()]
    assert min(waits) > timedelta(hours=1)  # no "0 minutes" on the board
    assert max(waits) > timedelta(days=12)
    assert len({w.days for w in waits}) >= 8
    assert set(Stage.values) <= set(Integration.objects.values_list("stage", flat=True))


def check_thirty_days_of_probes_with_an_incident_and_a_maintenance():
    now = timezone.now()
    probes = list(Probe.objects.all())
    assert len(probes) >= 5
    figures = uptime_figures([p.pk for p in probes], now=now)
    for probe in probes:
        hours = ProbeRollup.objects.filter(probe=probe, runs__gt=0).values_list("hour", flat=True)
        assert min(hours) < now - timedelta(days=29), probe.name
        assert figures[probe.pk]["30d"] is not None
        assert not latency_chart(probe.pk, now=now).empty
        assert probe.status == "up"
    incident = ProbeIncident.objects.get()
    assert incident.closed_at is not None and incident.failures >= 3
    assert figures[incident.probe_id]["30d"] < 100
    window = MaintenanceWindow.objects.get()
    suppressed = ProbeResult.objects.filter(suppressed="maintenance")
    assert suppressed.exists()
    assert all(window.covers(r.started_at) for r in suppressed)


def check_every_panel_has_content_for_each_role():
    for username in ("operator", "helpdesk", "vendor_a", "vendor_b"):
        context = context_for(User.objects.get(username=username))
        assert sum(1 for bar in context["chart"]["bars"] if bar.parts) >= 5, username
        assert context["week_total"] >= 2, username
        assert len([s for s in context["stages"] if s["count"]]) >= 3, username
        assert context["acceptance"]["decided"] >= 2, username
        assert context["top_codes"], username
    staff = context_for(User.objects.get(username="operator"))
    assert all(c["week"] for c in staff["by_channel"])
    assert len(staff["top_codes"]) >= 3
    assert len(staff["oldest_errors"]) >= 3


def check_banner_tells_each_login_truly_and_seed_is_idempotent(seeded: str):
    assert "login: vendor_a   vendor-a: 東京都, 千代田区, 新宿区, 京都市" in seeded
    assert "login: vendor_b   vendor-b: 札幌市, 仙台市, 大阪市, 福岡市" in seeded
    before = (
        Submission.objects.count(),
        ProbeResult.objects.count(),
        ErrorItem.objects.aggregate(n=Count("occurrence_set"))["n"],
    )
    call_command("seed_demo")
    after = (
        Submission.objects.count(),
        ProbeResult.objects.count(),
        ErrorItem.objects.aggregate(n=Count("occurrence_set"))["n"],
    )
    assert before == after


def check_probe_targets_follow_the_console_address(settings):
    """`make run` on another port later: the demo's targets check the console where it is now."""
    demo_targets = Probe.objects.filter(url__endswith="/healthz")
    assert set(demo_targets.values_list("url", flat=True)) == {"http://127.0.0.1:8000/healthz"}
    settings.PMH_DEMO_URL = "http://127.0.0.1:8080/"
    call_command("seed_demo")
    assert set(demo_targets.values_list("url", flat=True)) == {"http://127.0.0.1:8080/healthz"}
    assert demo_targets.count() >= 4
