"""A vendor learns nothing of a result held in review (issue 17.3).

The same pages are read twice, once with the held result accepted and clean, once rejected with
many errors: what the vendor sees (row order under every result sort, the integration page's
test_passed conditions, the export) must not differ.
"""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from onboarding.models import Stage
from tests.uploads.submission_helpers import csv_file, full_records, receive
from uploads import services
from uploads.models import Mode, Status, Submission, Verdict

pytestmark = pytest.mark.django_db

HIDDEN = {
    "accepted": {"verdict": Verdict.ACCEPTED, "rows": 900, "errors": 0, "warnings": 0},
    "rejected": {"verdict": Verdict.REJECTED, "rows": 1, "errors": 99, "warnings": 99},
}


@pytest.fixture
def held(cast, django_capture_on_commit_callbacks):
    """Three released results of integration A and one held in review (full, while testing)."""
    integration = cast.integration_a
    type(integration).objects.filter(pk=integration.pk).update(
        stage=Stage.TESTING, stage_changed_at=timezone.now() - timezone.timedelta(days=1)
    )
    integration.refresh_from_db()
    shown = []
    for n, (verdict, errors) in enumerate(
        [(Verdict.REJECTED, 5), (Verdict.REJECTED, 1), (Verdict.REJECTED, 3)]
    ):
        with django_capture_on_commit_callbacks(execute=True):
            s = receive(integration, csv_file(full_records(2, seed=n)), name=f"{n}.csv")
        Submission.objects.filter(pk=s.pk).update(
            status=Status.RETURNED, verdict=verdict, rows=10 + n, errors=errors, warnings=n
        )
        shown.append(s.pk)
    with django_capture_on_commit_callbacks(execute=True):
        hidden = receive(integration, csv_file(full_records(2, seed=9)), name="held.csv")
    Submission.objects.filter(pk=hidden.pk).update(
        status=Status.REVIEW, mode=Mode.FULL, stage_at_receipt=Stage.TESTING
    )
    return hidden


def _order(client, sort: str) -> list[int]:
    response = client.get(reverse("helpdesk:history"), {"sort": sort})
    assert response.status_code == 200
    ids = re.findall(r'href="/submissions/(\d+)/"', response.content.decode())
    return list(dict.fromkeys(int(i) for i in ids))


def _vendor_view(cast, client) -> dict:
    seen = {}
    for sort in ("verdict", "-verdict", "rows", "-rows", "errors", "-errors", "warnings"):
        seen[sort] = _order(client, sort)
    page = client.get(reverse("onboarding:integration_detail", args=[cast.integration_a.pk]))
    seen["integration page"] = re.sub(
        r'name="(csrfmiddlewaretoken|_once)" value="[^"]+"', "", page.content.decode()
    )
    export = client.get(reverse("helpdesk:history_export"))
    seen["export"] = b"".join(export.streaming_content) if export.streaming else export.content
    return seen


def test_a_vendor_sees_the_same_whatever_the_held_result_is(cast, client_for, held):
    client = client_for(cast.alice)
    views = {}
    for name, values in HIDDEN.items():
        Submission.objects.filter(pk=held.pk).update(**values)
        views[name] = _vendor_view(cast, client)
        assert held.pk in views[name]["verdict"]
    for key in views["accepted"]:
        assert views["accepted"][key] == views["rejected"][key], key


def test_staff_sort_on_the_held_values(cast, client_for, held):
    client = client_for(cast.operator)
    Submission.objects.filter(pk=held.pk).update(**HIDDEN["rejected"])
    assert _order(client, "-errors")[0] == held.pk
    Submission.objects.filter(pk=held.pk).update(**HIDDEN["accepted"])
    assert _order(client, "-errors")[-1] == held.pk


def test_the_gate_is_withheld_from_the_vendor_only_while_a_result_waits(cast, client_for, held):
    Submission.objects.filter(pk=held.pk).update(**HIDDEN["accepted"])
    url = reverse("onboarding:integration_detail", args=[cast.integration_a.pk])
    assert services.test_evidence(integration=cast.integration_a).ok  # staff: the gate holds
    staff_page = client_for(cast.operator).get(url).content.decode()
    vendor_page = client_for(cast.alice).get(url).content.decode()
    assert (
        "審査待ちの結果があります" in vendor_page and "審査待ちの結果があります" not in staff_page
    )
    Submission.objects.filter(pk=held.pk).update(status=Status.RETURNED)
    released = client_for(cast.alice).get(url).content.decode()
    assert "審査待ちの結果があります" not in released
