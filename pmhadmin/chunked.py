"""The project's answers around ``console.chunked``: the API's limit and its JSON errors."""

import json

from django.conf import settings
from django.utils import translation

from console.chunked import accept_chunked
from intake.api.common import too_large, unreadable_message

MIB = 1024 * 1024


def _max_bytes() -> int:
    # As for a body with a Content-Length (intake/api/views.py): the file's limit plus room
    # for the multipart envelope; each endpoint then checks the length it now has.
    return (settings.PMH_MAX_UPLOAD_MB + 1) * MIB


def _answer(status: str, code: str, message: str) -> tuple[str, list, bytes]:
    body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False)
    return status, [("Content-Type", "application/json")], body.encode()


def _too_large() -> tuple[str, list, bytes]:
    with translation.override(settings.LANGUAGE_CODE):
        error = too_large()
        return _answer("413 Request Entity Too Large", error.code, error.message)


def _unreadable() -> tuple[str, list, bytes]:
    with translation.override(settings.LANGUAGE_CODE):
        return _answer("400 Bad Request", "invalid_request", unreadable_message())


def wrap(app):
    """``app`` taking request bodies sent chunked (see console.chunked)."""
    return accept_chunked(
        app,
        max_bytes=_max_bytes,
        too_large=_too_large,
        unreadable=_unreadable,
        spool_dir=lambda: settings.FILE_UPLOAD_TEMP_DIR,
        spool_memory=settings.FILE_UPLOAD_MAX_MEMORY_SIZE,
    )
