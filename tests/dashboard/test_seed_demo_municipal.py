"""The demo's municipal users (issue 23, done-when): each signs in, sees only its own
integrations and what to do next; 札幌市's uploads on its manual integration and reads the
result."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from onboarding.models import Integration, User
from tests.uploads.submission_helpers import csv_file, full_records
from uploads.models import Submission

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "demo-Pass-123"


def _sign_in(client, username):
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302, username


def test_each_demo_municipality_has_a_user_who_sees_only_its_own(settings, client):
    settings.PMH_DEMO_PASSWORD = PASSWORD
    call_command("seed_demo")
    codes = sorted(set(Integration.objects.values_list("municipality__code", flat=True)))
    for code in codes:
        user = User.objects.get(username=f"city_{code}")
        assert user.municipality.code == code and user.check_password(PASSWORD)
    for code in ("131016", "011002"):
        client.logout()
        _sign_in(client, f"city_{code}")
        own = Integration.objects.get(dropbox_name=code)
        page = client.get(own.get_absolute_url())
        assert page.status_code == 200 and page.context["next_steps"]
        others = Integration.objects.exclude(municipality__code=code)
        assert all(client.get(i.get_absolute_url()).status_code == 404 for i in others)
        board = client.get(reverse("onboarding:board")).content.decode()
        assert own.business_system in board


def test_the_sapporo_user_uploads_on_its_manual_integration_and_reads_the_result(settings, client):
    settings.PMH_DEMO_PASSWORD = PASSWORD
    call_command("seed_demo")
    _sign_in(client, "city_011002")
    sapporo = Integration.objects.get(dropbox_name="011002")
    before = set(Submission.objects.values_list("pk", flat=True))
    file = SimpleUploadedFile("sapporo.csv", csv_file(full_records(4)), content_type="text/csv")
    response = client.post(reverse("intake:upload", args=[sapporo.pk]), {"files": [file]})
    assert response.status_code == 302
    submission = Submission.objects.exclude(pk__in=before).get()
    submission.refresh_from_db()
    assert submission.received_by.username == "city_011002" and submission.verdict == "accepted"
    assert client.get(submission.get_absolute_url()).status_code == 200
    result = client.get(reverse("uploads:result_json", args=[submission.pk]))
    assert result.status_code == 200 and result.json()["accepted"] is True
