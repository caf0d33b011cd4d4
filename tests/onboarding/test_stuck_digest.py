from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from onboarding import jobs, services
from onboarding.models import Integration, IntegrationContact, Stage, StuckDigestRun

pytestmark = pytest.mark.django_db


def _integration(cast, name, *, stage, days, vendor, contacts=()):
    integration = Integration.objects.create(
        municipality=cast.chiyoda,
        vendor=vendor,
        business_system=name,
        dropbox_name=name,
        stage=stage,
        stage_changed_at=timezone.now() - timedelta(days=days),
    )
    for email in contacts:
        IntegrationContact.objects.create(integration=integration, email=email)
    return integration


@pytest.fixture
def stuck_world(cast, settings):
    settings.PMH_STUCK_DAYS = {**settings.PMH_STUCK_DAYS, "testing": 10, "decided": 20}
    cast.vendor_a.contact_email = "pmh@vendor-a.example"
    cast.vendor_a.save()
    _integration(cast, "sys1", stage=Stage.TESTING, days=15, vendor=cast.vendor_a,
                 contacts=["one@city.example"])  # fmt: skip
    _integration(cast, "sys2", stage=Stage.DECIDED, days=25, vendor=cast.vendor_a,
                 contacts=["one@city.example", "two@city.example"])  # fmt: skip
    _integration(cast, "sys3", stage=Stage.TESTING, days=3, vendor=cast.vendor_a,
                 contacts=["three@city.example"])  # fmt: skip
    _integration(cast, "sys4", stage=Stage.LIVE, days=400, vendor=cast.vendor_a)
    return cast


def test_one_digest_per_recipient_lists_its_stuck_integrations(stuck_world):
    run = services.stuck_digest_send()
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert sorted(by_recipient) == ["one@city.example", "pmh@vendor-a.example", "two@city.example"]
    assert len(mail.outbox) == 3
    vendor_mail = by_recipient["pmh@vendor-a.example"]
    assert "sys1" in vendor_mail.body and "sys2" in vendor_mail.body
    assert "sys3" not in vendor_mail.body and "sys4" not in vendor_mail.body
    assert "2 件" in vendor_mail.subject
    assert "sys2" in by_recipient["two@city.example"].body
    assert "sys1" not in by_recipient["two@city.example"].body
    assert (run.recipients, run.integrations) == (3, 2)


def test_the_digest_goes_out_once_a_day_whatever_runs_it(stuck_world):
    assert jobs.stuck_digest() == 3
    assert jobs.stuck_digest() == 0
    assert services.stuck_digest_send() is None
    assert len(mail.outbox) == 3
    services.stuck_digest_send(now=timezone.now() + timedelta(days=1))
    assert len(mail.outbox) == 6
    assert StuckDigestRun.objects.count() == 2


def test_dashboard_lists_stuck_integrations_in_the_users_scope(stuck_world, client_for):
    cast = stuck_world
    _integration(cast, "sys-b", stage=Stage.TESTING, days=30, vendor=cast.vendor_b)
    operator = client_for(cast.operator).get(reverse("dashboard:dashboard")).content.decode()
    assert "停滞している連携" in operator
    assert "sys1" in operator and "sys2" in operator and "sys-b" in operator
    assert "sys3" not in operator
    vendor = client_for(cast.alice).get(reverse("dashboard:dashboard")).content.decode()
    assert "sys1" in vendor and "sys-b" not in vendor
