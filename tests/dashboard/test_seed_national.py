import pytest
from django.core.management import call_command
from django.db.models import Count

from coderules.checkdigits import municipality_code_valid
from dashboard import demo_national
from onboarding import rules
from onboarding.models import Integration, IntegrationEvent, Municipality, Stage, Vendor
from onboarding.overview import PREFECTURES
from uploads.models import Submission, SubmissionIssue

pytestmark = pytest.mark.django_db


def test_national_seed_covers_the_country_and_is_idempotent(settings):
    settings.PMH_DEMO_PASSWORD = "demo-Pass-123"
    call_command("seed_demo", "--national")
    counts = (
        Integration.objects.count(),
        IntegrationEvent.objects.count(),
        Submission.objects.count(),
        SubmissionIssue.objects.count(),
        Municipality.objects.count(),
    )
    assert 4000 <= counts[0] <= 6000
    assert Municipality.objects.count() >= 1741 + 47
    assert set(Municipality.objects.values_list("prefecture", flat=True)) == set(PREFECTURES)
    assert all(
        municipality_code_valid(c) for c in Municipality.objects.values_list("code", flat=True)
    )
    assert Vendor.objects.count() >= 12
    per_stage = dict(Integration.objects.values_list("stage").annotate(n=Count("id")))
    assert set(per_stage) == set(Stage.values) and min(per_stage.values()) > 200
    for integration in Integration.objects.all()[:500]:
        assert not rules.choice_problems(rules.integration_values(integration))
    assert not Integration.objects.filter(stage=Stage.LIVE, go_live_date__isnull=True).exists()
    assert SubmissionIssue.objects.exists()

    call_command("seed_demo", "--national")
    assert (
        Integration.objects.count(),
        IntegrationEvent.objects.count(),
        Submission.objects.count(),
        SubmissionIssue.objects.count(),
        Municipality.objects.count(),
    ) == counts


def test_national_history_ends_in_the_current_stage():
    demo_national.seed_national(prefectures={13})
    integration = Integration.objects.filter(stage=Stage.TEST_PASSED).first()
    moves = list(
        integration.events.filter(kind=IntegrationEvent.Kind.STAGE)
        .order_by("at", "id")
        .values_list("new_value", "at")
    )
    assert moves[0][0] == Stage.REGISTERED and moves[-1][0] == Stage.TEST_PASSED
    assert moves[-1][1] == integration.stage_changed_at
    assert [m[1] for m in moves] == sorted(m[1] for m in moves)


def test_municipality_codes_carry_their_check_digit():
    assert demo_national.municipality_code(13, 101) == "131016"
    assert demo_national.municipality_code(1, 100) == "011002"
