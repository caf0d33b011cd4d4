"""The integration setting that lowers 公費負担者番号 and 受給者番号 check digits (issue 19)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from onboarding.models import IntegrationEvent, validate_check_programs

pytestmark = pytest.mark.django_db


def _edit(client, integration, **changes):
    url = reverse("onboarding:integration_edit", args=[integration.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.pop("municipality_code", None)  # disabled on edit
    for name in [n for n, v in data.items() if v is False]:
        data.pop(name)  # an unchecked box is not sent
    data.update(changes)
    return client.post(url, data)


def test_the_operator_lowers_the_insurer_check_for_listed_programs(cast, client_for):
    client = client_for(cast.operator)
    response = _edit(
        client,
        cast.integration_a,
        insurer_check_warning="on",
        insurer_check_programs="81\n88136015, 81",
    )
    assert response.status_code == 302, response.context["form"].errors
    cast.integration_a.refresh_from_db()
    assert cast.integration_a.insurer_check_warning is True
    assert cast.integration_a.insurer_check_programs == ["81", "88136015"]
    fields = set(IntegrationEvent.objects.values_list("field", flat=True))
    assert {"insurer_check_warning", "insurer_check_programs"} <= fields
    page = client.get(cast.integration_a.get_absolute_url()).content.decode()
    assert "公費負担者番号・受給者番号の検証番号" in page and "警告（81、88136015）" in page
    edit = client.get(reverse("onboarding:integration_edit", args=[cast.integration_a.pk]))
    assert "検証番号の誤りを警告にする" in edit.content.decode()


def test_every_program_when_none_is_listed(cast, client_for):
    client = client_for(cast.operator)
    assert _edit(client, cast.integration_a, insurer_check_warning="on").status_code == 302
    page = client.get(cast.integration_a.get_absolute_url()).content.decode()
    assert "警告（すべての制度）" in page


def test_a_bad_program_number_is_refused_in_japanese(cast, client_for):
    client = client_for(cast.operator)
    response = _edit(client, cast.integration_a, insurer_check_programs="8\n8113")
    assert response.status_code == 200
    body = response.content.decode()
    assert "「8」は2桁の法別番号でも8桁の公費負担者番号でもありません" in body
    assert "「8113」は" in body
    cast.integration_a.refresh_from_db()
    assert cast.integration_a.insurer_check_programs == []


@pytest.mark.parametrize("value", [["8"], [81], "81", ["811310101"]])
def test_the_model_refuses_what_the_engine_could_not_use(value):
    with pytest.raises(ValidationError):
        validate_check_programs(value)
