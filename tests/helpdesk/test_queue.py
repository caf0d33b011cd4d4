"""The error queue pages: access, triage, bulk assign, retry, replies and templates."""

import pytest
from django.core import mail
from django.urls import reverse

from helpdesk.models import ErrorComment, ErrorItem, ReplyTemplate, State
from helpdesk.services import error_item_record
from onboarding.models import IntegrationContact
from tests.uploads.submission_helpers import csv_file, full_records, receive
from uploads import lifecycle
from uploads.models import Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def jobs(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _items(cast, n):
    return [
        error_item_record(
            kind="rejected", code=f"V_CODE_{i}", title=f"問題 {i}", integration=cast.integration_a
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("name", ["alice", "bob", "outsider"])
def test_vendors_and_outsiders_get_403_on_the_queue(cast, client_for, name):
    item = _items(cast, 1)[0]
    client = client_for(getattr(cast, name))
    assert client.get(reverse("helpdesk:queue")).status_code == 403
    assert client.get(reverse("helpdesk:item", args=[item.pk])).status_code == 403
    assert client.post(reverse("helpdesk:item_retry", args=[item.pk])).status_code == 403


def test_queue_lists_open_items_in_bounded_queries(cast, client_for, django_assert_max_num_queries):
    items = _items(cast, 60)
    items[0].state = State.RESOLVED
    items[0].save()
    client = client_for(cast.helpdesk)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("helpdesk:queue"))
    body = page.content.decode()
    assert page.status_code == 200 and "page=2" in body
    assert "V_CODE_1" in body or "V_CODE_59" in body
    resolved = client.get(reverse("helpdesk:queue"), {"state": "resolved"}).content.decode()
    assert "V_CODE_0<" in resolved and "V_CODE_1<" not in resolved
    with django_assert_max_num_queries(12):
        client.get(reverse("helpdesk:queue"), {"per_page": 200})


def test_bulk_assign_and_state_change_are_noted(cast, client_for):
    items = _items(cast, 3)
    client = client_for(cast.helpdesk)
    response = client.post(
        reverse("helpdesk:assign"),
        {"items": [items[0].pk, items[1].pk], "assignee": cast.operator.pk},
    )
    assert response.status_code == 302
    assert ErrorItem.objects.filter(assignee=cast.operator).count() == 2
    client.post(reverse("helpdesk:item_state", args=[items[0].pk]), {"state": "investigating"})
    items[0].refresh_from_db()
    assert items[0].state == State.INVESTIGATING
    assert ErrorComment.objects.filter(item=items[0]).count() == 2
    page = client.get(reverse("helpdesk:item", args=[items[0].pk])).content.decode()
    assert "調査中" in page


def test_resolved_sets_the_time_and_recurrence_reopens(cast, client_for):
    item = _items(cast, 1)[0]
    client_for(cast.operator).post(
        reverse("helpdesk:item_state", args=[item.pk]), {"state": "resolved"}
    )
    item.refresh_from_db()
    assert item.resolved_at is not None
    again = _items(cast, 1)[0]
    assert again.pk == item.pk and again.state == State.NEW and again.reopened == 1


def test_retry_requeues_the_failed_submission(cast, client_for, jobs):
    with jobs():
        submission = receive(cast.integration_a, csv_file(full_records(3)))
    lifecycle.submission_fail(submission_id=submission.pk, reason="job crashed")
    item = ErrorItem.objects.get(code="failed")
    client = client_for(cast.helpdesk)
    assert "Retry" in client.get(reverse("helpdesk:item", args=[item.pk])).content.decode() or (
        "再試行" in client.get(reverse("helpdesk:item", args=[item.pk])).content.decode()
    )
    with jobs():
        client.post(reverse("helpdesk:item_retry", args=[item.pk]))
    submission.refresh_from_db()
    assert submission.status == Status.RETURNED and submission.verdict == "accepted"
    assert item.comments.filter(text__contains=f"#{submission.pk}").exists()


def test_reply_fills_the_template_and_mails_the_contacts(cast, client_for, jobs):
    IntegrationContact.objects.create(integration=cast.integration_a, email="tanto@example.jp")
    records = full_records(4, seed=5)
    records[0]["myNumber"] = "12345678901X"
    with jobs():
        receive(cast.integration_a, csv_file(records), name="医療費.csv")
    item = ErrorItem.objects.get(kind="rejected")
    client = client_for(cast.helpdesk)
    template = ReplyTemplate.objects.get()
    page = client.get(reverse("helpdesk:item", args=[item.pk]), {"template": template.pk})
    body = page.content.decode()
    assert "千代田区" in body and "医療費.csv" in body and item.code in body
    response = client.post(
        reverse("helpdesk:item_reply", args=[item.pk]),
        {"subject": "件名 医療費.csv", "body": "本文です"},
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["tanto@example.jp"]
    assert item.comments.filter(text__contains="本文です").exists()


def test_reply_without_contacts_is_refused(cast, client_for):
    item = _items(cast, 1)[0]
    client_for(cast.helpdesk).post(
        reverse("helpdesk:item_reply", args=[item.pk]), {"subject": "s", "body": "b"}
    )
    assert not mail.outbox and not item.comments.exists()


def test_only_operators_edit_reply_templates(cast, client_for):
    assert client_for(cast.helpdesk).get(reverse("helpdesk:template_list")).status_code == 403
    client = client_for(cast.operator)
    assert client.get(reverse("helpdesk:template_list")).status_code == 200
    response = client.post(
        reverse("helpdesk:template_create"),
        {"name": "受付不可", "subject": "{municipality} の件", "body": "{file_name}"},
    )
    assert response.status_code == 302
    saved = ReplyTemplate.objects.get(name="受付不可")
    assert saved.updated_by == cast.operator


def test_item_page_is_bounded_whatever_the_occurrences(
    cast, client_for, django_assert_max_num_queries
):
    for _ in range(80):
        item = _items(cast, 1)[0]
    client = client_for(cast.helpdesk)
    url = reverse("helpdesk:item", args=[item.pk])
    for per_page in (10, 80):
        # 16: two of them count what waits in the navigation (issue 18.14).
        with django_assert_max_num_queries(16):
            page = client.get(url, {"per_page": per_page})
        assert page.status_code == 200
