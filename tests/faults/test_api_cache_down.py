"""The API while Redis is down (issue 17.6): its per-token rate limit reads the cache, which
must degrade instead of answering 500; the file is stored and recorded as ``queued``, like the
web and folder channels do, and processed once Redis is back."""

import io

import pytest
from django.test import override_settings

from onboarding.tokens import api_token_issue
from tests.uploads.submission_helpers import csv_file, full_records
from uploads.models import Status, Submission

pytestmark = pytest.mark.django_db

DOWN = "redis://127.0.0.1:1/0"  # nothing listens there
CACHE_DOWN = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": DOWN,
        "KEY_PREFIX": "pmh",
    }
}


def test_an_api_upload_is_stored_and_queued_while_redis_is_down(cast, client, settings):
    settings.PMH_JOBS_MODE = "rq"
    settings.RQ_QUEUES = {name: {**q, "URL": DOWN} for name, q in settings.RQ_QUEUES.items()}
    _, token = api_token_issue(vendor=cast.vendor_a, name="outage")
    upload = io.BytesIO(csv_file(full_records(3)))
    upload.name = "during-outage.csv"
    with override_settings(CACHES=CACHE_DOWN):
        response = client.post(
            "/api/v1/submissions",
            {"integration": "131016", "file": upload},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 202, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    submission = Submission.objects.get()
    assert submission.status == Status.QUEUED
    assert response.json()["id"] == submission.pk
