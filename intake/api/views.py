"""The HTTPS API for vendors' tools and the batch uploader (console.md §3.3).

Bearer tokens per vendor; every error is `{"error": {"code", "message"}}` with its status.
An integration or submission of another vendor is a 404, exactly like one that does not exist.
"""

import hashlib
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.security import HttpBearer
from ninja.throttling import SimpleRateThrottle

from console import audit
from intake.api.common import (
    ERRORS,
    MIB,
    ApiError,
    bad_content_length,
    body_limit,
    error_document,
    idempotency_key_too_long,
    integration_for,
    receive_once,
    report_ready,
    too_large,
    unavailable,
    unavailable_message,
    unreadable_message,
)
from onboarding.models import ApiToken
from onboarding.tokens import api_token_authenticate
from uploads import lifecycle
from uploads.models import Channel, Mode, Status, Submission

log = logging.getLogger(__name__)


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return api_token_authenticate(token)


class TokenRateThrottle(SimpleRateThrottle):
    """Per token (console.md §3.3: default 60 a minute, `PMH_API_RATE`)."""

    scope = "token"

    def __init__(self):
        super().__init__(settings.PMH_API_RATE)

    def allow_request(self, request: HttpRequest) -> bool:
        # Read the rate on each request, so a changed setting applies without a restart.
        self.rate = settings.PMH_API_RATE
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            return super().allow_request(request)
        except Exception:  # noqa: BLE001 (any cache failure: Redis down, a timeout, a reset)
            # The rate limit degrades, intake does not break (issue 17.6): the file is stored
            # and recorded as the web and folder channels do while Redis is down.
            log.warning("API rate limit skipped: the cache is unreachable", exc_info=True)
            return True

    def get_cache_key(self, request: HttpRequest) -> str | None:
        token = getattr(request, "auth", None)
        return f"pmh-api-rate-{token.pk}" if token is not None else None


api = NinjaAPI(
    title="PMH onboarding console API",
    version="1",
    description=(
        "テスト提出ファイルの送信と結果の取得（ベンダー向け）。認証: Bearer トークン。\n\n"
        "**はじめに**（コンソールにログインした状態で開いてください）\n\n"
        "- [サンプルファイル（CSV・Shift_JIS・日本語見出し）](/record-layout/sample.csv)\n"
        "- [サンプルファイル（JSON）](/record-layout/sample.json)\n"
        "- [レコードレイアウト（Excel）](/record-layout/record-layout.xlsx)\n"
        "- [レコードレイアウト（CSV）](/record-layout/record-layout.csv)\n\n"
        "サンプルは千代田区（全件）の例です。連携ごとのサンプル（その自治体の公費負担者番号と"
        "データ区分）は、コンソールの各連携のページからダウンロードできます。"
    ),
    auth=TokenAuth(),
    throttle=[TokenRateThrottle()],
    urls_namespace="api",
)


