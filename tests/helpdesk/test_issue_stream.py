"""The error queue as an issue stream (issue 18.12): titles that carry the message, select all
and bulk changes, snooze and ignore, one triage form, a reply that waits for the vendor."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from console.models import AuditRecord
from helpdesk.models import ErrorItem, State
from helpdesk.services import error_item_record
from onboarding.models import IntegrationContact
from tests.uploads.submission_helpers import csv_file, full_records, receive
from uploads.models import Submission

pytestmark = pytest.mark.django_db


def _items(cast, n):
    return [
        error_item_record(
            kind="rejected", code=f"V_CODE_{i}", title=f"問題 {i}", integration=cast.integration_a
        )
        for i in range(n)
    ]


def _open_codes(client) -> str:
    return client.get(reverse("helpdesk:queue")).content.decode()


def test_a_rejected_file_gives_an_item_whose_title_carries_the_message(
    cast, django_capture_on_commit_callbacks
):
    records = full_records(3, seed=5)
    records[0]["myNumber"] = "12345678901X"
    with django_capture_on_commit_callbacks(execute=True):
        receive(cast.integration_a, csv_file(records), name="医療費.csv")
    item = ErrorItem.objects.get(kind="rejected")
    submission = Submission.objects.get()
    issue = next(i for i in submission.report["issues"] if i["code"] == item.code)
    assert issue["message"] in item.title and item.code in item.title
    assert "医療費.csv" in item.title


def test_select_all_and_change_the_state_of_several_items_at_once(cast, client_for):
    items = _items(cast, 3)
    client = client_for(cast.helpdesk)
    page = client.get(reverse("helpdesk:queue")).content.decode()
    assert "data-select-all" in page and reverse("helpdesk:bulk") in page
    response = client.post(
        reverse("helpdesk:bulk"),
        {"items": [i.pk for i in items[:2]], "action": "state", "state": State.INVESTIGATING},
    )
    assert response.status_code == 302
    states = dict(ErrorItem.objects.values_list("pk", "state"))
    assert states[items[0].pk] == states[items[1].pk] == State.INVESTIGATING
    assert states[items[2].pk] == State.NEW
    assert items[0].comments.filter(text__contains="調査中").exists()
    record = AuditRecord.objects.get(action="error_items_update")
    assert record.detail["changed"] == 2 and record.detail["change"] == "state"


def test_bulk_without_a_selection_or_a_state_says_so_in_japanese(cast, client_for):
    items = _items(cast, 1)
    client = client_for(cast.helpdesk)
    none = client.post(reverse("helpdesk:bulk"), {"action": "ignore"}, follow=True)
    assert "項目を1つ以上選んでください" in none.content.decode()
    no_state = client.post(
        reverse("helpdesk:bulk"), {"items": [items[0].pk], "action": "state"}, follow=True
    )
    assert "新しい状態を選んでください" in no_state.content.decode()
    assert ErrorItem.objects.get().state == State.NEW


def test_snooze_hides_an_item_until_the_date_and_ignore_keeps_it_out(cast, client_for):
    snoozed, ignored, kept = _items(cast, 3)
    client = client_for(cast.helpdesk)
    until = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    client.post(
        reverse("helpdesk:bulk"), {"items": [snoozed.pk], "action": "snooze", "until": until}
    )
    client.post(reverse("helpdesk:bulk"), {"items": [ignored.pk], "action": "ignore"})
    page = _open_codes(client)
    assert "V_CODE_2<" in page and "V_CODE_0<" not in page and "V_CODE_1<" not in page
    listed = client.get(reverse("helpdesk:queue"), {"state": "snoozed"}).content.decode()
    assert "V_CODE_0<" in listed
    assert ErrorItem.objects.get(pk=ignored.pk).state == State.IGNORED
    # An ignored problem that recurs stays ignored; a resolved one would reopen.
    error_item_record(kind="rejected", code="V_CODE_1", title="x", integration=cast.integration_a)
    assert ErrorItem.objects.get(pk=ignored.pk).state == State.IGNORED
    # After the date the snoozed item is back by itself.
    ErrorItem.objects.filter(pk=snoozed.pk).update(
        snoozed_until=timezone.now() - timedelta(minutes=1)
    )
    assert "V_CODE_0<" in _open_codes(client)
    past = client.post(
        reverse("helpdesk:bulk"),
        {"items": [kept.pk], "action": "snooze", "until": "2001-01-01T00:00"},
        follow=True,
    )
    assert "未来の日時を選んでください" in past.content.decode()


def test_one_form_changes_state_assignee_and_adds_a_comment(cast, client_for):
    item = _items(cast, 1)[0]
    client = client_for(cast.helpdesk)
    page = client.get(reverse("helpdesk:item", args=[item.pk])).content.decode()
    assert page.count(f'action="{reverse("helpdesk:item_update", args=[item.pk])}"') == 1
    assert reverse("helpdesk:item_state", args=[item.pk]) not in page
    response = client.post(
        reverse("helpdesk:item_update", args=[item.pk]),
        {"state": State.INVESTIGATING, "assignee": cast.operator.pk, "comment": "ログを確認中"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.state == State.INVESTIGATING and item.assignee == cast.operator
    texts = list(item.comments.values_list("text", flat=True))
    assert "ログを確認中" in texts and len(texts) == 3  # state, assignee, the comment
    assert AuditRecord.objects.get(action="error_items_update").detail["changes"] == [
        "state",
        "assignee",
        "comment",
    ]
    assert (
        client_for(cast.alice)
        .post(reverse("helpdesk:item_update", args=[item.pk]), {"state": "resolved"})
        .status_code
        == 403
    )


def test_sending_a_reply_moves_the_item_to_waiting_for_the_vendor(
    cast, client_for, django_capture_on_commit_callbacks
):
    IntegrationContact.objects.create(integration=cast.integration_a, email="tanto@example.jp")
    item = _items(cast, 1)[0]
    client = client_for(cast.helpdesk)
    response = client.post(
        reverse("helpdesk:item_reply", args=[item.pk]), {"subject": "件名", "body": "本文"}
    )
    assert response.status_code == 302 and response["Location"].endswith("?sent=1")
    item.refresh_from_db()
    assert item.state == State.WAITING_VENDOR
    page = client.get(response["Location"]).content.decode()
    assert "ベンダー回答待ち" in page
