import pytest
from django.core.management import call_command

from onboarding.models import Integration, IntegrationEvent, Stage, User

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_the_contract_minimum_and_is_idempotent(settings, capsys):
    settings.PMH_DEMO_PASSWORD = "demo-Pass-123"
    call_command("seed_demo")
    call_command("seed_demo")
    chiyoda = Integration.objects.get(dropbox_name="131016")
    sapporo = Integration.objects.get(dropbox_name="011002")
    assert (chiyoda.vendor.slug, sapporo.vendor.slug) == ("vendor-a", "vendor-b")
    assert (chiyoda.rework_method, chiyoda.route, chiyoda.test_access) == (
        "api",
        "lgwan",
        "internet",
    )
    assert (sapporo.rework_method, sapporo.route, sapporo.test_access) == (
        "manual",
        "usb",
        "offline",
    )
    for i in (chiyoda, sapporo):
        assert (i.data_mode, i.data_format, i.needs_review) == ("full", "csv", False)
        assert list(i.contacts.values_list("email", flat=True)) == [
            f"{i.dropbox_name}@demo.invalid"
        ]
    for name in ("operator", "helpdesk", "vendor_a", "vendor_b"):
        assert User.objects.get(username=name).check_password("demo-Pass-123")
    assert User.objects.get(username="vendor_a").vendor.slug == "vendor-a"
    assert Integration.objects.count() >= 12
    assert len({i.municipality.prefecture for i in Integration.objects.all()}) >= 5


@pytest.mark.django_db(transaction=True)
def test_seed_demo_reaches_stages_through_recorded_evidence(settings):
    settings.PMH_DEMO_PASSWORD = "demo-Pass-123"
    call_command("seed_demo")
    chiyoda = Integration.objects.get(dropbox_name="131016")
    assert chiyoda.stage == Stage.TESTING
    moves = list(
        chiyoda.events.filter(kind=IntegrationEvent.Kind.STAGE)
        .order_by("at", "id")
        .values_list("new_value", flat=True)
    )
    assert moves == [Stage.DECIDED, Stage.NETWORK_OK, Stage.TESTING]
    assert chiyoda.probes.get().results.filter(ok=True).exists()
    assert chiyoda.inbound_checks.filter(passed=True).exists()
    stages = set(Integration.objects.values_list("stage", flat=True))
    assert set(Stage.values) <= stages
    live = Integration.objects.get(dropbox_name="271004")
    assert live.stage == Stage.LIVE and live.submissions.filter(verdict="accepted").exists()


def test_generated_password_is_printed_when_unset(settings, capsys):
    settings.PMH_DEMO_PASSWORD = ""
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "demo password (generated):" in out
