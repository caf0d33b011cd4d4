"""A request body sent with Transfer-Encoding: chunked and no Content-Length (console.chunked).

Through the project's WSGI application (as pmhadmin/wsgi.py builds it, which runserver and
gunicorn call), with the chunked framing in the input as runserver and wsgiref hand it over,
and decoded already as gunicorn hands it over (``wsgi.input_terminated``).
"""

import io
import json
import sys
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.handlers.wsgi import LimitedStream
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections

from console.chunked import BadChunks, BodyTooLarge, decode
from onboarding.tokens import api_token_issue
from pmhadmin.chunked import wrap
from uploads.models import Submission

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "uploads"
VALID = (FIXTURES / "valid.cp932.csv").read_bytes()
BOUNDARY = "chunkedboundary"
application = wrap(get_wsgi_application())  # as pmhadmin/wsgi.py builds it


@pytest.fixture
def token(cast):
    return api_token_issue(vendor=cast.vendor_a, name="tool")[1]


@pytest.fixture(autouse=True)
def _jobs_run_at_commit(django_capture_on_commit_callbacks):
    global _capture
    _capture = django_capture_on_commit_callbacks


def _multipart(data: bytes) -> bytes:
    return (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="integration"\r\n\r\n131016\r\n'
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="daily.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


def chunked(body: bytes, size: int = 1000, trailer: bytes = b"") -> bytes:
    parts = [b"%x;ext=1\r\n%s\r\n" % (len(body[i : i + size]), body[i : i + size])
             for i in range(0, len(body), size)]  # fmt: skip
    return b"".join(parts) + b"0\r\n" + trailer + b"\r\n"


def call(token: str, raw: bytes, *, how: str = "runserver", after: bytes = b"") -> tuple:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/v1/submissions",
        "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "HTTP_HOST": "testserver",
        "wsgi.errors": sys.stderr,
    }
    socket = io.BufferedReader(io.BytesIO(raw + after))
    if how == "runserver":  # the socket behind a LimitedStream of Content-Length (none: 0)
        environ["wsgi.input"] = LimitedStream(socket, 0)
    elif how == "gunicorn":  # decoded by the server, read to its end
        environ["wsgi.input"] = io.BytesIO(raw)
        environ["wsgi.input_terminated"] = True
    setup_testing_defaults(environ)
    started = {}

    def start_response(status, headers, exc_info=None):
        started.update(status=status, headers=dict(headers))

    # As Django's test client does: the test's database connection stays open (on
    # PostgreSQL the request's end would close it under the test's transaction).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with _capture(execute=True):
            answer = application(environ, start_response)
            body = b"".join(answer)
            getattr(answer, "close", lambda: None)()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return int(started["status"].split()[0]), started["headers"], body, socket


@pytest.mark.parametrize("how", ["runserver", "gunicorn"])
def test_a_chunked_upload_is_received_like_any_other(cast, token, how):
    body = _multipart(VALID)
    raw = chunked(body) if how == "runserver" else body
    status, _headers, answer, socket = call(token, raw, how=how, after=b"NEXT REQUEST")
    assert status == 202, answer
    submission = Submission.objects.get(pk=json.loads(answer)["id"])
    assert submission.size == len(VALID) and submission.verdict == "accepted"
    if how == "runserver":
        assert socket.read() == b"NEXT REQUEST"  # nothing after the body was read


def test_trailer_fields_are_read_and_ignored(cast, token):
    raw = chunked(_multipart(VALID), trailer=b"X-Checksum: abc\r\n")
    status, _headers, answer, _ = call(token, raw)
    assert status == 202, answer


def test_over_the_limit_is_413_and_nothing_is_stored(cast, token, settings):
    settings.PMH_MAX_UPLOAD_MB = 1
    body = _multipart(b"x" * (2 * 1024 * 1024 + 10))
    for how, raw in (("runserver", chunked(body, 64 * 1024)), ("gunicorn", body)):
        status, headers, answer, _ = call(token, raw, how=how)
        assert status == 413, how
        error = json.loads(answer)["error"]
        assert error["code"] == "too_large" and "1 MB" in error["message"]
        assert headers["Content-Length"] == str(len(answer))
    assert not Submission.objects.exists()


def test_a_body_that_breaks_off_is_400(cast, token):
    raw = chunked(_multipart(VALID))[:-200]
    status, _headers, answer, _ = call(token, raw)
    assert status == 400 and json.loads(answer)["error"]["code"] == "invalid_request"
    assert not Submission.objects.exists()


def test_a_request_with_content_length_is_untouched(client, cast, token):
    # The ordinary path (the test client sends Content-Length) still answers as before.
    response = client.post(
        "/api/v1/submissions",
        data=_multipart(VALID),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 202


@pytest.mark.parametrize(
    "raw",
    [b"zz\r\nab\r\n0\r\n\r\n", b"-1\r\n", b"2\r\nab", b"2\r\nabXY0\r\n\r\n", b"ffff" * 2000],
)
def test_broken_framing(raw):
    stream = io.BufferedReader(io.BytesIO(raw))
    with pytest.raises(BadChunks):
        decode(stream.read, stream.readline, io.BytesIO(), 1000)


def test_decode_limit_reads_on_a_little_then_refuses():
    raw = chunked(b"a" * 3000, 500) + b"AFTER"
    stream = io.BufferedReader(io.BytesIO(raw))
    with pytest.raises(BodyTooLarge):
        decode(stream.read, stream.readline, io.BytesIO(), 1000, drain=10_000)
    assert stream.read() == b"AFTER"  # the whole body was read on, so the answer gets through
    sink = io.BytesIO()
    stream = io.BufferedReader(io.BytesIO(chunked(b"a" * 3000, 500)))
    assert decode(stream.read, stream.readline, sink, 3000) == 3000
    assert sink.getvalue() == b"a" * 3000
