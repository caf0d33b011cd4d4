"""Dashboard figures: scoped per vendor, review hidden, the chart and the queue panel."""

import pytest
from django.urls import reverse

from dashboard import figures as dashboard
from helpdesk.services import error_item_record
from uploads.models import Channel, Mode, Status, Submission, Verdict

pytestmark = pytest.mark.django_db


def _submission(integration, n, **fields):
    values = {
        "channel": Channel.WEB,
        "original_name": f"file-{n}.csv",
        "size": 1,
        "sha256": f"{n:064x}",
        "mode": Mode.FULL,
        "stage_at_receipt": "testing",
        "status": Status.RETURNED,
        "verdict": Verdict.ACCEPTED,
        **fields,
    }
    return Submission.objects.create(integration=integration, **values)


@pytest.fixture
def figures(cast):
    _submission(cast.integration_a, 1)
    rejected = _submission(cast.integration_a, 2, verdict=Verdict.REJECTED, channel=Channel.MAIL)
    in_review = _submission(cast.integration_a, 3, status=Status.REVIEW, verdict=Verdict.REJECTED)
    _submission(cast.integration_b, 4, verdict=Verdict.REJECTED)
    Submission.objects.filter(pk=rejected.pk).update(report={"counts": {"V_A": 2, "V_B": 1}})
    Submission.objects.filter(pk=in_review.pk).update(report={"counts": {"V_SECRET": 1}})
    error_item_record(kind="rejected", code="V_A", title="古い問題", integration=cast.integration_a)
    return cast


def test_staff_see_everything(figures):
    ctx = dashboard.context_for(figures.helpdesk)
    assert ctx["today_total"] == 4 and ctx["week_total"] == 4
    assert ctx["acceptance"] == {"accepted": 1, "rejected": 3, "decided": 4, "rate": 25.0}
    assert ctx["top_codes"] == [
        {"code": "V_A", "n": 2, "submissions": 1},
        {"code": "V_B", "n": 1, "submissions": 1},
        {"code": "V_SECRET", "n": 1, "submissions": 1},
    ]
    mail = next(r for r in ctx["by_channel"] if r["value"] == "mail")
    assert mail["today"] == 1
    assert ctx["oldest_errors"][0].title == "古い問題" and ctx["open_error_count"] == 1
    assert ctx["chart"]["total"] == 4


def test_vendors_see_their_own_figures_without_results_in_review(figures):
    ctx = dashboard.context_for(figures.alice)
    assert ctx["today_total"] == 3
    assert ctx["acceptance"]["rejected"] == 1 and ctx["acceptance"]["rate"] == 50.0
    assert [c["code"] for c in ctx["top_codes"]] == ["V_A", "V_B"]
    assert ctx["oldest_errors"] == [] and ctx["queue_health"] is None
    bars = ctx["chart"]["bars"][-1]
    assert [p[0] for p in bars.parts] == ["accepted", "rejected", "other"]


def test_dashboard_page_draws_the_chart_and_the_queue_panel(
    figures, client_for, django_assert_max_num_queries
):
    client = client_for(figures.operator)
    with django_assert_max_num_queries(16):
        page = client.get(reverse("dashboard:dashboard"))
    body = page.content.decode()
    assert "<svg" in body and reverse("django_rq:home") in body
    health = page.context["queue_health"]
    if health["mode"] == "inline":  # embedded: no Redis, jobs in the web process
        assert "プロセス内で実行" in body
    else:  # real services (CI): one row per queue
        assert health["mode"] == "rq" and health["queues"]
        assert all(str(q["label"]) in body for q in health["queues"])
    assert reverse("helpdesk:queue") in body
    vendor = client_for(figures.bob).get(reverse("dashboard:dashboard")).content.decode()
    assert "古い問題" not in vendor and reverse("django_rq:home") not in vendor


def test_queue_health_reads_rq_when_redis_is_configured(settings, monkeypatch):
    settings.PMH_JOBS_INLINE = False

    class Registry:
        count = 2

    class Queue:
        count = 5
        failed_job_registry = Registry()

    monkeypatch.setattr("django_rq.get_queue", lambda name: Queue())
    monkeypatch.setattr("rq.Worker.count", classmethod(lambda cls, queue=None: 1))
    health = dashboard.queue_health()
    assert health["mode"] == "rq"
    assert str(health["queues"][0].pop("label"))
    assert health["queues"][0] == {
        "name": "default",
        "queued": 5,
        "workers": 1,
        "failed": 2,
    }
