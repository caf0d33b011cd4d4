"""No API answer tells a vendor anything of a result held in review (issue 17.3, re-audit).

Every GET endpoint of the API that names a submission is read for a held one twice, once
accepted and clean, once rejected with many errors, and once for a file not yet validated:
status code, JSON body (all but its id and status) and the headers a client can see
(Content-Length, ETag, Cache-Control, …) must be the same. Posting the held file's bytes again
(a duplicate) must answer the same too. A new GET route that names a submission fails the walk
until it is added here.
"""

import io
import re

import pytest
from django.urls import get_resolver

from onboarding.tokens import api_token_issue
from tests.uploads.submission_helpers import csv_file, full_records, receive
from uploads.models import Status, Submission, Verdict

pytestmark = pytest.mark.django_db

HIDDEN = {
    "accepted": {"verdict": Verdict.ACCEPTED, "rows": 900, "valid_rows": 900, "errors": 0},
    "rejected": {"verdict": Verdict.REJECTED, "rows": 1, "valid_rows": 0, "errors": 99},
}
# Every API GET route that names one submission, as the test reads it.
ROUTES = {
    "api/v1/submissions/<int:pk>": "/api/v1/submissions/{pk}",
    "api/v1/submissions/<int:pk>/report": "/api/v1/submissions/{pk}/report",
    "api/v1/pmh/registration-tasks/<task_id>": "/api/v1/pmh/registration-tasks/{pk}",
}
HEADERS = ("Content-Type", "Content-Length", "ETag", "Last-Modified", "Cache-Control", "Vary")


def _api_routes() -> set[str]:
    found = set()

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns, route)
            elif route.startswith("api/") and "<" in route:
                found.add(route)

    walk(get_resolver().url_patterns)
    return found


@pytest.fixture
def token(cast):
    return api_token_issue(vendor=cast.vendor_a, name="walk")[1]


@pytest.fixture
def held(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        held = receive(cast.integration_a, csv_file(full_records(2, seed=41)), name="held.csv")
    with django_capture_on_commit_callbacks(execute=False):
        waiting = receive(cast.integration_a, csv_file(full_records(2, seed=42)), name="q.csv")
    report = Submission.objects.get(pk=held.pk).report
    Submission.objects.filter(pk=held.pk).update(status=Status.REVIEW, report=report)
    Submission.objects.filter(pk=waiting.pk).update(status=Status.QUEUED, report=None)
    return held, waiting


def _seen(client, token, pk: int) -> dict:
    """What a vendor's client sees of each route, the id and receipt time masked ("review" and
    "queued" are as long as each other, so the length is compared raw)."""
    seen = {}
    for route in ROUTES.values():
        response = client.get(route.format(pk=pk), headers={"Authorization": f"Bearer {token}"})
        headers = {name: response.headers.get(name) for name in HEADERS}
        headers["length"] = len(response.content)
        text = response.content.decode()
        text = re.sub(rf"\b{pk}\b", "<id>", text)
        text = re.sub(r'"(receivedAt|received_at)": ?"[^"]+"', r'"\1": "<time>"', text)
        text = text.replace('"review"', '"<status>"').replace('"queued"', '"<status>"')
        seen[route] = (response.status_code, text, headers)
    return seen


def test_every_api_route_naming_a_submission_is_walked():
    assert _api_routes() == set(ROUTES), "walk the new route in this test"


def test_a_held_result_answers_like_one_not_yet_validated(cast, client, token, held):
    held, waiting = held
    answers = {}
    for name, values in HIDDEN.items():
        Submission.objects.filter(pk=held.pk).update(**values)
        answers[name] = _seen(client, token, held.pk)
    assert answers["accepted"] == answers["rejected"]
    assert answers["accepted"] == _seen(client, token, waiting.pk)
    # The held values really are there (staff see them): the walk compares something.
    assert Submission.objects.get(pk=held.pk).errors == 99


def test_sending_the_held_file_again_tells_nothing(cast, client, token, held, settings):
    held, _ = held
    data = csv_file(full_records(2, seed=41))
    answers = []
    for values in HIDDEN.values():
        Submission.objects.filter(pk=held.pk).update(**values)
        upload = io.BytesIO(data)
        upload.name = "again.csv"
        response = client.post(
            "/api/v1/submissions",
            {"integration": cast.integration_a.dropbox_name, "file": upload},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 202
        answers.append(response.json())
    assert (
        answers[0]
        == answers[1]
        == {
            "id": held.pk,
            "status": "review",
            "url": f"http://testserver/api/v1/submissions/{held.pk}",
            "duplicate_of": held.pk,
        }
    )
