"""Logging helpers wired in by ``settings.LOGGING``."""

import logging

from coderules.masking import mask_numbers


class MaskedFormatter(logging.Formatter):
    """The message (with its arguments), traceback and stack of every line with 12-digit runs
    masked (issue 17.4); the line's own time stays as it is."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        record.message = mask_numbers(record.message)
        return super().formatMessage(record)

    def formatException(self, ei) -> str:  # noqa: N802
        return mask_numbers(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return mask_numbers(super().formatStack(stack_info))


class RefusalsOnOneLine(logging.Filter):
    """A 4xx answer is an expected refusal (a vendor opening another vendor's page, a bad
    form): one line in the log, without the traceback Django attaches to it."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
