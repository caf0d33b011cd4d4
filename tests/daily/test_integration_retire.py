"""Back, then save, does not register an integration twice; a mistaken one can be retired."""

import pytest
from django.urls import reverse

from onboarding.models import Integration, IntegrationEvent

pytestmark = pytest.mark.django_db

FORM = {
    "municipality_code": "131016",
    "business_system": "難病医療費助成システム",
    "rework_method": "manual",
    "route": "lgwan",
    "data_mode": "full",
    "test_access": "lgwan",
    "data_format": "csv",
    "review_policy": "auto",
}


def test_saving_the_same_integration_again_is_refused_in_japanese(cast, client_for):
    client = client_for(cast.operator)
    url = reverse("onboarding:integration_create")
    data = {**FORM, "vendor": cast.vendor_a.pk}
    first = client.post(url, data)
    assert first.status_code == 302, first.context and first.context["form"].errors
    again = client.post(url, data)  # the back button, then 保存 again (a fresh form token)
    assert again.status_code == 200
    assert "同じ業務システムの連携がすでにあります" in again.content.decode()
    assert Integration.objects.filter(business_system=FORM["business_system"]).count() == 1


def test_an_operator_retires_a_mistaken_integration_kept_in_history(cast, client_for):
    client = client_for(cast.operator)
    integration = cast.integration_a
    url = reverse("onboarding:integration_retire", args=[integration.pk])
    assert client.post(url, {"reason": ""}).status_code == 302
    assert Integration.objects.filter(pk=integration.pk).exists()  # a reason is required
    client.post(url, {"reason": "二重登録のため"})
    assert not Integration.objects.filter(pk=integration.pk).exists()
    retired = Integration.all_objects.get(pk=integration.pk)
    assert retired.retired_at is not None and retired.retired_reason == "二重登録のため"
    event = IntegrationEvent.objects.get(integration=retired, kind="retired")
    assert event.by == cast.operator
    board = client.get(reverse("onboarding:board")).content.decode()
    municipality = client.get(cast.chiyoda.get_absolute_url()).content.decode()
    assert integration.get_absolute_url() not in board
    assert integration.get_absolute_url() not in municipality
    page = client.get(integration.get_absolute_url())
    assert page.status_code == 200 and "廃止されました" in page.content.decode()
    assert "二重登録のため" in page.content.decode()
    upload = client_for(cast.alice).post(reverse("intake:upload", args=[integration.pk]))
    assert upload.status_code == 403
    # Another one of the same system can be registered once the mistaken one is retired.
    again = client_for(cast.operator).post(
        reverse("onboarding:integration_create"),
        {**FORM, "business_system": integration.business_system, "vendor": cast.vendor_a.pk},
    )
    assert again.status_code == 302


@pytest.mark.parametrize("who", ["helpdesk", "alice"])
def test_only_operators_retire(cast, client_for, who):
    client = client_for(getattr(cast, who))
    url = reverse("onboarding:integration_retire", args=[cast.integration_a.pk])
    assert client.post(url, {"reason": "x"}).status_code in (403, 404)
    assert Integration.objects.filter(pk=cast.integration_a.pk).exists()
