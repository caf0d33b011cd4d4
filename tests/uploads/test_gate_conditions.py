"""Issue 18.9: the テスト合格 gate names every unmet condition at once, and the accepted files it
does not count."""

import pytest
from django.utils import translation

from onboarding import services as onboarding_services
from onboarding.models import Stage
from tests.uploads.submission_helpers import csv_file, diff_records, full_records, receive
from tests.uploads.test_lifecycle import _testing
from uploads import lifecycle, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def jobs(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture(autouse=True)
def _japanese():
    with translation.override("ja"):
        yield


def test_every_unmet_condition_is_named_at_once(cast, client_for):
    integration = _testing(cast.integration_a, data_mode="diff")
    evidence = services.test_evidence(integration=integration)
    assert not evidence.ok and len(evidence.reasons) == 2
    assert "全件" in evidence.reasons[0] and "差分" in evidence.reasons[1]
    with pytest.raises(onboarding_services.StageRefused) as refused:
        onboarding_services.integration_move(integration=integration, to=Stage.TEST_PASSED, by=None)
    assert refused.value.reasons == evidence.reasons
    page = client_for(cast.operator).get(integration.get_absolute_url()).content.decode()
    assert all(reason in page for reason in evidence.reasons)


def test_accepted_files_from_before_testing_are_named_and_a_revalidation_counts(cast, jobs):
    with jobs():
        early = receive(cast.integration_a, csv_file(full_records(3)))
    integration = _testing(cast.integration_a)
    evidence = services.test_evidence(integration=integration)
    assert not evidence.ok
    assert len(evidence.notes) == 1 and f"#{early.pk}" in evidence.notes[0]
    with jobs():
        again = lifecycle.submission_revalidate(submission=early, by=cast.operator)
    evidence = services.test_evidence(integration=integration)
    assert evidence.ok and evidence.full == again and evidence.notes == []


def test_a_diff_before_the_full_file_still_names_the_diff_condition(cast, jobs):
    integration = _testing(cast.integration_a, data_mode="diff")
    with jobs():
        receive(integration, csv_file(diff_records(2)), mode="diff")
    reasons = services.test_evidence(integration=integration).reasons
    assert len(reasons) == 2 and "差分" in reasons[1]
