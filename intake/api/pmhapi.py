"""PMH's own registration API shapes, so a vendor's real client runs against the console (#20).

`postRegistrationTasks` (full data set) and the differential-history registration take a
bearer-authenticated `application/json` body that is an array of records. The body is stored byte
for byte (after any gzip `Content-Encoding`) as an `api` submission through the same receive
service as every channel, and answered `202` with a task id and a status URL. Paths, the
differential operation's name and the response bodies are assumptions (H): PMH has not
published them (docs/DECISIONS.md). The endpoints join the console's API (`intake.api.views.api`) so
that its token, rate limit, error handlers and OpenAPI document apply.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Header, Query, Router, Schema

from console import audit
from intake.api.common import (
    ERRORS,
    MIB,
    ApiError,
    bad_content_length,
    idempotency_key_too_long,
    integration_for,
    receive_once,
    report_ready,
    too_large,
    unavailable,
)
from intake.api.views import api
from onboarding.models import ApiToken, Integration
from uploads import lifecycle, services
from uploads.lib import storage
from uploads.lib.validation.jsonbody import BadGzip, BodyProblem, Gunzip, check_array
from uploads.lib.validation.registration_schema import example_record, record_schema
from uploads.models import Channel, Mode, Status, Submission

log = logging.getLogger(__name__)

FULL_OPERATION = "postRegistrationTasks"
DIFF_OPERATION = "postDifferentialHistoryRegistrationTasks"  # (H) the official name is not public
INTEGRATION_HEADER = "X-PMH-Integration"

router = Router(tags=["PMH 登録API互換"])


class TaskAccepted(Schema):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "taskId": "123",
                    "status": "queued",
                    "statusUrl": "https://console.example/api/v1/pmh/registration-tasks/123",
                }
            ]
        }
    }

    taskId: str  # noqa: N815 (PMH's JSON names are camelCase)
    status: str
    statusUrl: str  # noqa: N815
    duplicateOf: str | None = None  # noqa: N815


class TaskStatus(Schema):
    taskId: str  # noqa: N815
    integration: str
    status: str
    verdict: str | None
    mode: str
    receivedAt: str  # noqa: N815
    rows: int | None
    errors: int | None
    warnings: int | None
    report: dict | None


# -- the body --------------------------------------------------------------------------------


def _check_headers(request: HttpRequest) -> bool:
    """Content type and encoding; refuses an oversized body before reading it. True = gzip."""
    charset = request.content_params.get("charset", "utf-8").strip('"').lower()
    if request.content_type.lower() != "application/json" or charset not in ("utf-8", "utf8"):
        raise ApiError(
            415,
            "unsupported_media_type",
            _("Send Content-Type: application/json (UTF-8) with an array of records as the body."),
        )
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding not in ("", "identity", "gzip", "x-gzip"):
        raise ApiError(
            415,
            "unsupported_media_type",
            _(
                "Only gzip is supported as Content-Encoding "
                "(leave the header out for an uncompressed body)."
            ),
        )
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise bad_content_length() from None
    if length > settings.PMH_MAX_UPLOAD_MB * MIB:
        raise too_large()
    return encoding in ("gzip", "x-gzip")


def _spool(request: HttpRequest, gzipped: bool) -> tuple[Path, str]:
    """The (expanded) body in a file beside the received ones: (path, sha256)."""
    stream = Gunzip(request) if gzipped else request
    try:
        path, _size, sha256 = storage.receive_stream(
            stream,
            services.storage_root() / "incoming",
            max_bytes=settings.PMH_MAX_UPLOAD_MB * MIB,
        )
    except storage.TooLarge:
        if gzipped:
            raise ApiError(
                413,
                "too_large",
                _(
                    "The expanded body is too large (at most %(limit)s MB). "
                    "Send the records in several requests."
                )
                % {"limit": settings.PMH_MAX_UPLOAD_MB},
            ) from None
        raise too_large() from None
    except BadGzip:
        raise ApiError(
            400,
            "invalid_request",
            _(
                "The Content-Encoding: gzip body could not be expanded (it is not gzip, or it "
                "broke off). Nothing was received."
            ),
        ) from None
    except OSError:
        # The disk, or the client's connection mid-body: nothing was kept either way.
        log.exception("Could not spool a registration request")
        raise unavailable() from None
    return path, sha256


def _check_body(path: Path) -> None:
    try:
        check_array(path)
    except BodyProblem as problem:
        raise ApiError(
            400,
            "invalid_request",
            _("%(problem)s Nothing was received.") % {"problem": problem.message},
        ) from None


# -- the integration -------------------------------------------------------------------------


def _integration(token: ApiToken, named: str | None) -> Integration:
    if named:
        return integration_for(token, named)
    own = list(Integration.objects.filter(vendor_id=token.vendor_id)[:2])
    if len(own) == 1:
        return own[0]
    raise ApiError(
        400,
        "invalid_request",
        _(
            "Name the integration: give its folder name (e.g. 131016) in the header "
            "%(header)s (or the query parameter integration)."
        )
        % {"header": INTEGRATION_HEADER},
    )


# -- the operations --------------------------------------------------------------------------


def _register(request: HttpRequest, mode: str, named: str | None) -> JsonResponse:
    gzipped = _check_headers(request)
    token: ApiToken = request.auth
    integration = _integration(token, (named or "").strip())
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 200:
        raise idempotency_key_too_long()
    path, sha256 = _spool(request, gzipped)
    try:
        _check_body(path)
        request_hash = hashlib.sha256(f"{sha256}|{integration.pk}|{mode}".encode()).hexdigest()
        submission = receive_once(
            token=token,
            key=key,
            request_hash=request_hash if key else "",
            receive=lambda: _receive(token, integration, mode, path),
        )
    finally:
        path.unlink(missing_ok=True)
    return _accepted(request, submission)


def _receive(token: ApiToken, integration: Integration, mode: str, path: Path) -> Submission:
    operation = FULL_OPERATION if mode == Mode.FULL else DIFF_OPERATION
    try:
        with open(path, "rb") as body:
            return lifecycle.submission_receive(
                integration=integration,
                channel=Channel.API,
                original_name=f"{operation}.json",
                stream=body,
                sender=f"{token.vendor.slug}/{token.name}",
                mode=mode,
            )
    except lifecycle.SubmissionTooLarge:
        raise too_large() from None
    except OSError:
        log.exception("Could not store a registration request")
        raise unavailable() from None


def _status_url(request: HttpRequest, pk: int) -> str:
    return request.build_absolute_uri(reverse("api:registration_task", args=[str(pk)]))


def _accepted(request: HttpRequest, submission: Submission) -> JsonResponse:
    first = submission.duplicate_of or submission
    body = {
        "taskId": str(first.pk),
        "status": first.status,
        "statusUrl": _status_url(request, first.pk),
    }
    if submission.duplicate_of_id:
        body["duplicateOf"] = str(first.pk)
    return JsonResponse(body, status=202)


_BODY_DOC = (
    "本文は PMH の登録APIと同じ、レコード（受給者証1件）の JSON 配列です"
    "（Content-Type: application/json; charset=UTF-8。"
    "Content-Encoding: gzip も可、展開後の上限あり）。"
    f"連携はヘッダー `{INTEGRATION_HEADER}` かクエリ `integration`"
    "（連携のフォルダ名）で指定します。"
    "ベンダーの連携が1つだけなら省略できます。"
    "Idempotency-Key ヘッダーを付けると、再送しても登録は一度だけです。"
    "レコードの内容の問題は HTTP エラーではなく、202 の後の報告（report）で不受理として返ります。"
    "パスと応答の形は PMH が公開していないため、このコンソールの仮定（H）です。"
)


def _openapi(mode: str) -> dict:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"type": "array", "minItems": 1, "items": record_schema(mode)},
                    "examples": {
                        "records": {"summary": "レコード1件", "value": [example_record(mode)]}
                    },
                }
            },
        },
    }


def _named(query: str | None, header: str | None) -> str | None:
    return header or query


@router.post(
    "/registration-tasks",
    url_name="registration_tasks",
    operation_id=FULL_OPERATION,
    response={202: TaskAccepted, **ERRORS},
    summary="医療費助成対象者情報を登録する（全件）",
    description=_BODY_DOC,
    openapi_extra=_openapi(Mode.FULL),
)
def registration_tasks_create(
    request,
    integration: str | None = Query(None, description="連携のフォルダ名（例: 131016）"),
    x_pmh_integration: str | None = Header(None, alias=INTEGRATION_HEADER),
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
):
    return _register(request, Mode.FULL, _named(integration, x_pmh_integration))


@router.post(
    "/differential-history-registration-tasks",
    url_name="differential_registration_tasks",
    operation_id=DIFF_OPERATION,
    response={202: TaskAccepted, **ERRORS},
    summary="医療費助成対象者差分履歴情報を登録する（差分）",
    description=_BODY_DOC + "各レコードに historyKey と isDeleted が必要です。",
    openapi_extra=_openapi(Mode.DIFF),
)
def differential_registration_tasks_create(
    request,
    integration: str | None = Query(None, description="連携のフォルダ名（例: 131016）"),
    x_pmh_integration: str | None = Header(None, alias=INTEGRATION_HEADER),
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
):
    return _register(request, Mode.DIFF, _named(integration, x_pmh_integration))


@router.get(
    "/registration-tasks/{task_id}",
    url_name="registration_task",
    operation_id="getRegistrationTask",
    response={200: TaskStatus, **ERRORS},
    summary="登録タスクの状態と報告",
    description=(
        "状態（status）と、検証が終わって返却済みなら報告（report、record-layout §8 と同じ形）。"
        "確認待ち（review）の間は件数も報告も返りません。"
    ),
)
def registration_task(request, task_id: str):
    submission = _task_for(request.auth, task_id)
    visible = submission.status != Status.REVIEW
    report = submission.report if report_ready(submission) else None
    if report is not None:
        token = request.auth
        audit.record(
            request,
            audit.Action.DOWNLOAD_RESULT,
            submission,
            username=f"{token.vendor.slug} (API)",
            format="api",
            token=token.name,
        )
    response = JsonResponse(
        {
            "taskId": str(submission.pk),
            "integration": submission.integration.dropbox_name,
            "status": submission.status,
            "verdict": (submission.verdict or None) if visible else None,
            "mode": submission.mode,
            "receivedAt": submission.received_at.isoformat(),
            "rows": submission.rows if visible else None,
            "errors": submission.errors if visible else None,
            "warnings": submission.warnings if visible else None,
            "report": report,
        },
        json_dumps_params={"ensure_ascii": False},
    )
    response["Cache-Control"] = "no-store, private, max-age=0"
    return response


def _task_for(token: ApiToken, task_id: str) -> Submission:
    if not task_id.isascii() or not task_id.isdigit() or len(task_id) > 18:
        raise ApiError(404, "not_found", _("The registration task was not found."))
    submission = (
        Submission.objects.select_related("integration", "duplicate_of__integration")
        .filter(pk=int(task_id), integration__vendor_id=token.vendor_id)
        .first()
    )
    if submission is None:
        raise ApiError(404, "not_found", _("The registration task was not found."))
    return submission.duplicate_of or submission


api.add_router(settings.PMH_REGISTRATION_API_PREFIX.strip("/"), router)
