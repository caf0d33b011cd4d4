"""What a technical error page may show (issue 17.10).

Django's filter hides settings whose names look secret (KEY, PASS, TOKEN…); URLs with
credentials have other names (``PMH_MAIL_URL``, ``DATABASE_URL``, ``REDIS_URL``, ``RQ_QUEUES``
holding one). This filter also hides any user and password inside a URL, in every setting, in
the request's environment and in the local variables of the traceback.
"""

import re

from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from coderules.masking import hide_url_credentials


def _cleaned(value):
    if type(value) is str:  # not lazy objects that only pose as strings
        return hide_url_credentials(value)
    if type(value) is dict:
        return {k: _cleaned(v) for k, v in value.items()}
    if type(value) in (list, tuple):
        return type(value)(_cleaned(v) for v in value)
    return value


class UrlSafeExceptionReporterFilter(SafeExceptionReporterFilter):
    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|_URL$|DATABASE|REDIS|RQ", re.I
    )

    def cleanse_setting(self, key, value):
        return _cleaned(super().cleanse_setting(key, value))

    def get_safe_settings(self):
        return {k: _cleaned(v) for k, v in super().get_safe_settings().items()}

    def get_safe_request_meta(self, request):
        return {k: _cleaned(v) for k, v in super().get_safe_request_meta(request).items()}

    def get_traceback_frame_variables(self, request, tb_frame):
        return [
            (name, _cleaned(value))
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]


class UrlSafeExceptionReporter(ExceptionReporter):
    """The whole technical page, exception messages included, without URL credentials."""

    def get_traceback_html(self):
        return hide_url_credentials(str(super().get_traceback_html()))

    def get_traceback_text(self):
        return hide_url_credentials(str(super().get_traceback_text()))
