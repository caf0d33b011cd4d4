"""A vendor's client streams its upload chunked (Transfer-Encoding: chunked, no Content-Length):
a raw socket against a real console as `make run` serves it (runserver).

The file is received like any other (202, then validated); a body over the limit answers 413
while the client is still sending and nothing is stored; the connection stays usable for the
answer (runserver closes it after).
"""

from __future__ import annotations

import json
import socket

import pytest

from tests.faults.test_embedded_concurrency import Console, _multipart, _valid
from tests.faults.workers import wait


@pytest.fixture
def console(tmp_path):
    server = Console(tmp_path, None)
    server.env["PMH_MAX_UPLOAD_MB"] = "1"
    with server as running:
        yield running


def _chunked_post(console: Console, body: bytes, content_type: str, size: int) -> tuple[int, dict]:
    head = (
        "POST /api/v1/submissions HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{console.port}\r\n"
        f"Authorization: Bearer {console.token}\r\n"
        f"Content-Type: {content_type}\r\n"
        "Transfer-Encoding: chunked\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", console.port), timeout=60) as conn:
        conn.sendall(head)
        for i in range(0, len(body), size):
            piece = body[i : i + size]
            conn.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
        conn.sendall(b"0\r\n\r\n")
        answer = b""
        while data := conn.recv(65536):
            answer += data
    head, _, payload = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(payload)


def _multipart_file(data: bytes) -> tuple[bytes, str]:
    body, content_type = _multipart({"integration": "131016"}, "daily.csv", data)
    return body.replace(b'name="files"', b'name="file"'), content_type


def test_a_chunked_upload_is_received_and_an_oversized_one_is_413(console):
    body, content_type = _multipart_file(_valid(30, 900))
    status, answer = _chunked_post(console, body, content_type, 700)
    assert status == 202, (answer, console.log.read_text()[-3000:])
    assert set(answer) == {"id", "status", "url"}

    def validated():
        rows = console.submissions()
        return rows if rows == [("api", "returned", "accepted")] else None

    wait(validated, 120, "the chunked file validated", on_timeout=console.log.read_text)

    # Over PMH_MAX_UPLOAD_MB (1 MB here, and 1 MB for the multipart envelope): 413 in the
    # API's error shape, nothing stored.
    body, content_type = _multipart_file(b"x" * (2 * 1024 * 1024 + 100))
    status, answer = _chunked_post(console, body, content_type, 64 * 1024)
    assert status == 413, answer
    assert answer["error"]["code"] == "too_large"
    assert len(console.submissions()) == 1
