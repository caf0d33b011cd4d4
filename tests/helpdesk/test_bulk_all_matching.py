"""Select every item matching the queue's filters, not only this page's (issue 18.12, as
Sentry and Gmail offer it): the server runs the filters again through the access helper."""

import re

import pytest
from django.urls import reverse

from console.models import AuditRecord
from helpdesk import views
from helpdesk.models import ErrorItem, State
from helpdesk.services import error_item_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(cast, monkeypatch):
    monkeypatch.setattr(views, "PER_PAGE", 3)
    matching = [
        error_item_record(
            kind="rejected", code=f"V_MATCH_{i}", title=f"一致 {i}", integration=cast.integration_a
        )
        for i in range(7)
    ]
    others = [
        error_item_record(
            kind="rejected",
            code=f"V_OTHER_{i}",
            title=f"対象外 {i}",
            integration=cast.integration_b,
        )
        for i in range(2)
    ]
    closed = error_item_record(
        kind="rejected", code="V_MATCH_CLOSED", title="解決済み", integration=cast.integration_a
    )
    ErrorItem.objects.filter(pk=closed.pk).update(state=State.RESOLVED)
    return {"matching": matching, "others": others, "closed": closed}


def _once(html: str) -> str:
    return re.search(r'name="_once" value="([^"]+)"', html.split('id="bulk-assign"', 1)[1])[1]


def test_the_page_offers_every_matching_item_and_the_bulk_changes_all_pages(
    cast, client_for, items
):
    client = client_for(cast.helpdesk)
    page = client.get(reverse("helpdesk:queue"), {"q": "V_MATCH", "page": 2}).content.decode()
    assert "この条件に一致する 7 件すべてを選択" in page
    assert 'name="all_matching"' in page and "data-select-matching" in page
    query = re.search(r'name="query" value="([^"]*)"', page)[1]
    assert query == "q=V_MATCH"  # the filters, not the page number
    assert page.count("data-bulk-item") == 3  # only one page is shown
    response = client.post(
        reverse("helpdesk:bulk"),
        {
            "all_matching": "1",
            "query": query,
            "items": [items["others"][0].pk],  # a ticked box does not widen the set
            "action": "state",
            "state": State.INVESTIGATING,
            "_once": _once(page),
        },
        follow=True,
    )
    assert "対象 7 件のうち 7 件を変更しました" in response.content.decode()
    states = dict(ErrorItem.objects.values_list("pk", "state"))
    assert all(states[i.pk] == State.INVESTIGATING for i in items["matching"])
    assert all(states[i.pk] == State.NEW for i in items["others"])
    assert states[items["closed"].pk] == State.RESOLVED  # outside the default "open" filter
    record = AuditRecord.objects.get(action="error_items_update")
    assert record.detail["scope"] == "matching" and record.detail["changed"] == 7
    assert record.detail["matched"] == 7 and record.detail["filters"] == {"q": "V_MATCH"}
    assert sorted(record.detail["items"]) == sorted(i.pk for i in items["matching"])


def test_the_one_time_token_makes_a_second_post_do_nothing(cast, client_for, items):
    client = client_for(cast.helpdesk)
    page = client.get(reverse("helpdesk:queue"), {"q": "V_MATCH"}).content.decode()
    data = {"all_matching": "1", "query": "q=V_MATCH", "action": "ignore", "_once": _once(page)}
    client.post(reverse("helpdesk:bulk"), data)
    ErrorItem.objects.filter(code__startswith="V_MATCH_").exclude(pk=items["closed"].pk).update(
        state=State.NEW
    )
    client.post(reverse("helpdesk:bulk"), data)  # the back button and send again
    assert ErrorItem.objects.filter(state=State.IGNORED).count() == 0
    assert AuditRecord.objects.filter(action="error_items_update").count() == 1


def test_filters_are_evaluated_when_the_change_runs(cast, client_for, items):
    client = client_for(cast.operator)
    query = "q=V_&kind=rejected&channel=&state=open&mine=true"
    ErrorItem.objects.filter(pk=items["matching"][0].pk).update(assignee=cast.operator)
    response = client.post(
        reverse("helpdesk:bulk"),
        {"all_matching": "1", "query": query, "action": "ignore"},
        follow=True,
    )
    assert "対象 1 件のうち 1 件を変更しました" in response.content.decode()
    assert list(ErrorItem.objects.filter(state=State.IGNORED)) == [items["matching"][0]]


def test_a_bad_filter_changes_nothing_and_says_so(cast, client_for, items):
    response = client_for(cast.helpdesk).post(
        reverse("helpdesk:bulk"),
        {"all_matching": "1", "query": "state=bogus", "action": "ignore"},
        follow=True,
    )
    assert response.status_code == 200
    assert "絞り込み条件が正しくない" in response.content.decode()
    assert not ErrorItem.objects.filter(state=State.IGNORED).exists()


def test_a_vendor_cannot_bulk_change_and_nothing_selected_is_refused(cast, client_for, items):
    denied = client_for(cast.alice).post(
        reverse("helpdesk:bulk"), {"all_matching": "1", "query": "", "action": "ignore"}
    )
    assert denied.status_code == 403
    assert not ErrorItem.objects.filter(state=State.IGNORED).exists()
    none = client_for(cast.helpdesk).post(
        reverse("helpdesk:bulk"), {"query": "q=V_MATCH", "action": "ignore"}, follow=True
    )
    assert "項目を1つ以上選んでください" in none.content.decode()
    assert not ErrorItem.objects.filter(state=State.IGNORED).exists()


def test_one_page_of_items_needs_no_such_offer(cast, client_for, items):
    page = client_for(cast.helpdesk).get(reverse("helpdesk:queue"), {"q": "V_OTHER"})
    assert "data-select-matching" not in page.content.decode()
