"""Drivers of items that need more than "send these bytes under this name", and hand-written
HTTP bodies (lying lengths, truncated multipart) shared by the transport items."""

from __future__ import annotations

import io
import json

from django.urls import reverse

from tests.fixtures.uploads.mail import make_fixtures as eml
from uploads.models import StoredRecord

from . import channels as ch
from .inputs import valid_csv

GIB4 = 4 * 1024**3 + 1
# What the web answers when it read no file: the form's message, or its 400 page.
TOLD = ("アップロードするファイルを1つ以上選んでください", "リクエストを読み取れませんでした")
BOUNDARY = "----pmh-bad-inputs"


# -- HTTP bodies written by hand ---------------------------------------------------------------


def multipart(fields: dict[str, str], files: list[tuple[str, bytes]], field="file") -> bytes:
    parts = []
    for key, value in fields.items():
        head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for name, data in files:
        head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="{name}"\r\nContent-Type: text/csv\r\n\r\n'
        )
        parts.append(head.encode() + data + b"\r\n")
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def web_url(env) -> str:
    return reverse("intake:upload", args=[env.cast.integration_a.pk])


def raw_post(env, out, url, body, *, headers=None, **meta) -> object:
    # A plain stream, as a server hands it over: a short body just ends (the test client's
    # own payload object would raise instead).
    meta = {"wsgi.input": io.BytesIO(body), **meta}
    with env.jobs():
        response = env.client.generic(
            "POST", url, body, content_type=CONTENT_TYPE, headers=headers, **meta
        )
    out.statuses.append(response.status_code)
    return response


def http_send(channel: str, env, body: bytes, **meta) -> ch.Outcome:
    """Post a hand-written multipart body to the web upload or the API and gather the result."""
    out, marks = ch.Outcome(channel), ch._marks()
    if channel == "web":
        env.client.force_login(env.cast.alice)
        response = raw_post(env, out, web_url(env), body, **meta)
        out.shown.append(ch._page(response))
        if response.status_code == 302:  # the page the browser lands on shows the messages
            out.shown.append(ch._page(env.client.get(response.url)))
    else:
        headers = {"Authorization": f"Bearer {ch.api_token(env)}"}
        response = raw_post(env, out, "/api/v1/submissions", body, headers=headers, **meta)
        out.statuses.pop()
        ch.api_answer(out, response)
    return ch._gather(env, out, *marks)


def form(channel: str, files: list[tuple[str, bytes]], **fields: str) -> bytes:
    """The channel's multipart body: the API's ``file`` and ``integration``, the page's."""
    if channel == "api":
        return multipart({"integration": "131016", **fields}, files, field="file")
    return multipart(fields, files, field="files")


def web_huge_length(env, name, data) -> ch.Outcome:
    return http_send("web", env, form("web", [(name, valid_csv()())]), CONTENT_LENGTH=str(GIB4))


def api_huge_length(env, name, data) -> ch.Outcome:
    return http_send("api", env, form("api", [(name, valid_csv()())]), CONTENT_LENGTH=str(GIB4))


def _length_lies(channel: str, env, name, data) -> ch.Outcome:
    body = form(channel, [(name, data)])
    lengths = [str(len(body) // 2), str(len(body) + 4096), "-1", "abc"]
    outcomes = [http_send(channel, env, body, CONTENT_LENGTH=length) for length in lengths]
    for outcome in outcomes[2:]:  # not a length at all: nothing read, the sender told why
        assert outcome.statuses[0] in (302, 400) and not outcome.submissions, outcome.statuses
        assert any(t in outcome.text for t in TOLD) or "invalid_request" in outcome.codes
    return merge(channel, outcomes)


def web_length_lies(env, name, data) -> ch.Outcome:
    return _length_lies("web", env, name, data)


def api_length_lies(env, name, data) -> ch.Outcome:
    return _length_lies("api", env, name, data)


def _truncated(channel: str, env, name, data) -> ch.Outcome:
    body = form(channel, [(name, data)])
    cut = body[: len(body) - len(data) // 2]  # the connection dropped mid-file
    return http_send(channel, env, cut, CONTENT_LENGTH=str(len(body)))


def web_truncated(env, name, data) -> ch.Outcome:
    return _truncated("web", env, name, data)


def api_truncated(env, name, data) -> ch.Outcome:
    return _truncated("api", env, name, data)


def merge(channel: str, outcomes: list[ch.Outcome]) -> ch.Outcome:
    out = ch.Outcome(channel)
    for one in outcomes:
        out.statuses += one.statuses
        out.shown += one.shown
        out.codes |= one.codes
        out.submissions += one.submissions
        out.errors += one.errors
        out.kept += one.kept
    return out


def web_polyglot(env, name, data) -> ch.Outcome:
    """The HTML-looking CSV comes back only as downloads that browsers never render."""
    out = ch.web(env, name, data)
    (submission,) = out.submissions
    for view, ctype in (
        ("uploads:result_json", "application/json"),
        ("uploads:result_csv", "text/csv; charset=utf-8"),
    ):
        response = env.client.get(reverse(view, args=[submission.pk]))
        assert response["Content-Type"] == ctype
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("attachment;")
    env.client.force_login(env.cast.operator)
    original = env.client.get(reverse("uploads:original", args=[submission.pk]))
    assert original["Content-Type"] == "application/octet-stream"
    assert original["Content-Disposition"].startswith("attachment;")
    assert b"".join(original.streaming_content) == data
    return out


def web_probe(env, name, data) -> ch.Outcome:
    """Probes come back escaped on pages and never as a formula in the result CSV."""
    out = ch.web(env, name, data)
    (submission,) = out.submissions
    page = env.client.get(submission.get_absolute_url()).content.decode()
    for probe in ("<script>alert(1)</script>", "<img src=x"):
        assert probe not in page  # escaped; {{7*7}} shows as typed (Django never evaluates it)
    rows = b"".join(env.client.get(reverse("uploads:result_csv", args=[submission.pk])))
    for line in rows.decode("utf-8-sig").splitlines()[1:]:
        value = line.rsplit(",", 1)[-1].strip('"')
        assert not value.startswith(("=", "+", "-", "@", "\t", "\r", "＝")), line
    return out


def api_declared_utf8(env, name, data) -> ch.Outcome:
    return ch.api(env, name, data, content_type="text/csv; charset=utf-8")


def mail_declared_utf8(env, name, data) -> ch.Outcome:
    raw = eml.mail(
        eml.part(
            b"text/csv; charset=utf-8",
            eml.b64(data),
            disposition=b'attachment; filename="' + name.encode() + b'"',
        )
    )
    return ch.mail(env, name, data, raw=raw)


def kept_in_store(*texts: str) -> dict:
    """Drivers for every channel that also find ``texts`` unchanged in the test store."""

    def wrap(channel: str):
        def drive(env, name, data) -> ch.Outcome:
            out = ch.DRIVERS[channel](env, name, data)
            assert [s.sha256 for s in out.submissions] == [ch.sha256(data)]
            records = StoredRecord.objects.filter(integration=env.cast.integration_a)
            stored = json.dumps([r.values for r in records], ensure_ascii=False)
            for text in texts:
                assert text in stored, text
            return out

        return drive

    return {channel: wrap(channel) for channel in ch.CHANNELS}
