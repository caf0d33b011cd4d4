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
