"""Issue rows in the database are bounded per submission; every issue stays in the result
file and the counts (issue 17.5)."""

import pytest
from django.urls import reverse

from tests.uploads.submission_helpers import csv_file, full_records, receive
from uploads.models import SubmissionIssue, Verdict

pytestmark = pytest.mark.django_db


def test_a_file_of_many_bad_rows_stores_a_bounded_number_of_issue_rows(
    cast, client_for, settings, django_capture_on_commit_callbacks
):
    settings.PMH_ISSUE_ROWS_MAX = 40
    header = csv_file(full_records(1)).split(b"\r\n", 1)[0]
    data = header + b"\r\n" + b"x\r\n" * 300  # one-character rows: an issue (or more) each
    with django_capture_on_commit_callbacks(execute=True):
        submission = receive(cast.integration_a, data, name="tiny-rows.csv")
    submission.refresh_from_db()
    assert submission.verdict == Verdict.REJECTED
    total = sum(submission.report["counts"].values())
    assert total >= 300
    assert SubmissionIssue.objects.filter(submission=submission).count() == 40
    response = client_for(cast.operator).get(reverse("uploads:result_csv", args=[submission.pk]))
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + total  # the header, then every issue in file order
    rows = [line.split(",")[0] for line in lines[1:]]
    assert rows[:3] == ["1", "2", "3"] or rows == sorted(rows, key=lambda r: int(r or 0))


def test_below_the_bound_every_issue_is_a_row(cast, settings, django_capture_on_commit_callbacks):
    settings.PMH_ISSUE_ROWS_MAX = 10_000
    header = csv_file(full_records(1)).split(b"\r\n", 1)[0]
    with django_capture_on_commit_callbacks(execute=True):
        submission = receive(cast.integration_a, header + b"\r\n" + b"x\r\n" * 5, name="t.csv")
    submission.refresh_from_db()
    stored = SubmissionIssue.objects.filter(submission=submission).count()
    assert stored == sum(submission.report["counts"].values())
