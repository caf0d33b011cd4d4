"""The roof's pages: the dashboard for each role and the municipality page across apps."""

import re

import pytest
from django.urls import reverse

from onboarding.models import Integration

pytestmark = pytest.mark.django_db


def _nav_labels(response) -> list[str]:
    nav = re.search(r'<nav class="mainnav".*?</nav>', response.content.decode(), re.S).group(0)
    return re.findall(r">([^<>]+)</a>", nav)


@pytest.mark.parametrize("who", ["operator", "helpdesk", "alice"])
def test_each_role_sees_the_dashboard(cast, client_for, who):
    response = client_for(getattr(cast, who)).get(reverse("dashboard:dashboard"))
    assert response.status_code == 200
    assert "ダッシュボード" in _nav_labels(response)


def test_vendor_dashboard_counts_only_own_integrations(cast, client_for):
    response = client_for(cast.alice).get("/")
    assert response.context["integration_count"] == 1
    assert response.context["municipality_count"] == 1
    response = client_for(cast.operator).get("/")
    assert response.context["integration_count"] == 2


def test_dashboard_lists_live_integrations_late_with_their_daily_upload(cast, client_for):
    from django.utils import timezone

    from onboarding.models import Integration, Stage
    from uploads.models import Submission

    Integration.objects.filter(pk__in=[cast.integration_a.pk, cast.integration_b.pk]).update(
        stage=Stage.LIVE
    )
    Submission.objects.create(
        integration=cast.integration_b,
        channel="web",
        original_name="d.csv",
        size=1,
        sha256="0" * 64,
        mode="full",
        stage_at_receipt="live",
        status="returned",
        verdict="accepted",
        received_at=timezone.now(),
    )
    response = client_for(cast.operator).get("/")
    assert response.context["late_count"] == 1
    assert [i.pk for i in response.context["late"]] == [cast.integration_a.pk]
    assert "今日まだ受理されたアップロードがない" in response.content.decode()
    assert client_for(cast.bob).get("/").context["late_count"] == 0


def test_municipality_page_shows_stage_timeline_recent_submissions_and_reachability(
    cast, client_for, django_assert_max_num_queries
):
    from django.utils import timezone

    from onboarding import services
    from uploads.models import Submission

    Integration.objects.filter(pk=cast.integration_a.pk).update(
        rework_method="manual",
        route="usb",
        data_mode="full",
        test_access="offline",
        data_format="csv",
    )
    services.integration_move(
        integration=Integration.objects.get(pk=cast.integration_a.pk),
        to="decided",
        by=cast.operator,
    )
    Submission.objects.create(
        integration=cast.integration_a,
        channel="web",
        original_name="chiyoda-full.csv",
        size=1,
        sha256="1" * 64,
        mode="full",
        stage_at_receipt="decided",
        status="review",
        received_at=timezone.now(),
    )
    url = reverse("dashboard:municipality_detail", args=["131016"])
    client = client_for(cast.alice)
    with django_assert_max_num_queries(10):
        body = client.get(url).content.decode()
    assert "chiyoda-full.csv" in body and "方式決定" in body
    assert reverse("connectivity:integration", args=[cast.integration_a.pk]) in body
