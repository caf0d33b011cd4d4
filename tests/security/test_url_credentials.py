"""Credentials inside URLs are never shown or logged, DEBUG pages included (issue 17.10)."""

import logging
import sys

import pytest
from django.test import RequestFactory
from django.views.debug import get_exception_reporter_class

from coderules.masking import hide_url_credentials
from console.logs import MaskedFormatter

SECRET = "imap-Pa55word"
URLS = {
    "PMH_MAIL_URL": f"imaps://intake%40pmh.example:{SECRET}@mail.example:993/INBOX",
    "DATABASE_URL": f"postgres://pmh:{SECRET}@db.example:5432/pmh",
    "REDIS_URL": f"redis://:{SECRET}@redis.example:6379/0",
}


def test_the_helper_hides_user_and_password():
    assert hide_url_credentials("imaps://u:p@w@host/x and http://host/y") == (
        "imaps://***@host/x and http://host/y"
    )


@pytest.mark.django_db
def test_a_debug_error_page_shows_no_credential_of_any_url_setting(settings):
    settings.DEBUG = True
    for name, url in URLS.items():
        setattr(settings, name, url)
    settings.PMH_EXTRA = {"cache": URLS["REDIS_URL"]}
    request = RequestFactory().get("/boom", HTTP_X_FORWARDED_FOR="10.0.0.1")
    mail_url = URLS["PMH_MAIL_URL"]  # a local variable of the failing frame  # noqa: F841
    try:
        raise RuntimeError("connection to " + URLS["DATABASE_URL"] + " failed")
    except RuntimeError:
        reporter = get_exception_reporter_class(request)(request, *sys.exc_info())
        html = reporter.get_traceback_html()
        text = reporter.get_traceback_text()
    for page in (html, text):
        assert "mail.example" in page or "PMH_MAIL_URL" in page  # the page was rendered
        assert SECRET not in page


def test_log_lines_hide_credentials_in_urls():
    formatter = MaskedFormatter("%(message)s")
    record = logging.LogRecord(
        "intake", logging.ERROR, __file__, 1, "cannot log in to %s", (URLS["PMH_MAIL_URL"],), None
    )
    assert SECRET not in formatter.format(record)
    try:
        raise OSError(URLS["REDIS_URL"])
    except OSError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "down", (), sys.exc_info())
    assert SECRET not in formatter.format(record)
