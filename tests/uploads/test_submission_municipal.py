"""Issue 19 and 17.1 in the console: the integration's insurer check-digit setting reaches the
engine, mass removals are shown at the top, and a long phase renews the lease."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.uploads.submission_helpers import csv_file, full_records, receive
from uploads import lifecycle, processing
from uploads.lib.validation import samples
from uploads.models import Status, Submission, Verdict

pytestmark = pytest.mark.django_db


@pytest.fixture
def jobs(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _bad_check_digits(records, houbetsu_list):
    for record, houbetsu in zip(records, houbetsu_list, strict=True):
        number = samples.insurer_number(houbetsu)
        record["medicalSubsidyInsurerNumber"] = number[:-1] + str((int(number[-1]) + 1) % 10)
        record["medicalSubsidyRecipientNumber"] = "K1"
    return records


def test_the_integrations_insurer_check_setting_reaches_the_engine(cast, jobs, client_for):
    integration = cast.integration_a
    records = _bad_check_digits(full_records(2), ["81", "83"])
    with jobs():
        first = receive(integration, csv_file(records))
    first.refresh_from_db()
    assert first.verdict == Verdict.REJECTED
    assert first.report["options"]["insurerCheckDigit"] == "error"

    integration.insurer_check_warning = True
    integration.insurer_check_programs = ["81"]
    integration.save()
    records[0]["segment"] = "特別"  # other bytes, so not a duplicate of the first file
    with jobs():
        second = receive(integration, csv_file(records))
    second.refresh_from_db()
    assert second.report["options"] == {
        "myNumberCheckDigit": "error",
        "insurerCheckDigit": "warning",
        "insurerCheckDigitPrograms": ["81"],
    }
    assert [(i["row"], i["code"], i["severity"]) for i in second.report["issues"]] == [
        (1, "V_CHECK_DIGIT", "warning"),
        (2, "V_CHECK_DIGIT", "error"),
    ]
    page = client_for(cast.operator).get(second.get_absolute_url()).content.decode()
    assert "警告として扱った検証番号" in page and "公費負担者番号・受給者番号（81）" in page

    integration.insurer_check_programs = []
    integration.save()
    records[0]["segment"] = "一般"
    records[1]["segment"] = "特別"
    with jobs():
        third = receive(integration, csv_file(records))
    third.refresh_from_db()
    assert third.verdict == Verdict.ACCEPTED and third.warnings == 2


def test_a_mass_removal_is_shown_at_the_top_of_the_submission(cast, jobs, client_for):
    records = full_records(10)
    with jobs():
        receive(cast.integration_a, csv_file(records))
    with jobs():
        submission = receive(cast.integration_a, csv_file(records[:7]))
    submission.refresh_from_db()
    assert submission.verdict == Verdict.ACCEPTED
    first = submission.report["issues"][0]
    assert (first["code"], first["severity"], first["removed"], first["stored"]) == (
        "K_MASS_REMOVAL",
        "warning",
        3,
        10,
    )
    assert submission.issues.get(code="K_MASS_REMOVAL").severity == "warning"
    assert submission.gone_count == 3
    body = client_for(cast.alice).get(submission.get_absolute_url()).content.decode()
    alert = body.index("テスト環境から多くのレコードが削除されます")
    assert alert < body.index("10件のうち3件（30%）") < body.index('class="badge warn">3</span>')


def test_the_lease_is_renewed_once_the_store_index_is_loaded(cast, monkeypatch):
    submission = receive(cast.integration_a, csv_file(full_records(3)))  # the job is not run
    load_index, validate_file = processing.load_index, processing.validate_file
    seen = {}

    def slow_load_index(integration_id):
        index = load_index(integration_id)
        # As if loading a large store had taken the whole lease.
        gone = timezone.now() - dt.timedelta(seconds=1)
        Submission.objects.filter(pk=submission.pk).update(lease_expires_at=gone)
        return index

    def observed_validate_file(*args, **kwargs):
        seen["expires"] = Submission.objects.get(pk=submission.pk).lease_expires_at
        return validate_file(*args, **kwargs)

    monkeypatch.setattr(processing, "load_index", slow_load_index)
    monkeypatch.setattr(processing, "validate_file", observed_validate_file)
    processing.process(submission.pk)
    submission.refresh_from_db()
    assert submission.status == Status.RETURNED and submission.attempts == 1
    assert seen["expires"] > timezone.now() + dt.timedelta(seconds=lifecycle.lease_seconds() / 2)
