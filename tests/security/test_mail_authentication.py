"""Mail without Authentication-Results is accepted only when a setting says so, off in
production (issue 17.11): a forged From: alone is not enough."""

import os
import subprocess
import sys
from pathlib import Path

from intake.mail.lib import decide, parse_message
from intake.mail.lib.decide import Ingest, Quarantine

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "uploads" / "mail"


def _contacts(address):
    return {"131016@demo.invalid": ["131016"]}.get(address, [])


def _mail(authentication: str | None) -> bytes:
    raw = (FIXTURES / "plain_csv.eml").read_bytes()
    if authentication is not None:
        raw = f"Authentication-Results: mx.pmh.example; {authentication}\r\n".encode() + raw
    return raw


def test_without_authentication_results_a_mail_is_quarantined_unless_allowed():
    mail = parse_message(_mail(None))
    refused = decide(mail, dropbox_names_for=_contacts, accept_unauthenticated=False)
    assert isinstance(refused, Quarantine)
    assert (refused.code, refused.notify) == ("auth_missing", False)
    assert isinstance(
        decide(mail, dropbox_names_for=_contacts, accept_unauthenticated=True), Ingest
    )


def test_an_authenticated_mail_is_taken_with_the_setting_off():
    mail = parse_message(_mail("spf=pass smtp.mailfrom=demo.invalid; dkim=pass; dmarc=pass"))
    assert isinstance(
        decide(mail, dropbox_names_for=_contacts, accept_unauthenticated=False), Ingest
    )


def test_the_setting_is_off_in_production_and_on_in_development():
    code = "from django.conf import settings; print(settings.PMH_MAIL_ACCEPT_UNAUTHENTICATED)"
    for debug, expected in (("0", "False"), ("1", "True")):
        env = {k: v for k, v in os.environ.items() if k != "PMH_MAIL_ACCEPT_UNAUTHENTICATED"}
        env.update(DEBUG=debug, DJANGO_SETTINGS_MODULE="pmhadmin.settings", SECRET_KEY="x" * 50)
        out = subprocess.run(
            [sys.executable, "-c", "import django; django.setup(); " + code],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout.strip() == expected
