from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dashboard.demo_national import seed_national
from onboarding.models import Integration, IntegrationEvent, Stage, Vendor
from uploads.models import Status, Submission, Verdict

pytestmark = pytest.mark.django_db
ALL = reverse("dashboard:scorecards")


def _submission(integration, verdict, counts, status=Status.RETURNED):
    return Submission.objects.create(
        integration=integration,
        channel="web",
        original_name="a.csv",
        size=10,
        sha256="0" * 64,
        mode="full",
        stage_at_receipt=Stage.TESTING,
        status=status,
        verdict=verdict,
        report={"counts": counts},
    )


@pytest.fixture
def scored(cast):
    a = cast.integration_a
    now = timezone.now()
    for days, (old, new) in ((30, ("", "registered")), (20, ("registered", "decided")),
                             (10, ("decided", "testing"))):  # fmt: skip
        IntegrationEvent.objects.create(
            integration=a, kind="stage", old_value=old, new_value=new, at=now - timedelta(days=days)
        )
    Integration.objects.filter(pk=a.pk).update(stage=Stage.TESTING)
    _submission(a, Verdict.ACCEPTED, {})
    _submission(a, Verdict.REJECTED, {"V_KANA": 5, "V_DATE": 1})
    _submission(a, Verdict.REJECTED, {"V_KANA": 2, "V_CHECK_DIGIT": 3})
    # Held in review: the operator counts it, the vendor must not learn its verdict.
    _submission(a, Verdict.REJECTED, {"F_EMPTY": 9}, status=Status.REVIEW)
    _submission(cast.integration_b, Verdict.REJECTED, {"K_DUPLICATE": 4})
    return cast


def test_operators_see_every_vendor_side_by_side(scored, client_for):
    body = client_for(scored.operator).get(ALL).content.decode()
    assert "ベンダーA" in body and "ベンダーB" in body
    assert "K_DUPLICATE 4" in body
    # Vendor A: 1 accepted of 4 decided (the held one counts for staff).
    assert "25.0%" in body
    assert "F_EMPTY 9" in body


def test_scorecards_are_kept_a_few_minutes_per_scope(scored, client_for):
    client = client_for(scored.operator)
    assert "25.0%" in client.get(ALL).content.decode()
    _submission(scored.integration_a, Verdict.ACCEPTED, {})
    assert "25.0%" in client.get(ALL).content.decode()  # kept
    vendor = client_for(scored.alice).get(reverse("dashboard:scorecard", args=["vendor-a"]))
    assert "50.0%" in vendor.content.decode()  # its own scope: 2 of 4 released


def test_a_vendor_sees_its_own_scorecard_only(scored, client_for):
    client = client_for(scored.alice)
    response = client.get(ALL)
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:scorecard", args=["vendor-a"])
    body = client.get(response["Location"]).content.decode()
    assert "K_DUPLICATE" not in body and "ベンダーB" not in body
    assert "F_EMPTY" not in body  # held in review
    assert "33.3%" in body  # 1 of 3 released
    codes = body.split("V_KANA")[1]
    assert "7" in codes.split("</li>")[0]
    assert "V_CHECK_DIGIT" in body
    # Median days: registered 10, decided 10.
    assert "10.0" in body
    assert client.get(reverse("dashboard:scorecard", args=["vendor-b"])).status_code == 404
    assert client_for(scored.chiyo).get(ALL).status_code == 403


def test_scorecard_queries_do_not_grow_with_vendors_or_integrations(scored, client_for, settings):
    settings.PMH_SCORECARD_CACHE_SECONDS = 0
    client = client_for(scored.operator)
    client.get(ALL)
    with CaptureQueriesContext(connection) as small:
        client.get(ALL)
        client.get(reverse("dashboard:scorecard", args=["vendor-a"]))
    seed_national(prefectures={13, 14, 47})
    assert Vendor.objects.count() >= 12 and Integration.objects.count() > 300
    with CaptureQueriesContext(connection) as large:
        assert client.get(ALL).status_code == 200
        client.get(reverse("dashboard:scorecard", args=["vendor-a"]))
    assert len(large) <= len(small)
