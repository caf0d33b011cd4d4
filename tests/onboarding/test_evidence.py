"""Stage gates ask the evidence providers that uploads and connectivity register."""

from types import SimpleNamespace

import pytest

from onboarding import evidence, services
from onboarding.models import Integration, Stage

pytestmark = pytest.mark.django_db


def test_uploads_and_connectivity_register_their_providers():
    assert set(evidence._PROVIDERS) == {evidence.NETWORK, evidence.TESTS, evidence.HELD}
    assert evidence._PROVIDERS[evidence.NETWORK].__module__ == "connectivity.services"
    assert evidence._PROVIDERS[evidence.TESTS].__module__ == "uploads.apps"


def test_an_unknown_kind_of_evidence_is_refused():
    with pytest.raises(ValueError):
        evidence.register("weather", lambda **kw: None)


@pytest.mark.parametrize(
    ("to", "name"), [(Stage.NETWORK_OK, "network"), (Stage.TEST_PASSED, "tests")]
)
def test_a_gate_answers_with_what_its_provider_found(cast, monkeypatch, to, name):
    asked = []

    def provider(*, integration, now):
        asked.append((integration.pk, now))
        return SimpleNamespace(ok=False, reasons=["理由"])

    monkeypatch.setitem(evidence._PROVIDERS, name, provider)
    integration = Integration.objects.get(pk=cast.integration_a.pk)
    integration.route, integration.test_access = "lgwan", "lgwan"
    result = services.gate(integration=integration, to=to)
    assert (result.ok, result.reasons) == (False, ["理由"])
    assert [pk for pk, _ in asked] == [integration.pk]