def _error(status: int, code: str, message: str, headers: dict | None = None) -> JsonResponse:
    response = JsonResponse(
        error_document(code, message),
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


@api.exception_handler(ApiError)
def _api_error(request, exc: ApiError):
    return _error(exc.status, exc.code, exc.message, exc.headers)


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return _error(
        401,
        "invalid_token",
        _("The API token is missing or wrong. Send the header Authorization: Bearer <token>."),
        {"WWW-Authenticate": 'Bearer realm="pmh"'},
    )


@api.exception_handler(Throttled)
def _throttled(request, exc: Throttled):
    wait = max(1, int(exc.wait or 60))
    return _error(
        429,
        "rate_limited",
        _("Too many requests. Try again in %(wait)s seconds.") % {"wait": wait},
        {"Retry-After": str(wait)},
    )


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    return _error(
        400,
        "invalid_request",
        _("The request is not in the expected form: %(errors)s") % {"errors": exc.errors},
    )


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    codes = {404: "not_found", 405: "invalid_request", 400: "invalid_request"}
    return _error(exc.status_code, codes.get(exc.status_code, "invalid_request"), str(exc))


@api.exception_handler(RequestDataTooBig)
def _body_too_large(request, exc):
    return _api_error(request, too_large())


@api.exception_handler(SuspiciousOperation)
@api.exception_handler(MultiPartParserError)
def _unreadable_body(request, exc):
    # Too many files or fields (Django's DATA_UPLOAD_MAX_* limits), or a multipart body that
    # broke off: nothing was received.
    return _error(400, "invalid_request", unreadable_message())


@api.exception_handler(DatabaseError)
def _unavailable(request, exc):
    log.exception("API request failed on the database")
    return _error(
        503,
        "unavailable",
        unavailable_message(),
        {"Retry-After": "60"},
    )


class Accepted(Schema):
    id: int
    status: str
    url: str
    duplicate_of: int | None = None


class SubmissionOut(Schema):
    id: int
    integration: str
    channel: str
    status: str
    verdict: str | None
    mode: str
    received_at: str
    rows: int | None
    errors: int | None
    warnings: int | None
    report_url: str | None


def _status_url(request, pk: int) -> str:
    return request.build_absolute_uri(reverse("api:submission", args=[pk]))


def _check_request(request) -> None:
    if not request.content_type.startswith("multipart/form-data"):
        raise ApiError(
            415,
            "unsupported_media_type",
            _("Send multipart/form-data (the file as file, the integration as integration)."),
        )
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise bad_content_length() from None
    # Refuse before Django reads the body: nothing of an oversized file is stored.
    if length > body_limit():
        raise too_large()


def _file_sha256(upload) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def _accepted(request, submission: Submission) -> JsonResponse:
    """Every submission answers with its own id (issue 18.4); a duplicate names the first in
    ``duplicate_of`` and shows that one's status, since its result is the first's."""
    body = {
        "id": submission.pk,
        "status": submission.shown.status,
        "url": _status_url(request, submission.pk),
    }
    if submission.duplicate_of_id:
        body["duplicate_of"] = submission.duplicate_of_id
    return JsonResponse(body, status=202)


@api.post(
    "/submissions",
    url_name="submissions",
    response={202: Accepted, **ERRORS},
    summary="テスト提出ファイルを送る",
    description=(
        "multipart/form-data: `file`（CSV または JSON）、`integration`（連携のフォルダ名）、"
        "任意で `mode`（full / diff）。"
        "Idempotency-Key ヘッダーを付けると、再送しても提出は一度だけです。"
        "ファイルの内容の問題は HTTP エラーではなく、"
        "202 の後の報告（report）で不受理として返ります。"
    ),
)
def submission_create(request):
    _check_request(request)
    token: ApiToken = request.auth
    data = request.POST
    if len(request.FILES.getlist("file")) != 1:
        raise ApiError(400, "invalid_request", _("Attach exactly one file (file)."))
    upload = request.FILES["file"]
    name = (data.get("integration") or "").strip()
    if not name:
        raise ApiError(
            400, "invalid_request", _("Give the integration's folder name (integration).")
        )
    mode = (data.get("mode") or "").strip() or None
    if mode is not None and mode not in Mode.values:
        raise ApiError(400, "invalid_request", _("mode must be full or diff."))
    if upload.size > settings.PMH_MAX_UPLOAD_MB * MIB:
        raise too_large()
    integration = integration_for(token, name)
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 200:
        raise idempotency_key_too_long()
    request_hash = ""
    if key:
        request_hash = hashlib.sha256(
            f"{_file_sha256(upload)}|{integration.pk}|{mode or ''}".encode()
        ).hexdigest()

    def receive() -> Submission:
        upload.seek(0)
        try:
            return lifecycle.submission_receive(
                integration=integration,
                channel=Channel.API,
                original_name=upload.name or "upload",
                stream=upload,
                sender=f"{token.vendor.slug}/{token.name}",
                mode=mode,
            )
        except lifecycle.SubmissionTooLarge:
            raise too_large() from None
        except OSError:
            log.exception("Could not store an API upload")
            raise unavailable() from None

    submission = receive_once(token=token, key=key, request_hash=request_hash, receive=receive)
    return _accepted(request, submission)


def _submission_for(token: ApiToken, pk: int) -> Submission:
    submission = (
        Submission.objects.select_related("integration", "duplicate_of")
        .filter(pk=pk, integration__vendor_id=token.vendor_id)
        .first()
    )
    if submission is None:
        raise ApiError(404, "not_found", _("The submission was not found."))
    return submission


@api.get(
    "/submissions/{int:pk}",
    url_name="submission",
    response={200: SubmissionOut, **ERRORS},
    summary="提出の状態と件数",
    description=(
        "重複（同じファイルで、判定に関わる設定・レイアウト・テスト用ストア・モードも同じ）の"
        "提出は、自分の id のまま最初の提出の判定と件数を返し、"
        "`duplicate_of`（最初の提出の id）が付きます。"
    ),
)
def submission_status(request, pk: int):
    submission = _submission_for(request.auth, pk)
    # Its own id, channel, mode and time; a duplicate's result is the first's (issue 18.4).
    shown = submission.shown
    # Before a reviewed result is released, the vendor sees only the status (§3).
    visible = shown.status != Status.REVIEW
    body = {
        "id": submission.pk,
        "integration": submission.integration.dropbox_name,
        "channel": submission.channel,
        "status": shown.status,
        "verdict": shown.verdict or None if visible else None,
        "mode": submission.mode,
        "received_at": submission.received_at.isoformat(),
        "rows": shown.rows if visible else None,
        "errors": shown.errors if visible else None,
        "warnings": shown.warnings if visible else None,
        "report_url": (
            request.build_absolute_uri(reverse("api:submission_report", args=[submission.pk]))
            if report_ready(shown)
            else None
        ),
    }
    if submission.duplicate_of_id:
        # The key only on a duplicate, as in the 202 answer: other answers keep console.md's
        # keys exactly (the schema would add it as null everywhere).
        return JsonResponse({**body, "duplicate_of": submission.duplicate_of_id})
    return body


@api.get(
    "/submissions/{int:pk}/report",
    url_name="submission_report",
    response={200: dict, **ERRORS},
    summary="報告（record-layout §8）",
)
def submission_report(request, pk: int):
    submission = _submission_for(request.auth, pk)
    shown = submission.shown
    if not report_ready(shown):
        raise ApiError(
            404,
            "report_not_ready",
            _(
                "There is no report yet: the file is being validated or waits for review. "
                "Check the status, then ask again."
            ),
        )
    token = request.auth
    audit.record(
        request,
        audit.Action.DOWNLOAD_RESULT,
        submission,
        username=f"{token.vendor.slug} (API)",
        format="api",
        token=token.name,
    )
    report = shown.report
    if submission.duplicate_of_id:
        report = {**report, "duplicate_of": submission.duplicate_of_id}
    response = JsonResponse(report, json_dumps_params={"ensure_ascii": False})
    # The report shows (masked) record values: no browser or proxy keeps it.
    response["Cache-Control"] = "no-store, private, max-age=0"
    return response
