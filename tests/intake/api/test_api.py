import io
import json
from pathlib import Path

import pytest

from onboarding.tokens import api_token_issue, api_token_revoke
from uploads.models import Submission

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "uploads"
VALID = (FIXTURES / "valid.cp932.csv").read_bytes()
BAD = (FIXTURES / "V_CHECK_DIGIT.csv").read_bytes()


@pytest.fixture
def token_a(cast):
    return api_token_issue(vendor=cast.vendor_a, name="tool")[1]


@pytest.fixture
def token_b(cast):
    return api_token_issue(vendor=cast.vendor_b, name="tool")[1]


@pytest.fixture(autouse=True)
def _jobs_run_at_commit(django_capture_on_commit_callbacks):
    """Test transactions never commit: run what the API queues as if they had."""
    global _capture
    _capture = django_capture_on_commit_callbacks


def post(client, token, data=VALID, integration="131016", name="daily.csv", headers=None, **extra):
    payload = {"integration": integration, "file": _file(data, name), **extra}
    with _capture(execute=True):
        return client.post(
            "/api/v1/submissions",
            payload,
            headers={"Authorization": f"Bearer {token}", **(headers or {})},
        )


def _file(data, name):
    f = io.BytesIO(data)
    f.name = name
    return f


def get(client, token, path):
    return client.get(path, headers={"Authorization": f"Bearer {token}"})


def test_submit_then_status_then_report(client, cast, token_a):
    response = post(client, token_a)
    assert response.status_code == 202
    body = response.json()
    assert set(body) == {"id", "status", "url"}
    status = get(client, token_a, f"/api/v1/submissions/{body['id']}").json()
    assert set(status) == {
        "id", "integration", "channel", "status", "verdict", "mode", "received_at", "rows",
        "errors", "warnings", "report_url",
    }  # fmt: skip
    assert status["channel"] == "api" and status["integration"] == "131016"
    assert status["status"] == "returned" and status["verdict"] == "accepted"
    report = get(client, token_a, f"/api/v1/submissions/{body['id']}/report").json()
    assert report["layout"] == "pmh-medical-subsidy/1" and report["accepted"] is True
    assert report["encoding"] == "cp932"


def test_content_problems_are_not_http_errors(client, cast, token_a):
    response = post(client, token_a, data=BAD)
    assert response.status_code == 202
    report = get(client, token_a, f"/api/v1/submissions/{response.json()['id']}/report").json()
    assert report["accepted"] is False and report["counts"] == {"V_CHECK_DIGIT": 1}
    assert "123456789012" not in json.dumps(report)


def test_same_bytes_again_answer_their_own_id_with_the_first_in_duplicate_of(client, cast, token_a):
    first = post(client, token_a).json()
    again = post(client, token_a, name="other-name.csv")
    assert again.status_code == 202
    body = again.json()
    assert body["id"] != first["id"] and body["duplicate_of"] == first["id"]
    assert body["url"].endswith(f"/api/v1/submissions/{body['id']}")
    assert Submission.objects.get(duplicate_of_id=first["id"]).pk == body["id"]
    status = get(client, token_a, f"/api/v1/submissions/{body['id']}").json()
    assert status["id"] == body["id"] and status["duplicate_of"] == first["id"]
    earlier = get(client, token_a, f"/api/v1/submissions/{first['id']}").json()
    assert status["verdict"] == earlier["verdict"] == "accepted"
    assert status["rows"] == earlier["rows"] and status["received_at"] != earlier["received_at"]
    assert status["report_url"].endswith(f"/api/v1/submissions/{body['id']}/report")
    report = get(client, token_a, f"/api/v1/submissions/{body['id']}/report").json()
    assert report["accepted"] is True and report["duplicate_of"] == first["id"]
    assert "duplicate_of" not in get(client, token_a, f"/api/v1/submissions/{first['id']}").json()


