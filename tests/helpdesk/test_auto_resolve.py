"""Issue 18.9: an error item does not stay 新規 once the problem is answered: a retry that is
accepted, or a later clean file of the same integration, resolves it, in its history."""

import pytest
from django.urls import reverse

from helpdesk.models import ErrorItem, Kind, State
from helpdesk.services import error_item_record, error_items_resolve_for_submission
from tests.uploads.submission_helpers import csv_file, full_records, receive
from uploads import lifecycle
from uploads.models import Verdict

pytestmark = pytest.mark.django_db


@pytest.fixture
def jobs(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _rejected_file() -> bytes:
    records = full_records(3, seed=9)
    records[0]["myNumber"] = "12345678901X"
    return csv_file(records)


def test_a_later_clean_file_resolves_the_rejected_item(cast, jobs, client_for):
    with jobs():
        receive(cast.integration_a, _rejected_file(), name="bad.csv")
    item = ErrorItem.objects.get(kind=Kind.REJECTED)
    assert item.state == State.NEW
    with jobs():
        clean = receive(cast.integration_a, csv_file(full_records(3)), name="good.csv")
    clean.refresh_from_db()
    assert clean.verdict == Verdict.ACCEPTED
    item.refresh_from_db()
    assert item.state == State.RESOLVED and item.resolved_at is not None
    comment = item.comments.get()
    assert comment.by is None and f"#{clean.pk}" in comment.text
    page = client_for(cast.helpdesk).get(reverse("helpdesk:item", args=[item.pk]))
    assert "自動で解決しました" in page.content.decode() and "自動" in page.content.decode()


def test_a_clean_file_of_another_integration_or_a_quarantine_item_stays_open(cast, jobs):
    with jobs():
        receive(cast.integration_a, _rejected_file(), name="bad.csv")
    quarantined = error_item_record(
        kind=Kind.QUARANTINE, code="zip", title="添付", integration=cast.integration_a
    )
    with jobs():
        receive(cast.integration_b, csv_file(full_records(3)))
    assert ErrorItem.objects.get(kind=Kind.REJECTED).state == State.NEW
    with jobs():
        receive(cast.integration_a, csv_file(full_records(3)))
    quarantined.refresh_from_db()
    assert quarantined.state == State.NEW
    assert ErrorItem.objects.get(kind=Kind.REJECTED).state == State.RESOLVED


def test_a_successful_retry_resolves_the_failure_item(cast, jobs, client_for):
    with jobs():
        submission = receive(cast.integration_a, csv_file(full_records(3)))
    lifecycle.submission_fail(submission_id=submission.pk, reason="job crashed")
    item = ErrorItem.objects.get(kind=Kind.FAILURE)
    assert item.state == State.NEW
    with jobs():
        client_for(cast.helpdesk).post(reverse("helpdesk:item_retry", args=[item.pk]))
    item.refresh_from_db()
    assert item.state == State.RESOLVED
    assert item.comments.filter(text__contains="再実行し、受理されました").exists()


def test_a_problem_seen_after_the_clean_file_was_sent_stays_open(cast, jobs):
    with jobs():
        clean = receive(cast.integration_a, csv_file(full_records(3)))
    item = error_item_record(
        kind=Kind.REJECTED, code="V_CODE", title="後から", integration=cast.integration_a
    )
    assert error_items_resolve_for_submission(submission_id=clean.pk) == []
    item.refresh_from_db()
    assert item.state == State.NEW


def test_an_item_someone_works_on_keeps_its_state_and_is_told(cast, jobs):
    with jobs():
        receive(cast.integration_a, _rejected_file(), name="bad.csv")
    item = ErrorItem.objects.get(kind=Kind.REJECTED)
    item.state = State.WAITING_VENDOR
    item.save()
    with jobs():
        clean = receive(cast.integration_a, csv_file(full_records(3)), name="good.csv")
    item.refresh_from_db()
    assert item.state == State.WAITING_VENDOR
    assert item.comments.filter(text__contains=f"#{clean.pk}").count() == 1
