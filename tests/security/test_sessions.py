"""Session expiry (issue #11): a session ends SESSION_COOKIE_AGE after sign-in however busy it
is, and after PMH_SESSION_IDLE_SECONDS without a request; either way the next request goes to
the login page and the sign-out is recorded with its reason."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from console.middleware import SEEN_AT, SIGNED_IN_AT
from console.models import AuditRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(cast, client):
    response = client.post(reverse("login"), {"username": "operator", "password": "x-Secret-42"})
    assert response.status_code == 302
    assert client.get(reverse("helpdesk:history")).status_code == 200
    return client


def _age(client, **seconds_ago):
    """Move the session's sign-in and last-seen times back, as if that much time had passed."""
    session = client.session
    for key, ago in seconds_ago.items():
        session[key] = session[key] - ago
    session.save()


def _sent_to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_settings_give_an_absolute_and_an_idle_limit(settings):
    assert 0 < settings.SESSION_COOKIE_AGE <= 12 * 3600
    assert 0 < settings.PMH_SESSION_IDLE_SECONDS <= settings.SESSION_COOKIE_AGE
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_an_expired_session_row_is_rejected(signed_in):
    key = signed_in.session.session_key
    assert Session.objects.filter(pk=key, expire_date__gt=timezone.now()).exists()
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert _sent_to_login(signed_in.get(reverse("helpdesk:history")))


def test_a_session_older_than_its_age_is_rejected_even_when_busy(signed_in, settings):
    age = settings.SESSION_COOKIE_AGE
    # Still active a minute ago, so Django's own expiry date lies in the future.
    _age(signed_in, **{SIGNED_IN_AT: age + 1, SEEN_AT: 60})
    key = signed_in.session.session_key
    assert Session.objects.filter(pk=key, expire_date__gt=timezone.now()).exists()
    assert _sent_to_login(signed_in.get(reverse("helpdesk:history")))
    assert not Session.objects.filter(pk=key).exists()
    record = AuditRecord.objects.get(action=AuditRecord.Action.SIGN_OUT)
    assert record.username == "operator" and record.detail == {"reason": "session_age"}
    assert _sent_to_login(signed_in.get(reverse("helpdesk:history")))


def test_a_session_just_within_its_age_is_kept(signed_in, settings):
    _age(signed_in, **{SIGNED_IN_AT: settings.SESSION_COOKIE_AGE - 5, SEEN_AT: 60})
    assert signed_in.get(reverse("helpdesk:history")).status_code == 200


def test_an_idle_session_is_rejected(signed_in, settings):
    idle = settings.PMH_SESSION_IDLE_SECONDS
    _age(signed_in, **{SIGNED_IN_AT: idle + 1, SEEN_AT: idle + 1})
    assert _sent_to_login(signed_in.get(reverse("helpdesk:history")))
    record = AuditRecord.objects.get(action=AuditRecord.Action.SIGN_OUT)
    assert record.detail == {"reason": "idle"}


def test_activity_keeps_an_idle_limit_from_running_out(signed_in, settings):
    idle = settings.PMH_SESSION_IDLE_SECONDS
    _age(signed_in, **{SIGNED_IN_AT: idle * 2, SEEN_AT: idle - 5})
    assert signed_in.get(reverse("helpdesk:history")).status_code == 200
    assert signed_in.session[SEEN_AT] >= timezone.now().timestamp() - 5
    _age(signed_in, **{SEEN_AT: idle - 5})
    assert signed_in.get(reverse("helpdesk:history")).status_code == 200


def test_idle_limit_zero_turns_it_off(signed_in, settings):
    settings.PMH_SESSION_IDLE_SECONDS = 0
    _age(signed_in, **{SIGNED_IN_AT: 3 * 3600, SEEN_AT: 3 * 3600})
    assert signed_in.get(reverse("helpdesk:history")).status_code == 200


def test_seen_time_is_not_written_on_every_request(signed_in):
    before = signed_in.session[SEEN_AT]
    signed_in.get(reverse("helpdesk:history"))
    assert signed_in.session[SEEN_AT] == before


def test_expiry_never_blocks_public_paths(signed_in, settings):
    _age(signed_in, **{SIGNED_IN_AT: settings.SESSION_COOKIE_AGE + 1})
    assert signed_in.get("/healthz").status_code == 200
    assert signed_in.get(reverse("login")).status_code == 200
