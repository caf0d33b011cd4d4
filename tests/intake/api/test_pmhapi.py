"""PMH's own registration API shapes (issue #20) through Django's test client."""

import gzip
import io
import json
from pathlib import Path

import pytest

from onboarding.models import Integration
from onboarding.tokens import api_token_issue
from uploads.models import Channel, Status, Submission
from uploads.services import stored_path

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "uploads"
VALID = (FIXTURES / "valid.json").read_bytes()
FULL = "/api/v1/pmh/registration-tasks"
DIFF = "/api/v1/pmh/differential-history-registration-tasks"


@pytest.fixture
def token_a(cast):
    return api_token_issue(vendor=cast.vendor_a, name="pmh-client")[1]


@pytest.fixture(autouse=True)
def _jobs_run_at_commit(django_capture_on_commit_callbacks):
    global _capture
    _capture = django_capture_on_commit_callbacks


def send(client, token, body=VALID, path=FULL, content_type="application/json", **headers):
    headers = {"Authorization": f"Bearer {token}", **headers}
    with _capture(execute=True):
        # CONTENT_TYPE too: the test client leaves it out for an empty body.
        return client.generic(
            "POST",
            path,
            body,
            content_type=content_type,
            headers=headers,
            CONTENT_TYPE=content_type,
        )


def task(client, token, url):
    return client.get(url, headers={"Authorization": f"Bearer {token}"})


def nothing_stored(settings) -> bool:
    incoming = Path(settings.PMH_STORAGE_ROOT) / "incoming"
    leftovers = list(incoming.iterdir()) if incoming.exists() else []
    return not Submission.objects.exists() and not leftovers


def error_of(response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["error"]["code"], body["error"]["message"]


def test_full_registration_is_a_submission_with_its_bytes_and_a_report(client, cast, token_a):
    response = send(client, token_a, **{"X-PMH-Integration": "131016"})
    assert response.status_code == 202
    body = response.json()
    assert set(body) == {"taskId", "status", "statusUrl"}
    submission = Submission.objects.get(pk=int(body["taskId"]))
    assert submission.channel == Channel.API and submission.mode == "full"
    assert submission.integration == cast.integration_a
    assert submission.original_name == "postRegistrationTasks.json"
    assert stored_path(submission).read_bytes() == VALID
    status = task(client, token_a, body["statusUrl"])
    assert status.status_code == 200
    state = status.json()
    assert state["taskId"] == body["taskId"] and state["status"] == Status.RETURNED
    assert state["verdict"] == "accepted" and state["rows"] == 2
    report = state["report"]
    assert report["format"] == "json" and report["mode"] == "full" and report["accepted"]
    assert report == submission.report  # the console API's report, unchanged
    assert status["Cache-Control"].startswith("no-store")


def test_differential_registration_takes_its_mode_from_the_endpoint(client, cast, token_a):
    send(client, token_a, integration="131016")
    records = json.loads(VALID)
    for record in records:
        record["isDeleted"] = False
    response = send(
        client, token_a, json.dumps(records).encode(), path=f"{DIFF}?integration=131016"
    )
    assert response.status_code == 202
    submission = Submission.objects.get(pk=int(response.json()["taskId"]))
    assert submission.mode == "diff"
    assert submission.original_name == "postDifferentialHistoryRegistrationTasks.json"
    assert submission.report["mode"] == "diff" and submission.report["accepted"]


def test_the_token_names_the_integration_when_its_vendor_has_one(client, cast, token_a):
    assert send(client, token_a).status_code == 202
    Integration.objects.create(
        municipality=cast.sapporo,
        vendor=cast.vendor_a,
        business_system="x",
        dropbox_name="011002-2",
    )
    status, code, message = error_of(send(client, token_a, VALID + b" "))
    assert (status, code) == (400, "invalid_request") and "X-PMH-Integration" in message
    by_query = send(client, token_a, VALID + b" ", path=f"{FULL}?integration=011002-2")
    assert by_query.status_code == 202
    assert Submission.objects.get(pk=int(by_query.json()["taskId"])).integration.dropbox_name == (
        "011002-2"
    )


def test_another_vendors_integration_and_task_answer_404(client, cast, token_a):
    status, code, _ = error_of(send(client, token_a, **{"X-PMH-Integration": "011002"}))
    assert (status, code) == (404, "not_found")
    token_b = api_token_issue(vendor=cast.vendor_b, name="b")[1]
    mine = send(client, token_a).json()
    assert error_of(task(client, token_b, mine["statusUrl"]))[:2] == (404, "not_found")
    assert task(client, token_a, f"{FULL}/abc").status_code == 404
    assert send(client, "pmh_wrong").status_code == 401


@pytest.mark.parametrize(
    ("content_type", "extra"),
    [
        ("text/csv", {}),
        ("application/x-www-form-urlencoded", {}),
        ("application/json; charset=Shift_JIS", {}),
        ("application/json", {"Content-Encoding": "br"}),
    ],
)
def test_wrong_content_type_or_encoding_is_415(
    client, cast, token_a, settings, content_type, extra
):
    response = send(client, token_a, content_type=content_type, **extra)
    status, code, message = error_of(response)
    assert (status, code) == (415, "unsupported_media_type")
    assert "application/json" in message or "gzip" in message
    assert nothing_stored(settings)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"", "本文がありません"),
        (b"orgSpecificCertificateTypeId,myNumber\n", "JSONではありません"),
        (b'{"myNumber": "123456789018"}', "配列"),
        (b"  [ ]  ", "1件もありません"),
        (b'[{"a": 1},\n {"b": 2,}]', "2行目"),
        (b'[{"a": "\xff"}]', "UTF-8"),
        (b'[{"a": 1}] [', "余分なデータ"),
    ],
)
def test_a_body_that_is_not_a_json_array_of_records_is_400_and_nothing_is_kept(
    client, cast, token_a, settings, body, words
):
    status, code, message = error_of(send(client, token_a, body))
    assert (status, code) == (400, "invalid_request")
    assert words in message and "何も受け付けていません" in message
    assert nothing_stored(settings)


