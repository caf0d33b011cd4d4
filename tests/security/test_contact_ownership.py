"""A contact address belongs to one vendor (issue 17.11).

A vendor cannot register on its integration an address that is already a contact of another
vendor's integration (the other vendor's mail would then be taken as its own); an operator may
share one, deliberately (a tick), and the sharing is recorded in the integration's history.
"""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from onboarding import services
from onboarding.models import Integration, IntegrationContact, IntegrationEvent

pytestmark = pytest.mark.django_db
THEIRS = "tanto@vendor-b.example"


@pytest.fixture
def b_contact(cast):
    IntegrationContact.objects.create(integration=cast.integration_b, email=THEIRS)
    return cast


def _contacts(client, integration, contacts: str, **extra):
    url = reverse("onboarding:integration_contacts", args=[integration.pk])
    return client.post(url, {"contacts": contacts, "source_ranges": "", **extra})


def _emails(integration) -> set[str]:
    return set(integration.contacts.values_list("email", flat=True))


def test_a_vendor_cannot_take_another_vendors_address(b_contact, client_for):
    cast = b_contact
    response = _contacts(client_for(cast.alice), cast.integration_a, f"own@a.example\n{THEIRS}")
    assert response.status_code == 200
    page = response.content.decode()
    assert THEIRS in page and "他のベンダー" in page
    assert _emails(cast.integration_a) == set()
    # Written another way, it is still the same address.
    response = _contacts(client_for(cast.alice), cast.integration_a, THEIRS.upper())
    assert response.status_code == 200 and _emails(cast.integration_a) == set()
    # A vendor has no way to share: the tick is not there for it, and is ignored if sent.
    response = _contacts(client_for(cast.alice), cast.integration_a, THEIRS, share_contacts="on")
    assert response.status_code == 200 and "share_contacts" not in response.content.decode()
    assert _emails(cast.integration_a) == set()


def test_the_service_refuses_too(b_contact):
    cast = b_contact
    with pytest.raises(ValidationError) as refused:
        services.integration_update_contacts(
            integration=cast.integration_a, by=cast.alice, contacts=[THEIRS], source_ranges=[]
        )
    assert "他のベンダー" in str(refused.value)
    assert _emails(cast.integration_a) == set()


def test_a_vendors_own_integrations_may_share_an_address(b_contact, client_for):
    cast = b_contact
    second = Integration.objects.create(
        municipality=cast.sapporo,
        vendor=cast.vendor_b,
        business_system="ひとり親医療費助成",
        dropbox_name="011002-2",
    )
    response = _contacts(client_for(cast.bob), second, THEIRS)
    assert response.status_code == 302, response.context["form"].errors
    assert _emails(second) == {THEIRS}


def test_an_operator_shares_deliberately_and_it_is_recorded(b_contact, client_for):
    cast = b_contact
    client = client_for(cast.operator)
    refused = _contacts(client, cast.integration_a, THEIRS)
    assert refused.status_code == 200 and "共有" in refused.content.decode()
    assert _emails(cast.integration_a) == set()
    shared = _contacts(client, cast.integration_a, THEIRS, share_contacts="on")
    assert shared.status_code == 302
    assert _emails(cast.integration_a) == {THEIRS}
    event = IntegrationEvent.objects.get(integration=cast.integration_a, field="contacts_shared")
    assert event.new_value == THEIRS and event.by == cast.operator
    assert "ベンダーB" in event.reason


def test_the_operators_integration_form_checks_too(b_contact, client_for):
    cast = b_contact
    client = client_for(cast.operator)
    url = reverse("onboarding:integration_edit", args=[cast.integration_a.pk])
    form = client.get(url).context["form"]
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and not isinstance(value, list)
    }
    data.update(
        vendor=cast.vendor_a.pk,
        municipality_code="131016",
        business_system=cast.integration_a.business_system,
        dropbox_name=cast.integration_a.dropbox_name,
        contacts=THEIRS,
    )
    response = client.post(url, data)
    assert response.status_code == 200, response
    assert THEIRS in response.content.decode() and _emails(cast.integration_a) == set()
    response = client.post(url, {**data, "share_contacts": "on"})
    assert response.status_code == 302, response.context["form"].errors
    assert _emails(cast.integration_a) == {THEIRS}
