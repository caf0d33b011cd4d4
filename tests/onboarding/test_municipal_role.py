"""The municipality role (issue 23): one municipality's integrations whatever their vendor,
uploads where the municipality prepares the file, the inbound check, contacts; no choice or
stage changes. The walk over every URL is in tests/security/test_access_walk.py."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from onboarding import guidance
from onboarding.access import integrations_for
from onboarding.models import Integration, ReworkMethod, Stage, User
from tests.uploads.submission_helpers import csv_file, full_records
from uploads.models import Submission, Verdict

pytestmark = pytest.mark.django_db


@pytest.fixture
def chiyoda_b(cast):
    """A second 千代田区 integration, run by vendor B."""
    return Integration.objects.create(
        municipality=cast.chiyoda,
        vendor=cast.vendor_b,
        business_system="ひとり親医療費助成",
        dropbox_name="131016-2",
        rework_method=ReworkMethod.MANUAL,
    )


def test_a_municipal_user_sees_its_integrations_whatever_their_vendor(cast, chiyoda_b):
    assert set(integrations_for(cast.chiyo)) == {cast.integration_a, chiyoda_b}
    assert set(integrations_for(cast.sato)) == {cast.integration_b}
    # Vendor B sees its 千代田区 integration but not the other vendor's one there.
    assert set(integrations_for(cast.bob)) == {cast.integration_b, chiyoda_b}


def test_lists_and_pages_show_only_the_own_municipality(cast, chiyoda_b, client_for):
    client = client_for(cast.chiyo)
    board = client.get(reverse("onboarding:board")).content.decode()
    assert "子ども医療費助成" in board and "ひとり親医療費助成" in board
    assert "重度障害者医療費助成" not in board
    assert client.get(chiyoda_b.get_absolute_url()).status_code == 200
    other = client.get(cast.integration_b.get_absolute_url())
    missing = client.get(reverse("onboarding:integration_detail", args=[987654]))
    assert other.status_code == missing.status_code == 404
    assert client.get(reverse("dashboard:municipality_detail", args=["011002"])).status_code == 404
    assert client.get(reverse("onboarding:vendor_detail", args=["vendor-b"])).status_code == 404


def test_the_page_says_in_plain_words_what_the_next_gate_needs(cast, client_for):
    cast.integration_a.route = "lgwan"
    cast.integration_a.stage = Stage.DECIDED
    cast.integration_a.save()
    body = client_for(cast.chiyo).get(cast.integration_a.get_absolute_url()).content.decode()
    with translation.override("ja"):
        steps = guidance.next_steps(integration=cast.integration_a, forward=Stage.NETWORK_OK)
    assert len(steps) == 3  # the LGWAN setting change, the inbound check, the address ranges
    for step in steps:
        assert step in body
    assert "LGWAN" in steps[0] and "Ask the staff" not in steps[0]  # translated


def _upload(client, integration, data, name="test.csv"):
    file = SimpleUploadedFile(name, data, content_type="text/csv")
    return client.post(reverse("intake:upload", args=[integration.pk]), {"files": [file]})


def test_municipal_upload_only_on_manual_integrations_and_the_result_is_readable(
    cast, chiyoda_b, client_for, django_capture_on_commit_callbacks
):
    client = client_for(cast.chiyo)
    data = csv_file(full_records(3))
    assert _upload(client, cast.integration_a, data).status_code == 403  # method not manual
    with django_capture_on_commit_callbacks(execute=True):
        assert _upload(client, chiyoda_b, data).status_code == 302
    submission = Submission.objects.get()
    assert submission.integration == chiyoda_b and submission.received_by == cast.chiyo
    assert submission.verdict == Verdict.ACCEPTED
    assert client.get(submission.get_absolute_url()).status_code == 200
    result = client.get(reverse("uploads:result_csv", args=[submission.pk]))
    assert result.status_code == 200 and b"".join(result.streaming_content).startswith(b"\xef")
    assert client.get(reverse("uploads:original", args=[submission.pk])).status_code == 403
    # 札幌市's user gets the same answer as for a missing submission.
    sato = client_for(cast.sato)
    assert sato.get(submission.get_absolute_url()).status_code == 404


def test_municipal_user_opens_the_inbound_check_url_of_its_integrations(cast, client_for):
    url = reverse("connectivity:inbound_issue", args=[cast.integration_a.pk])
    page = client_for(cast.chiyo).post(url)
    assert page.status_code == 200 and "/inbound/" in page.content.decode()
    assert cast.integration_a.inbound_checks.get().issued_by == cast.chiyo
    assert client_for(cast.sato).post(url).status_code == 404
    assert client_for(cast.alice).post(url).status_code == 403


def test_municipal_user_keeps_contacts_but_cannot_change_choices_or_stages(cast, client_for):
    client = client_for(cast.chiyo)
    pk = cast.integration_a.pk
    response = client.post(
        reverse("onboarding:integration_contacts", args=[pk]),
        {"contacts": "kenko@city.chiyoda.example", "source_ranges": "10.20.0.0/16"},
    )
    assert response.status_code == 302
    assert list(cast.integration_a.contacts.values_list("email", flat=True)) == [
        "kenko@city.chiyoda.example"
    ]
    assert client.get(reverse("onboarding:integration_edit", args=[pk])).status_code == 403
    moved = client.post(reverse("onboarding:integration_move", args=[pk]), {"to": "decided"})
    assert moved.status_code == 403
    cast.integration_a.refresh_from_db()
    assert cast.integration_a.stage == Stage.REGISTERED


def test_operators_invite_municipal_staff_who_set_a_password_once(
    cast, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    url = reverse("onboarding:municipal_user_invite", args=["131016"])
    refused = client_for(cast.helpdesk).post(url, {"username": "x", "email": "x@e.jp"})
    assert refused.status_code == 403
    client = client_for(cast.operator)
    data = {"username": "chiyoda-kenko", "email": "kenko@city.chiyoda.example"}
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, data)
    again = client.post(url, data)  # a double click: the user exists, nothing more happens
    assert first.status_code == 302 and again.status_code == 200
    user = User.objects.get(username="chiyoda-kenko")
    assert user.municipality == cast.chiyoda and not user.has_usable_password()
    assert set(integrations_for(user)) == {cast.integration_a}
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["kenko@city.chiyoda.example"]
    link = next(line for line in mailoutbox[0].body.splitlines() if "/password/set/" in line)
    client.logout()
    form = client.get(link.split("testserver")[1], follow=True)
    assert form.status_code == 200 and form.context["validlink"]
    new = {"new_password1": "Sakura-Tsuki-8742#", "new_password2": "Sakura-Tsuki-8742#"}
    done = client.post(form.redirect_chain[-1][0], new)
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Sakura-Tsuki-8742#")
    signed_in = client.post(
        reverse("login"), {"username": "chiyoda-kenko", "password": "Sakura-Tsuki-8742#"}
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == "/"
    assert client.get(link.split("testserver")[1], follow=True).context["validlink"] is False
