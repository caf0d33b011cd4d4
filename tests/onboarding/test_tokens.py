import hashlib

import pytest
from django.core.management import call_command
from django.urls import reverse

from onboarding.models import ApiToken
from onboarding.tokens import api_token_authenticate, api_token_issue, api_token_revoke

pytestmark = pytest.mark.django_db


def test_command_prints_only_the_token_and_stores_only_its_hash(cast, capsys):
    call_command("api_token", "vendor-a")
    raw = capsys.readouterr().out.strip()
    assert raw.startswith("pmh_") and "\n" not in raw
    token = ApiToken.objects.get()
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in (token.prefix, token.name)
    assert api_token_authenticate(raw).vendor == cast.vendor_a


def test_unknown_vendor_is_a_clear_error(cast):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="vendor-x"):
        call_command("api_token", "vendor-x")


def test_revoked_or_wrong_token_does_not_authenticate(cast):
    token, raw = api_token_issue(vendor=cast.vendor_a, name="batch")
    _, other = api_token_issue(vendor=cast.vendor_a, name="second")
    assert api_token_authenticate(raw + "x") is None
    assert api_token_authenticate("") is None
    api_token_revoke(token=token)
    assert api_token_authenticate(raw) is None
    assert api_token_authenticate(other) is not None


def test_operator_issues_a_token_shown_once_and_revokes_it(cast, client_for):
    client = client_for(cast.operator)
    response = client.post(
        reverse("onboarding:vendor_token_create", args=["vendor-a"]), {"name": "batch"}
    )
    assert response.status_code == 200
    raw = response.context["raw"]
    assert raw in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    page = client.get(reverse("onboarding:vendor_detail", args=["vendor-a"])).content.decode()
    assert raw not in page and "batch" in page
    token = ApiToken.objects.get()
    client.post(reverse("onboarding:vendor_token_revoke", args=["vendor-a", token.pk]))
    token.refresh_from_db()
    assert not token.active


def test_vendor_issues_its_own_tokens_and_never_sees_others(cast, client_for):
    api_token_issue(vendor=cast.vendor_b, name="b-token")
    client = client_for(cast.alice)
    assert (
        client.post(
            reverse("onboarding:vendor_token_create", args=["vendor-a"]), {"name": "x"}
        ).status_code
        == 200  # issue 18.11: vendors issue their own
    )
    assert (
        client.post(
            reverse("onboarding:vendor_token_create", args=["vendor-b"]), {"name": "x"}
        ).status_code
        == 404
    )
    assert client.get(reverse("onboarding:vendor_detail", args=["vendor-b"])).status_code == 404
    assert ApiToken.objects.count() == 2
    assert ApiToken.objects.filter(vendor=cast.vendor_a, name="x").exists()


def test_vendor_page_title_is_plain_text(cast, client_for):
    body = (
        client_for(cast.operator)
        .get(reverse("onboarding:vendor_detail", args=["vendor-a"]))
        .content.decode()
    )
    title = body.split("<title>")[1].split("</title>")[0]
    assert "<" not in title and "ベンダーA" in title
    assert body.count('id="tokens"') == 1
