import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from console.models import AuditRecord
from tests.uploads.submission_helpers import csv_file, full_records, receive
from uploads.models import Status, Submission, Verdict

pytestmark = pytest.mark.django_db


@pytest.fixture
def jobs(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _upload(client, integration, *files, accept_json=False, mode=""):
    headers = {"Accept": "application/json"} if accept_json else {}
    return client.post(
        reverse("intake:upload", args=[integration.pk]),
        {"files": list(files), "mode": mode},
        headers=headers,
    )


def _file(name, data):
    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_upload_through_the_web_to_the_report(cast, client_for, jobs):
    client = client_for(cast.alice)
    bad = full_records(3, seed=4)
    bad[1]["basicFiveInfo"]["nameKana"] = "やまだ"
    with jobs():
        response = _upload(
            client,
            cast.integration_a,
            _file("good.csv", csv_file(full_records(3))),
            _file("bad.csv", csv_file(bad)),
        )
    assert response.status_code == 302
    assert response.url == cast.integration_a.get_absolute_url()
    good, rejected = Submission.objects.order_by("pk")
    assert (good.channel, good.sender, good.received_by) == ("web", "alice", cast.alice)
    assert good.verdict == Verdict.ACCEPTED and rejected.verdict == Verdict.REJECTED

    status = client.get(reverse("uploads:submission_status", args=[rejected.pk])).json()
    assert status["finished"] and status["verdict"] == "rejected" and status["progress"] == 100

    page = client.get(rejected.get_absolute_url())
    assert page.status_code == 200
    body = page.content.decode()
    assert "V_KANA" in body and "bad.csv" in body

    report = client.get(reverse("uploads:result_json", args=[rejected.pk]))
    assert report["Content-Disposition"].endswith("bad.csv.result.json")
    assert json.loads(report.content)["counts"] == {"V_KANA": 1}
    result = client.get(reverse("uploads:result_csv", args=[rejected.pk]))
    text = b"".join(result.streaming_content)
    assert text.startswith(b"\xef\xbb\xbfrow,line,field,code,severity,message,value\r\n")
    assert b"V_KANA" in text
    assert "bad.csv.result.csv" in result["Content-Disposition"]


def test_json_upload_answers_with_status_urls(cast, client_for, jobs):
    client = client_for(cast.alice)
    with jobs():
        response = _upload(
            client, cast.integration_a, _file("a.csv", csv_file(full_records(1))), accept_json=True
        )
    assert response.status_code == 202
    data = response.json()
    assert data["errors"] == []
    [submission] = data["submissions"]
    assert submission["status_url"] == reverse("uploads:submission_status", args=[submission["id"]])


def test_upload_without_a_file_says_so(cast, client_for):
    response = _upload(client_for(cast.alice), cast.integration_a, accept_json=True)
    assert response.status_code == 400
    assert response.json()["errors"]


def test_too_large_upload_is_refused_with_a_message(cast, client_for, settings):
    settings.PMH_MAX_UPLOAD_MB = 1
    client = client_for(cast.alice)
    response = _upload(client, cast.integration_a, _file("big.csv", b"x" * (1 << 20 + 1)))
    assert response.status_code == 302
    assert not Submission.objects.exists()
    page = client.get(response.url)
    assert "big.csv" in page.content.decode()


def test_the_integration_page_shows_the_upload_panel_and_recent_submissions(
    cast, client_for, jobs, django_assert_max_num_queries
):
    with jobs():
        for n in range(5):
            receive(cast.integration_a, csv_file(full_records(n + 1)), name=f"f{n}.csv")
    client = client_for(cast.alice)
    url = cast.integration_a.get_absolute_url()
    client.get(url)
    with django_assert_max_num_queries(20):
        response = client.get(url)
    body = response.content.decode()
    assert reverse("intake:upload", args=[cast.integration_a.pk]) in body
    assert "f4.csv" in body and 'type="file"' in body and "multiple" in body
    assert "js/upload.js" in body
    helpdesk_page = client_for(cast.helpdesk).get(url).content.decode()
    assert reverse("intake:upload", args=[cast.integration_a.pk]) not in helpdesk_page


def test_vendors_cannot_upload_to_another_vendors_integration(cast, client_for):
    response = _upload(
        client_for(cast.bob), cast.integration_a, _file("x.csv", csv_file(full_records(1)))
    )
    assert response.status_code == 404
    assert not Submission.objects.exists()
    helpdesk = _upload(
        client_for(cast.helpdesk), cast.integration_a, _file("x.csv", csv_file(full_records(1)))
    )
    assert helpdesk.status_code == 403


@pytest.mark.parametrize(
    "name",
    ["submission_detail", "submission_status", "result_json", "result_csv", "original"],
)
def test_another_vendors_submission_is_a_404_everywhere(cast, client_for, jobs, name):
    with jobs():
        submission = receive(cast.integration_a, csv_file(full_records(1)))
    response = client_for(cast.bob).get(reverse(f"uploads:{name}", args=[submission.pk]))
    assert response.status_code == 404
    outsider = client_for(cast.outsider).get(reverse(f"uploads:{name}", args=[submission.pk]))
    assert outsider.status_code in (403, 404)


def test_review_release_by_the_help_desk_and_what_the_vendor_sees(
    cast, client_for, jobs, django_assert_max_num_queries
):
    integration = cast.integration_a
    integration.review_policy = "always"
    integration.save()
    with jobs():
        submission = receive(integration, csv_file(full_records(2)), user=cast.alice)
    submission.refresh_from_db()
    assert submission.status == Status.REVIEW

    vendor = client_for(cast.alice)
    status = vendor.get(reverse("uploads:submission_status", args=[submission.pk])).json()
    assert status["status"] == "review" and status["verdict"] is None
    page = vendor.get(submission.get_absolute_url()).content.decode()
    assert "受理" not in page and "result.json" not in page
    for name in ("result_json", "result_csv"):
        assert vendor.get(reverse(f"uploads:{name}", args=[submission.pk])).status_code == 404
    panel = vendor.get(integration.get_absolute_url()).content.decode()
    assert "受理" not in panel
    assert vendor.get(reverse("uploads:review_queue")).status_code == 403

    helpdesk = client_for(cast.helpdesk)
    with django_assert_max_num_queries(12):
        queue = helpdesk.get(reverse("uploads:review_queue"))
    assert submission.original_name in queue.content.decode()
    with jobs():
        response = helpdesk.post(
            reverse("uploads:review_release", args=[submission.pk]),
            {"comment": "テスト結果を確認しました。"},
        )
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == Status.RETURNED and submission.delivered_at is not None
    report = vendor.get(reverse("uploads:result_json", args=[submission.pk])).json()
    assert report["comment"] == "テスト結果を確認しました。"
    assert report["accepted"] is True
    vendor = client_for(cast.alice)
    assert vendor.post(reverse("uploads:review_release", args=[submission.pk])).status_code == 403


def test_original_download_is_for_operators_only_and_recorded(cast, client_for, jobs):
    data = csv_file(full_records(2))
    with jobs():
        submission = receive(cast.integration_a, data, name="元データ.csv")
    for user in (cast.helpdesk, cast.alice):
        response = client_for(user).get(reverse("uploads:original", args=[submission.pk]))
        assert response.status_code == 403
    downloads = AuditRecord.objects.filter(action=AuditRecord.Action.DOWNLOAD_ORIGINAL)
    assert not downloads.exists()
    response = client_for(cast.operator).get(reverse("uploads:original", args=[submission.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert "filename*=UTF-8''%E5%85%83" in response["Content-Disposition"]
    record = downloads.get()
    assert (record.user, record.object_type, record.object_id) == (
        cast.operator,
        "submission",
        str(submission.pk),
    )


def test_issues_are_paged_and_filtered_by_code_and_severity(
    cast, client_for, jobs, django_assert_max_num_queries
):
    records = full_records(80)
    for record in records:
        record["basicFiveInfo"]["nameKana"] = "やまだ"
    records[3]["medicalSubsidyInsurerNumber"] = "46131017"  # a 法別番号 nobody registered
    with jobs():
        submission = receive(cast.integration_a, csv_file(records))
    client = client_for(cast.alice)
    url = submission.get_absolute_url()
    with django_assert_max_num_queries(15):
        page = client.get(url)
    body = page.content.decode()
    assert body.count('class="badge err"') >= 50
    assert "page=2" in body
    filtered = client.get(url, {"code": "V_HOUBETSU_UNKNOWN"}).content.decode()
    assert "V_HOUBETSU_UNKNOWN" in filtered and "やまだ" not in filtered
    warnings = client.get(url, {"severity": "warning"}).content.decode()
    assert 'class="badge warn"' in warnings and "やまだ" not in warnings


def test_masked_values_stay_masked_on_the_page(cast, client_for, jobs):
    records = full_records(2)
    number = records[0]["myNumber"]
    records[0]["myNumber"] = number[:-1] + str((int(number[-1]) + 1) % 10)
    with jobs():
        submission = receive(cast.integration_a, csv_file(records))
    body = client_for(cast.operator).get(submission.get_absolute_url()).content.decode()
    assert "V_CHECK_DIGIT" in body
    assert records[0]["myNumber"] not in body
    assert "********" + records[0]["myNumber"][-4:] in body
