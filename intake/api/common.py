"""What the console's API (views.py) and PMH's registration shapes (pmhapi.py) share.

Errors in the contract's shape, the lookups every endpoint makes, and receiving a file once per
Idempotency-Key (console.md §3.3, issue 17.8).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.utils.translation import gettext as _
from ninja import Schema

from onboarding.models import ApiIdempotencyKey, ApiToken, Integration
from uploads import lifecycle
from uploads.models import Status, Submission

log = logging.getLogger(__name__)
MIB = 1024 * 1024
# A receive that loses a deadlock or a serialization check is run again this many times in all
# before the request answers 503 (each attempt is a fresh transaction; nothing of a lost one
# stays).
RECEIVE_ATTEMPTS = 5
_TRANSIENT_SQLSTATES = {"40001", "40P01", "55P03"}  # serialization, deadlock, lock not available


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


class ErrorBody(Schema):
    code: str
    message: str


class ErrorOut(Schema):
    error: ErrorBody


ERRORS = {code: ErrorOut for code in (400, 401, 404, 409, 413, 415, 429, 503)}


def body_limit() -> int:
    """The largest multipart request body taken: the file's limit plus room for the envelope
    (each endpoint then checks the file's own size)."""
    return (settings.PMH_MAX_UPLOAD_MB + 1) * MIB


def error_document(code: str, message: str) -> dict:
    """The API's error answer (``ErrorOut``)."""
    return {"error": {"code": code, "message": message}}


def unavailable_message() -> str:
    return _("Files cannot be received right now. Nothing was stored. Send again in a while.")


def unreadable_message() -> str:
    # A body that broke off (multipart or chunked), or too many files or fields.
    return _(
        "The request could not be read (its body broke off, or it holds too many files or "
        "fields). Nothing was received. Send the files again one at a time."
    )


def unavailable() -> ApiError:
    return ApiError(503, "unavailable", unavailable_message(), {"Retry-After": "60"})


def bad_content_length() -> ApiError:
    return ApiError(400, "invalid_request", _("The Content-Length header is not valid."))


def idempotency_key_too_long() -> ApiError:
    return ApiError(
        400, "invalid_request", _("The Idempotency-Key must be at most 200 characters.")
    )


def too_large() -> ApiError:
    return ApiError(413, "too_large", lifecycle.too_large_message(settings.PMH_MAX_UPLOAD_MB))


def idempotency_conflict() -> ApiError:
    return ApiError(
        409,
        "idempotency_conflict",
        _("This Idempotency-Key was used for a request with other content. Use a new key."),
    )


def integration_for(token: ApiToken, name: str) -> Integration:
    """The token's vendor's integration of that folder name; any other is a 404."""
    found = Integration.objects.filter(vendor_id=token.vendor_id, dropbox_name=name)
    # PostgreSQL text cannot hold NUL (the query would fail): no integration has such a name.
    integration = found.first() if "\x00" not in name else None
    if integration is None:
        raise ApiError(
            404, "not_found", _("The integration “%(name)s” was not found.") % {"name": name}
        )
    return integration


def report_ready(submission: Submission) -> bool:
    return submission.status == Status.RETURNED and submission.report is not None


# -- receiving once ----------------------------------------------------------------------------


def _transient(error: OperationalError) -> bool:
    """A deadlock or serialization failure (PostgreSQL), or a busy SQLite: worth another go."""
    cause = error.__cause__
    if getattr(cause, "sqlstate", None) in _TRANSIENT_SQLSTATES:
        return True
    return "database is locked" in str(error) or "database table is locked" in str(error)


def _retrying(attempt: Callable[[], Submission]) -> Submission:
    for number in range(1, RECEIVE_ATTEMPTS + 1):
        try:
            return attempt()
        except OperationalError as error:
            if number == RECEIVE_ATTEMPTS or not _transient(error):
                raise
            if transaction.get_connection().in_atomic_block:
                raise  # the caller's transaction is lost with it: only the caller can retry
            log.warning("API receive lost a lock conflict (attempt %d), retrying", number)
    raise AssertionError("unreachable")


def receive_once(
    *, token: ApiToken, key: str, request_hash: str, receive: Callable[[], Submission]
) -> Submission:
    """``receive()`` once per (token, Idempotency-Key); the submission that key answers.

    The key is reserved first, in the transaction that then stores and records the file: a
    request with the same key waits on the reservation and answers from it (the same
    submission, or 409 for other content) without storing anything. A lost deadlock or
    serialization check runs the whole attempt again; the bytes a rolled-back attempt stored
    are removed.
    """

    def attempt() -> Submission:
        received: list[Submission] = []
        try:
            with transaction.atomic():
                if key and not _reserved(token, key, request_hash):
                    return _earlier(token, key, request_hash)
                received.append(receive())
                if key:
                    ApiIdempotencyKey.objects.filter(token=token, key=key).update(
                        submission=received[0]
                    )
                return received[0]
        except BaseException:
            for submission in received:
                lifecycle.discard_unrecorded(submission)
            raise

    return _retrying(attempt)


def _reserved(token: ApiToken, key: str, request_hash: str) -> bool:
    """Insert the key's row; False when it is there already (this waits while the transaction
    that inserted it runs)."""
    try:
        with transaction.atomic():
            ApiIdempotencyKey.objects.create(
                token=token, key=key, request_hash=request_hash, submission=None
            )
    except IntegrityError:
        return False
    return True


def _earlier(token: ApiToken, key: str, request_hash: str) -> Submission:
    earlier = (
        ApiIdempotencyKey.objects.select_related("submission").filter(token=token, key=key).first()
    )
    if earlier is not None and earlier.request_hash != request_hash:
        raise idempotency_conflict()
    if earlier is None or earlier.submission is None:
        # Only a transaction still running holds an empty reservation, and the unique
        # constraint made this one wait until it ended: a lock conflict, so try again.
        raise OperationalError("database is locked (an Idempotency-Key is being reserved)")
    return earlier.submission
