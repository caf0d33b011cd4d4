"""One action, one effect: a form sent twice (double click, back button) acts once."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from helpdesk.models import ErrorItem, ReplyTemplate, State
from helpdesk.services import error_item_record
from onboarding.models import IntegrationContact

pytestmark = pytest.mark.django_db


def _token(page: str, action: str) -> str:
    form = re.search(r'<form[^>]*action="' + re.escape(action) + r'".*?</form>', page, re.S)
    assert form, action
    return re.search(r'name="_once" value="([A-Za-z]+)"', form.group(0)).group(1)


def _item(cast):
    return error_item_record(
        kind="rejected", code="V_CODE", title="問題", integration=cast.integration_a
    )


def test_a_reply_sent_twice_goes_out_once_and_the_form_is_cleared(cast, client_for):
    IntegrationContact.objects.create(integration=cast.integration_a, email="tanto@example.jp")
    ReplyTemplate.objects.create(name="定型", subject="件名の定型文", body="本文の定型文")
    item = _item(cast)
    client = client_for(cast.helpdesk)
    page_url = reverse("helpdesk:item", args=[item.pk])
    action = reverse("helpdesk:item_reply", args=[item.pk])
    token = _token(client.get(page_url).content.decode(), action)
    data = {"subject": "件名です", "body": "本文です", "_once": token}
    first = client.post(action, data, HTTP_REFERER="http://testserver" + page_url)
    second = client.post(action, data, HTTP_REFERER="http://testserver" + page_url)
    assert len(mail.outbox) == 1
    assert item.comments.filter(text__contains="本文です").count() == 1
    assert second.status_code == 302 and second["Location"].endswith(page_url)
    after = client.get(first["Location"]).content.decode()
    reply_form = re.search(r'action="' + re.escape(action) + r'".*?</form>', after, re.S).group(0)
    assert "件名の定型文" not in reply_form and "本文の定型文" not in reply_form
    warned = client.get(page_url).content.decode()
    assert "すでに" not in warned  # the message was shown once, on the page after the first
    again = client.post(action, data, HTTP_REFERER="http://testserver" + page_url, follow=True)
    assert "二重送信" in again.content.decode()
    assert len(mail.outbox) == 1


def test_a_state_change_replayed_with_the_back_button_acts_once(cast, client_for):
    item = _item(cast)
    client = client_for(cast.operator)
    page_url = reverse("helpdesk:item", args=[item.pk])
    action = reverse("helpdesk:item_update", args=[item.pk])
    token = _token(client.get(page_url).content.decode(), action)
    client.post(action, {"state": "investigating", "_once": token})
    comments = item.comments.count()
    # Someone else resolves it; the stale page's form, sent again, must not undo that.
    ErrorItem.objects.filter(pk=item.pk).update(state=State.RESOLVED)
    client.post(action, {"state": "investigating", "_once": token})
    item.refresh_from_db()
    assert item.state == State.RESOLVED and item.comments.count() == comments


def test_an_upload_answered_twice_in_json_says_so_in_japanese(cast, client_for):
    client = client_for(cast.alice)
    action = reverse("intake:upload", args=[cast.integration_a.pk])
    from console.once import spend

    assert spend("f" * 32)
    response = client.post(action, {"_once": "f" * 32}, HTTP_ACCEPT="application/json")
    assert response.status_code == 409
    assert "二重送信" in response.json()["errors"][0]


_NOT_GUARDED = {"registration/login.html"}


def test_every_form_that_changes_something_carries_a_one_time_token():
    root = Path(settings.BASE_DIR) / "templates"
    missing = []
    for path in root.rglob("*.html"):
        name = str(path.relative_to(root))
        if name in _NOT_GUARDED:
            continue
        for form in re.findall(r"<form[^>]*>.*?</form>", path.read_text(), re.S):
            head = form[: form.index(">")]
            if 'method="post"' not in head:
                continue
            if "'logout'" in head or "'set_language'" in head:
                continue  # signing out or switching language twice changes nothing twice
            if "once_token" not in form:
                missing.append(name)
    assert not missing, missing


@pytest.mark.django_db
def test_tokens_hold_no_digit_run_and_spent_ones_are_forgotten_after_two_days():
    from datetime import timedelta

    from django.utils import timezone

    from console import once
    from console.models import UsedFormToken

    tokens = {once.new_token() for _ in range(200)}
    assert len(tokens) == 200
    assert not any(re.search(r"[0-9]", t) for t in tokens)  # never taken for a 個人番号
    old, fresh = sorted(tokens)[:2]
    assert once.spend(old) and once.spend(fresh)
    assert not once.spend(old)
    UsedFormToken.objects.filter(token=old).update(used_at=timezone.now() - timedelta(days=3))
    assert once.forget_old() == 1
    assert list(UsedFormToken.objects.values_list("token", flat=True)) == [fresh]
