"""The municipality-facing inbound page is Japanese throughout (issue 18 point 7)."""

import re

from connectivity import services


def test_the_inbound_answer_has_no_english_label_or_raw_value(cast, client):
    cast.integration_a.source_ranges = ["10.20.0.0/16"]
    cast.integration_a.save()
    _check, token = services.inbound_check_issue(integration=cast.integration_a, by=cast.operator)
    text = client.get(f"/inbound/{token}", REMOTE_ADDR="10.20.3.4").content.decode()
    assert "記録日時：" in text and "送信元アドレス：10.20.3.4" in text
    assert "TLS バージョン：なし（暗号化なしの HTTP）" in text
    assert "TLS: none" not in text and "（TLS: なし" in text
    words = set(re.findall(r"[A-Za-z]{2,}", text)) - {"PMH", "TLS", "HTTP"}
    assert not words, words


def test_issuing_an_inbound_url_without_source_ranges_warns(cast, client_for):
    from django.urls import reverse

    client = client_for(cast.operator)
    url = reverse("connectivity:inbound_issue", args=[cast.integration_a.pk])
    issued = client.post(url).content.decode()
    assert "送信元アドレス範囲が登録されていない" in issued
    page = client.get(reverse("connectivity:integration", args=[cast.integration_a.pk]))
    assert "送信元アドレス範囲が登録されていない" in page.content.decode()
    cast.integration_a.source_ranges = ["10.20.0.0/16"]
    cast.integration_a.save()
    assert "送信元アドレス範囲が登録されていない" not in client.post(url).content.decode()