def test_missing_bad_or_revoked_token_is_401_json(client, cast, token_a):
    for headers in ({}, {"Authorization": "Bearer pmh_wrong"}, {"Authorization": "Basic eDp5"}):
        response = client.get("/api/v1/submissions/1", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_token"
        assert response["WWW-Authenticate"].startswith("Bearer")
    from onboarding.models import ApiToken

    api_token_revoke(token=ApiToken.objects.get())
    assert post(client, token_a).status_code == 401


def test_other_vendors_integration_and_submission_are_404(client, cast, token_a, token_b):
    response = post(client, token_b, integration="131016")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    unknown = post(client, token_b, integration="999999")
    assert unknown.json() == response.json() | {
        "error": {**response.json()["error"], "message": unknown.json()["error"]["message"]}
    }
    own = post(client, token_a).json()["id"]
    for path in (f"/api/v1/submissions/{own}", f"/api/v1/submissions/{own}/report"):
        other = get(client, token_b, path)
        assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"
    assert get(client, token_b, "/api/v1/submissions/999999").status_code == 404


def test_idempotency_key_replays_and_conflicts(client, cast, token_a):
    first = post(client, token_a, headers={"Idempotency-Key": "k-1"})
    replay = post(client, token_a, headers={"Idempotency-Key": "k-1"})
    assert replay.status_code == 202 and replay.json()["id"] == first.json()["id"]
    assert "duplicate_of" not in replay.json()
    conflict = post(client, token_a, data=BAD, headers={"Idempotency-Key": "k-1"})
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "idempotency_conflict"
    assert Submission.objects.count() == 1


def test_too_large_is_413_and_nothing_is_stored(client, cast, token_a, settings):
    settings.PMH_MAX_UPLOAD_MB = 1
    big = VALID + b"\n" * (2 * 1024 * 1024)
    response = post(client, token_a, data=big)
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"
    assert Submission.objects.count() == 0


def test_not_multipart_is_415(client, cast, token_a):
    response = client.post(
        "/api/v1/submissions",
        data=VALID,
        content_type="text/csv",
        headers={"Authorization": f"Bearer {token_a}"},
    )
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_bad_requests_are_400_with_japanese_message(client, cast, token_a):
    no_file = client.post(
        "/api/v1/submissions",
        {"integration": "131016"},
        headers={"Authorization": f"Bearer {token_a}"},
    )
    assert no_file.status_code == 400 and "ファイル" in no_file.json()["error"]["message"]
    bad_mode = post(client, token_a, mode="both")
    assert bad_mode.status_code == 400 and "mode" in bad_mode.json()["error"]["message"]


def test_rate_limit_per_token_is_429_with_retry_after(client, cast, token_a, token_b, settings):
    settings.PMH_API_RATE = "3/m"
    for _ in range(3):
        assert get(client, token_a, "/api/v1/submissions/999").status_code == 404
    limited = get(client, token_a, "/api/v1/submissions/999")
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert int(limited["Retry-After"]) >= 1
    assert get(client, token_b, "/api/v1/submissions/999").status_code == 404


def test_review_hides_verdict_and_report_until_release(client, cast, token_a):
    cast.integration_a.review_policy = "always"
    cast.integration_a.save()
    sid = post(client, token_a).json()["id"]
    status = get(client, token_a, f"/api/v1/submissions/{sid}").json()
    assert status["status"] == "review"
    assert status["verdict"] is None and status["rows"] is None and status["report_url"] is None
    report = get(client, token_a, f"/api/v1/submissions/{sid}/report")
    assert report.status_code == 404 and report.json()["error"]["code"] == "report_not_ready"
    from uploads.lifecycle import submission_release

    submission_release(
        submission=Submission.objects.get(pk=sid), by=cast.operator, comment="確認済"
    )
    assert get(client, token_a, f"/api/v1/submissions/{sid}/report").json()["comment"] == "確認済"


def test_openapi_and_docs_are_served_locally_without_login(client):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert "/api/v1/submissions" in schema.json()["paths"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    body = docs.content.decode()
    assert "cdn" not in body.lower() and "/static/ninja/" in body
