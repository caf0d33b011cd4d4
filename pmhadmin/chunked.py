"""The project's answers around ``console.chunked``: the API's body limit and its JSON errors."""

import json
from http import HTTPStatus

from django.conf import settings
from django.utils import translation

from console.chunked import accept_chunked
from intake.api.common import ApiError, body_limit, error_document, too_large, unreadable_message


def _answer(error: ApiError) -> tuple[str, list, bytes]:
    body = json.dumps(error_document(error.code, error.message), ensure_ascii=False)
    status = f"{error.status} {HTTPStatus(error.status).phrase}"
    return status, [("Content-Type", "application/json")], body.encode()


def _too_large() -> tuple[str, list, bytes]:
    with translation.override(settings.LANGUAGE_CODE):
        return _answer(too_large())


def _unreadable() -> tuple[str, list, bytes]:
    with translation.override(settings.LANGUAGE_CODE):
        return _answer(ApiError(400, "invalid_request", unreadable_message()))


def wrap(app):
    """``app`` taking request bodies sent chunked (see console.chunked)."""
    return accept_chunked(
        app,
        max_bytes=body_limit,
        too_large=_too_large,
        unreadable=_unreadable,
        spool_dir=lambda: settings.FILE_UPLOAD_TEMP_DIR,
        spool_memory=settings.FILE_UPLOAD_MAX_MEMORY_SIZE,
    )
