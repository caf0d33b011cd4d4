"""A vendor cannot self-certify the inbound check with a range like 0.0.0.0/0 (issue 17.12):
ranges wider than the settings' limits need an operator."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _post(client, integration, ranges: str):
    url = reverse("onboarding:integration_contacts", args=[integration.pk])
    return client.post(url, {"contacts": "", "source_ranges": ranges})


@pytest.mark.parametrize("wide", ["0.0.0.0/0", "::/0", "10.0.0.0/8", "2001:db8::/32"])
def test_a_vendor_is_refused_a_range_wider_than_the_limit(cast, client_for, wide):
    response = _post(client_for(cast.alice), cast.integration_a, f"192.0.2.0/24\n{wide}")
    assert response.status_code == 200
    assert "PMH の運用担当者" in response.content.decode()
    cast.integration_a.refresh_from_db()
    assert wide not in cast.integration_a.source_ranges


def test_narrow_ranges_are_the_vendors_own_and_wide_ones_the_operators(cast, client_for, settings):
    settings.PMH_VENDOR_RANGE_PREFIX_V4 = 16
    assert _post(client_for(cast.alice), cast.integration_a, "10.1.0.0/16").status_code == 302
    cast.integration_a.refresh_from_db()
    assert cast.integration_a.source_ranges == ["10.1.0.0/16"]
    assert _post(client_for(cast.operator), cast.integration_a, "0.0.0.0/0").status_code == 302
    cast.integration_a.refresh_from_db()
    assert cast.integration_a.source_ranges == ["0.0.0.0/0"]


# -- whether the inbound check came over TLS (issue 17.12) -------------------------------------


def _gate_page(client, integration) -> str:
    from onboarding.models import Stage

    type(integration).objects.filter(pk=integration.pk).update(stage=Stage.DECIDED)
    page = client.get(reverse("onboarding:integration_detail", args=[integration.pk]))
    assert page.status_code == 200
    return page.content.decode()


@pytest.mark.parametrize(
    "request_extra, recorded, shown",
    [
        ({}, False, "TLS を使わずに"),
        ({"secure": True}, True, "TLS を使って"),
        (
            {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "10.20.5.5",
             "HTTP_X_FORWARDED_PROTO": "https"},
            True,
            "TLS を使って",
        ),
        (
            {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "10.20.5.5"},
            None,
            "TLS を使ったかは分かりません",
        ),
    ],
    ids=["plain", "direct-tls", "proxy-https", "proxy-silent"],
)  # fmt: skip
def test_the_inbound_check_records_and_the_gate_shows_tls(
    cast, client, client_for, settings, request_extra, recorded, shown
):
    from connectivity import services
    from connectivity.models import InboundCheck

    settings.PMH_TRUSTED_PROXIES = ["127.0.0.1"]
    cast.integration_a.source_ranges = ["10.20.0.0/16"]
    cast.integration_a.save()
    _, token = services.inbound_check_issue(integration=cast.integration_a, by=cast.operator)
    extra = {"REMOTE_ADDR": "10.20.3.4", **request_extra}
    assert client.get(f"/inbound/{token}", **extra).status_code == 200
    assert InboundCheck.objects.get().tls_used is recorded
    for user in (cast.alice, cast.operator):
        page = _gate_page(client_for(user), cast.integration_a)
        assert "受信確認" in page and shown in page, user
