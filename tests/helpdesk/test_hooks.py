"""Rejected and failed submissions land in the error queue (the hooks in uploads)."""

import pytest

from helpdesk.models import ErrorItem, Kind
from helpdesk.services import top_error_code
from tests.uploads.submission_helpers import csv_file, full_records, receive
from uploads import lifecycle
from uploads.models import Status, Verdict

pytestmark = pytest.mark.django_db


@pytest.fixture
def jobs(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _bad_file(n=6):
    records = full_records(n, seed=n)
    for record in records[:3]:
        record["myNumber"] = "12345678901X"
    return csv_file(records)


def test_a_rejected_submission_records_an_item_with_its_top_error_code(cast, jobs):
    with jobs():
        first = receive(cast.integration_a, _bad_file(), name="bad.csv")
    first.refresh_from_db()
    assert first.verdict == Verdict.REJECTED
    item = ErrorItem.objects.get()
    assert item.kind == Kind.REJECTED and item.code == top_error_code(first)
    assert first.report["counts"][item.code] == max(first.report["counts"].values())
    assert item.integration == cast.integration_a and item.last_submission == first
    with jobs():
        receive(cast.integration_a, _bad_file(7), name="bad2.csv")
    item.refresh_from_db()
    assert ErrorItem.objects.count() == 1 and item.occurrences == 2


def test_an_accepted_submission_records_nothing(cast, jobs):
    with jobs():
        receive(cast.integration_a, csv_file(full_records(3)))
    assert not ErrorItem.objects.exists()


def test_a_failed_submission_records_a_failure_item(cast, jobs):
    with jobs():
        submission = receive(cast.integration_a, csv_file(full_records(2)))
    assert lifecycle.submission_fail(submission_id=submission.pk, reason="worker crashed\nstack")
    item = ErrorItem.objects.get()
    assert (item.kind, item.code, item.last_submission_id) == (
        Kind.FAILURE,
        "failed",
        submission.pk,
    )
    assert "worker crashed" in item.title and "stack" in item.occurrence_set.get().detail
    submission.refresh_from_db()
    assert submission.status == Status.FAILED


def test_warnings_only_codes_are_not_the_top_code():
    class S:
        report = {
            "counts": {"W_A": 9, "E_B": 2},
            "issues": [
                {"code": "W_A", "severity": "warning"},
                {"code": "E_B", "severity": "error"},
            ],
        }

    assert top_error_code(S()) == "E_B"