def test_an_element_that_is_not_an_object_is_a_report_issue(client, cast, token_a):
    records = json.loads(VALID)
    body = json.dumps([records[0], "not a record", 7]).encode()
    response = send(client, token_a, body)
    assert response.status_code == 202
    report = task(client, token_a, response.json()["statusUrl"]).json()["report"]
    assert report["accepted"] is False and report["counts"]["R_NOT_OBJECT"] == 2


class _Unreadable(io.RawIOBase):
    """A request body that must not be read."""

    def read(self, size=-1):
        raise AssertionError("the body was read")


def test_a_body_over_the_limit_is_413_before_it_is_read(client, cast, token_a, settings):
    settings.PMH_MAX_UPLOAD_MB = 1
    response = client.generic(
        "POST",
        FULL,
        b"",
        content_type="application/json",
        headers={"Authorization": f"Bearer {token_a}"},
        CONTENT_TYPE="application/json",
        CONTENT_LENGTH=str(2 * 1024 * 1024),
        **{"wsgi.input": _Unreadable()},
    )
    status, code, message = error_of(response)
    assert (status, code) == (413, "too_large") and "1 MB" in message
    assert nothing_stored(settings)


def test_gzip_is_accepted_and_the_expanded_json_is_stored(client, cast, token_a):
    response = send(client, token_a, gzip.compress(VALID), **{"Content-Encoding": "gzip"})
    assert response.status_code == 202
    submission = Submission.objects.get(pk=int(response.json()["taskId"]))
    assert stored_path(submission).read_bytes() == VALID
    assert submission.report["accepted"]


def test_gzip_over_the_expanded_limit_or_broken_is_refused(client, cast, token_a, settings):
    settings.PMH_MAX_UPLOAD_MB = 1
    bomb = gzip.compress(b"[" + b" " * (3 * 1024 * 1024) + b"]")
    assert len(bomb) < 10_000
    status, code, message = error_of(send(client, token_a, bomb, **{"Content-Encoding": "gzip"}))
    assert (status, code) == (413, "too_large") and "展開後" in message
    broken = gzip.compress(VALID)[:-20]
    status, code, _ = error_of(send(client, token_a, broken, **{"Content-Encoding": "gzip"}))
    assert (status, code) == (400, "invalid_request")
    assert nothing_stored(settings)


def test_idempotency_key_and_duplicates(client, cast, token_a):
    first = send(client, token_a, **{"Idempotency-Key": "run-1"}).json()
    again = send(client, token_a, **{"Idempotency-Key": "run-1"}).json()
    assert again["taskId"] == first["taskId"] and Submission.objects.count() == 1
    status, code, _ = error_of(send(client, token_a, VALID + b"\n", **{"Idempotency-Key": "run-1"}))
    assert (status, code) == (409, "idempotency_conflict")
    duplicate = send(client, token_a).json()
    assert duplicate["duplicateOf"] == first["taskId"] != duplicate["taskId"]


def test_a_result_in_review_shows_only_its_status(client, cast, token_a):
    cast.integration_a.review_policy = "always"
    cast.integration_a.save()
    response = send(client, token_a)
    assert response.status_code == 202
    state = task(client, token_a, response.json()["statusUrl"]).json()
    assert state["status"] == Status.REVIEW
    assert state["report"] is None and state["verdict"] is None and state["rows"] is None


def test_the_integration_page_shows_a_ready_curl_example(client_for, cast):
    cast.integration_a.rework_method = "api"
    cast.integration_a.data_mode = "diff"
    cast.integration_a.save()
    page = client_for(cast.alice).get(cast.integration_a.get_absolute_url())
    html = page.content.decode()
    assert page.status_code == 200
    assert f'curl -sS -X POST "http://testserver{DIFF}"' in html
    assert "X-PMH-Integration: 131016" in html and "--data-binary @records.json" in html
    assert "PMH 登録API（テスト）" in html and "API トークンを環境変数 PMH_TOKEN に" in html
    cast.integration_a.rework_method = "manual"
    cast.integration_a.save()
    assert (
        "PMH_TOKEN"
        not in client_for(cast.alice).get(cast.integration_a.get_absolute_url()).content.decode()
    )


def test_a_body_that_cannot_be_spooled_is_503_and_nothing_is_kept(
    client, cast, token_a, settings, monkeypatch
):
    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("uploads.lib.storage.receive_stream", disk_full)
    status, code, _ = error_of(send(client, token_a))
    assert (status, code) == (503, "unavailable")
    assert nothing_stored(settings)
