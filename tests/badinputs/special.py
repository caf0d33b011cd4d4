"""Items about one transport (file names, MIME, HTTP, the shared folder), and the drivers of
items that need more than "send these bytes under this name"."""

from __future__ import annotations

import base64
import io
import os
import stat
import time
import unicodedata
from pathlib import Path
from urllib.parse import quote

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from intake.services import folder_sweep
from onboarding.models import ApiToken
from onboarding.tokens import api_token_revoke
from tests.fixtures.uploads.mail import make_fixtures as eml

from . import channels as ch
from .inputs import ACCEPTED, Item, cell, codes, valid_csv

MAIL_FIXTURES = Path(eml.HERE)
GIB4 = 4 * 1024**3 + 1
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


def _web_url(env) -> str:
    return reverse("uploads:upload", args=[env.cast.integration_a.pk])


def _raw_post(env, out, url, body, *, headers=None, **meta) -> object:
    # A plain stream, as a server hands it over: a short body just ends (the test client's
    # own payload object would raise instead).
    meta = {"wsgi.input": io.BytesIO(body), **meta}
    with env.jobs():
        response = env.client.generic(
            "POST", url, body, content_type=CONTENT_TYPE, headers=headers, **meta
        )
    out.statuses.append(response.status_code)
    return response


def _http(channel: str, env, body: bytes, **meta) -> ch.Outcome:
    """Post a hand-written multipart body to the web upload or the API and gather the result."""
    out, marks = ch.Outcome(channel), ch._marks()
    if channel == "web":
        env.client.force_login(env.cast.alice)
        response = _raw_post(env, out, _web_url(env), body, **meta)
        out.shown.append(ch._page(response))
        if response.status_code == 302:  # the page the browser lands on shows the messages
            out.shown.append(ch._page(env.client.get(response.url)))
    else:
        headers = {"Authorization": f"Bearer {ch.api_token(env)}"}
        response = _raw_post(env, out, "/api/v1/submissions", body, headers=headers, **meta)
        out.statuses.pop()
        ch.api_answer(out, response)
    return ch._gather(env, out, *marks)


def _form(channel: str, files: list[tuple[str, bytes]], **fields: str) -> bytes:
    """The channel's multipart body: the API's ``file`` and ``integration``, the page's."""
    if channel == "api":
        return multipart({"integration": "131016", **fields}, files, field="file")
    return multipart(fields, files, field="files")


def _fields(channel: str) -> dict[str, str]:
    return {"integration": "131016"} if channel == "api" else {}


def web_huge_length(env, name, data) -> ch.Outcome:
    return _http("web", env, _form("web", [(name, valid_csv()())]), CONTENT_LENGTH=str(GIB4))


def api_huge_length(env, name, data) -> ch.Outcome:
    return _http("api", env, _form("api", [(name, valid_csv()())]), CONTENT_LENGTH=str(GIB4))


