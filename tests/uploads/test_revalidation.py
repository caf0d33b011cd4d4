"""Issue 18.4: the same bytes give the same answer only while nothing that affects the verdict
changed; every submission answers with its own id; 再検証 validates the stored bytes again."""

import re

import pytest
from django.urls import reverse

from console.models import AuditRecord
from tests.uploads.submission_helpers import csv_file, diff_records, full_records, receive
from uploads import context as verdict_context
from uploads import lifecycle
from uploads.models import LayoutMapping, Status, StorePurge, Submission, Verdict

pytestmark = pytest.mark.django_db


@pytest.fixture
def jobs(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _send(integration, data, jobs, **kwargs) -> Submission:
    with jobs():
        submission = receive(integration, data, **kwargs)
    submission.refresh_from_db()
    return submission


def _wrong_check_digit() -> bytes:
    records = full_records(3)
    number = records[0]["myNumber"]
    records[0]["myNumber"] = number[:-1] + str((int(number[-1]) + 1) % 10)
    return csv_file(records)


def test_same_bytes_after_a_setting_changed_are_validated_again(cast, jobs):
    data = _wrong_check_digit()
    first = _send(cast.integration_a, data, jobs)
    assert first.verdict == Verdict.REJECTED
    assert _send(cast.integration_a, data, jobs).duplicate_of == first  # nothing changed
    cast.integration_a.mynumber_check_warning = True
    cast.integration_a.save()
    again = _send(cast.integration_a, data, jobs, name="again.csv")
    assert again.duplicate_of is None and again.attempts == 1
    assert again.verdict == Verdict.ACCEPTED and again.warnings >= 1
    assert again.context["mynumber_check"] == "warning"
    assert first.context["mynumber_check"] == "error"
    assert _send(cast.integration_a, data, jobs).duplicate_of == again


def test_a_changed_test_store_means_validating_again_but_a_double_send_stays_a_duplicate(
    cast, jobs
):
    first_file = csv_file(full_records(3))
    first = _send(cast.integration_a, first_file, jobs)
    assert first.verdict == Verdict.ACCEPTED
    # The file itself changed the store: sent again right after, it is still a duplicate.
    assert _send(cast.integration_a, first_file, jobs).duplicate_of == first
    other = _send(cast.integration_a, csv_file(full_records(4, seed=7)), jobs)
    assert other.verdict == Verdict.ACCEPTED
    again = _send(cast.integration_a, first_file, jobs)
    assert again.duplicate_of is None and again.verdict == Verdict.ACCEPTED
    assert again.report["diff"]["added"] == 3 and again.report["diff"]["removed"] == 4


def test_a_differential_file_sent_twice_is_applied_once(cast, jobs):
    cast.integration_a.data_mode = "diff"
    cast.integration_a.save()
    _send(cast.integration_a, csv_file(full_records(3)), jobs, mode="full")
    data = csv_file(diff_records(2, seed=3))
    first = _send(cast.integration_a, data, jobs, mode="diff")
    assert first.verdict == Verdict.ACCEPTED
    second = _send(cast.integration_a, data, jobs, mode="diff")
    assert second.duplicate_of == first and second.attempts == 0


def test_mode_purge_and_mapping_each_change_the_context(cast, jobs):
    data = csv_file(full_records(3))
    first = _send(cast.integration_a, data, jobs, mode="full")
    assert _send(cast.integration_a, data, jobs, mode="diff").duplicate_of is None
    before = verdict_context.verdict_context(integration=cast.integration_a, mode="full")
    StorePurge.objects.create(
        integration_id=cast.integration_a.pk, integration_label="x", records=3, reason="test"
    )
    purged = verdict_context.verdict_context(integration=cast.integration_a, mode="full")
    assert purged["store"] != before["store"]
    assert verdict_context.changed_parts(before, purged) == ["テスト用ストア"]
    mapping = LayoutMapping.objects.create(integration=cast.integration_a, use_for_submissions=True)
    version = mapping.versions.create(number=1, document={})
    mapping.current = version
    mapping.save()
    mapped = verdict_context.verdict_context(integration=cast.integration_a, mode="full")
    assert mapped["mapping"] == 1 and purged["mapping"] is None
    assert first.context_fingerprint != verdict_context.fingerprint(mapped)


def test_revalidation_is_a_new_submission_under_the_current_context(cast, jobs):
    data = _wrong_check_digit()
    first = _send(cast.integration_a, data, jobs)
    cast.integration_a.mynumber_check_warning = True
    cast.integration_a.save()
    with jobs():
        again = lifecycle.submission_revalidate(submission=first, by=cast.alice)
    again.refresh_from_db()
    assert again.pk != first.pk and again.revalidation_of == first
    assert again.verdict == Verdict.ACCEPTED and first.verdict == Verdict.REJECTED
    assert again.received_by == cast.alice and again.sha256 == first.sha256
    assert again.status == Status.RETURNED and again.delivered_at is not None
    first.refresh_from_db()
    assert first.verdict == Verdict.REJECTED  # the earlier verdict is kept for good


def test_revalidation_refuses_an_unfinished_or_purged_submission(cast, jobs):
    waiting = receive(cast.integration_a, csv_file(full_records(2)))  # queued, no job run
    with pytest.raises(lifecycle.CannotRevalidate):
        lifecycle.submission_revalidate(submission=waiting, by=cast.operator)
    done = _send(cast.integration_a, csv_file(full_records(3, seed=5)), jobs)
    Submission.objects.filter(pk=done.pk).update(file_purged_at=done.received_at)
    done.refresh_from_db()
    with pytest.raises(lifecycle.CannotRevalidate):
        lifecycle.submission_revalidate(submission=done, by=cast.operator)


def _token(page: str, action: str) -> str:
    form = re.search(r'<form[^>]*action="' + re.escape(action) + r'".*?</form>', page, re.S)
    assert form, action
    return re.search(r'name="_once" value="([A-Za-z]+)"', form.group(0)).group(1)


def test_revalidate_button_acts_once_is_audited_and_scoped(cast, jobs, client_for, client):
    first = _send(cast.integration_a, _wrong_check_digit(), jobs)
    page_url = reverse("uploads:submission_detail", args=[first.pk])
    action = reverse("uploads:submission_revalidate", args=[first.pk])
    vendor = client_for(cast.alice)
    page = vendor.get(page_url).content.decode()
    assert "再検証" in page
    token = _token(page, action)
    with jobs():
        response = vendor.post(action, {"_once": token})
        vendor.post(action, {"_once": token})  # double click
    again = Submission.objects.get(revalidation_of=first)
    assert response.status_code == 302 and response["Location"] == again.get_absolute_url()
    record = AuditRecord.objects.get(action=AuditRecord.Action.REVALIDATE)
    assert record.object_id == str(again.pk) and record.username == "alice"
    assert record.detail == {"revalidation_of": first.pk}
    shown = vendor.get(again.get_absolute_url()).content.decode()
    assert f"#{first.pk}" in shown and "再検証" in shown
    history = vendor.get(reverse("helpdesk:history")).content.decode()
    row = re.search(
        r'<tr><td><a href="' + re.escape(again.get_absolute_url()) + r'">.*?</tr>', history, re.S
    ).group(0)
    assert f"再検証元 #{first.pk}" in row
    client.logout()
    other = client_for(cast.bob)
    assert other.post(action, {"_once": "x" * 32}).status_code == 404
    client.logout()
    municipal = client_for(cast.chiyo)
    municipal.post(action, {"_once": "y" * 32})
    assert Submission.objects.filter(revalidation_of=first).count() == 1
    client.logout()
    staff = client_for(cast.helpdesk)
    with jobs():
        staff.post(action, {"_once": "z" * 32})
    assert Submission.objects.filter(revalidation_of=first).count() == 2


def test_a_duplicate_keeps_its_own_id_and_shows_the_first_verdict(cast, jobs, client_for):
    data = _wrong_check_digit()
    first = _send(cast.integration_a, data, jobs)
    dup = _send(cast.integration_a, data, jobs, name="dup.csv")
    assert dup.duplicate_of == first
    client = client_for(cast.alice)
    status = client.get(reverse("uploads:submission_status", args=[dup.pk])).json()
    assert status["id"] == dup.pk and status["duplicate_of"] == first.pk
    assert status["verdict"] == Verdict.REJECTED
    detail = client.get(dup.get_absolute_url()).content.decode()
    assert "重複" in detail and "不受理" in detail
    assert reverse("uploads:submission_detail", args=[first.pk]) in detail
    history = client.get(reverse("helpdesk:history")).content.decode()
    row = re.search(
        r'<tr><td><a href="' + re.escape(dup.get_absolute_url()) + r'">.*?</tr>', history, re.S
    ).group(0)
    assert "重複" in row and "不受理" in row and f"#{first.pk}" in row
    response = client.get(reverse("helpdesk:history_export"))
    export = b"".join(response.streaming_content).decode("utf-8-sig")
    line = next(x for x in export.splitlines() if x.startswith(f"{dup.pk},"))
    assert f"重複 #{first.pk}" in line and "不受理" in line


def test_a_vendor_does_not_see_a_duplicate_verdict_held_in_review(cast, jobs, client_for):
    cast.integration_a.review_policy = "always"
    cast.integration_a.save()
    data = _wrong_check_digit()
    first = _send(cast.integration_a, data, jobs)
    assert first.status == Status.REVIEW
    dup = _send(cast.integration_a, data, jobs)
    assert dup.duplicate_of == first
    client = client_for(cast.alice)
    status = client.get(reverse("uploads:submission_status", args=[dup.pk])).json()
    assert status["verdict"] is None
    history = client.get(reverse("helpdesk:history")).content.decode()
    assert "不受理" not in history
