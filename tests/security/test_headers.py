"""Clickjacking and caching headers (issue #11): no page or download of the console can be
framed, and nothing that carries personal data is kept by a browser or a proxy."""

import pytest
from django.urls import reverse

from onboarding.tokens import api_token_issue
from tests.uploads.submission_helpers import csv_file, full_records, receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def returned(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return receive(cast.integration_a, csv_file(full_records(2)), name="daily.csv")


def _personal_downloads(cast, submission) -> list[str]:
    """Every download that can carry record values or who sent what."""
    return [
        reverse("uploads:original", args=[submission.pk]),
        reverse("uploads:result_json", args=[submission.pk]),
        reverse("uploads:result_csv", args=[submission.pk]),
        reverse("helpdesk:history_export"),
        reverse("onboarding:municipality_export"),
        reverse("dashboard:audit_export"),
    ]


def _pages(cast, submission) -> list[str]:
    uploader = "onboarding:integration_uploader_file"
    return [
        "/",
        reverse("helpdesk:history"),
        reverse("dashboard:audit"),
        submission.get_absolute_url(),
        reverse(uploader, args=[cast.integration_a.pk, "x.ini"]),
        reverse(uploader, args=[cast.integration_a.pk, "pmh_uploader.py"]),
    ]


def _assert_not_frameable(url, response):
    assert response["X-Frame-Options"] == "DENY", url
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"], url


def _assert_no_store(url, response):
    cache = response["Cache-Control"]
    assert "no-store" in cache and "private" in cache, (url, cache)
    assert "public" not in cache and "max-age=0" in cache, (url, cache)


def test_downloads_with_personal_data_are_never_stored_nor_framed(cast, client_for, returned):
    client = client_for(cast.operator)
    for url in _personal_downloads(cast, returned):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Disposition"].startswith("attachment"), url
        _assert_no_store(url, response)
        _assert_not_frameable(url, response)


def test_pages_and_refusals_are_never_stored_nor_framed(cast, client_for, returned):
    for user in (cast.operator, cast.alice):
        client = client_for(user)
        for url in _pages(cast, returned):
            response = client.get(url)
            assert response.status_code in (200, 403, 404), url
            _assert_no_store(url, response)
            _assert_not_frameable(url, response)


def test_the_login_page_cannot_be_framed(client):
    response = client.get(reverse("login"))
    _assert_not_frameable("login", response)


def test_api_report_is_never_stored(cast, client, returned):
    _, raw = api_token_issue(vendor=cast.vendor_a, name="t")
    url = f"/api/v1/submissions/{returned.pk}/report"
    response = client.get(url, headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    _assert_no_store(url, response)
    _assert_not_frameable(url, response)