def _length_lies(channel: str, env, name, data) -> ch.Outcome:
    body = _form(channel, [(name, data)])
    outcomes = [
        _http(channel, env, body, CONTENT_LENGTH=str(len(body) // 2)),
        _http(channel, env, body, CONTENT_LENGTH=str(len(body) + 4096)),
    ]
    return _merge(channel, outcomes)


def web_length_lies(env, name, data) -> ch.Outcome:
    return _length_lies("web", env, name, data)


def api_length_lies(env, name, data) -> ch.Outcome:
    return _length_lies("api", env, name, data)


def _truncated(channel: str, env, name, data) -> ch.Outcome:
    body = _form(channel, [(name, data)])
    cut = body[: len(body) - len(data) // 2]  # the connection dropped mid-file
    return _http(channel, env, cut, CONTENT_LENGTH=str(len(body)))


def web_truncated(env, name, data) -> ch.Outcome:
    return _truncated("web", env, name, data)


def api_truncated(env, name, data) -> ch.Outcome:
    return _truncated("api", env, name, data)


def _merge(channel: str, outcomes: list[ch.Outcome]) -> ch.Outcome:
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
    out, marks = ch.Outcome("api"), ch._marks()
    upload = SimpleUploadedFile(name, data, content_type="text/csv; charset=utf-8")
    with env.jobs():
        response = env.client.post(
            "/api/v1/submissions",
            {"integration": "131016", "file": upload},
            headers={"Authorization": f"Bearer {ch.api_token(env)}"},
        )
    ch.api_answer(out, response)
    return ch._gather(env, out, *marks)


def mail_declared_utf8(env, name, data) -> ch.Outcome:
    raw = eml.mail(
        eml.part(
            b"text/csv; charset=utf-8",
            eml.b64(data),
            disposition=b'attachment; filename="' + name.encode() + b'"',
        )
    )
    return ch.mail(env, name, data, raw=raw)


# -- file names ------------------------------------------------------------------------------


def _mail_named(env, name, data) -> ch.Outcome:
    """The name as RFC 2231 UTF-8, so any character (NUL, CR, LF) survives into the header."""
    encoded = quote(name.encode("utf-8"), safe="").encode()
    raw = eml.mail(
        eml.part(b"text/csv", eml.b64(data), disposition=b"attachment; filename*=UTF-8''" + encoded)
    )
    return ch.mail(env, name, data, raw=raw)


def _api_named(env, name, data) -> ch.Outcome:
    """The API with the name written raw into the multipart header (a tool's own encoder)."""
    body = multipart(_fields("api"), [(name.replace('"', "%22"), data)])
    return _http("api", env, body)


def _two_names(channel: str):
    """The same name in NFC and NFD, arriving together."""

    def drive(env, name, data) -> ch.Outcome:
        names = [unicodedata.normalize("NFC", name), unicodedata.normalize("NFD", name)]
        contents = [data, data.replace(b"\r\n", b"\n")]
        if channel == "folder":
            out, marks = ch.Outcome("folder"), ch._marks()
            ch.folder_run(env)
            for one, content in zip(names, contents, strict=True):
                ch.folder_put(env, one, content)
            ch.folder_run(env)
            out = ch.folder_collect(env, out, *marks, digest=None)
            assert len(out.submissions) == 2
            assert {p.name for p in (ch.folder_path(env) / "outbox").iterdir()} == {
                f"{n}{suffix}" for n in names for suffix in (".result.json", ".result.csv")
            }
            return out
        if channel in ("web", "media"):
            files = [
                SimpleUploadedFile(one, content, content_type="text/csv")
                for one, content in zip(names, contents, strict=True)
            ]
            if channel == "web":
                return ch.web(env, name, data, files=files)
            return _merge(
                "media", [ch.media(env, n, c) for n, c in zip(names, contents, strict=True)]
            )
        if channel == "mail":
            raw = eml.mail(
                *[
                    eml.part(
                        b"text/csv",
                        eml.b64(content),
                        disposition=b"attachment; filename*=UTF-8''"
                        + quote(one.encode(), safe="").encode(),
                    )
                    for one, content in zip(names, contents, strict=True)
                ]
            )
            return ch.mail(env, name, data, raw=raw)
        return _merge("api", [ch.api(env, n, c) for n, c in zip(names, contents, strict=True)])

    return drive


def _csv_directory(env, name, data) -> ch.Outcome:
    """A directory named like a CSV in inbox/ is a subfolder: left alone (spec §3.1)."""
    out = ch.folder(env, name, data, place=lambda inbox: (inbox / name).mkdir())
    assert (ch.folder_path(env) / "inbox" / name).is_dir()
    out.codes.add("ignored")
    return out


POSIX_NAME = "a POSIX file name cannot hold '/' or NUL, nor more than 255 bytes"
NAMES = [
    ("../../etc/passwd", False, True),
    ("..\\..\\boot.ini", False, False),
    ("/etc/x.csv", True, True),
    ("C:\\Users\\x.csv", True, False),
    ("a\x00b.csv", True, True),
    ("a\nb.csv", True, False),
    ("a\rb.csv", True, False),
    ('a;b".csv', True, False),
    ("あ" * 90 + ".csv", True, True),
    ("CON.csv", True, False),
    ("NUL", False, False),
    ("COM1", False, False),
    ("data.csv.", True, False),
    ("data.csv ", True, False),
    ("-data.csv", True, False),
    ("data.csv.exe", False, False),
    ("DATA.CSV", True, False),
    ("data", False, False),
    ("data\u202evsc.exe", False, False),
    (unicodedata.normalize("NFD", "がっこう.csv"), True, False),
    ("ａ／ｂ＼ｃ．csv", False, False),
    ("¥data.csv", True, False),
]


def _name_item(name: str, csv_like: bool, posix_impossible: bool) -> Item:
    ident = "name/" + name.encode("unicode_escape").decode()[:40]
    expect = dict(ACCEPTED)
    if not csv_like:
        expect["mail"] = ("unsupported",)
    if name.rstrip(". ").endswith("csv") and name != name.rstrip(". "):
        expect["mail"] = ("accepted",)
    if name.startswith("."):
        expect["folder"] = ("ignored",)  # a hidden file: left alone (spec §3.1)
    na = {"folder": POSIX_NAME} if posix_impossible else {}
    return Item(
        ident,
        valid_csv(),
        expect,
        name=name,
        channels=tuple(c for c in ch.CHANNELS if c not in na),
        not_applicable=na,
        driver={"mail": _mail_named, "api": _api_named},
    )


FILENAME_ITEMS = [_name_item(*spec) for spec in NAMES] + [
    Item(
        "name/csv-directory",
        valid_csv(),
        {"folder": ("ignored",)},
        name="dir.csv",
        channels=("folder",),
        driver={"folder": _csv_directory},
        not_applicable={c: "only a shared folder can hold a directory" for c in ch.CHANNELS[:2]}
        | {"mail": "a mail carries files only", "media": "the import form takes files only"},
    ),
    Item(
        "name/nfc-and-nfd-together",
        valid_csv(),
        ACCEPTED,
        name="がっこう.csv",
        driver={c: _two_names(c) for c in ch.CHANNELS},
    ),
]


# -- mail and MIME ----------------------------------------------------------------------------


def _eml(name: str):
    return lambda env, _name, _data: ch.mail(
        env, name, b"", raw=(MAIL_FIXTURES / name).read_bytes()
    )


def _eml_built(build):
    return lambda env, _name, _data: ch.mail(env, "x", b"", raw=build())


def _twice(build_a, build_b):
    """Two messages one after the other (a duplicate Message-ID with other bytes)."""

    def drive(env, name, data) -> ch.Outcome:
        return _merge(
            "mail", [_eml_built(build_a)(env, name, data), _eml_built(build_b)(env, name, data)]
        )

    return drive


def _no_message_id() -> bytes:
    return (
        (MAIL_FIXTURES / "plain_csv.eml")
        .read_bytes()
        .replace(b"Message-ID: <fixture-0@demo.invalid>\r\n", b"")
    )


def _other_body() -> bytes:
    return (MAIL_FIXTURES / "plain_csv.eml").read_bytes().replace(b"[131016]", b"[131016] 2", 1)


def _cp932_8bit() -> bytes:
    data = cell("basicFiveInfo.name", "髙橋①", encoding="cp932")()
    return eml.mail(
        eml.part(
            b"application/octet-stream",
            data,
            disposition=b'attachment; filename="daily.csv"',
            cte=b"8bit",
        )
    )


def _nul_headers() -> bytes:
    nul = b"=?UTF-8?B?" + base64.b64encode("件名\x00[131016]".encode()) + b"?="
    raw = (MAIL_FIXTURES / "plain_csv.eml").read_bytes()
    raw = raw.replace(
        b"Message-ID: <fixture-0@demo.invalid>", b"Message-ID: <nul\x00id@demo.invalid>"
    )
    return raw.replace(b"Subject: ", b"Subject: " + nul + b" ", 1)


REPORTED = ("F_HEADER_MISSING",)  # the fixtures' two-column CSV: taken, then rejected
MAIL_CASES = [
    ("mime/rfc2231-iso2022jp-split", "rfc2231_iso2022jp_split.eml", REPORTED),
    ("mime/rfc2047-iso2022jp-filename", "rfc2047_iso2022jp_filename.eml", REPORTED),
    ("mime/rfc2047-windows-1252", "rfc2047_windows1252.eml", REPORTED),
    ("mime/name-and-filename-differ", "name_filename_disagree.eml", REPORTED),
    ("mime/missing-boundary", "missing_boundary.eml", ("broken_mime",)),
    ("mime/boundary-in-base64", "boundary_in_base64.eml", REPORTED),
    ("mime/broken-base64-chars", "broken_base64_chars.eml", ("broken_encoding",)),
    ("mime/base64-no-padding", "base64_no_padding.eml", REPORTED),
    ("mime/qp-soft-break-multibyte", "qp_soft_break_multibyte.eml", REPORTED),
    ("mime/uuencode-body", "uuencode_body.eml", ("uuencode",)),
    ("mime/uuencode-cte", "uuencode_cte.eml", REPORTED),
    ("mime/tnef", "tnef.eml", ("tnef",)),
    ("mime/smime-encrypted", "smime_encrypted.eml", ("smime",)),
    ("mime/forwarded-rfc822", "forwarded_rfc822.eml", REPORTED),
    ("mime/same-attachment-twice", "same_attachment_twice.eml", REPORTED),
    ("mime/from-not-envelope", "from_ne_envelope.eml", REPORTED),
    ("mime/spf-dkim-fail", "auth_fail.eml", ("auth_failed",)),
    ("mime/auto-replied", "auto_replied.eml", ("auto_reply",)),
    ("mime/dsn-of-our-result", "dsn_own_result.eml", ("bounce",)),
    ("mime/declared-csv-is-xlsx", "xlsx_as_csv.eml", ("F_NOT_TEXT",)),
    ("mime/ppap", "ppap.eml", ("ppap",)),
    ("mime/gateway-removed", "gateway_stub.eml", ("gateway_removed",)),
]
MAIL_ONLY = {c: "MIME exists only in the mail channel" for c in ("web", "api", "folder", "media")}
MAIL_ITEMS = (
    [
        Item(
            ident,
            valid_csv(),
            codes(*expected),
            channels=("mail",),
            not_applicable=MAIL_ONLY,
            driver={"mail": _eml(name)},
        )
        for ident, name, expected in MAIL_CASES
    ]
    + [
        Item(
            ident,
            valid_csv(),
            codes(*expected),
            channels=("mail",),
            not_applicable=MAIL_ONLY,
            driver={"mail": _eml_built(build)},
        )
        for ident, build, expected in (
            ("mime/nesting-1000", lambda: eml.huge_nesting(1000), ("too_many_parts",)),
            ("mime/nesting-100", lambda: eml.huge_nesting(100), ("too_deep",)),
            ("mime/nul-in-headers", _nul_headers, REPORTED),
            ("mime/10000-parts", lambda: eml.huge_parts(10_000), ("too_many_parts",)),
            ("mime/1mb-header-line", eml.huge_header_line, REPORTED),
            ("mime/10000-headers", eml.huge_header_count, REPORTED),
            ("mime/no-message-id", _no_message_id, REPORTED),
            ("mime/8bit-cp932-no-charset", _cp932_8bit, ("accepted",)),
        )
    ]
    + [
        Item(
            "mime/duplicate-message-id",
            valid_csv(),
            codes(*REPORTED),
            channels=("mail",),
            not_applicable=MAIL_ONLY,
            driver={
                "mail": _twice(lambda: (MAIL_FIXTURES / "plain_csv.eml").read_bytes(), _other_body)
            },
        ),
    ]
)


# -- HTTP and API -----------------------------------------------------------------------------


def _many_files(channel: str, count: int = 1000):
    def drive(env, name, data) -> ch.Outcome:
        body = multipart(
            _fields(channel),
            [(f"{n}.csv", data) for n in range(count)],
            field="file" if channel == "api" else "files",
        )
        return _http(channel, env, body)

    return drive


def _many_fields(channel: str):
    def drive(env, name, data) -> ch.Outcome:
        fields = {**_fields(channel), **{f"f{n}": "x" for n in range(10_000)}}
        return _http(
            channel,
            env,
            multipart(fields, [(name, data)], field="file" if channel == "api" else "files"),
        )

    return drive


def _chunked(channel: str):
    def drive(env, name, data) -> ch.Outcome:
        body = multipart(
            _fields(channel), [(name, data)], field="file" if channel == "api" else "files"
        )
        return _http(channel, env, body, CONTENT_LENGTH="", HTTP_TRANSFER_ENCODING="chunked")

    return drive


def _idempotency(env, name, data) -> ch.Outcome:
    token = ch.api_token(env)
    first = ch.api(env, name, data, token=token, headers={"Idempotency-Key": "k-1"})
    other = ch.api(env, name, data + b"\r\n", token=token, headers={"Idempotency-Key": "k-1"})
    return _merge("api", [first, other])


def _revoked(env, name, data) -> ch.Outcome:
    token = ch.api_token(env)
    captured = ch.api(env, name, data, token=token)
    api_token_revoke(token=ApiToken.objects.get(vendor=env.cast.vendor_a))
    replay = ch.api(env, name, data, token=token)
    return _merge("api", [captured, replay])


def _other_vendor(env, name, data) -> ch.Outcome:
    out, marks = ch.Outcome("api"), ch._marks()
    from onboarding.tokens import api_token_issue

    token = api_token_issue(vendor=env.cast.vendor_b, name="b")[1]
    upload = SimpleUploadedFile(name, data, content_type="text/csv")
    response = env.client.post(
        "/api/v1/submissions",
        {"integration": "131016", "file": upload},
        headers={"Authorization": f"Bearer {token}"},
    )
    ch.api_answer(out, response)
    return ch._gather(env, out, *marks)


def _csrf(channel: str):
    def drive(env, name, data) -> ch.Outcome:
        out, marks = ch.Outcome(channel), ch._marks()
        client = Client(enforce_csrf_checks=True)
        if channel == "web":
            client.force_login(env.cast.alice)
            url = _web_url(env)
        else:
            client.force_login(env.cast.operator)
            from intake.services import media_handover_create

            handover = media_handover_create(
                integration=env.cast.integration_a, brought_by="x", medium="y", by=env.cast.operator
            )
            url = reverse("intake:media_import", args=[handover.pk])
        upload = SimpleUploadedFile(name, data, content_type="text/csv")
        response = client.post(url, {"files": [upload]}, headers={"Origin": "https://evil.invalid"})
        out.statuses.append(response.status_code)
        out.shown.append(ch._page(response))
        return ch._gather(env, out, *marks)

    return drive


def _framing(env, name, data) -> ch.Outcome:
    out = ch.Outcome("web")
    env.client.force_login(env.cast.alice)
    response = env.client.get(env.cast.integration_a.get_absolute_url())
    out.statuses.append(response.status_code)
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.get(
        "Content-Security-Policy", "frame-ancestors 'none'"
    )
    out.codes.add("deny-framing")
    return out


WIRE = (
    "one CONTENT_LENGTH reaches Django through WSGI; the HTTP server in front (gunicorn) "
    "refuses duplicate or conflicting framing headers before any Python code runs"
)
NO_HTTP = {"folder": "no HTTP request", "mail": "no HTTP request"}
HTTP_ITEMS = [
    Item(
        "http/1000-files",
        valid_csv(),
        {"*": ("http:400",), "api": ("invalid_request",)},
        channels=("web", "api"),
        driver={"web": _many_files("web"), "api": _many_files("api")},
        not_applicable={**NO_HTTP, "media": "the same multipart parsing as web (covered there)"},
    ),
    Item(
        "http/10000-fields",
        valid_csv(),
        {"*": ("http:400",), "api": ("invalid_request",)},
        channels=("web", "api"),
        driver={"web": _many_fields("web"), "api": _many_fields("api")},
        not_applicable={**NO_HTTP, "media": "the same multipart parsing as web (covered there)"},
    ),
    Item(
        "http/chunked-no-length",
        valid_csv(),
        {
            "*": ("http:400",),
            "api": ("invalid_request",),
            "web": ("text:アップロードするファイルを1つ以上選んでください",),
        },
        channels=("web", "api"),
        driver={"web": _chunked("web"), "api": _chunked("api")},
        not_applicable={**NO_HTTP, "media": "the same multipart parsing as web (covered there)"},
    ),
    Item(
        "http/idempotency-key-other-body",
        valid_csv(),
        codes("idempotency_conflict"),
        channels=("api",),
        driver={"api": _idempotency},
        not_applicable={
            c: "Idempotency-Key is an API header" for c in ("web", "folder", "mail", "media")
        },
    ),
    Item(
        "http/replay-after-revocation",
        valid_csv(),
        codes("invalid_token"),
        channels=("api",),
        driver={"api": _revoked},
        not_applicable={
            c: "bearer tokens are the API's" for c in ("web", "folder", "mail", "media")
        },
    ),
    Item(
        "http/token-of-other-vendor",
        valid_csv(),
        codes("not_found"),
        channels=("api",),
        driver={"api": _other_vendor},
        not_applicable={
            c: "bearer tokens are the API's" for c in ("web", "folder", "mail", "media")
        },
    ),
    Item(
        "http/csrf-cross-origin",
        valid_csv(),
        {"*": ("http:403", "text:CSRF")},
        channels=("web", "media"),
        driver={"web": _csrf("web"), "media": _csrf("media")},
        not_applicable={"api": "bearer tokens, no cookies: nothing to forge", **NO_HTTP},
    ),
    Item(
        "http/framing",
        valid_csv(),
        codes("deny-framing"),
        channels=("web",),
        driver={"web": _framing},
        not_applicable={
            "api": "JSON, never framed",
            "media": "the same base template as web",
            **NO_HTTP,
        },
    ),
]
NOT_RUN = {
    "http/duplicate-content-length": {c: WIRE for c in ("web", "api", "media")} | NO_HTTP,
    "http/transfer-encoding-and-content-length": {c: WIRE for c in ("web", "api", "media")}
    | NO_HTTP,
    "http/slowloris": {
        c: "a socket-level limit of the HTTP server (gunicorn's timeout), outside Django: "
        "the Django test client has no socket"
        for c in ("web", "api", "media")
    }
    | NO_HTTP,
    "folder/smb-nfs-no-inotify": {
        "folder": "the sweep never uses inotify: every folder item here is found by polling "
        "(scandir), as on SMB/NFS",
    },
}


# -- shared folder ----------------------------------------------------------------------------


def _folder_outcome(env, build, *, sweeps=1) -> ch.Outcome:
    out, marks = ch.Outcome("folder"), ch._marks()
    ch.folder_run(env)
    build(ch.folder_path(env) / "inbox")
    for _ in range(sweeps):
        ch.folder_run(env)
    return ch.folder_collect(env, out, *marks, digest=None)


def folder_sparse_4gib(env, name, data) -> ch.Outcome:
    def build(inbox: Path) -> None:
        with open(inbox / "huge.csv", "wb") as fh:
            fh.truncate(GIB4)  # sparse: no disk used, but st_size is 4 GiB + 1

    out = _folder_outcome(env, build)
    assert (ch.folder_path(env) / "error" / "huge.csv").stat().st_size == GIB4
    return out


def _being_written(env, name, data) -> ch.Outcome:
    out, marks = ch.Outcome("folder"), ch._marks()
    ch.folder_run(env)
    target = ch.folder_put(env, name, data[: len(data) // 2])
    env.settings.PMH_DROPBOX_STABLE_SECONDS = 5
    with env.jobs():
        first = folder_sweep(now=time.time())
    assert (
        first.waiting == [f"131016/{name}"]
        and not ch._gather(env, ch.Outcome("x"), *marks).submissions
    )
    target.write_bytes(data)  # the writer finishes
    with env.jobs():
        folder_sweep(now=time.time() + 3600)
    return ch.folder_collect(env, out, *marks, digest=ch.sha256(data))


def _renamed_over(env, name, data) -> ch.Outcome:
    def build(inbox: Path) -> None:
        (inbox / name).write_bytes(valid_csv(newline="\n")())
        (inbox / "upload.tmp").write_bytes(data)
        os.replace(inbox / "upload.tmp", inbox / name)

    out = _folder_outcome(env, build)
    (submission,) = out.submissions
    assert submission.sha256 == ch.sha256(data)
    return out


def _symlink(env, name, data) -> ch.Outcome:
    out = _folder_outcome(env, lambda inbox: os.symlink("/etc/shadow", inbox / name))
    assert (ch.folder_path(env) / "error" / name).is_symlink()
    return out


def _hardlink(env, name, data) -> ch.Outcome:
    outside = env.tmp / "elsewhere.csv"
    outside.write_bytes(data)
    out = _folder_outcome(env, lambda inbox: os.link(outside, inbox / name))
    assert (ch.folder_path(env) / "error" / name).read_bytes() == data
    return out


def _fifo(env, name, data) -> ch.Outcome:
    return _folder_outcome(env, lambda inbox: os.mkfifo(inbox / name))


def _device(env, name, data) -> ch.Outcome:
    def build(inbox: Path) -> None:
        try:
            os.mknod(inbox / name, 0o600 | stat.S_IFCHR, os.makedev(1, 3))
        except PermissionError:
            os.mkfifo(inbox / name)  # no CAP_MKNOD here: another non-regular file

    return _folder_outcome(env, build)


def _unreadable(env, name, data) -> ch.Outcome:
    def build(inbox: Path) -> None:
        (inbox / name).write_bytes(data)
        (inbox / name).chmod(0)

    out = _folder_outcome(env, build)
    if os.geteuid() == 0:
        out.codes.add("folder_unreadable")  # root reads mode 000: the file is simply taken
        assert out.codes & {"accepted"}
    return out


def _burst(env, name, data, count: int = 40) -> ch.Outcome:
    def build(inbox: Path) -> None:
        for n in range(count):
            (inbox / f"{n}.csv").write_bytes(data + b"\n" * n)

    out = _folder_outcome(env, build)
    assert len(out.submissions) == count
    assert sorted(p.name for p in (ch.folder_path(env) / "outbox").iterdir()) == sorted(
        f"{n}.csv{s}" for n in range(count) for s in (".result.json", ".result.csv")
    )
    return out


def _changes_after_pickup(env, name, data) -> ch.Outcome:
    """The sender rewrites the file after the claim: what was hashed is what is kept."""
    from intake import folder as intake_folder

    real = intake_folder.submission_receive

    def receive_then_changed(**kwargs):
        submission = real(**kwargs)
        claimed = next((ch.folder_path(env) / "processing").glob("*/*"))
        with open(claimed, "ab") as writer:
            writer.write(b"\r\nlate,bytes\r\n")
        return submission

    from unittest import mock

    with mock.patch("intake.folder.submission_receive", receive_then_changed):
        out = _folder_outcome(env, lambda inbox: (inbox / name).write_bytes(data))
    (submission,) = out.submissions
    assert submission.sha256 == ch.sha256(data)
    out.kept = [(p, d) for p, d in out.kept if d]
    return out


def _collision(env, name, data) -> ch.Outcome:
    first = ch.folder(env, name, data)
    second = ch.folder(env, name, cell("basicFiveInfo.nameKana", "やまだ")())
    out = _merge("folder", [first, second])
    assert len({s.pk for s in out.submissions}) == 2
    assert "V_KANA" in (ch.folder_path(env) / "outbox" / f"{name}.result.json").read_text()
    return out


FOLDER_ONLY = {
    c: "a property of files on a shared file system" for c in ("web", "api", "mail", "media")
}


def _folder_item(ident, drive, expect, name="daily.csv") -> Item:
    return Item(
        ident,
        valid_csv(),
        expect,
        name=name,
        channels=("folder",),
        not_applicable=FOLDER_ONLY,
        driver={"folder": drive},
    )


FOLDER_ITEMS = [
    _folder_item("folder/being-written", _being_written, ACCEPTED),
    _folder_item("folder/renamed-over-existing", _renamed_over, ACCEPTED),
    _folder_item("folder/symlink-to-etc-shadow", _symlink, codes("folder_symlink")),
    _folder_item("folder/hard-link", _hardlink, codes("folder_hardlink")),
    _folder_item("folder/fifo", _fifo, codes("folder_special")),
    _folder_item("folder/device-file", _device, codes("folder_special")),
    _folder_item("folder/mode-000", _unreadable, codes("folder_unreadable")),
    _folder_item("folder/burst", _burst, ACCEPTED),
    _folder_item("folder/changes-after-pickup", _changes_after_pickup, ACCEPTED),
    _folder_item("folder/name-collision", _collision, codes("accepted", "V_KANA")),
]
