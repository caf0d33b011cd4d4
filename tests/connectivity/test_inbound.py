import datetime

import pytest
from django.utils import timezone

from connectivity import services
from connectivity.models import InboundCheck


@pytest.fixture
def ranged(cast):
    cast.integration_a.source_ranges = ["10.20.0.0/16", "2001:db8::/32"]
    cast.integration_a.save()
    return cast


def issue(cast, **kwargs):
    return services.inbound_check_issue(integration=cast.integration_a, by=cast.operator, **kwargs)


def test_token_is_stored_hashed(ranged):
    check, token = issue(ranged)
    assert token not in check.token_hash and len(check.token_hash) == 64


def test_call_from_inside_the_ranges_passes(ranged, client):
    check, token = issue(ranged)
    response = client.get(f"/inbound/{token}", REMOTE_ADDR="10.20.3.4")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "合格" in response.content.decode()
    check.refresh_from_db()
    assert check.passed and check.source_address == "10.20.3.4" and check.tls_version == "none"
    assert check.used_at is not None and not check.via_proxy


def test_call_from_outside_the_ranges_fails_and_says_so(ranged, client):
    _, token = issue(ranged)
    response = client.get(f"/inbound/{token}?format=json", REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 200
    body = response.json()
    assert body["result"] == "failed" and body["source_address"] == "192.0.2.7"
    assert "範囲外" in body["message"]
    assert InboundCheck.objects.get().passed is False


def test_token_is_good_for_one_call_only(ranged, client):
    _, token = issue(ranged)
    assert client.get(f"/inbound/{token}", REMOTE_ADDR="10.20.0.1").status_code == 200
    again = client.get(f"/inbound/{token}", REMOTE_ADDR="10.20.0.1")
    assert again.status_code == 410 and "使用済み" in again.content.decode()


def test_expired_and_unknown_tokens_never_redirect(ranged, client):
    past = timezone.now() - datetime.timedelta(days=8)
    check, token = issue(ranged, now=past)
    expired = client.get(f"/inbound/{token}", REMOTE_ADDR="10.20.0.1")
    assert expired.status_code == 410 and "有効期限" in expired.content.decode()
    check.refresh_from_db()
    assert check.used_at is None
    unknown = client.get("/inbound/not-a-token", REMOTE_ADDR="10.20.0.1")
    assert unknown.status_code == 404 and "無効" in unknown.content.decode()


def test_forwarded_headers_count_only_from_a_trusted_proxy(ranged, client, settings):
    settings.PMH_TRUSTED_PROXIES = ["127.0.0.0/8"]
    _, token = issue(ranged)
    response = client.get(
        f"/inbound/{token}",
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="10.99.0.1, 10.20.5.5",
        HTTP_X_FORWARDED_PROTO="https",
    )
    assert response.status_code == 200
    check = InboundCheck.objects.get()
    assert check.via_proxy and check.source_address == "10.20.5.5"
    assert check.peer_address == "127.0.0.1"
    assert check.tls_version == "unknown"  # https, but the proxy did not say which version
    assert check.passed


def test_proxy_tls_header_is_recorded(ranged, client, settings):
    settings.PMH_TRUSTED_PROXIES = ["127.0.0.1"]
    _, token = issue(ranged)
    client.get(
        f"/inbound/{token}",
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="10.20.5.5",
        HTTP_X_FORWARDED_TLS_VERSION="TLSv1.3",
    )
    assert InboundCheck.objects.get().tls_version == "TLSv1.3"


def test_forwarded_headers_from_an_untrusted_peer_are_ignored(ranged, client, settings):
    settings.PMH_TRUSTED_PROXIES = ["127.0.0.1"]
    _, token = issue(ranged)
    client.get(f"/inbound/{token}", REMOTE_ADDR="192.0.2.9", HTTP_X_FORWARDED_FOR="10.20.5.5")
    check = InboundCheck.objects.get()
    assert check.source_address == "192.0.2.9" and not check.via_proxy and not check.passed


def test_operator_issues_the_url_on_the_matrix_page(ranged, client_for):
    client = client_for(ranged.operator)
    response = client.post(f"/reachability/integrations/{ranged.integration_a.pk}/inbound/")
    assert response.status_code == 200
    url = response.context["url"]
    assert "/inbound/" in url
    token = url.rsplit("/", 1)[1]
    assert services._token_hash(token) == InboundCheck.objects.get().token_hash


@pytest.mark.parametrize("who", ["helpdesk", "alice"])
def test_only_operators_issue_urls(ranged, client_for, who):
    client = client_for(getattr(ranged, who))
    response = client.post(f"/reachability/integrations/{ranged.integration_a.pk}/inbound/")
    assert response.status_code == 403
    assert not InboundCheck.objects.exists()
