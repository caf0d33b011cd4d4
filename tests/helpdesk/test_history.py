"""The upload history: scoping, filters, the export, the timeline and the submission page."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.uploads.submission_helpers import csv_file, full_records, receive
from uploads.models import Channel, Mode, Status, Submission, Verdict

pytestmark = pytest.mark.django_db


@pytest.fixture
def jobs(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _submission(integration, n, **fields):
    values = {
        "channel": Channel.WEB,
        "original_name": f"file-{n}.csv",
        "size": 100 + n,
        "sha256": f"{n:064x}",
        "mode": Mode.FULL,
        "stage_at_receipt": "testing",
        "status": Status.RETURNED,
        "verdict": Verdict.ACCEPTED,
        "rows": 10,
        "errors": 0,
        "warnings": 0,
        **fields,
    }
    return Submission.objects.create(integration=integration, **values)


def _export(client, **params) -> str:
    response = client.get(reverse("helpdesk:history_export"), params)
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8-sig")


def test_history_list_is_scoped_and_bounded(cast, client_for, django_assert_max_num_queries):
    for n in range(60):
        _submission(cast.integration_a if n % 2 else cast.integration_b, n)
    client = client_for(cast.helpdesk)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("helpdesk:history"))
    assert page.status_code == 200 and "page=2" in page.content.decode()
    with django_assert_max_num_queries(10):
        client.get(reverse("helpdesk:history"), {"per_page": 500})
    alice = client_for(cast.alice).get(reverse("helpdesk:history"), {"per_page": 500})
    body = alice.content.decode()
    assert "file-1.csv" in body and "file-2.csv" not in body


def test_filters_and_search(cast, client_for):
    _submission(cast.integration_a, 1, channel=Channel.MAIL)
    _submission(cast.integration_b, 2, mode=Mode.DIFF, status=Status.FAILED, verdict=None)
    client = client_for(cast.operator)
    url = reverse("helpdesk:history")

    def names(**params):
        body = client.get(url, params).content.decode()
        return {n for n in ("file-1.csv", "file-2.csv") if n in body}

    assert names(channel="mail") == {"file-1.csv"}
    assert names(status="failed", mode="diff") == {"file-2.csv"}
    assert names(municipality="011002") == {"file-2.csv"}
    assert names(municipality="千代田") == {"file-1.csv"}
    assert names(vendor=cast.vendor_a.pk) == {"file-1.csv"}
    assert names(q=f"{2:064x}") == {"file-2.csv"}
    assert names(q="FILE-1") == {"file-1.csv"}
    today = timezone.localdate().isoformat()
    assert names(received_from=today, received_to=today) == {"file-1.csv", "file-2.csv"}
    assert names(received_to="2000-01-01") == set()


def test_vendors_never_see_the_verdict_of_a_result_in_review(cast, client_for):
    _submission(
        cast.integration_a, 1, status=Status.REVIEW, verdict=Verdict.REJECTED, errors=987654
    )
    client = client_for(cast.alice)
    body = client.get(reverse("helpdesk:history")).content.decode()
    assert "file-1.csv" in body and "987,654" not in body and "差し戻し" not in body
    export = _export(client)
    assert "file-1.csv" in export and "987654" not in export
    timeline = client.get(reverse("helpdesk:integration_timeline", args=[cast.integration_a.pk]))
    assert "987,654" not in timeline.content.decode()
    staff = client_for(cast.helpdesk)
    assert "987,654" in staff.get(reverse("helpdesk:history")).content.decode()
    assert "987654" in _export(staff)


def test_rows_are_escaped_labelled_and_sorted_by_count(cast, client_for):
    _submission(cast.integration_a, 1, original_name="<script>x()</script>.csv", errors=5)
    _submission(cast.integration_a, 2, channel=Channel.MAIL, errors=50)
    client = client_for(cast.helpdesk)
    url = reverse("helpdesk:history")
    body = client.get(url, {"sort": "-errors"}).content.decode()
    assert "<script>x()" not in body and "&lt;script&gt;x()&lt;/script&gt;.csv" in body
    assert "メール" in body and "返却済み" in body and "受理" in body
    assert body.index("file-2.csv") < body.index("&lt;script&gt;")
    ascending = client.get(url, {"sort": "errors"}).content.decode()
    assert ascending.index("file-2.csv") > ascending.index("&lt;script&gt;")


def test_export_is_formula_safe_and_scoped(cast, client_for):
    _submission(cast.integration_a, 1, original_name="=HYPERLINK(1).csv")
    _submission(cast.integration_b, 2)
    export = _export(client_for(cast.alice))
    assert "'=HYPERLINK(1).csv" in export and "file-2.csv" not in export
    lines = _export(client_for(cast.operator), channel="web").strip().splitlines()
    assert len(lines) == 3


def test_other_vendors_timeline_is_a_404(cast, client_for):
    url = reverse("helpdesk:integration_timeline", args=[cast.integration_b.pk])
    assert client_for(cast.alice).get(url).status_code == 404
    own = reverse("helpdesk:integration_timeline", args=[cast.integration_a.pk])
    _submission(cast.integration_a, 1)
    page = client_for(cast.alice).get(own)
    assert page.status_code == 200 and "<svg" in page.content.decode()


def test_submission_page_shows_the_state_timeline_and_round_trip(cast, client_for, jobs):
    with jobs():
        submission = receive(cast.integration_a, csv_file(full_records(3)))
    submission.refresh_from_db()
    body = client_for(cast.alice).get(submission.get_absolute_url()).content.decode()
    assert 'id="timeline-title"' in body
    assert body.count("<time") >= 4


def test_issues_filter_by_field(cast, client_for, jobs):
    records = full_records(4, seed=3)
    records[1]["myNumber"] = "12345678901X"
    with jobs():
        submission = receive(cast.integration_a, csv_file(records))
    client = client_for(cast.helpdesk)
    url = submission.get_absolute_url()
    field = submission.issues.values_list("field", flat=True).first()
    assert field
    with_field = client.get(url, {"field": field}).content.decode()
    assert with_field.count('class="badge err"') >= 2
    other = client.get(url, {"field": "noSuchField"}).content.decode()
    assert other.count('class="badge err"') == 1


@pytest.mark.parametrize("sort", ["", "-errors", "original_name", "integration"])
def test_deep_pages_read_keys_first_and_show_the_same_rows(cast, client_for, monkeypatch, sort):
    """From `deep_offset` on, a page reads its keys first (issue 22.6): same rows, same order,
    same scope as the plain OFFSET page."""
    from console.tables import KeysFirstPaginator

    for n in range(60):
        _submission(cast.integration_a if n % 3 else cast.integration_b, n, errors=n % 7)
    params = {"per_page": 25, "page": 2, **({"sort": sort} if sort else {})}
    url = reverse("helpdesk:history")

    def pages():
        bodies = [
            client_for(user).get(url, params).content.decode()
            for user in (cast.helpdesk, cast.alice)
        ]
        return [b[b.index("<tbody") : b.index("</tbody>")] for b in bodies]

    plain = pages()
    monkeypatch.setattr(KeysFirstPaginator, "deep_offset", 1)
    deep = pages()
    assert deep == plain
    assert "file-" in deep[0] and "file-" in deep[1] and "file-3.csv" not in deep[1]
