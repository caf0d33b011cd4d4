"""Logging helpers wired in by ``settings.LOGGING``."""

import logging

from coderules.masking import hide_url_credentials, mask_numbers


class MaskedFormatter(logging.Formatter):
    """The message (with its arguments), traceback and stack of every line with 12-digit runs
    masked (issue 17.4) and credentials in URLs hidden (issue 17.10); the line's own time
    stays as it is."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        record.message = _clean(record.message)
        return super().formatMessage(record)

    def formatException(self, ei) -> str:  # noqa: N802
        return _clean(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return _clean(super().formatStack(stack_info))


def _clean(text: str) -> str:
    return hide_url_credentials(mask_numbers(text))


class RefusalsOnOneLine(logging.Filter):
    """A 4xx answer is an expected refusal (a vendor opening another vendor's page, a bad
    form): one line in the log, without the traceback Django attaches to it."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
