"""Vendor self-service (issue 18.11): a home with the vendor's integrations, where to upload
and what the next gate needs; the vendor's own API tokens; no national chart."""

import pytest
from django.urls import reverse

from console.models import AuditRecord
from onboarding.models import ApiToken, Stage
from onboarding.tokens import api_token_authenticate, api_token_issue

pytestmark = pytest.mark.django_db


def test_vendor_home_lists_its_integrations_with_upload_link_stage_and_next_gate(cast, client_for):
    cast.integration_a.stage = Stage.DECIDED
    cast.integration_a.route = "lgwan"
    cast.integration_a.save()
    page = client_for(cast.alice).get(reverse("dashboard:vendor_home"))
    text = page.content.decode()
    assert page.status_code == 200
    assert "千代田区" in text and "子ども医療費助成" in text and "札幌市" not in text
    assert cast.integration_a.get_absolute_url() + "#submissions" in text
    assert "方式決定" in text  # the stage, in Japanese
    reasons = page.context["rows"][0]["needs"]
    assert reasons and all(reason in text for reason in reasons)
    assert "疎通確認済" in text  # the next stage, whose gate the reasons belong to
    nav = [item["url"] for item in page.context["nav_items"]]
    assert reverse("dashboard:vendor_home") in nav
    assert reverse("onboarding:prefectures") not in nav


def test_vendor_home_is_for_vendors_only(cast, client_for):
    for user in (cast.operator, cast.helpdesk, cast.chiyo):
        assert client_for(user).get(reverse("dashboard:vendor_home")).status_code == 403


def test_vendors_do_not_see_the_national_prefecture_chart(cast, client_for):
    assert client_for(cast.alice).get(reverse("onboarding:prefectures")).status_code == 403
    assert client_for(cast.operator).get(reverse("onboarding:prefectures")).status_code == 200
    assert client_for(cast.chiyo).get(reverse("onboarding:prefectures")).status_code == 200


def test_vendors_issue_and_revoke_their_own_tokens_shown_once(cast, client_for):
    client = client_for(cast.alice)
    page = client.get(reverse("onboarding:vendor_detail", args=["vendor-a"])).content.decode()
    assert reverse("onboarding:vendor_token_create", args=["vendor-a"]) in page
    issued = client.post(
        reverse("onboarding:vendor_token_create", args=["vendor-a"]), {"name": "夜間バッチ"}
    )
    raw = issued.context["raw"]
    assert issued.status_code == 200 and raw in issued.content.decode()
    token = ApiToken.objects.get(name="夜間バッチ")
    assert token.vendor == cast.vendor_a and token.created_by == cast.alice
    assert api_token_authenticate(raw) == token
    again = client.get(reverse("onboarding:vendor_detail", args=["vendor-a"])).content.decode()
    assert raw not in again  # shown once only
    revoke = reverse("onboarding:vendor_token_revoke", args=["vendor-a", token.pk])
    assert client.post(revoke).status_code == 302
    assert api_token_authenticate(raw) is None
    actions = set(AuditRecord.objects.values_list("action", flat=True))
    assert {"token_issue", "token_revoke"} <= actions


def test_a_vendor_cannot_touch_another_vendors_tokens_and_others_cannot_issue(cast, client_for):
    client = client_for(cast.alice)
    other = client.post(reverse("onboarding:vendor_token_create", args=["vendor-b"]), {"name": "x"})
    assert other.status_code == 404
    _token, raw = api_token_issue(vendor=cast.vendor_b, name="b", by=cast.operator)
    token_b = ApiToken.objects.get(vendor=cast.vendor_b)
    revoke = reverse("onboarding:vendor_token_revoke", args=["vendor-b", token_b.pk])
    assert client.post(revoke).status_code == 404
    assert client_for(cast.helpdesk).post(revoke).status_code == 403
    assert api_token_authenticate(raw) == token_b
    # Operators still can.
    assert client_for(cast.operator).post(revoke).status_code == 302
    assert api_token_authenticate(raw) is None
