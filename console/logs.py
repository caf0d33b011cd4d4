"""Logging helpers wired in by ``settings.LOGGING``."""

import logging


class RefusalsOnOneLine(logging.Filter):
    """A 4xx answer is an expected refusal (a vendor opening another vendor's page, a bad
    form): one line in the log, without the traceback Django attaches to it."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
