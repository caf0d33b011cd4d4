"""The audit record (issue #11): each sign-in, download, export and reprocessing leaves exactly
one record naming who, what and when; the operators' audit page lists and exports them."""

import datetime
import io
import json
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from connectivity.services import target_create
from console import audit
from console.models import AuditRecord
from helpdesk.models import ErrorItem
from onboarding.tokens import api_token_issue
from tests.uploads.submission_helpers import csv_file, full_records, receive
from uploads import lifecycle
from uploads.models import Status

pytestmark = pytest.mark.django_db
Action = AuditRecord.Action
PASSWORD = "x-Secret-42"


@pytest.fixture
def jobs(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def returned(cast, jobs):
    with jobs():
        return receive(cast.integration_a, csv_file(full_records(2)), name="daily.csv")


def _only(action, **fields) -> AuditRecord:
    """The one record of `action`; fails when there is none or more than one."""
    records = list(AuditRecord.objects.filter(action=action, **fields))
    assert len(records) == 1, (action, records)
    return records[0]


def _who_what(record: AuditRecord) -> tuple:
    return record.user, record.object_type, record.object_id


def _signed_in(client, user):
    client.force_login(user)
    AuditRecord.objects.all().delete()
    return client


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# -- sign-ins --------------------------------------------------------------------------------


def test_sign_in_is_recorded_with_user_address_and_time(cast, client):
    before = timezone.now()
    response = client.post(
        reverse("login"),
        {"username": "operator", "password": PASSWORD},
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 302
    record = _only(Action.SIGN_IN)
    assert (record.user, record.username, record.ip) == (cast.operator, "operator", "10.1.2.3")
    assert before <= record.at <= timezone.now()
    assert AuditRecord.objects.count() == 1


def test_address_behind_a_trusted_proxy_is_the_callers(cast, client, settings):
    settings.PMH_TRUSTED_PROXIES = ["192.0.2.10"]
    form = {"username": "operator", "password": "wrong"}
    forwarded = {"HTTP_X_FORWARDED_FOR": "10.9.9.9, 192.0.2.10"}
    client.post(reverse("login"), form, REMOTE_ADDR="192.0.2.10", **forwarded)
    client.post(reverse("login"), form, REMOTE_ADDR="198.51.100.7", **forwarded)
    records = AuditRecord.objects.order_by("id")
    assert [r.ip for r in records] == ["10.9.9.9", "198.51.100.7"]


def test_failed_sign_ins_are_recorded_with_the_name_tried(cast, client):
    client.post(reverse("login"), {"username": "operator", "password": "wrong"})
    client.post(reverse("login"), {"username": "nobody", "password": "wrong"})
    known = _only(Action.SIGN_IN_FAILED, username="operator")
    unknown = _only(Action.SIGN_IN_FAILED, username="nobody")
    assert known.user is None and unknown.user is None
    assert known.ip == "127.0.0.1"
    assert AuditRecord.objects.count() == 2
    # The password tried is never kept, not even masked.
    assert "wrong" not in json.dumps([known.detail, unknown.detail])


def test_each_attempt_is_recorded_once_also_when_locked_out(cast, client, settings):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit + 1):
        client.post(reverse("login"), {"username": "operator", "password": "wrong"})
    failures = AuditRecord.objects.filter(action=Action.SIGN_IN_FAILED).order_by("id")
    # The failure that reaches the limit locks the pair (name, address), and so do the next.
    assert [r.detail for r in failures] == [{}] * (limit - 1) + [{"locked_out": True}] * 2
    # The right password does not get in while locked: one more locked-out failure.
    client.post(reverse("login"), {"username": "operator", "password": PASSWORD})
    assert not AuditRecord.objects.filter(action=Action.SIGN_IN).exists()
    assert AuditRecord.objects.filter(detail__locked_out=True).count() == 3


def test_a_mynumber_typed_as_user_name_is_masked(cast, client):
    client.post(reverse("login"), {"username": "123456789018", "password": "wrong"})
    assert _only(Action.SIGN_IN_FAILED).username == "********9018"


def test_sign_out_is_recorded(cast, client):
    client.post(reverse("login"), {"username": "helpdesk", "password": PASSWORD})
    assert client.post(reverse("logout")).status_code == 302
    record = _only(Action.SIGN_OUT)
    assert record.user == cast.helpdesk and record.detail == {}


# -- downloads -------------------------------------------------------------------------------


def test_original_download_is_recorded(cast, client, returned):
    client = _signed_in(client, cast.operator)
    response = client.get(reverse("uploads:original", args=[returned.pk]))
    assert response.status_code == 200
    _body(response)
    record = _only(Action.DOWNLOAD_ORIGINAL)
    assert _who_what(record) == (cast.operator, "submission", str(returned.pk))
    assert record.detail == {"sha256": returned.sha256}
    assert AuditRecord.objects.count() == 1


@pytest.mark.parametrize("kind", ["json", "csv"])
def test_result_file_download_is_recorded(cast, client, returned, kind):
    client = _signed_in(client, cast.alice)
    response = client.get(reverse(f"uploads:result_{kind}", args=[returned.pk]))
    assert response.status_code == 200
    record = _only(Action.DOWNLOAD_RESULT)
    assert (record.user, record.object_id, record.detail) == (
        cast.alice,
        str(returned.pk),
        {"format": kind},
    )
    assert AuditRecord.objects.count() == 1


def test_refused_downloads_leave_no_record(cast, client, returned):
    client = _signed_in(client, cast.bob)
    assert client.get(reverse("uploads:result_csv", args=[returned.pk])).status_code == 404
    client = _signed_in(client, cast.helpdesk)
    assert client.get(reverse("uploads:original", args=[returned.pk])).status_code == 403
    assert not AuditRecord.objects.filter(action__startswith="download").exists()


def test_api_report_download_is_recorded_for_the_token(cast, client, returned):
    token, raw = api_token_issue(vendor=cast.vendor_a, name="batch")
    response = client.get(
        f"/api/v1/submissions/{returned.pk}/report", headers={"Authorization": f"Bearer {raw}"}
    )
    assert response.status_code == 200
    record = _only(Action.DOWNLOAD_RESULT)
    assert record.user is None and record.username == "vendor-a (API)"
    assert record.detail == {"format": "api", "token": "batch"}


@pytest.mark.parametrize("name", ["pmh_uploader.py", "pmh_uploader.ini"])
def test_uploader_download_is_recorded(cast, client, name):
    client = _signed_in(client, cast.alice)
    url = reverse("onboarding:integration_uploader_file", args=[cast.integration_a.pk, name])
    response = client.get(url)
    assert response.status_code == 200
    record = _only(Action.DOWNLOAD_FILE)
    assert (record.user, record.object_type, record.object_id, record.detail) == (
        cast.alice,
        "integration",
        str(cast.integration_a.pk),
        {"file": name},
    )


# -- exports ---------------------------------------------------------------------------------


def test_submission_export_records_list_filters_and_rows(cast, client, returned):
    receive(cast.integration_b, csv_file(full_records(1)), name="other.csv")
    client = _signed_in(client, cast.helpdesk)
    query = {"municipality": "131016", "status": "", "q": "daily", "page": "2"}
    response = client.get(reverse("helpdesk:history_export"), query)
    assert response.status_code == 200
    record = _only(Action.EXPORT)
    assert record.user == cast.helpdesk
    assert record.detail == {
        "list": "submissions",
        "filters": {"municipality": "131016", "q": "daily"},
        "rows": 1,
    }
    assert _body(response).decode("utf-8-sig").count("\r\n") == 2  # header and one row


def test_vendor_export_counts_only_its_own_rows(cast, client, returned):
    receive(cast.integration_b, csv_file(full_records(1)), name="other.csv")
    client = _signed_in(client, cast.bob)
    client.get(reverse("helpdesk:history_export"))
    assert _only(Action.EXPORT).detail["rows"] == 1


def test_municipality_export_is_recorded(cast, client):
    client = _signed_in(client, cast.operator)
    response = client.get(reverse("onboarding:municipality_export"), {"q": "千代田"})
    assert response.status_code == 200
    record = _only(Action.EXPORT)
    assert record.detail["list"] == "municipalities"
    assert record.detail["filters"] == {"q": "千代田"}
    assert record.detail["rows"] == _body(response).decode("utf-8-sig").count("\r\n") - 1


def test_identifiers_in_details_are_kept_whole(cast, rf, returned):
    sha = "0123456789012345" * 4  # digit runs that the 個人番号 mask would hide
    request = rf.get("/")
    request.user = cast.operator
    audit.record(request, Action.DOWNLOAD_ORIGINAL, returned, sha256=sha)
    assert _only(Action.DOWNLOAD_ORIGINAL).detail == {"sha256": sha}


def test_a_mynumber_in_export_filters_is_masked(cast, client):
    client = _signed_in(client, cast.operator)
    client.get(reverse("helpdesk:history_export"), {"q": "file-123456789018.csv"})
    assert _only(Action.EXPORT).detail["filters"] == {"q": "file-********9018.csv"}


# -- reprocessing ----------------------------------------------------------------------------


def test_help_desk_retry_is_recorded(cast, client, jobs):
    with jobs():
        submission = receive(cast.integration_a, csv_file(full_records(2)))
    lifecycle.submission_fail(submission_id=submission.pk, reason="job crashed")
    item = ErrorItem.objects.get(code="failed")
    client = _signed_in(client, cast.helpdesk)
    with jobs():
        client.post(reverse("helpdesk:item_retry", args=[item.pk]))
    record = _only(Action.RETRY)
    assert _who_what(record) == (cast.helpdesk, "submission", str(submission.pk))
    assert record.detail == {"error_item": item.pk}
    # Retrying what is not failed is refused and not recorded.
    client.post(reverse("helpdesk:item_retry", args=[item.pk]))
    assert AuditRecord.objects.filter(action=Action.RETRY).count() == 1


def test_review_release_is_recorded(cast, client, jobs):
    cast.integration_a.review_policy = "always"
    cast.integration_a.save()
    with jobs():
        submission = receive(cast.integration_a, csv_file(full_records(2)))
    submission.refresh_from_db()
    assert submission.status == Status.REVIEW
    client = _signed_in(client, cast.operator)
    with jobs():
        client.post(reverse("uploads:review_release", args=[submission.pk]), {"comment": "ok"})
    record = _only(Action.RELEASE)
    assert (record.user, record.object_id) == (cast.operator, str(submission.pk))
    client.post(reverse("uploads:review_release", args=[submission.pk]))
    assert AuditRecord.objects.filter(action=Action.RELEASE).count() == 1


def test_redelivery_is_recorded(cast, client, jobs, settings):
    from intake.folder.receive import folder_sweep

    with jobs():
        folder_sweep()
        inbox = settings.PMH_DROPBOX_ROOT / "131016" / "inbox"
        (inbox / "daily.csv").write_bytes(csv_file(full_records(1)))
        folder_sweep(now=time.time() + 3600)
    submission = cast.integration_a.submissions.get()
    client = _signed_in(client, cast.helpdesk)
    assert client.post(reverse("intake:redeliver", args=[submission.pk])).status_code == 302
    record = _only(Action.REDELIVER)
    assert (record.user, record.object_id, record.detail) == (
        cast.helpdesk,
        str(submission.pk),
        {"channel": "folder"},
    )


def test_probe_run_now_is_recorded(cast, client, monkeypatch):
    from connectivity import services as probe_services

    probe = target_create(
        integration=cast.integration_a,
        name="t",
        url="http://127.0.0.1:9/",
        kind="http",
        route="lgwan",
    )
    requested = []
    monkeypatch.setattr(probe_services, "probe_run_request", lambda probe: requested.append(probe))
    client = _signed_in(client, cast.operator)
    client.post(reverse("connectivity:target_run", args=[probe.pk]))
    assert requested == [probe]
    record = _only(Action.PROBE_RUN)
    assert _who_what(record) == (cast.operator, "probe", str(probe.pk))


def test_job_requeue_on_the_queue_pages_is_recorded(cast, client, settings):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis (CI)")
    import django_rq
    from rq.job import JobStatus

    queue = django_rq.get_queue("default", commit_mode="auto")
    job = queue.enqueue("math.floor", 1.5)
    try:
        queue.remove(job.id)
        job.set_status(JobStatus.FAILED)
        queue.failed_job_registry.add(job, ttl=60, exc_string="boom")
        client = _signed_in(client, cast.operator)
        response = client.post(reverse("django_rq:requeue_job", args=[0, job.id]))
        assert response.status_code == 302
        record = _only(Action.JOB_REQUEUE)
        assert record.user == cast.operator
        assert record.detail == {"queue": "default", "jobs": [job.id]}
        # Only POSTs that requeue count: looking at the page does not.
        client.get(reverse("django_rq:requeue_job", args=[0, job.id]))
        assert AuditRecord.objects.filter(action=Action.JOB_REQUEUE).count() == 1
    finally:
        queue.remove(job.id)
        job.delete()


# -- the audit page --------------------------------------------------------------------------


def _records(cast, n):
    AuditRecord.objects.bulk_create(
        AuditRecord(
            user=cast.alice if i % 2 else cast.helpdesk,
            username="alice" if i % 2 else "helpdesk",
            action=Action.DOWNLOAD_RESULT if i % 3 else Action.EXPORT,
            detail={"format": "csv"},
            ip="10.0.0.1",
        )
        for i in range(n)
    )


def test_audit_page_is_bounded_filtered_and_for_operators_only(
    cast, client, django_assert_max_num_queries
):
    client = _signed_in(client, cast.operator)
    _records(cast, 120)
    with django_assert_max_num_queries(10):  # 2 of them: the navigation's counts
        page = client.get(reverse("dashboard:audit"))
    body = page.content.decode()
    assert page.status_code == 200 and "page=2" in body and "10.0.0.1" in body
    with django_assert_max_num_queries(10):
        client.get(reverse("dashboard:audit"), {"per_page": 500})
    filtered = client.get(
        reverse("dashboard:audit"),
        {"user": "alic", "action": Action.EXPORT, "date_from": timezone.localdate().isoformat()},
    )
    assert filtered.context["table"].paginator.count == 20
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert (
        client.get(reverse("dashboard:audit"), {"date_from": tomorrow})
        .context["table"]
        .paginator.count
        == 0
    )
    for user in (cast.helpdesk, cast.alice):
        other = _signed_in(client, user)
        assert other.get(reverse("dashboard:audit")).status_code == 403
        assert other.get(reverse("dashboard:audit_export")).status_code == 403
        assert not AuditRecord.objects.filter(action=Action.EXPORT).exists()


def test_audit_page_is_in_the_operators_navigation_only(cast, client):
    url = reverse("dashboard:audit")
    assert f'href="{url}"' in _signed_in(client, cast.operator).get("/").content.decode()
    assert f'href="{url}"' not in _signed_in(client, cast.helpdesk).get("/").content.decode()


def test_audit_export_is_itself_audited(cast, client):
    client = _signed_in(client, cast.operator)
    _records(cast, 10)
    response = client.get(reverse("dashboard:audit_export"), {"user": "alice"})
    lines = _body(response).decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + 5 and "alice" in lines[1] and "10.0.0.1" in lines[1]
    record = _only(Action.EXPORT, username="operator")
    assert record.detail == {"list": "audit", "filters": {"user": "alice"}, "rows": 5}


def test_upload_of_a_file_is_not_an_audited_action(cast, client):
    client = _signed_in(client, cast.alice)
    web = io.BytesIO(csv_file(full_records(1)))
    web.name = "x.csv"
    client.post(reverse("intake:upload", args=[cast.integration_a.pk]), {"files": [web]})
    assert not AuditRecord.objects.exists()
