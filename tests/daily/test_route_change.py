"""A route change that sends the stage back says so on the form and asks for confirmation."""

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from onboarding.models import Integration, Stage

pytestmark = pytest.mark.django_db


def _testing(cast):
    Integration.objects.filter(pk=cast.integration_a.pk).update(
        rework_method="manual",
        route="lgwan",
        data_mode="full",
        test_access="lgwan",
        data_format="csv",
        stage=Stage.TESTING,
    )
    return Integration.objects.get(pk=cast.integration_a.pk)


def _data(integration, **changes):
    data = {k: v for k, v in model_to_dict(integration).items() if v is not None}
    data.update(municipality_code="131016", programs="", contacts="", source_ranges="")
    data.update(insurer_check_programs="")
    data.update(changes)
    return data


def test_the_form_warns_before_saving_and_refuses_without_confirmation(cast, client_for):
    integration = _testing(cast)
    client = client_for(cast.operator)
    url = reverse("onboarding:integration_edit", args=[integration.pk])
    form_page = client.get(url).content.decode()
    assert "「方式決定」に戻" in form_page and "テスト中" in form_page
    refused = client.post(url, _data(integration, route="vpn", test_access="internet"))
    assert refused.status_code == 200
    assert "チェック" in refused.content.decode()
    integration.refresh_from_db()
    assert (integration.route, integration.stage) == ("lgwan", Stage.TESTING)
    saved = client.post(
        url, _data(integration, route="vpn", test_access="internet", confirm_stage_back="on")
    )
    assert saved.status_code == 302, saved.context["form"].errors
    integration.refresh_from_db()
    assert (integration.route, integration.stage) == ("vpn", Stage.DECIDED)


def test_other_changes_need_no_confirmation(cast, client_for):
    integration = _testing(cast)
    client = client_for(cast.operator)
    url = reverse("onboarding:integration_edit", args=[integration.pk])
    saved = client.post(url, _data(integration, business_system="子ども医療費助成（改）"))
    assert saved.status_code == 302
    integration.refresh_from_db()
    assert integration.stage == Stage.TESTING
