"""HTTP and the API: multipart limits, framing headers, idempotency, tokens, CSRF, framing."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from onboarding.models import ApiToken
from onboarding.tokens import api_token_issue, api_token_revoke

from . import channels as ch
from .inputs import Item, codes, valid_csv
from .special import form, http_send, merge, multipart, web_url


def _many_files(channel: str, count: int = 1000):
    def drive(env, name, data) -> ch.Outcome:
        return http_send(channel, env, form(channel, [(f"{n}.csv", data) for n in range(count)]))

    return drive


def _many_fields(channel: str):
    def drive(env, name, data) -> ch.Outcome:
        fields = {f"f{n}": "x" for n in range(10_000)}
        return http_send(channel, env, form(channel, [(name, data)], **fields))

    return drive


def _chunked(channel: str):
    def drive(env, name, data) -> ch.Outcome:
        body = form(channel, [(name, data)])
        return http_send(channel, env, body, CONTENT_LENGTH="", HTTP_TRANSFER_ENCODING="chunked")

    return drive


def _nul_fields(env, name, data) -> ch.Outcome:
    """NUL inside form fields (PostgreSQL text cannot hold it): a clear 4xx, never a 503."""
    outcomes = [
        http_send("api", env, multipart({"integration": "131016\x00"}, [(name, data)])),
        http_send("api", env, form("api", [(name, data)], mode="full\x00")),
    ]
    assert [o.statuses[0] for o in outcomes] == [404, 400]
    return merge("api", outcomes)


def _idempotency(env, name, data) -> ch.Outcome:
    token = ch.api_token(env)
    first = ch.api(env, name, data, token=token, headers={"Idempotency-Key": "k-1"})
    other = ch.api(env, name, data + b"\r\n", token=token, headers={"Idempotency-Key": "k-1"})
    return merge("api", [first, other])


def _revoked(env, name, data) -> ch.Outcome:
    token = ch.api_token(env)
    captured = ch.api(env, name, data, token=token)
    api_token_revoke(token=ApiToken.objects.get(vendor=env.cast.vendor_a))
    replay = ch.api(env, name, data, token=token)
    return merge("api", [captured, replay])


def _other_vendor(env, name, data) -> ch.Outcome:
    return ch.api(env, name, data, token=api_token_issue(vendor=env.cast.vendor_b, name="b")[1])


def _csrf(channel: str):
    def drive(env, name, data) -> ch.Outcome:
        out, marks = ch.Outcome(channel), ch._marks()
        client = Client(enforce_csrf_checks=True)
        if channel == "web":
            client.force_login(env.cast.alice)
            url = web_url(env)
        else:
            client.force_login(env.cast.operator)
            from intake.media.receive import media_handover_create

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
ITEMS = [
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
        "http/nul-in-form-field",
        valid_csv(),
        codes("not_found", "invalid_request"),
        channels=("api",),
        driver={"api": _nul_fields},
        not_applicable={
            "web": "the page's only field is a choice (mode), checked against its list",
            "media": "the page's only field is a choice (mode), checked against its list",
            **NO_HTTP,
        },
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
    }
    | {c: "a property of the shared folder" for c in ("web", "api", "mail", "media")},
}
