"""The API through a real HTTP server (pytest-django's live server) and urllib."""

import json
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from onboarding.tokens import api_token_issue

pytestmark = pytest.mark.django_db(transaction=True)
VALID = (
    Path(__file__).resolve().parents[2] / "fixtures" / "uploads" / "valid.utf8.csv"
).read_bytes()


def _multipart(fields: dict, data: bytes, name="daily.csv") -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: text/csv\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _call(url, token=None, body=None, content_type=None, headers=None):
    request = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if content_type:
        request.add_header("Content-Type", content_type)
    for k, v in (headers or {}).items():
        request.add_header(k, v)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
            return response.status, json.loads(response.read()), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read()), exc.headers


def test_live_api_status_codes(live_server, cast, settings):
    settings.PMH_API_RATE = "8/m"
    settings.PMH_MAX_UPLOAD_MB = 1
    _, token_a = api_token_issue(vendor=cast.vendor_a, name="a")
    _, token_b = api_token_issue(vendor=cast.vendor_b, name="b")
    url = live_server.url + "/api/v1/submissions"
    body, ctype = _multipart({"integration": "131016"}, VALID)

    assert _call(url, None, body, ctype)[0] == 401
    status, first, _ = _call(url, token_a, body, ctype, {"Idempotency-Key": "k1"})
    assert status == 202
    status, again, _ = _call(url, token_a, *_multipart({"integration": "131016"}, VALID, "x.csv"))
    assert status == 202 and again["duplicate_of"] == first["id"]
    other_body, other_ctype = _multipart({"integration": "131016"}, VALID + b"\n")
    status, conflict, _ = _call(url, token_a, other_body, other_ctype, {"Idempotency-Key": "k1"})
    assert status == 409 and conflict["error"]["code"] == "idempotency_conflict"
    status, missing, _ = _call(url, token_b, body, ctype)
    assert status == 404 and missing["error"]["code"] == "not_found"
    big, big_ctype = _multipart({"integration": "131016"}, VALID + b"\n" * (3 * 1024 * 1024))
    assert _call(url, token_a, big, big_ctype)[0] == 413
    status, unsupported, _ = _call(url, token_a, VALID, "text/csv")
    assert status == 415 and unsupported["error"]["code"] == "unsupported_media_type"
    status, report, _ = _call(f"{url}/{first['id']}/report", token_a)
    assert status == 200 and report["accepted"] is True
    for _ in range(4):  # six calls so far; the limit is eight a minute
        _call(f"{url}/{first['id']}", token_a)
    status, limited, headers = _call(f"{url}/{first['id']}", token_a)
    assert status == 429 and limited["error"]["code"] == "rate_limited"
    assert int(headers["Retry-After"]) >= 1
    assert _call(f"{url}/{first['id']}", token_b)[0] == 404  # the limit is per token
